//! Entity for `inbox_items` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub workflow: String,
    pub source_id: Option<Uuid>,
    pub sender_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub contact_created: bool,
    pub property_id: Option<Uuid>,
    pub linked_property_id: Option<Uuid>,
    pub status: String,
    pub assignee_user_id: Option<Uuid>,
    pub assignee_office_id: Option<Uuid>,
    pub assignee_group_id: Option<Uuid>,
    #[sea_orm(column_type = "Json", nullable)]
    pub routing: Option<Json>,
    #[sea_orm(column_type = "Text", nullable)]
    pub message: Option<String>,
    #[sea_orm(column_type = "Json", nullable)]
    pub fields: Option<Json>,
    pub spam: bool,
    pub flagged: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub assigned_at: DateTimeUtc,
    pub redistribute_at: Option<DateTimeUtc>,
    pub redistributed_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
