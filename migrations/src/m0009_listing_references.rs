//! A listing's reference: the short number a website shows with the listing and sends with its
//! lead form ("Objektnummer"), unique within the company. New listings get the next number of
//! the company's counter unless one is given.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_listing_references"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("properties"))
                    .add_column(col("reference").text().null())
                    .to_owned(),
            )
            .await?;
        let mut i = Index::create();
        i.name("properties_reference")
            .table(Alias::new("properties"))
            .if_not_exists()
            .unique()
            .col(Alias::new("company_id"))
            .col(Alias::new("reference"));
        manager.create_index(i.to_owned()).await?;
        // Per-company sequences (listing references, and later other numbers), kept in a table
        // so they live with the company's rows when companies are spread over shards.
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("company_counters"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("name").text().not_null())
                    .col(col("value").big_integer().not_null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("name")))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("company_counters")).if_exists().to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("properties_reference")
                    .table(Alias::new("properties"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("properties"))
                    .drop_column(Alias::new("reference"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
