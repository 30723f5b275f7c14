//! Entity for `demands` (generated shape; do not add logic here).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "demands")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contact_id: Uuid,
    pub broker_id: Uuid,
    pub office_id: Uuid,
    pub kind: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub min_rooms: Option<f64>,
    pub area: Option<String>,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    /// The area's folded words, space-separated (as `demand_words` holds them).
    pub words: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
