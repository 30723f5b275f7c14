//! Focus areas: the polygons (GeoJSON, checked when saved) an office or a user covers, with
//! their bounding boxes; a user's area may carry the distributor flag. Routing reads a company's
//! areas whole and indexes them in memory.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_focus_areas"
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
                    .table(Alias::new("focus_areas"))
                    .if_not_exists()
                    .col(col("company_id").uuid().not_null())
                    .col(col("id").uuid().not_null())
                    .col(col("office_id").uuid().null())
                    .col(col("user_id").uuid().null())
                    .col(col("name").string().not_null())
                    .col(col("distributor").boolean().not_null().default(false))
                    .col(col("shape").json().not_null())
                    .col(col("min_lon").double().not_null())
                    .col(col("min_lat").double().not_null())
                    .col(col("max_lon").double().not_null())
                    .col(col("max_lat").double().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .primary_key(Index::create().col(Alias::new("company_id")).col(Alias::new("id")))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("focus_areas")).if_exists().to_owned())
            .await?;
        Ok(())
    }
}
