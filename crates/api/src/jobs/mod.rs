//! Background work that runs inside every `crm serve` instance. Each job claims its work in the
//! database first, so several instances on one PostgreSQL never do the same thing twice.

pub mod mail;
