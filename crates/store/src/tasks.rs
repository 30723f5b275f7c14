//! Users' CRM tasks, and the one list that shows them with the tips and leads waiting for the
//! user: hand-overs, callbacks, follow-ups, finished imports, unsubscribes. A callback may wait
//! in an office's shark tank (`tank_office_id`) until a member of the office takes it.

use chrono::{DateTime, Utc};
use crm_domain::leads::Status;
use crm_domain::permissions::Viewer;
use crm_domain::{CompanyId, ContactId, OfficeId, PropertyId, TaskId, UserId};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::{inbox_items, tasks};
use crate::{Store, StoreError};

/// A task of a user, or a tip or lead waiting for them (then `inbox_item` names it).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub contact_id: Option<ContactId>,
    pub property_id: Option<PropertyId>,
    pub assignee_id: Option<UserId>,
    /// Waiting in this office's shark tank.
    pub tank_office_id: Option<OfficeId>,
    /// Due at a time of day (a 30-minute booking in the calendar), not just on a day.
    pub timed: bool,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub inbox_item: bool,
}

pub(crate) fn to_task(m: tasks::Model) -> TaskRecord {
    TaskRecord {
        id: m.id.into(),
        kind: m.kind,
        title: m.title,
        body: m.body,
        contact_id: m.contact_id.map(Into::into),
        property_id: m.property_id.map(Into::into),
        assignee_id: m.tank_office_id.is_none().then_some(m.assignee_id.into()),
        tank_office_id: m.tank_office_id.map(Into::into),
        timed: m.timed,
        due_at: m.due_at,
        done_at: m.done_at,
        created_at: m.created_at,
        inbox_item: false,
    }
}

/// A task to create.
#[derive(Debug, Clone)]
pub(crate) struct NewTask<'a> {
    pub assignee: UserId,
    pub kind: &'a str,
    pub title: &'a str,
    pub body: Option<&'a str>,
    pub contact: Option<ContactId>,
    pub property: Option<PropertyId>,
    /// Every task is due some time; one without a date is due at once.
    pub due: Option<DateTime<Utc>>,
    pub timed: bool,
    /// Put in this office's shark tank instead of the assignee's list (the assignee is then who
    /// put it there).
    pub tank: Option<OfficeId>,
    /// The rule and the record that made the task; a second task of the same origin is not made.
    pub origin: Option<String>,
}

impl<'a> NewTask<'a> {
    pub fn new(assignee: UserId, kind: &'a str, title: &'a str) -> Self {
        Self {
            assignee,
            kind,
            title,
            body: None,
            contact: None,
            property: None,
            due: None,
            timed: false,
            tank: None,
            origin: None,
        }
    }
}

/// Creates a task in the caller's transaction; `None` when a task of the same origin exists.
pub(crate) async fn create_task(db: &impl ConnectionTrait, company: CompanyId, t: NewTask<'_>) -> Result<Option<TaskId>, StoreError> {
    let id = TaskId::new();
    let now = Utc::now();
    let inserted = tasks::Entity::insert(tasks::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        assignee_id: Set(t.assignee.0),
        kind: Set(t.kind.to_owned()),
        title: Set(t.title.to_owned()),
        body: Set(t.body.map(str::to_owned)),
        contact_id: Set(t.contact.map(|c| c.0)),
        property_id: Set(t.property.map(|p| p.0)),
        tank_office_id: Set(t.tank.map(|o| o.0)),
        timed: Set(t.timed),
        origin: Set(t.origin),
        due_at: Set(Some(t.due.unwrap_or(now))),
        done_at: Set(None),
        created_at: Set(now),
        done: Set(false),
    })
    .on_conflict(
        OnConflict::columns([tasks::Column::CompanyId, tasks::Column::Origin])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok((inserted > 0).then_some(id))
}

/// Which of a user's tasks.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Done ones, the latest done first; else open ones, the soonest due first.
    pub done: bool,
    /// The callbacks waiting in the user's office's shark tank instead of the user's own tasks.
    pub tank: bool,
    pub kind: Option<String>,
    /// Only tasks due before this (overdue: now; today: the end of the user's day).
    pub due_before: Option<DateTime<Utc>>,
}

/// A page of tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPage {
    pub items: Vec<TaskRecord>,
    /// Where the next page starts: the last task's time (due or done) and id.
    pub next: Option<(DateTime<Utc>, Uuid)>,
}

/// Counts of a user's open tasks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskCounts {
    pub open: u64,
    pub overdue: u64,
    pub due_today: u64,
    /// Open tasks per kind (tips and leads included).
    pub by_kind: Vec<(String, u64)>,
    /// Callbacks waiting in the office's shark tank.
    pub tank: u64,
}

/// The inbox kinds that show in the task list.
const INBOX_KINDS: [&str; 2] = ["tip", "lead"];
/// At most this many waiting tips and leads are listed with the tasks (the inbox pages them all).
const INBOX_CAP: u64 = 500;

fn inbox_task(m: inbox_items::Model, contact_name: Option<&String>) -> TaskRecord {
    TaskRecord {
        id: TaskId(m.id),
        title: contact_name.cloned().unwrap_or_default(),
        body: m.message,
        contact_id: m.contact_id.map(Into::into),
        property_id: m.property_id.map(Into::into),
        assignee_id: m.assignee_user_id.map(Into::into),
        tank_office_id: None,
        timed: false,
        // A tip or lead is due when it would be passed on, else at once.
        due_at: Some(m.redistribute_at.unwrap_or(m.assigned_at)),
        done_at: None,
        created_at: m.created_at,
        inbox_item: true,
        kind: m.kind,
    }
}

impl Store {
    fn task_scope(viewer: &Viewer, tank: bool) -> Condition {
        let c = Condition::all().add(tasks::Column::CompanyId.eq(viewer.company_id.0));
        if tank {
            c.add(tasks::Column::TankOfficeId.eq(viewer.office_id.0))
        } else {
            c.add(tasks::Column::AssigneeId.eq(viewer.user_id.0))
                .add(tasks::Column::TankOfficeId.is_null())
        }
    }

    /// The tips and leads waiting for the user, as tasks, in due order.
    async fn waiting_items(&self, viewer: &Viewer, f: &TaskFilter) -> Result<Vec<TaskRecord>, StoreError> {
        if f.done || f.tank || f.kind.as_deref().is_some_and(|k| !INBOX_KINDS.contains(&k)) {
            return Ok(Vec::new());
        }
        let mut q = inbox_items::Entity::find()
            .filter(inbox_items::Column::CompanyId.eq(viewer.company_id.0))
            .filter(inbox_items::Column::AssigneeUserId.eq(viewer.user_id.0))
            .filter(inbox_items::Column::Status.eq(Status::Open.as_str()));
        if let Some(k) = &f.kind {
            q = q.filter(inbox_items::Column::Kind.eq(k.as_str()));
        }
        let rows = q.order_by_asc(inbox_items::Column::Id).limit(INBOX_CAP).all(&self.db).await?;
        let ids: Vec<ContactId> = rows.iter().filter_map(|r| r.contact_id.map(ContactId)).collect();
        let names = self.contact_names(viewer.company_id, &ids).await?;
        let mut items: Vec<TaskRecord> = rows
            .into_iter()
            .map(|m| {
                let name = m.contact_id.and_then(|c| names.get(&ContactId(c)));
                inbox_task(m, name)
            })
            .filter(|t| f.due_before.is_none_or(|b| t.due_at.is_some_and(|d| d < b)))
            .collect();
        items.sort_by_key(|t| (t.due_at, t.id.0));
        Ok(items)
    }

    /// A page of the user's tasks with the tips and leads waiting for them: open ones, the
    /// soonest due first, or done ones, the latest done first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tasks(
        &self,
        viewer: &Viewer,
        f: &TaskFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<TaskPage, StoreError> {
        let open = !f.done;
        let mut q = tasks::Entity::find()
            .filter(Self::task_scope(viewer, f.tank))
            .filter(tasks::Column::Done.eq(!open));
        if let Some(k) = &f.kind {
            q = q.filter(tasks::Column::Kind.eq(k.as_str()));
        }
        if let Some(b) = f.due_before {
            q = q.filter(tasks::Column::DueAt.lt(b));
        }
        let (at, ordered) = if open {
            (tasks::Column::DueAt, sea_orm::Order::Asc)
        } else {
            (tasks::Column::DoneAt, sea_orm::Order::Desc)
        };
        if let Some((t, id)) = after {
            let later = if open {
                Condition::any()
                    .add(at.gt(t))
                    .add(Condition::all().add(at.eq(t)).add(tasks::Column::Id.gt(id)))
            } else {
                Condition::any()
                    .add(at.lt(t))
                    .add(Condition::all().add(at.eq(t)).add(tasks::Column::Id.lt(id)))
            };
            q = q.filter(later);
        }
        let mut rows: Vec<TaskRecord> = q
            .order_by(at, ordered.clone())
            .order_by(tasks::Column::Id, ordered)
            .limit(limit + 1)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_task)
            .collect();
        if open {
            // Merge the waiting tips and leads in due order, after the cursor.
            let waiting = self.waiting_items(viewer, f).await?;
            rows.extend(
                waiting
                    .into_iter()
                    .filter(|t| after.is_none_or(|(at, id)| t.due_at.is_some_and(|d| (d, t.id.0) > (at, id)))),
            );
            rows.sort_by_key(|t| (t.due_at, t.id.0));
            rows.truncate(limit as usize + 1);
        }
        let next = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last()
                .and_then(|t| if open { t.due_at } else { t.done_at }.map(|at| (at, t.id.0)))
        } else {
            None
        };
        Ok(TaskPage { items: rows, next })
    }

    /// Marks one of the user's tasks done.
    pub async fn complete_task(&self, viewer: &Viewer, id: TaskId) -> Result<(), StoreError> {
        let res = tasks::Entity::update_many()
            .col_expr(tasks::Column::DoneAt, Expr::value(Some(Utc::now())))
            .col_expr(tasks::Column::Done, Expr::value(true))
            .filter(Self::task_scope(viewer, false))
            .filter(tasks::Column::Id.eq(id.0))
            .filter(tasks::Column::Done.eq(false))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            Err(StoreError::NotFound("task"))
        } else {
            Ok(())
        }
    }

    /// Takes a callback waiting in the user's office's shark tank; of two who race, one wins
    /// (the other gets `Conflict`).
    pub async fn take_task(&self, viewer: &Viewer, id: TaskId) -> Result<TaskRecord, StoreError> {
        let res = tasks::Entity::update_many()
            .col_expr(tasks::Column::AssigneeId, Expr::value(viewer.user_id.0))
            .col_expr(tasks::Column::TankOfficeId, Expr::value(None::<Uuid>))
            .filter(Self::task_scope(viewer, true))
            .filter(tasks::Column::Id.eq(id.0))
            .filter(tasks::Column::Done.eq(false))
            .exec(&self.db)
            .await?;
        let row = tasks::Entity::find_by_id((viewer.company_id.0, id.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("task"))?;
        if res.rows_affected == 0 {
            return Err(if row.assignee_id == viewer.user_id.0 && row.tank_office_id.is_none() {
                StoreError::Conflict {
                    field: None,
                    message: "you have already taken this task".into(),
                }
            } else if row.tank_office_id.is_none() {
                StoreError::Conflict {
                    field: None,
                    message: "a colleague has taken this task".into(),
                }
            } else {
                StoreError::NotFound("task")
            });
        }
        Ok(to_task(row))
    }

    /// How many open tasks (with waiting tips and leads) the user has, how many are overdue and
    /// due by `end_of_today`, per kind, and how many callbacks wait in the office's shark tank.
    pub async fn task_counts(&self, viewer: &Viewer, end_of_today: DateTime<Utc>) -> Result<TaskCounts, StoreError> {
        let now = Utc::now();
        let open = tasks::Entity::find()
            .filter(Self::task_scope(viewer, false))
            .filter(tasks::Column::Done.eq(false));
        let per_kind: Vec<(String, i64)> = open
            .clone()
            .select_only()
            .column(tasks::Column::Kind)
            .column_as(tasks::Column::Id.count(), "n")
            .group_by(tasks::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await?;
        let overdue = open.clone().filter(tasks::Column::DueAt.lt(now)).count(&self.db).await?;
        let due_today = open.clone().filter(tasks::Column::DueAt.lt(end_of_today)).count(&self.db).await?;
        let tank = tasks::Entity::find()
            .filter(Self::task_scope(viewer, true))
            .filter(tasks::Column::Done.eq(false))
            .count(&self.db)
            .await?;
        let waiting = self.waiting_items(viewer, &TaskFilter::default()).await?;
        let mut by_kind: Vec<(String, u64)> = per_kind.into_iter().map(|(k, n)| (k, n as u64)).collect();
        for kind in INBOX_KINDS {
            let n = waiting.iter().filter(|t| t.kind == kind).count() as u64;
            if n > 0 {
                by_kind.push((kind.to_owned(), n));
            }
        }
        by_kind.sort();
        let due = |b: DateTime<Utc>| waiting.iter().filter(|t| t.due_at.is_some_and(|d| d < b)).count() as u64;
        Ok(TaskCounts {
            open: by_kind.iter().map(|(_, n)| n).sum(),
            overdue: overdue + due(now),
            due_today: due_today + due(end_of_today),
            by_kind,
            tank,
        })
    }
}
