//! Translations and locale-aware formatting. Messages live in `locales/<language>.json`; a
//! missing message falls back to English, then to its key. Dates, numbers and money are
//! formatted by the browser's `Intl` for the user's locale.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

const EN: &str = include_str!("../locales/en.json");
const SV: &str = include_str!("../locales/sv.json");

fn catalog(source: &'static str) -> HashMap<String, String> {
    serde_json::from_str(source).unwrap_or_default()
}

fn english() -> &'static HashMap<String, String> {
    static EN_MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    EN_MAP.get_or_init(|| catalog(EN))
}

fn swedish() -> &'static HashMap<String, String> {
    static SV_MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    SV_MAP.get_or_init(|| catalog(SV))
}

thread_local! {
    /// The user's locale (BCP 47), e.g. `sv-SE`; English until someone signs in.
    static LOCALE: RwSignal<String> = RwSignal::new("en-GB".to_owned());
}

fn locale_signal() -> RwSignal<String> {
    LOCALE.with(|l| *l)
}

/// Creates the locale signal; call once from the app's root.
pub fn init() {
    locale_signal();
}

pub fn set_locale(locale: &str) {
    locale_signal().set(locale.to_owned());
}

pub fn locale() -> String {
    locale_signal().get()
}

/// The message `key` in the user's language.
pub fn t(key: &str) -> String {
    let loc = locale();
    let lang = loc.split('-').next().unwrap_or("en");
    let own = match lang {
        "sv" => swedish().get(key),
        _ => None,
    };
    own.or_else(|| english().get(key)).cloned().unwrap_or_else(|| key.to_owned())
}

/// The message `key` with `{name}` placeholders filled.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(key), |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o.into()
}

/// A date and time in the user's locale.
pub fn date_time(at: &DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    d.to_locale_string(&locale(), &options(&[("dateStyle", "medium"), ("timeStyle", "short")]))
        .into()
}

/// A date in the user's locale.
pub fn date(at: &DateTime<Utc>) -> String {
    let d = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
    d.to_locale_date_string(&locale(), &options(&[("dateStyle", "medium")])).into()
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
