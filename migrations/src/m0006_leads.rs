//! Lead sources and the inbox: leads posted by websites and partners, and (later) tips between
//! colleagues, in one table of items a user or an office's shark tank works through; the
//! answers of idempotent posts, so a repeated post replays its first answer.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_leads"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("lead_sources"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("id").uuid().not_null())
                    .col(col("name").string().not_null())
                    .col(col("workflow").string().not_null())
                    .col(col("key_secret").string().not_null())
                    .col(col("allowed_origins").json().not_null())
                    .col(col("thank_you_url").string().null())
                    .col(col("archived_at").timestamp_with_time_zone().null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("id")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("inbox_items"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("id").uuid().not_null())
                    .col(col("kind").string().not_null())
                    .col(col("workflow").string().not_null())
                    .col(col("source_id").uuid().null())
                    .col(col("sender_id").uuid().null())
                    .col(col("contact_id").uuid().null())
                    .col(col("contact_created").boolean().not_null().default(false))
                    .col(col("property_id").uuid().null())
                    .col(col("linked_property_id").uuid().null())
                    .col(col("status").string().not_null())
                    .col(col("assignee_user_id").uuid().null())
                    .col(col("assignee_office_id").uuid().null())
                    .col(col("routing").json().null())
                    .col(col("message").text().null())
                    .col(col("fields").json().null())
                    .col(col("spam").boolean().not_null().default(false))
                    .col(col("flagged").string().null())
                    .col(col("decline_reason").text().null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("assigned_at").timestamp_with_time_zone().not_null())
                    .col(col("redistribute_at").timestamp_with_time_zone().null())
                    .col(col("redistributed_at").timestamp_with_time_zone().null())
                    .col(col("decided_at").timestamp_with_time_zone().null())
                    .col(col("decided_by").uuid().null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("id")))
                    .to_owned(),
            )
            .await?;
        // A user's inbox, an office's shark tank, a contact's leads.
        for (name, cols) in [
            ("inbox_items_user", &["company_id", "assignee_user_id", "status", "id"][..]),
            ("inbox_items_office", &["company_id", "assignee_office_id", "status", "id"][..]),
            ("inbox_items_contact", &["company_id", "contact_id", "id"][..]),
        ] {
            manager.create_index(index(name, "inbox_items", cols)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("idempotency_keys"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("scope").uuid().not_null())
                    .col(col("key").string().not_null())
                    .col(col("request_hash").string().not_null())
                    .col(col("status").integer().not_null())
                    .col(col("response").json().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .primary_key(
                        Index::create()
                            .col(Alias::new("company_id"))
                            .col(Alias::new("scope"))
                            .col(Alias::new("key")),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["idempotency_keys", "inbox_items", "lead_sources"] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
