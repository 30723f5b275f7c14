//! One module per screen.

pub mod admin;
pub mod areas;
pub mod bookings;
pub mod calendar;
pub mod call_lists;
pub mod calls;
pub mod contact;
pub mod contact_form;
pub mod contacts;
pub mod import;
pub mod inbox;
pub mod listings;
pub mod login;
pub mod lookup;
pub mod segments;
pub mod settings;
pub mod tasks;
