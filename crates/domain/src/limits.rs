//! How long every text and how large every list may be. The API refuses larger input with a
//! field error before anything is stored; imports apply the same limits row by row.

/// A person's, agency's, office's, group's or user's name; the name of an API key.
pub const NAME: usize = 200;
/// An email address (RFC 5321's path limit).
pub const EMAIL: usize = 254;
/// A phone number as typed, punctuation included.
pub const PHONE: usize = 40;
/// Phones, and emails, of one contact.
pub const CHANNELS: usize = 10;
/// A street address line.
pub const STREET: usize = 200;
/// A city, neighbourhood or area name.
pub const PLACE: usize = 100;
/// A postal code.
pub const POSTAL_CODE: usize = 20;
/// A country code or a language tag as typed.
pub const CODE: usize = 20;
/// A listing's reference (its number on websites).
pub const REFERENCE: usize = 40;
/// A condominium's (housing association's) name.
pub const CONDOMINIUM: usize = 200;
/// Where a buyer wants to live, in words.
pub const AREA: usize = 500;
/// A note on a contact or demand.
pub const NOTE: usize = 10_000;
/// The message that comes with a hand-over.
pub const MESSAGE: usize = 2_000;
/// A password (argon2 hashes any length; a bound keeps hashing cheap to refuse).
pub const PASSWORD: usize = 1_000;
/// A refresh token or API key as sent.
pub const TOKEN: usize = 300;
/// What is typed into a search or the caller lookup.
pub const SEARCH: usize = 200;
/// Words of a search.
pub const SEARCH_WORDS: usize = 8;
/// Members of a group.
pub const MEMBERS: usize = 1_000;
/// An opaque paging cursor.
pub const CURSOR: usize = 500;
/// Any string in a request body (a safety net behind the per-field limits).
pub const ANY_TEXT: usize = 100_000;
/// Any array in a request body (a safety net behind the per-field limits).
pub const ANY_LIST: usize = 1_000;

/// Whether a text holds characters no field accepts: NUL and the other control characters, but
/// for tab and line breaks.
pub fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters() {
        assert!(has_control_characters("a\0b"));
        assert!(has_control_characters("\u{1b}[31m"));
        assert!(has_control_characters("\u{85}"));
        assert!(!has_control_characters("Dvořák\tline\r\nnext"));
    }
}
