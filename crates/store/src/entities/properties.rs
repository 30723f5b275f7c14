//! Entity for `properties` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "properties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub street: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub country: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub price: Option<i64>,
    pub currency: String,
    pub living_area: Option<f64>,
    pub rooms: Option<f64>,
    pub bedrooms: Option<i32>,
    pub parking_spaces: Option<i32>,
    pub neighbourhood: Option<String>,
    pub condominium: Option<String>,
    pub advertised: bool,
    pub broker_id: Uuid,
    pub contract_date: Option<Date>,
    pub access_date: Option<Date>,
    pub office_id: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
