//! Live events for the app: a call coming in opens the caller's card in the called user's app.
//!
//! The telephone system may post the call to any instance, and the user's app may hold its
//! stream open on another, so no instance trusts only what it received itself: each one reads
//! the incoming calls of the companies it serves from the database twice a second and hands
//! each call, once, to the streams of its user. A call an instance received itself is handed
//! on at once as well.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use crm_domain::{CompanyId, UserId};
use crm_store::Store;
use crm_store::calls::IncomingCallRecord;
use crm_types::IncomingCallEvent;
use tokio::sync::mpsc;

use crate::error::ApiError;

/// Calls remembered as handed on (so a call read twice is sent once).
const SEEN: usize = 4096;
/// Events waiting in one stream before it counts as stuck.
const QUEUE: usize = 16;
/// Open streams per user (a few tabs and devices).
pub const MAX_STREAMS_PER_USER: usize = 8;
/// How often the database is asked for new calls.
pub const POLL: Duration = Duration::from_millis(500);
/// How far back each read looks: a call written just before a read may commit just after it.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(15);

type Key = (CompanyId, UserId);

#[derive(Default)]
struct Inner {
    streams: HashMap<Key, Vec<mpsc::Sender<IncomingCallEvent>>>,
    seen: HashSet<uuid::Uuid>,
    order: VecDeque<uuid::Uuid>,
}

/// The open event streams of this instance.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Opens a stream for a user.
    pub fn subscribe(&self, company: CompanyId, user: UserId) -> Result<mpsc::Receiver<IncomingCallEvent>, ApiError> {
        let mut inner = self.lock();
        let streams = inner.streams.entry((company, user)).or_default();
        streams.retain(|s| !s.is_closed());
        if streams.len() >= MAX_STREAMS_PER_USER {
            // Too many tabs and devices: try again once one has closed.
            return Err(ApiError::TooManyRequests(Duration::from_secs(30)));
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        streams.push(tx);
        Ok(rx)
    }

    /// Hands a call to its user's streams, unless it was handed on already.
    pub fn publish(&self, call: &IncomingCallRecord) {
        let mut inner = self.lock();
        if !inner.seen.insert(call.id) {
            return;
        }
        inner.order.push_back(call.id);
        while inner.order.len() > SEEN {
            if let Some(old) = inner.order.pop_front() {
                inner.seen.remove(&old);
            }
        }
        if let Some(streams) = inner.streams.get_mut(&(call.company_id, call.user_id)) {
            let event = IncomingCallEvent {
                id: call.id,
                phone: call.phone.clone(),
                at: call.at,
            };
            // A stream that cannot take the event now is dropped; its app reconnects.
            streams.retain(|s| s.try_send(event.clone()).is_ok());
        }
    }

    /// The companies with open streams (closed streams are forgotten on the way).
    pub fn companies(&self) -> Vec<CompanyId> {
        let mut inner = self.lock();
        inner.streams.retain(|_, streams| {
            streams.retain(|s| !s.is_closed());
            !streams.is_empty()
        });
        let mut companies: Vec<CompanyId> = inner.streams.keys().map(|(c, _)| *c).collect();
        companies.sort_by_key(|c| c.0);
        companies.dedup();
        companies
    }
}

/// Reads new incoming calls for this instance's streams until the process ends.
pub fn start(store: Store, hub: std::sync::Arc<Hub>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let companies = hub.companies();
            if companies.is_empty() {
                continue;
            }
            match store.incoming_calls_since(&companies, Utc::now() - OVERLAP).await {
                Ok(calls) => calls.iter().for_each(|c| hub.publish(c)),
                Err(e) => tracing::warn!(error = ?e, "cannot read incoming calls"),
            }
        }
    });
}
