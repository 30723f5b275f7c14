//! Entity for `timeline_entries` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contact_id: Uuid,
    pub kind: String,
    pub body: String,
    pub property_id: Option<Uuid>,
    pub demand_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    #[sea_orm(column_type = "Json", nullable)]
    pub params: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
