//! Entity for `calls` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contact_id: Option<Uuid>,
    pub user_id: Uuid,
    pub direction: String,
    pub answered: bool,
    pub outcome: Option<String>,
    pub stage: Option<String>,
    pub comment: Option<String>,
    pub phone: Option<String>,
    pub at: DateTimeUtc,
    pub list_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
