//! The CRM's business rules as plain types and functions.
//!
//! Nothing here knows about HTTP, SQL or the browser: the store and the API translate to and from
//! these types, so every rule lives in exactly one place and is tested beside its definition.

pub mod calendar;
pub mod calls;
pub mod contacts;
pub mod focus;
pub mod holidays;
pub mod i18n;
pub mod ical;
pub mod ids;
pub mod import;
pub mod leads;
pub mod limits;
pub mod org;
pub mod permissions;
pub mod properties;
pub mod routing;
pub mod text;

pub use ids::*;
