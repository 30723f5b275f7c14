//! The job runner: every piece of background work the CRM does, in one place.
//!
//! `crm serve` starts it beside the HTTP server; `crm worker` runs it alone. Any number of
//! instances may run against one PostgreSQL:
//! - **Queued work** (the outbox) is claimed in the database under a lease with an attempt
//!   number; the attempt number fences the final update, so an instance that lost its lease
//!   cannot overwrite the result of the one that took the work over. A dead instance's work is
//!   picked up when its lease runs out; failures are retried with backoff, never dropped.
//! - **Periodic jobs** fire once per period across instances: a run is keyed by job and period
//!   (see `crm_store::jobs`), so only the instance that inserts that key runs it.
//!
//! On SQLite the same tables make it work in one process and across restarts.

pub mod imports;
pub mod mail;
mod periodic;
pub mod sms;

use std::time::Duration;

use crm_store::Store;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use periodic::{PERIODIC_JOBS, Periodic};

/// Settings of the job runner.
#[derive(Clone)]
pub struct JobsConfig {
    /// How often queues are polled when idle.
    pub poll: Duration,
    /// How long a claimed item is reserved for its instance.
    pub lease: Duration,
    /// The wait before the first retry; it doubles per attempt up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Outgoing email; without it emails wait in the outbox.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Outgoing SMS; without it texts wait in the outbox.
    pub sms: Option<sms::SmsGateway>,
    /// Where users and clients reach the app, for links in messages.
    pub public_url: String,
    /// Signs the unsubscribe links in messages to contacts (see `crm_store::outbox::link_key`).
    pub link_key: Vec<u8>,
    /// Periods of the periodic jobs, by name (a job not listed uses its default).
    pub periods: Vec<(String, Duration)>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(2),
            lease: Duration::from_secs(300),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            smtp_url: None,
            mail_from: "CRM <crm@localhost>".to_owned(),
            sms: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            link_key: Vec::new(),
            periods: Vec::new(),
        }
    }
}

/// Everything but the link key.
impl std::fmt::Debug for JobsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobsConfig")
            .field("poll", &self.poll)
            .field("lease", &self.lease)
            .field("retry_base", &self.retry_base)
            .field("retry_max", &self.retry_max)
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "***"))
            .field("mail_from", &self.mail_from)
            .field("sms", &self.sms)
            .field("public_url", &self.public_url)
            .field("periods", &self.periods)
            .finish_non_exhaustive()
    }
}

impl JobsConfig {
    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::minutes(5))
    }

    fn backoff(&self) -> Backoff {
        Backoff {
            base: self.retry_base,
            max: self.retry_max,
        }
    }
}

/// Exponential backoff: `base`, `2·base`, `4·base`, … at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after the `attempts`-th failed attempt (1 for the first).
    pub fn after(&self, attempts: i32) -> chrono::Duration {
        let factor = 1u32 << attempts.saturating_sub(1).clamp(0, 20);
        let wait = self.base.saturating_mul(factor).min(self.max);
        chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    }
}

/// A running job runner. Dropping it does not stop it; call [`Runner::shutdown`].
pub struct Runner {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

impl Runner {
    /// Starts every loop on the current Tokio runtime.
    pub fn start(store: Store, config: JobsConfig) -> anyhow::Result<Self> {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let links = mail::Links {
            public_url: config.public_url.clone(),
            key: config.link_key.clone(),
        };
        match &config.smtp_url {
            Some(url) => {
                // Sending must finish well inside the lease, or a second instance could take
                // the message over while it is still being handed to the mail server.
                let timeout = (config.lease / 4).min(Duration::from_secs(60));
                let mailer = mail::Mailer::new(url, &config.mail_from, timeout)?;
                tasks.spawn(outbox_loop(
                    store.clone(),
                    config.clone(),
                    mail::Courier::Email(mailer),
                    links.clone(),
                    stopped.clone(),
                ));
            }
            None => tracing::warn!("CRM_SMTP_URL is not set: emails wait in the outbox until it is"),
        }
        match &config.sms {
            Some(gateway) => {
                let mut gateway = gateway.clone();
                gateway.timeout = gateway.timeout.min(config.lease / 4);
                tasks.spawn(outbox_loop(
                    store.clone(),
                    config.clone(),
                    mail::Courier::Sms(gateway),
                    links,
                    stopped.clone(),
                ));
            }
            None => tracing::warn!("CRM_SMS_PROVIDER is not set: text messages wait in the outbox until it is"),
        }
        tasks.spawn(imports_loop(store.clone(), config.clone(), stopped.clone()));
        tasks.spawn(periodic::run(store, config, stopped));
        Ok(Self { stop, tasks })
    }

    /// Asks every loop to stop after the item it is working on and waits for them, at most
    /// `grace`.
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.stop.send(true);
        let all = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("jobs did not stop in time; their leases will hand the work to another instance");
        }
    }
}

/// Sleeps `every`, or less when asked to stop. Returns `false` when stopping.
async fn idle(every: Duration, stopped: &mut watch::Receiver<bool>) -> bool {
    if *stopped.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(every) => !*stopped.borrow(),
        _ = stopped.changed() => false,
    }
}

async fn outbox_loop(store: Store, config: JobsConfig, courier: mail::Courier, links: mail::Links, mut stopped: watch::Receiver<bool>) {
    let backoff = config.backoff();
    let channel = courier.channel();
    loop {
        let busy = match mail::deliver_due(&store, &courier, &links, config.lease(), &backoff).await {
            Ok(pass) => {
                if pass.sent + pass.failed > 0 {
                    tracing::info!(channel, sent = pass.sent, failed = pass.failed, "delivery pass");
                }
                pass.sent + pass.failed > 0
            }
            Err(e) => {
                tracing::error!(channel, error = ?e, "delivery pass failed");
                false
            }
        };
        // A busy queue is drained at once; an idle one is polled.
        let wait = if busy { Duration::ZERO } else { config.poll };
        if !idle(wait, &mut stopped).await {
            return;
        }
    }
}

async fn imports_loop(store: Store, config: JobsConfig, mut stopped: watch::Receiver<bool>) {
    loop {
        let worked = match store.claim_import(config.lease()).await {
            Ok(Some(claim)) => {
                let span = tracing::info_span!("import", id = %claim.record.id, attempt = claim.attempt);
                if let Err(e) = tracing::Instrument::instrument(imports::process(&store, claim, config.lease()), span).await {
                    tracing::error!(error = ?e, "import could not be recorded");
                }
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::error!(error = ?e, "cannot claim an import");
                false
            }
        };
        if !idle(if worked { Duration::ZERO } else { config.poll }, &mut stopped).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let b = Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(3600),
        };
        assert_eq!(b.after(1).num_minutes(), 1);
        assert_eq!(b.after(2).num_minutes(), 2);
        assert_eq!(b.after(4).num_minutes(), 8);
        assert_eq!(b.after(30).num_minutes(), 60);
    }
}
