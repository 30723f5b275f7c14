//! Leads: lead sources (administrators), the public intake websites post their forms to, and
//! the inbox where a broker works leads and an office's shark tank waits to be claimed.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, options, post, put, web};
use crm_domain::contacts::{ContactData, ContactInput, GeoPoint};
use crm_domain::i18n::Locale;
use crm_domain::leads::{Assignee, Flow, Workflow};
use crm_domain::limits;
use crm_domain::routing::Reason;
use crm_domain::{ContactId, GroupId, OfficeId, PropertyId, UserId};
use crm_store::StoreError;
use crm_store::leads::{Act, Folder, Idempotency, IncomingLead, LeadSourceInput, ListingRef, Receipt, TipTarget};
use crm_types::OfficeRouting;
use crm_types::{
    AcceptRequest, ApiError as ErrorBody, DeclineRequest, InboxCounts, InboxItem, LeadReceipt, LeadSource, LeadSourceWrite, Slice, TipWrite,
};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::geocode::{Address, Geocode};
use crate::input::{Check, Checker, Valid, ValidQuery, sweep_value};
use crate::routes::{limit, reader};

/// The largest lead a website may post.
pub const MAX_LEAD_BYTES: usize = 64 * 1024;
/// Form fields beyond the known ones that are kept with a lead.
const MAX_EXTRA_FIELDS: usize = 30;
/// The honeypot: a field a form hides from people, which only robots fill in.
pub const HONEYPOT: &str = "website";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sources)
        .service(create_source)
        .service(update_source)
        .service(archive_source)
        .service(reactivate_source)
        .service(post_lead)
        .service(preflight)
        .service(inbox)
        .service(inbox_counts)
        .service(get_item)
        .service(accept)
        .service(decline)
        .service(contacted)
        .service(not_relevant)
        .service(claim)
        .service(send_tip)
        .service(get_routing)
        .service(put_routing);
}

fn source_view(s: crm_store::leads::LeadSource) -> LeadSource {
    LeadSource {
        id: s.id,
        name: s.name,
        workflow: s.workflow.as_str().to_owned(),
        key: s.key,
        allowed_origins: s.allowed_origins,
        thank_you_url: s.thank_you_url,
        archived: s.archived_at.is_some(),
        created_at: s.created_at,
    }
}

fn source_input(w: &LeadSourceWrite) -> ApiResult<LeadSourceInput> {
    let workflow = Workflow::parse(&w.workflow).ok_or_else(|| {
        ApiError::from(StoreError::invalid(
            "workflow",
            "invalid_workflow",
            "accept_or_decline, contact_or_dismiss or information_only",
        ))
    })?;
    Ok(LeadSourceInput {
        name: w.name.clone(),
        workflow,
        allowed_origins: w.allowed_origins.clone(),
        thank_you_url: w.thank_you_url.clone().filter(|u| !u.trim().is_empty()),
    })
}

/// The company's lead sources (administrators).
#[utoipa::path(tag = "leads", responses((status = 200, body = Vec<LeadSource>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/lead-sources")]
async fn sources(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<LeadSource>>> {
    auth.require_admin()?;
    Ok(web::Json(
        state
            .store
            .lead_sources(auth.company.id)
            .await?
            .into_iter()
            .map(source_view)
            .collect(),
    ))
}

/// Add a lead source (administrators). Its `key` goes into the website's form.
#[utoipa::path(tag = "leads", request_body = LeadSourceWrite, responses((status = 201, body = LeadSource), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/lead-sources")]
async fn create_source(state: web::Data<AppState>, auth: Auth, body: Valid<LeadSourceWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let saved = state.store.save_lead_source(auth.company.id, None, source_input(&body)?).await?;
    Ok(HttpResponse::Created().json(source_view(saved)))
}

/// Change a lead source (administrators); its key stays.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), request_body = LeadSourceWrite, responses((status = 200, body = LeadSource), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/lead-sources/{id}")]
async fn update_source(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<LeadSourceWrite>,
) -> ApiResult<web::Json<LeadSource>> {
    auth.require_admin()?;
    let saved = state
        .store
        .save_lead_source(auth.company.id, Some(*id), source_input(&body)?)
        .await?;
    Ok(web::Json(source_view(saved)))
}

/// Archive a lead source: its posts are refused until it is re-activated (administrators).
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = LeadSource), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/lead-sources/{id}/archive")]
async fn archive_source(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<LeadSource>> {
    auth.require_admin()?;
    Ok(web::Json(source_view(
        state.store.archive_lead_source(auth.company.id, *id, true).await?,
    )))
}

/// Re-activate an archived lead source (administrators).
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = LeadSource), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/lead-sources/{id}/reactivate")]
async fn reactivate_source(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<LeadSource>> {
    auth.require_admin()?;
    Ok(web::Json(source_view(
        state.store.archive_lead_source(auth.company.id, *id, false).await?,
    )))
}

/// A text field of the posted lead: trimmed, empty as none, within `max` characters.
fn text(fields: &Map<String, Value>, name: &'static str, max: usize, c: &mut Checker) -> Option<String> {
    let value = match fields.get(name)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Null => return None,
        _ => {
            c.add(name, "invalid_type", format!("{name} is text"));
            return None;
        }
    };
    c.text(name, &value, max);
    (!value.is_empty()).then_some(value)
}

/// A number field (a JSON number, or a form's text).
fn number(fields: &Map<String, Value>, name: &'static str, c: &mut Checker, min: f64, max: f64) -> Option<f64> {
    let n = match fields.get(name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s.trim().parse().ok(),
        Value::Null => return None,
        _ => None,
    };
    match n {
        Some(n) if n.is_finite() => {
            c.range(name, Some(n), min, max);
            Some(n)
        }
        _ => {
            c.add(name, "invalid_number", format!("{name} is a number"));
            None
        }
    }
}

const KNOWN: [&str; 17] = [
    "source_key",
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "message",
    "street",
    "city",
    "postal_code",
    "country",
    "lat",
    "lon",
    "listing_id",
    "listing_reference",
    HONEYPOT,
    "kind",
];

/// Reads the posted fields into a lead for a company of `country`.
fn read_lead(fields: &Map<String, Value>, country: crm_domain::contacts::Country) -> ApiResult<IncomingLead> {
    let mut c = Checker::default();
    let spam = text(fields, HONEYPOT, limits::ANY_TEXT, &mut c).is_some();
    let mut first_name = text(fields, "first_name", limits::NAME, &mut c);
    let mut last_name = text(fields, "last_name", limits::NAME, &mut c);
    if let Some(full) = text(fields, "name", limits::NAME, &mut c)
        && first_name.is_none()
        && last_name.is_none()
    {
        // "Anna Maria Berg": the last word is the family name.
        match full.rsplit_once(' ') {
            Some((first, last)) => {
                first_name = Some(first.trim().to_owned());
                last_name = Some(last.to_owned());
            }
            None => last_name = Some(full),
        }
    }
    let email = text(fields, "email", limits::EMAIL, &mut c);
    let phone = text(fields, "phone", limits::PHONE, &mut c);
    let message = text(fields, "message", limits::NOTE, &mut c);
    let street = text(fields, "street", limits::STREET, &mut c);
    let city = text(fields, "city", limits::PLACE, &mut c);
    let postal_code = text(fields, "postal_code", limits::POSTAL_CODE, &mut c);
    let lat = number(fields, "lat", &mut c, -90.0, 90.0);
    let lon = number(fields, "lon", &mut c, -180.0, 180.0);
    let listing_id = text(fields, "listing_id", 64, &mut c);
    let listing_reference = text(fields, "listing_reference", limits::REFERENCE, &mut c);
    let listing = match (listing_id.map(|l| Uuid::parse_str(&l)), listing_reference) {
        (Some(Ok(id)), _) => Some(ListingRef::Id(PropertyId(id))),
        (Some(Err(_)), _) => {
            c.add("listing_id", "invalid_id", "listing_id is the id of a listing".into());
            None
        }
        (None, Some(r)) => Some(ListingRef::Reference(r)),
        (None, None) => None,
    };
    let extra: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if extra.len() > MAX_EXTRA_FIELDS {
        c.count("fields", &extra.values().collect::<Vec<_>>(), MAX_EXTRA_FIELDS);
    }
    for (k, v) in &extra {
        if let Value::String(s) = v {
            c.text(k, s, limits::MESSAGE);
        }
    }
    if !spam {
        c.finish()?;
    }
    let point = lat.zip(lon).and_then(|(lat, lon)| GeoPoint::new(lat, lon));
    let data = if spam {
        None
    } else {
        let input = ContactInput {
            kind: Some(
                if last_name.is_some() && (phone.is_some() || email.is_some()) {
                    "standard"
                } else {
                    "draft"
                }
                .into(),
            ),
            first_name,
            last_name,
            phones: phone.into_iter().collect(),
            emails: email.into_iter().collect(),
            street,
            city,
            postal_code,
            lat: point.map(|p| p.lat),
            lon: point.map(|p| p.lon),
            ..Default::default()
        };
        Some(ContactData::parse(&input, country).map_err(StoreError::Contact)?)
    };
    Ok(IncomingLead {
        data,
        message,
        point,
        listing,
        spam,
        fields: Value::Object(extra),
        unlocated: None,
    })
}

/// Fills in where the client lives from the address, when the form gave no coordinate and a
/// geocoder is configured; a failed lookup is noted on the lead, which is routed without it.
async fn locate(state: &AppState, lead: &mut IncomingLead, country: crm_domain::contacts::Country) {
    let (Some(geocoder), Some(data), None) = (&state.geocoder, lead.data.as_mut(), lead.point) else {
        return;
    };
    let address = Address {
        street: data.street.clone(),
        postal_code: data.postal_code.clone(),
        city: data.city.clone(),
        country: Some(data.country.unwrap_or(country)),
    };
    if address.is_empty() {
        return;
    }
    match geocoder.locate(&address).await {
        Geocode::Found(point) => {
            data.location = Some(point);
            lead.point = Some(point);
        }
        other => lead.unlocated = other.flag(),
    }
}

fn receipt_view(r: &Receipt) -> LeadReceipt {
    LeadReceipt {
        lead_id: r.lead_id,
        contact_id: r.contact_id,
        new_contact: r.new_contact,
        status: r.status.as_str().to_owned(),
    }
}

/// CORS headers for an allowed origin.
fn allow_origin(resp: &mut HttpResponse, origin: Option<&str>) {
    if let Some(o) = origin
        && let Ok(v) = header::HeaderValue::from_str(o)
    {
        resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        resp.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Origin"));
    }
}

/// A thank-you page for a plain form post whose source has no thank-you address.
const THANKS: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Thank you</title></head><body><p>Thank you — we have received your message and will contact you soon.</p></body></html>";

/// Post a lead from a website form or a partner (no sign-in: the lead source's key identifies
/// it). Takes JSON or a plain HTML form post (`application/x-www-form-urlencoded`, answered with
/// a redirect to the source's thank-you address). Fields: `source_key` (or the
/// `X-Lead-Source-Key` header), `first_name`, `last_name` (or `name`), `email`, `phone`,
/// `message`, `street`, `city`, `postal_code`, `lat`, `lon`, `listing_id` or `listing_reference`
/// (the listing's reference as the website shows it); any other field is
/// kept with the lead. The person is found by phone or email (a second lead adds to the same
/// contact). `website` is a honeypot: forms hide it, and a lead that fills it in is kept as
/// spam. With an `Idempotency-Key` header, a repeated post gets the first answer and stores
/// nothing again. Answered only once the lead is stored.
#[utoipa::path(
    tag = "leads",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "At most 200 characters; the same key with another body is a 422"),
        ("X-Lead-Source-Key" = Option<String>, Header, description = "The lead source's key, when not sent as `source_key`")
    ),
    request_body(content = Object, content_type = "application/json", description = "The form's fields as a JSON object, or the same as application/x-www-form-urlencoded"),
    responses(
        (status = 201, body = LeadReceipt, description = "Stored (or, for a repeated idempotent post, stored before)"),
        (status = 303, description = "A form post, stored: on to the source's thank-you address"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody, description = "No such lead source"),
        (status = 403, body = ErrorBody, description = "The source is archived, or the page's origin is not allowed"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)
    )
)]
#[post("/public/leads")]
async fn post_lead(req: HttpRequest, state: web::Data<AppState>, mut payload: web::Payload) -> ApiResult<HttpResponse> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    let form = match content_type.as_str() {
        "application/json" => false,
        "application/x-www-form-urlencoded" => true,
        _ => return Err(ApiError::UnsupportedMediaType),
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", None, e.to_string()))?;
        if body.len() + chunk.len() > MAX_LEAD_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_LEAD_BYTES));
        }
        body.extend_from_slice(&chunk);
    }
    let value: Value = if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::bad_request("invalid_form", None, format!("the form is not valid: {e}")))?;
        Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_json", None, format!("the body is not valid JSON: {e}")))?
    };
    let Value::Object(fields) = &value else {
        return Err(ApiError::bad_request(
            "invalid_json",
            None,
            "the body is a JSON object of the form's fields",
        ));
    };
    sweep_value(&value)?;

    let key = req
        .headers()
        .get("X-Lead-Source-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| fields.get("source_key").and_then(Value::as_str).map(str::to_owned))
        .ok_or(ApiError::Unauthorized(
            "source_key_required",
            "send the lead source's key as source_key",
        ))?;
    if key.len() > limits::TOKEN {
        return Err(ApiError::Unauthorized("invalid_source_key", "no lead source has this key"));
    }
    let posting = match state.store.lead_source_by_key(&key).await {
        Ok(s) => s,
        Err(StoreError::NotFound(_)) => return Err(ApiError::Unauthorized("invalid_source_key", "no lead source has this key")),
        Err(e) => return Err(e.into()),
    };
    let source = &posting.source;
    if source.archived_at.is_some() {
        return Err(ApiError::refused(
            "source_archived",
            "this lead source is archived and takes no leads; ask the brokerage for its current form",
        ));
    }
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(o) = &origin
        && !source.allowed_origins.is_empty()
        && !source.allowed_origins.iter().any(|a| a.eq_ignore_ascii_case(o))
    {
        return Err(ApiError::refused(
            "origin_not_allowed",
            "this lead source takes no posts from this web page",
        ));
    }
    state.limits.lead_source.check(&source.id.to_string())?;
    let idempotency = match req.headers().get("Idempotency-Key") {
        Some(v) => {
            let key = v
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200 && !limits::has_control_characters(k))
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_idempotency_key", Some("Idempotency-Key"), "at most 200 visible characters")
                })?;
            let mut hash = Sha256::new();
            hash.update(content_type.as_bytes());
            hash.update([0]);
            hash.update(&body);
            let request_hash = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            Some(Idempotency {
                key: key.to_owned(),
                request_hash,
            })
        }
        None => None,
    };
    let country = posting.company.country;
    let mut lead = read_lead(fields, country)?;
    locate(&state, &mut lead, country).await;
    let receipt = state.store.receive_lead(&posting, lead, idempotency).await?;
    let mut resp = if form {
        match &source.thank_you_url {
            Some(url) => HttpResponse::SeeOther().insert_header((header::LOCATION, url.as_str())).finish(),
            None => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(THANKS),
        }
    } else {
        HttpResponse::Created().json(receipt_view(&receipt))
    };
    if !source.allowed_origins.is_empty() {
        allow_origin(&mut resp, origin.as_deref());
    }
    Ok(resp)
}

/// The browser's preflight before a page posts a lead from another origin. Whether the origin
/// may post is decided on the post itself, per lead source.
#[utoipa::path(tag = "leads", responses((status = 204, description = "Posting may proceed")))]
#[options("/public/leads")]
async fn preflight(req: HttpRequest) -> HttpResponse {
    let mut resp = HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            "content-type, idempotency-key, x-lead-source-key",
        ))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .finish();
    allow_origin(&mut resp, req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()));
    resp
}

/// Which inbox, and a page of it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    /// `mine` (default): items assigned to you; `tank`: open items waiting in your office's shark
    /// tank or your groups; `sent`: tips you sent, to see what became of them.
    #[serde(rename = "box")]
    which: Option<String>,
    /// Only items in this status (`open`, `accepted`, …), for `mine`.
    status: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

impl Check for InboxParams {
    fn check(&self, c: &mut Checker) {
        c.opt("box", &self.which, limits::CODE);
        c.opt("status", &self.status, limits::CODE);
        c.opt("cursor", &self.cursor, limits::CURSOR);
    }
}

async fn item_view(state: &AppState, auth: &Auth, items: Vec<crm_store::leads::InboxItem>) -> ApiResult<Vec<InboxItem>> {
    let locale = reader(auth);
    let dir = state.store.directory(auth.company.id).await?;
    let source_list = state.store.lead_sources(auth.company.id).await?;
    let contact_ids: Vec<_> = items.iter().filter_map(|i| i.contact_id).collect();
    let contacts = state.store.contact_names(auth.company.id, &contact_ids).await?;
    Ok(items
        .into_iter()
        .map(|i| InboxItem {
            id: i.id,
            kind: if i.flow == Flow::Tip { "tip" } else { "lead" }.into(),
            workflow: match i.flow {
                Flow::Tip => Workflow::AcceptOrDecline.as_str(),
                Flow::Lead(w) => w.as_str(),
            }
            .into(),
            status: i.status.as_str().into(),
            source_id: i.source_id,
            source_name: i
                .source_id
                .and_then(|s| source_list.iter().find(|x| x.id == s).map(|x| x.name.clone())),
            contact_id: i.contact_id.map(|c| c.0),
            contact_name: i.contact_id.and_then(|c| contacts.get(&c).cloned()),
            property_id: i.property_id.map(|p| p.0),
            linked_property_id: i.linked_property_id.map(|p| p.0),
            assignee_user_id: match i.assignee {
                Some(Assignee::User(u)) => Some(u.0),
                _ => None,
            },
            assignee_office_id: match i.assignee {
                Some(Assignee::Office(o)) => Some(o.0),
                Some(Assignee::User(u)) => dir.users.get(&u).map(|(_, o)| o.0),
                Some(Assignee::Group(_)) | None => None,
            },
            assignee_group_id: match i.assignee {
                Some(Assignee::Group(g)) => Some(g.0),
                _ => None,
            },
            sender_id: i.sender_id.map(|u| u.0),
            sender_name: i.sender_id.map(|u| dir.user_name(u)),
            decided_by_name: i.decided_by.map(|u| dir.user_name(u)),
            redistributed_at: i.redistributed_at,
            routing: i.routing.map(|r| explain(locale, &r.reason, r.to, &dir)),
            message: i.message,
            fields: i.fields,
            flagged: i.flagged,
            decline_reason: i.decline_reason,
            created_at: i.created_at,
            assigned_at: i.assigned_at,
            decided_at: i.decided_at,
        })
        .collect())
}

/// A routing decision told in the reader's language.
fn explain(locale: Locale, reason: &Reason, to: Assignee, dir: &crm_store::org::Directory) -> String {
    let office_name = |o| dir.offices.get(&o).cloned().unwrap_or_default();
    let to_office = match to {
        Assignee::Office(o) => office_name(o),
        Assignee::User(u) => dir.users.get(&u).map(|(_, o)| office_name(*o)).unwrap_or_default(),
        Assignee::Group(_) => String::new(),
    };
    let (key, params) = match reason {
        Reason::ListingBroker { .. } => ("routing.listing_broker", serde_json::json!({})),
        Reason::Distributor { office, area } => (
            "routing.distributor",
            serde_json::json!({"office": office_name(*office), "area": area}),
        ),
        Reason::OfficeArea { office, area } => (
            "routing.office_area",
            serde_json::json!({"office": office_name(*office), "area": area}),
        ),
        Reason::NoArea => ("routing.no_area", serde_json::json!({"office": to_office})),
        Reason::NoCoordinate => ("routing.no_coordinate", serde_json::json!({"office": to_office})),
    };
    locale.render(key, &params)
}

/// Your leads and tips, or your office's shark tank; newest first, a page at a time.
#[utoipa::path(tag = "leads", params(InboxParams), responses((status = 200, body = Slice<InboxItem>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/inbox")]
async fn inbox(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    params: ValidQuery<InboxParams>,
) -> ApiResult<web::Json<Slice<InboxItem>>> {
    auth.require_clients()?;
    let which = match params.which.as_deref() {
        None | Some("mine") => Folder::Mine,
        Some("tank") => Folder::Tank,
        Some("sent") => Folder::Sent,
        Some(_) => return Err(ApiError::bad_request("invalid_box", Some("box"), "box is mine, tank or sent")),
    };
    let status = match params.status.as_deref() {
        None => None,
        Some(s) => Some(
            crm_domain::leads::Status::parse(s)
                .ok_or_else(|| ApiError::bad_request("invalid_status", Some("status"), "not a status of a lead"))?,
        ),
    };
    let limit = limit(params.limit)?;
    let before = match params.cursor.as_deref() {
        None => None,
        Some(c) => {
            Some(Uuid::parse_str(c).map_err(|_| ApiError::bad_request("invalid_cursor", Some("cursor"), "not a cursor of this list"))?)
        }
    };
    let mut items = state.store.inbox(&auth.viewer(), which, status, before, limit + 1).await?;
    let more = items.len() as u64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|i| i.id.to_string())).flatten();
    let next = next_cursor.as_ref().map(|c| {
        let mut query: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        query.retain(|(k, _)| k != "cursor");
        query.push(("cursor".into(), c.clone()));
        format!("{}?{}", req.path(), serde_urlencoded::to_string(query).unwrap_or_default())
    });
    Ok(web::Json(Slice {
        items: item_view(&state, &auth, items).await?,
        limit,
        next_cursor,
        next,
    }))
}

/// Open items in your inbox and your office's shark tank (for the navigation).
#[utoipa::path(tag = "leads", responses((status = 200, body = InboxCounts)), security(("bearer" = []), ("api_key" = [])))]
#[get("/inbox/counts")]
async fn inbox_counts(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<InboxCounts>> {
    let (mine, tank) = state.store.inbox_counts(&auth.viewer()).await?;
    Ok(web::Json(InboxCounts { mine, tank }))
}

/// One item: yours, your office's shark tank's, or (administrators) any.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = InboxItem), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/inbox/{id}")]
async fn get_item(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<InboxItem>> {
    let item = state.store.inbox_item(&auth.viewer(), *id).await?;
    Ok(web::Json(item_view(&state, &auth, vec![item]).await?.remove(0)))
}

async fn act(state: &AppState, auth: &Auth, id: Uuid, act: Act) -> ApiResult<web::Json<InboxItem>> {
    auth.require_clients()?;
    let item = state.store.act_on_item(&auth.viewer(), id, act).await?;
    Ok(web::Json(item_view(state, auth, vec![item]).await?.remove(0)))
}

/// Accept a lead of the first workflow (or a tip), linking a listing: an existing one
/// (`property_id`) or a new one made in the same step (`new_property`). `409 item_closed` when
/// it was decided before, `409 not_in_workflow` for a lead of another workflow.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), request_body = AcceptRequest, responses((status = 200, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/inbox/{id}/accept")]
async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<AcceptRequest>,
) -> ApiResult<web::Json<InboxItem>> {
    let act_with = match (&body.property_id, &body.new_property) {
        (Some(p), None) => Act::Accept(PropertyId(*p)),
        (None, Some(w)) => Act::AcceptNew(
            Box::new(crate::routes::properties::parse_property(w, auth.company.country).map_err(|e| e.within("new_property"))?),
            auth.company.currency.clone(),
        ),
        _ => {
            return Err(StoreError::invalid("property_id", "listing_required", "give property_id or new_property").into());
        }
    };
    act(&state, &auth, *id, act_with).await
}

/// Decline a lead of the first workflow (or a tip), with a reason.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), request_body = DeclineRequest, responses((status = 200, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/inbox/{id}/decline")]
async fn decline(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<DeclineRequest>,
) -> ApiResult<web::Json<InboxItem>> {
    act(&state, &auth, *id, Act::Decline(body.reason.clone())).await
}

/// Mark a lead of the second workflow contacted.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/inbox/{id}/contacted")]
async fn contacted(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<InboxItem>> {
    act(&state, &auth, *id, Act::Contacted).await
}

/// Mark a lead of the second workflow not relevant.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/inbox/{id}/not-relevant")]
async fn not_relevant(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<InboxItem>> {
    act(&state, &auth, *id, Act::NotRelevant).await
}

/// Claim an item from your office's shark tank. Of many claims at once, one wins; the others
/// get `409 already_claimed`.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = InboxItem), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/inbox/{id}/claim")]
async fn claim(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<InboxItem>> {
    auth.require_clients()?;
    let item = state.store.claim_item(&auth.viewer(), *id).await?;
    Ok(web::Json(item_view(&state, &auth, vec![item]).await?.remove(0)))
}

/// Send a tip about a contact you can see to a colleague, a group or an office, with an
/// optional note. The receiver accepts it (linking a listing) or declines it with a reason; you
/// follow it under `GET /api/v1/inbox?box=sent`.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), request_body = TipWrite, responses((status = 201, body = InboxItem), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts/{id}/tips")]
async fn send_tip(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<TipWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let to = match (body.to_user_id, body.to_group_id, body.to_office_id) {
        (Some(u), None, None) => TipTarget::User(UserId(u)),
        (None, Some(g), None) => TipTarget::Group(GroupId(g)),
        (None, None, Some(o)) => TipTarget::Office(OfficeId(o)),
        _ => {
            return Err(StoreError::invalid(
                "to_user_id",
                "receiver_required",
                "give exactly one of to_user_id, to_group_id and to_office_id",
            )
            .into());
        }
    };
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let item = state.store.send_tip(&auth.viewer(), ContactId(*id), to, note).await?;
    Ok(HttpResponse::Created().json(item_view(&state, &auth, vec![item]).await?.remove(0)))
}

fn routing_view(r: crm_store::leads::OfficeRouting) -> OfficeRouting {
    OfficeRouting {
        redistributor_user_id: match r.redistributor {
            Some(Assignee::User(u)) => Some(u.0),
            _ => None,
        },
        redistributor_group_id: match r.redistributor {
            Some(Assignee::Group(g)) => Some(g.0),
            _ => None,
        },
        tips_hours: r.limits.tips_hours,
        accept_leads_hours: r.limits.accept_leads_hours,
        contact_leads_hours: r.limits.contact_leads_hours,
        auto_tip_days: r.auto_tip_days,
    }
}

/// An office's automatic redistribution (administrators).
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), responses((status = 200, body = OfficeRouting), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/offices/{id}/routing")]
async fn get_routing(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<OfficeRouting>> {
    auth.require_admin()?;
    Ok(web::Json(routing_view(
        state.store.office_routing(auth.company.id, OfficeId(*id)).await?,
    )))
}

/// Set an office's automatic redistribution (administrators): a redistributor (a user or a
/// group, not both; none turns it off) and the limits in hours per kind of item.
#[utoipa::path(tag = "leads", params(("id" = Uuid, Path)), request_body = OfficeRouting, responses((status = 200, body = OfficeRouting), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/offices/{id}/routing")]
async fn put_routing(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<OfficeRouting>,
) -> ApiResult<web::Json<OfficeRouting>> {
    auth.require_admin()?;
    let redistributor = match (body.redistributor_user_id, body.redistributor_group_id) {
        (Some(u), None) => Some(Assignee::User(UserId(u))),
        (None, Some(g)) => Some(Assignee::Group(GroupId(g))),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(StoreError::invalid("redistributor_user_id", "one_redistributor", "a user or a group, not both").into());
        }
    };
    let routing = crm_store::leads::OfficeRouting {
        redistributor,
        limits: crm_domain::leads::Redistribution {
            tips_hours: body.tips_hours,
            accept_leads_hours: body.accept_leads_hours,
            contact_leads_hours: body.contact_leads_hours,
        },
        auto_tip_days: body.auto_tip_days,
    };
    Ok(web::Json(routing_view(
        state.store.save_office_routing(auth.company.id, OfficeId(*id), routing).await?,
    )))
}
