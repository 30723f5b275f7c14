//! Contacts: the visibility filter, reads (get, list, count, export, lookup), writes, the
//! timeline and hand-over.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crm_domain::contacts::{ContactData, ContactKind, Country, Email, GeoPoint, LookupQuery, Phone, SearchTokenKind};
use crm_domain::permissions::{Clause, ContactFacts, Side, Viewer, Visibility};
use crm_domain::{CompanyId, ContactId, DemandId, OfficeId, PropertyId, TimelineEntryId, UserId, text};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::{contact_tokens, contacts, timeline_entries};
use crate::{Store, StoreError, prefix_upper};

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
}

/// A timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRecord {
    pub id: TimelineEntryId,
    pub contact_id: ContactId,
    pub kind: String,
    pub body: String,
    pub property_id: Option<PropertyId>,
    pub demand_id: Option<DemandId>,
    pub author_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// How a contact list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactSort {
    #[default]
    NameAsc,
    NameDesc,
    CreatedAsc,
    CreatedDesc,
    UpdatedAsc,
    UpdatedDesc,
}

impl ContactSort {
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "name" => Self::NameAsc,
            "-name" => Self::NameDesc,
            "created_at" => Self::CreatedAsc,
            "-created_at" => Self::CreatedDesc,
            "updated_at" => Self::UpdatedAsc,
            "-updated_at" => Self::UpdatedDesc,
            _ => return None,
        })
    }
}

/// Filters of the contact list; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub kind: Option<ContactKind>,
    pub owner_id: Option<UserId>,
    pub office_id: Option<OfficeId>,
    /// Words; each must start a name word, or the text must start an email or phone.
    pub text: Option<String>,
}

/// One match of the caller lookup, before redaction.
#[derive(Debug, Clone)]
pub struct LookupHit {
    pub contact: ContactRecord,
    pub visible: bool,
    pub matched_on: SearchTokenKind,
    pub history: Vec<TimelineRecord>,
}

/// The SQL form of the visibility policy: the one filter every read of contacts goes through.
pub(crate) fn visible_condition(v: &Visibility) -> Condition {
    let mut any = Condition::any();
    for clause in &v.any_of {
        any = any.add(match *clause {
            Clause::Agencies => Condition::all().add(contacts::Column::Kind.eq(ContactKind::Agency.as_str())),
            Clause::OwnedBy(user) => Condition::all().add(contacts::Column::OwnerId.eq(user.0)),
            Clause::Side { side, office } => {
                let mut c = match side {
                    Side::Offer => Condition::all().add(contacts::Column::OnOffer.eq(true)),
                    Side::Demand => Condition::all().add(contacts::Column::OnDemand.eq(true)),
                    Side::Unattached => Condition::all()
                        .add(contacts::Column::OnOffer.eq(false))
                        .add(contacts::Column::OnDemand.eq(false)),
                };
                if let Some(o) = office {
                    c = c.add(contacts::Column::OfficeId.eq(o.0));
                }
                c
            }
        });
    }
    let tenant = Condition::all().add(contacts::Column::CompanyId.eq(v.company_id.0));
    if v.any_of.is_empty() {
        tenant.add(Expr::cust("1 = 0"))
    } else {
        tenant.add(any)
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn to_record(m: contacts::Model) -> ContactRecord {
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
        on_offer: m.on_offer,
        on_demand: m.on_demand,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn to_timeline(m: timeline_entries::Model) -> TimelineRecord {
    TimelineRecord {
        id: m.id.into(),
        contact_id: m.contact_id.into(),
        kind: m.kind,
        body: m.body,
        property_id: m.property_id.map(Into::into),
        demand_id: m.demand_id.map(Into::into),
        author_id: m.author_id.map(Into::into),
        created_at: m.created_at,
    }
}

/// The column values a contact's data sets.
fn data_columns(am: &mut contacts::ActiveModel, data: &ContactData) {
    am.kind = Set(data.kind.as_str().to_owned());
    am.first_name = Set(data.first_name.clone());
    am.last_name = Set(data.last_name.clone());
    am.agency_name = Set(data.agency_name.clone());
    am.display_name = Set(data.display_name());
    am.sort_name = Set(sort_name(data));
    am.phones = Set(serde_json::json!(data.phones.iter().map(Phone::as_str).collect::<Vec<_>>()));
    am.emails = Set(serde_json::json!(data.emails.iter().map(Email::as_str).collect::<Vec<_>>()));
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
    viewer: &Viewer,
    id: ContactId,
    owner: UserId,
    office: OfficeId,
    now: DateTime<Utc>,
    data: &ContactData,
) -> contacts::ActiveModel {
    let mut am = contacts::ActiveModel {
        company_id: Set(viewer.company_id.0),
        id: Set(id.0),
        owner_id: Set(owner.0),
        office_id: Set(office.0),
        on_offer: Set(false),
        on_demand: Set(false),
        created_by: Set(Some(viewer.user_id.0)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    data_columns(&mut am, data);
    am
}

/// Lists sort by surname, then first name ("Svensson Anna"), folded so case and accents do not
/// scatter the order.
fn sort_name(data: &ContactData) -> String {
    let parts = [&data.last_name, &data.first_name, &data.agency_name];
    let joined = parts.into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
    let folded = text::fold(&joined);
    if folded.is_empty() {
        data.emails.first().map(|e| e.to_string()).unwrap_or_default()
    } else {
        folded
    }
}

async fn write_tokens(db: &impl ConnectionTrait, company: CompanyId, id: ContactId, data: &ContactData) -> Result<(), StoreError> {
    contact_tokens::Entity::delete_many()
        .filter(contact_tokens::Column::CompanyId.eq(company.0))
        .filter(contact_tokens::Column::ContactId.eq(id.0))
        .exec(db)
        .await?;
    let tokens = data.search_tokens();
    if !tokens.is_empty() {
        contact_tokens::Entity::insert_many(tokens.into_iter().map(|(kind, token)| contact_tokens::ActiveModel {
            company_id: Set(company.0),
            token: Set(token),
            contact_id: Set(id.0),
            kind: Set(kind.code()),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

pub(crate) async fn add_timeline(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contact: ContactId,
    kind: &str,
    body: String,
    author: Option<UserId>,
    about: (Option<PropertyId>, Option<DemandId>),
) -> Result<TimelineRecord, StoreError> {
    let m = timeline_entries::ActiveModel {
        company_id: Set(company.0),
        id: Set(TimelineEntryId::new().0),
        contact_id: Set(contact.0),
        kind: Set(kind.to_owned()),
        body: Set(body),
        property_id: Set(about.0.map(|p| p.0)),
        demand_id: Set(about.1.map(|d| d.0)),
        author_id: Set(author.map(|a| a.0)),
        created_at: Set(Utc::now()),
    };
    Ok(to_timeline(timeline_entries::Entity::insert(m).exec_with_returning(db).await?))
}

/// Moves everything a user owns to the user's new office: contacts (whose office is their
/// owner's), the listings they broker and the demands they handle.
pub(crate) async fn follow_owner_office(
    db: &impl ConnectionTrait,
    company: CompanyId,
    user: UserId,
    office: OfficeId,
) -> Result<(), StoreError> {
    use crate::entities::{demands, properties};
    contacts::Entity::update_many()
        .col_expr(contacts::Column::OfficeId, Expr::value(office.0))
        .filter(contacts::Column::CompanyId.eq(company.0))
        .filter(contacts::Column::OwnerId.eq(user.0))
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
    /// Up to `want` ids of contacts matching a lookup query, found on the token index alone:
    /// every step is a bounded range scan, so the cost does not grow with the company's size.
    async fn lookup_candidates(&self, company: CompanyId, query: &LookupQuery, want: u64) -> Result<Vec<Uuid>, StoreError> {
        let mut ids: Vec<Uuid> = Vec::new();
        match query {
            LookupQuery::Phone { prefixes, .. } => {
                for p in prefixes {
                    ids.extend(self.token_scan(company, SearchTokenKind::Phone, p, want).await?);
                }
            }
            LookupQuery::Email { prefix } => ids = self.token_scan(company, SearchTokenKind::Email, prefix, want).await?,
            LookupQuery::Name { words } => {
                // "first last" or "last first", the second word perhaps partly typed: one range
                // scan of the pair index. Words beyond two are checked when ranking.
                if let [a, b, ..] = words.as_slice() {
                    ids = self
                        .token_scan(company, SearchTokenKind::NamePair, &format!("{a} {b}"), want)
                        .await?;
                }
                // Otherwise (one word, or both partly typed, or too few hits to fill a screen),
                // the word index.
                // This path walks the index entry by entry, so it stops at a screenful.
                if (ids.len() as u64) < want / 4 {
                    ids.extend(self.name_scan(company, words, want / 4).await?);
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        ids.truncate(want as usize);
        Ok(ids)
    }

    /// Ids of contacts with a token of `kind` starting with `prefix`, in token order (so exact
    /// matches come first), at most `limit`.
    async fn token_scan(&self, company: CompanyId, kind: SearchTokenKind, prefix: &str, limit: u64) -> Result<Vec<Uuid>, StoreError> {
        let q = contact_tokens::Entity::find()
            .select_only()
            .column(contact_tokens::Column::ContactId)
            .filter(contact_tokens::Column::CompanyId.eq(company.0))
            .filter(contact_tokens::Column::Token.gte(prefix))
            .filter(contact_tokens::Column::Token.lt(prefix_upper(prefix)))
            .filter(contact_tokens::Column::Kind.eq(kind.code()));
        let mut ids: Vec<Uuid> = q
            .order_by_asc(contact_tokens::Column::Token)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        // A contact has each kind of token several times only for repeated words; keep the first.
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        Ok(ids)
    }

    /// Contacts with a name word starting with each of `words`. The rarest word leads (counted
    /// up to [`LEAD_CAP`]); its first `LEAD_CAP` index entries are walked, each checked for the
    /// other words through the (company, contact, kind, token) index, stopping at `want` hits.
    /// Only when every word is that common and those entries hold too few hits is the whole range
    /// walked.
    async fn name_scan(&self, company: CompanyId, words: &[String], want: u64) -> Result<Vec<Uuid>, StoreError> {
        use sea_orm::sea_query::{Alias, Expr as QExpr, ExprTrait, JoinType, SelectStatement};
        let name = SearchTokenKind::Name.code();
        let range = |w: &str, cap: Option<u64>| -> SelectStatement {
            let mut q = Query::select();
            q.columns([
                contact_tokens::Column::CompanyId,
                contact_tokens::Column::ContactId,
                contact_tokens::Column::Token,
            ])
            .from(contact_tokens::Entity)
            .and_where(contact_tokens::Column::CompanyId.eq(company.0))
            .and_where(contact_tokens::Column::Kind.eq(name))
            .and_where(contact_tokens::Column::Token.gte(w))
            .and_where(contact_tokens::Column::Token.lt(prefix_upper(w)))
            .order_by(contact_tokens::Column::Token, sea_orm::Order::Asc);
            if let Some(cap) = cap {
                q.limit(cap);
            }
            q
        };
        let backend = self.db.get_database_backend();
        let mut counted = Vec::new();
        for w in words {
            let count = Query::select()
                .expr(QExpr::cust("COUNT(*)"))
                .from_subquery(range(w, Some(LEAD_CAP)), Alias::new("c"))
                .to_owned();
            let row = self.db.query_one_raw(backend.build(&count)).await?;
            let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
            counted.push((n, std::cmp::Reverse(w.chars().count()), w));
        }
        counted.sort();
        let Some(((lead_count, _, lead), rest)) = counted.split_first() else {
            return Ok(Vec::new());
        };
        let t = |i: usize| Alias::new(format!("t{i}"));
        let col = |i: usize, c: contact_tokens::Column| QExpr::col((t(i), c));
        let join = |cap: Option<u64>| {
            let mut q = Query::select();
            q.column((t(0), contact_tokens::Column::ContactId))
                .from_subquery(range(lead, cap), t(0));
            for (i, (_, _, w)) in rest.iter().enumerate().map(|(i, w)| (i + 1, w)) {
                q.join_as(
                    JoinType::InnerJoin,
                    contact_tokens::Entity,
                    t(i),
                    Condition::all()
                        .add(col(i, contact_tokens::Column::CompanyId).equals((t(0), contact_tokens::Column::CompanyId)))
                        .add(col(i, contact_tokens::Column::ContactId).equals((t(0), contact_tokens::Column::ContactId)))
                        .add(col(i, contact_tokens::Column::Kind).eq(name))
                        .add(col(i, contact_tokens::Column::Token).gte(w.as_str()))
                        .add(col(i, contact_tokens::Column::Token).lt(prefix_upper(w))),
                );
            }
            q.order_by((t(0), contact_tokens::Column::Token), sea_orm::Order::Asc).limit(want);
            q
        };
        let mut rows = self.db.query_all_raw(backend.build(&join(Some(LEAD_CAP)))).await?;
        // Every word is that common and the first entries held too few: walk the whole range
        // rather than answer "nobody" (a receptionist would create a duplicate).
        if (rows.len() as u64) < want && *lead_count >= LEAD_CAP as i64 {
            rows = self.db.query_all_raw(backend.build(&join(None))).await?;
        }
        let mut ids = Vec::new();
        for row in rows {
            ids.push(row.try_get_by_index::<Uuid>(0)?);
        }
        Ok(ids)
    }
}

/// How many index entries of one name word a lookup walks at most.
const LEAD_CAP: u64 = 2000;

/// A subquery condition: the contact has a search token of `kind` in `[prefix, upper)`.
fn token_prefix(company: CompanyId, kind: Option<SearchTokenKind>, prefix: &str) -> Condition {
    let mut sub = Query::select();
    sub.column(contact_tokens::Column::ContactId)
        .from(contact_tokens::Entity)
        .and_where(contact_tokens::Column::CompanyId.eq(company.0))
        .and_where(contact_tokens::Column::Token.gte(prefix))
        .and_where(contact_tokens::Column::Token.lt(prefix_upper(prefix)));
    if let Some(k) = kind {
        sub.and_where(contact_tokens::Column::Kind.eq(k.code()));
    }
    Condition::all().add(contacts::Column::Id.in_subquery(sub.to_owned()))
}

/// The condition a lookup query puts on contacts.
fn query_condition(company: CompanyId, query: &LookupQuery) -> Condition {
    match query {
        LookupQuery::Phone { prefixes, .. } => prefixes.iter().fold(Condition::any(), |c, p| {
            c.add(token_prefix(company, Some(SearchTokenKind::Phone), p))
        }),
        LookupQuery::Email { prefix } => token_prefix(company, Some(SearchTokenKind::Email), prefix),
        LookupQuery::Name { words } => words.iter().fold(Condition::all(), |c, w| {
            c.add(token_prefix(company, Some(SearchTokenKind::Name), w))
        }),
    }
}

impl Store {
    /// Creates a contact owned by `owner` (in the owner's office).
    pub async fn create_contact(&self, viewer: &Viewer, data: &ContactData, owner: UserId) -> Result<ContactRecord, StoreError> {
        let company = viewer.company_id;
        let owner_user = self
            .user(company, owner)
            .await
            .map_err(|_| StoreError::invalid("owner_id", "unknown_user", "no such user in this company"))?;
        let id = ContactId::new();
        let now = Utc::now();
        let am = new_contact(viewer, id, owner, owner_user.office_id, now, data);
        let txn = self.write().await?;
        let m = contacts::Entity::insert(am).exec_with_returning(&txn).await?;
        write_tokens(&txn, company, id, data).await?;
        add_timeline(
            &txn,
            company,
            id,
            "created",
            format!("Contact created ({})", data.kind.as_str()),
            Some(viewer.user_id),
            (None, None),
        )
        .await?;
        txn.commit().await?;
        Ok(to_record(m))
    }

    /// Replaces a visible contact's data.
    pub async fn update_contact(&self, viewer: &Viewer, id: ContactId, data: &ContactData) -> Result<ContactRecord, StoreError> {
        let current = self.contact(viewer, id).await?;
        let mut am = contacts::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id.0),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        data_columns(&mut am, data);
        let txn = self.write().await?;
        let m = contacts::Entity::update(am).exec(&txn).await?;
        write_tokens(&txn, viewer.company_id, id, data).await?;
        let mut changed = Vec::new();
        if current.data.kind != data.kind {
            changed.push(format!("kind {} → {}", current.data.kind.as_str(), data.kind.as_str()));
        }
        if current.data.phones != data.phones {
            changed.push("phones".to_owned());
        }
        if current.data.emails != data.emails {
            changed.push("emails".to_owned());
        }
        if current.data.display_name() != data.display_name() {
            changed.push("name".to_owned());
        }
        let body = if changed.is_empty() {
            "Details updated".to_owned()
        } else {
            format!("Updated: {}", changed.join(", "))
        };
        add_timeline(&txn, viewer.company_id, id, "updated", body, Some(viewer.user_id), (None, None)).await?;
        txn.commit().await?;
        Ok(to_record(m))
    }

    /// A contact the viewer may see; `NotFound` otherwise.
    pub async fn contact(&self, viewer: &Viewer, id: ContactId) -> Result<ContactRecord, StoreError> {
        contacts::Entity::find()
            .filter(visible_condition(&Visibility::for_viewer(viewer)))
            .filter(contacts::Column::Id.eq(id.0))
            .one(&self.db)
            .await?
            .map(to_record)
            .ok_or(StoreError::NotFound("contact"))
    }

    fn list_condition(&self, viewer: &Viewer, filter: &ContactFilter, country: Country) -> Condition {
        let company = viewer.company_id;
        let mut cond = visible_condition(&Visibility::for_viewer(viewer));
        if let Some(k) = filter.kind {
            cond = cond.add(contacts::Column::Kind.eq(k.as_str()));
        }
        if let Some(o) = filter.owner_id {
            cond = cond.add(contacts::Column::OwnerId.eq(o.0));
        }
        if let Some(o) = filter.office_id {
            cond = cond.add(contacts::Column::OfficeId.eq(o.0));
        }
        if let Some(t) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
            cond = cond.add(match LookupQuery::parse(t, country) {
                Some(q) => query_condition(company, &q),
                None => token_prefix(company, None, &text::fold(t.trim())),
            });
        }
        cond
    }

    /// A page of the contacts the viewer may see, and how many there are in all.
    pub async fn list_contacts(
        &self,
        viewer: &Viewer,
        country: Country,
        filter: &ContactFilter,
        sort: ContactSort,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<ContactRecord>, u64), StoreError> {
        let cond = self.list_condition(viewer, filter, country);
        let total = contacts::Entity::find().filter(cond.clone()).count(&self.db).await?;
        let q = contacts::Entity::find().filter(cond);
        let q = match sort {
            ContactSort::NameAsc => q.order_by_asc(contacts::Column::SortName),
            ContactSort::NameDesc => q.order_by_desc(contacts::Column::SortName),
            ContactSort::CreatedAsc => q.order_by_asc(contacts::Column::CreatedAt),
            ContactSort::CreatedDesc => q.order_by_desc(contacts::Column::CreatedAt),
            ContactSort::UpdatedAsc => q.order_by_asc(contacts::Column::UpdatedAt),
            ContactSort::UpdatedDesc => q.order_by_desc(contacts::Column::UpdatedAt),
        };
        let rows = q
            .order_by_asc(contacts::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(&self.db)
            .await?;
        Ok((rows.into_iter().map(to_record).collect(), total))
    }

    /// How many contacts the viewer may see with this filter.
    pub async fn count_contacts(&self, viewer: &Viewer, country: Country, filter: &ContactFilter) -> Result<u64, StoreError> {
        Ok(contacts::Entity::find()
            .filter(self.list_condition(viewer, filter, country))
            .count(&self.db)
            .await?)
    }

    /// The caller lookup: every contact matching the typed text, best first, with each marked as
    /// visible or not for the viewer, and the latest history of the visible ones.
    pub async fn lookup(&self, viewer: &Viewer, query: &LookupQuery, limit: u64) -> Result<Vec<LookupHit>, StoreError> {
        let company = viewer.company_id;
        // Fetch more than shown (`want` is four screens), so ranking has something to choose from.
        let ids = self.lookup_candidates(company, query, limit * 4).await?;
        let mut candidates = self.contacts_by_id(company, ids).await?;
        if let LookupQuery::Name { words } = query {
            candidates.retain(|c| matches_all_words(&c.data, words));
        }
        candidates.sort_by_cached_key(|c| sort_name(&c.data));
        let visibility = Visibility::for_viewer(viewer);
        let mut scored: Vec<(u32, LookupHit)> = candidates
            .into_iter()
            .map(|c| {
                let (score, matched_on) = score(&c.data, query);
                let visible = visibility.admits(&c.facts());
                (
                    score,
                    LookupHit {
                        contact: c,
                        visible,
                        matched_on,
                        history: Vec::new(),
                    },
                )
            })
            .collect();
        // Best score first; among equals, the ones the caller can act on; then name order (stable).
        scored.sort_by_key(|(score, hit)| (std::cmp::Reverse(*score), !hit.visible));
        let mut hits: Vec<LookupHit> = scored.into_iter().take(limit as usize).map(|(_, h)| h).collect();
        let visible_ids: Vec<Uuid> = hits.iter().filter(|h| h.visible).map(|h| h.contact.id.0).collect();
        if !visible_ids.is_empty() {
            let entries = timeline_entries::Entity::find()
                .filter(timeline_entries::Column::CompanyId.eq(company.0))
                .filter(timeline_entries::Column::ContactId.is_in(visible_ids))
                .order_by_desc(timeline_entries::Column::CreatedAt)
                .limit(200)
                .all(&self.db)
                .await?;
            let mut by_contact: HashMap<Uuid, Vec<TimelineRecord>> = HashMap::new();
            for e in entries {
                let list = by_contact.entry(e.contact_id).or_default();
                if list.len() < 5 {
                    list.push(to_timeline(e));
                }
            }
            for h in &mut hits {
                h.history = by_contact.remove(&h.contact.id.0).unwrap_or_default();
            }
        }
        Ok(hits)
    }

    /// A visible contact's whole timeline, newest first.
    pub async fn timeline(&self, viewer: &Viewer, id: ContactId) -> Result<Vec<TimelineRecord>, StoreError> {
        self.contact(viewer, id).await?;
        let rows = timeline_entries::Entity::find()
            .filter(timeline_entries::Column::CompanyId.eq(viewer.company_id.0))
            .filter(timeline_entries::Column::ContactId.eq(id.0))
            .order_by_desc(timeline_entries::Column::CreatedAt)
            .order_by_desc(timeline_entries::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_timeline).collect())
    }

    /// Adds a note to a visible contact, optionally about one of its listings or demands.
    pub async fn add_note(
        &self,
        viewer: &Viewer,
        id: ContactId,
        body: &str,
        property: Option<PropertyId>,
        demand: Option<DemandId>,
    ) -> Result<TimelineRecord, StoreError> {
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::invalid("body", "required", "the note is empty"));
        }
        if body.chars().count() > 10_000 {
            return Err(StoreError::invalid("body", "too_long", "a note has at most 10,000 characters"));
        }
        self.contact(viewer, id).await?;
        if let Some(p) = property
            && !self.is_party(viewer.company_id, p, id).await?
        {
            return Err(StoreError::invalid(
                "property_id",
                "not_a_party",
                "the contact is not a party of that listing",
            ));
        }
        if let Some(d) = demand
            && !self.demand_belongs_to(viewer.company_id, d, id).await?
        {
            return Err(StoreError::invalid(
                "demand_id",
                "not_its_demand",
                "that demand is not the contact's",
            ));
        }
        add_timeline(
            &self.db,
            viewer.company_id,
            id,
            "note",
            body.to_owned(),
            Some(viewer.user_id),
            (property, demand),
        )
        .await
    }

    /// Hands a visible contact over to a colleague: the colleague becomes owner, gets a task,
    /// and, if `email` says so (default: the colleague's setting), an email queued in the outbox
    /// with a link to the contact under `app_url`.
    pub async fn hand_over(
        &self,
        viewer: &Viewer,
        id: ContactId,
        to: UserId,
        message: Option<&str>,
        email: Option<bool>,
        app_url: &str,
    ) -> Result<(), StoreError> {
        let contact = self.contact(viewer, id).await?;
        let receiver = self
            .user(viewer.company_id, to)
            .await
            .map_err(|_| StoreError::invalid("to_user_id", "unknown_user", "no such colleague"))?;
        if !receiver.active || !receiver.permissions.work_with_clients {
            return Err(StoreError::invalid(
                "to_user_id",
                "cannot_receive",
                "that colleague cannot work with clients",
            ));
        }
        if receiver.id == contact.owner_id {
            return Err(StoreError::invalid(
                "to_user_id",
                "already_owner",
                "that colleague already owns the contact",
            ));
        }
        if receiver.office_id != viewer.office_id && !viewer.permissions.admin {
            return Err(StoreError::invalid(
                "to_user_id",
                "other_office",
                "contacts are handed over within the office",
            ));
        }
        let giver = self.user(viewer.company_id, viewer.user_id).await?;
        let name = contact.data.display_name();
        let note = message.map(str::trim).filter(|m| !m.is_empty());
        let txn = self.write().await?;
        contacts::Entity::update_many()
            .col_expr(contacts::Column::OwnerId, Expr::value(receiver.id.0))
            .col_expr(contacts::Column::OfficeId, Expr::value(receiver.office_id.0))
            .col_expr(contacts::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(contacts::Column::CompanyId.eq(viewer.company_id.0))
            .filter(contacts::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        let body = match note {
            Some(m) => format!("Handed over from {} to {}: {m}", giver.name, receiver.name),
            None => format!("Handed over from {} to {}", giver.name, receiver.name),
        };
        add_timeline(&txn, viewer.company_id, id, "handover", body, Some(viewer.user_id), (None, None)).await?;
        let title = format!("{} handed {} over to you", giver.name, name);
        crate::tasks::create_task(
            &txn,
            viewer.company_id,
            receiver.id,
            "handover",
            &title,
            note,
            Some(id),
            Some(Utc::now()),
        )
        .await?;
        if email.unwrap_or(receiver.notify_email) {
            let note = note.map(|n| format!("\n{n}\n")).unwrap_or_default();
            let text = format!(
                "{title}.\n{note}\nOpen the contact: {}/contacts/{id}\n",
                app_url.trim_end_matches('/')
            );
            crate::outbox::queue_email(&txn, viewer.company_id, &receiver.email, &title, &text).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Recomputes a contact's offer/demand flags from its parties and demands.
    pub(crate) async fn refresh_sides(db: &impl ConnectionTrait, company: CompanyId, id: ContactId) -> Result<(), StoreError> {
        use crate::entities::{demands, property_parties};
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
        contacts::Entity::update_many()
            .col_expr(contacts::Column::OnOffer, Expr::value(on_offer))
            .col_expr(contacts::Column::OnDemand, Expr::value(on_demand))
            .filter(contacts::Column::CompanyId.eq(company.0))
            .filter(contacts::Column::Id.eq(id.0))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Contacts of a company by id, unfiltered: for labelling parties after a visibility check.
    pub(crate) async fn contacts_by_id(&self, company: CompanyId, ids: Vec<Uuid>) -> Result<Vec<ContactRecord>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = contacts::Entity::find()
            .filter(contacts::Column::CompanyId.eq(company.0))
            .filter(contacts::Column::Id.is_in(ids))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_record).collect())
    }
}

/// Whether every query word starts one of the contact's name words.
fn matches_all_words(data: &ContactData, words: &[String]) -> bool {
    let own: Vec<String> = [&data.first_name, &data.last_name, &data.agency_name]
        .into_iter()
        .flatten()
        .flat_map(|n| text::words(n))
        .collect();
    words.iter().all(|w| own.iter().any(|o| o.starts_with(w.as_str())))
}

/// Ranks a candidate: exact phone or email hits first, then names by how many words match
/// whole rather than as a prefix.
fn score(data: &ContactData, query: &LookupQuery) -> (u32, SearchTokenKind) {
    match query {
        LookupQuery::Phone { normalized, .. } => {
            let exact = normalized.as_deref().is_some_and(|n| data.phones.iter().any(|p| p.as_str() == n));
            (if exact { 100 } else { 50 }, SearchTokenKind::Phone)
        }
        LookupQuery::Email { prefix } => {
            let exact = data.emails.iter().any(|e| e.as_str() == prefix);
            (if exact { 100 } else { 50 }, SearchTokenKind::Email)
        }
        LookupQuery::Name { words } => {
            let own: Vec<String> = [&data.first_name, &data.last_name, &data.agency_name]
                .into_iter()
                .flatten()
                .flat_map(|n| text::words(n))
                .collect();
            let whole = words.iter().filter(|w| own.contains(w)).count() as u32;
            (10 + whole * 10, SearchTokenKind::Name)
        }
    }
}

impl Store {
    /// Imports many contacts at once for one owner (a spreadsheet import, a migration from
    /// another CRM, the benchmark's seed): multi-row inserts in one transaction per batch, with
    /// their search tokens and a "created" history entry each.
    pub async fn import_contacts(&self, viewer: &Viewer, owner: UserId, batch: &[ContactData]) -> Result<Vec<ContactId>, StoreError> {
        let company = viewer.company_id;
        let owner_user = self
            .user(company, owner)
            .await
            .map_err(|_| StoreError::invalid("owner_id", "unknown_user", "no such user in this company"))?;
        let now = Utc::now();
        let ids: Vec<ContactId> = batch.iter().map(|_| ContactId::new()).collect();
        let txn = self.write().await?;
        // SQLite allows 32766 bound values per statement; stay well below it on both databases.
        for (chunk_ids, chunk) in ids.chunks(500).zip(batch.chunks(500)) {
            contacts::Entity::insert_many(
                chunk_ids
                    .iter()
                    .zip(chunk)
                    .map(|(id, data)| new_contact(viewer, *id, owner, owner_user.office_id, now, data)),
            )
            .exec(&txn)
            .await?;
            let tokens: Vec<contact_tokens::ActiveModel> = chunk_ids
                .iter()
                .zip(chunk)
                .flat_map(|(id, data)| {
                    data.search_tokens()
                        .into_iter()
                        .map(move |(kind, token)| contact_tokens::ActiveModel {
                            company_id: Set(company.0),
                            token: Set(token),
                            contact_id: Set(id.0),
                            kind: Set(kind.code()),
                        })
                })
                .collect();
            for part in tokens.chunks(1000) {
                contact_tokens::Entity::insert_many(part.to_vec()).exec(&txn).await?;
            }
            timeline_entries::Entity::insert_many(chunk_ids.iter().map(|id| timeline_entries::ActiveModel {
                company_id: Set(company.0),
                id: Set(TimelineEntryId::new().0),
                contact_id: Set(id.0),
                kind: Set("created".to_owned()),
                body: Set("Contact imported".to_owned()),
                property_id: Set(None),
                demand_id: Set(None),
                author_id: Set(Some(viewer.user_id.0)),
                created_at: Set(now),
            }))
            .exec(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(ids)
    }
}
