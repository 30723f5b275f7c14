//! Bringing many contacts in at once (a brokerage moving in with its register, the benchmark's
//! seed): multi-row inserts of contacts, their search tokens, counts and an "imported" entry on
//! each timeline, one transaction per batch; and finding which rows already exist.

use std::collections::HashMap;

use chrono::Utc;
use crm_domain::contacts::{ContactData, SearchTokenKind};
use crm_domain::permissions::{Viewer, can_assign_owner};
use crm_domain::{CompanyId, ContactId, TimelineEntryId, UserId};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{Placement, index, new_contact};
use crate::entities::{contact_tokens, timeline_entries};
use crate::sql::insert_rows;
use crate::{Store, StoreError};

/// One contact to import, and who is to own it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub data: ContactData,
    pub owner: UserId,
}

/// What an import batch wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub created: Vec<ContactId>,
}

impl Store {
    /// Imports a batch of contacts in one transaction. Every owner must be a colleague the
    /// viewer may give contacts to; a row naming another is refused with its index.
    #[tracing::instrument(level = "debug", skip_all, fields(rows = rows.len()))]
    pub async fn import_contacts(&self, viewer: &Viewer, rows: &[ImportRow]) -> Result<ImportSummary, StoreError> {
        let txn = self.write().await?;
        let summary = self.import_contacts_in(&txn, viewer, rows).await?;
        txn.commit().await?;
        Ok(summary)
    }

    /// [`Store::import_contacts`] in the caller's transaction.
    pub(crate) async fn import_contacts_in(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        viewer: &Viewer,
        rows: &[ImportRow],
    ) -> Result<ImportSummary, StoreError> {
        let company = viewer.company_id;
        let mut owners = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            if owners.contains_key(&row.owner) {
                continue;
            }
            let user = self
                .user(company, row.owner)
                .await
                .map_err(|_| StoreError::invalid(format!("rows[{i}].owner"), "unknown_user", "no such user in this company"))?;
            if !can_assign_owner(viewer, user.id, user.office_id) || !user.active || !user.permissions.work_with_clients {
                return Err(StoreError::invalid(
                    format!("rows[{i}].owner"),
                    "owner_not_allowed",
                    format!("contacts cannot be given to {}", user.name),
                ));
            }
            owners.insert(row.owner, user.office_id);
        }
        let now = Utc::now();
        let ids: Vec<ContactId> = rows.iter().map(|_| ContactId::new()).collect();
        let placed: Vec<(ContactId, &ContactData, Placement)> = ids
            .iter()
            .zip(rows)
            .map(|(id, row)| {
                let office = owners[&row.owner];
                let class = crm_domain::permissions::class_of(row.data.kind, false, false);
                (
                    *id,
                    &row.data,
                    Placement {
                        owner: row.owner,
                        office,
                        class,
                    },
                )
            })
            .collect();
        // 26 columns: 500 rows stay under SQLite's 32,766 values a statement.
        let new_contacts = placed
            .iter()
            .map(|(id, data, place)| new_contact(viewer, *id, place.owner, place.office, now, data))
            .collect();
        insert_rows(txn, new_contacts, 500).await?;
        let entries = placed
            .iter()
            .map(|(id, _, _)| timeline_entries::ActiveModel {
                company_id: Set(company.0),
                id: Set(TimelineEntryId::new().0),
                contact_id: Set(id.0),
                kind: Set("imported".to_owned()),
                body: Set(String::new()),
                params: Set(Some(json!({}))),
                property_id: Set(None),
                demand_id: Set(None),
                author_id: Set(Some(viewer.user_id.0)),
                created_at: Set(now),
            })
            .collect();
        insert_rows(txn, entries, 2000).await?;
        index::insert_tokens(txn, company, &placed).await?;
        let mut counts: HashMap<Placement, i64> = HashMap::new();
        for (_, _, place) in &placed {
            *counts.entry(*place).or_default() += 1;
        }
        for (place, n) in counts {
            index::count(txn, company, place, n).await?;
        }
        Ok(ImportSummary { created: ids })
    }

    /// For each contact's data, the existing contacts sharing one of its phones or emails.
    pub async fn find_duplicates(&self, company: CompanyId, rows: &[&ContactData]) -> Result<Vec<Vec<ContactId>>, StoreError> {
        let mut wanted: Vec<(i16, String)> = Vec::new();
        for data in rows {
            for p in &data.phones {
                wanted.push((SearchTokenKind::Phone.code(), p.digits().to_owned()));
            }
            for e in &data.emails {
                wanted.push((SearchTokenKind::Email.code(), e.as_str().to_owned()));
            }
        }
        let mut owners: HashMap<(i16, String), Vec<Uuid>> = HashMap::new();
        for kind in [SearchTokenKind::Phone.code(), SearchTokenKind::Email.code()] {
            let tokens: Vec<String> = wanted.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t.clone()).collect();
            for chunk in tokens.chunks(500) {
                let found: Vec<(String, Uuid)> = contact_tokens::Entity::find()
                    .select_only()
                    .column(contact_tokens::Column::Token)
                    .column(contact_tokens::Column::ContactId)
                    .filter(contact_tokens::Column::CompanyId.eq(company.0))
                    .filter(contact_tokens::Column::Kind.eq(kind))
                    .filter(contact_tokens::Column::Token.is_in(chunk.to_vec()))
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                for (token, id) in found {
                    owners.entry((kind, token)).or_default().push(id);
                }
            }
        }
        Ok(rows
            .iter()
            .map(|data| {
                let mut ids: Vec<ContactId> = Vec::new();
                let keys = data
                    .phones
                    .iter()
                    .map(|p| (SearchTokenKind::Phone.code(), p.digits().to_owned()))
                    .chain(data.emails.iter().map(|e| (SearchTokenKind::Email.code(), e.as_str().to_owned())));
                for key in keys {
                    for id in owners.get(&key).into_iter().flatten() {
                        if !ids.iter().any(|x| x.0 == *id) {
                            ids.push(ContactId(*id));
                        }
                    }
                }
                ids
            })
            .collect())
    }
}
