//! The outbox: messages to send, written in the same transaction as the change they report, so
//! none is lost. The job runner claims due ones under a lease; the attempt number taken with the
//! claim fences the final update, so an instance whose lease ran out cannot overwrite the work
//! of the instance that claimed the message after it.

use chrono::{DateTime, Duration, Utc};
use crm_domain::{CompanyId, ContactId};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use sha2::Sha256;
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
    /// The contact the message goes to: it carries their one-click unsubscribe link.
    pub contact_id: Option<ContactId>,
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
        contact_id: m.contact_id.map(ContactId),
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
    queue(db, company, "email", to, subject, body, None).await
}

/// Queues a text message to a user (a notice they chose to get by SMS).
pub(crate) async fn queue_sms(db: &impl ConnectionTrait, company: CompanyId, to: &str, text: &str) -> Result<(), StoreError> {
    queue(db, company, "sms", to, "", text, None).await
}

/// Queues a message to a contact. Automatic messages (`requested` false) are not queued for a
/// contact who opted out; messages the client asked for (a booking confirmation) are. Returns
/// whether it was queued.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue_to_contact(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contact: &crate::contacts::ContactRecord,
    channel: &str,
    to: &str,
    subject: &str,
    body: &str,
    requested: bool,
) -> Result<bool, StoreError> {
    if contact.data.opted_out && !requested {
        return Ok(false);
    }
    queue(db, company, channel, to, subject, body, Some(contact.id)).await?;
    Ok(true)
}

/// Queues one message to each of many contacts (a bulk send to a segment), in the caller's
/// transaction; the caller has left out those who opted out.
pub(crate) async fn queue_to_contacts(
    db: &impl ConnectionTrait,
    company: CompanyId,
    channel: &str,
    to: &[(ContactId, String)],
    subject: &str,
    body: &str,
) -> Result<(), StoreError> {
    let now = Utc::now();
    for chunk in to.chunks(500) {
        outbox::Entity::insert_many(chunk.iter().map(|(contact, address)| outbox::ActiveModel {
            company_id: Set(company.0),
            id: Set(Uuid::now_v7()),
            channel: Set(channel.to_owned()),
            recipient: Set(address.clone()),
            subject: Set(subject.to_owned()),
            body: Set(body.to_owned()),
            status: Set("pending".to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            contact_id: Set(Some(contact.0)),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

async fn queue(
    db: &impl ConnectionTrait,
    company: CompanyId,
    channel: &str,
    to: &str,
    subject: &str,
    body: &str,
    contact: Option<ContactId>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    outbox::Entity::insert(outbox::ActiveModel {
        company_id: Set(company.0),
        id: Set(Uuid::now_v7()),
        channel: Set(channel.to_owned()),
        recipient: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        contact_id: Set(contact.map(|c| c.0)),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// The key that signs unsubscribe links, derived from the server's signing secret (every
/// instance shares it, so any of them can check a link another made).
pub fn link_key(server_secret: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(server_secret) else {
        unreachable!("HMAC takes keys of every length")
    };
    mac.update(b"crm unsubscribe links v1");
    mac.finalize().into_bytes().to_vec()
}

fn link_signature(key: &[u8], company: CompanyId, contact: ContactId) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of every length")
    };
    mac.update(company.0.as_bytes());
    mac.update(contact.0.as_bytes());
    // 128 bits are plenty for a link that only ever opts someone out.
    mac.finalize().into_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The token of a contact's one-click unsubscribe link: `<company>.<contact>.<signature>`.
pub fn unsubscribe_token(key: &[u8], company: CompanyId, contact: ContactId) -> String {
    format!(
        "{}.{}.{}",
        company.0.simple(),
        contact.0.simple(),
        link_signature(key, company, contact)
    )
}

/// The company and contact of a genuine unsubscribe token.
pub fn check_unsubscribe_token(key: &[u8], token: &str) -> Option<(CompanyId, ContactId)> {
    let mut parts = token.trim().split('.');
    let company = CompanyId(Uuid::parse_str(parts.next()?).ok()?);
    let contact = ContactId(Uuid::parse_str(parts.next()?).ok()?);
    let signature = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    crate::auth::constant_time_eq(signature, &link_signature(key, company, contact)).then_some((company, contact))
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

impl Store {
    /// Opts a contact out of automatic emails (their one-click unsubscribe link). The first use
    /// is recorded on the contact's timeline and gives the contact's owner a task; using the
    /// link again changes nothing. `NotFound` for a contact that is not there.
    pub async fn unsubscribe(&self, company: CompanyId, contact: ContactId) -> Result<bool, StoreError> {
        use crate::entities::{contacts, users};
        let txn = self.write().await?;
        let changed = contacts::Entity::update_many()
            .col_expr(contacts::Column::OptedOut, sea_orm::sea_query::Expr::value(true))
            .col_expr(contacts::Column::UpdatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(contacts::Column::CompanyId.eq(company.0))
            .filter(contacts::Column::Id.eq(contact.0))
            .filter(contacts::Column::OptedOut.eq(false))
            .exec(&txn)
            .await?;
        // Read through the transaction, which holds the write lock.
        let row = contacts::Entity::find_by_id((company.0, contact.0))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("contact"))?;
        if changed.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        let record = crate::contacts::to_record(row);
        let owner = users::Entity::find_by_id((company.0, record.owner_id.0))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        let lang = crm_domain::i18n::Locale::parse(&owner.locale).unwrap_or(crm_domain::i18n::Locale::En);
        crate::contacts::add_timeline(
            &txn,
            company,
            contact,
            crate::contacts::TimelineEvent::new("unsubscribed", serde_json::json!({})),
            None,
        )
        .await?;
        let title = lang.render("task.unsubscribed", &serde_json::json!({"contact": record.data.display_name()}));
        crate::tasks::create_task(
            &txn,
            company,
            crate::tasks::NewTask {
                contact: Some(contact),
                ..crate::tasks::NewTask::new(record.owner_id, "unsubscribe", &title)
            },
        )
        .await?;
        crate::notices::notify(
            &txn,
            company,
            record.owner_id,
            crate::notices::Notice {
                kind: "unsubscribe",
                title: &title,
                body: None,
                link: Some(format!("/contacts/{}", contact.0)),
                email: Some((title.clone(), title.clone())),
                email_override: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The name of a company, for pages shown to its clients.
    pub async fn company_name(&self, company: CompanyId) -> Result<String, StoreError> {
        Ok(self.company(company).await?.name)
    }
}
