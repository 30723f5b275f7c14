//! Lists that stay fast at millions of contacts, whatever the planner's statistics say.
//!
//! - `contacts.side` (0 none, 1 offer, 2 demand, 3 both) replaces the two flags, and
//!   `contacts.class` folds kind and side into the number visibility is decided by (see
//!   `crm_domain::permissions::class_of`). Lists walk one index per visibility branch in sort
//!   order: company-wide, by owner, by class, by office, each for every offered sort (name,
//!   last change, creation = id, as ids are time-ordered).
//! - `contacts.search_words`: every word a contact is found by, for filtering a walk by text.
//! - `contact_tokens` is rebuilt keyed by (company, kind, token, contact); name-word tokens carry
//!   the contact's sort name, owner, office, class and search words, so a text search reads one
//!   contiguous index range and decides visibility and order without touching `contacts`.
//!   The tokens are filled by the store after migrating (`Store::migrate`), as they are derived
//!   by the domain's rules.
//! - `contact_counts`: how many contacts each owner has per class, so list totals are exact
//!   and cheap for every viewer.
//! - Keyset indexes for the timeline, listings and tasks.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_lists_at_scale"
    }
}

fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists().col(Alias::new("company_id"));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

/// The sort keys every contact list index family is built for.
const SORTS: [(&str, &[&str]); 3] = [("name", &["sort_name", "id"]), ("updated", &["updated_at", "id"]), ("id", &["id"])];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        let add = |table: &str, column: ColumnDef| {
            let mut column = column;
            Table::alter().table(Alias::new(table)).add_column(&mut column).to_owned()
        };

        // contacts: side, class, search words.
        manager
            .alter_table(add(
                "contacts",
                ColumnDef::new(Alias::new("side")).small_integer().not_null().default(0).to_owned(),
            ))
            .await?;
        manager
            .alter_table(add(
                "contacts",
                ColumnDef::new(Alias::new("class")).small_integer().not_null().default(0).to_owned(),
            ))
            .await?;
        let mut words = ColumnDef::new(Alias::new("search_words"));
        words.string().null();
        if backend == DatabaseBackend::Postgres {
            words.extra("COLLATE \"C\"");
        }
        manager.alter_table(add("contacts", words)).await?;
        let truth = |c: &str| match backend {
            DatabaseBackend::Postgres => c.to_owned(),
            _ => format!("{c} <> 0"),
        };
        db.execute_unprepared(&format!(
            "UPDATE contacts SET side = (CASE WHEN {} THEN 1 ELSE 0 END) + (CASE WHEN {} THEN 2 ELSE 0 END)",
            truth("on_offer"),
            truth("on_demand")
        ))
        .await?;
        db.execute_unprepared(
            "UPDATE contacts SET class = CASE kind WHEN 'agency' THEN 0 WHEN 'verified' THEN 1 + side \
             WHEN 'standard' THEN 5 + side ELSE 9 + side END",
        )
        .await?;
        for old in ["contacts_sort_name", "contacts_owner", "contacts_office", "contacts_created"] {
            manager
                .drop_index(Index::drop().name(old).table(Alias::new("contacts")).if_exists().to_owned())
                .await?;
        }
        for column in ["on_offer", "on_demand"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("contacts"))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        for (sort, cols) in SORTS {
            if sort != "id" {
                manager.create_index(index("contacts", &format!("contacts_{sort}"), cols)).await?;
            }
            for (family, lead) in [("owner", "owner_id"), ("class", "class"), ("office", "office_id")] {
                let mut all = vec![lead];
                all.extend_from_slice(cols);
                manager
                    .create_index(index("contacts", &format!("contacts_{family}_{sort}"), &all))
                    .await?;
            }
        }

        // contact_tokens, rebuilt.
        manager
            .drop_table(Table::drop().table(Alias::new("contact_tokens")).if_exists().to_owned())
            .await?;
        let tokens = match backend {
            DatabaseBackend::Postgres => {
                "CREATE TABLE contact_tokens (
                    company_id uuid NOT NULL,
                    kind smallint NOT NULL,
                    token text COLLATE \"C\" NOT NULL,
                    contact_id uuid NOT NULL,
                    sort_name text COLLATE \"C\",
                    owner_id uuid,
                    office_id uuid,
                    class smallint,
                    search_words text COLLATE \"C\",
                    PRIMARY KEY (company_id, kind, token, contact_id) INCLUDE (sort_name, owner_id, office_id, class, search_words)
                )"
            }
            _ => {
                "CREATE TABLE contact_tokens (
                    company_id blob NOT NULL,
                    kind integer NOT NULL,
                    token text NOT NULL,
                    contact_id blob NOT NULL,
                    sort_name text,
                    owner_id blob,
                    office_id blob,
                    class integer,
                    search_words text,
                    PRIMARY KEY (company_id, kind, token, contact_id)
                ) WITHOUT ROWID"
            }
        };
        db.execute_unprepared(tokens).await?;
        manager
            .create_index(index("contact_tokens", "contact_tokens_contact", &["contact_id", "kind", "token"]))
            .await?;

        // contact_counts, filled from the contacts.
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("contact_counts"))
                    .if_not_exists()
                    .col(ColumnDef::new(Alias::new("company_id")).uuid().not_null())
                    .col(ColumnDef::new(Alias::new("owner_id")).uuid().not_null())
                    .col(ColumnDef::new(Alias::new("office_id")).uuid().not_null())
                    .col(ColumnDef::new(Alias::new("class")).small_integer().not_null())
                    .col(ColumnDef::new(Alias::new("n")).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(Alias::new("company_id"))
                            .col(Alias::new("owner_id"))
                            .col(Alias::new("office_id"))
                            .col(Alias::new("class")),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "INSERT INTO contact_counts (company_id, owner_id, office_id, class, n) \
             SELECT company_id, owner_id, office_id, class, COUNT(*) FROM contacts GROUP BY company_id, owner_id, office_id, class",
        )
        .await?;

        // The timeline: stored events with parameters, read newest first by keyset.
        manager
            .alter_table(add(
                "timeline_entries",
                ColumnDef::new(Alias::new("params")).json().null().to_owned(),
            ))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("timeline_contact")
                    .table(Alias::new("timeline_entries"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("timeline_entries", "timeline_contact", &["contact_id", "created_at", "id"]))
            .await?;

        // Listings: newest first, optionally by status or broker.
        manager
            .drop_index(
                Index::drop()
                    .name("properties_status")
                    .table(Alias::new("properties"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("properties", "properties_status", &["status", "id"]))
            .await?;
        manager
            .create_index(index("properties", "properties_broker", &["broker_id", "id"]))
            .await?;

        // Tasks: open ones by due time, done ones by completion; every task has a due time.
        db.execute_unprepared("UPDATE tasks SET due_at = created_at WHERE due_at IS NULL")
            .await?;
        manager
            .alter_table(add(
                "tasks",
                ColumnDef::new(Alias::new("done")).boolean().not_null().default(false).to_owned(),
            ))
            .await?;
        db.execute_unprepared(&format!(
            "UPDATE tasks SET done = {} WHERE done_at IS NOT NULL",
            if backend == DatabaseBackend::Postgres { "true" } else { "1" }
        ))
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("tasks_assignee")
                    .table(Alias::new("tasks"))
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("tasks", "tasks_open", &["assignee_id", "done", "due_at", "id"]))
            .await?;
        manager
            .create_index(index("tasks", "tasks_done", &["assignee_id", "done", "done_at", "id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0003 rebuilds the search index and cannot be undone; restore a backup instead".to_owned(),
        ))
    }
}
