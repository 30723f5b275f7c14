//! Contacts: records, reading one, creating and changing them; the visibility filter. Lists,
//! the caller lookup, the timeline, hand-over and imports have a file each.

mod handover;
mod import;
mod index;
pub(crate) mod list;
mod lookup;
mod timeline;

use chrono::{DateTime, Utc};
use crm_domain::contacts::{ContactData, ContactKind, Country, Email, GeoPoint, Phone};
use crm_domain::permissions::{ContactFacts, Viewer, Visibility, can_assign_owner, class_of};
use crm_domain::{CompanyId, ContactId, OfficeId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::entities::contacts;
use crate::sql::{by_keys, insert_rows};
use crate::{Store, StoreError};

pub(crate) use handover::move_owner_in;
pub use import::{ImportRow, ImportSummary};
pub(crate) use import::{duplicates_in, identity_keys};
pub(crate) use index::{Placement, recount_all};
pub use list::{ContactFilter, ContactPage, ContactSort, Cursor, ExportWalk, ListOptions};
pub use lookup::LookupHit;
pub use timeline::{TimelineEvent, TimelinePage, TimelineRecord};
pub(crate) use timeline::{add_timeline, add_timeline_many, event_row};

/// A stored contact.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub id: ContactId,
    pub company_id: CompanyId,
    pub data: ContactData,
    pub owner_id: UserId,
    pub office_id: OfficeId,
    pub on_offer: bool,
    pub on_demand: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactRecord {
    pub fn facts(&self) -> ContactFacts {
        ContactFacts {
            company_id: self.company_id,
            kind: self.data.kind,
            owner_id: self.owner_id,
            office_id: self.office_id,
            on_offer: self.on_offer,
            on_demand: self.on_demand,
        }
    }

    fn placement(&self) -> Placement {
        Placement {
            owner: self.owner_id,
            office: self.office_id,
            class: self.facts().class(),
        }
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

pub(crate) fn to_record(m: contacts::Model) -> ContactRecord {
    let data = ContactData {
        kind: ContactKind::parse(&m.kind).unwrap_or(ContactKind::Draft),
        first_name: m.first_name,
        last_name: m.last_name,
        agency_name: m.agency_name,
        phones: strings(&m.phones).into_iter().map(Phone::from_e164_unchecked).collect(),
        emails: strings(&m.emails).into_iter().filter_map(|e| Email::parse(&e).ok()).collect(),
        street: m.street,
        city: m.city,
        postal_code: m.postal_code,
        country: m.country.as_deref().and_then(|c| Country::parse(c).ok()),
        location: m.lat.zip(m.lon).and_then(|(lat, lon)| GeoPoint::new(lat, lon)),
        opted_out: m.opted_out,
    };
    ContactRecord {
        id: m.id.into(),
        company_id: m.company_id.into(),
        data,
        owner_id: m.owner_id.into(),
        office_id: m.office_id.into(),
        on_offer: m.side & 1 != 0,
        on_demand: m.side & 2 != 0,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// The column values a contact's data sets.
fn data_columns(am: &mut contacts::ActiveModel, data: &ContactData) {
    am.kind = Set(data.kind.as_str().to_owned());
    am.first_name = Set(data.first_name.clone());
    am.last_name = Set(data.last_name.clone());
    am.agency_name = Set(data.agency_name.clone());
    am.display_name = Set(data.display_name());
    am.sort_name = Set(data.sort_name());
    am.search_words = Set(Some(data.search_words()));
    am.phones = Set(json!(data.phones.iter().map(Phone::as_str).collect::<Vec<_>>()));
    am.emails = Set(json!(data.emails.iter().map(Email::as_str).collect::<Vec<_>>()));
    am.street = Set(data.street.clone());
    am.city = Set(data.city.clone());
    am.postal_code = Set(data.postal_code.clone());
    am.country = Set(data.country.map(|c| c.code()));
    am.lat = Set(data.location.map(|p| p.lat));
    am.lon = Set(data.location.map(|p| p.lon));
    am.opted_out = Set(data.opted_out);
}

/// A new contact's row: owned by `owner` in the owner's office, on neither side yet.
fn new_contact(
    company: CompanyId,
    created_by: UserId,
    id: ContactId,
    owner: UserId,
    office: OfficeId,
    now: DateTime<Utc>,
    data: &ContactData,
) -> contacts::ActiveModel {
    let mut am = contacts::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        owner_id: Set(owner.0),
        office_id: Set(office.0),
        side: Set(0),
        class: Set(class_of(data.kind, false, false)),
        created_by: Set(Some(created_by.0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    data_columns(&mut am, data);
    am
}

/// Reads a contact inside a write transaction, locking its row on PostgreSQL so that the check
/// made on it and the write that follows see the same contact.
pub(crate) async fn lock_contact(db: &impl ConnectionTrait, viewer: &Viewer, id: ContactId) -> Result<ContactRecord, StoreError> {
    let mut q = contacts::Entity::find_by_id((viewer.company_id.0, id.0));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(db)
        .await?
        .map(to_record)
        .filter(|c| Visibility::for_viewer(viewer).admits(&c.facts()))
        .ok_or(StoreError::NotFound("contact"))
}

/// Writes a new contact (with its search tokens, count and "created" entry) in the caller's
/// transaction; the owner is already checked.
pub(crate) async fn create_contact_in(
    txn: &sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    data: &ContactData,
    owner: UserId,
    office: OfficeId,
) -> Result<ContactRecord, StoreError> {
    let company = viewer.company_id;
    let id = ContactId::new();
    let am = new_contact(company, viewer.user_id, id, owner, office, Utc::now(), data);
    let m = contacts::Entity::insert(am).exec_with_returning(txn).await?;
    let record = to_record(m);
    index::insert_tokens(txn, company, &[(id, data, record.placement())]).await?;
    index::count(txn, company, record.placement(), 1).await?;
    add_timeline(
        txn,
        company,
        id,
        TimelineEvent::new("created", json!({"kind": data.kind.as_str()})),
        Some(viewer.user_id),
    )
    .await?;
    Ok(record)
}

/// A new contact to write with others: its id, what it holds, who owns it (in which office) and
/// who created it.
pub(crate) struct NewContact<'a> {
    pub id: ContactId,
    pub data: &'a ContactData,
    pub owner: UserId,
    pub office: OfficeId,
    pub created_by: UserId,
}

/// Writes new contacts of one company with their search tokens and counts, a few statements for
/// all of them (in the caller's transaction; the owners are already checked, and the caller
/// writes the timeline entries they start with).
pub(crate) async fn insert_contacts(
    db: &impl ConnectionTrait,
    company: CompanyId,
    rows: &[NewContact<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let placed: Vec<(ContactId, &ContactData, Placement)> = rows
        .iter()
        .map(|r| {
            let class = class_of(r.data.kind, false, false);
            (
                r.id,
                r.data,
                Placement {
                    owner: r.owner,
                    office: r.office,
                    class,
                },
            )
        })
        .collect();
    let new_contacts = rows
        .iter()
        .map(|r| new_contact(company, r.created_by, r.id, r.owner, r.office, now, r.data))
        .collect();
    // 26 columns: 500 rows stay under SQLite's 32,766 values a statement.
    insert_rows(db, new_contacts, 500).await?;
    index::insert_tokens(db, company, &placed).await?;
    let mut counts: std::collections::HashMap<Placement, i64> = std::collections::HashMap::new();
    for (_, _, place) in &placed {
        *counts.entry(*place).or_default() += 1;
    }
    index::count_many(db, company, counts.into_iter().collect()).await
}

/// Moves everything a user owns to the user's new office: contacts (whose office is their
/// owner's), with their search entries and counts, the listings they broker and the demands
/// they handle.
pub(crate) async fn follow_owner_office(
    db: &impl ConnectionTrait,
    company: CompanyId,
    user: UserId,
    office: OfficeId,
) -> Result<(), StoreError> {
    use crate::entities::{contact_counts, contact_tokens, demands, properties};
    contacts::Entity::update_many()
        .col_expr(contacts::Column::OfficeId, Expr::value(office.0))
        .filter(contacts::Column::CompanyId.eq(company.0))
        .filter(contacts::Column::OwnerId.eq(user.0))
        .exec(db)
        .await?;
    contact_tokens::Entity::update_many()
        .col_expr(contact_tokens::Column::OfficeId, Expr::value(Some(office.0)))
        .filter(contact_tokens::Column::CompanyId.eq(company.0))
        .filter(contact_tokens::Column::OwnerId.eq(user.0))
        .exec(db)
        .await?;
    contact_counts::Entity::update_many()
        .col_expr(contact_counts::Column::OfficeId, Expr::value(office.0))
        .filter(contact_counts::Column::CompanyId.eq(company.0))
        .filter(contact_counts::Column::OwnerId.eq(user.0))
        .exec(db)
        .await?;
    properties::Entity::update_many()
        .col_expr(properties::Column::OfficeId, Expr::value(office.0))
        .filter(properties::Column::CompanyId.eq(company.0))
        .filter(properties::Column::BrokerId.eq(user.0))
        .exec(db)
        .await?;
    demands::Entity::update_many()
        .col_expr(demands::Column::OfficeId, Expr::value(office.0))
        .filter(demands::Column::CompanyId.eq(company.0))
        .filter(demands::Column::BrokerId.eq(user.0))
        .exec(db)
        .await?;
    Ok(())
}

impl Store {
    /// A contact the viewer may see; `NotFound` otherwise. Read by its key and checked by the
    /// policy in memory, so the plan is a key lookup whatever the statistics say.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    pub async fn contact(&self, viewer: &Viewer, id: ContactId) -> Result<ContactRecord, StoreError> {
        contacts::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .map(to_record)
            .filter(|c| Visibility::for_viewer(viewer).admits(&c.facts()))
            .ok_or(StoreError::NotFound("contact"))
    }

    /// Creates a contact owned by `owner` (in the owner's office). The viewer may name another
    /// owner only as far as their rights reach (see `can_assign_owner`).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_contact(&self, viewer: &Viewer, data: &ContactData, owner: UserId) -> Result<ContactRecord, StoreError> {
        let company = viewer.company_id;
        let owner_user = self
            .user(company, owner)
            .await
            .map_err(|_| StoreError::invalid("owner_id", "unknown_user", "no such user in this company"))?;
        if !can_assign_owner(viewer, owner, owner_user.office_id) {
            return Err(StoreError::invalid(
                "owner_id",
                "owner_not_allowed",
                "your rights do not let you give contacts to that colleague",
            ));
        }
        if !owner_user.active || !owner_user.permissions.work_with_clients {
            return Err(StoreError::invalid(
                "owner_id",
                "cannot_own",
                "that colleague cannot work with clients",
            ));
        }
        let txn = self.write().await?;
        let record = create_contact_in(&txn, viewer, data, owner, owner_user.office_id).await?;
        txn.commit().await?;
        Ok(record)
    }

    /// Replaces a visible contact's data.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    pub async fn update_contact(&self, viewer: &Viewer, id: ContactId, data: &ContactData) -> Result<ContactRecord, StoreError> {
        let company = viewer.company_id;
        let txn = self.write().await?;
        let current = lock_contact(&txn, viewer, id).await?;
        let mut am = contacts::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            class: Set(class_of(data.kind, current.on_offer, current.on_demand)),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        data_columns(&mut am, data);
        let record = to_record(contacts::Entity::update(am).exec(&txn).await?);
        index::delete_tokens(&txn, company, id).await?;
        index::insert_tokens(&txn, company, &[(id, data, record.placement())]).await?;
        if current.placement() != record.placement() {
            index::count(&txn, company, current.placement(), -1).await?;
            index::count(&txn, company, record.placement(), 1).await?;
        }
        let old = &current.data;
        let mut changed = Vec::new();
        if old.kind != data.kind {
            changed.push("kind");
        }
        if old.display_name() != data.display_name() {
            changed.push("name");
        }
        if old.phones != data.phones {
            changed.push("phones");
        }
        if old.emails != data.emails {
            changed.push("emails");
        }
        if (&old.street, &old.postal_code, &old.city, &old.country) != (&data.street, &data.postal_code, &data.city, &data.country) {
            changed.push("address");
        }
        if old.opted_out != data.opted_out {
            changed.push("opted_out");
        }
        add_timeline(
            &txn,
            company,
            id,
            TimelineEvent::new("updated", json!({"fields": changed})),
            Some(viewer.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(record)
    }

    /// Recomputes a contact's sides (seller of a listing; buyer, or a demand) after its parties
    /// or demands changed, in the same transaction, with its class, counts and search entries.
    pub(crate) async fn refresh_sides(db: &impl ConnectionTrait, company: CompanyId, id: ContactId) -> Result<(), StoreError> {
        use crate::entities::{demands, property_parties};
        use sea_orm::PaginatorTrait;
        let roles: Vec<crm_domain::properties::PartyRole> = property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::ContactId.eq(id.0))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|p| crm_domain::properties::PartyRole::parse(&p.role))
            .collect();
        let has_demand = demands::Entity::find()
            .filter(demands::Column::CompanyId.eq(company.0))
            .filter(demands::Column::ContactId.eq(id.0))
            .filter(demands::Column::Active.eq(true))
            .count(db)
            .await?
            > 0;
        let (on_offer, on_demand) = crm_domain::properties::sides(&roles, has_demand);
        let current = contacts::Entity::find_by_id((company.0, id.0))
            .one(db)
            .await?
            .map(to_record)
            .ok_or(StoreError::NotFound("contact"))?;
        if (current.on_offer, current.on_demand) == (on_offer, on_demand) {
            return Ok(());
        }
        let before = current.placement();
        let after = Placement {
            class: class_of(current.data.kind, on_offer, on_demand),
            ..before
        };
        contacts::Entity::update_many()
            .col_expr(contacts::Column::Side, Expr::value(i16::from(on_offer) + 2 * i16::from(on_demand)))
            .col_expr(contacts::Column::Class, Expr::value(after.class))
            .filter(contacts::Column::CompanyId.eq(company.0))
            .filter(contacts::Column::Id.eq(id.0))
            .exec(db)
            .await?;
        index::place_tokens(db, company, id, after).await?;
        index::count(db, company, before, -1).await?;
        index::count(db, company, after, 1).await?;
        Ok(())
    }

    /// Contacts of a company by id, unfiltered, in no particular order: for labelling parties
    /// after a visibility check, and for pages whose ids were chosen by an index.
    pub(crate) async fn contacts_by_id(&self, company: CompanyId, ids: Vec<Uuid>) -> Result<Vec<ContactRecord>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        // Bounded statements, whatever the number of ids.
        for chunk in ids.chunks(500) {
            let statement = by_keys(self.db.get_database_backend(), "contacts", "id", company.0, chunk, 1);
            let rows = contacts::Entity::find().from_raw_sql(statement).all(&self.db).await?;
            out.extend(rows.into_iter().map(to_record));
        }
        Ok(out)
    }

    /// The search index is rebuilt for contacts written before it existed (after migrating).
    pub(crate) async fn backfill_search_index(&self) -> Result<u64, StoreError> {
        index::backfill(self).await
    }
}
