//! The caller lookup: every contact matching what a receptionist typed, found on the token index
//! alone with bounded range scans (so the cost does not grow with the company), ranked, each
//! marked visible or not for the viewer, with the latest history of the visible ones.

use std::collections::{HashMap, HashSet};

use crm_domain::CompanyId;
use crm_domain::contacts::{ContactData, LookupQuery, PAIR_PREFIX, SearchTokenKind};
use crm_domain::permissions::{Viewer, Visibility};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ContactRecord, TimelineRecord};
use crate::entities::contact_tokens;
use crate::sql::Sql;
use crate::{Store, StoreError, prefix_upper};

/// One match of the caller lookup, before redaction.
#[derive(Debug, Clone)]
pub struct LookupHit {
    pub contact: ContactRecord,
    pub visible: bool,
    pub matched_on: SearchTokenKind,
    pub history: Vec<TimelineRecord>,
}

/// How many history entries each visible match shows.
const HISTORY: u64 = 5;

impl Store {
    /// The caller lookup. `limit` matches at most, best first.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn lookup(&self, viewer: &Viewer, query: &LookupQuery, limit: u64) -> Result<Vec<LookupHit>, StoreError> {
        let company = viewer.company_id;
        // More candidates than shown, so ranking has something to choose from.
        let want = limit * 4;
        let ids = self.lookup_candidates(company, query, want).await?;
        let mut candidates = self.contacts_by_id(company, ids).await?;
        if let LookupQuery::Name { words } = query {
            candidates.retain(|c| matches_all_words(&c.data, words));
        }
        candidates.sort_by_cached_key(|c| c.data.sort_name());
        let visibility = Visibility::for_viewer(viewer);
        let mut scored: Vec<(u32, LookupHit)> = candidates
            .into_iter()
            .map(|c| {
                let (score, matched_on) = score(&c.data, query);
                let visible = visibility.admits(&c.facts());
                (
                    score,
                    LookupHit {
                        contact: c,
                        visible,
                        matched_on,
                        history: Vec::new(),
                    },
                )
            })
            .collect();
        // Best score first; among equals, the ones the caller can act on; then name order.
        scored.sort_by_key(|(score, hit)| (std::cmp::Reverse(*score), !hit.visible));
        let mut hits: Vec<LookupHit> = scored.into_iter().take(limit as usize).map(|(_, h)| h).collect();
        let visible: Vec<_> = hits.iter().filter(|h| h.visible).map(|h| h.contact.id).collect();
        let mut by_contact: HashMap<Uuid, Vec<TimelineRecord>> = HashMap::new();
        for e in self.latest_entries(company, &visible, HISTORY).await? {
            by_contact.entry(e.contact_id.0).or_default().push(e);
        }
        for h in &mut hits {
            let mut history = by_contact.remove(&h.contact.id.0).unwrap_or_default();
            history.sort_by_key(|e| std::cmp::Reverse((e.created_at, e.id.0)));
            h.history = history;
        }
        Ok(hits)
    }

    /// Up to `want` ids of contacts matching the query.
    async fn lookup_candidates(&self, company: CompanyId, query: &LookupQuery, want: u64) -> Result<Vec<Uuid>, StoreError> {
        let mut ids: Vec<Uuid> = Vec::new();
        match query {
            LookupQuery::Phone { prefixes, .. } => {
                for p in prefixes {
                    ids.extend(self.token_scan(company, SearchTokenKind::Phone, p, want).await?);
                }
            }
            LookupQuery::Email { prefix } => ids = self.token_scan(company, SearchTokenKind::Email, prefix, want).await?,
            LookupQuery::Name { words } => match words.as_slice() {
                [] => {}
                [one] => ids = self.token_scan(company, SearchTokenKind::Name, one, want).await?,
                [first, second, ..] => ids = self.pair_scan(company, first, second, want).await?,
            },
        }
        let mut seen = HashSet::new();
        ids.retain(|id| seen.insert(*id));
        ids.truncate(want as usize);
        Ok(ids)
    }

    /// Ids of contacts with a token of `kind` starting with `prefix`, in token order (so exact
    /// matches come first), at most `limit`.
    pub(crate) async fn token_scan(
        &self,
        company: CompanyId,
        kind: SearchTokenKind,
        prefix: &str,
        limit: u64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut ids: Vec<Uuid> = contact_tokens::Entity::find()
            .select_only()
            .column(contact_tokens::Column::ContactId)
            .filter(contact_tokens::Column::CompanyId.eq(company.0))
            .filter(contact_tokens::Column::Kind.eq(kind.code()))
            .filter(contact_tokens::Column::Token.gte(prefix))
            .filter(contact_tokens::Column::Token.lt(prefix_upper(prefix)))
            .order_by_asc(contact_tokens::Column::Token)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut seen = HashSet::new();
        ids.retain(|id| seen.insert(*id));
        Ok(ids)
    }

    /// Contacts with two name words starting with `first` and `second`, in either order: one
    /// range of the pair tokens (`joh ande` for "joh ande…"). When `first` is longer than the
    /// pair tokens keep, the range's entries are checked for a name word starting with all of
    /// `first` on the words they carry, in index order, until `want` are found or [`PAIR_WALK`]
    /// entries were read. Either way one key range is read and no contact row: no plan can turn
    /// it into a walk over the company, whatever the planner's statistics say.
    async fn pair_scan(&self, company: CompanyId, first: &str, second: &str, want: u64) -> Result<Vec<Uuid>, StoreError> {
        let head: String = first.chars().take(PAIR_PREFIX).collect();
        let key = format!("{head} {second}");
        if first.chars().count() <= PAIR_PREFIX {
            return self.token_scan(company, SearchTokenKind::NamePair, &key, want).await;
        }
        let mut sql = Sql::new(self.db.get_database_backend());
        super::list::checked_range(
            &mut sql,
            company,
            SearchTokenKind::NamePair,
            &key,
            PAIR_WALK as i64,
            Some(first),
            want as i64,
        );
        let rows = self.db.query_all_raw(sql.statement()).await?;
        let mut seen = HashSet::new();
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            let id: Uuid = row.try_get_by_index(0)?;
            if seen.insert(id) {
                found.push(id);
            }
        }
        Ok(found)
    }
}

/// The most pair-index entries one lookup reads when the first word is longer than the pair
/// tokens keep (a common short prefix followed by a rare longer word).
const PAIR_WALK: u64 = 50_000;

/// Whether every query word starts one of the contact's name words (each word a different one
/// when the query repeats a word).
fn matches_all_words(data: &ContactData, words: &[String]) -> bool {
    let own = data.name_words();
    words.iter().all(|w| own.iter().any(|o| o.starts_with(w.as_str())))
}

/// Ranks a candidate: exact phone or email hits first, then names by how many words match
/// whole rather than as a prefix.
fn score(data: &ContactData, query: &LookupQuery) -> (u32, SearchTokenKind) {
    match query {
        LookupQuery::Phone { normalized, .. } => {
            let exact = data.phones.iter().any(|p| normalized.iter().any(|n| n == p.as_str()));
            (if exact { 100 } else { 50 }, SearchTokenKind::Phone)
        }
        LookupQuery::Email { prefix } => {
            let exact = data.emails.iter().any(|e| e.as_str() == prefix);
            (if exact { 100 } else { 50 }, SearchTokenKind::Email)
        }
        LookupQuery::Name { words } => {
            let own: Vec<String> = data.name_words();
            let whole = words.iter().filter(|w| own.contains(w)).count() as u32;
            (10 + whole * 10, SearchTokenKind::Name)
        }
    }
}
