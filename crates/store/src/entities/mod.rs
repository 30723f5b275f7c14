//! sea-orm entities, one per table, in the shape sea-orm-cli generates. Hand-written code
//! lives outside this folder; repositories never hand these models out.

pub mod companies;
pub mod logins;
pub mod offices;
pub mod users;
pub mod groups;
pub mod group_members;
pub mod contacts;
pub mod contact_tokens;
pub mod properties;
pub mod property_parties;
pub mod demands;
pub mod timeline_entries;
pub mod tasks;
pub mod outbox;
pub mod api_keys;
pub mod refresh_tokens;
