//! Contact imports: a file uploaded by a user, checked (a dry run reporting each row's problems
//! and its duplicates among existing contacts) and imported by the job runner in chunks, each
//! chunk committed with its progress so an import resumes where it stopped. The file itself is
//! kept apart, so reading an import's state never reads the file.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_imports"
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
                    .table(Alias::new("imports"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("id").uuid().not_null())
                    .col(col("created_by").uuid().not_null())
                    .col(col("file_name").string().not_null())
                    .col(col("headers").json().not_null())
                    .col(col("sample").json().not_null())
                    .col(col("rows").big_integer().not_null())
                    .col(col("mapping").json().null())
                    .col(col("default_kind").string().null())
                    .col(col("owner_id").uuid().null())
                    .col(col("skip_duplicates").boolean().not_null().default(true))
                    .col(col("status").string().not_null())
                    .col(col("processed").big_integer().not_null().default(0))
                    .col(col("valid").big_integer().not_null().default(0))
                    .col(col("invalid").big_integer().not_null().default(0))
                    .col(col("duplicates").big_integer().not_null().default(0))
                    .col(col("created").big_integer().not_null().default(0))
                    .col(col("problems").json().not_null())
                    .col(col("error").string().null())
                    .col(col("attempts").integer().not_null().default(0))
                    .col(col("lease_until").timestamp_with_time_zone().null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .col(col("finished_at").timestamp_with_time_zone().null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("id")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("import_files"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("import_id").uuid().not_null())
                    .col(col("content").binary().not_null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("import_id")))
                    .to_owned(),
            )
            .await?;
        // The job runner's scan for work (across companies, like the outbox's).
        manager
            .create_index(
                Index::create()
                    .name("imports_due")
                    .table(Alias::new("imports"))
                    .if_not_exists()
                    .col(Alias::new("status"))
                    .col(Alias::new("lease_until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("imports_recent")
                    .table(Alias::new("imports"))
                    .if_not_exists()
                    .col(Alias::new("company_id"))
                    .col(Alias::new("created_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["import_files", "imports"] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
