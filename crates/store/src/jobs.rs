//! Bookkeeping of periodic jobs. A run is keyed by its job and period, so across any number of
//! instances a period's run is started by whoever inserts that row first. The run holds a lease;
//! a run whose instance died (lease out, not done) or that failed is taken over with a higher
//! attempt number, which fences the final update.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::job_runs;
use crate::{Store, StoreError};

/// A claimed run of a periodic job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    /// The start of the period, in seconds since the epoch.
    pub period: i64,
    /// The fencing number of this claim.
    pub attempt: i32,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Run it now.
    Run(JobRun),
    /// The period's run is finished.
    Done,
    /// Another instance is running it (or waits to retry it).
    Busy,
}

/// A recorded run, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRunRecord {
    pub job: String,
    pub period: i64,
    pub status: String,
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

impl Store {
    /// Claims the run of `job` for `period`. A new
    /// period is claimed by inserting its row (a second instance's insert is ignored); a run
    /// that failed, or whose holder's lease ran out before it finished, is taken over.
    pub async fn claim_job_run(&self, job: &str, period: i64, lease: Duration) -> Result<Claim, StoreError> {
        let now = Utc::now();
        let insert = Query::insert()
            .into_table(job_runs::Entity)
            .columns([
                job_runs::Column::Job,
                job_runs::Column::Period,
                job_runs::Column::Status,
                job_runs::Column::Attempt,
                job_runs::Column::LeaseUntil,
                job_runs::Column::StartedAt,
            ])
            .values_panic([
                job.into(),
                period.into(),
                "running".into(),
                1i32.into(),
                (now + lease).into(),
                now.into(),
            ])
            .on_conflict(
                OnConflict::columns([job_runs::Column::Job, job_runs::Column::Period])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        if self.db.execute(&insert).await?.rows_affected() == 1 {
            return Ok(Claim::Run(JobRun {
                job: job.to_owned(),
                period,
                attempt: 1,
            }));
        }
        let Some(current) = job_runs::Entity::find_by_id((job.to_owned(), period)).one(&self.db).await? else {
            return Ok(Claim::Busy);
        };
        if current.status == "done" {
            return Ok(Claim::Done);
        }
        if current.lease_until > now {
            return Ok(Claim::Busy);
        }
        let next = current.attempt + 1;
        let taken = job_runs::Entity::update_many()
            .col_expr(job_runs::Column::Status, Expr::value("running"))
            .col_expr(job_runs::Column::Attempt, Expr::value(next))
            .col_expr(job_runs::Column::LeaseUntil, Expr::value(now + lease))
            .col_expr(job_runs::Column::StartedAt, Expr::value(now))
            .filter(job_runs::Column::Job.eq(job))
            .filter(job_runs::Column::Period.eq(period))
            .filter(job_runs::Column::Attempt.eq(current.attempt))
            .filter(job_runs::Column::Status.ne("done"))
            .exec(&self.db)
            .await?;
        Ok(if taken.rows_affected == 1 {
            Claim::Run(JobRun {
                job: job.to_owned(),
                period,
                attempt: next,
            })
        } else {
            Claim::Busy
        })
    }

    /// Records how a claimed run ended. A failed run is retried after `retry_after`. `false`
    /// when the claim was lost to another instance meanwhile.
    pub async fn finish_job_run(&self, run: &JobRun, result: Result<&str, &str>, retry_after: Duration) -> Result<bool, StoreError> {
        let now = Utc::now();
        let (status, note, lease) = match result {
            Ok(note) => ("done", note, now),
            Err(error) => ("failed", error, now + retry_after),
        };
        let res = job_runs::Entity::update_many()
            .col_expr(job_runs::Column::Status, Expr::value(status))
            .col_expr(job_runs::Column::FinishedAt, Expr::value(Some(now)))
            .col_expr(job_runs::Column::LeaseUntil, Expr::value(lease))
            .col_expr(
                job_runs::Column::Note,
                Expr::value(Some(note.chars().take(1000).collect::<String>())),
            )
            .filter(job_runs::Column::Job.eq(run.job.as_str()))
            .filter(job_runs::Column::Period.eq(run.period))
            .filter(job_runs::Column::Attempt.eq(run.attempt))
            .filter(job_runs::Column::Status.eq("running"))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// The latest runs of every periodic job, newest first.
    pub async fn job_runs(&self, limit: u64) -> Result<Vec<JobRunRecord>, StoreError> {
        let rows = job_runs::Entity::find()
            .order_by_desc(job_runs::Column::StartedAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| JobRunRecord {
                job: r.job,
                period: r.period,
                status: r.status,
                attempt: r.attempt,
                started_at: r.started_at,
                finished_at: r.finished_at,
                note: r.note,
            })
            .collect())
    }
}

/// What a housekeeping pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub refresh_tokens: u64,
    pub messages: u64,
    pub job_runs: u64,
    pub import_files: u64,
}

impl Store {
    /// Removes what nobody can use or needs any more: refresh tokens of expired or long-revoked
    /// sign-ins, messages sent more than `keep_messages` ago, records of periodic runs older
    /// than `keep_runs`, and files of imports finished a week ago (their reports stay).
    pub async fn purge_expired(&self, keep_messages: Duration, keep_runs: Duration) -> Result<Purged, StoreError> {
        use crate::entities::{outbox, refresh_tokens};
        let now = Utc::now();
        let tokens = refresh_tokens::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(refresh_tokens::Column::FamilyExpiresAt.lt(now))
                    .add(refresh_tokens::Column::ExpiresAt.lt(now - Duration::days(1)))
                    .add(refresh_tokens::Column::RevokedAt.lt(now - Duration::days(1))),
            )
            .exec(&self.db)
            .await?;
        let messages = outbox::Entity::delete_many()
            .filter(outbox::Column::Status.eq("sent"))
            .filter(outbox::Column::SentAt.lt(now - keep_messages))
            .exec(&self.db)
            .await?;
        let runs = job_runs::Entity::delete_many()
            .filter(job_runs::Column::StartedAt.lt(now - keep_runs))
            .filter(job_runs::Column::Status.eq("done"))
            .exec(&self.db)
            .await?;
        Ok(Purged {
            refresh_tokens: tokens.rows_affected,
            messages: messages.rows_affected,
            job_runs: runs.rows_affected,
            import_files: self.purge_import_files(now - Duration::days(7)).await?,
        })
    }
}
