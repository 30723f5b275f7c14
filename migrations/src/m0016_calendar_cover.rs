//! The calendar's three indexes, by person and start, carry what a calendar entry shows: a
//! month of an office (thousands of bookings) is then read from the indexes alone, not by a
//! probe of each booking's row. They replace the narrower indexes of 0010, whose keys they
//! begin with, so every other read through those keeps its index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_calendar_cover"
    }
}

/// One covering index: its name, table, key, what it carries, and the index of 0010 it replaces
/// (with that index's key).
pub struct Cover {
    pub name: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub carried: &'static str,
    replaces: (&'static str, &'static str),
}

/// The columns the calendar reads of each kind of booking, after the key.
pub const COVERS: [Cover; 3] = [
    Cover {
        name: "meetings_calendar",
        table: "meetings",
        key: "company_id, user_id, starts_at",
        carried: "ends_at, status, place, contact_id, property_id, id",
        replaces: ("meetings_user", "company_id, user_id, starts_at"),
    },
    Cover {
        name: "viewings_calendar",
        table: "viewings",
        key: "company_id, broker_id, starts_at",
        carried: "ends_at, cancelled_at, property_id, id",
        replaces: ("viewings_broker", "company_id, broker_id, starts_at"),
    },
    Cover {
        name: "tasks_timed",
        table: "tasks",
        key: "company_id, assignee_id, timed, due_at",
        carried: "tank_office_id, done, contact_id, property_id, id",
        replaces: ("tasks_calendar", "company_id, assignee_id, timed, due_at"),
    },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for c in &COVERS {
            let create = match manager.get_database_backend() {
                DatabaseBackend::Postgres => format!(
                    "CREATE INDEX IF NOT EXISTS {} ON {} ({}) INCLUDE ({})",
                    c.name, c.table, c.key, c.carried
                ),
                _ => format!("CREATE INDEX IF NOT EXISTS {} ON {} ({}, {})", c.name, c.table, c.key, c.carried),
            };
            db.execute_unprepared(&create).await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {}", c.replaces.0)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for c in &COVERS {
            let (old, key) = c.replaces;
            db.execute_unprepared(&format!("CREATE INDEX IF NOT EXISTS {old} ON {} ({key})", c.table))
                .await?;
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {}", c.name)).await?;
        }
        Ok(())
    }
}
