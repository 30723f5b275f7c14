//! A list searched by two words finds every contact through few index entries.
//!
//! Pair tokens are made of a name's first three words only (a long agency name would otherwise
//! make dozens). A contact whose name has more words now also has each name word as a token of
//! kind 5, carrying its name words: a search for two words reads the range of its pair and the
//! range of the second word among those few contacts, instead of the whole range of a word.
//! The store writes them so from now on; this fills those of contacts written before, from their
//! name tokens (kind 1), whose words tell how many there are (within the company).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_long_names"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Each name word follows a space in `search_words`: more than three spaces, more than
        // three words.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO contact_tokens (company_id, kind, token, contact_id, search_words) \
                 SELECT company_id, 5, token, contact_id, search_words FROM contact_tokens \
                 WHERE kind = 1 AND length(search_words) - length(replace(search_words, ' ', '')) > 3 \
                 AND NOT EXISTS (SELECT 1 FROM contact_tokens l WHERE l.company_id = contact_tokens.company_id \
                 AND l.kind = 5 AND l.token = contact_tokens.token AND l.contact_id = contact_tokens.contact_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM contact_tokens WHERE kind = 5")
            .await?;
        Ok(())
    }
}
