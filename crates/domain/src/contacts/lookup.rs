use serde::{Deserialize, Serialize};

use super::{Country, Email, Phone};
use crate::text;

/// What a receptionist typed into the caller lookup, understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LookupQuery {
    /// Something phone-like: matched by prefix against each contact's full (with country code)
    /// and national significant digits. `prefixes` holds every plausible reading of the typed
    /// digits; `normalized` every plausible complete number (E.164), for ranking exact hits first.
    Phone { prefixes: Vec<String>, normalized: Vec<String> },
    /// Something with an '@': matched by prefix against normalised emails.
    Email { prefix: String },
    /// Words: every word must start one of the contact's name words (folded).
    Name { words: Vec<String> },
}

/// The shortest query worth running: shorter ones match half the database.
pub const MIN_LOOKUP_CHARS: usize = 2;

/// Countries whose national number forms are tried besides the company's own: the markets the
/// CRM is sold in.
const PLAUSIBLE_REGIONS: [&str; 4] = ["SE", "CZ", "RU", "BR"];

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
            return Some(Self::phone(trimmed, &digits, default_region));
        }
        let words = text::words(trimmed);
        if words.iter().map(|w| w.chars().count()).sum::<usize>() < MIN_LOOKUP_CHARS {
            return None;
        }
        Some(Self::Name { words })
    }

    /// Every way the typed digits can be a phone number a receptionist meets. An international
    /// form (`+7 …`, `007 …`) is one number. A national form is read in the company's country,
    /// and also in the countries we sell in, with their trunk prefixes dropped: `8 (938) 410-10-07`
    /// is how a Russian number is written at home (trunk `8`), `0 21 11 …` a Brazilian one with a
    /// carrier code. Stored numbers are matched on their national significant digits as well as
    /// on the full number, so each reading finds them.
    fn phone(typed: &str, digits: &str, default_region: Country) -> Self {
        let mut prefixes = Vec::new();
        let mut normalized = Vec::new();
        let international = typed.starts_with('+') || digits.starts_with("00");
        let mut regions = vec![default_region];
        regions.extend(PLAUSIBLE_REGIONS.iter().filter_map(|c| Country::parse(c).ok()));
        for region in regions {
            if let Ok(p) = Phone::parse(typed, region) {
                normalized.push(p.as_str().to_owned());
                prefixes.push(p.digits().to_owned());
                if let Some(n) = p.national_digits() {
                    prefixes.push(n);
                }
            }
        }
        if international {
            prefixes.push(digits.trim_start_matches("00").to_owned());
        } else {
            prefixes.push(digits.to_owned());
            for trunk in ["0", "8"] {
                if let Some(rest) = digits.strip_prefix(trunk) {
                    prefixes.push(rest.to_owned());
                }
            }
            // Brazil: trunk 0 and a two-digit carrier code before the area code.
            if digits.len() >= 12
                && let Some(rest) = digits.strip_prefix('0')
            {
                prefixes.push(rest[2..].to_owned());
            }
        }
        prefixes.retain(|p| p.len() >= 3);
        prefixes.sort();
        prefixes.dedup();
        normalized.sort();
        normalized.dedup();
        Self::Phone { prefixes, normalized }
    }

    /// What the new-contact form is pre-filled with when nothing matches.
    pub fn prefill(input: &str, default_region: Country) -> Prefill {
        let trimmed = input.trim();
        match Self::parse(trimmed, default_region) {
            Some(Self::Phone { .. }) => Prefill {
                // The company's own reading, else the number as typed.
                phone: Some(
                    Phone::parse(trimmed, default_region)
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|_| trimmed.to_owned()),
                ),
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
        let Some(LookupQuery::Phone { prefixes, normalized }) = LookupQuery::parse("070-123 45 67", se()) else {
            panic!("not a phone")
        };
        assert_eq!(normalized, vec!["+46701234567"]);
        for p in ["0701234567", "46701234567", "701234567"] {
            assert!(prefixes.contains(&p.to_owned()), "{p} in {prefixes:?}");
        }
        let partial = LookupQuery::parse("+46 70 12", se()).unwrap();
        assert_eq!(
            partial,
            LookupQuery::Phone {
                prefixes: vec!["467012".into()],
                normalized: vec![]
            }
        );
    }

    #[test]
    fn a_foreign_national_form_is_read_in_its_country() {
        // In a Swedish company, a Russian caller's number as written in Russia.
        let Some(LookupQuery::Phone { prefixes, normalized }) = LookupQuery::parse("8 (938) 410-10-07", se()) else {
            panic!("not a phone")
        };
        assert!(normalized.contains(&"+79384101007".to_owned()), "{normalized:?}");
        assert!(prefixes.contains(&"9384101007".to_owned()), "{prefixes:?}");
        // A Czech number without its prefix, in a Swedish company.
        let Some(LookupQuery::Phone { normalized, .. }) = LookupQuery::parse("601 234 567", se()) else {
            panic!("not a phone")
        };
        assert!(normalized.contains(&"+420601234567".to_owned()), "{normalized:?}");
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
