//! What segments ask of a client's history, kept beside the contact so that it is read by one
//! index: when the contact last attended a viewing (the latest start of a viewing, not cancelled,
//! they attended) and when a customer meeting with them was last booked; and the words of each
//! demand's area (folded: lower case, no diacritics) in a table keyed by word, carrying what a
//! segment checks of the demand, so that "a demand in Söder at 4,000,000" is an index range.
//! The history columns are filled here from the existing rows; the demands' words are filled by
//! the store after migrating (`Store::migrate`), as they are derived by its text folding.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_segment_history"
    }
}

/// Recomputes both history columns of the contacts the `WHERE` clause after it names
/// (`contacts` unaliased). The segments benchmark seeds history straight into the tables and
/// runs this too. A contact's participations are read by their index and each viewing by its
/// key (as a join, SQLite read every viewing of the company for each contact).
pub const HISTORY: &str = "UPDATE contacts SET \
    last_viewing_at = (SELECT MAX((SELECT v.starts_at FROM viewings v \
        WHERE v.company_id = p.company_id AND v.id = p.viewing_id AND v.cancelled_at IS NULL)) \
        FROM viewing_participants p \
        WHERE p.company_id = contacts.company_id AND p.contact_id = contacts.id \
        AND p.status = 'attended'), \
    last_meeting_at = (SELECT MAX(m.created_at) FROM meetings m \
        WHERE m.company_id = contacts.company_id AND m.contact_id = contacts.id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for column in ["last_viewing_at", "last_meeting_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("contacts"))
                        .add_column(ColumnDef::new(Alias::new(column)).timestamp_with_time_zone().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("demands"))
                    .add_column(ColumnDef::new(Alias::new("words")).text().null())
                    .to_owned(),
            )
            .await?;
        let words = match backend {
            DatabaseBackend::Postgres => {
                "CREATE TABLE IF NOT EXISTS demand_words (
                    company_id uuid NOT NULL,
                    word text COLLATE \"C\" NOT NULL,
                    demand_id uuid NOT NULL,
                    contact_id uuid NOT NULL,
                    active boolean NOT NULL,
                    min_price bigint,
                    max_price bigint,
                    words text NOT NULL,
                    PRIMARY KEY (company_id, word, demand_id)
                )"
            }
            _ => {
                "CREATE TABLE IF NOT EXISTS demand_words (
                    company_id blob NOT NULL,
                    word text NOT NULL,
                    demand_id blob NOT NULL,
                    contact_id blob NOT NULL,
                    active integer NOT NULL,
                    min_price integer,
                    max_price integer,
                    words text NOT NULL,
                    PRIMARY KEY (company_id, word, demand_id)
                ) WITHOUT ROWID"
            }
        };
        db.execute_unprepared(words).await?;
        // Only contacts who attended a viewing are in it (imports write nothing here).
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS contacts_last_viewing ON contacts (company_id, last_viewing_at) \
             WHERE last_viewing_at IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(&format!(
            "{HISTORY} WHERE id IN (SELECT contact_id FROM viewing_participants) OR id IN (SELECT contact_id FROM meetings)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("contacts_last_viewing").table(Alias::new("contacts")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new("demand_words")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("demands"))
                    .drop_column(Alias::new("words"))
                    .to_owned(),
            )
            .await?;
        for column in ["last_viewing_at", "last_meeting_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("contacts"))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
