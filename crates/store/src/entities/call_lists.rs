//! Entity for `call_lists` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "call_lists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub instructions: String,
    pub user_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub filter: Option<Json>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub filled_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
