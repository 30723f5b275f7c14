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

/// A contact's visibility class: its kind and its sides folded into one small number, which is
/// what the store indexes lists by. Agencies are class 0 whatever their sides (they are visible
/// to everyone); a client of kind `k` (verified 0, standard 1, draft 2) on sides `s` (none 0,
/// offer 1, demand 2, both 3) is class `1 + 4k + s`.
pub fn class_of(kind: ContactKind, on_offer: bool, on_demand: bool) -> i16 {
    let k = match kind {
        ContactKind::Agency => return 0,
        ContactKind::Verified => 0,
        ContactKind::Standard => 1,
        ContactKind::Draft => 2,
    };
    1 + 4 * k + i16::from(on_offer) + 2 * i16::from(on_demand)
}

/// The number of classes.
pub const CLASSES: i16 = 13;

/// A set of visibility classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClassSet(u16);

impl ClassSet {
    pub const ALL: ClassSet = ClassSet((1 << CLASSES) - 1);
    pub const NONE: ClassSet = ClassSet(0);

    pub fn contains(self, class: i16) -> bool {
        (0..CLASSES).contains(&class) && self.0 & (1 << class) != 0
    }

    pub fn insert(&mut self, class: i16) {
        if (0..CLASSES).contains(&class) {
            self.0 |= 1 << class;
        }
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub fn minus(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = i16> {
        (0..CLASSES).filter(move |c| self.contains(*c))
    }

    /// The classes of contacts of one kind.
    pub fn of_kind(kind: ContactKind) -> Self {
        let mut set = Self::NONE;
        for (offer, demand) in [(false, false), (true, false), (false, true), (true, true)] {
            set.insert(class_of(kind, offer, demand));
        }
        set
    }

    /// The classes of clients (not agencies) on a side.
    fn of_side(side: Side) -> Self {
        let mut set = Self::NONE;
        for kind in [ContactKind::Verified, ContactKind::Standard, ContactKind::Draft] {
            for (offer, demand) in [(false, false), (true, false), (false, true), (true, true)] {
                let on = match side {
                    Side::Offer => offer,
                    Side::Demand => demand,
                    Side::Unattached => !offer && !demand,
                };
                if on {
                    set.insert(class_of(kind, offer, demand));
                }
            }
        }
        set
    }
}

/// The policy in the form lists are read in: the classes visible anywhere in the company, the
/// classes visible within given offices, and the owner whose contacts are all visible. A contact
/// is visible when its class is in `anywhere`, or its office is listed with its class, or it is
/// owned by `owner`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub anywhere: ClassSet,
    pub offices: Vec<(OfficeId, ClassSet)>,
    pub owner: Option<UserId>,
}

impl Reach {
    /// Whether a contact of `class` in `office` owned by `owner` is within reach.
    pub fn admits(&self, class: i16, office: OfficeId, owner: UserId) -> bool {
        self.anywhere.contains(class)
            || self.offices.iter().any(|(o, set)| *o == office && set.contains(class))
            || self.owner == Some(owner)
    }

    /// Whether nothing at all is visible.
    pub fn is_empty(&self) -> bool {
        self.anywhere.is_empty() && self.offices.is_empty() && self.owner.is_none()
    }
}

impl Visibility {
    /// The same policy as classes by place (see [`Reach`]).
    pub fn reach(&self) -> Reach {
        let mut reach = Reach {
            anywhere: ClassSet::NONE,
            offices: Vec::new(),
            owner: None,
        };
        for clause in &self.any_of {
            match *clause {
                Clause::Agencies => reach.anywhere.insert(0),
                Clause::OwnedBy(user) => reach.owner = Some(user),
                Clause::Side { side, office: None } => reach.anywhere = reach.anywhere.union(ClassSet::of_side(side)),
                Clause::Side { side, office: Some(o) } => match reach.offices.iter_mut().find(|(x, _)| *x == o) {
                    Some((_, set)) => *set = set.union(ClassSet::of_side(side)),
                    None => reach.offices.push((o, ClassSet::of_side(side))),
                },
            }
        }
        let anywhere = reach.anywhere;
        for (_, set) in &mut reach.offices {
            *set = set.minus(anywhere);
        }
        reach.offices.retain(|(_, set)| !set.is_empty());
        reach
    }
}

impl ContactFacts {
    pub fn class(&self) -> i16 {
        class_of(self.kind, self.on_offer, self.on_demand)
    }
}

/// Whether the viewer may see the contact.
pub fn can_see(viewer: &Viewer, contact: &ContactFacts) -> bool {
    Visibility::for_viewer(viewer).admits(contact)
}

/// Whether `scope` reaches records of `office` (not just one's own).
fn reaches(viewer: &Viewer, scope: Scope, office: OfficeId) -> bool {
    match scope {
        Scope::Own => false,
        Scope::Office => office == viewer.office_id,
        Scope::Company => true,
    }
}

/// Whether the viewer may read listings and demands: everyone who works with clients.
pub fn can_read_listings(viewer: &Viewer) -> bool {
    viewer.permissions.work_with_clients
}

/// Whether the viewer may change a listing (its details, status, broker and parties) brokered by
/// `broker` in `office`: its broker, others per the offer scope, administrators always.
pub fn can_edit_listing(viewer: &Viewer, broker: UserId, office: OfficeId) -> bool {
    let p = viewer.permissions;
    p.work_with_clients && (p.admin || broker == viewer.user_id || reaches(viewer, p.offer_scope, office))
}

/// Whether the viewer may change a demand handled by `broker` in `office`: its broker, others
/// per the demand scope, administrators always.
pub fn can_edit_demand(viewer: &Viewer, broker: UserId, office: OfficeId) -> bool {
    let p = viewer.permissions;
    p.work_with_clients && (p.admin || broker == viewer.user_id || reaches(viewer, p.demand_scope, office))
}

/// Whether the viewer may make `owner` (of `office`) the owner of a contact they create:
/// themselves always; a colleague when the wider of their scopes reaches the colleague's office;
/// anyone when an administrator.
pub fn can_assign_owner(viewer: &Viewer, owner: UserId, office: OfficeId) -> bool {
    let p = viewer.permissions;
    p.work_with_clients && (owner == viewer.user_id || p.admin || reaches(viewer, p.offer_scope.max(p.demand_scope), office))
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

        #[test]
        fn reach_agrees_with_the_clauses((viewer, contact) in world()) {
            let v = Visibility::for_viewer(&viewer);
            let by_reach = contact.company_id == viewer.company_id
                && v.reach().admits(contact.class(), contact.office_id, contact.owner_id);
            prop_assert_eq!(by_reach, v.admits(&contact));
        }
    }

    #[test]
    fn classes_are_distinct_and_dense() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in [ContactKind::Verified, ContactKind::Standard, ContactKind::Draft] {
            for (o, d) in [(false, false), (true, false), (false, true), (true, true)] {
                assert!(seen.insert(class_of(kind, o, d)));
            }
        }
        assert_eq!(class_of(ContactKind::Agency, true, true), 0);
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), (1..CLASSES).collect::<Vec<_>>());
        assert_eq!(ClassSet::ALL.iter().count(), CLASSES as usize);
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
