//! Email delivery from the outbox over SMTP. Messages are queued in the same transaction as the
//! change they report; this job claims due ones, sends them, and reschedules failures with
//! backoff. Nothing is dropped.

use std::time::Duration;

use chrono::Utc;
use crm_store::Store;
use crm_store::tasks::OutboxMessage;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long a claimed message is reserved for the claiming instance.
const LEASE_SECONDS: i64 = 120;
/// How many messages one pass sends at most.
const BATCH: u64 = 50;

/// An SMTP connection and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `url`: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`. `from`: e.g. `CRM <crm@example.com>`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Self {
            transport,
            from: from.parse()?,
        })
    }

    async fn send(&self, m: &OutboxMessage) -> anyhow::Result<()> {
        let email = Message::builder()
            .from(self.from.clone())
            .to(m.recipient.parse()?)
            .subject(&m.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())?;
        self.transport.send(email).await?;
        Ok(())
    }
}

/// The wait before attempt `attempts + 1`: 1, 2, 4, … minutes, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::minutes(1i64 << attempts.clamp(0, 6).min(6)).min(chrono::Duration::hours(1))
}

/// One pass: claims due email messages and sends them. Returns how many were sent.
pub async fn deliver_due(store: &Store, mailer: &Mailer) -> anyhow::Result<usize> {
    let mut sent = 0;
    for m in store.claim_due_messages(BATCH, chrono::Duration::seconds(LEASE_SECONDS)).await? {
        if m.channel != "email" {
            continue;
        }
        match mailer.send(&m).await {
            Ok(()) => {
                store.message_sent(&m).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(message = %m.id, attempts = m.attempts, error = %e, "email not sent; will retry");
                store.message_failed(&m, &e.to_string(), Utc::now() + backoff(m.attempts)).await?;
            }
        }
    }
    Ok(sent)
}

/// Runs [`deliver_due`] every `every` until the process ends.
pub fn spawn(store: Store, mailer: Mailer, every: Duration) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&store, &mailer).await {
                tracing::error!(error = ?e, "email delivery pass failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1).num_minutes(), 2);
        assert_eq!(backoff(3).num_minutes(), 8);
        assert_eq!(backoff(30).num_minutes(), 60);
    }
}
