//! Email delivery from the outbox over SMTP. Messages are queued in the same transaction as the
//! change they report; this job claims due ones, sends them, and reschedules failures with
//! backoff. Nothing is dropped.

use std::time::Duration;

use chrono::Utc;
use crm_store::Store;
use crm_store::outbox::OutboxMessage;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::Instrument;

use crate::Backoff;

/// How many messages one pass claims at most.
const BATCH: u64 = 50;

/// An SMTP connection and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `url`: `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465`. `from`: e.g. `CRM <crm@example.com>`. A message must be
    /// handed over within `timeout`, which is kept well below the claim's lease.
    pub fn new(url: &str, from: &str, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.timeout(Some(timeout)).build();
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

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

/// One pass: claims due email messages and sends them, one at a time.
pub async fn deliver_due(store: &Store, mailer: &Mailer, lease: chrono::Duration, backoff: &Backoff) -> anyhow::Result<Pass> {
    let mut pass = Pass::default();
    for m in store.claim_due_messages("email", BATCH, lease).await? {
        let span = tracing::info_span!("email", message = %m.id, attempt = m.attempts);
        let sent = async {
            match mailer.send(&m).await {
                Ok(()) => {
                    if !store.message_sent(&m).await? {
                        tracing::warn!("sent, but the claim had run out meanwhile");
                    }
                    Ok::<bool, anyhow::Error>(true)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "email not sent; will retry");
                    store
                        .message_failed(&m, &e.to_string(), Utc::now() + backoff.after(m.attempts))
                        .await?;
                    Ok(false)
                }
            }
        }
        .instrument(span)
        .await?;
        if sent {
            pass.sent += 1;
        } else {
            pass.failed += 1;
        }
    }
    Ok(pass)
}
