//! Tips and leads: what may happen to one, and in which order. A tip is handled like a lead
//! of the first workflow: accepted with an object linked, or declined.

use serde::{Deserialize, Serialize};

use crate::{GroupId, OfficeId, PropertyId, UserId};

/// The three ways a lead source's leads are worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workflow {
    /// 1: accept and link an object (done when accepted), or decline.
    AcceptOrDecline,
    /// 2: mark contacted (done), or not relevant.
    ContactOrDismiss,
    /// 3: information only, no task; shown on the contact.
    InformationOnly,
}

impl Workflow {
    pub const ALL: [Workflow; 3] = [Self::AcceptOrDecline, Self::ContactOrDismiss, Self::InformationOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptOrDecline => "accept_or_decline",
            Self::ContactOrDismiss => "contact_or_dismiss",
            Self::InformationOnly => "information_only",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == value)
    }
}

/// What an inbox item is: a tip from a colleague, or a lead worked by its source's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    Tip,
    Lead(Workflow),
}

/// Where a tip or lead stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its receiver.
    Open,
    /// Accepted with an object linked (tips, workflow 1).
    Accepted,
    /// Declined, with a reason (tips, workflow 1).
    Declined,
    /// The client was contacted (workflow 2).
    Contacted,
    /// Not relevant (workflow 2).
    NotRelevant,
    /// Information only (workflow 3): nothing to do.
    Information,
    /// Caught as spam: kept, never routed.
    Spam,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Self::Open,
        Self::Accepted,
        Self::Declined,
        Self::Contacted,
        Self::NotRelevant,
        Self::Information,
        Self::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Contacted => "contacted",
            Self::NotRelevant => "not_relevant",
            Self::Information => "information",
            Self::Spam => "spam",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether its receiver still has something to do.
    pub fn is_open(self) -> bool {
        self == Self::Open
    }
}

/// What a receiver does with an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Accept and link the object (already existing, or created in the same step).
    Accept {
        property: PropertyId,
    },
    Decline {
        reason: String,
    },
    MarkContacted,
    MarkNotRelevant,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accept { .. } => "accept",
            Self::Decline { .. } => "decline",
            Self::MarkContacted => "mark_contacted",
            Self::MarkNotRelevant => "mark_not_relevant",
        }
    }
}

/// A refused transition, with a stable code (answered 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The item is done (or was never open): nothing more can happen to it.
    #[error("this item is already {}", .0.as_str())]
    Closed(Status),
    /// The action does not belong to the item's workflow.
    #[error("{action} is not part of this item's workflow")]
    NotInWorkflow { action: &'static str },
    /// A decline needs a reason.
    #[error("a reason is needed to decline")]
    ReasonMissing,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Closed(_) => "item_closed",
            Self::NotInWorkflow { .. } => "not_in_workflow",
            Self::ReasonMissing => "reason_missing",
        }
    }
}

/// The status a new item starts in.
pub fn initial(flow: Flow, spam: bool) -> Status {
    match (flow, spam) {
        (_, true) => Status::Spam,
        (Flow::Lead(Workflow::InformationOnly), false) => Status::Information,
        _ => Status::Open,
    }
}

/// The status after `action`, or why it cannot happen.
pub fn apply(flow: Flow, status: Status, action: &Action) -> Result<Status, TransitionError> {
    if !status.is_open() {
        return Err(TransitionError::Closed(status));
    }
    let accepting = matches!(flow, Flow::Tip | Flow::Lead(Workflow::AcceptOrDecline));
    let contacting = flow == Flow::Lead(Workflow::ContactOrDismiss);
    match action {
        Action::Accept { .. } if accepting => Ok(Status::Accepted),
        Action::Decline { reason } if accepting => {
            if reason.trim().is_empty() {
                Err(TransitionError::ReasonMissing)
            } else {
                Ok(Status::Declined)
            }
        }
        Action::MarkContacted if contacting => Ok(Status::Contacted),
        Action::MarkNotRelevant if contacting => Ok(Status::NotRelevant),
        other => Err(TransitionError::NotInWorkflow { action: other.name() }),
    }
}

/// Who an item is with: a person, an office's shark tank (anyone in the office may claim it) or
/// a group (any member may claim it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Assignee {
    User(UserId),
    Office(OfficeId),
    Group(GroupId),
}

/// Whether a user (in `office`, member of `groups`) may claim an item: it is open and waits in
/// the user's office's shark tank or in one of the user's groups.
pub fn may_claim(status: Status, assignee: Assignee, office: OfficeId, groups: &[GroupId]) -> bool {
    status.is_open()
        && match assignee {
            Assignee::Office(o) => o == office,
            Assignee::Group(g) => groups.contains(&g),
            Assignee::User(_) => false,
        }
}

/// An office's automatic redistribution: the time limits in hours per kind of item (none: no
/// redistribution of that kind). An open item not taken care of within its limit goes to the
/// office's redistributor, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Redistribution {
    pub tips_hours: Option<u32>,
    pub accept_leads_hours: Option<u32>,
    pub contact_leads_hours: Option<u32>,
}

/// The longest limit an office may set: 90 days.
pub const MAX_REDISTRIBUTION_HOURS: u32 = 24 * 90;

/// Automatic tips after a viewing come at most this many days after it.
pub const MAX_AUTO_TIP_DAYS: u32 = 21;

impl Redistribution {
    /// The limit for one kind of item.
    pub fn limit(&self, flow: Flow) -> Option<chrono::Duration> {
        let hours = match flow {
            Flow::Tip => self.tips_hours,
            Flow::Lead(Workflow::AcceptOrDecline) => self.accept_leads_hours,
            Flow::Lead(Workflow::ContactOrDismiss) => self.contact_leads_hours,
            Flow::Lead(Workflow::InformationOnly) => None,
        };
        hours.map(|h| chrono::Duration::hours(i64::from(h)))
    }

    /// When an item of `flow`, in `status`, assigned at `assigned_at`, goes to the redistributor.
    pub fn due_at(&self, flow: Flow, status: Status, assigned_at: chrono::DateTime<chrono::Utc>) -> Option<chrono::DateTime<chrono::Utc>> {
        if !status.is_open() {
            return None;
        }
        self.limit(flow).map(|limit| assigned_at + limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flows() -> impl Strategy<Value = Flow> {
        prop_oneof![
            Just(Flow::Tip),
            Just(Flow::Lead(Workflow::AcceptOrDecline)),
            Just(Flow::Lead(Workflow::ContactOrDismiss)),
            Just(Flow::Lead(Workflow::InformationOnly)),
        ]
    }

    fn actions() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::Accept {
                property: PropertyId(uuid::Uuid::nil())
            }),
            "[ a-z]{0,3}".prop_map(|reason| Action::Decline { reason }),
            Just(Action::MarkContacted),
            Just(Action::MarkNotRelevant),
        ]
    }

    /// The statuses each flow may end in.
    fn done(flow: Flow) -> &'static [Status] {
        match flow {
            Flow::Tip | Flow::Lead(Workflow::AcceptOrDecline) => &[Status::Accepted, Status::Declined],
            Flow::Lead(Workflow::ContactOrDismiss) => &[Status::Contacted, Status::NotRelevant],
            Flow::Lead(Workflow::InformationOnly) => &[],
        }
    }

    #[test]
    fn each_workflow_has_its_own_actions() {
        let lead1 = Flow::Lead(Workflow::AcceptOrDecline);
        let accept = Action::Accept {
            property: PropertyId::new(),
        };
        assert_eq!(apply(lead1, Status::Open, &accept), Ok(Status::Accepted));
        assert_eq!(
            apply(Flow::Tip, Status::Open, &Action::Decline { reason: "sold".into() }),
            Ok(Status::Declined)
        );
        assert_eq!(
            apply(Flow::Tip, Status::Open, &Action::Decline { reason: " ".into() }),
            Err(TransitionError::ReasonMissing)
        );
        assert_eq!(
            apply(lead1, Status::Open, &Action::MarkContacted).unwrap_err().code(),
            "not_in_workflow"
        );
        let lead2 = Flow::Lead(Workflow::ContactOrDismiss);
        assert_eq!(apply(lead2, Status::Open, &Action::MarkContacted), Ok(Status::Contacted));
        assert_eq!(
            apply(lead2, Status::Contacted, &Action::MarkNotRelevant).unwrap_err().code(),
            "item_closed"
        );
        assert_eq!(initial(Flow::Lead(Workflow::InformationOnly), false), Status::Information);
        assert_eq!(initial(lead2, true), Status::Spam);
    }

    #[test]
    fn redistribution_is_due_after_the_limit_of_each_kind() {
        let r = Redistribution {
            tips_hours: Some(24),
            accept_leads_hours: None,
            contact_leads_hours: Some(0),
        };
        let t0 = chrono::Utc::now();
        assert_eq!(r.due_at(Flow::Tip, Status::Open, t0), Some(t0 + chrono::Duration::hours(24)));
        assert_eq!(r.due_at(Flow::Lead(Workflow::AcceptOrDecline), Status::Open, t0), None);
        assert_eq!(r.due_at(Flow::Lead(Workflow::ContactOrDismiss), Status::Open, t0), Some(t0));
        assert_eq!(r.due_at(Flow::Lead(Workflow::ContactOrDismiss), Status::Contacted, t0), None);
        assert_eq!(r.due_at(Flow::Lead(Workflow::InformationOnly), Status::Information, t0), None);
    }

    #[test]
    fn only_open_items_in_ones_own_office_or_group_are_claimed() {
        let (a, b) = (OfficeId::new(), OfficeId::new());
        let g = GroupId::new();
        assert!(may_claim(Status::Open, Assignee::Office(a), a, &[]));
        assert!(!may_claim(Status::Open, Assignee::Office(b), a, &[g]));
        assert!(!may_claim(Status::Open, Assignee::User(UserId::new()), a, &[g]));
        assert!(!may_claim(Status::Accepted, Assignee::Office(a), a, &[]));
        assert!(may_claim(Status::Open, Assignee::Group(g), b, &[g]));
        assert!(!may_claim(Status::Open, Assignee::Group(g), a, &[]));
    }

    proptest! {
        // Whatever is tried in whatever order: an item changes status at most once, only by an
        // action of its own workflow, only into one of its workflow's end states, and an end
        // state never changes again.
        #[test]
        fn no_path_skips_the_rules(flow in flows(), spam in any::<bool>(), tries in proptest::collection::vec(actions(), 0..12)) {
            let mut status = initial(flow, spam);
            let mut changes = 0;
            for action in &tries {
                match apply(flow, status, action) {
                    Ok(next) => {
                        prop_assert_eq!(status, Status::Open);
                        prop_assert!(done(flow).contains(&next), "{:?} reached {:?}", flow, next);
                        if let Action::Decline { reason } = action {
                            prop_assert!(!reason.trim().is_empty());
                        }
                        status = next;
                        changes += 1;
                    }
                    Err(TransitionError::Closed(s)) => prop_assert_eq!(s, status),
                    Err(_) => prop_assert!(status.is_open()),
                }
            }
            prop_assert!(changes <= 1);
            if spam || flow == Flow::Lead(Workflow::InformationOnly) {
                prop_assert_eq!(changes, 0);
            }
        }
    }
}
