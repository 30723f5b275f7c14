//! Keeping the search index and the counts in step with the contacts, in the same transaction
//! as every change: search tokens (name words carry the contact's sort name, owner, office,
//! class and search words; a long name's words and pairs cut to the full prefix carry the
//! search words), and how many contacts each owner has per class and office.

use crm_domain::contacts::{ContactData, SearchTokenKind, pair_cut_full};
use crm_domain::{CompanyId, ContactId, OfficeId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::to_record;
use crate::entities::{contact_tokens, contacts};
use crate::sql::{Sql, insert_rows};
use crate::{Store, StoreError};

/// Where a contact stands for visibility: its owner, the owner's office, its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Placement {
    pub owner: UserId,
    pub office: OfficeId,
    pub class: i16,
}

/// Writes the search tokens of new or rewritten contacts.
pub(crate) async fn insert_tokens(
    db: &impl ConnectionTrait,
    company: CompanyId,
    contacts: &[(ContactId, &ContactData, Placement)],
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    for (id, data, place) in contacts {
        let (sort_name, words) = (data.sort_name(), data.name_words_text());
        for (kind, token) in data.search_tokens() {
            let name = kind == SearchTokenKind::Name;
            // Name tokens carry the words for the list's search, a long name's words for its
            // search by two words, pairs cut to the full prefix for both that and the caller
            // lookup (see `checked_range`).
            let worded = name || kind == SearchTokenKind::LongName || (kind == SearchTokenKind::NamePair && pair_cut_full(&token));
            rows.push(contact_tokens::ActiveModel {
                company_id: Set(company.0),
                kind: Set(kind.code()),
                token: Set(token),
                contact_id: Set(id.0),
                sort_name: Set(name.then(|| sort_name.clone())),
                owner_id: Set(name.then_some(place.owner.0)),
                office_id: Set(name.then_some(place.office.0)),
                class: Set(name.then_some(place.class)),
                search_words: Set(worded.then(|| words.clone())),
            });
        }
    }
    // Nine columns: 2,000 rows stay under SQLite's 32,766 values a statement.
    insert_rows(db, rows, 2000).await?;
    Ok(())
}

pub(crate) async fn delete_tokens(db: &impl ConnectionTrait, company: CompanyId, id: ContactId) -> Result<(), StoreError> {
    contact_tokens::Entity::delete_many()
        .filter(contact_tokens::Column::CompanyId.eq(company.0))
        .filter(contact_tokens::Column::ContactId.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a contact's name tokens to a new placement (owner, office or class changed).
pub(crate) async fn place_tokens(db: &impl ConnectionTrait, company: CompanyId, id: ContactId, place: Placement) -> Result<(), StoreError> {
    contact_tokens::Entity::update_many()
        .col_expr(contact_tokens::Column::OwnerId, Expr::value(Some(place.owner.0)))
        .col_expr(contact_tokens::Column::OfficeId, Expr::value(Some(place.office.0)))
        .col_expr(contact_tokens::Column::Class, Expr::value(Some(place.class)))
        .filter(contact_tokens::Column::CompanyId.eq(company.0))
        .filter(contact_tokens::Column::ContactId.eq(id.0))
        .filter(contact_tokens::Column::Kind.eq(SearchTokenKind::Name.code()))
        .exec(db)
        .await?;
    Ok(())
}

/// Adds `delta` contacts at a placement.
pub(crate) async fn count(db: &impl ConnectionTrait, company: CompanyId, place: Placement, delta: i64) -> Result<(), StoreError> {
    count_many(db, company, vec![(place, delta)]).await
}

/// Adds contacts at several placements (each named once) in one statement. The rows are
/// written in one order, so two transactions counting the same placements wait for each other
/// instead of deadlocking on PostgreSQL.
pub(crate) async fn count_many(db: &impl ConnectionTrait, company: CompanyId, mut deltas: Vec<(Placement, i64)>) -> Result<(), StoreError> {
    deltas.sort_by_key(|(p, _)| (p.owner.0, p.office.0, p.class));
    // Five values a row: 5,000 rows stay under SQLite's 32,766 values a statement.
    for part in deltas.chunks(5_000) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push("INSERT INTO contact_counts (company_id, owner_id, office_id, class, n) VALUES ");
        for (i, (place, delta)) in part.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(company.0)
                .push(", ")
                .bind(place.owner.0)
                .push(", ")
                .bind(place.office.0)
                .push(", ")
                .bind(place.class)
                .push(", ")
                .bind(*delta)
                .push(")");
        }
        sql.push(" ON CONFLICT (company_id, owner_id, office_id, class) DO UPDATE SET n = contact_counts.n + excluded.n");
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

/// Recomputes every company's counts from the contacts (the nightly repair of any drift).
pub(crate) async fn recount_all(store: &Store) -> Result<(), StoreError> {
    let txn = store.write().await?;
    txn.execute_unprepared("DELETE FROM contact_counts").await?;
    txn.execute_unprepared(
        "INSERT INTO contact_counts (company_id, owner_id, office_id, class, n) \
         SELECT company_id, owner_id, office_id, class, COUNT(*) FROM contacts GROUP BY company_id, owner_id, office_id, class",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Builds the search index of contacts written before it existed, a batch at a time.
pub(crate) async fn backfill(store: &Store) -> Result<u64, StoreError> {
    let mut done = 0;
    loop {
        let rows = contacts::Entity::find()
            .filter(contacts::Column::SearchWords.is_null())
            .order_by_asc(contacts::Column::CompanyId)
            .order_by_asc(contacts::Column::Id)
            .limit(1000)
            .all(&store.db)
            .await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let txn = store.write().await?;
        for m in rows {
            let record = to_record(m);
            let company = record.company_id;
            delete_tokens(&txn, company, record.id).await?;
            insert_tokens(&txn, company, &[(record.id, &record.data, record.placement())]).await?;
            contacts::Entity::update_many()
                .col_expr(contacts::Column::SearchWords, Expr::value(Some(record.data.search_words())))
                .filter(contacts::Column::CompanyId.eq(company.0))
                .filter(contacts::Column::Id.eq(record.id.0))
                .exec(&txn)
                .await?;
            done += 1;
        }
        txn.commit().await?;
    }
}
