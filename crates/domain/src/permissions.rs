//! Who may see which contact: the one policy that every read path (get, list, search, count,
//! export, lookup) applies.
//!
//! The rules (domain.md, "Organisation, people, permissions"):
//! - without "work with clients" a user sees no contacts at all;
//! - agency contacts are visible to everyone who works with clients;
//! - a user always sees the contacts they own;
//! - a contact attached to an offer (seller of a listing) is visible per the user's offer scope,
//!   one attached to a demand (a buyer request, or buyer of a listing) per the demand scope; a
//!   contact on both sides is visible when either scope allows it;
//! - a contact on neither side yet (a fresh enquiry) is visible per the wider of the two scopes;
//! - scopes: own (nothing more), office (contacts whose owning office is the user's), company.
//!
//! [`Visibility`] is the policy in a declarative form: the store turns it into a SQL condition and
//! [`Visibility::admits`] evaluates the very same clauses in memory (used by the caller lookup).

use serde::{Deserialize, Serialize};

use crate::contacts::ContactKind;
use crate::org::Scope;
use crate::{CompanyId, OfficeId, UserId};

/// A user's rights, as set by an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    pub work_with_clients: bool,
    pub offer_scope: Scope,
    pub demand_scope: Scope,
    /// May export contact lists to a spreadsheet and add them to newsletter lists.
    pub export: bool,
    /// May manage offices, users, groups, permissions and API keys.
    pub admin: bool,
}

/// The user on whose behalf a request is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub company_id: CompanyId,
    pub user_id: UserId,
    pub office_id: OfficeId,
    pub permissions: Permissions,
}

/// The facts about a contact that visibility depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactFacts {
    pub company_id: CompanyId,
    pub kind: ContactKind,
    pub owner_id: UserId,
    /// The owner's office when the contact was assigned.
    pub office_id: OfficeId,
    /// Seller party of at least one listing.
    pub on_offer: bool,
    /// Has a demand, or is a buyer party of a listing.
    pub on_demand: bool,
}

/// Which side of the business a clause is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// `on_offer`.
    Offer,
    /// `on_demand`.
    Demand,
    /// Neither `on_offer` nor `on_demand`.
    Unattached,
}

/// One way a contact can be visible. A contact is visible when any clause admits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clause {
    /// Agency contacts.
    Agencies,
    /// Contacts owned by this user.
    OwnedBy(UserId),
    /// Contacts on this side, owned within this office (`Some`) or anywhere in the company (`None`).
    Side { side: Side, office: Option<OfficeId> },
}

/// The set of contacts a viewer may see, within one company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    pub company_id: CompanyId,
    /// Empty: nothing is visible.
    pub any_of: Vec<Clause>,
}

impl Visibility {
    /// The policy.
    pub fn for_viewer(viewer: &Viewer) -> Self {
        let p = viewer.permissions;
        let mut any_of = Vec::new();
        if p.work_with_clients {
            any_of.push(Clause::Agencies);
            any_of.push(Clause::OwnedBy(viewer.user_id));
            let wider = p.offer_scope.max(p.demand_scope);
            for (side, scope) in [
                (Side::Offer, p.offer_scope),
                (Side::Demand, p.demand_scope),
                (Side::Unattached, wider),
            ] {
                match scope {
                    Scope::Own => {}
                    Scope::Office => any_of.push(Clause::Side {
                        side,
                        office: Some(viewer.office_id),
                    }),
                    Scope::Company => any_of.push(Clause::Side { side, office: None }),
                }
            }
        }
        Self {
            company_id: viewer.company_id,
            any_of,
        }
    }

    /// Whether the policy admits this contact.
    pub fn admits(&self, c: &ContactFacts) -> bool {
        c.company_id == self.company_id
            && self.any_of.iter().any(|clause| match *clause {
                Clause::Agencies => c.kind == ContactKind::Agency,
                Clause::OwnedBy(user) => c.owner_id == user,
                Clause::Side { side, office } => {
                    let on_side = match side {
                        Side::Offer => c.on_offer,
                        Side::Demand => c.on_demand,
                        Side::Unattached => !c.on_offer && !c.on_demand,
                    };
                    on_side && office.is_none_or(|o| o == c.office_id)
                }
            })
    }
}

/// Whether the viewer may see the contact.
pub fn can_see(viewer: &Viewer, contact: &ContactFacts) -> bool {
    Visibility::for_viewer(viewer).admits(contact)
}

/// Whether the viewer may export contacts or add them to newsletter lists.
pub fn can_export(viewer: &Viewer) -> bool {
    viewer.permissions.work_with_clients && viewer.permissions.export
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rules written out plainly, case by case, to check the clause form against.
    fn reference(v: &Viewer, c: &ContactFacts) -> bool {
        if c.company_id != v.company_id || !v.permissions.work_with_clients {
            return false;
        }
        if c.kind == ContactKind::Agency || c.owner_id == v.user_id {
            return true;
        }
        let reaches = |scope: Scope| match scope {
            Scope::Own => false,
            Scope::Office => c.office_id == v.office_id,
            Scope::Company => true,
        };
        let p = v.permissions;
        if !c.on_offer && !c.on_demand {
            return reaches(p.offer_scope) || reaches(p.demand_scope);
        }
        (c.on_offer && reaches(p.offer_scope)) || (c.on_demand && reaches(p.demand_scope))
    }

    fn scope() -> impl Strategy<Value = Scope> {
        prop::sample::select(Scope::ALL.to_vec())
    }

    prop_compose! {
        fn world()(
            wwc in any::<bool>(), offer in scope(), demand in scope(), kind in prop::sample::select(ContactKind::ALL.to_vec()),
            same_company in any::<bool>(), same_office in any::<bool>(), own in any::<bool>(),
            on_offer in any::<bool>(), on_demand in any::<bool>(),
        ) -> (Viewer, ContactFacts) {
            let company = CompanyId::new();
            let office = OfficeId::new();
            let user = UserId::new();
            let viewer = Viewer {
                company_id: company, user_id: user, office_id: office,
                permissions: Permissions { work_with_clients: wwc, offer_scope: offer, demand_scope: demand, export: false, admin: false },
            };
            let contact = ContactFacts {
                company_id: if same_company { company } else { CompanyId::new() },
                kind,
                owner_id: if own { user } else { UserId::new() },
                office_id: if same_office { office } else { OfficeId::new() },
                on_offer, on_demand,
            };
            (viewer, contact)
        }
    }

    proptest! {
        #[test]
        fn clauses_agree_with_the_plain_rules((viewer, contact) in world()) {
            prop_assert_eq!(can_see(&viewer, &contact), reference(&viewer, &contact));
        }
    }

    #[test]
    fn no_work_with_clients_sees_nothing_not_even_agencies() {
        let v = Viewer {
            company_id: CompanyId::new(),
            user_id: UserId::new(),
            office_id: OfficeId::new(),
            permissions: Permissions {
                work_with_clients: false,
                offer_scope: Scope::Company,
                demand_scope: Scope::Company,
                export: true,
                admin: true,
            },
        };
        assert!(Visibility::for_viewer(&v).any_of.is_empty());
        assert!(!can_export(&v));
    }
}
