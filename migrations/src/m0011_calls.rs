//! The call-outcome pipeline: each called contact's card (stage, reason, calls made, the
//! unanswered and rude counts, the day of the last call), every call made or received, the tags
//! a company puts on contacts, co-brokerage deals with another agency's realtor (a commission
//! split waiting for the head of sales), the company's words for stages, reasons and tags, and the
//! extension a telephone system knows each user by.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_calls"
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

fn uuid(name: &str) -> ColumnDef {
    col(name).uuid().not_null().to_owned()
}

fn uuid_null(name: &str) -> ColumnDef {
    col(name).uuid().null().to_owned()
}

fn text(name: &str) -> ColumnDef {
    col(name).string().not_null().to_owned()
}

fn text_null(name: &str) -> ColumnDef {
    col(name).text().null().to_owned()
}

fn int(name: &str) -> ColumnDef {
    col(name).integer().not_null().default(0).to_owned()
}

fn time(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}

fn time_null(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

const TABLES: [&str; 5] = ["call_cards", "calls", "contact_tags", "co_deals", "call_settings"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "call_cards",
                vec![
                    uuid("contact_id"),
                    text("stage"),
                    text_null("reason"),
                    int("calls"),
                    int("unanswered"),
                    int("rude"),
                    col("last_call_on").date().null().to_owned(),
                    col("until").date().null().to_owned(),
                    time("updated_at"),
                    uuid_null("updated_by"),
                ],
                &["contact_id"],
            ),
            table(
                "calls",
                vec![
                    uuid("id"),
                    uuid_null("contact_id"),
                    uuid("user_id"),
                    text("direction"),
                    col("answered").boolean().not_null().to_owned(),
                    text_null("outcome"),
                    text_null("stage"),
                    text_null("comment"),
                    text_null("phone"),
                    time("at"),
                ],
                &["id"],
            ),
            table(
                "contact_tags",
                vec![uuid("contact_id"), text("tag"), time("added_at")],
                &["contact_id", "tag"],
            ),
            table(
                "co_deals",
                vec![
                    uuid("id"),
                    uuid("contact_id"),
                    col("partner_percent").small_integer().not_null().to_owned(),
                    text("status"),
                    text_null("note"),
                    uuid("proposed_by"),
                    time("proposed_at"),
                    uuid_null("decided_by"),
                    time_null("decided_at"),
                ],
                &["id"],
            ),
            table(
                "call_settings",
                vec![col("settings").json().not_null().to_owned(), time("updated_at")],
                &[],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(col("extension").string().null().to_owned())
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index("call_cards", "call_cards_stage", &["stage", "contact_id"]),
            index("calls", "calls_user", &["user_id", "at"]),
            index("calls", "calls_contact", &["contact_id", "at"]),
            index("calls", "calls_at", &["direction", "at"]),
            index("contact_tags", "contact_tags_tag", &["tag", "contact_id"]),
            index("co_deals", "co_deals_status", &["status", "proposed_at"]),
            index("co_deals", "co_deals_contact", &["contact_id"]),
            // A telephone system names the called user by extension: one user per extension.
            index("users", "users_extension", &["extension"]).unique().to_owned(),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("users_extension").table(Alias::new("users")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .drop_column(Alias::new("extension"))
                    .to_owned(),
            )
            .await?;
        for t in TABLES {
            manager.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
