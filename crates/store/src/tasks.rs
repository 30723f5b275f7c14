//! Users' CRM tasks.

use chrono::{DateTime, Utc};
use crm_domain::{CompanyId, ContactId, TaskId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::tasks;
use crate::{Store, StoreError};

/// A task of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: TaskId,
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub contact_id: Option<ContactId>,
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn to_task(m: tasks::Model) -> TaskRecord {
    TaskRecord {
        id: m.id.into(),
        kind: m.kind,
        title: m.title,
        body: m.body,
        contact_id: m.contact_id.map(Into::into),
        due_at: m.due_at,
        done_at: m.done_at,
        created_at: m.created_at,
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_task(
    db: &impl ConnectionTrait,
    company: CompanyId,
    assignee: UserId,
    kind: &str,
    title: &str,
    body: Option<&str>,
    contact: Option<ContactId>,
    due: Option<DateTime<Utc>>,
) -> Result<TaskId, StoreError> {
    let id = TaskId::new();
    let now = Utc::now();
    tasks::Entity::insert(tasks::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        assignee_id: Set(assignee.0),
        kind: Set(kind.to_owned()),
        title: Set(title.to_owned()),
        body: Set(body.map(str::to_owned)),
        contact_id: Set(contact.map(|c| c.0)),
        // Every task is due some time; one without a date is due at once.
        due_at: Set(Some(due.unwrap_or(now))),
        done_at: Set(None),
        created_at: Set(now),
        done: Set(false),
    })
    .exec(db)
    .await?;
    Ok(id)
}

/// A page of tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPage {
    pub items: Vec<TaskRecord>,
    /// Where the next page starts: the last task's time (due or done) and id.
    pub next: Option<(DateTime<Utc>, uuid::Uuid)>,
}

impl Store {
    /// A page of the user's tasks: open ones, the soonest due first, or done ones, the latest
    /// done first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn tasks(
        &self,
        company: CompanyId,
        user: UserId,
        open: bool,
        after: Option<(DateTime<Utc>, uuid::Uuid)>,
        limit: u64,
    ) -> Result<TaskPage, StoreError> {
        let mut q = tasks::Entity::find()
            .filter(tasks::Column::CompanyId.eq(company.0))
            .filter(tasks::Column::AssigneeId.eq(user.0))
            .filter(tasks::Column::Done.eq(!open));
        let (at, ordered) = if open {
            (tasks::Column::DueAt, sea_orm::Order::Asc)
        } else {
            (tasks::Column::DoneAt, sea_orm::Order::Desc)
        };
        if let Some((t, id)) = after {
            let later = if open {
                sea_orm::Condition::any()
                    .add(at.gt(t))
                    .add(sea_orm::Condition::all().add(at.eq(t)).add(tasks::Column::Id.gt(id)))
            } else {
                sea_orm::Condition::any()
                    .add(at.lt(t))
                    .add(sea_orm::Condition::all().add(at.eq(t)).add(tasks::Column::Id.lt(id)))
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
    pub async fn complete_task(&self, company: CompanyId, user: UserId, id: TaskId) -> Result<(), StoreError> {
        let res = tasks::Entity::update_many()
            .col_expr(tasks::Column::DoneAt, Expr::value(Some(Utc::now())))
            .col_expr(tasks::Column::Done, Expr::value(true))
            .filter(tasks::Column::CompanyId.eq(company.0))
            .filter(tasks::Column::AssigneeId.eq(user.0))
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

    /// How many open tasks the user has, and how many of them are overdue.
    pub async fn task_counts(&self, company: CompanyId, user: UserId) -> Result<(u64, u64), StoreError> {
        use sea_orm::PaginatorTrait;
        let open = tasks::Entity::find()
            .filter(tasks::Column::CompanyId.eq(company.0))
            .filter(tasks::Column::AssigneeId.eq(user.0))
            .filter(tasks::Column::Done.eq(false));
        let overdue = open.clone().filter(tasks::Column::DueAt.lt(Utc::now())).count(&self.db).await?;
        Ok((open.count(&self.db).await?, overdue))
    }
}
