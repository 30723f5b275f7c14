//! The outbox: messages to send, written in the same transaction as the change they report, so
//! none is lost. The job runner claims due ones under a lease; the attempt number taken with the
//! claim fences the final update, so an instance whose lease ran out cannot overwrite the work
//! of the instance that claimed the message after it.

use chrono::{DateTime, Duration, Utc};
use crm_domain::CompanyId;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

use crate::entities::outbox;
use crate::{Store, StoreError};

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
    /// How many times the message was claimed; the fencing number of the current claim.
    pub attempts: i32,
    pub last_error: Option<String>,
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
        last_error: m.last_error,
    }
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

impl Store {
    /// The company's queued messages, newest first (for administrators and tests).
    pub async fn outbox(&self, company: CompanyId) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = outbox::Entity::find()
            .filter(outbox::Column::CompanyId.eq(company.0))
            .order_by_desc(outbox::Column::CreatedAt)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_message).collect())
    }

    /// Claims up to `limit` due messages of `channel`: pending ones whose time has come, and
    /// ones whose previous claim's lease ran out (the instance holding it died or hung). One
    /// statement marks them "sending", raises their attempt number and sets the lease; on
    /// PostgreSQL the candidates are locked with `SKIP LOCKED`, so instances polling at once
    /// take disjoint sets. This scan is the one query that spans companies: a job's queue, not
    /// a join.
    pub async fn claim_due_messages(&self, channel: &str, limit: u64, lease: Duration) -> Result<Vec<OutboxMessage>, StoreError> {
        let now = Utc::now();
        let backend = self.db.get_database_backend();
        let (lock, p) = match backend {
            DatabaseBackend::Postgres => ("FOR UPDATE SKIP LOCKED", ["$1", "$2", "$3", "$4"]),
            _ => ("", ["?1", "?2", "?3", "?4"]),
        };
        let sql = format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = {lease_until} \
             WHERE status IN ('pending', 'sending') AND next_attempt_at <= {now} AND (company_id, id) IN (\
                SELECT company_id, id FROM outbox \
                WHERE status IN ('pending', 'sending') AND next_attempt_at <= {now} AND channel = {channel} \
                ORDER BY next_attempt_at LIMIT {limit} {lock}) \
             RETURNING *",
            lease_until = p[0],
            now = p[1],
            channel = p[2],
            limit = p[3],
        );
        let stmt = Statement::from_sql_and_values(
            backend,
            sql,
            [(now + lease).into(), now.into(), channel.into(), (limit as i64).into()],
        );
        let rows = outbox::Model::find_by_statement(stmt).all(&self.db).await?;
        Ok(rows.into_iter().map(to_message).collect())
    }

    /// Records a delivered message. `false` when the claim was lost (its lease ran out and
    /// another instance claimed the message): the caller's result no longer counts.
    pub async fn message_sent(&self, m: &OutboxMessage) -> Result<bool, StoreError> {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, "sent".into())
            .col_expr(outbox::Column::SentAt, Some(Utc::now()).into())
            .col_expr(outbox::Column::LastError, Option::<String>::None.into())
            .filter(outbox::Column::CompanyId.eq(m.company_id.0))
            .filter(outbox::Column::Id.eq(m.id))
            .filter(outbox::Column::Status.eq("sending"))
            .filter(outbox::Column::Attempts.eq(m.attempts))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Records a failed attempt; the message is tried again at `retry_at`. Messages are never
    /// dropped: one that keeps failing stays in the outbox with its last error. `false` when
    /// the claim was lost.
    pub async fn message_failed(&self, m: &OutboxMessage, error: &str, retry_at: DateTime<Utc>) -> Result<bool, StoreError> {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::Status, "pending".into())
            .col_expr(outbox::Column::NextAttemptAt, retry_at.into())
            .col_expr(outbox::Column::LastError, Some(error.chars().take(1000).collect::<String>()).into())
            .filter(outbox::Column::CompanyId.eq(m.company_id.0))
            .filter(outbox::Column::Id.eq(m.id))
            .filter(outbox::Column::Status.eq("sending"))
            .filter(outbox::Column::Attempts.eq(m.attempts))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }
}
