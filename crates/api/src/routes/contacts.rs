//! Contacts, their timeline, hand-over, export and the caller lookup.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use crm_domain::contacts::{ContactData, ContactInput, ContactKind, LookupQuery};
use crm_domain::limits;
use crm_domain::permissions::can_export;
use crm_domain::{ContactId, DemandId, OfficeId, PropertyId, UserId};
use crm_store::contacts::{ContactFilter, ContactSort, Cursor, ExportWalk, ListOptions};
use crm_types::{
    ApiError as ErrorBody, Contact, ContactProperty, ContactSummary, ContactWrite, HandoverRequest, LookupMatch, LookupResult, NoteWrite,
    Page, Prefill, Slice, TimelineEntry,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::reader;
use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    // `lookup` and `export` before `{id}` so they are not read as ids.
    cfg.service(lookup)
        .service(export)
        .service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(timeline)
        .service(add_note)
        .service(hand_over);
}

/// Filters, order and paging of the contact list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `agency`, `verified`, `standard` or `draft`.
    kind: Option<String>,
    /// Only contacts of this owner (an empty value means any).
    #[param(value_type = Option<Uuid>)]
    owner_id: Option<String>,
    /// Only contacts owned within this office (an empty value means any).
    #[param(value_type = Option<Uuid>)]
    office_id: Option<String>,
    /// Text, 2 to 200 characters: name words (any case, no diacritics needed, each the start of
    /// a word), a phone in any format, or an email.
    q: Option<String>,
    /// `name` (default), `-name`, `created_at`, `-created_at`, `updated_at`, `-updated_at`.
    sort: Option<String>,
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for ListParams {
    fn check(&self, c: &mut Checker) {
        c.opt("kind", &self.kind, limits::CODE);
        c.opt("owner_id", &self.owner_id, 40);
        c.opt("office_id", &self.office_id, 40);
        c.opt("q", &self.q, limits::SEARCH);
        c.opt("sort", &self.sort, limits::CODE);
        c.opt("cursor", &self.cursor, limits::CURSOR);
        if let Some(q) = &self.q
            && crm_domain::text::words(q).len() > limits::SEARCH_WORDS
        {
            c.text("q", &"x".repeat(limits::SEARCH + 1), limits::SEARCH);
        }
    }
}

fn filter(p: &ListParams) -> ApiResult<ContactFilter> {
    let kind = p
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .map(|k| {
            ContactKind::parse(k)
                .ok_or_else(|| ApiError::bad_request("invalid_kind", Some("kind"), format!("'{k}' is not a kind of contact")))
        })
        .transpose()?;
    let id = |field: &str, v: &Option<String>| -> ApiResult<Option<Uuid>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => Uuid::parse_str(v)
                .map(Some)
                .map_err(|_| ApiError::bad_request("invalid_query", Some(field), format!("'{v}' is not an id"))),
        }
    };
    Ok(ContactFilter {
        kind,
        owner_id: id("owner_id", &p.owner_id)?.map(UserId),
        office_id: id("office_id", &p.office_id)?.map(OfficeId),
        text: p.q.clone().filter(|q| !q.trim().is_empty()),
    })
}

fn sort(p: &ListParams) -> ApiResult<ContactSort> {
    match p.sort.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(ContactSort::default()),
        Some(s) => {
            ContactSort::parse(s).ok_or_else(|| ApiError::bad_request("invalid_sort", Some("sort"), format!("cannot sort by '{s}'")))
        }
    }
}

fn input(w: &ContactWrite) -> ContactInput {
    ContactInput {
        kind: Some(w.kind.clone()),
        first_name: w.first_name.clone(),
        last_name: w.last_name.clone(),
        agency_name: w.agency_name.clone(),
        phones: w.phones.clone(),
        emails: w.emails.clone(),
        street: w.street.clone(),
        city: w.city.clone(),
        postal_code: w.postal_code.clone(),
        country: w.country.clone(),
        lat: w.lat,
        lon: w.lon,
        opted_out: w.opted_out,
    }
}

async fn full(state: &AppState, auth: &Auth, id: ContactId) -> ApiResult<Contact> {
    let viewer = auth.viewer();
    let record = state.store.contact(&viewer, id).await?;
    let dir = state.store.directory(auth.company.id).await?;
    let properties = state
        .store
        .contact_properties(&viewer, id)
        .await?
        .into_iter()
        .map(|(pid, title, status, role)| ContactProperty {
            property_id: pid.0,
            title,
            status: status.as_str().to_owned(),
            role: role.as_str().to_owned(),
        })
        .collect();
    let demands = state.store.contact_demands(&viewer, id).await?.iter().map(views::demand).collect();
    Ok(views::contact(&record, &dir, properties, demands))
}

/// The contacts the caller may see, a page at a time (pass `next_cursor` back as `cursor`),
/// sortable and filterable. `total` is exact, except for a text search over very many contacts,
/// where it is an estimate and `total_exact` is false.
#[utoipa::path(tag = "contacts", params(ListParams), responses(
    (status = 200, body = Page<ContactSummary>),
    (status = 400, body = ErrorBody, description = "Bad filter, sort, cursor or paging"),
), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<ListParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Page<ContactSummary>>> {
    let limit = super::limit(params.limit)?;
    let sort = sort(&params)?;
    let f = filter(&params)?;
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, sort))
        .transpose()
        .map_err(query_error)?;
    let page = state
        .store
        .list_contacts(
            &auth.viewer(),
            auth.company.country,
            &f,
            sort,
            ListOptions {
                after: cursor.as_ref(),
                limit,
                total: true,
            },
        )
        .await
        .map_err(query_error)?;
    let dir = state.store.directory(auth.company.id).await?;
    let items = page.items.iter().map(|c| views::contact_summary(c, &dir)).collect();
    Ok(web::Json(views::page(
        items,
        page.total,
        page.total_exact,
        limit,
        page.next.map(|c| c.encode()),
        &req,
    )))
}

/// A store's refusal of a query parameter is a 400 (the request, not its data, is wrong).
pub(crate) fn query_error(e: crm_store::StoreError) -> ApiError {
    match e {
        crm_store::StoreError::Invalid { field, code, message } => ApiError::bad_request(code, Some(&field), message),
        other => other.into(),
    }
}

/// Create a contact. Phones are stored in E.164; numbers without a prefix are read in the
/// company's country. Each kind's mandatory fields are enforced. The owner is the caller,
/// unless `owner_id` names a colleague the caller's rights reach.
#[utoipa::path(tag = "contacts", request_body = ContactWrite, responses(
    (status = 201, body = Contact),
    (status = 403, body = ErrorBody, description = "No right to work with clients"),
    (status = 422, body = ErrorBody, description = "Field errors (`validation_failed`, with `errors`; `owner_not_allowed`)"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts")]
async fn create(state: web::Data<AppState>, auth: Auth, body: Valid<ContactWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let data = ContactData::parse(&input(&body), auth.company.country).map_err(crm_store::StoreError::from)?;
    let owner = body.owner_id.map(UserId).unwrap_or(auth.user.id);
    let record = state.store.create_contact(&auth.viewer(), &data, owner).await?;
    // The new owner may be someone whose contacts the creator cannot see.
    match full(&state, &auth, record.id).await {
        Ok(contact) => Ok(HttpResponse::Created().json(contact)),
        Err(ApiError::NotFound(_)) => Ok(HttpResponse::Created().json(serde_json::json!({"id": record.id.0}))),
        Err(e) => Err(e),
    }
}

/// A contact's card: details, listings and demands.
#[utoipa::path(tag = "contacts", params(("id" = Uuid, Path)), responses(
    (status = 200, body = Contact),
    (status = 404, body = ErrorBody, description = "No such contact, or not visible to the caller"),
), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/{id}")]
async fn get_one(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Contact>> {
    Ok(web::Json(full(&state, &auth, ContactId(*id)).await?))
}

/// Replace a contact's details (the kind may change; its rules then apply).
#[utoipa::path(tag = "contacts", params(("id" = Uuid, Path)), request_body = ContactWrite, responses(
    (status = 200, body = Contact),
    (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[put("/contacts/{id}")]
async fn update(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<ContactWrite>) -> ApiResult<web::Json<Contact>> {
    let id = ContactId(*id);
    let viewer = auth.viewer();
    // Unknown and invisible contacts are a 404 before any validation says anything about them.
    state.store.contact(&viewer, id).await?;
    let data = ContactData::parse(&input(&body), auth.company.country).map_err(crm_store::StoreError::from)?;
    state.store.update_contact(&viewer, id, &data).await?;
    Ok(web::Json(full(&state, &auth, id).await?))
}

/// Paging of a timeline.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SliceParams {
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for SliceParams {
    fn check(&self, c: &mut Checker) {
        c.opt("cursor", &self.cursor, limits::CURSOR);
    }
}

/// The contact's timeline: notes and history across every listing and demand, newest first, a
/// page at a time. History is told in the caller's language.
#[utoipa::path(tag = "contacts", params(("id" = Uuid, Path), SliceParams), responses(
    (status = 200, body = Slice<TimelineEntry>),
    (status = 404, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/{id}/timeline")]
async fn timeline(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    params: ValidQuery<SliceParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Slice<TimelineEntry>>> {
    let limit = super::limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(crm_store::cursor::decode_time_id)
        .transpose()
        .map_err(query_error)?;
    let page = state.store.timeline(&auth.viewer(), ContactId(*id), after, limit).await?;
    let dir = state.store.directory(auth.company.id).await?;
    let lang = reader(&auth);
    Ok(web::Json(views::slice(
        page.items.iter().map(|e| views::timeline(e, &dir, lang)).collect(),
        limit,
        page.next.map(|(at, id)| crm_store::cursor::encode_time_id(at, id)),
        &req,
    )))
}

/// Add a note, optionally about one of the contact's listings or demands.
#[utoipa::path(tag = "contacts", params(("id" = Uuid, Path)), request_body = NoteWrite, responses(
    (status = 201, body = TimelineEntry),
    (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts/{id}/notes")]
async fn add_note(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<NoteWrite>) -> ApiResult<HttpResponse> {
    let entry = state
        .store
        .add_note(
            &auth.viewer(),
            ContactId(*id),
            &body.body,
            body.property_id.map(PropertyId),
            body.demand_id.map(DemandId),
        )
        .await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(HttpResponse::Created().json(views::timeline(&entry, &dir, reader(&auth))))
}

/// Hand the contact over to a colleague in the office: they become its owner and get a task,
/// and an email (in their language) if they (or this request) want one.
#[utoipa::path(tag = "contacts", params(("id" = Uuid, Path)), request_body = HandoverRequest, responses(
    (status = 204, description = "Handed over"),
    (status = 404, body = ErrorBody),
    (status = 422, body = ErrorBody, description = "The colleague cannot receive it"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts/{id}/handover")]
async fn hand_over(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<HandoverRequest>) -> ApiResult<HttpResponse> {
    state
        .store
        .hand_over(
            &auth.viewer(),
            ContactId(*id),
            UserId(body.to_user_id),
            body.message.as_deref(),
            body.notify_email,
            &state.public_url,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What was typed into the caller lookup.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    /// A phone in any format, an email, or a name (any case, diacritics optional, partial).
    q: String,
    /// How many matches, 1–50 (default 10).
    limit: Option<u64>,
}

impl Check for LookupParams {
    fn check(&self, c: &mut Checker) {
        c.text("q", &self.q, limits::SEARCH);
        c.range("limit", self.limit, 1, 50);
        if crm_domain::text::words(&self.q).len() > limits::SEARCH_WORDS {
            c.text("q", &"x".repeat(limits::SEARCH + 1), limits::SEARCH);
        }
    }
}

/// The caller lookup ("client is calling"). Finds contacts by phone (in any national or
/// international form), email or name, best match first, with their latest history. A match
/// the caller may not see is returned with only its owner, so nobody creates a duplicate;
/// agencies are flagged. When nothing matches, `prefill` holds the new-contact form's fields.
#[utoipa::path(tag = "contacts", params(LookupParams), responses(
    (status = 200, body = LookupResult),
    (status = 400, body = ErrorBody, description = "Query too short (`query_too_short`)"),
), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/lookup")]
async fn lookup(state: web::Data<AppState>, auth: Auth, params: ValidQuery<LookupParams>) -> ApiResult<web::Json<LookupResult>> {
    auth.require_clients()?;
    state.limits.lookup.check(&auth.user.id.to_string())?;
    let limit = params.limit.unwrap_or(10);
    let country = auth.company.country;
    let query = LookupQuery::parse(&params.q, country)
        .ok_or_else(|| ApiError::bad_request("query_too_short", Some("q"), "type at least two letters or three digits"))?;
    let hits = state.store.lookup(&auth.viewer(), &query, limit).await?;
    let dir = state.store.directory(auth.company.id).await?;
    let lang = reader(&auth);
    let matches = hits
        .iter()
        .map(|h| LookupMatch {
            visible: h.visible,
            agency: h.contact.data.kind == ContactKind::Agency,
            owner_id: h.contact.owner_id.0,
            owner_name: dir.user_name(h.contact.owner_id),
            matched_on: format!("{:?}", h.matched_on).to_lowercase(),
            contact: h.visible.then(|| views::contact_summary(&h.contact, &dir)),
            history: h.history.iter().map(|e| views::timeline(e, &dir, lang)).collect(),
        })
        .collect();
    let p = LookupQuery::prefill(&params.q, country);
    let query_kind = match query {
        LookupQuery::Phone { .. } => "phone",
        LookupQuery::Email { .. } => "email",
        LookupQuery::Name { .. } => "name",
    };
    Ok(web::Json(LookupResult {
        query_kind: query_kind.to_owned(),
        matches,
        prefill: Prefill {
            first_name: p.first_name,
            last_name: p.last_name,
            phone: p.phone,
            email: p.email,
        },
    }))
}

/// Export the contacts the caller may see (same filters as the list) as CSV, streamed a page at
/// a time. Needs the export right.
#[utoipa::path(tag = "contacts", params(ListParams), responses(
    (status = 200, description = "CSV, one contact a row", content_type = "text/csv"),
    (status = 403, body = ErrorBody, description = "No export right"),
), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/export")]
async fn export(state: web::Data<AppState>, auth: Auth, params: ValidQuery<ListParams>) -> ApiResult<HttpResponse> {
    if !can_export(&auth.viewer()) {
        return Err(ApiError::Forbidden("the export right is required"));
    }
    let f = filter(&params)?;
    if let Some(q) = &f.text {
        // A bad text filter is refused now, not halfway through the download.
        LookupQuery::parse(q, auth.company.country)
            .ok_or_else(|| ApiError::bad_request("query_too_short", Some("q"), "type at least two letters or three digits"))?;
    }
    let dir = std::sync::Arc::new(state.store.directory(auth.company.id).await?);
    let store = state.store.clone();
    let (viewer, country) = (auth.viewer(), auth.company.country);
    let header = "id,kind,first_name,last_name,agency_name,phones,emails,city,owner,office\r\n";
    let body = futures::stream::unfold((Some(ExportWalk::new(store, viewer, country, f)), true), move |(walk, first)| {
        let dir = dir.clone();
        async move {
            let mut walk = walk?;
            if first {
                return Some((Ok::<_, ApiError>(web::Bytes::from_static(header.as_bytes())), (Some(walk), false)));
            }
            match walk.next_batch().await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let mut out = String::with_capacity(rows.len() * 120);
                    for c in &rows {
                        let d = &c.data;
                        let cells = [
                            c.id.to_string(),
                            d.kind.as_str().to_owned(),
                            d.first_name.clone().unwrap_or_default(),
                            d.last_name.clone().unwrap_or_default(),
                            d.agency_name.clone().unwrap_or_default(),
                            d.phones.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" "),
                            d.emails.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" "),
                            d.city.clone().unwrap_or_default(),
                            dir.user_name(c.owner_id),
                            dir.office_name(c.office_id),
                        ];
                        out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
                        out.push_str("\r\n");
                    }
                    Some((Ok(web::Bytes::from(out)), (Some(walk), false)))
                }
                Err(e) => {
                    // The status is sent; the client sees a truncated file and the log the cause.
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(ApiError::from(e)), (None, false)))
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"contacts.csv\""))
        .streaming(body))
}

/// Quotes a CSV cell, and defuses cells a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, a tab or a carriage return).
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn formulas_are_defused_and_cells_quoted() {
        for danger in ["=1+1", "+46 70", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(danger).trim_start_matches('"').starts_with('\''), "{danger:?}");
        }
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("Anna"), "Anna");
    }
}
