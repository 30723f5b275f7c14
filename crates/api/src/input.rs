//! Bounded, checked input. Every JSON body goes through [`Valid`]: it is read up to the size
//! limit, parsed, swept for control characters and oversized strings or arrays (whatever its
//! type), deserialised with the path of a wrong field, and then checked field by field against
//! [`crm_domain::limits`]. Query strings go through [`ValidQuery`] the same way. Every refusal
//! is a 4xx naming the field; nothing reaches the database unchecked.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use crm_domain::limits::{self, has_control_characters};
use crm_types as t;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;

/// Collects field problems.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<t::FieldError>,
}

impl Checker {
    pub fn add(&mut self, field: &str, code: &str, message: String) {
        self.errors.push(t::FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message,
        });
    }

    /// A text of at most `max` characters, without control characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, "too_long", format!("{field} has at most {max} characters"));
        } else if has_control_characters(value) {
            self.add(
                field,
                "invalid_characters",
                format!("{field} holds control characters (such as NUL)"),
            );
        }
    }

    pub fn opt(&mut self, field: &str, value: &Option<String>, max: usize) {
        if let Some(v) = value {
            self.text(field, v, max);
        }
    }

    /// A list of at most `max` texts, each of at most `each` characters.
    pub fn texts(&mut self, field: &str, values: &[String], max: usize, each: usize) {
        if values.len() > max {
            self.add(field, "too_many", format!("{field} has at most {max} entries"));
            return;
        }
        for (i, v) in values.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), v, each);
        }
    }

    /// A list of at most `max` entries.
    pub fn count<T>(&mut self, field: &str, values: &[T], max: usize) {
        if values.len() > max {
            self.add(field, "too_many", format!("{field} has at most {max} entries"));
        }
    }

    /// A number within a range.
    pub fn range<N: PartialOrd + std::fmt::Display + Copy>(&mut self, field: &str, value: Option<N>, min: N, max: N) {
        if let Some(v) = value
            && (v < min || v > max)
        {
            self.add(field, "out_of_range", format!("{field} must be between {min} and {max}"));
        }
    }

    /// The problems found, as one 422 naming the fields.
    pub fn finish(self) -> Result<(), ApiError> {
        self.into_error(true)
    }

    fn into_error(self, status_422: bool) -> Result<(), ApiError> {
        let Some(first) = self.errors.first() else {
            return Ok(());
        };
        let message = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        let body = t::ApiError {
            code: if self.errors.len() == 1 {
                first.code.clone()
            } else {
                "validation_failed".to_owned()
            },
            message,
            field: Some(first.field.clone()),
            errors: self.errors,
        };
        Err(if status_422 {
            ApiError::Unprocessable(body)
        } else {
            ApiError::BadRequest(body)
        })
    }
}

/// Field-by-field limits of a request type.
pub trait Check {
    fn check(&self, c: &mut Checker);
}

/// Sweeps any JSON for what no field accepts: control characters, strings or arrays beyond
/// the safety-net limits, deep nesting.
fn sweep(value: &Value, path: &mut String, depth: usize, c: &mut Checker) -> Result<(), ApiError> {
    if depth > 32 {
        return Err(ApiError::bad_request("invalid_json", None, "the JSON is nested too deeply"));
    }
    match value {
        Value::String(s) => c.text(if path.is_empty() { "body" } else { path }, s, limits::ANY_TEXT),
        Value::Array(items) => {
            // GeoJSON coordinates (focus areas drawn on a map or imported) run to thousands.
            let max = if path.contains("coordinates") {
                crm_domain::focus::MAX_POSITIONS
            } else {
                limits::ANY_LIST
            };
            if items.len() > max {
                c.count(path, items, max);
                return Ok(());
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                sweep(item, path, depth + 1, c)?;
                path.truncate(len);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // Keys are client text too.
                path.push_str(&k.chars().take(64).collect::<String>());
                if has_control_characters(k) || k.chars().count() > 64 {
                    return Err(ApiError::bad_request("invalid_json", None, "a field name is not acceptable"));
                }
                sweep(v, path, depth + 1, c)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Sweeps JSON read some other way (a form post turned into JSON) like a body.
pub fn sweep_value(value: &Value) -> Result<(), ApiError> {
    let mut c = Checker::default();
    sweep(value, &mut String::new(), 0, &mut c)?;
    c.into_error(true)
}

/// Parses and checks a JSON body (see the module documentation).
pub fn parse_body<T: DeserializeOwned + Check>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", None, format!("the body is not valid JSON: {e}")))?;
    let mut c = Checker::default();
    sweep(&value, &mut String::new(), 0, &mut c)?;
    c.into_error(true)?;
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        ApiError::bad_request("invalid_json", field.as_deref(), e.inner().to_string())
    })?;
    let mut c = Checker::default();
    parsed.check(&mut c);
    c.into_error(true)?;
    Ok(parsed)
}

/// A checked JSON body.
#[derive(Debug)]
pub struct Valid<T>(pub T);

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Valid<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Check + 'static> FromRequest for Valid<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<AppState>>().map(|s| s.max_body_bytes).unwrap_or(1 << 20);
        let json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let essence = v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                essence == "application/json" || essence.ends_with("+json")
            });
        let mut payload = payload.take();
        Box::pin(async move {
            if json == Some(false) {
                return Err(ApiError::UnsupportedMediaType);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", None, e.to_string()))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse_body(&body).map(Valid)
        })
    }
}

/// A checked query string.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T> Deref for ValidQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Check + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready((|| {
            let query = req.query_string();
            if query.len() > 4096 {
                return Err(ApiError::bad_request("invalid_query", None, "the query string is too long"));
            }
            let parsed: T = serde_urlencoded::from_str(query)
                .map_err(|e| ApiError::bad_request("invalid_query", None, format!("the query is not valid: {e}")))?;
            let mut c = Checker::default();
            parsed.check(&mut c);
            c.into_error(false)?;
            Ok(ValidQuery(parsed))
        })())
    }
}

impl Check for t::LoginRequest {
    fn check(&self, c: &mut Checker) {
        c.text("email", &self.email, limits::EMAIL);
        c.text("password", &self.password, limits::PASSWORD);
    }
}

impl Check for t::RefreshRequest {
    fn check(&self, c: &mut Checker) {
        c.text("refresh_token", &self.refresh_token, limits::TOKEN);
    }
}

impl Check for t::PasswordChange {
    fn check(&self, c: &mut Checker) {
        c.text("current_password", &self.current_password, limits::PASSWORD);
        c.text("new_password", &self.new_password, limits::PASSWORD);
    }
}

impl Check for t::MySettings {
    fn check(&self, c: &mut Checker) {
        c.opt("locale", &self.locale, limits::CODE);
        c.opt("time_zone", &self.time_zone, limits::CODE * 3);
    }
}

impl Check for t::ContactWrite {
    fn check(&self, c: &mut Checker) {
        c.text("kind", &self.kind, limits::CODE);
        c.opt("first_name", &self.first_name, limits::NAME);
        c.opt("last_name", &self.last_name, limits::NAME);
        c.opt("agency_name", &self.agency_name, limits::NAME);
        c.texts("phones", &self.phones, limits::CHANNELS, limits::PHONE);
        c.texts("emails", &self.emails, limits::CHANNELS, limits::EMAIL);
        c.opt("street", &self.street, limits::STREET);
        c.opt("city", &self.city, limits::PLACE);
        c.opt("postal_code", &self.postal_code, limits::POSTAL_CODE);
        c.opt("country", &self.country, limits::CODE);
        c.range("lat", self.lat, -90.0, 90.0);
        c.range("lon", self.lon, -180.0, 180.0);
    }
}

impl Check for t::NoteWrite {
    fn check(&self, c: &mut Checker) {
        c.text("body", &self.body, limits::NOTE);
    }
}

impl Check for t::HandoverRequest {
    fn check(&self, c: &mut Checker) {
        c.opt("message", &self.message, limits::MESSAGE);
    }
}

impl Check for t::PropertyWrite {
    fn check(&self, c: &mut Checker) {
        c.opt("reference", &self.reference, limits::REFERENCE);
        c.text("kind", &self.kind, limits::CODE);
        c.text("status", &self.status, limits::CODE);
        c.text("street", &self.street, limits::STREET);
        c.text("city", &self.city, limits::PLACE);
        c.opt("postal_code", &self.postal_code, limits::POSTAL_CODE);
        c.opt("country", &self.country, limits::CODE);
        c.range("lat", self.lat, -90.0, 90.0);
        c.range("lon", self.lon, -180.0, 180.0);
        c.range("price", self.price, 0, 1_000_000_000_000_000);
        c.range("living_area", self.living_area, 0.0, 1_000_000.0);
        c.range("rooms", self.rooms, 0.0, 10_000.0);
        c.range("bedrooms", self.bedrooms, 0, 10_000);
        c.range("parking_spaces", self.parking_spaces, 0, 100_000);
        c.opt("neighbourhood", &self.neighbourhood, limits::PLACE);
        c.opt("condominium", &self.condominium, limits::CONDOMINIUM);
        c.opt("contract_date", &self.contract_date, limits::CODE);
        c.opt("access_date", &self.access_date, limits::CODE);
    }
}

impl Check for t::ViewingWrite {
    fn check(&self, c: &mut Checker) {
        c.text("starts_at", &self.starts_at, limits::CODE * 2);
        c.opt("ends_at", &self.ends_at, limits::CODE * 2);
        c.opt("note", &self.note, limits::MESSAGE);
        c.count("participants", &self.participants, 200);
    }
}

impl Check for t::AttendanceWrite {
    fn check(&self, c: &mut Checker) {
        c.text("status", &self.status, limits::CODE);
    }
}

impl Check for t::BidWrite {
    fn check(&self, c: &mut Checker) {
        c.range("amount", Some(self.amount), 1, 1_000_000_000_000_000);
        c.opt("placed_at", &self.placed_at, limits::CODE * 2);
        c.opt("note", &self.note, limits::MESSAGE);
    }
}

impl Check for t::BidDecision {
    fn check(&self, c: &mut Checker) {
        c.text("status", &self.status, limits::CODE);
    }
}

impl Check for t::MeetingWrite {
    fn check(&self, c: &mut Checker) {
        c.text("starts_at", &self.starts_at, limits::CODE * 2);
        c.opt("ends_at", &self.ends_at, limits::CODE * 2);
        c.opt("place", &self.place, limits::STREET);
        c.opt("note", &self.note, limits::MESSAGE);
        c.opt("confirmation", &self.confirmation, limits::CODE);
        if let Some(p) = &self.new_property {
            p.check(c);
        }
    }
}

impl Check for t::MeetingChange {
    fn check(&self, c: &mut Checker) {
        c.text("status", &self.status, limits::CODE);
        c.opt("outcome", &self.outcome, limits::CODE);
        c.opt("cancelled_by", &self.cancelled_by, limits::CODE);
        c.opt("reason", &self.reason, limits::MESSAGE);
    }
}

impl Check for t::CompanySettings {
    fn check(&self, c: &mut Checker) {
        c.text("time_zone", &self.time_zone, limits::CODE * 3);
    }
}

impl Check for t::NotificationsRead {
    fn check(&self, c: &mut Checker) {
        c.count("ids", &self.ids, 200);
    }
}

impl Check for t::NoticeSettings {
    fn check(&self, c: &mut Checker) {
        c.count("kinds", &self.kinds, 20);
        for (i, k) in self.kinds.iter().enumerate() {
            c.text(&format!("kinds[{i}].kind"), &k.kind, limits::CODE);
        }
        c.opt("phone", &self.phone, limits::PHONE);
    }
}

impl Check for t::CallbackWrite {
    fn check(&self, c: &mut Checker) {
        c.text("date", &self.date, limits::CODE);
        c.opt("time", &self.time, limits::CODE);
        c.opt("note", &self.note, limits::MESSAGE);
    }
}

impl Check for t::CallWrite {
    fn check(&self, c: &mut Checker) {
        c.text("outcome", &self.outcome, limits::CODE);
        c.opt("comment", &self.comment, limits::MESSAGE);
        c.opt("until", &self.until, limits::CODE);
    }
}

impl Check for t::ContactTags {
    fn check(&self, c: &mut Checker) {
        c.texts(
            "tags",
            &self.tags,
            crm_domain::calls::MAX_CONTACT_TAGS,
            crm_domain::calls::MAX_TAG_CODE,
        );
    }
}

impl Check for t::DealDecision {
    fn check(&self, c: &mut Checker) {
        c.opt("note", &self.note, limits::MESSAGE);
    }
}

impl Check for t::CallSettings {
    fn check(&self, c: &mut Checker) {
        let label = crm_domain::calls::MAX_LABEL * 4;
        c.count("stages", &self.stages, 20);
        c.count("reasons", &self.reasons, 20);
        c.count("tags", &self.tags, crm_domain::calls::MAX_TAGS);
        c.count("outcomes", &self.outcomes, 20);
        for (name, list) in [("stages", &self.stages), ("reasons", &self.reasons), ("outcomes", &self.outcomes)] {
            for (i, l) in list.iter().enumerate() {
                c.text(&format!("{name}[{i}].code"), &l.code, limits::CODE * 2);
                c.text(&format!("{name}[{i}].label"), &l.label, label);
            }
        }
        for (i, t) in self.tags.iter().enumerate() {
            c.text(&format!("tags[{i}].code"), &t.code, crm_domain::calls::MAX_TAG_CODE);
            c.text(&format!("tags[{i}].label"), &t.label, label);
        }
    }
}

impl Check for t::ContactSelection {
    fn check(&self, c: &mut Checker) {
        crate::routes::check_selection(c, "", self);
    }
}

impl Check for t::CallListWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, crm_store::call_lists::MAX_NAME);
        c.text("instructions", &self.instructions, crm_store::call_lists::MAX_INSTRUCTIONS);
        if let Some(n) = &self.nightly {
            crate::routes::check_selection(c, "nightly.", n);
        }
    }
}

impl Check for t::IncomingCall {
    fn check(&self, c: &mut Checker) {
        c.text("from", &self.from, limits::PHONE);
        c.opt("extension", &self.extension, limits::CODE);
        c.opt("email", &self.email, limits::EMAIL);
    }
}

impl Check for t::UserExtension {
    fn check(&self, c: &mut Checker) {
        c.opt("extension", &self.extension, limits::CODE);
    }
}

impl Check for t::PartyWrite {
    fn check(&self, c: &mut Checker) {
        c.text("role", &self.role, limits::CODE);
    }
}

impl Check for t::DemandWrite {
    fn check(&self, c: &mut Checker) {
        c.opt("kind", &self.kind, limits::CODE);
        c.range("min_price", self.min_price, 0, 1_000_000_000_000_000);
        c.range("max_price", self.max_price, 0, 1_000_000_000_000_000);
        c.range("min_rooms", self.min_rooms, 0.0, 10_000.0);
        c.opt("area", &self.area, limits::AREA);
        c.opt("note", &self.note, limits::NOTE);
    }
}

impl Check for t::OfficeWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
    }
}

impl Check for t::UserWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
        c.text("email", &self.email, limits::EMAIL);
        c.opt("password", &self.password, limits::PASSWORD);
        c.text("role", &self.role, limits::CODE);
        c.text("permissions.offer_scope", &self.permissions.offer_scope, limits::CODE);
        c.text("permissions.demand_scope", &self.permissions.demand_scope, limits::CODE);
        c.opt("locale", &self.locale, limits::CODE);
    }
}

impl Check for t::GroupWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
        c.count("member_ids", &self.member_ids, limits::MEMBERS);
    }
}

impl Check for t::ApiKeyWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
    }
}

impl Check for t::LeadSourceWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
        c.text("workflow", &self.workflow, limits::CODE);
        c.texts("allowed_origins", &self.allowed_origins, 20, 200);
        c.opt("thank_you_url", &self.thank_you_url, 500);
    }
}

impl Check for t::AcceptRequest {
    fn check(&self, c: &mut Checker) {
        if let Some(p) = &self.new_property {
            let mut inner = Checker::default();
            p.check(&mut inner);
            for e in inner.errors {
                c.add(&format!("new_property.{}", e.field), &e.code, e.message);
            }
        }
    }
}

impl Check for t::OfficeRouting {
    fn check(&self, c: &mut Checker) {
        let max = crm_domain::leads::MAX_REDISTRIBUTION_HOURS;
        c.range("tips_hours", self.tips_hours, 0, max);
        c.range("accept_leads_hours", self.accept_leads_hours, 0, max);
        c.range("contact_leads_hours", self.contact_leads_hours, 0, max);
    }
}

impl Check for t::TipWrite {
    fn check(&self, c: &mut Checker) {
        c.opt("note", &self.note, limits::MESSAGE);
    }
}

impl Check for t::DeclineRequest {
    fn check(&self, c: &mut Checker) {
        c.text("reason", &self.reason, limits::MESSAGE);
    }
}

impl Check for t::FocusAreaWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, limits::NAME);
    }
}

/// Bodies that carry nothing (`{}`) are accepted as they are.
impl Check for Value {
    fn check(&self, _: &mut Checker) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_control_characters_anywhere_naming_the_field() {
        let e = parse_body::<t::LoginRequest>(br#"{"email": "a\u0000@x.se", "password": "p"}"#).unwrap_err();
        match e {
            ApiError::Unprocessable(b) => assert_eq!((b.code.as_str(), b.field.as_deref()), ("invalid_characters", Some("email"))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_long_names_and_many_phones() {
        let long = "x".repeat(limits::NAME + 1);
        let body = serde_json::json!({"kind": "draft", "last_name": long, "phones": vec!["1"; 11]}).to_string();
        match parse_body::<t::ContactWrite>(body.as_bytes()).unwrap_err() {
            ApiError::Unprocessable(b) => {
                let fields: Vec<&str> = b.errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["last_name", "phones"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_the_field_of_a_wrong_type() {
        match parse_body::<t::ContactWrite>(br#"{"kind": "draft", "phones": [1]}"#).unwrap_err() {
            ApiError::BadRequest(b) => assert_eq!((b.code.as_str(), b.field.as_deref()), ("invalid_json", Some("phones[0]"))),
            other => panic!("{other:?}"),
        }
    }
}
