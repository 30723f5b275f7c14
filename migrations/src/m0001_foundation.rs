//! Organisation, people, contacts, listings, demands, timeline, tasks, outbox, credentials.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
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
    col(name).string().null().to_owned()
}

fn flag(name: &str) -> ColumnDef {
    col(name).boolean().not_null().default(false).to_owned()
}

fn time(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().not_null().to_owned()
}

fn time_null(name: &str) -> ColumnDef {
    col(name).timestamp_with_time_zone().null().to_owned()
}

fn float_null(name: &str) -> ColumnDef {
    col(name).double().null().to_owned()
}

/// A text column compared byte-wise, so that prefix searches are index range scans on both
/// databases (PostgreSQL's default collation would not allow that).
fn sortable_text(name: &str, backend: DatabaseBackend) -> ColumnDef {
    let mut c = text(name);
    if backend == DatabaseBackend::Postgres {
        c.extra("COLLATE \"C\"");
    }
    c
}

/// A tenant-owned table: `company_id` first, then the given columns, primary key `pk`.
fn tenant_table(name: &str, columns: Vec<ColumnDef>, pk: &[&str]) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).if_not_exists().col(uuid("company_id"));
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
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Alias::new("companies"))
                    .if_not_exists()
                    .col(uuid("id").primary_key())
                    .col(text("name"))
                    .col(text("country"))
                    .col(text("locale"))
                    .col(text("currency"))
                    .col(time("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("logins"))
                    .if_not_exists()
                    .col(text("email").primary_key())
                    .col(uuid("company_id"))
                    .col(uuid("user_id"))
                    .to_owned(),
            )
            .await?;

        let tables = [
            tenant_table("offices", vec![uuid("id"), text("name"), time("created_at")], &["id"]),
            tenant_table(
                "users",
                vec![
                    uuid("id"),
                    uuid("office_id"),
                    text("email"),
                    text("name"),
                    text("password_hash"),
                    text("role"),
                    flag("work_with_clients"),
                    text("offer_scope"),
                    text("demand_scope"),
                    flag("can_export"),
                    flag("is_admin"),
                    flag("active"),
                    flag("notify_email"),
                    text("locale"),
                    time("created_at"),
                ],
                &["id"],
            ),
            tenant_table("groups", vec![uuid("id"), text("name"), time("created_at")], &["id"]),
            tenant_table("group_members", vec![uuid("group_id"), uuid("user_id")], &["group_id", "user_id"]),
            tenant_table(
                "contacts",
                vec![
                    uuid("id"),
                    text("kind"),
                    text_null("first_name"),
                    text_null("last_name"),
                    text_null("agency_name"),
                    text("display_name"),
                    sortable_text("sort_name", backend),
                    col("phones").json().not_null().to_owned(),
                    col("emails").json().not_null().to_owned(),
                    text_null("street"),
                    text_null("city"),
                    text_null("postal_code"),
                    text_null("country"),
                    float_null("lat"),
                    float_null("lon"),
                    flag("opted_out"),
                    uuid("owner_id"),
                    uuid("office_id"),
                    flag("on_offer"),
                    flag("on_demand"),
                    uuid_null("created_by"),
                    time("created_at"),
                    time("updated_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "contact_tokens",
                vec![
                    sortable_text("token", backend),
                    uuid("contact_id"),
                    col("kind").small_integer().not_null().to_owned(),
                ],
                &["token", "contact_id", "kind"],
            ),
            tenant_table(
                "properties",
                vec![
                    uuid("id"),
                    text("kind"),
                    text("status"),
                    text("street"),
                    text("city"),
                    text_null("postal_code"),
                    text("country"),
                    float_null("lat"),
                    float_null("lon"),
                    col("price").big_integer().null().to_owned(),
                    text("currency"),
                    float_null("living_area"),
                    float_null("rooms"),
                    col("bedrooms").integer().null().to_owned(),
                    col("parking_spaces").integer().null().to_owned(),
                    text_null("neighbourhood"),
                    text_null("condominium"),
                    flag("advertised"),
                    uuid("broker_id"),
                    uuid("office_id"),
                    time("created_at"),
                    time("updated_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "property_parties",
                vec![uuid("property_id"), uuid("contact_id"), text("role"), time("created_at")],
                &["property_id", "contact_id", "role"],
            ),
            tenant_table(
                "demands",
                vec![
                    uuid("id"),
                    uuid("contact_id"),
                    uuid("broker_id"),
                    uuid("office_id"),
                    text_null("kind"),
                    col("min_price").big_integer().null().to_owned(),
                    col("max_price").big_integer().null().to_owned(),
                    float_null("min_rooms"),
                    text_null("area"),
                    text_null("note"),
                    flag("active"),
                    time("created_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "timeline_entries",
                vec![
                    uuid("id"),
                    uuid("contact_id"),
                    text("kind"),
                    text("body"),
                    uuid_null("property_id"),
                    uuid_null("demand_id"),
                    uuid_null("author_id"),
                    time("created_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "tasks",
                vec![
                    uuid("id"),
                    uuid("assignee_id"),
                    text("kind"),
                    text("title"),
                    text_null("body"),
                    uuid_null("contact_id"),
                    time_null("due_at"),
                    time_null("done_at"),
                    time("created_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "outbox",
                vec![
                    uuid("id"),
                    text("channel"),
                    text("recipient"),
                    text("subject"),
                    text("body"),
                    text("status"),
                    col("attempts").integer().not_null().default(0).to_owned(),
                    time("next_attempt_at"),
                    text_null("last_error"),
                    time("created_at"),
                    time_null("sent_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "api_keys",
                vec![
                    uuid("id"),
                    text("name"),
                    uuid("user_id"),
                    text("prefix"),
                    text("key_hash"),
                    uuid("created_by"),
                    time("created_at"),
                    time_null("revoked_at"),
                ],
                &["id"],
            ),
            tenant_table(
                "refresh_tokens",
                vec![
                    uuid("id"),
                    uuid("user_id"),
                    uuid("family_id"),
                    text("token_hash"),
                    time("expires_at"),
                    time_null("used_at"),
                    time_null("revoked_at"),
                    time("created_at"),
                ],
                &["id"],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }

        let indexes = [
            index("users", "users_email", &["email"]).unique().to_owned(),
            index("users", "users_office", &["office_id"]),
            index("group_members", "group_members_user", &["user_id"]),
            index("contacts", "contacts_sort_name", &["sort_name", "id"]),
            index("contacts", "contacts_owner", &["owner_id"]),
            index("contacts", "contacts_office", &["office_id"]),
            index("contacts", "contacts_created", &["created_at"]),
            index("contact_tokens", "contact_tokens_contact", &["contact_id", "kind", "token"]),
            index("properties", "properties_status", &["status"]),
            index("property_parties", "property_parties_contact", &["contact_id"]),
            index("demands", "demands_contact", &["contact_id"]),
            index("timeline_entries", "timeline_contact", &["contact_id", "created_at"]),
            index("tasks", "tasks_assignee", &["assignee_id", "done_at"]),
            index("outbox", "outbox_due", &["status", "next_attempt_at"]),
            index("refresh_tokens", "refresh_tokens_family", &["family_id"]),
        ];
        for i in indexes {
            manager.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "refresh_tokens",
            "api_keys",
            "outbox",
            "tasks",
            "timeline_entries",
            "demands",
            "property_parties",
            "properties",
            "contact_tokens",
            "contacts",
            "group_members",
            "groups",
            "users",
            "offices",
            "logins",
            "companies",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
