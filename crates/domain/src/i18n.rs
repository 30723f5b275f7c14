//! The languages the CRM speaks, their plural rules, and the texts the server writes itself
//! (history entries, emails). Such texts are stored as a message key with parameters and
//! rendered in the reader's language when read (or, for an email, for its recipient).
//!
//! Catalogs are `locales/<tag>.json`: a key maps to a text with `{name}` placeholders, or to an
//! object of plural forms (`one`, `few`, `many`, `other`) chosen by the `count` parameter.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A language of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    En,
    Sv,
    Cs,
    Ru,
    PtBr,
}

/// CLDR plural categories (for integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plural {
    One,
    Few,
    Many,
    Other,
}

impl Plural {
    fn key(self) -> &'static str {
        match self {
            Self::One => "one",
            Self::Few => "few",
            Self::Many => "many",
            Self::Other => "other",
        }
    }
}

impl Locale {
    pub const ALL: [Locale; 5] = [Self::En, Self::Sv, Self::Cs, Self::Ru, Self::PtBr];

    /// The BCP 47 tag stored and sent to the browser (which formats dates and money with it).
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en-GB",
            Self::Sv => "sv-SE",
            Self::Cs => "cs-CZ",
            Self::Ru => "ru-RU",
            Self::PtBr => "pt-BR",
        }
    }

    /// Reads a tag: the language decides (`sv`, `sv-SE` and `sv-FI` are Swedish; any `pt` is
    /// Brazilian Portuguese, the variant we write).
    pub fn parse(tag: &str) -> Option<Self> {
        let lang = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Some(match lang.as_str() {
            "en" => Self::En,
            "sv" => Self::Sv,
            "cs" => Self::Cs,
            "ru" => Self::Ru,
            "pt" => Self::PtBr,
            _ => return None,
        })
    }

    /// The language of a country we sell in; English elsewhere.
    pub fn for_country(code: &str) -> Self {
        match code {
            "SE" | "AX" => Self::Sv,
            "CZ" => Self::Cs,
            "RU" | "BY" | "KZ" => Self::Ru,
            "BR" | "PT" => Self::PtBr,
            _ => Self::En,
        }
    }

    /// The plural category of an integer count (CLDR rules for integers).
    pub fn plural(self, n: u64) -> Plural {
        match self {
            Self::En | Self::Sv => {
                if n == 1 {
                    Plural::One
                } else {
                    Plural::Other
                }
            }
            // Portuguese (Brazil): 0 and 1 are "one".
            Self::PtBr => {
                if n <= 1 {
                    Plural::One
                } else {
                    Plural::Other
                }
            }
            // Czech: 1; 2–4; everything else (the "many" form is only for fractions).
            Self::Cs => match n {
                1 => Plural::One,
                2..=4 => Plural::Few,
                _ => Plural::Other,
            },
            // Russian: 1, 21, 31…; 2–4, 22–24…; 0, 5–20, 25–30…
            Self::Ru => {
                let (d, h) = (n % 10, n % 100);
                if d == 1 && h != 11 {
                    Plural::One
                } else if (2..=4).contains(&d) && !(12..=14).contains(&h) {
                    Plural::Few
                } else {
                    Plural::Many
                }
            }
        }
    }

    fn catalog(self) -> &'static HashMap<String, Value> {
        static CATALOGS: OnceLock<HashMap<Locale, HashMap<String, Value>>> = OnceLock::new();
        static EMPTY: OnceLock<HashMap<String, Value>> = OnceLock::new();
        let all = CATALOGS.get_or_init(|| {
            let sources = [
                (Self::En, include_str!("../locales/en.json")),
                (Self::Sv, include_str!("../locales/sv.json")),
                (Self::Cs, include_str!("../locales/cs.json")),
                (Self::Ru, include_str!("../locales/ru.json")),
                (Self::PtBr, include_str!("../locales/pt-BR.json")),
            ];
            sources
                .into_iter()
                .map(|(l, text)| (l, serde_json::from_str(text).unwrap_or_default()))
                .collect()
        });
        all.get(&self).unwrap_or_else(|| EMPTY.get_or_init(HashMap::new))
    }

    /// The message `key` in this language (English when missing), with `{name}` placeholders
    /// filled from `params` and the plural form chosen by `params.count`.
    pub fn render(self, key: &str, params: &Value) -> String {
        let entry = self.catalog().get(key).or_else(|| Self::En.catalog().get(key));
        let template = match entry {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(forms)) => {
                let n = params.get("count").and_then(Value::as_u64).unwrap_or(0);
                let form = self.plural(n).key();
                forms
                    .get(form)
                    .or_else(|| forms.get("other"))
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_owned()
            }
            _ => return key.to_owned(),
        };
        fill(&template, params)
    }

    /// A single message without parameters.
    pub fn text(self, key: &str) -> String {
        self.render(key, &Value::Null)
    }
}

/// The text of a history entry the server wrote (`kind` with its parameters), for a reader of
/// `locale`. Codes among the parameters (a contact kind, a party role, changed fields) are
/// translated too. Unknown kinds are shown as their code.
pub fn event_text(locale: Locale, kind: &str, params: &Value) -> String {
    let mut p = params.clone();
    let translate = |p: &mut Value, name: &str, prefix: &str| {
        if let Some(code) = p.get(name).and_then(Value::as_str).map(str::to_owned) {
            p[name] = Value::String(locale.text(&format!("{prefix}.{code}")));
        }
    };
    translate(&mut p, "kind", "kind");
    translate(&mut p, "role", "role");
    let key = match kind {
        "created" => "event.created",
        "imported" => "event.imported",
        "updated" => {
            let fields: Vec<String> = params
                .get("fields")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|f| locale.text(&format!("field.{f}")))
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                "event.updated_nothing"
            } else {
                p["fields"] = Value::String(fields.join(", "));
                "event.updated"
            }
        }
        "handover" if params.get("message").is_some_and(|m| m.is_string()) => "event.handover_message",
        "handover" => "event.handover",
        "party_added" => "event.party_added",
        "party_removed" => "event.party_removed",
        "demand_created" if params.get("area").is_some_and(|a| a.is_string()) => "event.demand_created_area",
        "demand_created" => "event.demand_created",
        "lead_received" if params.get("message").is_some_and(|m| m.is_string()) => "event.lead_received_message",
        "lead_received" => "event.lead_received",
        "tip_sent" if params.get("note").is_some_and(|n| n.is_string()) => "event.tip_sent_note",
        "tip_sent" => "event.tip_sent",
        "lead_decided" | "tip_decided" => {
            translate(&mut p, "status", "lead_status");
            match (kind, params.get("reason").is_some_and(|r| r.is_string())) {
                ("tip_decided", true) => "event.tip_decided_reason",
                ("tip_decided", false) => "event.tip_decided",
                (_, true) => "event.lead_decided_reason",
                (_, false) => "event.lead_decided",
            }
        }
        "lead_claimed" => "event.lead_claimed",
        "viewing" => match params.get("status").and_then(Value::as_str) {
            Some("attended") => "event.viewing_attended",
            Some("no_show") => "event.viewing_no_show",
            _ => "event.viewing_booked",
        },
        "bid" => match params.get("status").and_then(Value::as_str) {
            Some("accepted") => "event.bid_accepted",
            Some("rejected") => "event.bid_rejected",
            Some("withdrawn") => "event.bid_withdrawn",
            _ => "event.bid_placed",
        },
        "meeting" => match (
            params.get("status").and_then(Value::as_str),
            params.get("outcome").and_then(Value::as_str),
            params.get("by").and_then(Value::as_str),
        ) {
            (Some("held"), Some("assignment"), _) => "event.meeting_assignment",
            (Some("held"), _, _) => "event.meeting_no_assignment",
            (Some("cancelled"), _, Some("client")) => "event.meeting_cancelled_client",
            (Some("cancelled"), _, _) => "event.meeting_cancelled_broker",
            _ => "event.meeting_booked",
        },
        "callback" if params.get("with").is_some_and(|w| w.is_string()) => "event.callback",
        "callback" => "event.callback_office",
        "unsubscribed" => "event.unsubscribed",
        "redistributed" => "event.redistributed",
        "call" => {
            translate(&mut p, "outcome", "outcome");
            if let Some(reason) = params.get("reason").and_then(Value::as_str) {
                let stage = params.get("stage").and_then(Value::as_str).unwrap_or_default();
                p["stage"] = Value::String(format!("{stage} ({reason})"));
            }
            match (
                params.get("outcome").and_then(Value::as_str),
                params.get("comment").is_some_and(|c| c.is_string()),
            ) {
                (Some("no_answer"), _) => "event.call_no_answer",
                (_, true) => "event.call_comment",
                (_, false) => "event.call",
            }
        }
        "card_reopened" => "event.card_reopened",
        "tagged" => "event.tagged",
        "untagged" => "event.untagged",
        "deal" => match params.get("status").and_then(Value::as_str) {
            Some("approved") => "event.deal_approved",
            Some("rejected") => "event.deal_rejected",
            _ => "event.deal_proposed",
        },
        "call_in" => "event.call_in",
        "message" => match params.get("channel").and_then(Value::as_str) {
            Some("sms") => "event.message_sms",
            _ => "event.message_email",
        },
        "newsletter" => "event.newsletter",
        other => return other.to_owned(),
    };
    locale.render(key, &p)
}

/// Replaces `{name}` with `params.name` (strings as they are, numbers and booleans written out).
fn fill(template: &str, params: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match params.get(name) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Null) | None => {}
                    Some(other) => out.push_str(&other.to_string()),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plural_rules() {
        let ru: Vec<Plural> = [1, 2, 5, 11, 21, 22, 25, 111, 112].iter().map(|&n| Locale::Ru.plural(n)).collect();
        use Plural::*;
        assert_eq!(ru, [One, Few, Many, Many, One, Few, Many, Many, Many]);
        let cs: Vec<Plural> = [1, 2, 4, 5, 0].iter().map(|&n| Locale::Cs.plural(n)).collect();
        assert_eq!(cs, [One, Few, Few, Other, Other]);
        assert_eq!(Locale::PtBr.plural(0), One);
        assert_eq!(Locale::En.plural(0), Other);
    }

    #[test]
    fn tags_and_countries() {
        assert_eq!(Locale::parse("sv"), Some(Locale::Sv));
        assert_eq!(Locale::parse("PT_br"), Some(Locale::PtBr));
        assert_eq!(Locale::parse("de-DE"), None);
        assert_eq!(Locale::for_country("CZ").tag(), "cs-CZ");
        assert_eq!(Locale::for_country("NO"), Locale::En);
    }

    #[test]
    fn every_catalog_has_every_english_key_with_its_placeholders() {
        let english = Locale::En.catalog();
        assert!(!english.is_empty());
        for locale in Locale::ALL {
            let own = locale.catalog();
            for (key, value) in english {
                let theirs = own.get(key).unwrap_or_else(|| panic!("{} lacks {key}", locale.tag()));
                let holes = |v: &Value| -> Vec<String> {
                    let mut names: Vec<String> = v
                        .to_string()
                        .split('{')
                        .skip(1)
                        .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                        .filter(|n| !n.contains('"'))
                        .collect();
                    names.sort();
                    names.dedup();
                    names
                };
                assert_eq!(holes(value), holes(theirs), "{} {key}", locale.tag());
                if let Value::Object(forms) = theirs {
                    for n in 0..200 {
                        let form = locale.plural(n).key();
                        assert!(forms.contains_key(form), "{} {key} lacks the {form} form", locale.tag());
                    }
                }
            }
        }
    }

    #[test]
    fn events_read_in_each_language() {
        let p = json!({"kind": "standard"});
        assert_eq!(event_text(Locale::En, "created", &p), "Contact created (standard contact)");
        assert_eq!(event_text(Locale::Sv, "created", &p), "Kontakt skapad (standardkontakt)");
        let u = json!({"fields": ["phones", "name"]});
        assert_eq!(event_text(Locale::Cs, "updated", &u), "Změněno: telefony, jméno");
        assert_eq!(event_text(Locale::PtBr, "updated", &json!({"fields": []})), "Dados atualizados");
        let h = json!({"from": "Anna", "to": "Erik", "message": "Ring!"});
        assert_eq!(event_text(Locale::Ru, "handover", &h), "Передан от Anna к Erik: Ring!");
        let call = json!({"outcome": "no_answer", "calls": 3, "stage": "Нецелевые", "reason": "Не дозвониться"});
        assert_eq!(
            event_text(Locale::Ru, "call", &call),
            "Звонок без ответа (3-й): Нецелевые (Не дозвониться)"
        );
        let call = json!({"outcome": "postponed", "calls": 1, "stage": "Postponed", "comment": "Money on deposit"});
        assert_eq!(
            event_text(Locale::En, "call", &call),
            "Called, postponed: Postponed. Money on deposit"
        );
    }

    #[test]
    fn renders_with_parameters_and_plurals() {
        let p = json!({"from": "Anna", "to": "Erik"});
        assert_eq!(Locale::En.render("event.handover", &p), "Handed over from Anna to Erik");
        let ru = |n: u64| Locale::Ru.render("task.import_done", &json!({"count": n, "file": "a.csv"}));
        assert_eq!(ru(1), "Из a.csv импортирован 1 контакт");
        assert_eq!(ru(3), "Из a.csv импортировано 3 контакта");
        assert_eq!(ru(11), "Из a.csv импортировано 11 контактов");
        assert_eq!(ru(21), "Из a.csv импортирован 21 контакт");
        assert_eq!(
            Locale::Cs.render("task.import_done", &json!({"count": 4, "file": "a.csv"})),
            "Z a.csv byly importovány 4 kontakty"
        );
        assert_eq!(Locale::En.render("no.such.key", &p), "no.such.key");
    }
}
