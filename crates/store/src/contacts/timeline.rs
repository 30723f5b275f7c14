//! A contact's timeline: notes people write, and events the system records (created, updated,
//! handed over, became a seller, …) stored as a kind with parameters so each reader sees them in
//! their own language. Read newest first, a page at a time.

use chrono::{DateTime, Utc};
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, DemandId, PropertyId, TimelineEntryId, UserId};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, FromQueryResult};
use serde_json::Value;
use uuid::Uuid;

use crate::entities::timeline_entries;
use crate::sql::Sql;
use crate::{Store, StoreError};

/// A timeline entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRecord {
    pub id: TimelineEntryId,
    pub contact_id: ContactId,
    /// `note`, or the event's kind.
    pub kind: String,
    /// A note's text (events written before events had parameters keep their English text here).
    pub body: String,
    /// An event's parameters, rendered in the reader's language.
    pub params: Option<Value>,
    pub property_id: Option<PropertyId>,
    pub demand_id: Option<DemandId>,
    pub author_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// Something that happened to a contact, to record on its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub kind: &'static str,
    pub params: Value,
    pub property: Option<PropertyId>,
    pub demand: Option<DemandId>,
}

impl TimelineEvent {
    pub fn new(kind: &'static str, params: Value) -> Self {
        Self {
            kind,
            params,
            property: None,
            demand: None,
        }
    }

    pub fn about_property(mut self, property: PropertyId) -> Self {
        self.property = Some(property);
        self
    }

    pub fn about_demand(mut self, demand: DemandId) -> Self {
        self.demand = Some(demand);
        self
    }
}

/// A page of a timeline, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePage {
    pub items: Vec<TimelineRecord>,
    /// Where the next page starts: the last entry's time and id.
    pub next: Option<(DateTime<Utc>, Uuid)>,
}

pub(crate) fn to_timeline(m: timeline_entries::Model) -> TimelineRecord {
    TimelineRecord {
        id: m.id.into(),
        contact_id: m.contact_id.into(),
        kind: m.kind,
        body: m.body,
        params: m.params,
        property_id: m.property_id.map(Into::into),
        demand_id: m.demand_id.map(Into::into),
        author_id: m.author_id.map(Into::into),
        created_at: m.created_at,
    }
}

/// Records an event on a contact's timeline (in the caller's transaction).
pub(crate) async fn add_timeline(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contact: ContactId,
    event: TimelineEvent,
    author: Option<UserId>,
) -> Result<TimelineRecord, StoreError> {
    insert(
        db,
        company,
        contact,
        event.kind,
        String::new(),
        Some(event.params),
        author,
        (event.property, event.demand),
    )
    .await
}

/// An event's row on a contact's timeline, to insert with others.
pub(crate) fn event_row(
    company: CompanyId,
    contact: ContactId,
    event: &TimelineEvent,
    author: Option<UserId>,
    at: DateTime<Utc>,
) -> timeline_entries::ActiveModel {
    timeline_entries::ActiveModel {
        company_id: Set(company.0),
        id: Set(TimelineEntryId::new().0),
        contact_id: Set(contact.0),
        kind: Set(event.kind.to_owned()),
        body: Set(String::new()),
        params: Set(Some(event.params.clone())),
        property_id: Set(event.property.map(|p| p.0)),
        demand_id: Set(event.demand.map(|d| d.0)),
        author_id: Set(author.map(|a| a.0)),
        created_at: Set(at),
    }
}

/// Records the same event on many contacts' timelines (a bulk action over a segment), a few
/// hundred rows per statement.
pub(crate) async fn add_timeline_many(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contacts: &[ContactId],
    event: &TimelineEvent,
    author: Option<UserId>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for chunk in contacts.chunks(300) {
        timeline_entries::Entity::insert_many(chunk.iter().map(|c| event_row(company, *c, event, author, now)))
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contact: ContactId,
    kind: &str,
    body: String,
    params: Option<Value>,
    author: Option<UserId>,
    about: (Option<PropertyId>, Option<DemandId>),
) -> Result<TimelineRecord, StoreError> {
    let m = timeline_entries::ActiveModel {
        company_id: Set(company.0),
        id: Set(TimelineEntryId::new().0),
        contact_id: Set(contact.0),
        kind: Set(kind.to_owned()),
        body: Set(body),
        params: Set(params),
        property_id: Set(about.0.map(|p| p.0)),
        demand_id: Set(about.1.map(|d| d.0)),
        author_id: Set(author.map(|a| a.0)),
        created_at: Set(Utc::now()),
    };
    Ok(to_timeline(timeline_entries::Entity::insert(m).exec_with_returning(db).await?))
}

impl Store {
    /// A page of a visible contact's timeline, newest first, starting after `after`.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
    pub async fn timeline(
        &self,
        viewer: &Viewer,
        id: ContactId,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<TimelinePage, StoreError> {
        self.contact(viewer, id).await?;
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT * FROM timeline_entries WHERE company_id = ")
            .bind(viewer.company_id.0)
            .push(" AND contact_id = ")
            .bind(id.0);
        if let Some((at, entry)) = after {
            sql.push(" AND (created_at, id) < (").bind(at).push(", ").bind(entry).push(")");
        }
        sql.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind((limit + 1) as i64);
        let mut rows: Vec<TimelineRecord> = timeline_entries::Model::find_by_statement(sql.statement())
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_timeline)
            .collect();
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| (r.created_at, r.id.0))
        } else {
            None
        };
        Ok(TimelinePage { items: rows, next })
    }

    /// The latest `per_contact` entries of each of the contacts: one limited index range each.
    pub(crate) async fn latest_entries(
        &self,
        company: CompanyId,
        contacts: &[ContactId],
        per_contact: u64,
    ) -> Result<Vec<TimelineRecord>, StoreError> {
        if contacts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(self.db.get_database_backend());
        for (i, c) in contacts.iter().enumerate() {
            if i > 0 {
                sql.push(" UNION ALL ");
            }
            sql.push("SELECT * FROM (SELECT * FROM timeline_entries WHERE company_id = ")
                .bind(company.0)
                .push(" AND contact_id = ")
                .bind(c.0)
                .push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .bind(per_contact as i64)
                .push(&format!(") AS t{i}"));
        }
        Ok(timeline_entries::Model::find_by_statement(sql.statement())
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_timeline)
            .collect())
    }

    /// Adds a note to a visible contact, optionally about one of its listings or demands.
    #[tracing::instrument(level = "debug", skip_all, fields(contact = %id))]
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
        if body.chars().count() > crm_domain::limits::NOTE {
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
        insert(
            &self.db,
            viewer.company_id,
            id,
            "note",
            body.to_owned(),
            None,
            Some(viewer.user_id),
            (property, demand),
        )
        .await
    }
}
