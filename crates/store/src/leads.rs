//! Lead sources and the inbox. A website's post is routed here and written by the intake (see
//! `intake`) in one transaction with the other leads waiting then: the answer of an idempotent
//! post, the contact (found by phone or email, or created), the routing decision and a history
//! entry; a user's actions on an item follow the domain's state machine,
//! and of many claims on a shark-tank item exactly one wins.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crm_domain::contacts::{ContactData, GeoPoint};
use crm_domain::leads::{
    Action, Assignee, Flow, MAX_AUTO_TIP_DAYS, MAX_REDISTRIBUTION_HOURS, Redistribution, Status, TransitionError, Workflow, apply, initial,
    may_claim,
};
use crm_domain::org::{Role, parse_name};
use crm_domain::permissions::{Viewer, can_edit_listing};
use crm_domain::properties::PartyRole;
use crm_domain::routing::{Routing, route};
use crm_domain::{CompanyId, ContactId, GroupId, OfficeId, PropertyId, UserId};
use rand::Rng;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::contacts::{TimelineEvent, add_timeline, move_owner_in, to_record};
use crate::entities::{contacts, inbox_items, lead_sources, office_routing, offices, properties};
use crate::intake::RoutedLead;
use crate::org::User;
use crate::properties::{PropertyData, add_party_in, insert_listing};
use crate::snapshot::OrgSnapshot;
use crate::{Store, StoreError};

/// Lead sources one company may have.
pub const MAX_SOURCES: usize = 500;
/// Origins a source may allow.
pub const MAX_ORIGINS: usize = 20;

/// A lead source as administrators see it.
#[derive(Debug, Clone)]
pub struct LeadSource {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub name: String,
    pub workflow: Workflow,
    /// What a website sends to identify the source (it is public: it sits in the page).
    pub key: String,
    pub allowed_origins: Vec<String>,
    pub thank_you_url: Option<String>,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The lead source a post names, with its company, as of the post.
#[derive(Debug, Clone)]
pub struct PostingSource {
    pub source: LeadSource,
    pub company: crate::org::Company,
    pub(crate) org: Arc<OrgSnapshot>,
}

/// A lead source to save.
#[derive(Debug, Clone)]
pub struct LeadSourceInput {
    pub name: String,
    pub workflow: Workflow,
    pub allowed_origins: Vec<String>,
    pub thank_you_url: Option<String>,
}

fn public_key(company: CompanyId, id: Uuid, secret: &str) -> String {
    format!("ls_{}_{}_{secret}", company.0.simple(), id.simple())
}

fn to_source(m: lead_sources::Model) -> LeadSource {
    let company = CompanyId(m.company_id);
    LeadSource {
        id: m.id,
        company_id: company,
        key: public_key(company, m.id, &m.key_secret),
        name: m.name,
        workflow: Workflow::parse(&m.workflow).unwrap_or(Workflow::AcceptOrDecline),
        allowed_origins: serde_json::from_value(m.allowed_origins).unwrap_or_default(),
        thank_you_url: m.thank_you_url,
        archived_at: m.archived_at,
        created_at: m.created_at,
    }
}

/// A lead as posted, checked by the API.
#[derive(Debug, Clone)]
pub struct IncomingLead {
    /// The person, as the form gave them (matched to an existing contact by phone or email);
    /// none for spam, which is kept as it came and files no contact.
    pub data: Option<ContactData>,
    pub message: Option<String>,
    /// Where the client lives, when known.
    pub point: Option<GeoPoint>,
    /// The listing the lead is about.
    pub listing: Option<ListingRef>,
    /// The honeypot was filled in.
    pub spam: bool,
    /// Every other field of the form, kept as sent.
    pub fields: Value,
    /// Why the address gave no coordinate, when it was looked up (`geocode_failed`, …).
    pub unlocated: Option<&'static str>,
}

/// How a lead names its listing: by id, or by the reference the website shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingRef {
    Id(PropertyId),
    Reference(String),
}

/// What became of a posted lead; also the answer replayed for a repeated idempotent post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub lead_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub new_contact: bool,
    pub status: Status,
}

/// A post with an `Idempotency-Key`: the key and a hash of the request.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// A tip or lead in someone's inbox or an office's shark tank.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub id: Uuid,
    pub flow: Flow,
    pub source_id: Option<Uuid>,
    pub sender_id: Option<UserId>,
    pub contact_id: Option<ContactId>,
    pub property_id: Option<PropertyId>,
    pub linked_property_id: Option<PropertyId>,
    pub status: Status,
    pub assignee: Option<Assignee>,
    pub routing: Option<Routing>,
    pub message: Option<String>,
    pub fields: Option<Value>,
    pub flagged: Option<String>,
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub assigned_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<UserId>,
    /// When it went to the office's redistributor for not being taken care of in time.
    pub redistributed_at: Option<DateTime<Utc>>,
}

fn to_item(m: inbox_items::Model) -> InboxItem {
    let workflow = Workflow::parse(&m.workflow).unwrap_or(Workflow::AcceptOrDecline);
    InboxItem {
        id: m.id,
        flow: if m.kind == "tip" { Flow::Tip } else { Flow::Lead(workflow) },
        source_id: m.source_id,
        sender_id: m.sender_id.map(UserId),
        contact_id: m.contact_id.map(ContactId),
        property_id: m.property_id.map(PropertyId),
        linked_property_id: m.linked_property_id.map(PropertyId),
        status: Status::parse(&m.status).unwrap_or(Status::Open),
        assignee: match (m.assignee_user_id, m.assignee_office_id, m.assignee_group_id) {
            (Some(u), _, _) => Some(Assignee::User(UserId(u))),
            (None, Some(o), _) => Some(Assignee::Office(OfficeId(o))),
            (None, None, Some(g)) => Some(Assignee::Group(GroupId(g))),
            (None, None, None) => None,
        },
        routing: m.routing.and_then(|r| serde_json::from_value(r).ok()),
        message: m.message,
        fields: m.fields,
        flagged: m.flagged,
        decline_reason: m.decline_reason,
        created_at: m.created_at,
        assigned_at: m.assigned_at,
        decided_at: m.decided_at,
        decided_by: m.decided_by.map(UserId),
        redistributed_at: m.redistributed_at,
    }
}

/// A new open (or spam, or information-only) item's row: the assignee's columns filled from
/// `to`, nothing decided yet. Callers set what is theirs (source, sender, routing, …).
pub(crate) fn new_item(
    company: CompanyId,
    id: Uuid,
    flow: Flow,
    status: Status,
    to: Assignee,
    contact: Option<ContactId>,
    at: DateTime<Utc>,
) -> inbox_items::ActiveModel {
    let (kind, workflow) = match flow {
        Flow::Tip => ("tip", Workflow::AcceptOrDecline),
        Flow::Lead(w) => ("lead", w),
    };
    let (user, office, group) = match to {
        Assignee::User(u) => (Some(u.0), None, None),
        Assignee::Office(o) => (None, Some(o.0), None),
        Assignee::Group(g) => (None, None, Some(g.0)),
    };
    inbox_items::ActiveModel {
        company_id: Set(company.0),
        id: Set(id),
        kind: Set(kind.into()),
        workflow: Set(workflow.as_str().into()),
        source_id: Set(None),
        sender_id: Set(None),
        contact_id: Set(contact.map(|c| c.0)),
        contact_created: Set(false),
        property_id: Set(None),
        linked_property_id: Set(None),
        status: Set(status.as_str().into()),
        assignee_user_id: Set(user),
        assignee_office_id: Set(office),
        assignee_group_id: Set(group),
        routing: Set(None),
        message: Set(None),
        fields: Set(None),
        spam: Set(false),
        flagged: Set(None),
        decline_reason: Set(None),
        created_at: Set(at),
        assigned_at: Set(at),
        redistribute_at: Set(None),
        redistributed_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
    }
}

/// An office's automatic redistribution: who receives what was not taken care of in time (a
/// user or a group; none: off) and the limits per kind of item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfficeRouting {
    pub redistributor: Option<Assignee>,
    pub limits: Redistribution,
    /// Days after a viewing before its participants are tipped automatically to the broker whose
    /// focus area holds their home; none: off.
    pub auto_tip_days: Option<u32>,
}

pub(crate) fn to_routing(m: office_routing::Model) -> OfficeRouting {
    OfficeRouting {
        redistributor: match (m.redistributor_user_id, m.redistributor_group_id) {
            (Some(u), _) => Some(Assignee::User(UserId(u))),
            (None, Some(g)) => Some(Assignee::Group(GroupId(g))),
            (None, None) => None,
        },
        limits: Redistribution {
            tips_hours: hours(m.tips_hours),
            accept_leads_hours: hours(m.accept_leads_hours),
            contact_leads_hours: hours(m.contact_leads_hours),
        },
        auto_tip_days: hours(m.auto_tip_days),
    }
}

fn hours(h: Option<i32>) -> Option<u32> {
    h.and_then(|h| u32::try_from(h).ok())
}

/// What a receiver does with an item.
#[derive(Debug, Clone)]
pub enum Act {
    /// Accept, linking an existing listing.
    Accept(PropertyId),
    /// Accept, linking a listing made in the same step (with the company's currency).
    AcceptNew(Box<PropertyData>, String),
    Decline(String),
    Contacted,
    NotRelevant,
}

/// Whom a tip goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipTarget {
    User(UserId),
    Group(GroupId),
    Office(OfficeId),
}

/// Which inbox to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// Items assigned to the reader.
    Mine,
    /// What waits in the reader's office's shark tank and the reader's groups.
    Tank,
    /// Tips the reader sent, to see what became of them.
    Sent,
}

fn check_origins(origins: &[String]) -> Result<(), StoreError> {
    if origins.len() > MAX_ORIGINS {
        return Err(StoreError::invalid(
            "allowed_origins",
            "too_many",
            format!("at most {MAX_ORIGINS} origins"),
        ));
    }
    for (i, o) in origins.iter().enumerate() {
        let ok = (o.starts_with("https://") || o.starts_with("http://"))
            && !o.ends_with('/')
            && o.len() <= 200
            && !o[o.find("//").map_or(0, |p| p + 2)..].contains('/');
        if !ok {
            return Err(StoreError::invalid(
                format!("allowed_origins[{i}]"),
                "invalid_origin",
                "an origin is a scheme and a host, such as https://www.example.se",
            ));
        }
    }
    Ok(())
}

fn check_url(url: &Option<String>) -> Result<(), StoreError> {
    if let Some(u) = url
        && (!(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 500)
    {
        return Err(StoreError::invalid(
            "thank_you_url",
            "invalid_url",
            "an http(s) address of at most 500 characters",
        ));
    }
    Ok(())
}

impl Store {
    pub async fn lead_sources(&self, company: CompanyId) -> Result<Vec<LeadSource>, StoreError> {
        Ok(lead_sources::Entity::find()
            .filter(lead_sources::Column::CompanyId.eq(company.0))
            .order_by_asc(lead_sources::Column::Name)
            .limit(MAX_SOURCES as u64)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_source)
            .collect())
    }

    pub async fn lead_source(&self, company: CompanyId, id: Uuid) -> Result<LeadSource, StoreError> {
        lead_sources::Entity::find_by_id((company.0, id))
            .one(&self.db)
            .await?
            .map(to_source)
            .ok_or(StoreError::NotFound("lead source"))
    }

    /// Creates (`id == None`) or changes a lead source. Its key is made once and never changes.
    pub async fn save_lead_source(&self, company: CompanyId, id: Option<Uuid>, input: LeadSourceInput) -> Result<LeadSource, StoreError> {
        let name = parse_name(&input.name).map_err(|e| StoreError::invalid("name", "invalid_name", e.to_string()))?;
        check_origins(&input.allowed_origins)?;
        check_url(&input.thank_you_url)?;
        let now = Utc::now();
        let origins = json!(input.allowed_origins);
        let txn = self.write().await?;
        let id = match id {
            Some(id) => {
                let res = lead_sources::Entity::update_many()
                    .col_expr(lead_sources::Column::Name, Expr::value(name))
                    .col_expr(lead_sources::Column::Workflow, Expr::value(input.workflow.as_str()))
                    .col_expr(lead_sources::Column::AllowedOrigins, Expr::value(origins))
                    .col_expr(lead_sources::Column::ThankYouUrl, Expr::value(input.thank_you_url))
                    .col_expr(lead_sources::Column::UpdatedAt, Expr::value(now))
                    .filter(lead_sources::Column::CompanyId.eq(company.0))
                    .filter(lead_sources::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                if res.rows_affected == 0 {
                    return Err(StoreError::NotFound("lead source"));
                }
                id
            }
            None => {
                let count = lead_sources::Entity::find()
                    .filter(lead_sources::Column::CompanyId.eq(company.0))
                    .count(&txn)
                    .await?;
                if count >= MAX_SOURCES as u64 {
                    return Err(StoreError::invalid(
                        "",
                        "too_many",
                        format!("a company has at most {MAX_SOURCES} lead sources"),
                    ));
                }
                let id = Uuid::now_v7();
                let secret: String = rand::thread_rng()
                    .sample_iter(&rand::distributions::Alphanumeric)
                    .take(24)
                    .map(char::from)
                    .collect();
                lead_sources::Entity::insert(lead_sources::ActiveModel {
                    company_id: Set(company.0),
                    id: Set(id),
                    name: Set(name),
                    workflow: Set(input.workflow.as_str().to_owned()),
                    key_secret: Set(secret),
                    allowed_origins: Set(origins),
                    thank_you_url: Set(input.thank_you_url),
                    archived_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(&txn)
                .await?;
                id
            }
        };
        crate::snapshot::org_changed(&txn, company).await?;
        txn.commit().await?;
        self.lead_source(company, id).await
    }

    /// Archives a source (its posts are refused) or makes it active again.
    pub async fn archive_lead_source(&self, company: CompanyId, id: Uuid, archived: bool) -> Result<LeadSource, StoreError> {
        let txn = self.write().await?;
        let res = lead_sources::Entity::update_many()
            .col_expr(lead_sources::Column::ArchivedAt, Expr::value(archived.then(Utc::now)))
            .col_expr(lead_sources::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(lead_sources::Column::CompanyId.eq(company.0))
            .filter(lead_sources::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::NotFound("lead source"));
        }
        crate::snapshot::org_changed(&txn, company).await?;
        txn.commit().await?;
        self.lead_source(company, id).await
    }

    /// The source a website's key names, archived or not, with its company as a lead needs it;
    /// `NotFound` for a key that names none. Read from the company's snapshot: one key lookup
    /// when nothing changed.
    pub async fn lead_source_by_key(&self, key: &str) -> Result<PostingSource, StoreError> {
        let mut parts = key.strip_prefix("ls_").unwrap_or_default().splitn(3, '_');
        let (Some(company), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(StoreError::NotFound("lead source"));
        };
        let (Ok(company), Ok(id)) = (Uuid::parse_str(company), Uuid::parse_str(id)) else {
            return Err(StoreError::NotFound("lead source"));
        };
        let org = match self.org_snapshot(CompanyId(company)).await {
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound("lead source")),
            other => other?,
        };
        let source = org.sources.get(&id).ok_or(StoreError::NotFound("lead source"))?;
        // Compared in constant time, though the key is no secret: it sits in the website's page.
        let stored = source.key.splitn(4, '_').nth(3).unwrap_or_default();
        let same = stored.len() == secret.len() && stored.bytes().zip(secret.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if !same {
            return Err(StoreError::NotFound("lead source"));
        }
        Ok(PostingSource {
            source: source.clone(),
            company: org.company.clone(),
            org,
        })
    }

    /// The office that takes what no focus area takes: the company's first office.
    pub(crate) async fn first_office(&self, company: CompanyId) -> Result<Option<OfficeId>, StoreError> {
        Ok(offices::Entity::find()
            .filter(offices::Column::CompanyId.eq(company.0))
            .order_by_asc(offices::Column::CreatedAt)
            .order_by_asc(offices::Column::Id)
            .one(&self.db)
            .await?
            .map(|o| OfficeId(o.id)))
    }

    /// Who holds a new contact that came with a lead for an office's shark tank until someone
    /// claims it: the office's administrator or manager, else its longest-serving colleague who
    /// works with clients, else the company's administrator.
    fn keeper(users: &[User], office: OfficeId) -> Result<User, StoreError> {
        let able = |u: &&User| u.active && u.permissions.work_with_clients;
        let rank = |u: &User| match u.role {
            Role::Administrator => 0,
            Role::OfficeManager => 1,
            _ => 2,
        };
        let mut here: Vec<&User> = users.iter().filter(able).filter(|u| u.office_id == office).collect();
        here.sort_by_key(|u| (rank(u), u.id));
        if let Some(u) = here.first() {
            return Ok((*u).clone());
        }
        users
            .iter()
            .filter(able)
            .find(|u| u.permissions.admin)
            .cloned()
            .ok_or(StoreError::NotFound("user"))
    }

    /// Stores a posted lead (see the module documentation). With an idempotency key already
    /// used for the same request, nothing is written and the first receipt is returned; with
    /// the key used for another request, a 422.
    #[tracing::instrument(level = "debug", skip_all, fields(source = %posting.source.id))]
    pub async fn receive_lead(
        &self,
        posting: &PostingSource,
        lead: IncomingLead,
        idem: Option<Idempotency>,
    ) -> Result<Receipt, StoreError> {
        let source = &posting.source;
        let company = source.company_id;
        // What routing needs, read with the source before the write transaction.
        let org = &posting.org;
        let default_office = org.default_office.ok_or(StoreError::NotFound("office"))?;
        let listing = match &lead.listing {
            Some(ListingRef::Id(p)) => properties::Entity::find_by_id((company.0, p.0)).one(&self.db).await?,
            Some(ListingRef::Reference(r)) => {
                properties::Entity::find()
                    .filter(properties::Column::CompanyId.eq(company.0))
                    .filter(properties::Column::Reference.eq(r.as_str()))
                    .one(&self.db)
                    .await?
            }
            None => None,
        };
        let flow = Flow::Lead(source.workflow);
        let status = initial(flow, lead.spam);
        let (routing, flagged) = if lead.spam {
            (None, None)
        } else {
            let coverage = &org.coverage;
            let routing = route(
                listing.as_ref().map(|l| (PropertyId(l.id), UserId(l.broker_id))),
                lead.point,
                &coverage.offices,
                &coverage.users,
                default_office,
            );
            let flagged = match (&lead.listing, &listing, lead.point) {
                (Some(_), None, _) => Some("unknown_listing".to_owned()),
                (_, None, None) => Some(lead.unlocated.unwrap_or("no_coordinate").to_owned()),
                _ => None,
            };
            (Some(routing), flagged)
        };
        let owner = match routing.as_ref().map(|r| r.to) {
            Some(Assignee::User(u)) => org.users.iter().find(|x| x.id == u).cloned().ok_or(StoreError::NotFound("user"))?,
            Some(Assignee::Office(o)) => Self::keeper(&org.users, o)?,
            Some(Assignee::Group(_)) | None => Self::keeper(&org.users, default_office)?,
        };
        let redistribute_at = routing.as_ref().and_then(|r| due_in(org, flow, status, r.to, Utc::now()));
        // Spam waits nowhere: it is kept with the default office, as it came.
        let to = match routing.as_ref().map(|r| r.to) {
            Some(Assignee::Group(_)) | None => Assignee::Office(default_office),
            Some(to) => to,
        };
        self.write_lead(RoutedLead {
            company,
            source_id: source.id,
            source_name: source.name.clone(),
            workflow: source.workflow,
            lead,
            idempotency: idem,
            listing: listing.map(|l| PropertyId(l.id)),
            flow,
            status,
            routing,
            flagged,
            owner,
            to,
            redistribute_at,
        })
        .await
    }

    /// The display names of contacts by id (for labels; visibility is the caller's matter).
    pub async fn contact_names(
        &self,
        company: CompanyId,
        ids: &[ContactId],
    ) -> Result<std::collections::HashMap<ContactId, String>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let ids: Vec<Uuid> = ids.iter().map(|c| c.0).collect();
        Ok(self
            .contacts_by_id(company, ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.data.display_name()))
            .collect())
    }

    /// A page of an inbox, newest first: the reader's own items, what waits in their office's
    /// shark tank or their groups (open items only there), or the tips they sent.
    pub async fn inbox(
        &self,
        viewer: &Viewer,
        which: Folder,
        status: Option<Status>,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<InboxItem>, StoreError> {
        let mut q = inbox_items::Entity::find().filter(inbox_items::Column::CompanyId.eq(viewer.company_id.0));
        q = match which {
            Folder::Mine => q.filter(inbox_items::Column::AssigneeUserId.eq(viewer.user_id.0)),
            Folder::Tank => q
                .filter(self.waiting_for(viewer).await?)
                .filter(inbox_items::Column::AssigneeUserId.is_null()),
            Folder::Sent => q.filter(inbox_items::Column::SenderId.eq(viewer.user_id.0)),
        };
        let status = match which {
            Folder::Tank => Some(Status::Open),
            Folder::Mine | Folder::Sent => status,
        };
        if let Some(s) = status {
            q = q.filter(inbox_items::Column::Status.eq(s.as_str()));
        }
        if let Some(b) = before {
            q = q.filter(inbox_items::Column::Id.lt(b));
        }
        Ok(q.order_by_desc(inbox_items::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(to_item)
            .collect())
    }

    /// The groups the viewer is a member of.
    async fn groups_of(&self, viewer: &Viewer) -> Result<Vec<GroupId>, StoreError> {
        Ok(self
            .groups(viewer.company_id)
            .await?
            .into_iter()
            .filter(|g| g.member_ids.contains(&viewer.user_id))
            .map(|g| g.id)
            .collect())
    }

    /// Items waiting for anyone in the viewer's office or one of the viewer's groups.
    async fn waiting_for(&self, viewer: &Viewer) -> Result<Condition, StoreError> {
        let groups: Vec<Uuid> = self.groups_of(viewer).await?.into_iter().map(|g| g.0).collect();
        let mut any = Condition::any().add(inbox_items::Column::AssigneeOfficeId.eq(viewer.office_id.0));
        if !groups.is_empty() {
            any = any.add(
                Condition::all()
                    .add(inbox_items::Column::AssigneeOfficeId.is_null())
                    .add(inbox_items::Column::AssigneeGroupId.is_in(groups)),
            );
        }
        Ok(any)
    }

    /// How many open items wait in the reader's inbox and in their office's shark tank (and
    /// their groups').
    pub async fn inbox_counts(&self, viewer: &Viewer) -> Result<(u64, u64), StoreError> {
        let open = |q: sea_orm::Select<inbox_items::Entity>| {
            q.filter(inbox_items::Column::CompanyId.eq(viewer.company_id.0))
                .filter(inbox_items::Column::Status.eq(Status::Open.as_str()))
        };
        let mine = open(inbox_items::Entity::find())
            .filter(inbox_items::Column::AssigneeUserId.eq(viewer.user_id.0))
            .count(&self.db)
            .await?;
        let tank = open(inbox_items::Entity::find())
            .filter(self.waiting_for(viewer).await?)
            .filter(inbox_items::Column::AssigneeUserId.is_null())
            .count(&self.db)
            .await?;
        Ok((mine, tank))
    }

    /// An item the viewer may see: their own, one waiting in their office's shark tank or one of
    /// their groups, a tip they sent, or any for an administrator.
    pub async fn inbox_item(&self, viewer: &Viewer, id: Uuid) -> Result<InboxItem, StoreError> {
        let item = inbox_items::Entity::find_by_id((viewer.company_id.0, id))
            .one(&self.db)
            .await?
            .map(to_item)
            .ok_or(StoreError::NotFound("inbox item"))?;
        let sees = viewer.permissions.admin
            || item.sender_id == Some(viewer.user_id)
            || match item.assignee {
                Some(Assignee::User(u)) => u == viewer.user_id,
                Some(Assignee::Office(o)) => o == viewer.office_id,
                Some(Assignee::Group(g)) => self.groups_of(viewer).await?.contains(&g),
                None => false,
            };
        if sees { Ok(item) } else { Err(StoreError::NotFound("inbox item")) }
    }

    /// The assignee (or an administrator) acts on an item: accept with a listing linked (an
    /// existing one, or one made in the same step), decline with a reason, mark contacted or not
    /// relevant. The status changes only from open, so of two racing actions one wins and the
    /// other is refused.
    pub async fn act_on_item(&self, viewer: &Viewer, id: Uuid, act: Act) -> Result<InboxItem, StoreError> {
        let item = self.inbox_item(viewer, id).await?;
        if item.assignee != Some(Assignee::User(viewer.user_id)) && !viewer.permissions.admin {
            return Err(StoreError::Forbidden("claim the item before working it"));
        }
        // The listing an acceptance links: its title, and whether the client becomes its seller
        // (a tip is a potential seller; a lead accepted with a new listing, e.g. a valuation,
        // is its seller) where the acceptor's rights reach it.
        let mut seller_of: Option<String> = None;
        let (action, new_listing) = match act {
            Act::Accept(property) => {
                let listing = properties::Entity::find_by_id((viewer.company_id.0, property.0))
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| StoreError::invalid("property_id", "unknown_property", "no such listing in this company"))?;
                if item.flow == Flow::Tip && can_edit_listing(viewer, UserId(listing.broker_id), OfficeId(listing.office_id)) {
                    seller_of = Some(format!("{}, {}", listing.street, listing.city));
                }
                (Action::Accept { property }, None)
            }
            Act::AcceptNew(data, currency) => {
                // Checked against the workflow before the listing's rights, so a wrong action is
                // told as such whatever the listing.
                apply(
                    item.flow,
                    item.status,
                    &Action::Accept {
                        property: PropertyId::new(),
                    },
                )
                .map_err(transition)?;
                let (property, row) = self.new_property(viewer, &data, &currency).await?;
                seller_of = Some(format!("{}, {}", data.street, data.city));
                (Action::Accept { property }, Some(row))
            }
            Act::Decline(reason) => (Action::Decline { reason }, None),
            Act::Contacted => (Action::MarkContacted, None),
            Act::NotRelevant => (Action::MarkNotRelevant, None),
        };
        let next = apply(item.flow, item.status, &action).map_err(transition)?;
        let now = Utc::now();
        let txn = self.write().await?;
        if let Some(row) = new_listing {
            insert_listing(&txn, viewer.company_id, row).await?;
        }
        let mut update = inbox_items::Entity::update_many()
            .col_expr(inbox_items::Column::Status, Expr::value(next.as_str()))
            .col_expr(inbox_items::Column::DecidedAt, Expr::value(now))
            .col_expr(inbox_items::Column::DecidedBy, Expr::value(viewer.user_id.0));
        match &action {
            Action::Accept { property } => update = update.col_expr(inbox_items::Column::LinkedPropertyId, Expr::value(property.0)),
            Action::Decline { reason } => update = update.col_expr(inbox_items::Column::DeclineReason, Expr::value(reason.trim())),
            _ => {}
        }
        let res = update
            .filter(inbox_items::Column::CompanyId.eq(viewer.company_id.0))
            .filter(inbox_items::Column::Id.eq(id))
            .filter(inbox_items::Column::Status.eq(Status::Open.as_str()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Refused {
                code: "item_closed",
                message: "someone acted on this item first".into(),
            });
        }
        if let (Some(contact), Some(title), Action::Accept { property }) = (item.contact_id, &seller_of, &action) {
            add_party_in(
                &txn,
                viewer.company_id,
                *property,
                title,
                contact,
                PartyRole::Seller,
                viewer.user_id,
            )
            .await?;
        }
        if let Some(contact) = item.contact_id {
            let kind = if item.flow == Flow::Tip { "tip_decided" } else { "lead_decided" };
            let mut event = TimelineEvent::new(
                kind,
                json!({"status": next.as_str(), "reason": match &action { Action::Decline { reason } => Some(reason.trim()), _ => None }}),
            );
            if let Action::Accept { property } = &action {
                event = event.about_property(*property);
            }
            add_timeline(&txn, viewer.company_id, contact, event, Some(viewer.user_id)).await?;
        }
        txn.commit().await?;
        self.inbox_item(viewer, id).await
    }

    /// Sends a tip about a contact the sender can see to a colleague, a group or an office.
    pub async fn send_tip(
        &self,
        viewer: &Viewer,
        contact: ContactId,
        to: TipTarget,
        note: Option<String>,
    ) -> Result<InboxItem, StoreError> {
        let company = viewer.company_id;
        let about = self.contact(viewer, contact).await?;
        let dir = self.directory(company).await?;
        let mut receiver_locale = None;
        let name = match to {
            TipTarget::User(u) => {
                let receiver = self
                    .user(company, u)
                    .await
                    .map_err(|_| StoreError::invalid("to_user_id", "unknown_user", "no such colleague"))?;
                if !receiver.active || !receiver.permissions.work_with_clients || receiver.id == viewer.user_id {
                    return Err(StoreError::invalid(
                        "to_user_id",
                        "cannot_receive",
                        "that colleague cannot receive tips",
                    ));
                }
                receiver_locale = Some(receiver.locale.clone());
                receiver.name
            }
            TipTarget::Office(o) => match dir.offices.get(&o) {
                Some(name) => name.clone(),
                None => {
                    return Err(StoreError::invalid(
                        "to_office_id",
                        "unknown_office",
                        "no such office in this company",
                    ));
                }
            },
            TipTarget::Group(g) => match self.groups(company).await?.into_iter().find(|x| x.id == g) {
                Some(group) => group.name,
                None => return Err(StoreError::invalid("to_group_id", "unknown_group", "no such group in this company")),
            },
        };
        let now = Utc::now();
        let id = Uuid::now_v7();
        let assignee = match to {
            TipTarget::User(u) => Assignee::User(u),
            TipTarget::Office(o) => Assignee::Office(o),
            TipTarget::Group(g) => Assignee::Group(g),
        };
        let redistribute_at = self.due_for(company, Flow::Tip, Status::Open, assignee, now).await?;
        let txn = self.write().await?;
        inbox_items::Entity::insert(inbox_items::ActiveModel {
            sender_id: Set(Some(viewer.user_id.0)),
            message: Set(note.clone()),
            redistribute_at: Set(redistribute_at),
            ..new_item(company, id, Flow::Tip, Status::Open, assignee, Some(contact), now)
        })
        .exec_without_returning(&txn)
        .await?;
        add_timeline(
            &txn,
            company,
            contact,
            TimelineEvent::new("tip_sent", json!({"to": name, "note": note})),
            Some(viewer.user_id),
        )
        .await?;
        if let (TipTarget::User(u), Some(locale)) = (to, receiver_locale) {
            let lang = crm_domain::i18n::Locale::parse(&locale).unwrap_or(crm_domain::i18n::Locale::En);
            let title = lang.render(
                "notice.tip",
                &json!({"from": dir.user_name(viewer.user_id), "contact": about.data.display_name()}),
            );
            crate::notices::notify(
                &txn,
                company,
                u,
                crate::notices::Notice {
                    kind: "tip",
                    title: &title,
                    body: note.as_deref(),
                    link: Some("/inbox".into()),
                    email: Some((title.clone(), format!("{title}\n\n{}", note.as_deref().unwrap_or_default()))),
                    email_override: None,
                },
            )
            .await?;
        }
        txn.commit().await?;
        self.inbox_item(viewer, id).await
    }

    /// Claims an item from the viewer's office's shark tank. Of many claims at once exactly one
    /// wins; the others are told someone was first.
    pub async fn claim_item(&self, viewer: &Viewer, id: Uuid) -> Result<InboxItem, StoreError> {
        // Read without the visibility rule: an item someone in the office claimed a moment ago
        // is no longer the viewer's to see, but the answer is "someone was first", not "no such".
        let row = inbox_items::Entity::find_by_id((viewer.company_id.0, id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound("inbox item"))?;
        let groups = self.groups_of(viewer).await?;
        let waits_here = row.assignee_office_id == Some(viewer.office_id.0)
            || (row.assignee_office_id.is_none() && row.assignee_group_id.is_some_and(|g| groups.contains(&GroupId(g))));
        if !waits_here {
            return match row.assignee_user_id {
                Some(u) if u == viewer.user_id.0 => Err(StoreError::Refused {
                    code: "not_claimable",
                    message: "this item is already yours".into(),
                }),
                _ if viewer.permissions.admin => Err(StoreError::Refused {
                    code: "not_claimable",
                    message: "this item is not waiting in your office's shark tank or your groups".into(),
                }),
                _ => Err(StoreError::NotFound("inbox item")),
            };
        }
        let contact_created = row.contact_created;
        let item = to_item(row);
        if item.status.is_open() && matches!(item.assignee, Some(Assignee::User(_))) {
            return Err(StoreError::Refused {
                code: "already_claimed",
                message: "someone claimed this item first".into(),
            });
        }
        let Some(assignee) = item.assignee else {
            return Err(StoreError::NotFound("inbox item"));
        };
        if !may_claim(item.status, assignee, viewer.office_id, &groups) {
            return Err(StoreError::Refused {
                code: "not_claimable",
                message: "this item is not waiting in your office's shark tank".into(),
            });
        }
        let claimer = self.user(viewer.company_id, viewer.user_id).await?;
        let now = Utc::now();
        let txn = self.write().await?;
        let res = inbox_items::Entity::update_many()
            .col_expr(inbox_items::Column::AssigneeUserId, Expr::value(viewer.user_id.0))
            .col_expr(inbox_items::Column::AssignedAt, Expr::value(now))
            .filter(inbox_items::Column::CompanyId.eq(viewer.company_id.0))
            .filter(inbox_items::Column::Id.eq(id))
            .filter(inbox_items::Column::Status.eq(Status::Open.as_str()))
            .filter(inbox_items::Column::AssigneeUserId.is_null())
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Refused {
                code: "already_claimed",
                message: "someone claimed this item first".into(),
            });
        }
        if let Some(contact) = item.contact_id {
            if contact_created {
                self.give_contact(&txn, viewer.company_id, contact, &claimer).await?;
            }
            add_timeline(
                &txn,
                viewer.company_id,
                contact,
                TimelineEvent::new("lead_claimed", json!({})),
                Some(viewer.user_id),
            )
            .await?;
        }
        txn.commit().await?;
        self.inbox_item(viewer, id).await
    }
}

/// [`Store::due_for`] by a snapshot of the company's organisation.
fn due_in(org: &OrgSnapshot, flow: Flow, status: Status, assignee: Assignee, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let office = match assignee {
        Assignee::Office(o) => o,
        Assignee::User(u) => org.users.iter().find(|x| x.id == u)?.office_id,
        Assignee::Group(_) => return None,
    };
    match org.routing.get(&office) {
        Some(routing) if routing.redistributor.is_some() => routing.limits.due_at(flow, status, at),
        _ => None,
    }
}

fn transition(e: TransitionError) -> StoreError {
    match e {
        TransitionError::ReasonMissing => StoreError::invalid("reason", e.code(), e.to_string()),
        other => StoreError::Refused {
            code: other.code(),
            message: other.to_string(),
        },
    }
}

impl Store {
    /// An office's redistribution settings (none set: off).
    pub async fn office_routing(&self, company: CompanyId, office: OfficeId) -> Result<OfficeRouting, StoreError> {
        if !self.directory(company).await?.offices.contains_key(&office) {
            return Err(StoreError::NotFound("office"));
        }
        Ok(office_routing::Entity::find_by_id((company.0, office.0))
            .one(&self.db)
            .await?
            .map(to_routing)
            .unwrap_or_default())
    }

    /// Sets an office's redistribution. Items already waiting keep the time they were given.
    pub async fn save_office_routing(
        &self,
        company: CompanyId,
        office: OfficeId,
        routing: OfficeRouting,
    ) -> Result<OfficeRouting, StoreError> {
        let dir = self.directory(company).await?;
        if !dir.offices.contains_key(&office) {
            return Err(StoreError::NotFound("office"));
        }
        let (user, group) = match routing.redistributor {
            Some(Assignee::User(u)) => {
                let user = self
                    .user(company, u)
                    .await
                    .map_err(|_| StoreError::invalid("redistributor_user_id", "unknown_user", "no such colleague"))?;
                if !user.active || !user.permissions.work_with_clients {
                    return Err(StoreError::invalid(
                        "redistributor_user_id",
                        "cannot_receive",
                        "that colleague cannot receive leads",
                    ));
                }
                (Some(u.0), None)
            }
            Some(Assignee::Group(g)) => {
                if !self.groups(company).await?.iter().any(|x| x.id == g) {
                    return Err(StoreError::invalid(
                        "redistributor_group_id",
                        "unknown_group",
                        "no such group in this company",
                    ));
                }
                (None, Some(g.0))
            }
            Some(Assignee::Office(_)) => {
                return Err(StoreError::invalid(
                    "redistributor_user_id",
                    "invalid_redistributor",
                    "a user or a group",
                ));
            }
            None => (None, None),
        };
        let l = routing.limits;
        for (field, h) in [
            ("tips_hours", l.tips_hours),
            ("accept_leads_hours", l.accept_leads_hours),
            ("contact_leads_hours", l.contact_leads_hours),
        ] {
            if h.is_some_and(|h| h > MAX_REDISTRIBUTION_HOURS) {
                return Err(StoreError::invalid(
                    field,
                    "out_of_range",
                    format!("{field} is at most {MAX_REDISTRIBUTION_HOURS}"),
                ));
            }
        }
        if routing.auto_tip_days.is_some_and(|d| !(1..=MAX_AUTO_TIP_DAYS).contains(&d)) {
            return Err(StoreError::invalid(
                "auto_tip_days",
                "out_of_range",
                format!("automatic tips come 1 to {MAX_AUTO_TIP_DAYS} days after a viewing"),
            ));
        }
        let as_i32 = |h: Option<u32>| h.map(|h| h as i32);
        let row = office_routing::ActiveModel {
            company_id: Set(company.0),
            office_id: Set(office.0),
            redistributor_user_id: Set(user),
            redistributor_group_id: Set(group),
            tips_hours: Set(as_i32(l.tips_hours)),
            accept_leads_hours: Set(as_i32(l.accept_leads_hours)),
            contact_leads_hours: Set(as_i32(l.contact_leads_hours)),
            auto_tip_days: Set(as_i32(routing.auto_tip_days)),
            updated_at: Set(Utc::now()),
        };
        office_routing::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([office_routing::Column::CompanyId, office_routing::Column::OfficeId])
                    .update_columns([
                        office_routing::Column::RedistributorUserId,
                        office_routing::Column::RedistributorGroupId,
                        office_routing::Column::TipsHours,
                        office_routing::Column::AcceptLeadsHours,
                        office_routing::Column::ContactLeadsHours,
                        office_routing::Column::AutoTipDays,
                        office_routing::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        crate::snapshot::org_changed(&self.db, company).await?;
        self.office_routing(company, office).await
    }

    /// A contact created by a lead goes with the lead to whoever takes it over (from the shark
    /// tank's keeper, or from the one who let it run late), so the new holder can work it. Reads
    /// only through the transaction: a second pool connection taken while SQLite's write lock is
    /// held could wait for connections held by writers waiting for that lock.
    async fn give_contact(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        company: CompanyId,
        contact: ContactId,
        to: &User,
    ) -> Result<(), StoreError> {
        let Some(row) = contacts::Entity::find_by_id((company.0, contact.0)).one(txn).await? else {
            return Ok(());
        };
        let record = to_record(row);
        if record.owner_id == to.id {
            return Ok(());
        }
        move_owner_in(txn, company, &record, to).await
    }

    /// The office an assignment belongs to: a user's, or the shark tank's.
    async fn office_of(&self, company: CompanyId, assignee: Assignee) -> Result<Option<OfficeId>, StoreError> {
        Ok(match assignee {
            Assignee::Office(o) => Some(o),
            Assignee::User(u) => self.directory(company).await?.users.get(&u).map(|(_, o)| *o),
            Assignee::Group(_) => None,
        })
    }

    /// When a new item goes to its office's redistributor, if that office redistributes its kind.
    pub(crate) async fn due_for(
        &self,
        company: CompanyId,
        flow: Flow,
        status: Status,
        assignee: Assignee,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(due_in(&*self.org_snapshot(company).await?, flow, status, assignee, at))
    }

    /// Passes every open item past its time to its office's redistributor (the job runner's
    /// "redistribution" job). Each item goes once: the change is conditional on the item still
    /// being open and not yet redistributed, so two instances racing pass it on once.
    pub async fn redistribute_due(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let due = inbox_items::Entity::find()
            .filter(inbox_items::Column::RedistributeAt.lte(now))
            .filter(inbox_items::Column::Status.eq(Status::Open.as_str()))
            .filter(inbox_items::Column::RedistributedAt.is_null())
            .order_by_asc(inbox_items::Column::RedistributeAt)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut moved = 0;
        for row in due {
            let company = CompanyId(row.company_id);
            let contact_created = row.contact_created;
            let item = to_item(row);
            let target = match item.assignee {
                Some(a) => match self.office_of(company, a).await? {
                    Some(office) => self.office_routing(company, office).await?.redistributor,
                    None => None,
                },
                None => None,
            };
            // Everything read before the write transaction (see `give_contact`).
            let (receiver, name) = match target {
                Some(Assignee::User(u)) => {
                    let user = self.user(company, u).await?;
                    let name = user.name.clone();
                    (Some(user), Some(name))
                }
                Some(Assignee::Group(g)) => (None, self.groups(company).await?.into_iter().find(|x| x.id == g).map(|x| x.name)),
                _ => (None, None),
            };
            let mut update = inbox_items::Entity::update_many()
                .col_expr(inbox_items::Column::RedistributeAt, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(inbox_items::Column::CompanyId.eq(company.0))
                .filter(inbox_items::Column::Id.eq(item.id))
                .filter(inbox_items::Column::Status.eq(Status::Open.as_str()))
                .filter(inbox_items::Column::RedistributedAt.is_null());
            match target {
                Some(Assignee::User(u)) => {
                    update = update
                        .col_expr(inbox_items::Column::AssigneeUserId, Expr::value(u.0))
                        .col_expr(inbox_items::Column::AssigneeGroupId, Expr::value(Option::<Uuid>::None))
                        .col_expr(inbox_items::Column::RedistributedAt, Expr::value(now))
                        .col_expr(inbox_items::Column::AssignedAt, Expr::value(now));
                }
                Some(Assignee::Group(g)) => {
                    update = update
                        .col_expr(inbox_items::Column::AssigneeUserId, Expr::value(Option::<Uuid>::None))
                        .col_expr(inbox_items::Column::AssigneeOfficeId, Expr::value(Option::<Uuid>::None))
                        .col_expr(inbox_items::Column::AssigneeGroupId, Expr::value(g.0))
                        .col_expr(inbox_items::Column::RedistributedAt, Expr::value(now))
                        .col_expr(inbox_items::Column::AssignedAt, Expr::value(now));
                }
                // Redistribution was turned off meanwhile: the item stays where it is.
                _ => {}
            }
            let txn = self.write().await?;
            let res = update.exec(&txn).await?;
            if res.rows_affected == 1
                && let (Some(name), Some(contact)) = (&name, item.contact_id)
            {
                if let (true, Some(user)) = (contact_created, &receiver) {
                    self.give_contact(&txn, company, contact, user).await?;
                }
                add_timeline(
                    &txn,
                    company,
                    contact,
                    TimelineEvent::new("redistributed", json!({"to": name})),
                    None,
                )
                .await?;
                moved += 1;
            }
            txn.commit().await?;
        }
        Ok(moved)
    }
}
