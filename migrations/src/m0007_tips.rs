//! Tips between colleagues live in the inbox with leads; a tip may go to a group, whose members
//! see it like an office's shark tank and one of them claims it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_tips"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("inbox_items"))
                    .add_column(ColumnDef::new(Alias::new("assignee_group_id")).uuid().null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("inbox_items_group", &["company_id", "assignee_group_id", "status", "id"][..]),
            ("inbox_items_sender", &["company_id", "sender_id", "id"][..]),
        ] {
            let mut i = Index::create();
            i.name(name).table(Alias::new("inbox_items")).if_not_exists();
            for c in cols {
                i.col(Alias::new(*c));
            }
            manager.create_index(i.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["inbox_items_group", "inbox_items_sender"] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new("inbox_items")).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("inbox_items"))
                    .drop_column(Alias::new("assignee_group_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
