//! Entity for `imports` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub created_by: Uuid,
    pub file_name: String,
    #[sea_orm(column_type = "Json")]
    pub headers: Json,
    #[sea_orm(column_type = "Json")]
    pub sample: Json,
    pub rows: i64,
    #[sea_orm(column_type = "Json", nullable)]
    pub mapping: Option<Json>,
    pub default_kind: Option<String>,
    pub owner_id: Option<Uuid>,
    pub skip_duplicates: bool,
    pub status: String,
    pub processed: i64,
    pub valid: i64,
    pub invalid: i64,
    pub duplicates: i64,
    pub created: i64,
    #[sea_orm(column_type = "Json")]
    pub problems: Json,
    pub error: Option<String>,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
