use serde::{Deserialize, Serialize};

use super::{Country, Email, Phone};
use crate::text;

/// The four kinds of contact. Each has its own mandatory fields and, for agencies, its own
/// visibility rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    /// Another real-estate agency: visible to everyone who works with clients.
    Agency,
    /// A client whose identity and channels are confirmed.
    Verified,
    /// An ordinary contact.
    Standard,
    /// An incomplete contact being worked on.
    Draft,
}

impl ContactKind {
    pub const ALL: [ContactKind; 4] = [Self::Agency, Self::Verified, Self::Standard, Self::Draft];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agency => "agency",
            Self::Verified => "verified",
            Self::Standard => "standard",
            Self::Draft => "draft",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The mandatory fields, as documented for users and integrators.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Agency => "agency name, and an email or a phone",
            Self::Verified => "first name, last name, a phone and an email",
            Self::Standard => "last name, and a phone or an email",
            Self::Draft => "at least one of: a name, a phone, an email",
        }
    }
}

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(Self { lat, lon })
    }
}

/// A contact's data as typed by a user or sent by an integrator, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactInput {
    pub kind: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub agency_name: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub opted_out: bool,
}

/// One problem with one field, for the form to show next to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name in the API (`phones[1]` for the second phone).
    pub field: String,
    /// A stable snake_case code.
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Every problem found in a contact's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the contact is not valid: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
pub struct ContactErrors(pub Vec<FieldError>);

/// A contact's validated data: names trimmed, phones in E.164, emails normalised, the kind's
/// mandatory fields present.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactData {
    pub kind: ContactKind,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub agency_name: Option<String>,
    pub phones: Vec<Phone>,
    pub emails: Vec<Email>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<Country>,
    pub location: Option<GeoPoint>,
    pub opted_out: bool,
}

fn clean(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

impl ContactData {
    /// Validates input; `default_region` is the company's country, used for phones without a
    /// country prefix. All problems are reported at once.
    pub fn parse(input: &ContactInput, default_region: Country) -> Result<Self, ContactErrors> {
        let mut errors = Vec::new();
        let kind = match input.kind.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError::new("kind", "required", "choose the kind of contact"));
                ContactKind::Draft
            }
            Some(k) => ContactKind::parse(k).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "kind",
                    "invalid",
                    format!("'{k}' is not a kind of contact (agency, verified, standard, draft)"),
                ));
                ContactKind::Draft
            }),
        };
        let mut phones: Vec<Phone> = Vec::new();
        for (i, raw) in input.phones.iter().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            match Phone::parse(raw, default_region) {
                Ok(p) if !phones.contains(&p) => phones.push(p),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(format!("phones[{i}]"), "invalid_phone", e.to_string())),
            }
        }
        let mut emails: Vec<Email> = Vec::new();
        for (i, raw) in input.emails.iter().enumerate() {
            if raw.trim().is_empty() {
                continue;
            }
            match Email::parse(raw) {
                Ok(e) if !emails.contains(&e) => emails.push(e),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(format!("emails[{i}]"), "invalid_email", e.to_string())),
            }
        }
        let country = match clean(&input.country) {
            None => None,
            Some(c) => match Country::parse(&c) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(FieldError::new("country", "invalid_country", e.to_string()));
                    None
                }
            },
        };
        let location = match (input.lat, input.lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => GeoPoint::new(lat, lon).or_else(|| {
                errors.push(FieldError::new(
                    "lat",
                    "invalid_coordinates",
                    "latitude must be within ±90 and longitude within ±180",
                ));
                None
            }),
            _ => {
                errors.push(FieldError::new(
                    "lat",
                    "invalid_coordinates",
                    "give both latitude and longitude, or neither",
                ));
                None
            }
        };
        let data = Self {
            kind,
            first_name: clean(&input.first_name),
            last_name: clean(&input.last_name),
            agency_name: clean(&input.agency_name),
            phones,
            emails,
            street: clean(&input.street),
            city: clean(&input.city),
            postal_code: clean(&input.postal_code),
            country,
            location,
            opted_out: input.opted_out,
        };
        // Mandatory fields are only judged when the kind itself is known.
        if !errors.iter().any(|e| e.field == "kind") {
            data.check_mandatory(input, &mut errors);
        }
        if errors.is_empty() { Ok(data) } else { Err(ContactErrors(errors)) }
    }

    fn check_mandatory(&self, input: &ContactInput, errors: &mut Vec<FieldError>) {
        let kind = self.kind.as_str();
        let required = |field: &str| FieldError::new(field, "required", format!("required for a contact of kind {kind}"));
        // A malformed phone or email was already reported; don't also call it missing.
        let phone_given = !self.phones.is_empty() || input.phones.iter().any(|p| !p.trim().is_empty());
        let email_given = !self.emails.is_empty() || input.emails.iter().any(|e| !e.trim().is_empty());
        match self.kind {
            ContactKind::Agency => {
                if self.agency_name.is_none() {
                    errors.push(required("agency_name"));
                }
                if !phone_given && !email_given {
                    errors.push(FieldError::new("phones", "required", "an agency needs an email or a phone"));
                }
            }
            ContactKind::Verified => {
                for (field, value) in [("first_name", &self.first_name), ("last_name", &self.last_name)] {
                    if value.is_none() {
                        errors.push(required(field));
                    }
                }
                if !phone_given {
                    errors.push(required("phones"));
                }
                if !email_given {
                    errors.push(required("emails"));
                }
            }
            ContactKind::Standard => {
                if self.last_name.is_none() {
                    errors.push(required("last_name"));
                }
                if !phone_given && !email_given {
                    errors.push(FieldError::new(
                        "phones",
                        "required",
                        "a standard contact needs a phone or an email",
                    ));
                }
            }
            ContactKind::Draft => {
                let named = self.first_name.is_some() || self.last_name.is_some() || self.agency_name.is_some();
                if !named && !phone_given && !email_given {
                    errors.push(FieldError::new(
                        "last_name",
                        "required",
                        "a draft needs at least a name, a phone or an email",
                    ));
                }
            }
        }
    }

    /// The name shown in lists: "First Last", or the agency's name.
    pub fn display_name(&self) -> String {
        display_name(self.first_name.as_deref(), self.last_name.as_deref(), self.agency_name.as_deref())
    }

    /// The folded words of the contact's names, in order: first, last, agency.
    pub fn name_words(&self) -> Vec<String> {
        [&self.first_name, &self.last_name, &self.agency_name]
            .into_iter()
            .flatten()
            .flat_map(|n| text::words(n))
            .collect()
    }

    /// The words the caller lookup and the list's search find this contact by:
    /// - each folded name word;
    /// - for each ordered pair of name words, the first word cut to 1, 2 and 3 letters, a space
    ///   and the second word (`j andersson`, `jo andersson`, `joh andersson`): whatever two
    ///   words a receptionist starts typing, in either order, one range scan finds exactly the
    ///   contacts whose names start that way, however common each name is alone;
    /// - when the name has more words than pairs are made of, each name word again as a
    ///   [`SearchTokenKind::LongName`]: with the pairs, every contact two words find;
    /// - emails, and each phone's full digits and national significant number.
    pub fn search_tokens(&self) -> Vec<(SearchTokenKind, String)> {
        let mut tokens = Vec::new();
        let words = self.name_words();
        let paired: Vec<&String> = words.iter().take(MAX_PAIRED_WORDS).collect();
        for (i, a) in paired.iter().enumerate() {
            for (j, b) in paired.iter().enumerate() {
                if i == j || a == b {
                    continue;
                }
                for k in 1..=PAIR_PREFIX {
                    let head: String = a.chars().take(k).collect();
                    tokens.push((SearchTokenKind::NamePair, format!("{head} {b}")));
                }
            }
        }
        if words.len() > MAX_PAIRED_WORDS {
            for w in &words {
                tokens.push((SearchTokenKind::LongName, w.clone()));
            }
        }
        for w in words {
            tokens.push((SearchTokenKind::Name, w));
        }
        for e in &self.emails {
            tokens.push((SearchTokenKind::Email, e.as_str().to_owned()));
        }
        for p in &self.phones {
            tokens.push((SearchTokenKind::Phone, p.digits().to_owned()));
            if let Some(national) = p.national_digits() {
                tokens.push((SearchTokenKind::Phone, national));
            }
        }
        tokens.sort();
        tokens.dedup();
        tokens
    }

    /// Every word the contact is found by, each after a space, emails and phone digits marked
    /// with `#` (` anna lindqvist #anna@example.se #46701234567 #701234567`): "some name word
    /// starts with w" is `LIKE '% w%'`, "some phone starts with p" is `LIKE '% #p%'`.
    pub fn search_words(&self) -> String {
        let mut out = self.name_words_text();
        for (kind, token) in self.search_tokens() {
            if matches!(kind, SearchTokenKind::Email | SearchTokenKind::Phone) {
                out.push_str(" #");
                out.push_str(&token);
            }
        }
        out
    }

    /// The name words, each after a space, at most [`NAME_WORDS_TEXT`] characters (what the
    /// search index carries with each name word, to check a search's other words).
    pub fn name_words_text(&self) -> String {
        let mut out = String::new();
        for w in self.name_words() {
            if out.chars().count() + 1 + w.chars().count() > NAME_WORDS_TEXT {
                break;
            }
            out.push(' ');
            out.push_str(&w);
        }
        out
    }

    /// The key lists sort by: surname, then first name, then agency ("svensson anna"), folded
    /// so that case and accents do not scatter the order; the first email when there is no name.
    pub fn sort_name(&self) -> String {
        let parts = [&self.last_name, &self.first_name, &self.agency_name];
        let joined = parts.into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
        let folded: String = text::fold(&joined).chars().take(SORT_NAME).collect();
        if folded.is_empty() {
            self.emails
                .first()
                .map(|e| e.to_string())
                .or_else(|| self.phones.first().map(|p| p.to_string()))
                .unwrap_or_default()
        } else {
            folded
        }
    }
}

/// The length of the key lists sort by; beyond it, order does not matter to anyone.
const SORT_NAME: usize = 200;

/// How much of a contact's name words the search index carries with each word.
pub const NAME_WORDS_TEXT: usize = 300;

/// Name words beyond this many are searchable one by one but not in pairs (a long agency name
/// would otherwise make dozens of pair tokens).
const MAX_PAIRED_WORDS: usize = 3;

/// How many letters of a pair's first word are kept in pair tokens: a query whose first word
/// is this long or longer scans the pairs of its first letters and checks the rest.
pub const PAIR_PREFIX: usize = 3;

/// Whether a pair token keeps [`PAIR_PREFIX`] letters of its first word: the pairs a query
/// with a longer first word reads, which carry the contact's name words so that the rest of
/// that word is checked on the index entry.
pub fn pair_cut_full(token: &str) -> bool {
    token.split_once(' ').is_some_and(|(head, _)| head.chars().count() == PAIR_PREFIX)
}

/// What a search token was made from; exact phone and email hits rank above name hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchTokenKind {
    Name,
    Email,
    Phone,
    /// A name word cut to 1–3 letters, a space, and another name word of the same contact.
    NamePair,
    /// A name word of a contact whose name has more words than pairs are made of (see
    /// [`ContactData::search_tokens`]): few contacts, read beside the pairs by a search for two
    /// words, which the pairs alone would miss for those.
    LongName,
}

impl SearchTokenKind {
    pub fn code(self) -> i16 {
        match self {
            Self::Name => 1,
            Self::Email => 2,
            Self::Phone => 3,
            Self::NamePair => 4,
            Self::LongName => 5,
        }
    }
}

/// "First Last", or the agency's name, or the best thing available.
pub fn display_name(first: Option<&str>, last: Option<&str>, agency: Option<&str>) -> String {
    let person = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
    match (person.is_empty(), agency) {
        (false, Some(a)) => format!("{person} ({a})"),
        (false, None) => person,
        (true, Some(a)) => a.to_owned(),
        (true, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cz() -> Country {
        Country::parse("CZ").unwrap()
    }

    fn input(kind: &str) -> ContactInput {
        ContactInput {
            kind: Some(kind.into()),
            ..Default::default()
        }
    }

    fn fields(err: ContactErrors) -> Vec<(String, &'static str)> {
        err.0.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn agency_needs_name_and_a_channel() {
        let err = ContactData::parse(&input("agency"), cz()).unwrap_err();
        assert_eq!(fields(err), vec![("agency_name".into(), "required"), ("phones".into(), "required")]);
        let ok = ContactInput {
            agency_name: Some(" Reality  Praha ".into()),
            emails: vec!["INFO@reality.cz".into()],
            ..input("agency")
        };
        let data = ContactData::parse(&ok, cz()).unwrap();
        assert_eq!(data.agency_name.as_deref(), Some("Reality Praha"));
        assert_eq!(data.emails[0].as_str(), "info@reality.cz");
    }

    #[test]
    fn verified_needs_names_phone_and_email() {
        let err = ContactData::parse(
            &ContactInput {
                first_name: Some("Jan".into()),
                ..input("verified")
            },
            cz(),
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            vec![
                ("last_name".into(), "required"),
                ("phones".into(), "required"),
                ("emails".into(), "required")
            ]
        );
    }

    #[test]
    fn standard_needs_last_name_and_a_channel() {
        let ok = ContactInput {
            last_name: Some("Novák".into()),
            phones: vec!["601 234 567".into()],
            ..input("standard")
        };
        let data = ContactData::parse(&ok, cz()).unwrap();
        assert_eq!(data.phones[0].as_str(), "+420601234567");
        let err = ContactData::parse(
            &ContactInput {
                last_name: Some("Novák".into()),
                ..input("standard")
            },
            cz(),
        )
        .unwrap_err();
        assert_eq!(fields(err), vec![("phones".into(), "required")]);
    }

    #[test]
    fn draft_needs_anything() {
        assert!(ContactData::parse(&input("draft"), cz()).is_err());
        assert!(
            ContactData::parse(
                &ContactInput {
                    phones: vec!["601234567".into()],
                    ..input("draft")
                },
                cz()
            )
            .is_ok()
        );
    }

    #[test]
    fn bad_values_are_reported_per_field_and_not_as_missing() {
        let bad = ContactInput {
            last_name: Some("X".into()),
            phones: vec!["601234567".into(), "12".into()],
            emails: vec!["nope".into()],
            ..input("standard")
        };
        let err = ContactData::parse(&bad, cz()).unwrap_err();
        assert_eq!(
            fields(err),
            vec![("phones[1]".into(), "invalid_phone"), ("emails[0]".into(), "invalid_email")]
        );
    }

    #[test]
    fn unknown_kind_is_an_error() {
        let err = ContactData::parse(&input("vip"), cz()).unwrap_err();
        assert_eq!(fields(err), vec![("kind".into(), "invalid")]);
    }

    #[test]
    fn tokens_cover_names_emails_and_phones() {
        let data = ContactData::parse(
            &ContactInput {
                first_name: Some("Jiří".into()),
                last_name: Some("Dvořák".into()),
                phones: vec!["+420 601 234 567".into()],
                emails: vec!["Jiri@Example.cz".into()],
                ..input("verified")
            },
            cz(),
        )
        .unwrap();
        let tokens: Vec<_> = data.search_tokens().into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            tokens,
            vec![
                "dvorak",
                "jiri",
                "jiri@example.cz",
                "420601234567",
                "601234567",
                "d jiri",
                "dv jiri",
                "dvo jiri",
                "j dvorak",
                "ji dvorak",
                "jir dvorak"
            ]
        );
        assert_eq!(data.search_words(), " jiri dvorak #jiri@example.cz #420601234567 #601234567");
        assert_eq!(data.sort_name(), "dvorak jiri");
    }

    #[test]
    fn a_name_longer_than_the_pairs_has_each_word_as_a_long_name_token() {
        let parse = |agency: Option<&str>| {
            ContactData::parse(
                &ContactInput {
                    first_name: Some("Anna".into()),
                    last_name: Some("Berg".into()),
                    agency_name: agency.map(Into::into),
                    emails: vec!["anna@example.cz".into()],
                    ..input("agency")
                },
                cz(),
            )
            .unwrap()
        };
        let long = |data: &ContactData| -> Vec<String> {
            data.search_tokens()
                .into_iter()
                .filter(|(k, _)| *k == SearchTokenKind::LongName)
                .map(|(_, t)| t)
                .collect()
        };
        assert!(long(&parse(Some("Lind"))).is_empty(), "three words are all paired");
        let data = parse(Some("Lind Fastigheter"));
        assert_eq!(long(&data), vec!["anna", "berg", "fastigheter", "lind"]);
        // The fourth word is in no pair: the long-name tokens are what finds "anna fast".
        assert!(!data.search_tokens().iter().any(|(_, t)| t == "ann fastigheter"));
    }
}
