//! Writing posted leads, several at a time.
//!
//! Each lead is read and routed on its own (its source, the company's organisation, the listing
//! it names) and then handed to the intake. Whoever's turn it is writes every lead of one company
//! waiting by then in one transaction: one statement per table for the whole group instead of
//! about eight per lead, and one commit. (On SQLite there is one writer at a time, so a lead's
//! statements were the whole cost; on PostgreSQL, the round trips and the durable commit.) A lead
//! is answered once its group is committed.
//!
//! On SQLite one group is written at a time. On PostgreSQL two are: one group's round trips left
//! the database and the server half idle (about 1,300 leads/s on two cores, the CPU 48 % idle),
//! and two groups overlap those waits. Two groups in flight never share a person's phone or
//! email, nor an idempotency key: a lead with one of those waits for the next group, so that what
//! one group finds or creates is committed before the other looks for it.
//!
//! Inside that transaction the person is looked up by phone and email among the stored contacts
//! and the ones created earlier in the same group, so two posts about one new person make one
//! contact; an idempotency key repeated within the group is answered like one repeated later. If
//! the group's transaction fails, each of its leads is written again alone, so that one lead's
//! failure stays its own.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use crm_domain::leads::{Assignee, Flow, Status, Workflow};
use crm_domain::routing::Routing;
use crm_domain::{CompanyId, ContactId, PropertyId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::contacts::{NewContact, TimelineEvent, duplicates_in, event_row, identity_keys, insert_contacts};
use crate::entities::{idempotency_keys, inbox_items};
use crate::leads::{Idempotency, IncomingLead, Receipt, new_item};
use crate::org::User;
use crate::sql::insert_rows;
use crate::{Store, StoreError, Write};

/// Leads written in one transaction at most.
const MAX_GROUP: usize = 64;

/// Groups written at once on PostgreSQL (SQLite has one writer).
const GROUPS_IN_FLIGHT: usize = 2;

/// The leads waiting to be written, the keys of those being written, and the turns of the
/// writers.
#[derive(Debug)]
pub(crate) struct Intake {
    queue: Mutex<Queue>,
    turns: tokio::sync::Semaphore,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: Vec<Waiting>,
    /// The phones, emails and idempotency keys of the leads in groups being written.
    in_flight: HashSet<LeadKey>,
}

/// What two groups in flight may not share: a person's phone or email (its identity key) or an
/// idempotency key (by lead source), within a company.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LeadKey {
    Person(CompanyId, i16, String),
    Idempotency(CompanyId, Uuid, String),
}

impl Intake {
    /// `sqlite`: one group at a time.
    pub(crate) fn new(sqlite: bool) -> Self {
        Self {
            queue: Mutex::default(),
            turns: tokio::sync::Semaphore::new(if sqlite { 1 } else { GROUPS_IN_FLIGHT }),
        }
    }
}

fn lead_keys(lead: &RoutedLead) -> Vec<LeadKey> {
    let mut keys: Vec<LeadKey> = lead
        .lead
        .data
        .iter()
        .flat_map(identity_keys)
        .map(|(kind, key)| LeadKey::Person(lead.company, kind, key))
        .collect();
    if let Some(idem) = &lead.idempotency {
        keys.push(LeadKey::Idempotency(lead.company, lead.source_id, idem.key.clone()));
    }
    keys
}

#[derive(Debug)]
struct Waiting {
    lead: RoutedLead,
    answer: oneshot::Sender<Result<Receipt, StoreError>>,
}

/// A lead with everything decided that can be decided before it is written.
#[derive(Debug)]
pub(crate) struct RoutedLead {
    pub company: CompanyId,
    pub source_id: Uuid,
    pub source_name: String,
    pub workflow: Workflow,
    pub lead: IncomingLead,
    pub idempotency: Option<Idempotency>,
    pub listing: Option<PropertyId>,
    pub flow: Flow,
    pub status: Status,
    pub routing: Option<Routing>,
    pub flagged: Option<String>,
    /// Who holds a new contact: the broker it went to, or the shark tank's keeper.
    pub owner: User,
    pub to: Assignee,
    pub redistribute_at: Option<DateTime<Utc>>,
}

fn key_reused() -> StoreError {
    StoreError::invalid(
        "Idempotency-Key",
        "idempotency_key_reused",
        "this Idempotency-Key was used for another request",
    )
}

/// The first answer to a stored idempotency key, for a request with the same hash.
fn replay(stored: &idempotency_keys::Model, hash: &str) -> Result<Receipt, StoreError> {
    if stored.request_hash != hash {
        return Err(key_reused());
    }
    serde_json::from_value(stored.response.clone()).map_err(|e| StoreError::Internal(format!("a stored lead receipt: {e}")))
}

impl Store {
    /// Writes a routed lead with whatever others are waiting, and answers once it is committed.
    pub(crate) async fn write_lead(&self, lead: RoutedLead) -> Result<Receipt, StoreError> {
        let (answer, receipt) = oneshot::channel();
        self.intake
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .waiting
            .push(Waiting { lead, answer });
        // The writing runs as a task of its own: a client that goes away stops no one's group.
        // Every lead starts one, so each waiting lead is taken by one of them.
        let store = self.clone();
        tokio::spawn(async move { store.write_waiting().await });
        receipt
            .await
            .map_err(|_| StoreError::Internal("the lead intake stopped before the lead was written".into()))?
    }

    /// Takes a turn, then writes the leads of one company that wait by then (those of other
    /// companies go in later groups: a transaction stays within one company), leaving for a
    /// later group any lead that shares a key with a group in flight; once written, takes
    /// another turn while leads wait.
    async fn write_waiting(&self) {
        loop {
            let Ok(_turn) = self.intake.turns.acquire().await else {
                return;
            };
            let (group, keys) = self.take_group();
            if group.is_empty() {
                return;
            }
            self.write_taken(group).await;
            let mut queue = self.intake.queue.lock().unwrap_or_else(|e| e.into_inner());
            for key in &keys {
                queue.in_flight.remove(key);
            }
            // A lead left behind for sharing a key with this group may have no writer coming.
            if queue.waiting.is_empty() {
                return;
            }
        }
    }

    /// The next group: waiting leads of the company of the first lead that shares no key with
    /// a group in flight, none of them sharing one; their keys are marked in flight.
    fn take_group(&self) -> (Vec<Waiting>, Vec<LeadKey>) {
        let mut queue = self.intake.queue.lock().unwrap_or_else(|e| e.into_inner());
        let Queue { waiting, in_flight } = &mut *queue;
        let free = |w: &Waiting| !lead_keys(&w.lead).iter().any(|k| in_flight.contains(k));
        let Some(company) = waiting.iter().find(|w| free(w)).map(|w| w.lead.company) else {
            return (Vec::new(), Vec::new());
        };
        let (mut group, mut taken) = (Vec::new(), Vec::new());
        let mut i = 0;
        while i < waiting.len() && group.len() < MAX_GROUP {
            if waiting[i].lead.company == company && free(&waiting[i]) {
                let lead = waiting.remove(i);
                taken.extend(lead_keys(&lead.lead));
                group.push(lead);
            } else {
                i += 1;
            }
        }
        // Marked after the group is chosen: leads of one group may share keys (the group
        // handles them together).
        in_flight.extend(taken.iter().cloned());
        (group, taken)
    }

    /// Writes one group and answers each of its leads.
    async fn write_taken(&self, group: Vec<Waiting>) {
        let (leads, answers): (Vec<RoutedLead>, Vec<_>) = group.into_iter().map(|w| (w.lead, w.answer)).unzip();
        let results = match self.write_group(&leads).await {
            Ok(results) => results,
            Err(e) if leads.len() == 1 => vec![Err(e)],
            Err(e) => {
                tracing::warn!(error = %e, leads = leads.len(), "a group of leads failed; writing each alone");
                let mut results = Vec::with_capacity(leads.len());
                for lead in &leads {
                    results.push(match self.write_group(std::slice::from_ref(lead)).await {
                        Ok(mut one) => one
                            .pop()
                            .unwrap_or_else(|| Err(StoreError::Internal("a lead without an answer".into()))),
                        Err(e) => Err(e),
                    });
                }
                results
            }
        };
        for (answer, result) in answers.into_iter().zip(results) {
            // The client may have gone away; its lead is stored all the same.
            let _ = answer.send(result);
        }
    }

    /// Writes a group of one company's leads in one transaction; each lead's own answer (a
    /// receipt, the replay of an earlier one, or a reused key's refusal), or the transaction's
    /// failure.
    async fn write_group(&self, leads: &[RoutedLead]) -> Result<Vec<Result<Receipt, StoreError>>, StoreError> {
        let Some(company) = leads.first().map(|l| l.company) else {
            return Ok(Vec::new());
        };
        let txn = self.write().await?;
        let results = write_group_in(&txn, company, leads).await;
        match results {
            Ok(results) => {
                txn.commit().await?;
                Ok(results)
            }
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }
}

async fn write_group_in(txn: &Write, company: CompanyId, leads: &[RoutedLead]) -> Result<Vec<Result<Receipt, StoreError>>, StoreError> {
    let mut results: Vec<Option<Result<Receipt, StoreError>>> = leads.iter().map(|_| None).collect();

    // Idempotency keys: the first lead with a key speaks for it in this group; a key stored
    // before answers every lead that repeats it.
    let mut first_with: HashMap<(Uuid, &str), usize> = HashMap::new();
    let mut follows: Vec<Option<usize>> = vec![None; leads.len()];
    for (i, lead) in leads.iter().enumerate() {
        if let Some(idem) = &lead.idempotency {
            match first_with.get(&(lead.source_id, idem.key.as_str())) {
                Some(first) => follows[i] = Some(*first),
                None => {
                    first_with.insert((lead.source_id, idem.key.as_str()), i);
                }
            }
        }
    }
    let mut stored: HashMap<usize, idempotency_keys::Model> = HashMap::new();
    if !first_with.is_empty() {
        let scopes: Vec<Uuid> = first_with.keys().map(|(scope, _)| *scope).collect();
        let keys: Vec<String> = first_with.keys().map(|(_, key)| (*key).to_owned()).collect();
        let rows = idempotency_keys::Entity::find()
            .filter(idempotency_keys::Column::CompanyId.eq(company.0))
            .filter(idempotency_keys::Column::Scope.is_in(scopes))
            .filter(idempotency_keys::Column::Key.is_in(keys))
            .all(txn)
            .await?;
        for row in rows {
            if let Some(&i) = first_with.get(&(row.scope, row.key.as_str())) {
                stored.insert(i, row);
            }
        }
    }
    for (i, lead) in leads.iter().enumerate() {
        let first = follows[i].unwrap_or(i);
        if let (Some(row), Some(idem)) = (stored.get(&first), &lead.idempotency) {
            results[i] = Some(replay(row, &idem.request_hash));
        }
    }
    let writes: Vec<bool> = (0..leads.len()).map(|i| results[i].is_none() && follows[i].is_none()).collect();

    // The person: a stored contact with one of the lead's phones or emails, else one created
    // earlier in this group, else a new contact.
    let people: Vec<usize> = (0..leads.len()).filter(|&i| writes[i] && leads[i].lead.data.is_some()).collect();
    let data: Vec<_> = people.iter().filter_map(|&i| leads[i].lead.data.as_ref()).collect();
    let found = duplicates_in(txn, company, &data).await?;
    let mut existing: HashMap<usize, ContactId> = HashMap::new();
    for (&i, ids) in people.iter().zip(found) {
        if let Some(id) = ids.into_iter().min_by_key(|c| c.0) {
            existing.insert(i, id);
        }
    }
    let now = Utc::now();
    let mut made: HashMap<(i16, String), ContactId> = HashMap::new();
    let mut new_contacts: Vec<NewContact> = Vec::new();
    let mut entries = Vec::new();
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for (i, routed) in leads.iter().enumerate() {
        if !writes[i] {
            continue;
        }
        let lead = &routed.lead;
        let (contact, new_contact) = match &lead.data {
            None => (None, false),
            Some(data) => match existing
                .get(&i)
                .copied()
                .or_else(|| identity_keys(data).find_map(|k| made.get(&k).copied()))
            {
                Some(id) => (Some(id), false),
                None => {
                    let id = ContactId::new();
                    for key in identity_keys(data) {
                        made.entry(key).or_insert(id);
                    }
                    new_contacts.push(NewContact {
                        id,
                        data,
                        owner: routed.owner.id,
                        office: routed.owner.office_id,
                        created_by: routed.owner.id,
                    });
                    let created = TimelineEvent::new("created", json!({"kind": data.kind.as_str()}));
                    entries.push(event_row(company, id, &created, Some(routed.owner.id), now));
                    (Some(id), true)
                }
            },
        };
        let id = Uuid::now_v7();
        items.push(inbox_items::ActiveModel {
            source_id: Set(Some(routed.source_id)),
            contact_created: Set(new_contact),
            property_id: Set(routed.listing.map(|l| l.0)),
            routing: Set(routed.routing.as_ref().map(|r| json!(r))),
            message: Set(lead.message.clone()),
            fields: Set(Some(lead.fields.clone())),
            spam: Set(lead.spam),
            flagged: Set(routed.flagged.clone()),
            redistribute_at: Set(routed.redistribute_at),
            ..new_item(company, id, routed.flow, routed.status, routed.to, contact, now)
        });
        if let Some(contact) = contact {
            let mut event = TimelineEvent::new(
                "lead_received",
                json!({"source": routed.source_name, "workflow": routed.workflow.as_str(), "message": lead.message, "lead_id": id}),
            );
            if let Some(listing) = routed.listing {
                event = event.about_property(listing);
            }
            entries.push(event_row(company, contact, &event, None, now));
        }
        let receipt = Receipt {
            lead_id: id,
            contact_id: contact.map(|c| c.0),
            new_contact,
            status: routed.status,
        };
        if let Some(idem) = &routed.idempotency {
            keys.push(idempotency_keys::ActiveModel {
                company_id: Set(company.0),
                scope: Set(routed.source_id),
                key: Set(idem.key.clone()),
                request_hash: Set(idem.request_hash.clone()),
                status: Set(201),
                response: Set(json!(receipt)),
                created_at: Set(now),
            });
        }
        results[i] = Some(Ok(receipt));
    }

    // Claiming the keys first would not help: a key another instance stores meanwhile fails
    // this insert, and each lead is then written alone, finding that key stored.
    insert_rows(txn, keys, 1000).await?;
    insert_contacts(txn, company, &new_contacts, now).await?;
    // 26 columns: 1,000 rows stay under SQLite's 32,766 values a statement (10 for entries).
    insert_rows(txn, items, 1000).await?;
    insert_rows(txn, entries, 2000).await?;

    // Those that repeated a key within the group get its first lead's answer.
    for i in 0..leads.len() {
        let Some(first) = follows[i] else { continue };
        if results[i].is_some() {
            continue;
        }
        let same = leads[i].idempotency.as_ref().map(|k| &k.request_hash) == leads[first].idempotency.as_ref().map(|k| &k.request_hash);
        results[i] = Some(match &results[first] {
            Some(Ok(receipt)) if same => Ok(receipt.clone()),
            _ => Err(key_reused()),
        });
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(StoreError::Internal("a lead without an answer".into()))))
        .collect())
}
