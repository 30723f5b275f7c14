//! Entity for `tasks` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assignee_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: Option<String>,
    pub contact_id: Option<Uuid>,
    pub due_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub done: bool,
    pub property_id: Option<Uuid>,
    pub tank_office_id: Option<Uuid>,
    pub timed: bool,
    pub origin: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
