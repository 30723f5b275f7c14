//! Typed identifiers. Every id is a UUID (v7, so ids sort roughly by creation time), wrapped so
//! that a contact id can never be passed where a user id is expected.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                Self(value)
            }
        }
    )*};
}

id_type!(
    /// A tenant: one brokerage.
    CompanyId,
    /// An office of a company.
    OfficeId,
    /// A person who logs in (broker, manager, receptionist, administrator, …).
    UserId,
    /// A group of users that can receive work together.
    GroupId,
    /// A contact: client, agency or draft.
    ContactId,
    /// A listing (an "object").
    PropertyId,
    /// A buyer's request.
    DemandId,
    /// A note or history entry on a contact's timeline.
    TimelineEntryId,
    /// A CRM task of a user.
    TaskId,
    /// A viewing of a listing.
    ViewingId,
    /// A prospect's bid on a listing.
    BidId,
    /// A customer meeting (listing presentation).
    MeetingId,
);
