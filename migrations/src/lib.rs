//! The database schema, as migrations that run on SQLite and PostgreSQL alike.
//!
//! Built to be sharded by company later (Citus): every tenant-owned table carries `company_id`,
//! its primary key starts with `company_id`, and every index a query uses starts with it too, so
//! each query stays on one shard. `companies` and `logins` (the global e-mail → company directory
//! used to sign in) are the only tables that are not per tenant.

pub use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_jobs_and_sessions;
mod m0003_lists_at_scale;
mod m0004_imports;
mod m0005_focus_areas;
mod m0006_leads;
mod m0007_tips;
mod m0008_redistribution;
mod m0009_listing_references;
mod m0010_calendar;
mod m0011_calls;
mod m0012_call_lists;
mod m0013_segments;
pub mod m0014_segment_history;
pub mod m0015_viewed_contacts;
pub mod m0016_calendar_cover;
pub mod m0017_word_order;
pub mod m0018_long_names;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_jobs_and_sessions::Migration),
            Box::new(m0003_lists_at_scale::Migration),
            Box::new(m0004_imports::Migration),
            Box::new(m0005_focus_areas::Migration),
            Box::new(m0006_leads::Migration),
            Box::new(m0007_tips::Migration),
            Box::new(m0008_redistribution::Migration),
            Box::new(m0009_listing_references::Migration),
            Box::new(m0010_calendar::Migration),
            Box::new(m0011_calls::Migration),
            Box::new(m0012_call_lists::Migration),
            Box::new(m0013_segments::Migration),
            Box::new(m0014_segment_history::Migration),
            Box::new(m0015_viewed_contacts::Migration),
            Box::new(m0016_calendar_cover::Migration),
            Box::new(m0017_word_order::Migration),
            Box::new(m0018_long_names::Migration),
        ]
    }
}
