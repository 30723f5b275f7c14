//! Users' CRM tasks, and the outbox of messages to send.

use chrono::{DateTime, Duration, Utc};
use crm_domain::{CompanyId, ContactId, TaskId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{outbox, tasks};
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

/// Queues an email in the same transaction as the change it reports, so it is never lost.
pub(crate) async fn queue_email(
    db: &impl ConnectionTrait,
    company: CompanyId,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), StoreError> {
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        company_id: Set(company.0),
        id: Set(Uuid::now_v7()),
        channel: Set("email".to_owned()),
        recipient: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A queued message.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub company_id: CompanyId,
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
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

    /// The company's queued messages, newest first (for administrators and tests).
    pub async fn outbox(&self, company: CompanyId) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::CompanyId.eq(company.0))
            .order_by_desc(outbox::Column::CreatedAt)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_message).collect())
    }
}

fn to_message(m: outbox::Model) -> OutboxMessage {
    OutboxMessage {
        company_id: m.company_id.into(),
        id: m.id,
        channel: m.channel,
        recipient: m.recipient,
        subject: m.subject,
        body: m.body,
        status: m.status,
        attempts: m.attempts,
    }
}

impl Store {
    /// Claims up to `limit` messages that are due: pending ones whose time has come, and ones
    /// a crashed sender left "sending" past their lease. A claim is a compare-and-set on the
    /// attempt count, so when several instances poll at once each message goes to exactly one.
    /// The claim lasts `lease`; a sender that dies leaves the message to be claimed again.
    pub async fn claim_due_messages(&self, limit: u64, lease: Duration) -> Result<Vec<OutboxMessage>, StoreError> {
        let now = Utc::now();
        // The one query that spans companies: a job's scan of its queue, not a join.
        let due = outbox::Entity::find()
            .filter(outbox::Column::Status.is_in(["pending", "sending"]))
            .filter(outbox::Column::NextAttemptAt.lte(now))
            .order_by_asc(outbox::Column::NextAttemptAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut claimed = Vec::new();
        for m in due {
            let res = outbox::Entity::update_many()
                .col_expr(outbox::Column::Status, Expr::value("sending"))
                .col_expr(outbox::Column::Attempts, Expr::value(m.attempts + 1))
                .col_expr(outbox::Column::NextAttemptAt, Expr::value(now + lease))
                .filter(outbox::Column::CompanyId.eq(m.company_id))
                .filter(outbox::Column::Id.eq(m.id))
                .filter(outbox::Column::Attempts.eq(m.attempts))
                .filter(outbox::Column::Status.eq(m.status.clone()))
                .exec(&self.db)
                .await?;
            if res.rows_affected == 1 {
                claimed.push(to_message(outbox::Model {
                    attempts: m.attempts + 1,
                    status: "sending".into(),
                    ..m
                }));
            }
        }
        Ok(claimed)
    }

    /// Records a delivered message.
    pub async fn message_sent(&self, m: &OutboxMessage) -> Result<(), StoreError> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("sent"))
            .col_expr(outbox::Column::SentAt, Expr::value(Utc::now()))
            .col_expr(outbox::Column::LastError, Expr::value(Option::<String>::None))
            .filter(outbox::Column::CompanyId.eq(m.company_id.0))
            .filter(outbox::Column::Id.eq(m.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records a failed attempt; the message is tried again at `retry_at`. Messages are never
    /// dropped: an address that keeps failing stays visible in the outbox with its last error.
    pub async fn message_failed(&self, m: &OutboxMessage, error: &str, retry_at: DateTime<Utc>) -> Result<(), StoreError> {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, Expr::value("pending"))
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .col_expr(outbox::Column::LastError, Expr::value(error.chars().take(1000).collect::<String>()))
            .filter(outbox::Column::CompanyId.eq(m.company_id.0))
            .filter(outbox::Column::Id.eq(m.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
