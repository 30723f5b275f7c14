//! Contacts: the four kinds, their mandatory fields, and the values they are made of.

mod contact;
mod email;
mod lookup;
mod phone;

pub use contact::*;
pub use email::*;
pub use lookup::*;
pub use phone::*;
