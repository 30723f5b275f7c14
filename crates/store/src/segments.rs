//! Segments: the contact list's filters combined with what brokers ask of a client's history —
//! the call pipeline's stage and tags, when the contact was created and last called, attended a
//! viewing in a period without booking a meeting since, bid without becoming a buyer within a
//! year, a demand matching an area or a price, opted out or not. A segment always runs through
//! the contact list's one visibility filter, as the user running it sees contacts: counted, paged,
//! walked whole for bulk actions (messages through the outbox, call lists, newsletter lists, the
//! spreadsheet export). Saved filters are private or shared with the creator's office.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crm_domain::calendar::end_of_day;
use crm_domain::calls::Stage;
use crm_domain::contacts::{ContactKind, Country, LookupQuery};
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, OfficeId, UserId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::contacts::list::visible_and_filtered;
use crate::contacts::{ContactFilter, ContactRecord, ContactSort, Cursor, ListOptions, TimelineEvent, add_timeline_many};
use crate::entities::{newsletter_lists, newsletter_members, saved_filters};
use crate::sql::{Sql, like_escape};
use crate::{Store, StoreError, prefix_upper};

/// Contacts one bulk action may reach at most.
pub const MAX_BULK: u64 = 100_000;
/// Contacts a selection may name one by one.
pub const MAX_SELECTED: usize = 1_000;
/// Saved filters a user may keep.
pub const MAX_SAVED: u64 = 200;
/// Newsletter lists in one company.
pub const MAX_NEWSLETTERS: u64 = 500;
pub const MAX_NAME: usize = 200;
pub const MAX_SUBJECT: usize = 200;
pub const MAX_EMAIL_BODY: usize = 20_000;
pub const MAX_SMS_BODY: usize = 1_000;
const MAX_AREA: usize = 100;
/// Rows read per step of a walk.
const BATCH: u64 = 500;

/// Which contacts: every condition optional, all combined with AND. Dates are calendar days in
/// the company's time zone; a period includes both its days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilter {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub office_id: Option<Uuid>,
    #[serde(default)]
    pub text: Option<String>,
    /// A stage of the call pipeline (a contact never called counts as `not_reached`).
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub created_from: Option<NaiveDate>,
    #[serde(default)]
    pub created_to: Option<NaiveDate>,
    /// Called (either way) on or after this day.
    #[serde(default)]
    pub contacted_since: Option<NaiveDate>,
    /// Not called (either way) on or after this day.
    #[serde(default)]
    pub not_contacted_since: Option<NaiveDate>,
    /// Attended a viewing in this period.
    #[serde(default)]
    pub viewing_from: Option<NaiveDate>,
    #[serde(default)]
    pub viewing_to: Option<NaiveDate>,
    /// No customer meeting booked on or after this day.
    #[serde(default)]
    pub no_meeting_since: Option<NaiveDate>,
    /// Placed a bid in this period.
    #[serde(default)]
    pub bid_from: Option<NaiveDate>,
    #[serde(default)]
    pub bid_to: Option<NaiveDate>,
    /// Did not become a buyer of any listing within the last year.
    #[serde(default)]
    pub not_buyer: bool,
    /// An open demand whose area names this text: each of its words begins a word of the area
    /// (case and diacritics aside: "söder" finds "Södermalm").
    #[serde(default)]
    pub demand_area: Option<String>,
    /// An open demand whose price range takes this price.
    #[serde(default)]
    pub demand_price: Option<i64>,
    #[serde(default)]
    pub opted_out: Option<bool>,
    /// On this newsletter list.
    #[serde(default)]
    pub newsletter_id: Option<Uuid>,
}

/// A filter understood: the contact list's part and the segment's own conditions, in instants.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) list: ContactFilter,
    pub(crate) stage: Option<Stage>,
    tag: Option<String>,
    created: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    contacted_since: Option<DateTime<Utc>>,
    not_contacted_since: Option<DateTime<Utc>>,
    viewing: Option<(DateTime<Utc>, DateTime<Utc>)>,
    no_meeting_since: Option<DateTime<Utc>>,
    bid: Option<(DateTime<Utc>, DateTime<Utc>)>,
    not_buyer_since: Option<DateTime<Utc>>,
    /// The words of an area a demand must name (each a word of its area, or the start of one).
    demand_words: Vec<String>,
    demand_price: Option<i64>,
    opted_out: Option<bool>,
    newsletter: Option<Uuid>,
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::invalid(format!("filter.{field}"), "invalid_value", message)
}

fn sane(field: &str, d: Option<NaiveDate>) -> Result<Option<NaiveDate>, StoreError> {
    match d {
        Some(d) if !(1900..=2200).contains(&chrono::Datelike::year(&d)) => Err(invalid(field, "a day between 1900 and 2200")),
        d => Ok(d),
    }
}

fn period(from_field: &str, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        return Err(invalid(from_field, "the period ends before it starts"));
    }
    Ok((from, to))
}

impl SavedFilter {
    /// Checks every field, naming the one at fault.
    pub fn check(&self) -> Result<(), StoreError> {
        self.resolve(chrono_tz::UTC, Utc::now()).map(|_| ())
    }

    /// Whether anything beyond the contact list's own filters is asked.
    fn has_own_conditions(&self) -> bool {
        self.stage.as_deref().is_some_and(|s| !s.is_empty())
            || self.tag.as_deref().is_some_and(|s| !s.is_empty())
            || self.created_from.is_some()
            || self.created_to.is_some()
            || self.contacted_since.is_some()
            || self.not_contacted_since.is_some()
            || self.viewing_from.is_some()
            || self.viewing_to.is_some()
            || self.no_meeting_since.is_some()
            || self.bid_from.is_some()
            || self.bid_to.is_some()
            || self.not_buyer
            || self.demand_area.as_deref().is_some_and(|s| !s.trim().is_empty())
            || self.demand_price.is_some()
            || self.opted_out.is_some()
            || self.newsletter_id.is_some()
    }

    pub(crate) fn resolve(&self, zone: chrono_tz::Tz, now: DateTime<Utc>) -> Result<Resolved, StoreError> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => Some(ContactKind::parse(k).ok_or_else(|| invalid("kind", "no such kind of contact"))?),
            None => None,
        };
        let stage = match self.stage.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(Stage::parse(s).ok_or_else(|| invalid("stage", "no such stage"))?),
            None => None,
        };
        if self.text.as_deref().is_some_and(|t| t.chars().count() > crm_domain::limits::SEARCH) {
            return Err(StoreError::invalid("filter.text", "too_long", "at most 200 characters"));
        }
        let tag = self.tag.clone().filter(|t| !t.is_empty());
        if tag.as_deref().is_some_and(|t| !crm_domain::calls::valid_tag_code(t)) {
            return Err(invalid("tag", "no such tag"));
        }
        let start = |d: NaiveDate| end_of_day(d.pred_opt().unwrap_or(d), zone);
        let end = |d: NaiveDate| end_of_day(d, zone);
        let (cf, ct) = period(
            "created_from",
            sane("created_from", self.created_from)?,
            sane("created_to", self.created_to)?,
        )?;
        let (vf, vt) = period(
            "viewing_from",
            sane("viewing_from", self.viewing_from)?,
            sane("viewing_to", self.viewing_to)?,
        )?;
        let (bf, bt) = period("bid_from", sane("bid_from", self.bid_from)?, sane("bid_to", self.bid_to)?)?;
        let far_past = DateTime::<Utc>::MIN_UTC;
        let far_future = DateTime::<Utc>::MAX_UTC;
        let demand_words = match self.demand_area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if a.chars().count() > MAX_AREA => {
                return Err(StoreError::invalid("filter.demand_area", "too_long", "at most 100 characters"));
            }
            Some(a) => {
                let words = crm_domain::properties::area_words(a);
                if words.is_empty() {
                    return Err(invalid("demand_area", "type a word of the area"));
                }
                words
            }
            None => Vec::new(),
        };
        if self.demand_price.is_some_and(|p| !(0..=1_000_000_000_000).contains(&p)) {
            return Err(invalid("demand_price", "a price between 0 and 10^12"));
        }
        Ok(Resolved {
            list: ContactFilter {
                kind,
                owner_id: self.owner_id.map(UserId),
                office_id: self.office_id.map(OfficeId),
                text: self.text.clone().filter(|t| !t.trim().is_empty()),
            },
            stage,
            tag,
            created: (cf.map(start), ct.map(end)),
            contacted_since: sane("contacted_since", self.contacted_since)?.map(start),
            not_contacted_since: sane("not_contacted_since", self.not_contacted_since)?.map(start),
            viewing: (vf.is_some() || vt.is_some()).then(|| (vf.map(start).unwrap_or(far_past), vt.map(end).unwrap_or(far_future))),
            no_meeting_since: sane("no_meeting_since", self.no_meeting_since)?.map(start),
            bid: (bf.is_some() || bt.is_some()).then(|| (bf.map(start).unwrap_or(far_past), bt.map(end).unwrap_or(far_future))),
            not_buyer_since: self.not_buyer.then(|| now - Duration::days(365)),
            demand_words,
            demand_price: self.demand_price,
            opted_out: self.opted_out,
            newsletter: self.newsletter_id,
        })
    }
}

/// A condition whose matching contacts can be listed from its own table's index: the smallest
/// such set drives a segment's statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Driver {
    Stage,
    Tag,
    Contacted,
    Viewing,
    Bid,
    Demand,
    Newsletter,
}

/// A driving set is used when it holds at most this many contacts.
const DRIVER_CAP: i64 = 30_000;

/// How a driven read begins: the page's ids and names, each row carrying the count of all of
/// them; the caller writes the driven rows after `FROM` and closes them `) AS w WHERE 1 = 1`.
const DRIVEN: &str =
    "SELECT id, total, sort_name FROM (SELECT contacts.id AS id, contacts.sort_name AS sort_name, COUNT(*) OVER () AS total FROM ";

/// The period of a condition that names none (only read where the condition is set).
const ALL_TIME: (DateTime<Utc>, DateTime<Utc>) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);

impl Resolved {
    /// The conditions that can drive, in no particular order.
    fn drivers(&self) -> Vec<Driver> {
        let mut out = Vec::new();
        if self.stage.is_some_and(|s| s != Stage::NotReached) {
            out.push(Driver::Stage);
        }
        if self.tag.is_some() {
            out.push(Driver::Tag);
        }
        if self.contacted_since.is_some() {
            out.push(Driver::Contacted);
        }
        if self.viewing.is_some() {
            out.push(Driver::Viewing);
        }
        if self.bid.is_some() {
            out.push(Driver::Bid);
        }
        if !self.demand_words.is_empty() || self.demand_price.is_some() {
            out.push(Driver::Demand);
        }
        if self.newsletter.is_some() {
            out.push(Driver::Newsletter);
        }
        out
    }

    /// `SELECT DISTINCT contact_id FROM …`: the contacts a driving condition holds, read by its
    /// table's index.
    fn driver(&self, sql: &mut Sql, company: CompanyId, driver: Driver) {
        let c = company.0;
        match driver {
            Driver::Stage => {
                sql.push("SELECT contact_id FROM call_cards WHERE company_id = ")
                    .bind(c)
                    .push(" AND stage = ")
                    .bind(self.stage.map(Stage::as_str).unwrap_or_default());
            }
            Driver::Tag => {
                sql.push("SELECT contact_id FROM contact_tags WHERE company_id = ")
                    .bind(c)
                    .push(" AND tag = ")
                    .bind(self.tag.clone().unwrap_or_default());
            }
            Driver::Contacted => {
                sql.push("SELECT DISTINCT contact_id FROM calls WHERE company_id = ")
                    .bind(c)
                    .push(" AND direction IN ('in', 'out') AND at >= ")
                    .bind(self.contacted_since.unwrap_or(DateTime::<Utc>::MIN_UTC))
                    .push(" AND contact_id IS NOT NULL");
            }
            Driver::Viewing => {
                let (from, to) = self.viewing.unwrap_or(ALL_TIME);
                // Those whose last attended viewing is in or after the period, by its index.
                sql.push("SELECT id AS contact_id FROM contacts WHERE company_id = ").bind(c);
                self.viewing_terms(sql, company, from, to);
            }
            Driver::Bid => {
                let (from, to) = self.bid.unwrap_or(ALL_TIME);
                sql.push("SELECT DISTINCT contact_id FROM bids WHERE company_id = ")
                    .bind(c)
                    .push(" AND placed_at >= ")
                    .bind(from)
                    .push(" AND placed_at < ")
                    .bind(to);
            }
            Driver::Demand => match self.demand_words.iter().max_by_key(|w| w.len()) {
                // The longest word's range of the area-word index, which carries the rest.
                Some(word) => {
                    sql.push("SELECT DISTINCT d.contact_id FROM demand_words d WHERE d.company_id = ")
                        .bind(c)
                        .push(" AND d.word >= ")
                        .bind(word.clone())
                        .push(" AND d.word < ")
                        .bind(prefix_upper(word));
                    self.demand_terms(sql);
                }
                None => {
                    sql.push("SELECT DISTINCT contact_id FROM demands d WHERE d.company_id = ").bind(c);
                    self.demand_terms(sql);
                }
            },
            Driver::Newsletter => {
                sql.push("SELECT contact_id FROM newsletter_members WHERE company_id = ")
                    .bind(c)
                    .push(" AND list_id = ")
                    .bind(self.newsletter.unwrap_or_default());
            }
        }
    }

    /// `AND` that the row of `contacts` attended a viewing (not cancelled) starting in
    /// `[from, to)`: its last attended viewing is kept beside it, so only a contact whose last
    /// one is after the period has its viewings read.
    fn viewing_terms(&self, sql: &mut Sql, company: CompanyId, from: DateTime<Utc>, to: DateTime<Utc>) {
        sql.push(" AND contacts.last_viewing_at >= ").bind(from);
        if to == DateTime::<Utc>::MAX_UTC {
            return;
        }
        let fence = if sql.backend() == DatabaseBackend::Postgres {
            " OFFSET 0)"
        } else {
            ")"
        };
        sql.push(" AND (contacts.last_viewing_at < ")
            .bind(to)
            .push(" OR EXISTS (SELECT 1 FROM viewing_participants x WHERE x.company_id = ")
            .bind(company.0)
            .push(" AND x.contact_id = contacts.id AND x.status = 'attended' AND EXISTS (SELECT 1 FROM viewings v WHERE v.company_id = ")
            .bind(company.0)
            .push(" AND v.id = x.viewing_id AND v.cancelled_at IS NULL AND v.starts_at >= ")
            .bind(from)
            .push(" AND v.starts_at < ")
            .bind(to)
            .push(fence)
            .push(fence)
            .push(")");
    }

    /// `AND` what an open demand `d` must hold.
    fn demand_terms(&self, sql: &mut Sql) {
        sql.push(" AND d.active = ").bind(true);
        // Each word starts a word of the area (`words` holds them folded, space-separated).
        for word in &self.demand_words {
            sql.push(" AND (' ' || d.words) LIKE ")
                .bind(format!("% {}%", like_escape(word)))
                .push(" ESCAPE '\\'");
        }
        if let Some(p) = self.demand_price {
            sql.push(" AND (d.min_price IS NULL OR d.min_price <= ")
                .bind(p)
                .push(") AND (d.max_price IS NULL OR d.max_price >= ")
                .bind(p)
                .push(")");
        }
    }

    /// `AND` the segment's own conditions on a row of `contacts`, each a subquery about that one
    /// contact read by an index that starts with the company and the contact (PostgreSQL is kept
    /// from turning them into joins it would order by its statistics).
    /// `skip` is the condition the rows are driven by (already met by every row).
    fn conditions(&self, sql: &mut Sql, company: CompanyId, skip: Option<Driver>) {
        let c = company.0;
        let fence = if sql.backend() == DatabaseBackend::Postgres {
            " OFFSET 0)"
        } else {
            ")"
        };
        let exists = |sql: &mut Sql, not: bool, from: &str| {
            sql.push(if not {
                " AND NOT EXISTS (SELECT 1 FROM "
            } else {
                " AND EXISTS (SELECT 1 FROM "
            })
            .push(from)
            .push(" WHERE x.company_id = ")
            .bind(c)
            .push(" AND x.contact_id = contacts.id");
        };
        if let Some(stage) = self.stage.filter(|_| skip != Some(Driver::Stage)) {
            if stage == Stage::NotReached {
                exists(sql, true, "call_cards x");
                sql.push(" AND x.stage <> ").bind(stage.as_str()).push(fence);
            } else {
                exists(sql, false, "call_cards x");
                sql.push(" AND x.stage = ").bind(stage.as_str()).push(fence);
            }
        }
        if let Some(tag) = self.tag.as_ref().filter(|_| skip != Some(Driver::Tag)) {
            exists(sql, false, "contact_tags x");
            sql.push(" AND x.tag = ").bind(tag.as_str()).push(fence);
        }
        if let Some(from) = self.created.0 {
            sql.push(" AND created_at >= ").bind(from);
        }
        if let Some(to) = self.created.1 {
            sql.push(" AND created_at < ").bind(to);
        }
        if let Some(since) = self.contacted_since.filter(|_| skip != Some(Driver::Contacted)) {
            exists(sql, false, "calls x");
            sql.push(" AND x.at >= ").bind(since).push(fence);
        }
        if let Some(since) = self.not_contacted_since {
            exists(sql, true, "calls x");
            sql.push(" AND x.at >= ").bind(since).push(fence);
        }
        if let Some((from, to)) = self.viewing.filter(|_| skip != Some(Driver::Viewing)) {
            self.viewing_terms(sql, company, from, to);
        }
        if let Some(since) = self.no_meeting_since {
            // The latest booking is kept beside the contact.
            sql.push(" AND (contacts.last_meeting_at IS NULL OR contacts.last_meeting_at < ")
                .bind(since)
                .push(")");
        }
        if let Some((from, to)) = self.bid.filter(|_| skip != Some(Driver::Bid)) {
            exists(sql, false, "bids x");
            sql.push(" AND x.placed_at >= ")
                .bind(from)
                .push(" AND x.placed_at < ")
                .bind(to)
                .push(fence);
        }
        if let Some(since) = self.not_buyer_since {
            exists(sql, true, "property_parties x");
            sql.push(" AND x.role = 'buyer' AND x.created_at >= ").bind(since).push(fence);
        }
        if (!self.demand_words.is_empty() || self.demand_price.is_some()) && skip != Some(Driver::Demand) {
            sql.push(" AND EXISTS (SELECT 1 FROM demands d WHERE d.company_id = ")
                .bind(c)
                .push(" AND d.contact_id = contacts.id");
            self.demand_terms(sql);
            sql.push(fence);
        }
        if let Some(o) = self.opted_out {
            sql.push(" AND opted_out = ").bind(o);
        }
        if let Some(list) = self.newsletter.filter(|_| skip != Some(Driver::Newsletter)) {
            exists(sql, false, "newsletter_members x");
            sql.push(" AND x.list_id = ").bind(list).push(fence);
        }
    }
}

/// Which contacts of a segment an action is for.
#[derive(Debug, Clone, Default)]
pub enum Selection {
    /// Every contact the filter finds.
    #[default]
    All,
    /// These contacts, those of them the filter finds.
    Some(BTreeSet<Uuid>),
}

/// A page of a segment.
#[derive(Debug, Clone)]
pub struct SegmentPage {
    pub items: Vec<ContactRecord>,
    pub next: Option<Cursor>,
    pub total: u64,
    /// False when `total` is an estimate (a text search over very many contacts).
    pub total_exact: bool,
}

/// What a bulk action did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkSummary {
    /// Contacts the filter and the selection found.
    pub matched: u64,
    /// Contacts the action was carried out for.
    pub done: u64,
    /// Left out because they opted out of messages.
    pub opted_out: u64,
    /// Left out for want of an email address or a phone number.
    pub no_channel: u64,
    /// Already there (on the newsletter list).
    pub already: u64,
}

/// A message to every contact of a segment.
#[derive(Debug, Clone)]
pub enum BulkMessage {
    Email { subject: String, body: String },
    Sms { body: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SavedFilterRecord {
    pub id: Uuid,
    pub name: String,
    pub user_id: UserId,
    /// Shared with this office; none: private to its creator.
    pub office_id: Option<OfficeId>,
    pub filter: SavedFilter,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewsletterList {
    pub id: Uuid,
    pub name: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub archived: bool,
    pub members: u64,
}

/// Walks every contact of a segment a batch at a time, in name order, as its viewer sees them:
/// memory stays constant however many there are.
pub struct SegmentWalk {
    store: Store,
    viewer: Viewer,
    country: Country,
    filter: Resolved,
    own: bool,
    selection: Selection,
    after: Option<Cursor>,
    done: bool,
}

/// What one read of a segment found: the contacts' ids in name order, with their records when
/// the read had them anyway.
struct Found {
    ids: Vec<Uuid>,
    records: Option<Vec<ContactRecord>>,
    next: Option<Cursor>,
    total: u64,
    total_exact: bool,
}

impl SegmentWalk {
    /// The next contacts, or an empty batch at the end.
    pub async fn next_batch(&mut self) -> Result<Vec<ContactRecord>, StoreError> {
        match self.next_found().await? {
            Some(mut found) => self.store.found_records(self.viewer.company_id, &mut found).await,
            None => Ok(Vec::new()),
        }
    }

    /// The ids of the next contacts, or none at the end: for actions that need no more.
    pub async fn next_ids(&mut self) -> Result<Vec<Uuid>, StoreError> {
        Ok(self.next_found().await?.map(|f| f.ids).unwrap_or_default())
    }

    async fn next_found(&mut self) -> Result<Option<Found>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .store
            .segment_read(
                &self.viewer,
                self.country,
                &self.filter,
                self.own,
                &self.selection,
                self.after.as_ref(),
                BATCH,
                false,
            )
            .await?;
        self.done = page.next.is_none();
        self.after = page.next.clone();
        Ok(Some(page))
    }
}

fn to_saved(m: saved_filters::Model) -> SavedFilterRecord {
    SavedFilterRecord {
        id: m.id,
        name: m.name,
        user_id: UserId(m.user_id),
        office_id: m.office_id.map(OfficeId),
        filter: serde_json::from_value(m.filter).unwrap_or_default(),
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn checked_name(name: &str) -> Result<String, StoreError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "required", "a name is required"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(StoreError::invalid("name", "too_long", "at most 200 characters"));
    }
    Ok(name.to_owned())
}

impl Store {
    /// A segment understood in the company's time zone, and whether it asks more than the
    /// contact list's own filters.
    pub(crate) async fn resolve_segment(&self, company: CompanyId, filter: &SavedFilter) -> Result<(Resolved, bool, Country), StoreError> {
        let company = self.company(company).await?;
        let resolved = filter.resolve(company.time_zone, Utc::now())?;
        // A text the search cannot read is refused now, not halfway through a walk.
        if let Some(t) = resolved.list.text.as_deref()
            && LookupQuery::parse(t, company.country).is_none()
        {
            return Err(StoreError::invalid(
                "filter.q",
                "query_too_short",
                "type at least two letters or three digits",
            ));
        }
        Ok((resolved, filter.has_own_conditions(), company.country))
    }

    /// A page of a segment (in name order) and, when asked, how many contacts it holds.
    pub async fn segment_page(
        &self,
        viewer: &Viewer,
        filter: &SavedFilter,
        selection: &Selection,
        after: Option<&Cursor>,
        limit: u64,
    ) -> Result<SegmentPage, StoreError> {
        let (resolved, own, country) = self.resolve_segment(viewer.company_id, filter).await?;
        let mut found = self
            .segment_read(viewer, country, &resolved, own, selection, after, limit, true)
            .await?;
        let items = self.found_records(viewer.company_id, &mut found).await?;
        Ok(SegmentPage {
            items,
            next: found.next,
            total: found.total,
            total_exact: found.total_exact,
        })
    }

    /// Walks a whole segment (for exports and bulk actions).
    pub async fn segment_walk(&self, viewer: &Viewer, filter: &SavedFilter, selection: Selection) -> Result<SegmentWalk, StoreError> {
        let (resolved, own, country) = self.resolve_segment(viewer.company_id, filter).await?;
        Ok(SegmentWalk {
            store: self.clone(),
            viewer: *viewer,
            country,
            filter: resolved,
            own,
            selection,
            after: None,
            done: false,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn segment_read(
        &self,
        viewer: &Viewer,
        country: Country,
        f: &Resolved,
        own: bool,
        selection: &Selection,
        after: Option<&Cursor>,
        limit: u64,
        total: bool,
    ) -> Result<Found, StoreError> {
        if !own && matches!(selection, Selection::All) {
            // Nothing beyond the list's filters: the list's own plans, counts included.
            let page = self
                .list_contacts(viewer, country, &f.list, ContactSort::NameAsc, ListOptions { after, limit, total })
                .await?;
            return Ok(Found {
                ids: page.items.iter().map(|c| c.id.0).collect(),
                records: Some(page.items),
                next: page.next,
                total: page.total,
                total_exact: page.total_exact,
            });
        }
        let company = viewer.company_id;
        let txn = self.planned().await?;
        let backend = txn.get_database_backend();
        let driver = match selection {
            Selection::Some(_) => None,
            Selection::All => self.pick_driver(&txn, company, f).await?,
        };
        let mut page_sql = Sql::new(backend);
        let mut count_sql = None;
        let any = match (selection, driver) {
            (Selection::Some(ids), _) if ids.is_empty() => false,
            (Selection::All, Some(Driver::Viewing)) => {
                // Driven by the index of the contacts who attended a viewing, which carries what
                // the other conditions on the contact's own columns ask, counted in the same
                // statement. SQLite is told to use it; PostgreSQL reads the contacts it lists in
                // a subquery kept apart (OFFSET 0), as it would otherwise pick an index on a
                // condition of the visibility filter (the kind) by its statistics.
                let sql = &mut page_sql;
                sql.push(DRIVEN);
                if backend == DatabaseBackend::Postgres {
                    // What the index carries, so that the read needs no contact's row.
                    sql.push("(SELECT last_viewing_at, ")
                        .push(crm_migration::m0015_viewed_contacts::CARRIED);
                    if f.list.text.is_some() {
                        sql.push(", search_words");
                    }
                    sql.push(" FROM contacts WHERE company_id = ").bind(company.0);
                    let (from, _) = f.viewing.unwrap_or(ALL_TIME);
                    sql.push(" AND last_viewing_at >= ")
                        .bind(from)
                        .push(" OFFSET 0) AS contacts WHERE 1 = 1");
                } else {
                    sql.push("contacts INDEXED BY contacts_viewed WHERE contacts.company_id = ")
                        .bind(company.0);
                }
                let any = visible_and_filtered(sql, viewer, country, &f.list)?;
                f.conditions(sql, company, None);
                sql.push(") AS w WHERE 1 = 1");
                any
            }
            (Selection::Some(_), _) | (Selection::All, Some(_)) => {
                // Driven: each contact of the driving set checked by its primary key, counted in
                // the same statement.
                let sql = &mut page_sql;
                sql.push(DRIVEN).push("(");
                match (selection, driver) {
                    (Selection::Some(ids), _) => {
                        sql.push("SELECT id AS contact_id FROM contacts WHERE company_id = ")
                            .bind(company.0)
                            .push(" AND id IN ")
                            .bind_list(ids.iter().copied());
                    }
                    (_, Some(d)) => f.driver(sql, company, d),
                    (_, None) => unreachable!("matched above"),
                }
                sql.push(") AS d ");
                let lateral = backend == DatabaseBackend::Postgres;
                if lateral {
                    // A lateral subquery kept apart (OFFSET 0): one primary-key probe per row.
                    sql.push("CROSS JOIN LATERAL (SELECT contacts.id, contacts.sort_name FROM contacts WHERE contacts.company_id = ");
                } else {
                    // SQLite keeps a CROSS JOIN's order: the driving set outside.
                    sql.push("CROSS JOIN contacts WHERE contacts.company_id = ");
                }
                sql.bind(company.0).push(" AND contacts.id = d.contact_id");
                let any = visible_and_filtered(sql, viewer, country, &f.list)?;
                f.conditions(sql, company, driver);
                if lateral {
                    sql.push(" OFFSET 0) AS contacts");
                }
                sql.push(") AS w WHERE 1 = 1");
                any
            }
            (Selection::All, None) => {
                // Walked in name order, and counted apart.
                page_sql
                    .push("SELECT id, sort_name FROM contacts WHERE company_id = ")
                    .bind(company.0);
                let mut count = Sql::new(backend);
                count.push("SELECT COUNT(*) FROM contacts WHERE company_id = ").bind(company.0);
                let mut any = true;
                for s in [&mut page_sql, &mut count] {
                    any &= visible_and_filtered(s, viewer, country, &f.list)?;
                    f.conditions(s, company, None);
                }
                count_sql = total.then_some(count);
                any
            }
        };
        if !any {
            return Ok(Found {
                ids: Vec::new(),
                records: Some(Vec::new()),
                next: None,
                total: 0,
                total_exact: true,
            });
        }
        if let Some(c) = after {
            page_sql
                .push(" AND (sort_name, id) > (")
                .bind(c.name.clone().unwrap_or_default())
                .push(", ")
                .bind(c.id)
                .push(")");
        }
        page_sql.push(" ORDER BY sort_name, id LIMIT ").bind(limit as i64 + 1);
        let driven = !matches!((selection, driver), (Selection::All, None));
        let rows = txn.query_all_raw(page_sql.statement()).await?;
        let name_at = if driven { 2 } else { 1 };
        let mut found: Vec<(Uuid, String)> = rows
            .iter()
            .map(|r| Ok((r.try_get_by_index::<Uuid>(0)?, r.try_get_by_index::<String>(name_at)?)))
            .collect::<Result<_, StoreError>>()?;
        let window_total: Option<i64> = if driven {
            rows.first().map(|r| r.try_get_by_index::<i64>(1)).transpose()?
        } else {
            None
        };
        let counted = match count_sql {
            Some(s) => {
                let row = txn.query_one_raw(s.statement()).await?;
                Some(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
            }
            None => None,
        };
        txn.commit().await?;
        let more = found.len() as u64 > limit;
        found.truncate(limit as usize);
        let next = match found.last() {
            Some((id, name)) if more => Some(Cursor {
                sort: ContactSort::NameAsc,
                name: Some(name.clone()),
                updated: None,
                id: *id,
                estimate: None,
            }),
            _ => None,
        };
        let total = window_total.or(counted).map(|n| n.max(0) as u64).unwrap_or(found.len() as u64);
        Ok(Found {
            ids: found.into_iter().map(|(id, _)| id).collect(),
            records: None,
            next,
            total,
            total_exact: true,
        })
    }

    /// The contacts found, in the order found (taken from `found.records` when it has them).
    async fn found_records(&self, company: CompanyId, found: &mut Found) -> Result<Vec<ContactRecord>, StoreError> {
        if let Some(items) = found.records.take() {
            return Ok(items);
        }
        let mut items = self.contacts_by_id(company, found.ids.clone()).await?;
        let at: HashMap<Uuid, usize> = found.ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        items.sort_by_key(|r| at.get(&r.id.0).copied());
        Ok(items)
    }

    /// The smallest set a driving condition lists, when one holds at most `DRIVER_CAP`
    /// contacts (each counted only up to just past the cap, or past the smallest so far).
    async fn pick_driver(&self, txn: &DatabaseTransaction, company: CompanyId, f: &Resolved) -> Result<Option<Driver>, StoreError> {
        let mut best: Option<(Driver, i64)> = None;
        for d in f.drivers() {
            let bound = best.map_or(DRIVER_CAP, |(_, m)| m);
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push("SELECT COUNT(*) FROM (");
            f.driver(&mut sql, company, d);
            sql.push(" LIMIT ").bind(bound + 1).push(") AS n");
            let row = txn.query_one_raw(sql.statement()).await?;
            let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
            if n <= bound && best.is_none_or(|(_, m)| n < m) {
                best = Some((d, n));
            }
        }
        Ok(best.map(|(d, _)| d))
    }

    /// Refuses a bulk action over more contacts than one action may reach.
    async fn bulk_size(&self, viewer: &Viewer, filter: &SavedFilter, selection: &Selection) -> Result<u64, StoreError> {
        let page = self.segment_page(viewer, filter, selection, None, 1).await?;
        if page.total > MAX_BULK {
            return Err(StoreError::invalid(
                "filter",
                "too_many_contacts",
                format!("{} contacts: one action reaches at most {MAX_BULK}; narrow the filter", page.total),
            ));
        }
        Ok(page.total)
    }

    /// Queues a message to every contact of a segment through the outbox, leaving out those
    /// who opted out and those without the channel (each counted).
    pub async fn segment_message(
        &self,
        viewer: &Viewer,
        filter: &SavedFilter,
        selection: Selection,
        message: &BulkMessage,
    ) -> Result<BulkSummary, StoreError> {
        let (subject, body, channel) = match message {
            BulkMessage::Email { subject, body } => {
                if subject.trim().is_empty() {
                    return Err(StoreError::invalid("subject", "required", "a subject is required"));
                }
                if subject.chars().count() > MAX_SUBJECT {
                    return Err(StoreError::invalid("subject", "too_long", "at most 200 characters"));
                }
                if body.chars().count() > MAX_EMAIL_BODY {
                    return Err(StoreError::invalid("body", "too_long", "at most 20,000 characters"));
                }
                (subject.trim(), body.as_str(), "email")
            }
            BulkMessage::Sms { body } => {
                if body.chars().count() > MAX_SMS_BODY {
                    return Err(StoreError::invalid("body", "too_long", "at most 1,000 characters"));
                }
                ("", body.as_str(), "sms")
            }
        };
        if body.trim().is_empty() {
            return Err(StoreError::invalid("body", "required", "the message is empty"));
        }
        self.bulk_size(viewer, filter, &selection).await?;
        let event = TimelineEvent::new("message", json!({"channel": channel, "subject": subject}));
        let mut walk = self.segment_walk(viewer, filter, selection).await?;
        let mut summary = BulkSummary::default();
        loop {
            let batch = walk.next_batch().await?;
            if batch.is_empty() {
                break;
            }
            summary.matched += batch.len() as u64;
            let mut to = Vec::new();
            for c in &batch {
                let address = match channel {
                    "email" => c.data.emails.first().map(|e| e.to_string()),
                    _ => c.data.phones.first().map(|p| p.to_string()),
                };
                match address {
                    _ if c.data.opted_out => summary.opted_out += 1,
                    None => summary.no_channel += 1,
                    Some(a) => to.push((c.id, a)),
                }
            }
            summary.done += to.len() as u64;
            let reached: Vec<ContactId> = to.iter().map(|(c, _)| *c).collect();
            let txn = self.db.begin().await?;
            crate::outbox::queue_to_contacts(&txn, viewer.company_id, channel, &to, subject, body).await?;
            add_timeline_many(&txn, viewer.company_id, &reached, &event, Some(viewer.user_id)).await?;
            txn.commit().await?;
        }
        Ok(summary)
    }

    /// Adds every contact of a segment to a newsletter list.
    pub async fn segment_to_newsletter(
        &self,
        viewer: &Viewer,
        filter: &SavedFilter,
        selection: Selection,
        list: Uuid,
    ) -> Result<BulkSummary, StoreError> {
        if !viewer.permissions.export {
            return Err(StoreError::Forbidden("adding contacts to a newsletter list needs the export right"));
        }
        let row = self.newsletter_row(viewer.company_id, list).await?;
        if row.archived_at.is_some() {
            return Err(StoreError::Refused {
                code: "list_archived",
                message: "the newsletter list is archived".into(),
            });
        }
        self.bulk_size(viewer, filter, &selection).await?;
        let event = TimelineEvent::new("newsletter", json!({"list": row.name}));
        let mut walk = self.segment_walk(viewer, filter, selection).await?;
        let mut summary = BulkSummary::default();
        loop {
            let ids = walk.next_ids().await?;
            if ids.is_empty() {
                break;
            }
            summary.matched += ids.len() as u64;
            let there: BTreeSet<Uuid> = newsletter_members::Entity::find()
                .select_only()
                .column(newsletter_members::Column::ContactId)
                .filter(newsletter_members::Column::CompanyId.eq(viewer.company_id.0))
                .filter(newsletter_members::Column::ListId.eq(list))
                .filter(newsletter_members::Column::ContactId.is_in(ids.clone()))
                .into_tuple::<Uuid>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect();
            let fresh: Vec<Uuid> = ids.into_iter().filter(|id| !there.contains(id)).collect();
            summary.already += there.len() as u64;
            summary.done += fresh.len() as u64;
            if fresh.is_empty() {
                continue;
            }
            let now = Utc::now();
            let added: Vec<ContactId> = fresh.iter().copied().map(ContactId).collect();
            let txn = self.db.begin().await?;
            newsletter_members::Entity::insert_many(fresh.into_iter().map(|c| newsletter_members::ActiveModel {
                company_id: Set(viewer.company_id.0),
                list_id: Set(list),
                contact_id: Set(c),
                added_by: Set(viewer.user_id.0),
                added_at: Set(now),
            }))
            .on_conflict(
                OnConflict::columns([
                    newsletter_members::Column::CompanyId,
                    newsletter_members::Column::ListId,
                    newsletter_members::Column::ContactId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            add_timeline_many(&txn, viewer.company_id, &added, &event, Some(viewer.user_id)).await?;
            txn.commit().await?;
        }
        Ok(summary)
    }

    // --- Saved filters ---

    /// The viewer's own saved filters and those shared with their office, by name.
    pub async fn saved_filters(&self, viewer: &Viewer) -> Result<Vec<SavedFilterRecord>, StoreError> {
        let rows = saved_filters::Entity::find()
            .filter(saved_filters::Column::CompanyId.eq(viewer.company_id.0))
            .filter(
                sea_orm::Condition::any()
                    .add(saved_filters::Column::UserId.eq(viewer.user_id.0))
                    .add(saved_filters::Column::OfficeId.eq(viewer.office_id.0)),
            )
            .order_by_asc(saved_filters::Column::Name)
            .limit(MAX_SAVED * 5)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_saved).collect())
    }

    pub async fn saved_filter(&self, viewer: &Viewer, id: Uuid) -> Result<SavedFilterRecord, StoreError> {
        let row = saved_filters::Entity::find()
            .filter(saved_filters::Column::CompanyId.eq(viewer.company_id.0))
            .filter(saved_filters::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("saved filter"))?;
        let record = to_saved(row);
        if record.user_id != viewer.user_id && record.office_id != Some(viewer.office_id) {
            return Err(StoreError::NotFound("saved filter"));
        }
        Ok(record)
    }

    /// Saves a filter, private or shared with the creator's office.
    pub async fn create_saved_filter(
        &self,
        viewer: &Viewer,
        name: &str,
        shared: bool,
        filter: &SavedFilter,
    ) -> Result<SavedFilterRecord, StoreError> {
        let name = checked_name(name)?;
        filter.check()?;
        let mine = saved_filters::Entity::find()
            .filter(saved_filters::Column::CompanyId.eq(viewer.company_id.0))
            .filter(saved_filters::Column::UserId.eq(viewer.user_id.0))
            .count(&self.db)
            .await?;
        if mine >= MAX_SAVED {
            return Err(StoreError::Refused {
                code: "too_many_filters",
                message: format!("at most {MAX_SAVED} saved filters each; delete one first"),
            });
        }
        let now = Utc::now();
        let id = Uuid::now_v7();
        saved_filters::Entity::insert(saved_filters::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id),
            name: Set(name),
            user_id: Set(viewer.user_id.0),
            office_id: Set(shared.then_some(viewer.office_id.0)),
            filter: Set(serde_json::to_value(filter).map_err(|e| StoreError::Internal(e.to_string()))?),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&self.db)
        .await?;
        self.saved_filter(viewer, id).await
    }

    /// Changes a saved filter: its creator, or an administrator.
    pub async fn update_saved_filter(
        &self,
        viewer: &Viewer,
        id: Uuid,
        name: &str,
        shared: bool,
        filter: &SavedFilter,
    ) -> Result<SavedFilterRecord, StoreError> {
        let name = checked_name(name)?;
        filter.check()?;
        let record = self.saved_filter(viewer, id).await?;
        if record.user_id != viewer.user_id && !viewer.permissions.admin {
            return Err(StoreError::Forbidden("only its creator changes a saved filter"));
        }
        let office = if shared {
            Some(record.office_id.unwrap_or(viewer.office_id).0)
        } else {
            None
        };
        saved_filters::Entity::update_many()
            .col_expr(saved_filters::Column::Name, Expr::value(name))
            .col_expr(saved_filters::Column::OfficeId, Expr::value(office))
            .col_expr(
                saved_filters::Column::Filter,
                Expr::value(serde_json::to_value(filter).map_err(|e| StoreError::Internal(e.to_string()))?),
            )
            .col_expr(saved_filters::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(saved_filters::Column::CompanyId.eq(viewer.company_id.0))
            .filter(saved_filters::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        let mut changed = self.saved_filter(viewer, id).await;
        if matches!(changed, Err(StoreError::NotFound(_))) {
            // Unshared by an administrator who is neither creator nor in the office.
            changed = Ok(SavedFilterRecord {
                office_id: office.map(OfficeId),
                ..record
            });
        }
        changed
    }

    pub async fn delete_saved_filter(&self, viewer: &Viewer, id: Uuid) -> Result<(), StoreError> {
        let record = self.saved_filter(viewer, id).await?;
        if record.user_id != viewer.user_id && !viewer.permissions.admin {
            return Err(StoreError::Forbidden("only its creator deletes a saved filter"));
        }
        saved_filters::Entity::delete_many()
            .filter(saved_filters::Column::CompanyId.eq(viewer.company_id.0))
            .filter(saved_filters::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    // --- Newsletter lists ---

    async fn newsletter_row(&self, company: CompanyId, id: Uuid) -> Result<newsletter_lists::Model, StoreError> {
        newsletter_lists::Entity::find()
            .filter(newsletter_lists::Column::CompanyId.eq(company.0))
            .filter(newsletter_lists::Column::Id.eq(id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("newsletter list"))
    }

    /// The company's newsletter lists with their member counts, by name.
    pub async fn newsletter_lists(&self, company: CompanyId) -> Result<Vec<NewsletterList>, StoreError> {
        let rows = newsletter_lists::Entity::find()
            .filter(newsletter_lists::Column::CompanyId.eq(company.0))
            .order_by_asc(newsletter_lists::Column::Name)
            .limit(MAX_NEWSLETTERS)
            .all(&self.db)
            .await?;
        let counts: std::collections::HashMap<Uuid, i64> = newsletter_members::Entity::find()
            .select_only()
            .column(newsletter_members::Column::ListId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(newsletter_members::Column::CompanyId.eq(company.0))
            .group_by(newsletter_members::Column::ListId)
            .into_tuple::<(Uuid, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|m| NewsletterList {
                members: counts.get(&m.id).copied().unwrap_or(0).max(0) as u64,
                id: m.id,
                name: m.name,
                created_by: UserId(m.created_by),
                created_at: m.created_at,
                archived: m.archived_at.is_some(),
            })
            .collect())
    }

    pub async fn newsletter_list(&self, company: CompanyId, id: Uuid) -> Result<NewsletterList, StoreError> {
        self.newsletter_lists(company)
            .await?
            .into_iter()
            .find(|l| l.id == id)
            .ok_or(StoreError::NotFound("newsletter list"))
    }

    pub async fn create_newsletter_list(&self, viewer: &Viewer, name: &str) -> Result<NewsletterList, StoreError> {
        let name = checked_name(name)?;
        let n = newsletter_lists::Entity::find()
            .filter(newsletter_lists::Column::CompanyId.eq(viewer.company_id.0))
            .count(&self.db)
            .await?;
        if n >= MAX_NEWSLETTERS {
            return Err(StoreError::Refused {
                code: "too_many_lists",
                message: format!("at most {MAX_NEWSLETTERS} newsletter lists; archive or reuse one"),
            });
        }
        let id = Uuid::now_v7();
        newsletter_lists::Entity::insert(newsletter_lists::ActiveModel {
            company_id: Set(viewer.company_id.0),
            id: Set(id),
            name: Set(name),
            created_by: Set(viewer.user_id.0),
            created_at: Set(Utc::now()),
            archived_at: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        self.newsletter_list(viewer.company_id, id).await
    }

    /// Renames, archives or re-activates a newsletter list.
    pub async fn update_newsletter_list(
        &self,
        viewer: &Viewer,
        id: Uuid,
        name: &str,
        archived: bool,
    ) -> Result<NewsletterList, StoreError> {
        let name = checked_name(name)?;
        let row = self.newsletter_row(viewer.company_id, id).await?;
        newsletter_lists::Entity::update_many()
            .col_expr(newsletter_lists::Column::Name, Expr::value(name))
            .col_expr(
                newsletter_lists::Column::ArchivedAt,
                Expr::value(if archived { row.archived_at.or(Some(Utc::now())) } else { None }),
            )
            .filter(newsletter_lists::Column::CompanyId.eq(viewer.company_id.0))
            .filter(newsletter_lists::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        self.newsletter_list(viewer.company_id, id).await
    }

    /// A page of a newsletter list's members the viewer may see, in name order, with their count.
    pub async fn newsletter_members(
        &self,
        viewer: &Viewer,
        id: Uuid,
        after: Option<&Cursor>,
        limit: u64,
    ) -> Result<SegmentPage, StoreError> {
        self.newsletter_row(viewer.company_id, id).await?;
        let filter = SavedFilter {
            newsletter_id: Some(id),
            ..SavedFilter::default()
        };
        self.segment_page(viewer, &filter, &Selection::All, after, limit).await
    }

    /// Takes a contact off a newsletter list.
    pub async fn remove_newsletter_member(&self, viewer: &Viewer, id: Uuid, contact: Uuid) -> Result<(), StoreError> {
        self.newsletter_row(viewer.company_id, id).await?;
        self.contact(viewer, crm_domain::ContactId(contact)).await?;
        newsletter_members::Entity::delete_many()
            .filter(newsletter_members::Column::CompanyId.eq(viewer.company_id.0))
            .filter(newsletter_members::Column::ListId.eq(id))
            .filter(newsletter_members::Column::ContactId.eq(contact))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
