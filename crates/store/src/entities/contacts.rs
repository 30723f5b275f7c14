//! Entity for `contacts` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub agency_name: Option<String>,
    pub display_name: String,
    pub sort_name: String,
    #[sea_orm(column_type = "Json")]
    pub phones: Json,
    #[sea_orm(column_type = "Json")]
    pub emails: Json,
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub opted_out: bool,
    pub owner_id: Uuid,
    pub office_id: Uuid,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub side: i16,
    pub class: i16,
    pub search_words: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
