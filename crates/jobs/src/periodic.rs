//! Periodic jobs: each runs once per period across every instance (see `crm_store::jobs`).
//! Later areas add theirs here (nightly call lists, mailings, fixation expiry).

use std::time::Duration;

use chrono::Utc;
use crm_store::Store;
use crm_store::jobs::{Claim, JobRun};
use tokio::sync::watch;
use tracing::Instrument;

use crate::JobsConfig;

/// A job that runs once per period.
#[derive(Debug, Clone, Copy)]
pub struct Periodic {
    pub name: &'static str,
    pub default_every: Duration,
    pub about: &'static str,
}

/// Every periodic job, with its default period (a setting: `CRM_JOB_<NAME>_SECONDS`).
pub const PERIODIC_JOBS: [Periodic; 6] = [
    Periodic {
        name: "housekeeping",
        default_every: Duration::from_secs(3600),
        about: "removes expired sign-ins, sent messages older than 90 days, old job records and the files of finished imports",
    },
    Periodic {
        name: "redistribution",
        default_every: Duration::from_secs(60),
        about: "passes tips and leads not taken care of within their office's time limit to the office's redistributor",
    },
    Periodic {
        name: "auto_tips",
        default_every: Duration::from_secs(300),
        about: "tips viewing participants to the broker whose focus area holds their home, once their office's delay has passed",
    },
    Periodic {
        name: "nurture",
        default_every: Duration::from_secs(3600),
        about: "gives brokers one task per week to keep in touch with clients who postponed until a later day or carry a tag asking for weekly nurture",
    },
    Periodic {
        name: "call_lists",
        default_every: Duration::from_secs(3600),
        about: "fills call lists that have a saved selection once a night (the first run after midnight in the company's time zone), as their creators see the contacts",
    },
    Periodic {
        name: "statistics",
        default_every: Duration::from_secs(6 * 3600),
        about: "recounts contacts per owner, refreshes the planner's statistics (and, on PostgreSQL, vacuums)",
    },
];

/// How often the runner looks whether a period's run is due.
const TICK: Duration = Duration::from_secs(5);

async fn execute(store: &Store, name: &str) -> anyhow::Result<String> {
    match name {
        "housekeeping" => {
            let p = store.purge_expired(chrono::Duration::days(90), chrono::Duration::days(30)).await?;
            Ok(format!(
                "removed {} refresh tokens, {} sent messages, {} job records, {} import files",
                p.refresh_tokens, p.messages, p.job_runs, p.import_files
            ))
        }
        "redistribution" => {
            let moved = store.redistribute_due(Utc::now()).await?;
            Ok(format!("{moved} items passed on to redistributors"))
        }
        "auto_tips" => {
            let sent = store.auto_tips_due(Utc::now()).await?;
            Ok(format!("{sent} automatic tips after viewings"))
        }
        "nurture" => {
            let made = store.nurture_due(Utc::now()).await?;
            Ok(format!("{made} weekly nurture tasks"))
        }
        "call_lists" => {
            let added = store.fill_nightly(Utc::now()).await?;
            Ok(format!("{added} contacts added to call lists"))
        }
        "statistics" => {
            store.recount_contacts().await?;
            store.optimize().await?;
            Ok("contact counts checked, statistics refreshed".to_owned())
        }
        other => anyhow::bail!("no periodic job is called {other}"),
    }
}

fn every(config: &JobsConfig, job: &Periodic) -> Duration {
    config
        .periods
        .iter()
        .find(|(name, _)| name == job.name)
        .map(|(_, d)| *d)
        .unwrap_or(job.default_every)
        .max(Duration::from_secs(1))
}

/// The period `now` falls in, as the second it starts at.
fn period_start(now: i64, every: Duration) -> i64 {
    let secs = every.as_secs().max(1) as i64;
    now - now.rem_euclid(secs)
}

pub(crate) async fn run(store: Store, config: JobsConfig, mut stopped: watch::Receiver<bool>) {
    let tick = TICK.min(config.poll.max(Duration::from_millis(100)));
    // Periods this instance has seen finished, so it does not ask the database again.
    let mut done: Vec<(&'static str, i64)> = Vec::new();
    loop {
        for job in PERIODIC_JOBS {
            let period = period_start(Utc::now().timestamp(), every(&config, &job));
            if done.contains(&(job.name, period)) {
                continue;
            }
            match store.claim_job_run(job.name, period, config.lease()).await {
                Ok(Claim::Run(run)) => {
                    let span = tracing::info_span!("job", name = job.name, period, attempt = run.attempt);
                    if finish(&store, &config, &run, execute(&store, job.name).instrument(span.clone()).await)
                        .instrument(span)
                        .await
                    {
                        done.push((job.name, period));
                    }
                }
                Ok(Claim::Done) => done.push((job.name, period)),
                Ok(Claim::Busy) => {}
                Err(e) => tracing::error!(job = job.name, error = ?e, "cannot claim a periodic run"),
            }
        }
        done.retain(|(name, period)| {
            PERIODIC_JOBS
                .iter()
                .find(|j| j.name == *name)
                .is_some_and(|j| *period == period_start(Utc::now().timestamp(), every(&config, j)))
        });
        if !crate::idle(tick, &mut stopped).await {
            return;
        }
    }
}

/// Records the outcome; `true` when the run is finished for good.
async fn finish(store: &Store, config: &JobsConfig, run: &JobRun, outcome: anyhow::Result<String>) -> bool {
    let retry = config.backoff().after(run.attempt);
    let recorded = match &outcome {
        Ok(note) => {
            tracing::info!(%note, "periodic job done");
            store.finish_job_run(run, Ok(note), retry).await
        }
        Err(e) => {
            tracing::error!(error = ?e, "periodic job failed; it will be retried");
            store.finish_job_run(run, Err(&format!("{e:#}")), retry).await
        }
    };
    match recorded {
        Ok(true) => outcome.is_ok(),
        Ok(false) => {
            tracing::warn!("the run was taken over by another instance meanwhile");
            false
        }
        Err(e) => {
            tracing::error!(error = ?e, "cannot record the end of a periodic run");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_multiples() {
        assert_eq!(period_start(7205, Duration::from_secs(3600)), 7200);
        assert_eq!(period_start(7200, Duration::from_secs(3600)), 7200);
        assert_eq!(period_start(59, Duration::from_secs(60)), 0);
    }
}
