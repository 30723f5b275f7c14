//! Automatic redistribution per office: who receives what was not accepted in time, and the
//! limits in hours for tips, leads of the first and of the second workflow (none: off).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_redistribution"
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
                    .table(Alias::new("office_routing"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("office_id").uuid().not_null())
                    .col(col("redistributor_user_id").uuid().null())
                    .col(col("redistributor_group_id").uuid().null())
                    .col(col("tips_hours").integer().null())
                    .col(col("accept_leads_hours").integer().null())
                    .col(col("contact_leads_hours").integer().null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("office_id")))
                    .to_owned(),
            )
            .await?;
        // The job's scan for items due (across companies, like the outbox's).
        let mut i = Index::create();
        i.name("inbox_items_due")
            .table(Alias::new("inbox_items"))
            .if_not_exists()
            .col(Alias::new("redistribute_at"));
        manager.create_index(i.to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("inbox_items_due").table(Alias::new("inbox_items")).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new("office_routing")).if_exists().to_owned())
            .await?;
        Ok(())
    }
}
