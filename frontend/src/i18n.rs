//! Translations and locale-aware formatting. Messages live in `locales/<language>.json`: a key
//! maps to a text with `{name}` placeholders, or to its plural forms (`one`, `few`, `many`,
//! `other`), chosen by the browser's CLDR plural rules for the user's language (Russian
//! one/few/many, Czech one/few/other, …). A missing message falls back to English, then to its
//! key. Dates, numbers and money are formatted by the browser's `Intl` for the user's locale.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde_json::Value;
use wasm_bindgen::JsValue;

/// The app's languages: tag, name in its own language, catalog.
pub const LANGUAGES: [(&str, &str); 5] = [
    ("en-GB", "English"),
    ("sv-SE", "Svenska"),
    ("cs-CZ", "Čeština"),
    ("ru-RU", "Русский"),
    ("pt-BR", "Português (Brasil)"),
];

fn source(lang: &str) -> &'static str {
    match lang {
        "sv" => include_str!("../locales/sv.json"),
        "cs" => include_str!("../locales/cs.json"),
        "ru" => include_str!("../locales/ru.json"),
        "pt" => include_str!("../locales/pt-BR.json"),
        _ => include_str!("../locales/en.json"),
    }
}

fn catalog(lang: &str) -> &'static HashMap<String, Value> {
    static CATALOGS: OnceLock<HashMap<&'static str, HashMap<String, Value>>> = OnceLock::new();
    let all = CATALOGS.get_or_init(|| {
        ["en", "sv", "cs", "ru", "pt"]
            .into_iter()
            .map(|l| (l, serde_json::from_str(source(l)).unwrap_or_default()))
            .collect()
    });
    all.get(lang)
        .or_else(|| all.get("en"))
        .unwrap_or_else(|| unreachable!("English is always there"))
}

thread_local! {
    /// The user's locale (BCP 47), e.g. `sv-SE`; the browser's until someone signs in.
    static LOCALE: RwSignal<String> = RwSignal::new(browser_locale());
}

fn browser_locale() -> String {
    let wanted = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    let lang = wanted.split('-').next().unwrap_or_default().to_lowercase();
    LANGUAGES
        .iter()
        .find(|(tag, _)| tag.starts_with(&lang))
        .map(|(tag, _)| (*tag).to_owned())
        .unwrap_or_else(|| "en-GB".to_owned())
}

fn locale_signal() -> RwSignal<String> {
    LOCALE.with(|l| *l)
}

/// Creates the locale signal; call once from the app's root.
pub fn init() {
    let l = locale_signal();
    set_document_language(&l.get_untracked());
}

fn set_document_language(locale: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document())
        && let Some(html) = doc.document_element()
    {
        let _ = html.set_attribute("lang", locale);
    }
}

pub fn set_locale(locale: &str) {
    set_document_language(locale);
    locale_signal().set(locale.to_owned());
}

pub fn locale() -> String {
    locale_signal().get()
}

fn lang(locale: &str) -> &str {
    locale.split('-').next().unwrap_or("en")
}

fn lookup(key: &str) -> Option<&'static Value> {
    let loc = locale();
    catalog(lang(&loc)).get(key).or_else(|| catalog("en").get(key))
}

/// The message `key` in the user's language.
pub fn t(key: &str) -> String {
    match lookup(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(forms)) => forms.get("other").and_then(Value::as_str).unwrap_or(key).to_owned(),
        _ => key.to_owned(),
    }
}

fn fill(template: String, args: &[(&str, &str)]) -> String {
    args.iter().fold(template, |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

/// The message `key` with `{name}` placeholders filled.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    fill(t(key), args)
}

/// The CLDR plural category of `n` in the user's language (`one`, `few`, `many`, `other`).
pub fn plural_category(n: f64) -> String {
    let locales = js_sys::Array::of1(&JsValue::from_str(&locale()));
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    rules.select(n).as_string().unwrap_or_else(|| "other".to_owned())
}

/// The message `key` in the plural form for `n`, with `{n}` (formatted for the locale) and the
/// other placeholders filled.
pub fn tp(key: &str, n: u64, args: &[(&str, &str)]) -> String {
    let template = match lookup(key) {
        Some(Value::Object(forms)) => {
            let category = plural_category(n as f64);
            forms
                .get(&category)
                .or_else(|| forms.get("other"))
                .and_then(Value::as_str)
                .unwrap_or(key)
                .to_owned()
        }
        Some(Value::String(s)) => s.clone(),
        _ => key.to_owned(),
    };
    let count = number(n as f64);
    let mut all = vec![("n", count.as_str())];
    all.extend_from_slice(args);
    fill(template, &all)
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

thread_local! {
    /// The user's time zone (IANA); the browser's until someone signs in.
    static ZONE: RwSignal<Option<String>> = RwSignal::new(None);
}

/// Follows the signed-in user's time zone.
pub fn set_zone(zone: &str) {
    ZONE.with(|z| z.set(Some(zone.to_owned())));
}

fn with_zone<'a>(pairs: &[(&'a str, &'a str)], zone: &'a Option<String>) -> JsValue {
    let mut all = pairs.to_vec();
    if let Some(z) = zone {
        all.push(("timeZone", z.as_str()));
    }
    options(&all)
}

fn zone() -> Option<String> {
    ZONE.with(|z| z.get())
}

/// A date and time in the user's locale and time zone.
pub fn date_time(at: &DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let z = zone();
    d.to_locale_string(&locale(), &with_zone(&[("dateStyle", "medium"), ("timeStyle", "short")], &z))
        .into()
}

/// A date in the user's locale and time zone.
pub fn date(at: &DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let z = zone();
    d.to_locale_date_string(&locale(), &with_zone(&[("dateStyle", "medium")], &z))
        .into()
}

/// A time of day in the user's locale and time zone, e.g. `10:00`.
pub fn clock(at: &DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let z = zone();
    d.to_locale_time_string_with_options(&locale(), &with_zone(&[("timeStyle", "short")], &z))
        .into()
}

/// The wall-clock date and time of an instant in the user's time zone.
pub fn local(at: &DateTime<Utc>) -> chrono::NaiveDateTime {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    let z = zone();
    // Swedish formatting is ISO-like: `2026-12-01 10:00:00`.
    let text: String = d.to_locale_string("sv-SE", &with_zone(&[("hourCycle", "h23")], &z)).into();
    chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|_| at.naive_utc())
}

/// Today in the user's time zone.
pub fn today() -> chrono::NaiveDate {
    local(&now()).date()
}

/// The current instant, by the browser's clock.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

/// A month and its year in the user's locale, e.g. `november 2026`.
pub fn month_title(first: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let d = js_sys::Date::new_with_year_month_day(first.year() as u32, first.month0() as i32, 1);
    d.to_locale_date_string(&locale(), &options(&[("month", "long"), ("year", "numeric")]))
        .into()
}

/// A weekday's short name in the user's locale, e.g. `mån`.
pub fn weekday_short(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let d = js_sys::Date::new_with_year_month_day(day.year() as u32, day.month0() as i32, day.day() as i32);
    d.to_locale_date_string(&locale(), &options(&[("weekday", "short")])).into()
}

/// An amount of money in the user's locale, e.g. `3 450 000 kr`.
pub fn money(amount: i64, currency: &str) -> String {
    let locales = js_sys::Array::of1(&JsValue::from_str(&locale()));
    let opts = options(&[("style", "currency"), ("currency", currency), ("maximumFractionDigits", "0")]);
    let f = js_sys::Intl::NumberFormat::new(&locales, &opts.into());
    f.format()
        .call1(&JsValue::NULL, &JsValue::from_f64(amount as f64))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| format!("{amount} {currency}"))
}

/// A number in the user's locale.
pub fn number(value: f64) -> String {
    js_sys::Number::from(value).to_locale_string(&locale()).into()
}
