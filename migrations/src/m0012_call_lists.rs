//! Call lists: a name, instructions (a call script or a short summary), worked by one user or a
//! group, with the contacts on it (each taken by one caller at a time, and whether the call
//! reached them), optionally filled every night from a saved filter; calls name the list they
//! were made from.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_call_lists"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn table(name: &str, columns: Vec<ColumnDef>, pk: &[&str]) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).if_not_exists().col(col("company_id").uuid().not_null());
    for mut c in columns {
        t.col(&mut c);
    }
    let mut key = Index::create();
    key.col(Alias::new("company_id"));
    for k in pk {
        key.col(Alias::new(*k));
    }
    t.primary_key(&mut key);
    t.to_owned()
}

fn index(table: &str, name: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists().col(Alias::new("company_id"));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "call_lists",
                vec![
                    col("id").uuid().not_null().to_owned(),
                    col("name").string().not_null().to_owned(),
                    col("instructions").text().not_null().to_owned(),
                    col("user_id").uuid().null().to_owned(),
                    col("group_id").uuid().null().to_owned(),
                    // The saved filter the list is filled from every night (none: by hand only).
                    col("filter").json().null().to_owned(),
                    col("created_by").uuid().not_null().to_owned(),
                    col("created_at").timestamp_with_time_zone().not_null().to_owned(),
                    col("archived_at").timestamp_with_time_zone().null().to_owned(),
                ],
                &["id"],
            ),
            table(
                "call_list_entries",
                vec![
                    col("list_id").uuid().not_null().to_owned(),
                    col("contact_id").uuid().not_null().to_owned(),
                    col("added_at").timestamp_with_time_zone().not_null().to_owned(),
                    col("taken_by").uuid().null().to_owned(),
                    col("taken_at").timestamp_with_time_zone().null().to_owned(),
                    col("attempts").integer().not_null().default(0).to_owned(),
                    col("done_at").timestamp_with_time_zone().null().to_owned(),
                    col("reached").boolean().null().to_owned(),
                ],
                &["list_id", "contact_id"],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("calls"))
                    .add_column(col("list_id").uuid().null().to_owned())
                    .to_owned(),
            )
            .await?;
        for i in [
            index("call_list_entries", "call_list_entries_open", &["list_id", "done_at", "added_at"]),
            index("calls", "calls_list", &["list_id", "at"]),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("calls_list").table(Alias::new("calls")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("calls"))
                    .drop_column(Alias::new("list_id"))
                    .to_owned(),
            )
            .await?;
        for t in ["call_list_entries", "call_lists"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
