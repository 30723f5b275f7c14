//! Persistence on sea-orm, for SQLite (the embedded default) and PostgreSQL.
//!
//! Repositories take and return domain values and plain records, never ORM models; handlers
//! never build SQL. Every query is scoped to one company: the company id is the first column of
//! every key and index, so the schema can be sharded by company (Citus) without changes here.

pub mod auth;
pub mod calendar;
pub mod call_lists;
pub mod calls;
pub mod contacts;
pub mod cursor;
mod encoding;
mod entities;
mod error;
pub mod focus;
pub mod imports;
mod intake;
pub mod jobs;
pub mod leads;
pub mod notices;
pub mod org;
pub mod outbox;
pub mod properties;
pub mod segments;
mod snapshot;
mod sql;
pub mod tasks;

pub use error::StoreError;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};
use std::sync::Arc;
use std::time::Duration;

/// Which database a URL names.
pub fn backend_name(url: &str) -> &'static str {
    if url.starts_with("postgres") { "postgresql" } else { "sqlite" }
}

/// A handle to the database. Cheap to clone (a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// On SQLite, the turn of this process's writers (see [`Write`]).
    writers: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Companies' organisations as routing needs them (see `snapshot`).
    snapshots: Arc<snapshot::Snapshots>,
    /// Posted leads waiting to be written (see `intake`).
    intake: Arc<intake::Intake>,
    /// On SQLite, what folds the write-ahead log back into the database (see [`Checkpointer`]).
    _checkpointer: Option<Arc<Checkpointer>>,
}

/// On SQLite, copies the write-ahead log back into the database file a few times a second, on a
/// task of its own. Left to SQLite, the commit that takes the log past 1,000 pages copies all of
/// it while its writer holds the write lock through the copy and its file syncs: under steady
/// writes every writer behind it waited (the lead intake's p99 went from about 22 to 28 ms).
/// Here a "passive" checkpoint (it waits for no one) does the copying beside the writers. The log
/// starts over only when a writer begins after a checkpoint has copied all of it, which never
/// happens while writers keep appending; so once the log holds `LOG_PAGES`, one more checkpoint
/// runs in this process's writers' turn, with only the last few pages left to copy. SQLite's own
/// checkpoint at commit stays as the backstop (at `BACKSTOP_PAGES`), for writers of another
/// process on the same file. Stops with the last handle to the store.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    const EVERY: Duration = Duration::from_millis(250);
    /// Pages of log (4 KiB each) past which the log is made to start over.
    const LOG_PAGES: i64 = 2_000;
    /// Pages of log at which a commit copies it back itself.
    const BACKSTOP_PAGES: &str = "20000";

    fn start(db: DatabaseConnection, writers: Arc<tokio::sync::Mutex<()>>) -> Self {
        Self(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Self::EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match Self::checkpoint(&db).await {
                    Ok(log) if log > Self::LOG_PAGES => {
                        let _turn = writers.lock().await;
                        if let Err(e) = Self::checkpoint(&db).await {
                            tracing::warn!(error = %e, "checkpoint of the write-ahead log failed");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "checkpoint of the write-ahead log failed"),
                }
            }
        }))
    }

    /// One passive checkpoint; the pages the log holds.
    async fn checkpoint(db: &DatabaseConnection) -> Result<i64, DbErr> {
        let row = db
            .query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, "PRAGMA wal_checkpoint(PASSIVE)"))
            .await?;
        Ok(match row {
            Some(row) => row.try_get_by_index::<i64>(1)?,
            None => 0,
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A write transaction (from [`Store::write`]), used like the transaction it holds.
///
/// On SQLite, the writers of one process first queue for their turn in the process and only then
/// take the database's write lock: SQLite's own busy handler makes a waiting writer sleep in
/// steps of up to 100 ms, so under many concurrent writes most of the time went to sleeping
/// while the lock was free. Writers of other processes on the same file still wait through the
/// busy timeout.
pub(crate) struct Write {
    txn: DatabaseTransaction,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Write {
    pub(crate) async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub(crate) async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for Write {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
            .min_connections(2)
            .connect_timeout(Duration::from_secs(10))
            // A connection that has just been used is alive: pinging it before every statement
            // would double the round trips; one idle for a while is checked first.
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .sqlx_logging(false)
            // Short statements only: compiling them to machine code costs far more than it saves
            // (and the index-only plans of lists carry costs that would trigger it).
            .map_sqlx_postgres_opts(|o| o.options([("jit", "off")]))
            // Per connection: WAL lets readers work while one writer writes, NORMAL sync is safe
            // with WAL, a writer waits its turn instead of failing at once, and pages are read
            // through memory mapping instead of one system call each.
            .map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("mmap_size", "268435456")
                    // The log is copied back by the checkpointer (below), beside the writers.
                    .pragma("wal_autocheckpoint", Checkpointer::BACKSTOP_PAGES)
            });
        let db = Database::connect(options).await?;
        let writers = (db.get_database_backend() == DatabaseBackend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        let checkpointer = writers.as_ref().map(|gate| Arc::new(Checkpointer::start(db.clone(), gate.clone())));
        let intake = Arc::new(intake::Intake::new(writers.is_some()));
        Ok(Self {
            db,
            writers,
            _checkpointer: checkpointer,
            snapshots: Default::default(),
            intake,
        })
    }

    /// Brings the schema up to date, then fills what the domain's rules derive (the search
    /// index of contacts written before it existed).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        use crm_migration::MigratorTrait;
        crm_migration::Migrator::up(&self.db, None).await?;
        let indexed = self.backfill_search_index().await?;
        if indexed > 0 {
            tracing::info!(contacts = indexed, "search index built for existing contacts");
        }
        let demands = self.backfill_demand_words().await?;
        if demands > 0 {
            tracing::info!(demands, "area words indexed for existing demands");
        }
        Ok(())
    }

    /// Refreshes the query planner's statistics (and, on SQLite, folds the write-ahead log back
    /// into the database): run after bulk imports and at start-up.
    pub async fn optimize(&self) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let statements: &[&str] = match backend {
            DatabaseBackend::Sqlite => &["PRAGMA optimize=0x10002", "PRAGMA wal_checkpoint(TRUNCATE)"],
            // Vacuuming keeps the visibility map current, so index-only scans stay index-only
            // where autovacuum is off.
            _ => &["VACUUM (ANALYZE)"],
        };
        for sql in statements {
            self.db.execute_raw(Statement::from_string(backend, *sql)).await?;
        }
        Ok(())
    }

    /// Refreshes PostgreSQL's statistics of one table. Plans follow them, and they are
    /// refreshed at start-up and by the `statistics` job (autovacuum may be off): a bulk write
    /// that grows a table many times over within one request calls this as it goes, so that its
    /// own later statements are planned for what the table holds by then (with the statistics
    /// of a near-empty table, PostgreSQL may read a whole list's rows for each key it looks up).
    /// SQLite's planner needs no such refresh.
    pub(crate) async fn analyze(&self, table: &'static str) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        if backend == DatabaseBackend::Postgres {
            self.db
                .execute_raw(Statement::from_string(backend, format!("ANALYZE {table}")))
                .await?;
        }
        Ok(())
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a transaction that first reads and then writes could otherwise fail
    /// when another writer committed in between, instead of waiting its turn.
    pub(crate) async fn write(&self) -> Result<Write, DbErr> {
        let turn = match &self.writers {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(Write { txn, _turn: turn })
    }

    /// Recomputes the per-owner contact counts behind list totals from the contacts themselves
    /// (they are kept in step with every change; this repairs any drift).
    pub async fn recount_contacts(&self) -> Result<(), StoreError> {
        contacts::recount_all(self).await
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }
}

/// The exclusive upper bound of the strings starting with `prefix` (byte-wise order), so that a
/// prefix search is an index range scan: `prefix <= s < upper`.
pub(crate) fn prefix_upper(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Only reachable for a prefix of char::MAX characters: everything is above it.
    String::from(char::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefix_upper_bounds() {
        assert_eq!(super::prefix_upper("abc"), "abd");
        assert_eq!(super::prefix_upper("601"), "602");
        assert_eq!(super::prefix_upper("9"), ":");
    }
}
