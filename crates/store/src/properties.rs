//! Listings, their parties, and buyers' demands. Everyone who works with clients reads them;
//! changes follow the offer scope (listings) and the demand scope (demands), see
//! `crm_domain::permissions`. Changing parties or demands updates the contact's sides, which
//! visibility reads, in the same transaction.

use chrono::{DateTime, Utc};
use crm_domain::contacts::Country;
use crm_domain::permissions::{Viewer, can_edit_demand, can_edit_listing, can_read_listings};
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus, area_words, change_status};
use crm_domain::{CompanyId, ContactId, DemandId, OfficeId, PropertyId, UserId};
use sea_orm::{
    ActiveValue, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::contacts::{ContactRecord, TimelineEvent, add_timeline, lock_contact};
use crate::entities::{demands, properties, property_parties};
use crate::sql::{Sql, by_keys};
use crate::{Store, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};

/// A listing's fields, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyData {
    /// The listing's number as websites show it, unique in the company; a new listing without
    /// one gets the company's next number, and a change without one keeps it.
    pub reference: Option<String>,
    pub kind: PropertyKind,
    pub status: PropertyStatus,
    pub street: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub country: Country,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub price: Option<i64>,
    pub living_area: Option<f64>,
    pub rooms: Option<f64>,
    pub bedrooms: Option<i32>,
    pub parking_spaces: Option<i32>,
    pub neighbourhood: Option<String>,
    pub condominium: Option<String>,
    pub advertised: bool,
    pub broker_id: Option<UserId>,
    /// When the purchase contract was signed and when the buyer takes over (sold listings).
    pub contract_date: Option<chrono::NaiveDate>,
    pub access_date: Option<chrono::NaiveDate>,
}

/// A stored listing.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyRecord {
    pub id: PropertyId,
    pub data: PropertyData,
    pub broker_id: UserId,
    pub office_id: OfficeId,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Parties visible to the viewer.
    pub parties: Vec<(ContactRecord, PartyRole)>,
}

impl PropertyRecord {
    pub fn title(&self) -> String {
        format!("{}, {}", self.data.street, self.data.city)
    }
}

/// A page of listings, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyPage {
    pub items: Vec<PropertyRecord>,
    /// The id after which the next page starts.
    pub next: Option<Uuid>,
    pub total: u64,
    /// False when there are more listings than are counted exactly.
    pub total_exact: bool,
}

/// Filters of the listing list.
#[derive(Debug, Clone, Default)]
pub struct PropertyFilter {
    pub status: Option<PropertyStatus>,
    pub broker_id: Option<UserId>,
    pub reference: Option<String>,
}

/// Listings are counted exactly up to this many; beyond, the total says "at least".
const COUNT_CAP: u64 = 10_000;

/// A buyer's request.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandRecord {
    pub id: DemandId,
    pub contact_id: ContactId,
    pub broker_id: UserId,
    pub office_id: OfficeId,
    pub kind: Option<PropertyKind>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_rooms: Option<f64>,
    pub area: Option<String>,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A demand's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DemandData {
    pub contact_id: ContactId,
    pub kind: Option<PropertyKind>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_rooms: Option<f64>,
    pub area: Option<String>,
    pub note: Option<String>,
    /// False closes the demand (the buyer found a home or gave up).
    pub active: bool,
}

fn to_demand(m: demands::Model) -> DemandRecord {
    DemandRecord {
        id: m.id.into(),
        contact_id: m.contact_id.into(),
        broker_id: m.broker_id.into(),
        office_id: m.office_id.into(),
        kind: m.kind.as_deref().and_then(PropertyKind::parse),
        min_price: m.min_price,
        max_price: m.max_price,
        min_rooms: m.min_rooms,
        area: m.area,
        note: m.note,
        active: m.active,
        created_at: m.created_at,
    }
}

fn property_data(m: &properties::Model) -> PropertyData {
    // Stored codes were validated on the way in; an unknown one reads as the company default.
    let country = Country::parse(&m.country).ok();
    PropertyData {
        reference: m.reference.clone(),
        kind: PropertyKind::parse(&m.kind).unwrap_or(PropertyKind::Apartment),
        status: PropertyStatus::parse(&m.status).unwrap_or(PropertyStatus::CustomerProcessing),
        street: m.street.clone(),
        city: m.city.clone(),
        postal_code: m.postal_code.clone(),
        country: country.unwrap_or(Country::SWEDEN),
        lat: m.lat,
        lon: m.lon,
        price: m.price,
        living_area: m.living_area,
        rooms: m.rooms,
        bedrooms: m.bedrooms,
        parking_spaces: m.parking_spaces,
        neighbourhood: m.neighbourhood.clone(),
        condominium: m.condominium.clone(),
        advertised: m.advertised,
        broker_id: Some(m.broker_id.into()),
        contract_date: m.contract_date,
        access_date: m.access_date,
    }
}

fn data_columns(am: &mut properties::ActiveModel, d: &PropertyData) {
    if let Some(r) = &d.reference {
        am.reference = Set(Some(r.clone()));
    }
    am.kind = Set(d.kind.as_str().to_owned());
    am.status = Set(d.status.as_str().to_owned());
    am.street = Set(d.street.clone());
    am.city = Set(d.city.clone());
    am.postal_code = Set(d.postal_code.clone());
    am.country = Set(d.country.code());
    am.lat = Set(d.lat);
    am.lon = Set(d.lon);
    am.price = Set(d.price);
    am.living_area = Set(d.living_area);
    am.rooms = Set(d.rooms);
    am.bedrooms = Set(d.bedrooms);
    am.parking_spaces = Set(d.parking_spaces);
    am.neighbourhood = Set(d.neighbourhood.clone());
    am.condominium = Set(d.condominium.clone());
    am.advertised = Set(d.advertised);
    am.contract_date = Set(d.contract_date);
    am.access_date = Set(d.access_date);
}

/// Reads a listing row in a write transaction, locked on PostgreSQL until the write is done.
async fn lock_listing(db: &impl ConnectionTrait, company: CompanyId, id: PropertyId) -> Result<properties::Model, StoreError> {
    let mut q = properties::Entity::find_by_id((company.0, id.0));
    if db.get_database_backend() == DatabaseBackend::Postgres {
        q = q.lock_exclusive();
    }
    q.one(db).await?.ok_or(StoreError::NotFound("property"))
}

/// A reference another listing of the company has.
fn reference_taken(e: sea_orm::DbErr) -> StoreError {
    match StoreError::from(e) {
        StoreError::Conflict { .. } => StoreError::Conflict {
            field: Some("reference"),
            message: "another listing of the company has this reference".into(),
        },
        other => other,
    }
}

/// The next value of one of a company's counters, counted in the caller's transaction.
pub(crate) async fn next_number(db: &impl ConnectionTrait, company: CompanyId, counter: &str) -> Result<i64, StoreError> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("INSERT INTO company_counters (company_id, name, value) VALUES (")
        .bind(company.0)
        .push(", ")
        .bind(counter)
        .push(", 1) ON CONFLICT (company_id, name) DO UPDATE SET value = company_counters.value + 1 RETURNING value");
    let row = db
        .query_one_raw(sql.statement())
        .await?
        .ok_or_else(|| StoreError::Internal("a counter gave no value".into()))?;
    Ok(row.try_get::<i64>("", "value")?)
}

/// Inserts a new listing in the caller's transaction, with the company's next free number as
/// its reference when it has none.
pub(crate) async fn insert_listing(
    db: &impl ConnectionTrait,
    company: CompanyId,
    mut am: properties::ActiveModel,
) -> Result<(), StoreError> {
    let given = matches!(&am.reference, ActiveValue::Set(Some(_)));
    if !given {
        // Numbers a user gave other listings by hand are skipped.
        let mut tries = 0;
        let reference = loop {
            let candidate = next_number(db, company, "listing_reference").await?.to_string();
            let taken = properties::Entity::find()
                .filter(properties::Column::CompanyId.eq(company.0))
                .filter(properties::Column::Reference.eq(candidate.as_str()))
                .count(db)
                .await?
                > 0;
            tries += 1;
            if !taken || tries >= 1000 {
                break candidate;
            }
        };
        am.reference = Set(Some(reference));
    }
    properties::Entity::insert(am)
        .exec_without_returning(db)
        .await
        .map_err(reference_taken)?;
    Ok(())
}

/// Makes a contact a party of a listing in the caller's transaction (its sides and timeline
/// follow); false when it already was.
pub(crate) async fn add_party_in(
    txn: &impl ConnectionTrait,
    company: CompanyId,
    property: PropertyId,
    title: &str,
    contact: ContactId,
    role: PartyRole,
    by: UserId,
) -> Result<bool, StoreError> {
    let existing = property_parties::Entity::find()
        .filter(property_parties::Column::CompanyId.eq(company.0))
        .filter(property_parties::Column::PropertyId.eq(property.0))
        .count(txn)
        .await?;
    if existing >= MAX_PARTIES {
        return Err(StoreError::invalid(
            "contact_id",
            "too_many_parties",
            format!("a listing has at most {MAX_PARTIES} parties"),
        ));
    }
    let inserted = property_parties::Entity::insert(property_parties::ActiveModel {
        company_id: Set(company.0),
        property_id: Set(property.0),
        contact_id: Set(contact.0),
        role: Set(role.as_str().to_owned()),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            property_parties::Column::CompanyId,
            property_parties::Column::PropertyId,
            property_parties::Column::ContactId,
            property_parties::Column::Role,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    Store::refresh_sides(txn, company, contact).await?;
    add_timeline(
        txn,
        company,
        contact,
        TimelineEvent::new("party_added", json!({"role": role.as_str(), "listing": title})).about_property(property),
        Some(by),
    )
    .await?;
    Ok(true)
}

fn forbidden_listing() -> StoreError {
    StoreError::Forbidden("your rights do not reach this listing")
}

impl Store {
    /// Creates a listing; its broker defaults to the viewer. Naming another broker is allowed as
    /// far as the viewer's offer scope reaches.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_property(&self, viewer: &Viewer, data: &PropertyData, currency: &str) -> Result<PropertyRecord, StoreError> {
        let (id, am) = self.new_property(viewer, data, currency).await?;
        let txn = self.write().await?;
        insert_listing(&txn, viewer.company_id, am).await?;
        txn.commit().await?;
        self.property(viewer, id).await
    }

    /// A new listing's row, checked against the viewer's rights, for the caller to insert (in
    /// its own transaction, when the listing is made in the same step as something else).
    pub(crate) async fn new_property(
        &self,
        viewer: &Viewer,
        data: &PropertyData,
        currency: &str,
    ) -> Result<(PropertyId, properties::ActiveModel), StoreError> {
        let broker = self
            .user(viewer.company_id, data.broker_id.unwrap_or(viewer.user_id))
            .await
            .map_err(|_| StoreError::invalid("broker_id", "unknown_user", "no such broker in this company"))?;
        if !can_edit_listing(viewer, broker.id, broker.office_id) {
            return Err(if can_read_listings(viewer) {
                StoreError::invalid(
                    "broker_id",
                    "broker_not_allowed",
                    "your rights do not let you give listings to that colleague",
                )
            } else {
                forbidden_listing()
            });
        }
        let now = Utc::now();
        let id = PropertyId::new();
        let mut am = properties::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id.0),
            currency: Set(currency.to_owned()),
            broker_id: Set(broker.id.0),
            office_id: Set(broker.office_id.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        data_columns(&mut am, data);
        Ok((id, am))
    }

    /// Replaces a listing's fields; the viewer's rights must reach the listing (and its new
    /// broker), and the status change must be allowed.
    #[tracing::instrument(level = "debug", skip_all, fields(property = %id))]
    pub async fn update_property(&self, viewer: &Viewer, id: PropertyId, data: &PropertyData) -> Result<PropertyRecord, StoreError> {
        let company = viewer.company_id;
        let broker = match data.broker_id {
            Some(b) => Some(
                self.user(company, b)
                    .await
                    .map_err(|_| StoreError::invalid("broker_id", "unknown_user", "no such broker in this company"))?,
            ),
            None => None,
        };
        let txn = self.write().await?;
        let current = lock_listing(&txn, company, id).await?;
        if !can_read_listings(viewer) {
            return Err(StoreError::NotFound("property"));
        }
        if !can_edit_listing(viewer, current.broker_id.into(), current.office_id.into()) {
            return Err(forbidden_listing());
        }
        let (broker_id, office_id) = match &broker {
            Some(b) => {
                if b.id.0 != current.broker_id && !can_edit_listing(viewer, b.id, b.office_id) {
                    return Err(StoreError::invalid(
                        "broker_id",
                        "broker_not_allowed",
                        "your rights do not let you give listings to that colleague",
                    ));
                }
                (b.id.0, b.office_id.0)
            }
            None => (current.broker_id, current.office_id),
        };
        let from = PropertyStatus::parse(&current.status).unwrap_or(PropertyStatus::CustomerProcessing);
        change_status(from, data.status).map_err(|e| StoreError::invalid("status", "invalid_status_change", e.to_string()))?;
        let mut am = properties::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            broker_id: Set(broker_id),
            office_id: Set(office_id),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        data_columns(&mut am, data);
        let updated = properties::Entity::update(am).exec(&txn).await.map_err(reference_taken)?;
        let newly_dated = current.status != updated.status || current.access_date != updated.access_date;
        if newly_dated && updated.status == PropertyStatus::Sold.as_str() && updated.access_date.is_some() {
            // Buyers and sellers are followed up after access (each once per access date).
            let parties = Store::parties_in(&txn, company, id).await?;
            Store::access_follow_ups(&txn, company, &updated, &parties).await?;
        }
        txn.commit().await?;
        self.property(viewer, id).await
    }

    /// A listing of the viewer's company, with the parties the viewer may see.
    #[tracing::instrument(level = "debug", skip_all, fields(property = %id))]
    pub async fn property(&self, viewer: &Viewer, id: PropertyId) -> Result<PropertyRecord, StoreError> {
        if !can_read_listings(viewer) {
            return Err(StoreError::NotFound("property"));
        }
        let m = properties::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("property"))?;
        let mut records = self.with_parties(viewer, vec![m]).await?;
        records.pop().ok_or(StoreError::NotFound("property"))
    }

    /// A page of the company's listings, newest first, after the listing `after`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_properties(
        &self,
        viewer: &Viewer,
        filter: PropertyFilter,
        after: Option<PropertyId>,
        limit: u64,
    ) -> Result<PropertyPage, StoreError> {
        if !can_read_listings(viewer) {
            return Ok(PropertyPage {
                items: Vec::new(),
                next: None,
                total: 0,
                total_exact: true,
            });
        }
        let mut q = properties::Entity::find().filter(properties::Column::CompanyId.eq(viewer.company_id.0));
        if let Some(s) = filter.status {
            q = q.filter(properties::Column::Status.eq(s.as_str()));
        }
        if let Some(b) = filter.broker_id {
            q = q.filter(properties::Column::BrokerId.eq(b.0));
        }
        if let Some(r) = filter.reference {
            q = q.filter(properties::Column::Reference.eq(r));
        }
        let counted = q
            .clone()
            .select_only()
            .column(properties::Column::Id)
            .limit(COUNT_CAP + 1)
            .into_tuple::<Uuid>()
            .all(&self.db)
            .await?
            .len() as u64;
        if let Some(a) = after {
            q = q.filter(properties::Column::Id.lt(a.0));
        }
        let mut rows = q.order_by_desc(properties::Column::Id).limit(limit + 1).all(&self.db).await?;
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id)
        } else {
            None
        };
        Ok(PropertyPage {
            items: self.with_parties(viewer, rows).await?,
            next,
            total: counted.min(COUNT_CAP),
            total_exact: counted <= COUNT_CAP,
        })
    }

    async fn with_parties(&self, viewer: &Viewer, rows: Vec<properties::Model>) -> Result<Vec<PropertyRecord>, StoreError> {
        let ids: Vec<_> = rows.iter().map(|r| r.id).collect();
        let parties = if ids.is_empty() {
            Vec::new()
        } else {
            let statement = by_keys(
                self.db.get_database_backend(),
                "property_parties",
                "property_id",
                viewer.company_id.0,
                &ids,
                MAX_PARTIES,
            );
            let mut parties = property_parties::Entity::find().from_raw_sql(statement).all(&self.db).await?;
            parties.sort_by_key(|p| p.created_at);
            parties
        };
        let contact_ids = parties.iter().map(|p| p.contact_id).collect();
        let visibility = crm_domain::permissions::Visibility::for_viewer(viewer);
        let contacts: Vec<ContactRecord> = self
            .contacts_by_id(viewer.company_id, contact_ids)
            .await?
            .into_iter()
            .filter(|c| visibility.admits(&c.facts()))
            .collect();
        Ok(rows
            .into_iter()
            .map(|m| PropertyRecord {
                id: m.id.into(),
                data: property_data(&m),
                broker_id: m.broker_id.into(),
                office_id: m.office_id.into(),
                currency: m.currency.clone(),
                created_at: m.created_at,
                parties: parties
                    .iter()
                    .filter(|p| p.property_id == m.id)
                    .filter_map(|p| {
                        Some((
                            contacts.iter().find(|c| c.id.0 == p.contact_id)?.clone(),
                            PartyRole::parse(&p.role)?,
                        ))
                    })
                    .collect(),
            })
            .collect())
    }

    /// Makes a visible contact a seller or buyer of a listing the viewer's rights reach.
    #[tracing::instrument(level = "debug", skip_all, fields(property = %property, contact = %contact))]
    pub async fn add_party(
        &self,
        viewer: &Viewer,
        property: PropertyId,
        contact: ContactId,
        role: PartyRole,
    ) -> Result<PropertyRecord, StoreError> {
        let company = viewer.company_id;
        let txn = self.write().await?;
        let listing = lock_listing(&txn, company, property).await?;
        if !can_edit_listing(viewer, listing.broker_id.into(), listing.office_id.into()) {
            return Err(if can_read_listings(viewer) {
                forbidden_listing()
            } else {
                StoreError::NotFound("property")
            });
        }
        lock_contact(&txn, viewer, contact)
            .await
            .map_err(|_| StoreError::invalid("contact_id", "unknown_contact", "no such contact"))?;
        let title = format!("{}, {}", listing.street, listing.city);
        if !add_party_in(&txn, company, property, &title, contact, role, viewer.user_id).await? {
            return Err(StoreError::Conflict {
                field: Some("contact_id"),
                message: format!("the contact is already {} of this listing", role.as_str()),
            });
        }
        txn.commit().await?;
        self.property(viewer, property).await
    }

    /// Removes a party from a listing the viewer's rights reach.
    #[tracing::instrument(level = "debug", skip_all, fields(property = %property, contact = %contact))]
    pub async fn remove_party(&self, viewer: &Viewer, property: PropertyId, contact: ContactId, role: PartyRole) -> Result<(), StoreError> {
        let company = viewer.company_id;
        let txn = self.write().await?;
        let listing = lock_listing(&txn, company, property).await?;
        if !can_edit_listing(viewer, listing.broker_id.into(), listing.office_id.into()) {
            return Err(if can_read_listings(viewer) {
                forbidden_listing()
            } else {
                StoreError::NotFound("property")
            });
        }
        lock_contact(&txn, viewer, contact).await?;
        let res = property_parties::Entity::delete_by_id((company.0, property.0, contact.0, role.as_str().to_owned()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound("party"));
        }
        Self::refresh_sides(&txn, company, contact).await?;
        let title = format!("{}, {}", listing.street, listing.city);
        add_timeline(
            &txn,
            company,
            contact,
            TimelineEvent::new("party_removed", json!({"role": role.as_str(), "listing": title})).about_property(property),
            Some(viewer.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Listings a visible contact is a party of: (listing id, title, status, role).
    pub async fn contact_properties(
        &self,
        viewer: &Viewer,
        contact: ContactId,
    ) -> Result<Vec<(PropertyId, String, PropertyStatus, PartyRole)>, StoreError> {
        self.contact(viewer, contact).await?;
        let company = viewer.company_id;
        let parties = property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::ContactId.eq(contact.0))
            .limit(MAX_PARTIES)
            .all(&self.db)
            .await?;
        let ids: Vec<_> = parties.iter().map(|p| p.property_id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let statement = by_keys(self.db.get_database_backend(), "properties", "id", company.0, &ids, 1);
        let listings = properties::Entity::find().from_raw_sql(statement).all(&self.db).await?;
        Ok(parties
            .iter()
            .filter_map(|p| {
                let l = listings.iter().find(|l| l.id == p.property_id)?;
                let d = property_data(l);
                Some((
                    PropertyId(l.id),
                    format!("{}, {}", d.street, d.city),
                    d.status,
                    PartyRole::parse(&p.role)?,
                ))
            })
            .collect())
    }

    pub(crate) async fn is_party(&self, company: CompanyId, property: PropertyId, contact: ContactId) -> Result<bool, StoreError> {
        Ok(property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::PropertyId.eq(property.0))
            .filter(property_parties::Column::ContactId.eq(contact.0))
            .count(&self.db)
            .await?
            > 0)
    }

    pub(crate) async fn demand_belongs_to(&self, company: CompanyId, demand: DemandId, contact: ContactId) -> Result<bool, StoreError> {
        Ok(demands::Entity::find_by_id((company.0, demand.0))
            .one(&self.db)
            .await?
            .is_some_and(|d| d.contact_id == contact.0))
    }

    /// Records a buyer's request for a visible contact, handled by the viewer.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_demand(&self, viewer: &Viewer, data: &DemandData) -> Result<DemandRecord, StoreError> {
        check_prices(data)?;
        let company = viewer.company_id;
        let id = DemandId::new();
        let txn = self.write().await?;
        lock_contact(&txn, viewer, data.contact_id)
            .await
            .map_err(|_| StoreError::invalid("contact_id", "unknown_contact", "no such contact"))?;
        let open = demands::Entity::find()
            .filter(demands::Column::CompanyId.eq(company.0))
            .filter(demands::Column::ContactId.eq(data.contact_id.0))
            .count(&txn)
            .await?;
        if open >= MAX_DEMANDS {
            return Err(StoreError::invalid(
                "contact_id",
                "too_many_demands",
                format!("a contact has at most {MAX_DEMANDS} demands"),
            ));
        }
        let m = demands::Entity::insert(demands::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            contact_id: Set(data.contact_id.0),
            broker_id: Set(viewer.user_id.0),
            office_id: Set(viewer.office_id.0),
            kind: Set(data.kind.map(|k| k.as_str().to_owned())),
            min_price: Set(data.min_price),
            max_price: Set(data.max_price),
            min_rooms: Set(data.min_rooms),
            area: Set(data.area.clone()),
            note: Set(data.note.clone()),
            active: Set(data.active),
            created_at: Set(Utc::now()),
            words: Set(joined_words(data.area.as_deref())),
        })
        .exec_with_returning(&txn)
        .await?;
        index_demand_words(&txn, &m, None).await?;
        Self::refresh_sides(&txn, company, data.contact_id).await?;
        add_timeline(
            &txn,
            company,
            data.contact_id,
            TimelineEvent::new("demand_created", json!({"area": data.area})).about_demand(id),
            Some(viewer.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(to_demand(m))
    }

    /// A demand, when its contact is visible.
    pub async fn demand(&self, viewer: &Viewer, id: DemandId) -> Result<DemandRecord, StoreError> {
        let d = demands::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .map(to_demand)
            .ok_or(StoreError::NotFound("demand"))?;
        self.contact(viewer, d.contact_id)
            .await
            .map_err(|_| StoreError::NotFound("demand"))?;
        Ok(d)
    }

    /// Changes a demand (or closes it) as far as the viewer's demand scope reaches.
    #[tracing::instrument(level = "debug", skip_all, fields(demand = %id))]
    pub async fn update_demand(&self, viewer: &Viewer, id: DemandId, data: &DemandData) -> Result<DemandRecord, StoreError> {
        check_prices(data)?;
        let company = viewer.company_id;
        let txn = self.write().await?;
        let mut q = demands::Entity::find_by_id((company.0, id.0));
        if txn.get_database_backend() == DatabaseBackend::Postgres {
            q = q.lock_exclusive();
        }
        let current = q.one(&txn).await?.ok_or(StoreError::NotFound("demand"))?;
        lock_contact(&txn, viewer, current.contact_id.into())
            .await
            .map_err(|_| StoreError::NotFound("demand"))?;
        if current.contact_id != data.contact_id.0 {
            return Err(StoreError::invalid(
                "contact_id",
                "cannot_move",
                "a demand stays with its contact; create one for the other contact",
            ));
        }
        if !can_edit_demand(viewer, current.broker_id.into(), current.office_id.into()) {
            return Err(StoreError::Forbidden("your rights do not reach this demand"));
        }
        let m = demands::Entity::update(demands::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            kind: Set(data.kind.map(|k| k.as_str().to_owned())),
            min_price: Set(data.min_price),
            max_price: Set(data.max_price),
            min_rooms: Set(data.min_rooms),
            area: Set(data.area.clone()),
            note: Set(data.note.clone()),
            active: Set(data.active),
            words: Set(joined_words(data.area.as_deref())),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        index_demand_words(&txn, &m, current.area.as_deref()).await?;
        Self::refresh_sides(&txn, company, data.contact_id).await?;
        txn.commit().await?;
        Ok(to_demand(m))
    }

    /// A visible contact's demands, newest first.
    pub async fn contact_demands(&self, viewer: &Viewer, contact: ContactId) -> Result<Vec<DemandRecord>, StoreError> {
        self.contact(viewer, contact).await?;
        Ok(demands::Entity::find()
            .filter(demands::Column::CompanyId.eq(viewer.company_id.0))
            .filter(demands::Column::ContactId.eq(contact.0))
            .order_by_desc(demands::Column::CreatedAt)
            .limit(MAX_DEMANDS)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_demand)
            .collect())
    }
}

/// Parties of one listing at most (sellers, buyers, co-owners: a few; the bound keeps pages
/// bounded).
pub const MAX_PARTIES: u64 = 50;

/// Demands of one contact at most.
pub const MAX_DEMANDS: u64 = 50;

/// `demands.words`: the area's words, space-separated (none without an area).
fn joined_words(area: Option<&str>) -> Option<String> {
    area.map(|a| area_words(a).join(" "))
}

/// Keeps a demand's rows in `demand_words` in step with it: those of its previous area out,
/// one per word of its area in, each carrying what a segment checks of the demand.
pub(crate) async fn index_demand_words(
    db: &impl ConnectionTrait,
    m: &demands::Model,
    previous_area: Option<&str>,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let old = area_words(previous_area.unwrap_or_default());
    if !old.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push("DELETE FROM demand_words WHERE company_id = ")
            .bind(m.company_id)
            .push(" AND word IN ")
            .bind_list(old)
            .push(" AND demand_id = ")
            .bind(m.id);
        db.execute_raw(sql.statement()).await?;
    }
    let words = area_words(m.area.as_deref().unwrap_or_default());
    if words.is_empty() {
        return Ok(());
    }
    let joined = words.join(" ");
    let mut sql = Sql::new(backend);
    sql.push("INSERT INTO demand_words (company_id, word, demand_id, contact_id, active, min_price, max_price, words) VALUES ");
    for (i, w) in words.into_iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" })
            .bind(m.company_id)
            .push(", ")
            .bind(w)
            .push(", ")
            .bind(m.id)
            .push(", ")
            .bind(m.contact_id)
            .push(", ")
            .bind(m.active)
            .push(", ")
            .bind(m.min_price)
            .push(", ")
            .bind(m.max_price)
            .push(", ")
            .bind(joined.clone())
            .push(")");
    }
    db.execute_raw(sql.statement()).await?;
    Ok(())
}

impl Store {
    /// Indexes the area words of demands stored before segments read them (after migrating).
    pub(crate) async fn backfill_demand_words(&self) -> Result<u64, StoreError> {
        let mut done = 0;
        loop {
            let rows = demands::Entity::find()
                .filter(demands::Column::Area.is_not_null())
                .filter(demands::Column::Words.is_null())
                .limit(1000)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                return Ok(done);
            }
            let txn = self.write().await?;
            for mut m in rows {
                index_demand_words(&txn, &m, m.area.as_deref()).await?;
                m.words = joined_words(m.area.as_deref());
                demands::Entity::update_many()
                    .col_expr(demands::Column::Words, Expr::value(m.words.clone()))
                    .filter(demands::Column::CompanyId.eq(m.company_id))
                    .filter(demands::Column::Id.eq(m.id))
                    .exec(&txn)
                    .await?;
                done += 1;
            }
            txn.commit().await?;
        }
    }
}

fn check_prices(data: &DemandData) -> Result<(), StoreError> {
    if let (Some(lo), Some(hi)) = (data.min_price, data.max_price)
        && lo > hi
    {
        return Err(StoreError::invalid(
            "max_price",
            "invalid_range",
            "the maximum price is below the minimum",
        ));
    }
    Ok(())
}
