//! The job runner's bookkeeping and longer-lived, revocable sign-ins.
//!
//! - `job_runs`: one row per periodic job and period; its primary key is what makes a periodic
//!   job fire once per period however many instances tick. A run holds a lease and an attempt
//!   number that fences its final update. It is the one table outside any tenant: the jobs it
//!   records run for the whole installation (under Citus it lives on the coordinator).
//! - `outbox`: a cross-company index for the delivery job's scan of due messages.
//! - `refresh_tokens`: the successor of a rotated token (for the short grace in which a
//!   concurrent refresh gets the same new pair) and the family's absolute expiry.
//! - `users.tokens_valid_after`: access tokens issued before it are refused (set when the
//!   password changes or the user is deactivated).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_jobs_and_sessions"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("job_runs"))
                    .if_not_exists()
                    .col(col("job").string().not_null())
                    .col(col("period").big_integer().not_null())
                    .col(col("status").string().not_null())
                    .col(col("attempt").integer().not_null())
                    .col(col("lease_until").timestamp_with_time_zone().not_null())
                    .col(col("started_at").timestamp_with_time_zone().not_null())
                    .col(col("finished_at").timestamp_with_time_zone().null())
                    .col(col("note").string().null())
                    .primary_key(Index::create().col(Alias::new("job")).col(Alias::new("period")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("outbox_due_all")
                    .table(Alias::new("outbox"))
                    .if_not_exists()
                    .col(Alias::new("status"))
                    .col(Alias::new("next_attempt_at"))
                    .to_owned(),
            )
            .await?;

        for (table, column) in [
            ("refresh_tokens", col("replaced_by").uuid().null().to_owned()),
            (
                "refresh_tokens",
                col("family_expires_at").timestamp_with_time_zone().null().to_owned(),
            ),
            ("users", col("tokens_valid_after").timestamp_with_time_zone().null().to_owned()),
        ] {
            let mut c = column;
            manager
                .alter_table(Table::alter().table(Alias::new(table)).add_column(&mut c).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared("UPDATE refresh_tokens SET family_expires_at = expires_at WHERE family_expires_at IS NULL")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refresh_tokens_user")
                    .table(Alias::new("refresh_tokens"))
                    .if_not_exists()
                    .col(Alias::new("company_id"))
                    .col(Alias::new("user_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("job_runs")).if_exists().to_owned())
            .await?;
        for name in ["outbox_due_all", "refresh_tokens_user"] {
            manager.drop_index(Index::drop().name(name).to_owned()).await?;
        }
        for (table, column) in [
            ("refresh_tokens", "replaced_by"),
            ("refresh_tokens", "family_expires_at"),
            ("users", "tokens_valid_after"),
        ] {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
