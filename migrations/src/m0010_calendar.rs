//! The calendar: viewings of listings with their participants, bids, customer meetings, and
//! callbacks (tasks with an optional time of day and listing; a callback may wait in an office's
//! shark tank until a member takes it). Listings get their contract and access dates, users and
//! companies a time zone, users the confirmation choice of their last booking, and each user a
//! private calendar feed, in-app notifications and the channels they choose per kind of notice
//! (and a mobile number for notices by SMS). Messages to a contact name the contact (their unsubscribe link), and
//! offices set the delay of automatic tips after viewings.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_calendar"
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

fn text(name: &str) -> ColumnDef {
    col(name).string().not_null().to_owned()
}

fn text_null(name: &str) -> ColumnDef {
    col(name).text().null().to_owned()
}

fn time(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}

fn time_null(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

const ADDED: [(&str, &str); 12] = [
    ("tasks", "property_id"),
    ("tasks", "tank_office_id"),
    ("tasks", "timed"),
    ("tasks", "origin"),
    ("properties", "contract_date"),
    ("properties", "access_date"),
    ("users", "time_zone"),
    ("users", "booking_confirmation"),
    ("companies", "time_zone"),
    ("outbox", "contact_id"),
    ("office_routing", "auto_tip_days"),
    ("users", "phone"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "viewings",
                vec![
                    uuid("id"),
                    uuid("property_id"),
                    uuid("broker_id"),
                    time("starts_at"),
                    time("ends_at"),
                    text_null("note"),
                    time_null("cancelled_at"),
                    uuid("created_by"),
                    time("created_at"),
                ],
                &["id"],
            ),
            table(
                "viewing_participants",
                vec![
                    uuid("viewing_id"),
                    uuid("contact_id"),
                    text("status"),
                    time("updated_at"),
                    time_null("auto_tip_at"),
                ],
                &["viewing_id", "contact_id"],
            ),
            table(
                "bids",
                vec![
                    uuid("id"),
                    uuid("property_id"),
                    uuid("contact_id"),
                    col("amount").big_integer().not_null().to_owned(),
                    time("placed_at"),
                    text("status"),
                    text_null("note"),
                    uuid("created_by"),
                    time("created_at"),
                ],
                &["id"],
            ),
            table(
                "meetings",
                vec![
                    uuid("id"),
                    uuid("contact_id"),
                    uuid("user_id"),
                    uuid("property_id"),
                    time("starts_at"),
                    time("ends_at"),
                    text_null("place"),
                    text_null("note"),
                    text("confirmation"),
                    text("status"),
                    text_null("outcome"),
                    text_null("cancelled_by"),
                    text_null("cancel_reason"),
                    uuid("created_by"),
                    time("created_at"),
                    time("updated_at"),
                ],
                &["id"],
            ),
            table(
                "notifications",
                vec![
                    uuid("id"),
                    uuid("user_id"),
                    text("kind"),
                    text("title"),
                    text_null("body"),
                    text_null("link"),
                    time("created_at"),
                    time_null("read_at"),
                ],
                &["id"],
            ),
            table(
                "notice_prefs",
                vec![
                    uuid("user_id"),
                    text("kind"),
                    col("in_app").boolean().not_null().to_owned(),
                    col("email").boolean().not_null().to_owned(),
                    col("sms").boolean().not_null().to_owned(),
                ],
                &["user_id", "kind"],
            ),
            table(
                "calendar_feeds",
                vec![uuid("user_id"), text("token_hash"), time("created_at")],
                &["user_id"],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let added = [
            col("property_id").uuid().null().to_owned(),
            col("tank_office_id").uuid().null().to_owned(),
            col("timed").boolean().not_null().default(false).to_owned(),
            col("origin").string().null().to_owned(),
            col("contract_date").date().null().to_owned(),
            col("access_date").date().null().to_owned(),
            col("time_zone").string().null().to_owned(),
            col("booking_confirmation").string().null().to_owned(),
            col("time_zone").string().null().to_owned(),
            col("contact_id").uuid().null().to_owned(),
            col("auto_tip_days").integer().null().to_owned(),
            col("phone").string().null().to_owned(),
        ];
        for ((table, _), mut c) in ADDED.into_iter().zip(added) {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).add_column(&mut c).to_owned())
                .await?;
        }
        let indexes = [
            index("viewings", "viewings_broker", &["broker_id", "starts_at"]),
            index("viewings", "viewings_property", &["property_id", "starts_at"]),
            index("viewing_participants", "viewing_participants_contact", &["contact_id"]),
            index("bids", "bids_property", &["property_id", "placed_at"]),
            index("bids", "bids_contact", &["contact_id"]),
            index("meetings", "meetings_user", &["user_id", "starts_at"]),
            index("meetings", "meetings_contact", &["contact_id", "starts_at"]),
            index("notifications", "notifications_user", &["user_id", "created_at", "id"]),
            index("tasks", "tasks_calendar", &["assignee_id", "timed", "due_at"]),
            index("tasks", "tasks_tank", &["tank_office_id", "done", "due_at", "id"]),
            // A task made by a rule (a follow-up of a meeting, a viewing, an access date) names
            // its origin, so the rule never makes it twice.
            index("tasks", "tasks_origin", &["origin"]).unique().to_owned(),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name) in [("tasks", "tasks_calendar"), ("tasks", "tasks_tank"), ("tasks", "tasks_origin")] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        for (table, column) in ADDED {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        for t in [
            "viewings",
            "viewing_participants",
            "bids",
            "meetings",
            "calendar_feeds",
            "notifications",
            "notice_prefs",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
