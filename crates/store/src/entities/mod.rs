//! sea-orm entities, one per table, in the shape sea-orm-cli generates. Hand-written code
//! lives outside this folder; repositories never hand these models out.

pub mod api_keys;
pub mod bids;
pub mod calendar_feeds;
pub mod companies;
pub mod contact_counts;
pub mod contact_tokens;
pub mod contacts;
pub mod demands;
pub mod focus_areas;
pub mod group_members;
pub mod groups;
pub mod idempotency_keys;
pub mod import_files;
pub mod imports;
pub mod inbox_items;
pub mod job_runs;
pub mod lead_sources;
pub mod logins;
pub mod meetings;
pub mod notice_prefs;
pub mod notifications;
pub mod office_routing;
pub mod offices;
pub mod outbox;
pub mod properties;
pub mod property_parties;
pub mod refresh_tokens;
pub mod tasks;
pub mod timeline_entries;
pub mod users;
pub mod viewing_participants;
pub mod viewings;
