//! Delivery of the outbox: email over SMTP and SMS through an HTTP gateway. Messages are queued
//! in the same transaction as the change they report; this job claims due ones per channel,
//! sends them, and reschedules failures with backoff. Nothing is dropped, and a message is
//! marked sent only by the claim that sent it.
//!
//! A message to a contact carries the contact's one-click unsubscribe link (RFC 8058): in the
//! text, and for email in the `List-Unsubscribe` and `List-Unsubscribe-Post` headers.

use std::time::Duration;

use chrono::Utc;
use crm_store::Store;
use crm_store::outbox::{OutboxMessage, unsubscribe_token};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::Instrument;

use crate::Backoff;
use crate::sms::SmsGateway;

/// How many messages one pass claims at most.
const BATCH: u64 = 50;

/// An SMTP connection and the sender address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
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

    async fn send(&self, m: &OutboxMessage, unsubscribe: Option<&str>) -> anyhow::Result<()> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(m.recipient.parse()?)
            .subject(&m.subject)
            .header(ContentType::TEXT_PLAIN);
        let mut body = m.body.clone();
        if let Some(link) = unsubscribe {
            builder = builder.header(ListUnsubscribe(format!("<{link}>"))).header(ListUnsubscribePost);
            body.push_str(&format!("\n--\n{link}\n"));
        }
        self.transport.send(builder.body(body)?).await?;
        Ok(())
    }
}

/// What sends one channel's messages.
#[derive(Clone)]
pub enum Courier {
    Email(Mailer),
    Sms(SmsGateway),
}

impl Courier {
    pub fn channel(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Sms(_) => "sms",
        }
    }

    async fn send(&self, m: &OutboxMessage, unsubscribe: Option<&str>) -> anyhow::Result<()> {
        match self {
            Self::Email(mailer) => mailer.send(m, unsubscribe).await,
            Self::Sms(gateway) => {
                let text = match unsubscribe {
                    Some(link) => format!("{}\n{link}", m.body),
                    None => m.body.clone(),
                };
                gateway.send(&m.recipient, &text).await
            }
        }
    }
}

/// Where unsubscribe links point and the key that signs them.
#[derive(Clone)]
pub struct Links {
    pub public_url: String,
    pub key: Vec<u8>,
}

impl Links {
    fn unsubscribe(&self, m: &OutboxMessage) -> Option<String> {
        m.contact_id.map(|c| {
            format!(
                "{}/api/v1/public/unsubscribe/{}",
                self.public_url.trim_end_matches('/'),
                unsubscribe_token(&self.key, m.company_id, c)
            )
        })
    }
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

/// One pass: claims the channel's due messages and sends them, one at a time.
pub async fn deliver_due(
    store: &Store,
    courier: &Courier,
    links: &Links,
    lease: chrono::Duration,
    backoff: &Backoff,
) -> anyhow::Result<Pass> {
    let mut pass = Pass::default();
    for m in store.claim_due_messages(courier.channel(), BATCH, lease).await? {
        let span = tracing::info_span!("message", channel = courier.channel(), message = %m.id, attempt = m.attempts);
        let sent = async {
            match courier.send(&m, links.unsubscribe(&m).as_deref()).await {
                Ok(()) => {
                    if !store.message_sent(&m).await? {
                        tracing::warn!("sent, but the claim had run out meanwhile");
                    }
                    Ok::<bool, anyhow::Error>(true)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "message not sent; will retry");
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
