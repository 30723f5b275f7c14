//! Bringing many contacts in at once (a brokerage moving in with its register, the benchmark's
//! seed): multi-row inserts of contacts, their search tokens, counts and an "imported" entry on
//! each timeline, one transaction per batch; and finding which rows already exist.

use std::collections::HashMap;

use chrono::Utc;
use crm_domain::contacts::{ContactData, SearchTokenKind};
use crm_domain::permissions::{Viewer, can_assign_owner};
use crm_domain::{CompanyId, ContactId, UserId};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::{NewContact, TimelineEvent, event_row, insert_contacts};
use crate::entities::contact_tokens;
use crate::sql::{Sql, insert_rows};
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
        let new_contacts: Vec<NewContact> = ids
            .iter()
            .zip(rows)
            .map(|(id, row)| NewContact {
                id: *id,
                data: &row.data,
                owner: row.owner,
                office: owners[&row.owner],
                created_by: viewer.user_id,
            })
            .collect();
        insert_contacts(txn, company, &new_contacts, now).await?;
        let imported = TimelineEvent::new("imported", json!({}));
        let entries = ids
            .iter()
            .map(|id| event_row(company, *id, &imported, Some(viewer.user_id), now))
            .collect();
        insert_rows(txn, entries, 2000).await?;
        Ok(ImportSummary { created: ids })
    }

    /// For each contact's data, the existing contacts sharing one of its phones or emails.
    pub async fn find_duplicates(&self, company: CompanyId, rows: &[&ContactData]) -> Result<Vec<Vec<ContactId>>, StoreError> {
        duplicates_in(&self.db, company, rows).await
    }
}

/// What makes two contacts one person: each phone's digits and each email, with their kinds.
pub(crate) fn identity_keys(data: &ContactData) -> impl Iterator<Item = (i16, String)> + '_ {
    data.phones
        .iter()
        .map(|p| (SearchTokenKind::Phone.code(), p.digits().to_owned()))
        .chain(data.emails.iter().map(|e| (SearchTokenKind::Email.code(), e.as_str().to_owned())))
}

/// [`Store::find_duplicates`] through the caller's connection or transaction.
pub(crate) async fn duplicates_in(
    db: &impl ConnectionTrait,
    company: CompanyId,
    rows: &[&ContactData],
) -> Result<Vec<Vec<ContactId>>, StoreError> {
    let wanted: Vec<(i16, String)> = rows.iter().flat_map(|data| identity_keys(data)).collect();
    let mut owners: HashMap<(i16, String), Vec<Uuid>> = HashMap::new();
    for kind in [SearchTokenKind::Phone.code(), SearchTokenKind::Email.code()] {
        let tokens: Vec<String> = wanted.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t.clone()).collect();
        for chunk in tokens.chunks(500) {
            let found: Vec<(String, Uuid)> = if db.get_database_backend() == DatabaseBackend::Postgres {
                // Each token its own probe of the key (a limited lateral subquery, compared in the
                // column's collation so that the key serves): with an `IN` list, PostgreSQL may
                // walk the company's tokens of the kind instead, as statistics gathered while the
                // company was small make that look cheap (20 ms for five tokens at 20,000
                // contacts, against 0.2 ms). The key's order gives the oldest contacts first.
                let mut sql = Sql::new(DatabaseBackend::Postgres);
                sql.push("SELECT v.token, t.contact_id FROM (VALUES ");
                for (i, token) in chunk.iter().enumerate() {
                    sql.push(if i > 0 { ", (" } else { "(" }).bind(token.as_str()).push(")");
                }
                sql.push(") AS v (token) CROSS JOIN LATERAL (SELECT contact_id FROM contact_tokens WHERE company_id = ")
                    .bind(company.0)
                    .push(" AND kind = ")
                    .bind(kind)
                    .push(" AND token = v.token COLLATE \"C\" LIMIT 1000) AS t");
                let mut found = Vec::new();
                for row in db.query_all_raw(sql.statement()).await? {
                    found.push((row.try_get::<String>("", "token")?, row.try_get::<Uuid>("", "contact_id")?));
                }
                found
            } else {
                contact_tokens::Entity::find()
                    .select_only()
                    .column(contact_tokens::Column::Token)
                    .column(contact_tokens::Column::ContactId)
                    .filter(contact_tokens::Column::CompanyId.eq(company.0))
                    .filter(contact_tokens::Column::Kind.eq(kind))
                    .filter(contact_tokens::Column::Token.is_in(chunk.to_vec()))
                    .into_tuple()
                    .all(db)
                    .await?
            };
            for (token, id) in found {
                owners.entry((kind, token)).or_default().push(id);
            }
        }
    }
    Ok(rows
        .iter()
        .map(|data| {
            let mut ids: Vec<ContactId> = Vec::new();
            for key in identity_keys(data) {
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
