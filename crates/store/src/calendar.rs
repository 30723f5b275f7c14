//! Viewings with their participants, bids, customer meetings and callbacks; the follow-ups the
//! rules make of them; the calendar that shows them; and each user's private calendar feed.
//!
//! Rights: viewings are held and their attendance recorded by whoever may change the listing;
//! bids are taken from a visible contact by anyone who works with clients, and decided by whoever
//! may change the listing; meetings and callbacks are about a contact the user may see.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use crm_domain::calendar::{
    ACCESS_FOLLOW_UP_DUE_DAYS, ACCESS_FOLLOW_UP_FROM_DAYS, Attendance, BidStatus, CALLBACK_MINUTES, CancelledBy, Confirmation,
    MEETING_FOLLOW_UP_DAYS, MeetingOutcome, MeetingStatus, VIEWING_FOLLOW_UP_DAYS, change_meeting, check_callback_date, days_after,
    end_of_day, local_date, local_to_utc,
};
use crm_domain::i18n::Locale;
use crm_domain::permissions::{Viewer, Visibility, can_edit_listing, can_read_listings};
use crm_domain::properties::{PartyRole, PropertyStatus};
use crm_domain::{BidId, CompanyId, ContactId, MeetingId, OfficeId, PropertyId, TaskId, UserId, ViewingId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::contacts::{ContactRecord, TimelineEvent, add_timeline, lock_contact};
use crate::entities::{bids, calendar_feeds, companies, meetings, properties, tasks, users, viewing_participants, viewings};
use crate::org::User;
use crate::properties::{PropertyData, add_party_in, insert_listing};
use crate::sql::Sql;
use crate::tasks::{NewTask, TaskRecord, create_task, to_task};
use crate::{Store, StoreError};
use crm_migration::m0016_calendar_cover::{COVERS, Cover};

/// At most this many participants in one viewing, and bids listed per listing.
pub const MAX_PARTICIPANTS: usize = 200;
pub const MAX_BIDS: u64 = 500;
/// At most this many viewings listed per listing or contact.
pub const MAX_LISTED: u64 = 500;
/// The calendar spans at most this many days and this many people at once.
pub const MAX_CALENDAR_DAYS: i64 = 62;
pub const MAX_CALENDAR_USERS: usize = 100;
/// At most this many entries in one calendar answer (the earliest), of at most `MAX_READ` read:
/// a span with more is refused.
pub const MAX_ENTRIES: u64 = 5_000;
const MAX_READ: u64 = 4 * MAX_ENTRIES;

/// A viewing participant.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub contact_id: ContactId,
    /// Empty when the reader may not see the contact.
    pub name: String,
    pub status: Attendance,
}

/// A viewing of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewingRecord {
    pub id: ViewingId,
    pub property_id: PropertyId,
    pub property_title: String,
    pub broker_id: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub participants: Vec<Participant>,
    pub created_at: DateTime<Utc>,
}

/// A viewing to book.
#[derive(Debug, Clone)]
pub struct ViewingInput {
    pub property: PropertyId,
    /// The listing's broker unless given.
    pub broker: Option<UserId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: Option<String>,
    pub participants: Vec<ContactId>,
}

/// A bid on a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct BidRecord {
    pub id: BidId,
    pub property_id: PropertyId,
    pub property_title: String,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub amount: i64,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub status: BidStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The object a meeting is about: always one.
#[derive(Debug, Clone)]
pub enum MeetingObject {
    Existing(PropertyId),
    New(Box<PropertyData>),
}

/// A customer meeting to book.
#[derive(Debug, Clone)]
pub struct MeetingInput {
    pub contact: ContactId,
    /// The participant (the broker who goes); the booker unless given.
    pub user: Option<UserId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Empty: at the client's home.
    pub place: Option<String>,
    pub note: Option<String>,
    pub object: MeetingObject,
    pub confirmation: Confirmation,
}

/// A customer meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingRecord {
    pub id: MeetingId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub user_id: UserId,
    pub property_id: PropertyId,
    pub property_title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: Option<String>,
    pub note: Option<String>,
    pub confirmation: Confirmation,
    pub status: MeetingStatus,
    pub outcome: Option<MeetingOutcome>,
    pub cancelled_by: Option<CancelledBy>,
    pub cancel_reason: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

/// What booking a meeting did besides storing it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookingNotes {
    /// The participant's other bookings at that time.
    pub conflicts: Vec<CalendarEntry>,
    /// Why a confirmation asked for cannot go (`no_email`, `no_phone`).
    pub not_sent: Vec<&'static str>,
    /// The listing made in the same step.
    pub created_property: Option<PropertyId>,
}

/// Who a callback is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CallbackFor {
    User(UserId),
    /// The office's shark tank: a member takes it.
    Office(OfficeId),
}

/// A callback to plan.
#[derive(Debug, Clone)]
pub struct CallbackInput {
    pub contact: ContactId,
    /// A day in the time zone of the one who will call.
    pub date: NaiveDate,
    /// With a time of day it is a 30-minute booking in the calendar.
    pub time: Option<NaiveTime>,
    pub property: Option<PropertyId>,
    /// Planned while following up this meeting: its listing is the callback's.
    pub meeting: Option<MeetingId>,
    pub to: CallbackFor,
    pub note: Option<String>,
}

/// What the calendar shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Meeting,
    Viewing,
    Callback,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meeting => "meeting",
            Self::Viewing => "viewing",
            Self::Callback => "callback",
        }
    }
}

/// One booking in a calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEntry {
    pub kind: EntryKind,
    pub id: Uuid,
    pub user_id: UserId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The client's name or the listing's address; empty when the reader may not see it.
    pub title: String,
    pub place: Option<String>,
    pub contact_id: Option<ContactId>,
    pub property_id: Option<PropertyId>,
    /// `booked`, `held`, `cancelled` (meetings, viewings), `open` or `done` (callbacks).
    pub status: &'static str,
}

fn bad(field: &'static str, code: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::invalid(field, code, message.into())
}

fn forbidden_listing() -> StoreError {
    StoreError::Forbidden("your rights do not reach this listing")
}

fn when(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

fn listing_title(m: &properties::Model) -> String {
    format!("{}, {}", m.street, m.city)
}

fn to_meeting(m: meetings::Model, contact_name: String, property_title: String) -> MeetingRecord {
    MeetingRecord {
        id: m.id.into(),
        contact_id: m.contact_id.into(),
        contact_name,
        user_id: m.user_id.into(),
        property_id: m.property_id.into(),
        property_title,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        place: m.place,
        note: m.note,
        confirmation: Confirmation::parse(&m.confirmation).unwrap_or(Confirmation::None),
        status: MeetingStatus::parse(&m.status).unwrap_or(MeetingStatus::Booked),
        outcome: m.outcome.as_deref().and_then(MeetingOutcome::parse),
        cancelled_by: m.cancelled_by.as_deref().and_then(CancelledBy::parse),
        cancel_reason: m.cancel_reason,
        created_by: m.created_by.into(),
        created_at: m.created_at,
    }
}

/// Checks a booking's times: the end after the start, at most 12 hours.
pub fn check_span(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), StoreError> {
    if ends_at <= starts_at {
        return Err(bad("ends_at", "ends_before_start", "the end must come after the start"));
    }
    if ends_at - starts_at > Duration::hours(crm_domain::calendar::MAX_BOOKING_HOURS) {
        return Err(bad("ends_at", "too_long", "a booking lasts at most 12 hours"));
    }
    Ok(())
}

/// The addresses of some listings of the company, by id.
async fn listing_titles(
    db: &impl ConnectionTrait,
    company: CompanyId,
    mut ids: Vec<Uuid>,
) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(properties::Entity::find()
        .filter(properties::Column::CompanyId.eq(company.0))
        .filter(properties::Column::Id.is_in(ids))
        .all(db)
        .await?
        .iter()
        .map(|l| (l.id, listing_title(l)))
        .collect())
}

async fn listing(db: &impl ConnectionTrait, company: CompanyId, id: PropertyId) -> Result<properties::Model, StoreError> {
    properties::Entity::find_by_id((company.0, id.0))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("property"))
}

impl Store {
    /// The zone a user of the company works in.
    pub async fn zone_of(&self, company: CompanyId, user: &User) -> Result<Tz, StoreError> {
        Ok(user.zone(&self.company(company).await?))
    }

    pub(crate) async fn colleague(&self, company: CompanyId, id: UserId, field: &'static str) -> Result<User, StoreError> {
        let u = self
            .user(company, id)
            .await
            .map_err(|_| bad(field, "unknown_user", "no such user in this company"))?;
        if !u.active || !u.permissions.work_with_clients {
            return Err(bad(field, "user_not_working", "that user does not work with clients"));
        }
        Ok(u)
    }

    /// Names of contacts the viewer may see (others are left out).
    pub(crate) async fn visible_names(
        &self,
        viewer: &Viewer,
        ids: Vec<Uuid>,
    ) -> Result<std::collections::HashMap<Uuid, String>, StoreError> {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let policy = Visibility::for_viewer(viewer);
        Ok(self
            .contacts_by_id(viewer.company_id, ids)
            .await?
            .into_iter()
            .filter(|c| policy.admits(&c.facts()))
            .map(|c| (c.id.0, c.data.display_name()))
            .collect())
    }

    // ---- viewings ----

    /// Books a viewing; each participant gets a follow-up task for the broker, due 3 days after
    /// the viewing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_viewing(&self, viewer: &Viewer, input: &ViewingInput) -> Result<ViewingRecord, StoreError> {
        check_span(input.starts_at, input.ends_at)?;
        if input.participants.len() > MAX_PARTICIPANTS {
            return Err(bad(
                "participants",
                "too_many",
                format!("a viewing has at most {MAX_PARTICIPANTS} participants"),
            ));
        }
        let company = viewer.company_id;
        let l = listing(&self.db, company, input.property).await?;
        if !can_read_listings(viewer) {
            return Err(StoreError::NotFound("property"));
        }
        if !can_edit_listing(viewer, l.broker_id.into(), l.office_id.into()) {
            return Err(forbidden_listing());
        }
        let broker = self
            .colleague(company, input.broker.unwrap_or(l.broker_id.into()), "broker_id")
            .await?;
        let zone = self.zone_of(company, &broker).await?;
        let id = ViewingId::new();
        let now = Utc::now();
        let txn = self.write().await?;
        viewings::Entity::insert(viewings::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            property_id: Set(l.id),
            broker_id: Set(broker.id.0),
            starts_at: Set(input.starts_at),
            ends_at: Set(input.ends_at),
            note: Set(input.note.clone()),
            cancelled_at: Set(None),
            created_by: Set(viewer.user_id.0),
            created_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        for contact in &input.participants {
            self.add_participant_in(&txn, viewer, id, &l, &broker, zone, input.starts_at, *contact, Attendance::Booked)
                .await?;
        }
        txn.commit().await?;
        self.viewing(viewer, id).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_participant_in(
        &self,
        txn: &impl ConnectionTrait,
        viewer: &Viewer,
        viewing: ViewingId,
        l: &properties::Model,
        broker: &User,
        zone: Tz,
        starts_at: DateTime<Utc>,
        contact: ContactId,
        status: Attendance,
    ) -> Result<(), StoreError> {
        let company = viewer.company_id;
        let c = lock_contact(txn, viewer, contact)
            .await
            .map_err(|_| bad("participants", "unknown_contact", format!("no visible contact {contact}")))?;
        let existing = viewing_participants::Entity::find_by_id((company.0, viewing.0, contact.0))
            .one(txn)
            .await?;
        if existing.as_ref().is_some_and(|e| e.status == status.as_str()) {
            return Ok(());
        }
        viewing_participants::Entity::insert(viewing_participants::ActiveModel {
            company_id: Set(company.0),
            viewing_id: Set(viewing.0),
            contact_id: Set(contact.0),
            status: Set(status.as_str().to_owned()),
            updated_at: Set(Utc::now()),
            auto_tip_at: Set(None),
        })
        .on_conflict(
            OnConflict::columns([
                viewing_participants::Column::CompanyId,
                viewing_participants::Column::ViewingId,
                viewing_participants::Column::ContactId,
            ])
            .update_columns([viewing_participants::Column::Status, viewing_participants::Column::UpdatedAt])
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        refresh_history(txn, company, [contact.0]).await?;
        let title = listing_title(l);
        add_timeline(
            txn,
            company,
            contact,
            TimelineEvent::new(
                "viewing",
                json!({"status": status.as_str(), "listing": title, "at": when(starts_at, zone)}),
            )
            .about_property(PropertyId(l.id)),
            Some(viewer.user_id),
        )
        .await?;
        if existing.is_none() {
            let lang = Locale::parse(&broker.locale).unwrap_or(Locale::En);
            let text = lang.render(
                "task.follow_up_viewing",
                &json!({"contact": c.data.display_name(), "listing": title}),
            );
            let due = end_of_day(days_after(local_date(starts_at, zone), VIEWING_FOLLOW_UP_DAYS), zone);
            create_task(
                txn,
                company,
                NewTask {
                    contact: Some(contact),
                    property: Some(PropertyId(l.id)),
                    due: Some(due),
                    origin: Some(format!("viewing:{}:{}", viewing.0, contact.0)),
                    ..NewTask::new(broker.id, "follow_up", &text)
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Adds a participant to a viewing or records whether they came.
    pub async fn set_attendance(
        &self,
        viewer: &Viewer,
        id: ViewingId,
        contact: ContactId,
        status: Attendance,
    ) -> Result<ViewingRecord, StoreError> {
        let company = viewer.company_id;
        let v = viewings::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("viewing"))?;
        let l = listing(&self.db, company, PropertyId(v.property_id)).await?;
        if !can_edit_listing(viewer, l.broker_id.into(), l.office_id.into()) {
            return Err(forbidden_listing());
        }
        if v.cancelled_at.is_some() {
            return Err(StoreError::Conflict {
                field: None,
                message: "the viewing is cancelled".into(),
            });
        }
        let count = viewing_participants::Entity::find()
            .filter(viewing_participants::Column::CompanyId.eq(company.0))
            .filter(viewing_participants::Column::ViewingId.eq(id.0))
            .count(&self.db)
            .await?;
        if count >= MAX_PARTICIPANTS as u64 {
            return Err(bad(
                "contact_id",
                "too_many",
                format!("a viewing has at most {MAX_PARTICIPANTS} participants"),
            ));
        }
        let broker = self.user(company, v.broker_id.into()).await?;
        let zone = self.zone_of(company, &broker).await?;
        let txn = self.write().await?;
        self.add_participant_in(&txn, viewer, id, &l, &broker, zone, v.starts_at, contact, status)
            .await?;
        txn.commit().await?;
        self.viewing(viewer, id).await
    }

    /// Cancels a viewing (it stays on record).
    pub async fn cancel_viewing(&self, viewer: &Viewer, id: ViewingId) -> Result<ViewingRecord, StoreError> {
        let company = viewer.company_id;
        let v = viewings::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("viewing"))?;
        let l = listing(&self.db, company, PropertyId(v.property_id)).await?;
        if !can_edit_listing(viewer, l.broker_id.into(), l.office_id.into()) {
            return Err(forbidden_listing());
        }
        let txn = self.write().await?;
        viewings::Entity::update_many()
            .col_expr(viewings::Column::CancelledAt, Expr::value(Some(Utc::now())))
            .filter(viewings::Column::CompanyId.eq(company.0))
            .filter(viewings::Column::Id.eq(id.0))
            .filter(viewings::Column::CancelledAt.is_null())
            .exec(&txn)
            .await?;
        // Its participants attended one viewing fewer.
        let participants: Vec<Uuid> = viewing_participants::Entity::find()
            .select_only()
            .column(viewing_participants::Column::ContactId)
            .filter(viewing_participants::Column::CompanyId.eq(company.0))
            .filter(viewing_participants::Column::ViewingId.eq(id.0))
            .into_tuple()
            .all(&txn)
            .await?;
        refresh_history(&txn, company, participants).await?;
        txn.commit().await?;
        self.viewing(viewer, id).await
    }

    /// A viewing with its participants.
    pub async fn viewing(&self, viewer: &Viewer, id: ViewingId) -> Result<ViewingRecord, StoreError> {
        if !can_read_listings(viewer) {
            return Err(StoreError::NotFound("viewing"));
        }
        let v = viewings::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("viewing"))?;
        Ok(self.with_participants(viewer, vec![v]).await?.remove(0))
    }

    async fn with_participants(&self, viewer: &Viewer, rows: Vec<viewings::Model>) -> Result<Vec<ViewingRecord>, StoreError> {
        let company = viewer.company_id;
        let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
        let people = if ids.is_empty() {
            Vec::new()
        } else {
            viewing_participants::Entity::find()
                .filter(viewing_participants::Column::CompanyId.eq(company.0))
                .filter(viewing_participants::Column::ViewingId.is_in(ids))
                .order_by_asc(viewing_participants::Column::UpdatedAt)
                .all(&self.db)
                .await?
        };
        let names = self.visible_names(viewer, people.iter().map(|p| p.contact_id).collect()).await?;
        let titles = listing_titles(&self.db, company, rows.iter().map(|v| v.property_id).collect()).await?;
        Ok(rows
            .into_iter()
            .map(|v| ViewingRecord {
                id: v.id.into(),
                property_id: v.property_id.into(),
                property_title: titles.get(&v.property_id).cloned().unwrap_or_default(),
                broker_id: v.broker_id.into(),
                starts_at: v.starts_at,
                ends_at: v.ends_at,
                note: v.note,
                cancelled_at: v.cancelled_at,
                participants: people
                    .iter()
                    .filter(|p| p.viewing_id == v.id)
                    .map(|p| Participant {
                        contact_id: p.contact_id.into(),
                        name: names.get(&p.contact_id).cloned().unwrap_or_default(),
                        status: Attendance::parse(&p.status).unwrap_or(Attendance::Booked),
                    })
                    .collect(),
                created_at: v.created_at,
            })
            .collect())
    }

    /// A listing's viewings, the latest first.
    pub async fn property_viewings(&self, viewer: &Viewer, property: PropertyId) -> Result<Vec<ViewingRecord>, StoreError> {
        self.property(viewer, property).await?;
        let rows = viewings::Entity::find()
            .filter(viewings::Column::CompanyId.eq(viewer.company_id.0))
            .filter(viewings::Column::PropertyId.eq(property.0))
            .order_by_desc(viewings::Column::StartsAt)
            .limit(MAX_LISTED)
            .all(&self.db)
            .await?;
        self.with_participants(viewer, rows).await
    }

    // ---- bids ----

    /// Records a prospect's bid (the contact must be visible to the viewer).
    pub async fn place_bid(
        &self,
        viewer: &Viewer,
        property: PropertyId,
        contact: ContactId,
        amount: i64,
        placed_at: Option<DateTime<Utc>>,
        note: Option<String>,
    ) -> Result<BidRecord, StoreError> {
        if amount <= 0 {
            return Err(bad("amount", "not_positive", "a bid is a positive amount"));
        }
        let company = viewer.company_id;
        let p = self.property(viewer, property).await?;
        let placed_at = placed_at.unwrap_or_else(Utc::now);
        if placed_at > Utc::now() + Duration::minutes(5) {
            return Err(bad("placed_at", "in_future", "a bid cannot be placed in the future"));
        }
        let id = BidId::new();
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, contact)
            .await
            .map_err(|_| bad("contact_id", "unknown_contact", "no such contact"))?;
        bids::Entity::insert(bids::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            property_id: Set(property.0),
            contact_id: Set(contact.0),
            amount: Set(amount),
            placed_at: Set(placed_at),
            status: Set(BidStatus::Active.as_str().to_owned()),
            note: Set(note.clone()),
            created_by: Set(viewer.user_id.0),
            created_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await?;
        add_timeline(
            &txn,
            company,
            contact,
            TimelineEvent::new(
                "bid",
                json!({"status": "active", "listing": p.title(), "amount": amount, "currency": p.currency}),
            )
            .about_property(property),
            Some(viewer.user_id),
        )
        .await?;
        txn.commit().await?;
        Ok(BidRecord {
            id,
            property_id: property,
            property_title: p.title(),
            contact_id: contact,
            contact_name: c.data.display_name(),
            amount,
            currency: p.currency,
            placed_at,
            status: BidStatus::Active,
            note,
            created_at: Utc::now(),
        })
    }

    /// Decides a bid (accepted, rejected) or records that the prospect withdrew it; only an
    /// active bid changes.
    pub async fn set_bid_status(&self, viewer: &Viewer, id: BidId, status: BidStatus) -> Result<BidRecord, StoreError> {
        let company = viewer.company_id;
        let b = bids::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("bid"))?;
        let l = listing(&self.db, company, PropertyId(b.property_id)).await?;
        if !can_edit_listing(viewer, l.broker_id.into(), l.office_id.into()) {
            return Err(forbidden_listing());
        }
        if status == BidStatus::Active {
            return Err(bad("status", "invalid_status", "a bid becomes accepted, rejected or withdrawn"));
        }
        let txn = self.write().await?;
        let changed = bids::Entity::update_many()
            .col_expr(bids::Column::Status, Expr::value(status.as_str()))
            .filter(bids::Column::CompanyId.eq(company.0))
            .filter(bids::Column::Id.eq(id.0))
            .filter(bids::Column::Status.eq(BidStatus::Active.as_str()))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Err(StoreError::Refused {
                code: "bid_decided",
                message: format!("the bid is already {}", b.status),
            });
        }
        add_timeline(
            &txn,
            company,
            ContactId(b.contact_id),
            TimelineEvent::new(
                "bid",
                json!({"status": status.as_str(), "listing": listing_title(&l), "amount": b.amount, "currency": l.currency}),
            )
            .about_property(PropertyId(l.id)),
            Some(viewer.user_id),
        )
        .await?;
        txn.commit().await?;
        self.property_bids(viewer, PropertyId(l.id))
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(StoreError::NotFound("bid"))
    }

    /// A listing's bids, the highest first.
    pub async fn property_bids(&self, viewer: &Viewer, property: PropertyId) -> Result<Vec<BidRecord>, StoreError> {
        let p = self.property(viewer, property).await?;
        let rows = bids::Entity::find()
            .filter(bids::Column::CompanyId.eq(viewer.company_id.0))
            .filter(bids::Column::PropertyId.eq(property.0))
            .order_by_desc(bids::Column::PlacedAt)
            .limit(MAX_BIDS)
            .all(&self.db)
            .await?;
        let names = self.visible_names(viewer, rows.iter().map(|b| b.contact_id).collect()).await?;
        let mut out: Vec<BidRecord> = rows
            .into_iter()
            .map(|b| BidRecord {
                id: b.id.into(),
                property_id: property,
                property_title: p.title(),
                contact_id: b.contact_id.into(),
                contact_name: names.get(&b.contact_id).cloned().unwrap_or_default(),
                amount: b.amount,
                currency: p.currency.clone(),
                placed_at: b.placed_at,
                status: BidStatus::parse(&b.status).unwrap_or(BidStatus::Active),
                note: b.note,
                created_at: b.created_at,
            })
            .collect();
        out.sort_by(|a, b| b.amount.cmp(&a.amount).then(b.placed_at.cmp(&a.placed_at)));
        Ok(out)
    }

    // ---- meetings ----

    /// Books a customer meeting: the object is linked (made in the same step if new) and the
    /// client becomes its seller; a confirmation goes to the client as chosen, and the choice is
    /// remembered for the booker's next booking. Double bookings of the participant are
    /// returned as a warning, not refused.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn book_meeting(
        &self,
        viewer: &Viewer,
        input: &MeetingInput,
        currency: &str,
    ) -> Result<(MeetingRecord, BookingNotes), StoreError> {
        check_span(input.starts_at, input.ends_at)?;
        let company = viewer.company_id;
        let participant = self.colleague(company, input.user.unwrap_or(viewer.user_id), "user_id").await?;
        let zone = self.zone_of(company, &participant).await?;
        let mut notes = BookingNotes {
            conflicts: self
                .calendar(viewer, &[participant.id], input.starts_at, input.ends_at)
                .await?
                .into_iter()
                .filter(|e| e.status != "cancelled" && e.status != "done")
                .collect(),
            ..Default::default()
        };
        let new_listing = match &input.object {
            MeetingObject::New(data) => Some(self.new_property(viewer, data, currency).await?),
            MeetingObject::Existing(_) => None,
        };
        let company_row = self.company(company).await?;
        let lang = Locale::parse(&company_row.locale).unwrap_or(Locale::En);
        let id = MeetingId::new();
        let now = Utc::now();
        let txn = self.write().await?;
        let contact = lock_contact(&txn, viewer, input.contact).await?;
        let (property, title) = match (&input.object, new_listing) {
            (_, Some((pid, am))) => {
                insert_listing(&txn, company, am).await?;
                notes.created_property = Some(pid);
                let l = listing(&txn, company, pid).await?;
                (pid, listing_title(&l))
            }
            (MeetingObject::Existing(pid), None) => {
                let l = listing(&txn, company, *pid)
                    .await
                    .map_err(|_| bad("property_id", "unknown_property", "no such listing"))?;
                if !can_read_listings(viewer) {
                    return Err(forbidden_listing());
                }
                (*pid, listing_title(&l))
            }
            (MeetingObject::New(_), None) => unreachable!("a new listing is prepared above"),
        };
        add_party_in(&txn, company, property, &title, contact.id, PartyRole::Seller, viewer.user_id).await?;
        meetings::Entity::insert(meetings::ActiveModel {
            company_id: Set(company.0),
            id: Set(id.0),
            contact_id: Set(contact.id.0),
            user_id: Set(participant.id.0),
            property_id: Set(property.0),
            starts_at: Set(input.starts_at),
            ends_at: Set(input.ends_at),
            place: Set(input.place.clone()),
            note: Set(input.note.clone()),
            confirmation: Set(input.confirmation.as_str().to_owned()),
            status: Set(MeetingStatus::Booked.as_str().to_owned()),
            outcome: Set(None),
            cancelled_by: Set(None),
            cancel_reason: Set(None),
            created_by: Set(viewer.user_id.0),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        refresh_history(&txn, company, [contact.id.0]).await?;
        let at = when(input.starts_at, zone);
        add_timeline(
            &txn,
            company,
            contact.id,
            TimelineEvent::new(
                "meeting",
                json!({"status": "booked", "at": at, "with": participant.name, "listing": title}),
            )
            .about_property(property),
            Some(viewer.user_id),
        )
        .await?;
        users::Entity::update_many()
            .col_expr(users::Column::BookingConfirmation, Expr::value(input.confirmation.as_str()))
            .filter(users::Column::CompanyId.eq(company.0))
            .filter(users::Column::Id.eq(viewer.user_id.0))
            .exec(&txn)
            .await?;
        // The confirmation the client asks for goes even to a client who opted out of automatic
        // emails; it still carries their unsubscribe link.
        let place = input.place.clone().unwrap_or_else(|| lang.text("meeting.at_home"));
        let params = json!({
            "name": contact.data.display_name(), "at": at, "place": place,
            "broker": participant.name, "company": company_row.name,
        });
        if input.confirmation.email() {
            match contact.data.emails.first() {
                Some(email) => {
                    crate::outbox::queue_to_contact(
                        &txn,
                        company,
                        &contact,
                        "email",
                        email.as_str(),
                        &lang.render("email.meeting.subject", &params),
                        &lang.render("email.meeting.body", &params),
                        true,
                    )
                    .await?;
                }
                None => notes.not_sent.push("no_email"),
            }
        }
        if input.confirmation.sms() {
            match contact.data.phones.first() {
                Some(phone) => {
                    crate::outbox::queue_to_contact(
                        &txn,
                        company,
                        &contact,
                        "sms",
                        phone.as_str(),
                        "",
                        &lang.render("sms.meeting", &params),
                        true,
                    )
                    .await?;
                }
                None => notes.not_sent.push("no_phone"),
            }
        }
        txn.commit().await?;
        Ok((self.meeting(viewer, id).await?, notes))
    }

    /// A meeting about a contact the viewer may see.
    pub async fn meeting(&self, viewer: &Viewer, id: MeetingId) -> Result<MeetingRecord, StoreError> {
        let m = meetings::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("meeting"))?;
        let c = self
            .contact(viewer, ContactId(m.contact_id))
            .await
            .map_err(|_| StoreError::NotFound("meeting"))?;
        let l = listing(&self.db, viewer.company_id, PropertyId(m.property_id)).await?;
        Ok(to_meeting(m, c.data.display_name(), listing_title(&l)))
    }

    /// A contact's meetings, the latest first.
    pub async fn contact_meetings(&self, viewer: &Viewer, contact: ContactId) -> Result<Vec<MeetingRecord>, StoreError> {
        let c = self.contact(viewer, contact).await?;
        let rows = meetings::Entity::find()
            .filter(meetings::Column::CompanyId.eq(viewer.company_id.0))
            .filter(meetings::Column::ContactId.eq(contact.0))
            .order_by_desc(meetings::Column::StartsAt)
            .limit(MAX_LISTED)
            .all(&self.db)
            .await?;
        let titles = listing_titles(&self.db, viewer.company_id, rows.iter().map(|m| m.property_id).collect()).await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let t = titles.get(&m.property_id).cloned().unwrap_or_default();
                to_meeting(m, c.data.display_name(), t)
            })
            .collect())
    }

    /// Records a booked meeting as held with its outcome (no assignment: a follow-up within 3
    /// weeks; an assignment: the listing moves on from customer processing), or cancels it,
    /// naming who cancelled. Of two racing changes one wins; the other is a 409.
    pub async fn change_meeting(
        &self,
        viewer: &Viewer,
        id: MeetingId,
        to: MeetingStatus,
        outcome: Option<MeetingOutcome>,
        cancelled_by: Option<CancelledBy>,
        reason: Option<String>,
    ) -> Result<MeetingRecord, StoreError> {
        let company = viewer.company_id;
        let current = self.meeting(viewer, id).await?;
        change_meeting(current.status, to).map_err(|e| StoreError::Refused {
            code: "meeting_closed",
            message: e.to_string(),
        })?;
        if to == MeetingStatus::Held && outcome.is_none() {
            return Err(bad("outcome", "required", "say what the meeting led to"));
        }
        if to == MeetingStatus::Cancelled && cancelled_by.is_none() {
            return Err(bad("cancelled_by", "required", "say whether the broker or the client cancelled"));
        }
        let participant = self.user(company, current.user_id).await?;
        let zone = self.zone_of(company, &participant).await?;
        let lang = Locale::parse(&participant.locale).unwrap_or(Locale::En);
        let txn = self.write().await?;
        let changed = meetings::Entity::update_many()
            .col_expr(meetings::Column::Status, Expr::value(to.as_str()))
            .col_expr(meetings::Column::Outcome, Expr::value(outcome.map(|o| o.as_str())))
            .col_expr(meetings::Column::CancelledBy, Expr::value(cancelled_by.map(|c| c.as_str())))
            .col_expr(meetings::Column::CancelReason, Expr::value(reason.clone()))
            .col_expr(meetings::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(meetings::Column::CompanyId.eq(company.0))
            .filter(meetings::Column::Id.eq(id.0))
            .filter(meetings::Column::Status.eq(MeetingStatus::Booked.as_str()))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Err(StoreError::Refused {
                code: "meeting_closed",
                message: "the meeting has just been changed by someone else".into(),
            });
        }
        add_timeline(
            &txn,
            company,
            current.contact_id,
            TimelineEvent::new(
                "meeting",
                json!({
                    "status": to.as_str(), "at": when(current.starts_at, zone),
                    "outcome": outcome.map(|o| o.as_str()), "by": cancelled_by.map(|c| c.as_str()), "reason": reason,
                }),
            )
            .about_property(current.property_id),
            Some(viewer.user_id),
        )
        .await?;
        match outcome {
            Some(MeetingOutcome::NoAssignment) => {
                let text = lang.render("task.follow_up_meeting", &json!({"contact": current.contact_name}));
                let due = end_of_day(days_after(local_date(current.starts_at, zone), MEETING_FOLLOW_UP_DAYS), zone);
                create_task(
                    &txn,
                    company,
                    NewTask {
                        contact: Some(current.contact_id),
                        property: Some(current.property_id),
                        due: Some(due),
                        origin: Some(format!("meeting:{}", id.0)),
                        ..NewTask::new(participant.id, "follow_up", &text)
                    },
                )
                .await?;
            }
            Some(MeetingOutcome::Assignment) => {
                properties::Entity::update_many()
                    .col_expr(properties::Column::Status, Expr::value(PropertyStatus::Assignment.as_str()))
                    .col_expr(properties::Column::UpdatedAt, Expr::value(Utc::now()))
                    .filter(properties::Column::CompanyId.eq(company.0))
                    .filter(properties::Column::Id.eq(current.property_id.0))
                    .filter(properties::Column::Status.eq(PropertyStatus::CustomerProcessing.as_str()))
                    .exec(&txn)
                    .await?;
            }
            None => {}
        }
        txn.commit().await?;
        self.meeting(viewer, id).await
    }

    // ---- callbacks ----

    /// Plans a callback: a task for a colleague or an office's shark tank, due on a day (at most
    /// two years ahead) or at a time (then a 30-minute booking in the calendar).
    pub async fn plan_callback(&self, viewer: &Viewer, input: &CallbackInput) -> Result<TaskRecord, StoreError> {
        let company = viewer.company_id;
        let me = self.user(company, viewer.user_id).await?;
        let (assignee, tank) = match input.to {
            CallbackFor::User(u) => (self.colleague(company, u, "assignee_id").await?, None),
            CallbackFor::Office(o) => {
                if !self.offices(company).await?.iter().any(|x| x.id == o) {
                    return Err(bad("office_id", "unknown_office", "no such office in this company"));
                }
                (me.clone(), Some(o))
            }
        };
        let zone = self.zone_of(company, &assignee).await?;
        let today = local_date(Utc::now(), zone);
        let date = check_callback_date(input.date, today).map_err(|e| bad("date", e.code(), e.to_string()))?;
        let due = match input.time {
            Some(t) => local_to_utc(date.and_time(t), zone).map_err(|e| bad("time", "no_such_time", e.to_string()))?,
            None => end_of_day(date, zone),
        };
        let property = match (input.property, input.meeting) {
            (Some(p), _) => Some(p),
            (None, Some(m)) => Some(
                self.meeting(viewer, m)
                    .await
                    .map_err(|_| bad("meeting_id", "unknown_meeting", "no such meeting"))?
                    .property_id,
            ),
            (None, None) => None,
        };
        if let Some(p) = property {
            listing(&self.db, company, p)
                .await
                .map_err(|_| bad("property_id", "unknown_property", "no such listing"))?;
        }
        let lang = Locale::parse(&assignee.locale).unwrap_or(Locale::En);
        let txn = self.write().await?;
        let c = lock_contact(&txn, viewer, input.contact).await?;
        let title = lang.render("task.callback", &json!({"contact": c.data.display_name()}));
        let id = create_task(
            &txn,
            company,
            NewTask {
                body: input.note.as_deref(),
                contact: Some(c.id),
                property,
                due: Some(due),
                timed: input.time.is_some(),
                tank,
                ..NewTask::new(assignee.id, "callback", &title)
            },
        )
        .await?
        .ok_or_else(|| StoreError::Internal("a callback without an origin was not stored".into()))?;
        let mut event = TimelineEvent::new(
            "callback",
            json!({"at": if input.time.is_some() { when(due, zone) } else { date.to_string() }, "with": match tank {
                Some(_) => None,
                None => Some(assignee.name.clone()),
            }}),
        );
        if let Some(p) = property {
            event = event.about_property(p);
        }
        add_timeline(&txn, company, c.id, event, Some(viewer.user_id)).await?;
        if tank.is_none() && assignee.id != viewer.user_id {
            let text = lang.render("notice.callback", &json!({"from": me.name, "task": title}));
            crate::notices::notify(
                &txn,
                company,
                assignee.id,
                crate::notices::Notice {
                    kind: "callback",
                    title: &text,
                    body: input.note.as_deref(),
                    link: Some(format!("/contacts/{}", c.id.0)),
                    email: Some((text.clone(), format!("{text}\n\n{}", input.note.as_deref().unwrap_or_default()))),
                    email_override: None,
                },
            )
            .await?;
        }
        txn.commit().await?;
        let row = tasks::Entity::find_by_id((company.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        Ok(to_task(row))
    }

    // ---- follow-ups on access ----

    /// When a listing is sold with an access date, its buyers and sellers are followed up from
    /// one week after access, at the latest three weeks after (a task for the listing's broker
    /// per party, made once per access date).
    pub(crate) async fn access_follow_ups(
        txn: &impl ConnectionTrait,
        company: CompanyId,
        l: &properties::Model,
        parties: &[(ContactRecord, PartyRole)],
    ) -> Result<(), StoreError> {
        let Some(access) = l.access_date else { return Ok(()) };
        if l.status != PropertyStatus::Sold.as_str() {
            return Ok(());
        }
        // Read through the transaction, which holds the write lock.
        let broker = crate::org::to_user(
            users::Entity::find_by_id((company.0, l.broker_id))
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound("user"))?,
        );
        let firm = crate::org::to_company(
            companies::Entity::find_by_id(company.0)
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound("company"))?,
        )?;
        let zone = broker.zone(&firm);
        let lang = Locale::parse(&broker.locale).unwrap_or(Locale::En);
        let from = days_after(access, ACCESS_FOLLOW_UP_FROM_DAYS);
        let due = end_of_day(days_after(access, ACCESS_FOLLOW_UP_DUE_DAYS), zone);
        for (c, role) in parties {
            let params = json!({
                "contact": c.data.display_name(), "listing": listing_title(l),
                "role": lang.text(&format!("role.{}", role.as_str())), "from": from.to_string(),
            });
            create_task(
                txn,
                company,
                NewTask {
                    contact: Some(c.id),
                    property: Some(PropertyId(l.id)),
                    body: Some(&lang.render("task.follow_up_access_body", &params)),
                    due: Some(due),
                    origin: Some(format!("access:{}:{}:{}", l.id, c.id.0, access)),
                    ..NewTask::new(broker.id, "follow_up", &lang.render("task.follow_up_access", &params))
                },
            )
            .await?;
        }
        Ok(())
    }

    /// All parties of a listing (whether the reader may see them or not), read in the caller's
    /// transaction.
    pub(crate) async fn parties_in(
        txn: &impl ConnectionTrait,
        company: CompanyId,
        id: PropertyId,
    ) -> Result<Vec<(ContactRecord, PartyRole)>, StoreError> {
        use crate::entities::{contacts, property_parties};
        let parties = property_parties::Entity::find()
            .filter(property_parties::Column::CompanyId.eq(company.0))
            .filter(property_parties::Column::PropertyId.eq(id.0))
            .all(txn)
            .await?;
        let ids: Vec<Uuid> = parties.iter().map(|p| p.contact_id).collect();
        let people = contacts::Entity::find()
            .filter(contacts::Column::CompanyId.eq(company.0))
            .filter(contacts::Column::Id.is_in(ids))
            .all(txn)
            .await?;
        Ok(parties
            .iter()
            .filter_map(|p| {
                let c = people.iter().find(|c| c.id == p.contact_id)?;
                Some((crate::contacts::to_record(c.clone()), PartyRole::parse(&p.role)?))
            })
            .collect())
    }

    // ---- the calendar ----

    /// The bookings of some users between two instants: meetings, viewings and timed callbacks,
    /// by start (at most `MAX_ENTRIES`, the earliest). Clients the reader may not see are shown
    /// without a name.
    ///
    /// One statement: the three kinds of booking, each read per person by its `(company, person,
    /// start)` index, which carries the columns shown (migration 0016), with the client's name
    /// where the reader may see them (the one visibility filter, in the statement) and a
    /// viewing's address joined within the company, so a month of an office is one round trip
    /// with one short row per booking. Each person's bookings are a range of that index whatever
    /// the planner's statistics say: PostgreSQL reads them in a lateral subquery in the index's order (the
    /// `planned` transaction allows no sort, and no other index gives that order), SQLite is told
    /// the index. The rows are put in order here, which spares the database a sort of wide rows.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn calendar(
        &self,
        viewer: &Viewer,
        users: &[UserId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CalendarEntry>, StoreError> {
        let company = viewer.company_id;
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let people: Vec<Uuid> = users.iter().map(|u| u.0).collect();
        // Bookings start at most 12 hours before they end.
        let earliest = from - Duration::hours(crm_domain::calendar::MAX_BOOKING_HOURS);
        let span = Duration::minutes(CALLBACK_MINUTES);
        let txn = self.planned().await?;
        let pg = txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
        // `ids CROSS JOIN` one person's range of a covering index (only the columns it holds are
        // read, so no booking's row is); the caller writes its conditions.
        let per_person = |sql: &mut Sql, cover: &Cover, alias: &str| {
            sql.key_rows(&people);
            if pg {
                sql.push(" CROSS JOIN LATERAL (SELECT ")
                    .push(cover.key)
                    .push(", ")
                    .push(cover.carried)
                    .push(" FROM ")
                    .push(cover.table)
                    .push(" ")
                    .push(alias)
                    .push(" WHERE ");
            } else {
                sql.push(" CROSS JOIN ")
                    .push(cover.table)
                    .push(" ")
                    .push(alias)
                    .push(" INDEXED BY ")
                    .push(cover.name)
                    .push(" ON ");
            }
        };
        let [meetings, viewings, timed] = &COVERS;
        let in_order = |sql: &mut Sql, alias: &str, column: &str| {
            if pg {
                sql.push(" ORDER BY ").push(column).push(" OFFSET 0) AS ").push(alias);
            }
        };
        // The client's name where the reader may see them (by the one visibility filter), else
        // NULL.
        let client_name = |sql: &mut Sql| {
            sql.push("CASE WHEN 1 = 1");
            if crate::contacts::list::visible_client(sql, viewer) {
                sql.push(" THEN c.display_name END");
            } else {
                sql.push(" AND 1 = 0 THEN c.display_name END");
            }
        };
        let mut sql = Sql::new(txn.get_database_backend());
        if !pg {
            // SQLite hands over the month as one value: sqlx's SQLite thread sends rows one at
            // a time to the request's thread, waking it for each (a third of the time of
            // 3,400 rows); building one JSON array in the statement costs less.
            sql.push(
                "SELECT count(*), json_group_array(json_array(k, hex(id), hex(user_id), starts_at, ends_at, status, \
                 place, hex(contact_id), hex(property_id), name)) FROM (",
            );
        }
        sql.push("SELECT 0 AS k, m.id, m.user_id, m.starts_at, m.ends_at, m.status, m.place, m.contact_id, m.property_id, ");
        client_name(&mut sql);
        sql.push(" AS name FROM ");
        per_person(&mut sql, meetings, "m");
        sql.push("m.company_id = ")
            .bind(company.0)
            .push(" AND m.user_id = ids.id AND m.starts_at >= ")
            .bind(earliest)
            .push(" AND m.starts_at < ")
            .bind(to)
            .push(" AND m.ends_at > ")
            .bind(from);
        in_order(&mut sql, "m", "m.starts_at");
        sql.push(" JOIN contacts c ON c.company_id = m.company_id AND c.id = m.contact_id")
            .push(" UNION ALL SELECT 1, v.id, v.broker_id, v.starts_at, v.ends_at, CASE WHEN v.cancelled_at IS NULL THEN 'booked' ELSE 'cancelled' END, p.street || ', ' || p.city, NULL, v.property_id, NULL FROM ");
        per_person(&mut sql, viewings, "v");
        sql.push("v.company_id = ")
            .bind(company.0)
            .push(" AND v.broker_id = ids.id AND v.starts_at >= ")
            .bind(earliest)
            .push(" AND v.starts_at < ")
            .bind(to)
            .push(" AND v.ends_at > ")
            .bind(from);
        in_order(&mut sql, "v", "v.starts_at");
        sql.push(" JOIN properties p ON p.company_id = v.company_id AND p.id = v.property_id")
            .push(" UNION ALL SELECT 2, t.id, t.assignee_id, t.due_at, t.due_at, CASE WHEN t.done THEN 'done' ELSE 'open' END, NULL, t.contact_id, t.property_id, ");
        client_name(&mut sql);
        sql.push(" FROM ");
        per_person(&mut sql, timed, "t");
        sql.push("t.company_id = ")
            .bind(company.0)
            .push(" AND t.assignee_id = ids.id AND t.timed = ")
            .bind(true)
            .push(" AND t.due_at > ")
            .bind(from - span)
            .push(" AND t.due_at < ")
            .bind(to)
            .push(" AND t.tank_office_id IS NULL");
        in_order(&mut sql, "t", "t.due_at");
        sql.push(" LEFT JOIN contacts c ON c.company_id = t.company_id AND c.id = t.contact_id LIMIT ")
            .bind(MAX_READ as i64 + 1);
        if !pg {
            sql.push(")");
        }
        let too_many = || {
            StoreError::invalid(
                "to",
                "too_many_bookings",
                format!("more than {MAX_READ} bookings: ask for fewer days or fewer people"),
            )
        };
        let bookings = if pg {
            let rows = txn.query_all_raw(sql.statement()).await?;
            if rows.len() as u64 > MAX_READ {
                return Err(too_many());
            }
            rows.iter().map(Booking::from_row).collect::<Result<Vec<_>, _>>()?
        } else {
            let row = txn.query_one_raw(sql.statement()).await?;
            let (count, all): (i64, String) = match &row {
                Some(row) => (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
                None => (0, "[]".to_owned()),
            };
            if count as u64 > MAX_READ {
                return Err(too_many());
            }
            Booking::from_sqlite_json(&all)?
        };
        txn.commit().await?;
        // In order of start by their keys alone: sorting the bookings themselves would move
        // each of them (a few hundred bytes) a dozen times.
        let mut order: Vec<(DateTime<Utc>, Uuid, usize)> = bookings.iter().enumerate().map(|(i, b)| (b.starts_at, b.id, i)).collect();
        order.sort_unstable();
        order.truncate(MAX_ENTRIES as usize);
        let mut bookings: Vec<Option<Booking>> = bookings.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(order.len());
        for b in order.into_iter().filter_map(|(_, _, i)| bookings[i].take()) {
            let Booking {
                kind,
                id,
                user,
                starts_at,
                mut ends_at,
                status,
                place,
                contact,
                property,
                client,
            } = b;
            let kind = match kind {
                0 => EntryKind::Meeting,
                1 => EntryKind::Viewing,
                _ => EntryKind::Callback,
            };
            if kind == EntryKind::Callback {
                ends_at = starts_at + span;
            }
            let visible = client.is_some();
            let (title, place) = match kind {
                EntryKind::Viewing => (place.clone().unwrap_or_default(), place),
                _ => (client.unwrap_or_default(), place.filter(|_| visible)),
            };
            out.push(CalendarEntry {
                kind,
                id,
                user_id: UserId(user),
                starts_at,
                ends_at,
                title,
                place,
                contact_id: if visible { contact.map(ContactId) } else { None },
                property_id: if kind == EntryKind::Viewing || visible {
                    property.map(PropertyId)
                } else {
                    None
                },
                status,
            });
        }
        Ok(out)
    }

    // ---- the private calendar feed ----

    /// Makes (or replaces) the user's calendar feed token; the old one stops working.
    pub async fn renew_calendar_feed(&self, company: CompanyId, user: UserId) -> Result<String, StoreError> {
        let secret = crate::auth::random_secret();
        let token = format!("cf.{}.{}.{}", company.0.simple(), user.0.simple(), secret);
        calendar_feeds::Entity::insert(calendar_feeds::ActiveModel {
            company_id: Set(company.0),
            user_id: Set(user.0),
            token_hash: Set(crate::auth::sha256_hex(&secret)),
            created_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::columns([calendar_feeds::Column::CompanyId, calendar_feeds::Column::UserId])
                .update_columns([calendar_feeds::Column::TokenHash, calendar_feeds::Column::CreatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(token)
    }

    /// Whether the user has a feed, and since when.
    pub async fn calendar_feed(&self, company: CompanyId, user: UserId) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(calendar_feeds::Entity::find_by_id((company.0, user.0))
            .one(&self.db)
            .await?
            .map(|f| f.created_at))
    }

    /// Revokes the user's feed.
    pub async fn revoke_calendar_feed(&self, company: CompanyId, user: UserId) -> Result<(), StoreError> {
        calendar_feeds::Entity::delete_many()
            .filter(calendar_feeds::Column::CompanyId.eq(company.0))
            .filter(calendar_feeds::Column::UserId.eq(user.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The active user a feed token belongs to.
    pub async fn calendar_feed_owner(&self, token: &str) -> Result<User, StoreError> {
        let (company, user, secret) = crate::auth::parse_token(token, "cf").ok_or(StoreError::NotFound("calendar feed"))?;
        let row = calendar_feeds::Entity::find_by_id((company, user))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("calendar feed"))?;
        if !crate::auth::constant_time_eq(&row.token_hash, &crate::auth::sha256_hex(&secret)) {
            return Err(StoreError::NotFound("calendar feed"));
        }
        let u = self.user(company.into(), user.into()).await?;
        if u.active {
            Ok(u)
        } else {
            Err(StoreError::NotFound("calendar feed"))
        }
    }

    /// A callback task of the reader (or in their office's tank), for linking from the calendar.
    pub async fn task(&self, viewer: &Viewer, id: TaskId) -> Result<TaskRecord, StoreError> {
        tasks::Entity::find_by_id((viewer.company_id.0, id.0))
            .filter(
                Condition::any()
                    .add(tasks::Column::AssigneeId.eq(viewer.user_id.0))
                    .add(tasks::Column::TankOfficeId.eq(viewer.office_id.0)),
            )
            .one(&self.db)
            .await?
            .map(to_task)
            .ok_or(StoreError::NotFound("task"))
    }
}

/// Viewings further back than this past their office's delay are not looked at again (their
/// participants were handled, or the job was down for two weeks).
const AUTO_TIP_LOOKBACK_DAYS: i64 = 14;

impl Store {
    /// Automatic tips after viewings, for offices that set a delay: a participant (booked or
    /// attended) whose home lies in another broker's focus area, and whom nobody tipped by hand
    /// since the viewing, is tipped to that broker once the delay has passed. Each participant is
    /// looked at once: a mark taken in the tip's own transaction makes two instances running this
    /// at once tip nobody twice. Returns how many tips were sent.
    pub async fn auto_tips_due(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        use crate::entities::office_routing;
        let settings = office_routing::Entity::find()
            .filter(office_routing::Column::AutoTipDays.is_not_null())
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for s in settings {
            let company = CompanyId(s.company_id);
            let days = i64::from(s.auto_tip_days.unwrap_or(1).clamp(1, crm_domain::leads::MAX_AUTO_TIP_DAYS as i32));
            let cutoff = now - Duration::days(days);
            let org = self.org_snapshot(company).await?;
            let brokers: Vec<Uuid> = org.users.iter().filter(|u| u.office_id.0 == s.office_id).map(|u| u.id.0).collect();
            if brokers.is_empty() {
                continue;
            }
            let due = viewings::Entity::find()
                .filter(viewings::Column::CompanyId.eq(company.0))
                .filter(viewings::Column::BrokerId.is_in(brokers))
                .filter(viewings::Column::CancelledAt.is_null())
                .filter(viewings::Column::StartsAt.lte(cutoff))
                .filter(viewings::Column::StartsAt.gt(cutoff - Duration::days(AUTO_TIP_LOOKBACK_DAYS)))
                .limit(MAX_ENTRIES)
                .all(&self.db)
                .await?;
            for v in due {
                let people = viewing_participants::Entity::find()
                    .filter(viewing_participants::Column::CompanyId.eq(company.0))
                    .filter(viewing_participants::Column::ViewingId.eq(v.id))
                    .filter(viewing_participants::Column::AutoTipAt.is_null())
                    .filter(viewing_participants::Column::Status.ne(Attendance::NoShow.as_str()))
                    .all(&self.db)
                    .await?;
                for p in people {
                    if self.auto_tip(&org, company, &v, ContactId(p.contact_id), now).await? {
                        sent += 1;
                    }
                }
            }
        }
        Ok(sent)
    }

    async fn auto_tip(
        &self,
        org: &crate::snapshot::OrgSnapshot,
        company: CompanyId,
        v: &viewings::Model,
        contact: ContactId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        use crate::entities::{contacts, inbox_items};
        use crm_domain::leads::{Assignee, Flow, Status};
        // Everything that needs no lock is read before the write transaction.
        let record = contacts::Entity::find_by_id((company.0, contact.0))
            .one(&self.db)
            .await?
            .map(crate::contacts::to_record);
        let broker = UserId(v.broker_id);
        let target = record.as_ref().and_then(|c| c.data.location).and_then(|point| {
            crm_domain::routing::suggest(point, &org.coverage.users)
                .into_iter()
                .map(|a| a.key.user)
                .find(|u| *u != broker && org.users.iter().any(|x| x.id == *u && x.active && x.permissions.work_with_clients))
        });
        let receiver = target.and_then(|t| org.users.iter().find(|u| u.id == t));
        let redistribute_at = match target {
            Some(t) => self.due_for(company, Flow::Tip, Status::Open, Assignee::User(t), now).await?,
            None => None,
        };
        let listing = listing(&self.db, company, PropertyId(v.property_id)).await?;
        let txn = self.write().await?;
        let claimed = viewing_participants::Entity::update_many()
            .col_expr(viewing_participants::Column::AutoTipAt, Expr::value(Some(now)))
            .filter(viewing_participants::Column::CompanyId.eq(company.0))
            .filter(viewing_participants::Column::ViewingId.eq(v.id))
            .filter(viewing_participants::Column::ContactId.eq(contact.0))
            .filter(viewing_participants::Column::AutoTipAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            // Another instance took this participant.
            txn.rollback().await?;
            return Ok(false);
        }
        let (Some(c), Some(to)) = (record, receiver) else {
            txn.commit().await?;
            return Ok(false);
        };
        let tipped_by_hand = inbox_items::Entity::find()
            .filter(inbox_items::Column::CompanyId.eq(company.0))
            .filter(inbox_items::Column::Kind.eq("tip"))
            .filter(inbox_items::Column::ContactId.eq(contact.0))
            .filter(inbox_items::Column::CreatedAt.gte(v.starts_at))
            .count(&txn)
            .await?
            > 0;
        if tipped_by_hand {
            txn.commit().await?;
            return Ok(false);
        }
        let lang = Locale::parse(&to.locale).unwrap_or(Locale::En);
        let zone = to.zone(&crate::org::to_company(
            companies::Entity::find_by_id(company.0)
                .one(&txn)
                .await?
                .ok_or(StoreError::NotFound("company"))?,
        )?);
        let from = org
            .users
            .iter()
            .find(|u| u.id == broker)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let note = lang.render(
            "tip.after_viewing",
            &json!({"contact": c.data.display_name(), "listing": listing_title(&listing), "at": when(v.starts_at, zone), "broker": from}),
        );
        inbox_items::Entity::insert(inbox_items::ActiveModel {
            sender_id: Set(Some(broker.0)),
            message: Set(Some(note.clone())),
            redistribute_at: Set(redistribute_at),
            ..crate::leads::new_item(
                company,
                Uuid::now_v7(),
                Flow::Tip,
                Status::Open,
                Assignee::User(to.id),
                Some(contact),
                now,
            )
        })
        .exec_without_returning(&txn)
        .await?;
        add_timeline(
            &txn,
            company,
            contact,
            TimelineEvent::new("tip_sent", json!({"to": to.name, "note": note, "automatic": true})),
            None,
        )
        .await?;
        let title = lang.render("notice.tip", &json!({"from": from, "contact": c.data.display_name()}));
        crate::notices::notify(
            &txn,
            company,
            to.id,
            crate::notices::Notice {
                kind: "tip",
                title: &title,
                body: Some(&note),
                link: Some("/inbox".into()),
                email: Some((title.clone(), note.clone())),
                email_override: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// Recomputes, beside each of these contacts, when they last attended a viewing and when a
/// meeting with them was last booked (segments read these by one index): after every change to
/// attendance, a viewing's cancellation or a booking.
pub(crate) async fn refresh_history(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contacts: impl IntoIterator<Item = Uuid>,
) -> Result<(), StoreError> {
    let ids: Vec<Uuid> = contacts.into_iter().collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(crm_migration::m0014_segment_history::HISTORY)
        .push(" WHERE company_id = ")
        .bind(company.0)
        .push(" AND id IN ")
        .bind_list(ids);
    db.execute_raw(sql.statement()).await?;
    Ok(())
}

/// One booking as the calendar's statement gives it, before the reader's view of it is made.
struct Booking {
    /// 0 a meeting, 1 a viewing, 2 a timed callback.
    kind: i32,
    id: Uuid,
    user: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    status: &'static str,
    /// A meeting's place, or a viewing's address.
    place: Option<String>,
    contact: Option<Uuid>,
    property: Option<Uuid>,
    /// The client's name, where the reader may see them.
    client: Option<String>,
}

/// A booking's status as the statement writes it.
fn booking_status(text: &str) -> &'static str {
    match text {
        "held" => "held",
        "cancelled" => "cancelled",
        "done" => "done",
        "open" => "open",
        _ => "booked",
    }
}

impl Booking {
    fn from_row(row: &sea_orm::QueryResult) -> Result<Self, StoreError> {
        Ok(Self {
            kind: row.try_get_by_index(0)?,
            id: row.try_get_by_index(1)?,
            user: row.try_get_by_index(2)?,
            starts_at: row.try_get_by_index(3)?,
            ends_at: row.try_get_by_index(4)?,
            status: booking_status(&row.try_get_by_index::<String>(5)?),
            place: row.try_get_by_index(6)?,
            contact: row.try_get_by_index(7)?,
            property: row.try_get_by_index(8)?,
            client: row.try_get_by_index(9)?,
        })
    }

    /// The bookings of SQLite's JSON array of rows: ids in hexadecimal (empty for none), times
    /// as stored. Only the names and places are copied out of the text.
    fn from_sqlite_json(all: &str) -> Result<Vec<Self>, StoreError> {
        type Fields<'a> = (
            i32,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            Option<String>,
            &'a str,
            &'a str,
            Option<String>,
        );
        let broken = |what: String| StoreError::Internal(format!("the calendar's statement gave {what}"));
        let id = |hex: &str| Uuid::try_parse(hex).map_err(|_| broken(format!("an id '{hex}'")));
        let maybe_id = |hex: &str| if hex.is_empty() { Ok(None) } else { id(hex).map(Some) };
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc()))
                .map_err(|_| broken(format!("a time '{text}'")))
        };
        let rows: Vec<Fields> = serde_json::from_str(all).map_err(|e| broken(format!("no list of bookings: {e}")))?;
        rows.into_iter()
            .map(|(kind, i, user, starts, ends, status, place, contact, property, client)| {
                Ok(Self {
                    kind,
                    id: id(i)?,
                    user: id(user)?,
                    starts_at: time(starts)?,
                    ends_at: time(ends)?,
                    status: booking_status(status),
                    place,
                    contact: maybe_id(contact)?,
                    property: maybe_id(property)?,
                    client,
                })
            })
            .collect()
    }
}
