//! Entity for `office_routing` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "office_routing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub office_id: Uuid,
    pub redistributor_user_id: Option<Uuid>,
    pub redistributor_group_id: Option<Uuid>,
    pub tips_hours: Option<i32>,
    pub accept_leads_hours: Option<i32>,
    pub contact_leads_hours: Option<i32>,
    pub updated_at: DateTimeUtc,
    pub auto_tip_days: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
