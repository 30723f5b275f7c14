//! Users' CRM tasks.

use chrono::{DateTime, Utc};
use crm_domain::{CompanyId, ContactId, TaskId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

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
    tasks::Entity::insert(tasks::ActiveModel {
        company_id: Set(company.0),
        id: Set(id.0),
        assignee_id: Set(assignee.0),
        kind: Set(kind.to_owned()),
        title: Set(title.to_owned()),
        body: Set(body.map(str::to_owned)),
        contact_id: Set(contact.map(|c| c.0)),
        due_at: Set(due),
        done_at: Set(None),
        created_at: Set(Utc::now()),
    })
    .exec(db)
    .await?;
    Ok(id)
}

impl Store {
    /// The user's tasks: open ones (`open == true`, oldest due first) or done ones (newest first).
    pub async fn tasks(&self, company: CompanyId, user: UserId, open: bool) -> Result<Vec<TaskRecord>, StoreError> {
        let q = tasks::Entity::find()
            .filter(tasks::Column::CompanyId.eq(company.0))
            .filter(tasks::Column::AssigneeId.eq(user.0));
        let q = if open {
            q.filter(tasks::Column::DoneAt.is_null())
                .order_by_asc(tasks::Column::DueAt)
                .order_by_asc(tasks::Column::CreatedAt)
        } else {
            q.filter(tasks::Column::DoneAt.is_not_null()).order_by_desc(tasks::Column::DoneAt)
        };
        Ok(q.all(&self.db).await?.into_iter().map(to_task).collect())
    }

    /// Marks one of the user's tasks done.
    pub async fn complete_task(&self, company: CompanyId, user: UserId, id: TaskId) -> Result<(), StoreError> {
        let res = tasks::Entity::update_many()
            .col_expr(tasks::Column::DoneAt, Expr::value(Utc::now()))
            .filter(tasks::Column::CompanyId.eq(company.0))
            .filter(tasks::Column::AssigneeId.eq(user.0))
            .filter(tasks::Column::Id.eq(id.0))
            .filter(tasks::Column::DoneAt.is_null())
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            Err(StoreError::NotFound("task"))
        } else {
            Ok(())
        }
    }
}
