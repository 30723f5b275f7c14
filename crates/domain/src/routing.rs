//! Where a new lead goes, and why: a lead about a listing to the listing's broker; any other by
//! the client's address to the office whose focus area holds it (to the office's distributor
//! covering that point if there is one, else to the office's shark tank); with no coordinate or no
//! area holding it, to the company's default office's shark tank.

use serde::{Deserialize, Serialize};

use crate::contacts::GeoPoint;
use crate::focus::{Coverage, Covered};
use crate::leads::Assignee;
use crate::{OfficeId, PropertyId, UserId};

/// An office's focus area, as a key of a [`Coverage`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficeArea {
    pub office: OfficeId,
    pub name: String,
}

/// A user's focus area, as a key of a [`Coverage`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserArea {
    pub user: UserId,
    pub office: OfficeId,
    pub name: String,
}

/// Why a lead went where it went; stored on the lead and shown to its readers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Reason {
    /// The lead is about a listing: to its broker.
    ListingBroker { property: PropertyId },
    /// The office's distributor whose focus area holds the address.
    Distributor { office: OfficeId, area: String },
    /// The office's focus area holds the address: to its shark tank.
    OfficeArea { office: OfficeId, area: String },
    /// No focus area holds the address: the default office's shark tank.
    NoArea,
    /// The address has no coordinate (none sent, geocoding off, failed or found nothing).
    NoCoordinate,
}

/// A routing decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub to: Assignee,
    pub reason: Reason,
}

/// Routes one lead. `listing` is the listing the lead is about and its broker, if it has one.
pub fn route(
    listing: Option<(PropertyId, UserId)>,
    point: Option<GeoPoint>,
    offices: &Coverage<OfficeArea>,
    users: &Coverage<UserArea>,
    default_office: OfficeId,
) -> Routing {
    if let Some((property, broker)) = listing {
        return Routing {
            to: Assignee::User(broker),
            reason: Reason::ListingBroker { property },
        };
    }
    let Some(point) = point else {
        return Routing {
            to: Assignee::Office(default_office),
            reason: Reason::NoCoordinate,
        };
    };
    let Some(office) = offices.covering(point).into_iter().next() else {
        return Routing {
            to: Assignee::Office(default_office),
            reason: Reason::NoArea,
        };
    };
    let office = &office.key;
    let distributor = users
        .covering(point)
        .into_iter()
        .find(|area| area.distributor && area.key.office == office.office);
    match distributor {
        Some(area) => Routing {
            to: Assignee::User(area.key.user),
            reason: Reason::Distributor {
                office: office.office,
                area: area.key.name.clone(),
            },
        },
        None => Routing {
            to: Assignee::Office(office.office),
            reason: Reason::OfficeArea {
                office: office.office,
                area: office.name.clone(),
            },
        },
    }
}

/// Who to suggest for an address (a tip's receiver, a meeting's participant): the areas of the
/// users who cover it, distributors first, each user once (by their most preferred area).
pub fn suggest(point: GeoPoint, users: &Coverage<UserArea>) -> Vec<&Covered<UserArea>> {
    let mut out: Vec<&Covered<UserArea>> = Vec::new();
    for area in users.covering(point) {
        if !out.iter().any(|a| a.key.user == area.key.user) {
            out.push(area);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::focus::Shape;

    fn square(x: f64, y: f64, side: f64) -> Shape {
        Shape::parse(&format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}"#,
            x + side,
            x + side,
            y + side,
            y + side
        ))
        .unwrap()
    }

    #[test]
    fn routes_by_listing_then_distributor_then_office_then_default() {
        let (soder, norr, default) = (OfficeId::new(), OfficeId::new(), OfficeId::new());
        let (anna, lars) = (UserId::new(), UserId::new());
        let offices = Coverage::new(vec![
            Covered {
                key: OfficeArea {
                    office: soder,
                    name: "Söder".into(),
                },
                distributor: false,
                shape: square(18.0, 59.0, 1.0),
            },
            Covered {
                key: OfficeArea {
                    office: norr,
                    name: "Norr".into(),
                },
                distributor: false,
                shape: square(18.0, 60.0, 1.0),
            },
        ]);
        let users = Coverage::new(vec![
            Covered {
                key: UserArea {
                    user: anna,
                    office: soder,
                    name: "Hornstull".into(),
                },
                distributor: true,
                shape: square(18.0, 59.0, 0.2),
            },
            // Lars covers the same corner but is no distributor.
            Covered {
                key: UserArea {
                    user: lars,
                    office: soder,
                    name: "Söder".into(),
                },
                distributor: false,
                shape: square(18.0, 59.0, 0.5),
            },
        ]);
        let at = |lon, lat| Some(GeoPoint { lat, lon });
        let property = PropertyId::new();
        assert_eq!(
            route(Some((property, lars)), at(18.1, 59.1), &offices, &users, default).to,
            Assignee::User(lars)
        );
        let r = route(None, at(18.1, 59.1), &offices, &users, default);
        assert_eq!(
            (r.to, r.reason),
            (
                Assignee::User(anna),
                Reason::Distributor {
                    office: soder,
                    area: "Hornstull".into()
                }
            )
        );
        let r = route(None, at(18.7, 59.7), &offices, &users, default);
        assert_eq!(
            (r.to, r.reason),
            (
                Assignee::Office(soder),
                Reason::OfficeArea {
                    office: soder,
                    area: "Söder".into()
                }
            )
        );
        assert_eq!(route(None, at(18.5, 60.5), &offices, &users, default).to, Assignee::Office(norr));
        assert_eq!(
            route(None, at(10.0, 10.0), &offices, &users, default),
            Routing {
                to: Assignee::Office(default),
                reason: Reason::NoArea
            }
        );
        assert_eq!(route(None, None, &offices, &users, default).reason, Reason::NoCoordinate);
        let suggested: Vec<UserId> = suggest(GeoPoint { lat: 59.1, lon: 18.1 }, &users)
            .iter()
            .map(|a| a.key.user)
            .collect();
        assert_eq!(suggested, vec![anna, lars]);
    }
}
