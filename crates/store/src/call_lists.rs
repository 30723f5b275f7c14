//! Call lists: contacts to call with instructions beside them, worked by one user or a group.
//! A list is filled from a filtered contact list in one action, or every night from its saved
//! filter; either way through the filler's visibility, never adding a contact that is already on
//! the list and open, was reached recently, or is non-target. Each contact is taken by one caller
//! at a time; a call made from the list settles its entry (reached, or tried again another day).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use crm_domain::calendar::local_date;
use crm_domain::calls::Stage;
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, GroupId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::contacts::ContactRecord;
use crate::entities::{call_cards, call_list_entries, call_lists};
use crate::segments::Selection;
use crate::sql::Sql;
use crate::{Store, StoreError};

/// A caller keeps a contact this long before another may take it.
const CLAIM: i64 = 30;
/// A contact reached this recently is not added to a list again.
pub const RECENTLY_REACHED_DAYS: i64 = 30;
/// Lists in one answer.
const MAX_LISTS: u64 = 500;
pub const MAX_NAME: usize = 200;
pub const MAX_INSTRUCTIONS: usize = 20_000;

pub use crate::segments::SavedFilter;

/// How far a list has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: u64,
    /// Not settled yet (never called, or called without an answer and waiting for another day).
    pub open: u64,
    /// Settled: reached, or given up (non-target).
    pub done: u64,
    pub reached: u64,
    /// Called at least once and not reached (still open or given up).
    pub not_reached: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallListRecord {
    pub id: Uuid,
    pub name: String,
    pub instructions: String,
    pub user_id: Option<UserId>,
    pub group_id: Option<GroupId>,
    pub filter: Option<SavedFilter>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub archived: bool,
    pub progress: Progress,
}

/// A list to create or change.
#[derive(Debug, Clone)]
pub struct CallListInput {
    pub name: String,
    pub instructions: String,
    pub user_id: Option<UserId>,
    pub group_id: Option<GroupId>,
    /// Filled every night from this filter.
    pub nightly: Option<SavedFilter>,
}

/// What a fill did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FillSummary {
    pub added: u64,
    /// Matching contacts left out: already on the list and open, reached recently, or
    /// non-target.
    pub skipped: u64,
}

/// The next contact to call from a list, taken by the caller.
#[derive(Debug, Clone)]
pub struct NextCall {
    pub contact: ContactRecord,
    pub attempts: u32,
}

fn to_list(m: call_lists::Model, progress: Progress) -> CallListRecord {
    CallListRecord {
        id: m.id,
        name: m.name,
        instructions: m.instructions,
        user_id: m.user_id.map(UserId),
        group_id: m.group_id.map(GroupId),
        filter: m.filter.and_then(|f| serde_json::from_value(f).ok()),
        created_by: m.created_by.into(),
        created_at: m.created_at,
        archived: m.archived_at.is_some(),
        progress,
    }
}

fn bad(field: &'static str, code: &'static str, message: &str) -> StoreError {
    StoreError::invalid(field, code, message.to_owned())
}

impl Store {
    async fn check_list_input(&self, company: CompanyId, input: &CallListInput) -> Result<(String, String), StoreError> {
        let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(bad("name", "invalid_name", "a name of 1 to 200 characters"));
        }
        let instructions = input.instructions.trim().to_owned();
        if instructions.chars().count() > MAX_INSTRUCTIONS {
            return Err(bad("instructions", "too_long", "at most 20,000 characters"));
        }
        if input.user_id.is_some() && input.group_id.is_some() {
            return Err(bad("group_id", "one_worker", "a list is worked by a user or a group, not both"));
        }
        if let Some(u) = input.user_id {
            self.colleague(company, u, "user_id").await?;
        }
        if let Some(g) = input.group_id
            && !self.groups(company).await?.iter().any(|x| x.id == g)
        {
            return Err(bad("group_id", "unknown_group", "no such group in this company"));
        }
        if let Some(f) = &input.nightly {
            f.check()?;
        }
        Ok((name, instructions))
    }

    /// Creates a call list (whoever works with clients).
    pub async fn create_call_list(&self, viewer: &Viewer, input: &CallListInput) -> Result<CallListRecord, StoreError> {
        if !viewer.permissions.work_with_clients {
            return Err(StoreError::Forbidden("the right to work with clients is required"));
        }
        let company = viewer.company_id;
        let (name, instructions) = self.check_list_input(company, input).await?;
        let id = Uuid::now_v7();
        let filter = input
            .nightly
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        call_lists::Entity::insert(call_lists::ActiveModel {
            company_id: Set(company.0),
            id: Set(id),
            name: Set(name),
            instructions: Set(instructions),
            user_id: Set(input.user_id.map(|u| u.0)),
            group_id: Set(input.group_id.map(|g| g.0)),
            filter: Set(filter),
            created_by: Set(viewer.user_id.0),
            created_at: Set(Utc::now()),
            archived_at: Set(None),
            filled_on: Set(None),
        })
        .exec_without_returning(&self.db)
        .await?;
        self.call_list(viewer, id).await
    }

    /// Whether the viewer works or manages the list: its caller, a member of its group, its
    /// creator, or an administrator.
    /// The groups the viewer is a member of.
    async fn my_groups(&self, viewer: &Viewer) -> Result<BTreeSet<Uuid>, StoreError> {
        Ok(self
            .groups(viewer.company_id)
            .await?
            .into_iter()
            .filter(|g| g.member_ids.contains(&viewer.user_id))
            .map(|g| g.id.0)
            .collect())
    }

    /// Whether the viewer works a list (its caller, a member of its group, its creator, or an
    /// administrator); `groups` are the viewer's.
    fn works_list(viewer: &Viewer, list: &call_lists::Model, groups: &BTreeSet<Uuid>) -> bool {
        viewer.permissions.admin
            || list.created_by == viewer.user_id.0
            || list.user_id == Some(viewer.user_id.0)
            || list.group_id.is_some_and(|g| groups.contains(&g))
    }

    async fn list_row(&self, viewer: &Viewer, id: Uuid) -> Result<call_lists::Model, StoreError> {
        let row = call_lists::Entity::find_by_id((viewer.company_id.0, id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("call list"))?;
        let groups = if row.group_id.is_some() {
            self.my_groups(viewer).await?
        } else {
            BTreeSet::new()
        };
        if !Self::works_list(viewer, &row, &groups) {
            return Err(StoreError::NotFound("call list"));
        }
        Ok(row)
    }

    async fn progress(&self, company: CompanyId, ids: &[Uuid]) -> Result<HashMap<Uuid, Progress>, StoreError> {
        let mut out: HashMap<Uuid, Progress> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        // (list, settled, reached, tried) with a count: a handful of groups per list.
        let rows: Vec<(Uuid, bool, Option<bool>, bool, i64)> = call_list_entries::Entity::find()
            .select_only()
            .column(call_list_entries::Column::ListId)
            // Written out, not bound: PostgreSQL groups by the same text it selects.
            .column_as(Expr::cust("done_at IS NOT NULL"), "settled")
            .column(call_list_entries::Column::Reached)
            .column_as(Expr::cust("attempts > 0"), "tried")
            .column_as(Expr::col(call_list_entries::Column::ContactId).count(), "n")
            .filter(call_list_entries::Column::CompanyId.eq(company.0))
            .filter(call_list_entries::Column::ListId.is_in(ids.to_vec()))
            .group_by(call_list_entries::Column::ListId)
            .group_by(Expr::cust("done_at IS NOT NULL"))
            .group_by(call_list_entries::Column::Reached)
            .group_by(Expr::cust("attempts > 0"))
            .into_tuple()
            .all(&self.db)
            .await?;
        for (list, settled, reached, tried, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            let p = out.entry(list).or_default();
            p.total += n;
            if settled {
                p.done += n;
            } else {
                p.open += n;
            }
            if reached == Some(true) {
                p.reached += n;
            } else if tried || reached == Some(false) {
                p.not_reached += n;
            }
        }
        Ok(out)
    }

    /// One list the viewer works or manages, with its progress.
    pub async fn call_list(&self, viewer: &Viewer, id: Uuid) -> Result<CallListRecord, StoreError> {
        let row = self.list_row(viewer, id).await?;
        let progress = self.progress(viewer.company_id, &[id]).await?.remove(&id).unwrap_or_default();
        Ok(to_list(row, progress))
    }

    /// The lists the viewer works or manages, newest first, with their progress.
    pub async fn call_lists(&self, viewer: &Viewer, archived: bool) -> Result<Vec<CallListRecord>, StoreError> {
        let company = viewer.company_id;
        let mut q = call_lists::Entity::find().filter(call_lists::Column::CompanyId.eq(company.0));
        q = if archived {
            q.filter(call_lists::Column::ArchivedAt.is_not_null())
        } else {
            q.filter(call_lists::Column::ArchivedAt.is_null())
        };
        let rows = q
            .order_by_desc(call_lists::Column::CreatedAt)
            .limit(MAX_LISTS)
            .all(&self.db)
            .await?;
        let groups = if rows.iter().any(|r| r.group_id.is_some()) {
            self.my_groups(viewer).await?
        } else {
            BTreeSet::new()
        };
        let mine: Vec<call_lists::Model> = rows.into_iter().filter(|r| Self::works_list(viewer, r, &groups)).collect();
        let ids: Vec<Uuid> = mine.iter().map(|r| r.id).collect();
        let mut progress = self.progress(company, &ids).await?;
        Ok(mine
            .into_iter()
            .map(|r| {
                let p = progress.remove(&r.id).unwrap_or_default();
                to_list(r, p)
            })
            .collect())
    }

    /// Changes a list's name, instructions, caller and nightly filter (its creator or an
    /// administrator), or archives it / takes it back.
    pub async fn update_call_list(
        &self,
        viewer: &Viewer,
        id: Uuid,
        input: &CallListInput,
        archived: bool,
    ) -> Result<CallListRecord, StoreError> {
        let row = self.list_row(viewer, id).await?;
        if !viewer.permissions.admin && row.created_by != viewer.user_id.0 {
            return Err(StoreError::Forbidden("only the list's creator or an administrator changes it"));
        }
        let (name, instructions) = self.check_list_input(viewer.company_id, input).await?;
        let filter = input
            .nightly
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        call_lists::Entity::update_many()
            .col_expr(call_lists::Column::Name, Expr::value(name))
            .col_expr(call_lists::Column::Instructions, Expr::value(instructions))
            .col_expr(call_lists::Column::UserId, Expr::value(input.user_id.map(|u| u.0)))
            .col_expr(call_lists::Column::GroupId, Expr::value(input.group_id.map(|g| g.0)))
            .col_expr(call_lists::Column::Filter, Expr::value(filter))
            // A changed selection fills the list at the next run, not tomorrow night.
            .col_expr(call_lists::Column::FilledOn, Expr::value(Option::<chrono::NaiveDate>::None))
            .col_expr(
                call_lists::Column::ArchivedAt,
                Expr::value(if archived { row.archived_at.or(Some(Utc::now())) } else { None }),
            )
            .filter(call_lists::Column::CompanyId.eq(viewer.company_id.0))
            .filter(call_lists::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        self.call_list(viewer, id).await
    }

    /// Fills a list from a filtered contact list, as the viewer sees it.
    pub async fn fill_call_list(
        &self,
        viewer: &Viewer,
        id: Uuid,
        filter: &SavedFilter,
        selection: Selection,
    ) -> Result<FillSummary, StoreError> {
        let row = self.list_row(viewer, id).await?;
        if row.archived_at.is_some() {
            return Err(StoreError::Refused {
                code: "list_archived",
                message: "the list is archived".into(),
            });
        }
        self.fill(viewer, id, filter, selection).await
    }

    async fn fill(&self, viewer: &Viewer, list: Uuid, filter: &SavedFilter, selection: Selection) -> Result<FillSummary, StoreError> {
        let company = viewer.company_id;
        let mut walk = self.segment_walk(viewer, filter, selection).await?;
        let mut summary = FillSummary::default();
        let recent = Utc::now() - Duration::days(RECENTLY_REACHED_DAYS);
        // A fill may grow the entries many times over in one go: the statistics the planner
        // reads are brought up to date each time what it added doubles.
        let mut analyze_at = 1_000;
        loop {
            let ids = walk.next_ids().await?;
            if ids.is_empty() {
                break;
            }
            let added = self.fill_batch(company, list, &ids, recent).await?;
            summary.added += added;
            summary.skipped += ids.len() as u64 - added;
            if summary.added >= analyze_at {
                self.analyze("call_list_entries").await?;
                analyze_at = summary.added * 2;
            }
        }
        Ok(summary)
    }

    /// Puts a batch of a segment's contacts on a list, in two statements: those not on it are
    /// added and those settled on it are opened again, each only when its card is not
    /// non-target and no call reached it since `recent`. How many were put on the list.
    async fn fill_batch(&self, company: CompanyId, list: Uuid, ids: &[Uuid], recent: DateTime<Utc>) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let now = Utc::now();
        let wanted = |sql: &mut Sql, contact: &str| {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM call_cards k WHERE k.company_id = ")
                .bind(company.0)
                .push(" AND k.contact_id = ")
                .push(contact)
                .push(" AND k.stage = ")
                .bind(Stage::NonTarget.as_str())
                .push(") AND NOT EXISTS (SELECT 1 FROM calls r WHERE r.company_id = ")
                .bind(company.0)
                .push(" AND r.contact_id = ")
                .push(contact)
                .push(" AND r.direction = 'out' AND r.answered = ")
                .bind(true)
                .push(" AND r.at > ")
                .bind(recent)
                .push(")");
        };
        let mut insert = Sql::new(backend);
        insert
            .push("INSERT INTO call_list_entries (company_id, list_id, contact_id, added_at, attempts) SELECT ")
            .bind(company.0)
            .push(", ")
            .bind(list)
            .push(", ids.id, ")
            .bind(now)
            .push(", 0 FROM ")
            .key_rows(ids)
            // SQLite reads `ON CONFLICT` after an `INSERT … SELECT` as an upsert only when the
            // SELECT has a WHERE clause (else as a join's ON).
            .push(" WHERE 1 = 1");
        wanted(&mut insert, "ids.id");
        insert.push(" ON CONFLICT (company_id, list_id, contact_id) DO NOTHING");
        let added = self.db.execute_raw(insert.statement()).await?.rows_affected();
        // Settled once and not reached lately: on the list again.
        let mut again = Sql::new(backend);
        again
            .push("UPDATE call_list_entries SET done_at = NULL, reached = NULL, attempts = 0, taken_by = NULL, added_at = ")
            .bind(now)
            .push(" WHERE company_id = ")
            .bind(company.0)
            .push(" AND list_id = ")
            .bind(list)
            .push(" AND done_at IS NOT NULL AND contact_id IN ")
            .bind_list(ids.iter().copied());
        wanted(&mut again, "call_list_entries.contact_id");
        let reopened = self.db.execute_raw(again.statement()).await?.rows_affected();
        Ok(added + reopened)
    }

    /// Takes the next contact to call from a list: the one the caller already holds, else the
    /// longest waiting open entry nobody holds (or whose caller let it lie for half an hour)
    /// and that was not called today. Two callers never get the same contact.
    pub async fn next_call(&self, viewer: &Viewer, id: Uuid) -> Result<Option<NextCall>, StoreError> {
        let company = viewer.company_id;
        let row = self.list_row(viewer, id).await?;
        if row.archived_at.is_some() {
            return Ok(None);
        }
        let c = self.company(company).await?;
        let today = local_date(Utc::now(), c.time_zone);
        let now = Utc::now();
        let stale = now - Duration::minutes(CLAIM);
        let open = || {
            call_list_entries::Entity::find()
                .filter(call_list_entries::Column::CompanyId.eq(company.0))
                .filter(call_list_entries::Column::ListId.eq(id))
                .filter(call_list_entries::Column::DoneAt.is_null())
        };
        let mut candidates = open()
            .filter(call_list_entries::Column::TakenBy.eq(viewer.user_id.0))
            .filter(call_list_entries::Column::TakenAt.gt(stale))
            .limit(1)
            .all(&self.db)
            .await?;
        let mut skip: BTreeSet<Uuid> = BTreeSet::new();
        for _round in 0..20 {
            if candidates.is_empty() {
                let mut q = open()
                    .filter(
                        sea_orm::Condition::any()
                            .add(call_list_entries::Column::TakenBy.is_null())
                            .add(call_list_entries::Column::TakenAt.lt(stale)),
                    )
                    .order_by_asc(call_list_entries::Column::AddedAt)
                    .order_by_asc(call_list_entries::Column::ContactId)
                    .limit(50);
                if !skip.is_empty() {
                    q = q.filter(call_list_entries::Column::ContactId.is_not_in(skip.iter().copied().collect::<Vec<_>>()));
                }
                candidates = q.all(&self.db).await?;
                if candidates.is_empty() {
                    return Ok(None);
                }
            }
            let ids: Vec<Uuid> = candidates.iter().map(|e| e.contact_id).collect();
            // Called today, or made non-target since the list was filled (then the entry is
            // given up: nobody is to call them).
            let cards: HashMap<Uuid, (String, Option<chrono::NaiveDate>)> = call_cards::Entity::find()
                .select_only()
                .column(call_cards::Column::ContactId)
                .column(call_cards::Column::Stage)
                .column(call_cards::Column::LastCallOn)
                .filter(call_cards::Column::CompanyId.eq(company.0))
                .filter(call_cards::Column::ContactId.is_in(ids))
                .into_tuple::<(Uuid, String, Option<chrono::NaiveDate>)>()
                .all(&self.db)
                .await?
                .into_iter()
                .map(|(c, stage, last)| (c, (stage, last)))
                .collect();
            for e in std::mem::take(&mut candidates) {
                skip.insert(e.contact_id);
                if let Some((stage, last)) = cards.get(&e.contact_id) {
                    if stage == Stage::NonTarget.as_str() {
                        settle(&self.db, company, id, ContactId(e.contact_id), false, true).await?;
                        continue;
                    }
                    if last.is_some_and(|d| d >= today) {
                        continue;
                    }
                }
                let claimed = call_list_entries::Entity::update_many()
                    .col_expr(call_list_entries::Column::TakenBy, Expr::value(Some(viewer.user_id.0)))
                    .col_expr(call_list_entries::Column::TakenAt, Expr::value(Some(now)))
                    .filter(call_list_entries::Column::CompanyId.eq(company.0))
                    .filter(call_list_entries::Column::ListId.eq(id))
                    .filter(call_list_entries::Column::ContactId.eq(e.contact_id))
                    .filter(call_list_entries::Column::DoneAt.is_null())
                    .filter(
                        sea_orm::Condition::any()
                            .add(call_list_entries::Column::TakenBy.is_null())
                            .add(call_list_entries::Column::TakenBy.eq(viewer.user_id.0))
                            .add(call_list_entries::Column::TakenAt.lt(stale)),
                    )
                    .exec(&self.db)
                    .await?
                    .rows_affected;
                if claimed == 0 {
                    continue;
                }
                match self.contact(viewer, ContactId(e.contact_id)).await {
                    Ok(contact) => {
                        return Ok(Some(NextCall {
                            contact,
                            attempts: u32::try_from(e.attempts).unwrap_or(0),
                        }));
                    }
                    // Not visible to this caller (any more): leave it for another.
                    Err(StoreError::NotFound(_)) => {
                        release(&self.db, company, id, ContactId(e.contact_id)).await?;
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(None)
    }

    /// Every night: lists with a saved filter are filled from it once per calendar day of their
    /// company (the first run after midnight there), as their creator sees the contacts (a
    /// creator no longer active fills nothing). Each list's day is claimed by one conditional
    /// update, so with several instances a list is filled once. Returns how many were added.
    pub async fn fill_nightly(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let lists = call_lists::Entity::find()
            .filter(call_lists::Column::Filter.is_not_null())
            .filter(call_lists::Column::ArchivedAt.is_null())
            .all(&self.db)
            .await?;
        let mut zones: HashMap<Uuid, chrono_tz::Tz> = HashMap::new();
        let mut added = 0;
        for l in lists {
            let Some(filter) = l.filter.clone().and_then(|f| serde_json::from_value::<SavedFilter>(f).ok()) else {
                continue;
            };
            let company = CompanyId(l.company_id);
            let zone = match zones.get(&l.company_id) {
                Some(z) => *z,
                None => {
                    let z = self.company(company).await?.time_zone;
                    zones.insert(l.company_id, z);
                    z
                }
            };
            let today = local_date(now, zone);
            if l.filled_on.is_some_and(|d| d >= today) {
                continue;
            }
            let Ok(creator) = self.user(company, UserId(l.created_by)).await else {
                continue;
            };
            if !creator.active {
                continue;
            }
            let claimed = call_lists::Entity::update_many()
                .col_expr(call_lists::Column::FilledOn, Expr::value(Some(today)))
                .filter(call_lists::Column::CompanyId.eq(l.company_id))
                .filter(call_lists::Column::Id.eq(l.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(call_lists::Column::FilledOn.is_null())
                        .add(call_lists::Column::FilledOn.lt(today)),
                )
                .exec(&self.db)
                .await?
                .rows_affected;
            if claimed == 0 {
                // Another instance took tonight's fill.
                continue;
            }
            match self.fill(&creator.viewer(), l.id, &filter, Selection::All).await {
                Ok(s) => added += s.added,
                Err(e) => {
                    tracing::warn!(list = %l.id, error = ?e, "a call list could not be filled; tried again at the next run");
                    call_lists::Entity::update_many()
                        .col_expr(call_lists::Column::FilledOn, Expr::value(l.filled_on))
                        .filter(call_lists::Column::CompanyId.eq(l.company_id))
                        .filter(call_lists::Column::Id.eq(l.id))
                        .exec(&self.db)
                        .await?;
                }
            }
        }
        Ok(added)
    }
}

async fn release(db: &impl ConnectionTrait, company: CompanyId, list: Uuid, contact: ContactId) -> Result<(), StoreError> {
    call_list_entries::Entity::update_many()
        .col_expr(call_list_entries::Column::TakenBy, Expr::value(Option::<Uuid>::None))
        .col_expr(call_list_entries::Column::TakenAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(call_list_entries::Column::CompanyId.eq(company.0))
        .filter(call_list_entries::Column::ListId.eq(list))
        .filter(call_list_entries::Column::ContactId.eq(contact.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Settles a list entry after a call from the list (in the call's transaction): reached when
/// answered; given up when the card became non-target; else tried once more and free for
/// another day.
pub(crate) async fn settle(
    db: &impl ConnectionTrait,
    company: CompanyId,
    list: Uuid,
    contact: ContactId,
    answered: bool,
    closed: bool,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    let mut q = call_list_entries::Entity::update_many()
        .col_expr(call_list_entries::Column::TakenBy, Expr::value(Option::<Uuid>::None))
        .col_expr(call_list_entries::Column::TakenAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(
            call_list_entries::Column::Attempts,
            Expr::col(call_list_entries::Column::Attempts).add(1),
        );
    if answered || closed {
        q = q
            .col_expr(call_list_entries::Column::DoneAt, Expr::value(Some(now)))
            .col_expr(call_list_entries::Column::Reached, Expr::value(Some(answered)));
    }
    let n = q
        .filter(call_list_entries::Column::CompanyId.eq(company.0))
        .filter(call_list_entries::Column::ListId.eq(list))
        .filter(call_list_entries::Column::ContactId.eq(contact.0))
        .filter(call_list_entries::Column::DoneAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok(n > 0)
}

/// Calls of one caller in a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallerReport {
    pub user_id: UserId,
    pub calls: u64,
    pub reached: u64,
    /// Calls per outcome code.
    pub outcomes: Vec<(String, u64)>,
    /// Clients called in the period who got a customer meeting booked after the call.
    pub meetings: u64,
}

/// Calls made from one list in a period, and the list's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ListReport {
    pub list_id: Uuid,
    pub name: String,
    pub calls: u64,
    pub reached: u64,
    pub progress: Progress,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallReport {
    pub callers: Vec<CallerReport>,
    pub lists: Vec<ListReport>,
}

impl Store {
    /// Calling in `[from, to)`: per caller (the viewer alone; an office manager their office's
    /// users; an administrator everyone) calls made, reached, outcomes and conversion to
    /// meetings; per list the viewer works, calls, reached and progress.
    pub async fn call_report(&self, viewer: &Viewer, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<CallReport, StoreError> {
        use crate::sql::Sql;
        let company = viewer.company_id;
        let me = self.user(company, viewer.user_id).await?;
        let org = self.org_snapshot(company).await?;
        let callers: BTreeSet<Uuid> = org
            .users
            .iter()
            .filter(|u| {
                viewer.permissions.admin
                    || u.id == me.id
                    || (me.role == crm_domain::org::Role::OfficeManager && u.office_id == me.office_id)
            })
            .map(|u| u.id.0)
            .collect();
        let backend = self.db.get_database_backend();
        let mut q = Sql::new(backend);
        q.push("SELECT user_id, outcome, answered, list_id, COUNT(*) AS n FROM calls WHERE company_id = ")
            .bind(company.0)
            .push(" AND direction = 'out' AND at >= ")
            .bind(from)
            .push(" AND at < ")
            .bind(to)
            .push(" GROUP BY user_id, outcome, answered, list_id");
        let rows = self.db.query_all_raw(q.statement()).await?;
        let mut by_user: HashMap<Uuid, CallerReport> = HashMap::new();
        let mut by_list: HashMap<Uuid, (u64, u64)> = HashMap::new();
        for r in rows {
            let user: Uuid = r.try_get("", "user_id")?;
            let outcome: Option<String> = r.try_get("", "outcome")?;
            let answered: bool = r.try_get("", "answered")?;
            let list: Option<Uuid> = r.try_get("", "list_id")?;
            let n = u64::try_from(r.try_get::<i64>("", "n")?).unwrap_or(0);
            if let Some(l) = list {
                let e = by_list.entry(l).or_default();
                e.0 += n;
                if answered {
                    e.1 += n;
                }
            }
            if !callers.contains(&user) {
                continue;
            }
            let e = by_user.entry(user).or_insert_with(|| CallerReport {
                user_id: UserId(user),
                ..Default::default()
            });
            e.calls += n;
            if answered {
                e.reached += n;
            }
            let code = outcome.unwrap_or_default();
            match e.outcomes.iter_mut().find(|(c, _)| *c == code) {
                Some(o) => o.1 += n,
                None => e.outcomes.push((code, n)),
            }
        }
        // Conversion: a meeting booked for the client after the caller's call (within the company).
        let mut q = Sql::new(backend);
        q.push("SELECT c.user_id AS user_id, COUNT(DISTINCT m.contact_id) AS n FROM calls c JOIN meetings m ON m.company_id = c.company_id AND m.contact_id = c.contact_id AND m.created_at >= c.at WHERE c.company_id = ")
            .bind(company.0)
            .push(" AND c.direction = 'out' AND c.at >= ")
            .bind(from)
            .push(" AND c.at < ")
            .bind(to)
            .push(" GROUP BY c.user_id");
        for r in self.db.query_all_raw(q.statement()).await? {
            let user: Uuid = r.try_get("", "user_id")?;
            if let Some(e) = by_user.get_mut(&user) {
                e.meetings = u64::try_from(r.try_get::<i64>("", "n")?).unwrap_or(0);
            }
        }
        let mut callers: Vec<CallerReport> = by_user.into_values().collect();
        callers.sort_by_key(|c| (std::cmp::Reverse(c.calls), c.user_id.0));
        for c in &mut callers {
            c.outcomes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        let lists = self.call_lists(viewer, false).await?;
        let lists = lists
            .into_iter()
            .map(|l| {
                let (calls, reached) = by_list.get(&l.id).copied().unwrap_or_default();
                ListReport {
                    list_id: l.id,
                    name: l.name,
                    calls,
                    reached,
                    progress: l.progress,
                }
            })
            .collect();
        Ok(CallReport { callers, lists })
    }
}
