//! Listings ("objects"), their parties, and buyers' demands.

use serde::{Deserialize, Serialize};

/// A listing's life cycle, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyStatus {
    CustomerProcessing,
    Assignment,
    ComingSoon,
    ForSale,
    Sold,
}

impl PropertyStatus {
    pub const ALL: [PropertyStatus; 5] = [
        Self::CustomerProcessing,
        Self::Assignment,
        Self::ComingSoon,
        Self::ForSale,
        Self::Sold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerProcessing => "customer_processing",
            Self::Assignment => "assignment",
            Self::ComingSoon => "coming_soon",
            Self::ForSale => "for_sale",
            Self::Sold => "sold",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// A listing moves forward one or more steps; it may also step back (a sale falls through,
    /// an assignment is paused), but never out of "sold" except back to "for sale" when a
    /// contract is annulled.
    pub fn can_move_to(self, next: Self) -> bool {
        match self {
            Self::Sold => next == Self::ForSale || next == Self::Sold,
            _ => true,
        }
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a listing cannot move from {from} to {to}")]
pub struct StatusChangeError {
    pub from: &'static str,
    pub to: &'static str,
}

/// Words of one demand's area indexed at most.
pub const MAX_AREA_WORDS: usize = 50;

/// The distinct words of a demand's area, folded (lower case, no diacritics), in their order:
/// what segments match an area against ("söder" begins "södermalm").
pub fn area_words(area: &str) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    crate::text::words(area)
        .into_iter()
        .filter(|w| seen.insert(w.clone()))
        .take(MAX_AREA_WORDS)
        .collect()
}

/// Checks a status change.
pub fn change_status(from: PropertyStatus, to: PropertyStatus) -> Result<PropertyStatus, StatusChangeError> {
    if from.can_move_to(to) {
        Ok(to)
    } else {
        Err(StatusChangeError {
            from: from.as_str(),
            to: to.as_str(),
        })
    }
}

/// How a contact takes part in a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    Seller,
    Buyer,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seller => "seller",
            Self::Buyer => "buyer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Seller, Self::Buyer].into_iter().find(|r| r.as_str() == value)
    }
}

/// The kinds of property brokers list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    Apartment,
    House,
    Cottage,
    Plot,
    Commercial,
}

impl PropertyKind {
    pub const ALL: [PropertyKind; 5] = [Self::Apartment, Self::House, Self::Cottage, Self::Plot, Self::Commercial];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apartment => "apartment",
            Self::House => "house",
            Self::Cottage => "cottage",
            Self::Plot => "plot",
            Self::Commercial => "commercial",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Whether a contact is on the offer side, the demand side, or both, given its roles; this is
/// what the visibility policy reads.
pub fn sides(roles: &[PartyRole], has_demand: bool) -> (bool, bool) {
    let on_offer = roles.contains(&PartyRole::Seller);
    let on_demand = has_demand || roles.contains(&PartyRole::Buyer);
    (on_offer, on_demand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sold_only_reopens_for_sale() {
        assert!(change_status(PropertyStatus::Sold, PropertyStatus::ForSale).is_ok());
        assert!(change_status(PropertyStatus::Sold, PropertyStatus::Assignment).is_err());
        assert!(change_status(PropertyStatus::Assignment, PropertyStatus::Sold).is_ok());
    }

    #[test]
    fn sides_follow_roles() {
        assert_eq!(sides(&[PartyRole::Seller], false), (true, false));
        assert_eq!(sides(&[PartyRole::Buyer], false), (false, true));
        assert_eq!(sides(&[], true), (false, true));
        assert_eq!(sides(&[], false), (false, false));
    }
}
