//! Segmentation: saved contact filters (private, or shared with the owner's office) and
//! newsletter lists with their members; indexes the segment conditions are driven by (viewings
//! by time, bids by time, meetings booked by time); the day a nightly call list was filled.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_segments"
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
                "saved_filters",
                vec![
                    col("id").uuid().not_null().to_owned(),
                    col("name").string().not_null().to_owned(),
                    col("user_id").uuid().not_null().to_owned(),
                    // Shared with this office (the creator's when shared); none: private.
                    col("office_id").uuid().null().to_owned(),
                    col("filter").json().not_null().to_owned(),
                    col("created_at").timestamp_with_time_zone().not_null().to_owned(),
                    col("updated_at").timestamp_with_time_zone().not_null().to_owned(),
                ],
                &["id"],
            ),
            table(
                "newsletter_lists",
                vec![
                    col("id").uuid().not_null().to_owned(),
                    col("name").string().not_null().to_owned(),
                    col("created_by").uuid().not_null().to_owned(),
                    col("created_at").timestamp_with_time_zone().not_null().to_owned(),
                    col("archived_at").timestamp_with_time_zone().null().to_owned(),
                ],
                &["id"],
            ),
            table(
                "newsletter_members",
                vec![
                    col("list_id").uuid().not_null().to_owned(),
                    col("contact_id").uuid().not_null().to_owned(),
                    col("added_by").uuid().not_null().to_owned(),
                    col("added_at").timestamp_with_time_zone().not_null().to_owned(),
                ],
                &["list_id", "contact_id"],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        // The company's calendar day a nightly list was last filled on: filled once a night,
        // after midnight where the company is, by whichever instance claims the day first.
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("call_lists"))
                    .add_column(col("filled_on").date().null().to_owned())
                    .to_owned(),
            )
            .await?;
        for i in [
            index("saved_filters", "saved_filters_user", &["user_id"]),
            index("saved_filters", "saved_filters_office", &["office_id"]),
            index("newsletter_members", "newsletter_members_contact", &["contact_id"]),
            index("viewings", "viewings_starts", &["starts_at", "id"]),
            index("bids", "bids_placed", &["placed_at", "contact_id"]),
            index("meetings", "meetings_contact_created", &["contact_id", "created_at"]),
        ] {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [
            ("viewings", "viewings_starts"),
            ("bids", "bids_placed"),
            ("meetings", "meetings_contact_created"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("call_lists"))
                    .drop_column(Alias::new("filled_on"))
                    .to_owned(),
            )
            .await?;
        for t in ["newsletter_members", "newsletter_lists", "saved_filters"] {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
