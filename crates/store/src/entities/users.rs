//! Entity for `users` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub office_id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub work_with_clients: bool,
    pub offer_scope: String,
    pub demand_scope: String,
    pub can_export: bool,
    pub is_admin: bool,
    pub active: bool,
    pub notify_email: bool,
    pub locale: String,
    pub created_at: DateTimeUtc,
    pub tokens_valid_after: Option<DateTimeUtc>,
    pub time_zone: Option<String>,
    pub booking_confirmation: Option<String>,
    pub phone: Option<String>,
    pub extension: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
