//! Searching by a name word reads few entries of the search index.
//!
//! - `contact_tokens_words`: the name-word tokens (kind 1) by company, word and the contacts'
//!   sort name, carrying what the list decides visibility and text on. A page of a list
//!   searched by a common word is then the first entries of each word the query starts, in
//!   sort order, instead of a sort of every entry of the range.
//! - Pair tokens cut to three letters of their first word (`joh andersson`) carry the contact's
//!   name words, as name tokens do: the caller lookup of "Johanna Andersson" reads the range of
//!   `joh andersson` and checks "johanna" on each entry instead of reading each contact's row.
//!   The store writes them so from now on; this fills those written before, from the contact's
//!   name tokens (within the company).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_word_order"
    }
}

/// The name-order index of name-word tokens.
pub const WORD_ORDER: &str = "contact_tokens_words";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (index, space) = match manager.get_database_backend() {
            DatabaseBackend::Postgres => (
                format!(
                    "CREATE INDEX IF NOT EXISTS {WORD_ORDER} ON contact_tokens (company_id, token, sort_name, contact_id) \
                     INCLUDE (owner_id, office_id, class, search_words) WHERE kind = 1"
                ),
                "strpos(token, ' ')",
            ),
            _ => (
                format!(
                    "CREATE INDEX IF NOT EXISTS {WORD_ORDER} ON contact_tokens (company_id, token, sort_name, contact_id, \
                     owner_id, office_id, class, search_words) WHERE kind = 1"
                ),
                "instr(token, ' ')",
            ),
        };
        db.execute_unprepared(&index).await?;
        // Kind 4 is a pair, 1 a name word; a pair cut to three letters has its space fourth.
        db.execute_unprepared(&format!(
            "UPDATE contact_tokens SET search_words = (SELECT n.search_words FROM contact_tokens n \
             WHERE n.contact_id = contact_tokens.contact_id AND n.kind = 1 AND n.company_id = contact_tokens.company_id \
             LIMIT 1) WHERE kind = 4 AND {space} = 4 AND search_words IS NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE contact_tokens SET search_words = NULL WHERE kind = 4")
            .await?;
        db.execute_unprepared(&format!("DROP INDEX IF EXISTS {WORD_ORDER}")).await?;
        Ok(())
    }
}
