use serde::{Deserialize, Serialize};

use super::{Country, Email, Phone};
use crate::text;

/// What a receptionist typed into the caller lookup, understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LookupQuery {
    /// Something phone-like: matched by prefix against each contact's full (with country code)
    /// and national digits. `prefixes` holds every reading of the typed digits.
    Phone { prefixes: Vec<String>, normalized: Option<String> },
    /// Something with an '@': matched by prefix against normalised emails.
    Email { prefix: String },
    /// Words: every word must start one of the contact's name words (folded).
    Name { words: Vec<String> },
}

/// The shortest query worth running: shorter ones match half the database.
pub const MIN_LOOKUP_CHARS: usize = 2;

impl LookupQuery {
    /// Reads the typed text. `None` when there is nothing searchable in it.
    pub fn parse(input: &str, default_region: Country) -> Option<Self> {
        let trimmed = input.trim();
        if trimmed.contains('@') {
            let prefix = trimmed.to_lowercase();
            return (prefix.chars().count() >= MIN_LOOKUP_CHARS).then_some(Self::Email { prefix });
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let phone_like = !digits.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || " +-./()".contains(c));
        if phone_like {
            if digits.len() < 3 {
                return None;
            }
            let mut prefixes = Vec::new();
            let normalized = Phone::parse(trimmed, default_region).ok();
            if let Some(p) = &normalized {
                prefixes.push(p.digits().to_owned());
            }
            // Partly typed numbers: "00420 60…" and "+420 60…" are international prefixes;
            // otherwise the digits are a national number, possibly with a trunk '0' or '8'.
            let international = trimmed.starts_with('+') || digits.starts_with("00");
            if international {
                prefixes.push(digits.trim_start_matches("00").to_owned());
            } else {
                prefixes.push(digits.clone());
                if let Some(rest) = digits
                    .strip_prefix('0')
                    .or_else(|| digits.strip_prefix('8').filter(|_| default_region.code() == "RU"))
                {
                    prefixes.push(rest.to_owned());
                }
            }
            prefixes.retain(|p| p.len() >= 3);
            prefixes.sort();
            prefixes.dedup();
            return Some(Self::Phone {
                prefixes,
                normalized: normalized.map(|p| p.as_str().to_owned()),
            });
        }
        let words = text::words(trimmed);
        if words.iter().map(|w| w.chars().count()).sum::<usize>() < MIN_LOOKUP_CHARS {
            return None;
        }
        Some(Self::Name { words })
    }

    /// What the new-contact form is pre-filled with when nothing matches.
    pub fn prefill(input: &str, default_region: Country) -> Prefill {
        let trimmed = input.trim();
        match Self::parse(trimmed, default_region) {
            Some(Self::Phone { normalized, .. }) => Prefill {
                phone: Some(normalized.unwrap_or_else(|| trimmed.to_owned())),
                ..Prefill::default()
            },
            Some(Self::Email { .. }) => Prefill {
                email: Some(
                    Email::parse(trimmed)
                        .map(|e| e.as_str().to_owned())
                        .unwrap_or_else(|_| trimmed.to_owned()),
                ),
                ..Prefill::default()
            },
            Some(Self::Name { .. }) => {
                // "Anna Maria Svensson": the last word is the surname, the rest the first name.
                let parts: Vec<&str> = trimmed.split_whitespace().collect();
                match parts.split_last() {
                    Some((last, [])) => Prefill {
                        last_name: Some((*last).to_owned()),
                        ..Prefill::default()
                    },
                    Some((last, first)) => Prefill {
                        first_name: Some(first.join(" ")),
                        last_name: Some((*last).to_owned()),
                        ..Prefill::default()
                    },
                    None => Prefill::default(),
                }
            }
            None => Prefill::default(),
        }
    }
}

/// Fields of the new-contact form filled from what was typed into the lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefill {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn se() -> Country {
        Country::parse("SE").unwrap()
    }

    #[test]
    fn reads_phones_in_any_format() {
        let q = LookupQuery::parse("070-123 45 67", se()).unwrap();
        assert_eq!(
            q,
            LookupQuery::Phone {
                prefixes: vec!["0701234567".into(), "46701234567".into(), "701234567".into()],
                normalized: Some("+46701234567".into())
            }
        );
        let partial = LookupQuery::parse("+46 70 12", se()).unwrap();
        assert_eq!(
            partial,
            LookupQuery::Phone {
                prefixes: vec!["467012".into()],
                normalized: None
            }
        );
    }

    #[test]
    fn reads_emails_and_names() {
        assert_eq!(
            LookupQuery::parse(" Anna@EX", se()),
            Some(LookupQuery::Email { prefix: "anna@ex".into() })
        );
        assert_eq!(
            LookupQuery::parse("ÅSA  öberg", se()),
            Some(LookupQuery::Name {
                words: vec!["asa".into(), "oberg".into()]
            })
        );
        assert_eq!(LookupQuery::parse(" a ", se()), None);
        assert_eq!(LookupQuery::parse("12", se()), None);
    }

    #[test]
    fn prefills_the_form() {
        assert_eq!(
            LookupQuery::prefill("Anna Maria Svensson", se()).first_name.as_deref(),
            Some("Anna Maria")
        );
        assert_eq!(LookupQuery::prefill("070 123 45 67", se()).phone.as_deref(), Some("+46701234567"));
        assert_eq!(
            LookupQuery::prefill("Anna@Example.se", se()).email.as_deref(),
            Some("anna@example.se")
        );
    }
}
