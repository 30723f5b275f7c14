//! Segmentation: a selection of contacts by what brokers ask (the contact list's filters, the
//! call pipeline, dates, viewings, bids, demands, opt-out), counted and paged; saved private or
//! shared with the office; and bulk actions over all of it or the contacts picked from it —
//! email or SMS through the outbox, a call list, a newsletter list, a spreadsheet. Every one runs
//! through the caller's visibility.

use std::collections::BTreeSet;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use crm_domain::permissions::can_export;
use crm_store::contacts::{ContactSort, Cursor};
use crm_store::segments::{BulkMessage, MAX_SELECTED, NewsletterList, SavedFilter, SavedFilterRecord, Selection};
use crm_types::{
    ApiError as ErrorBody, ContactSelection, ContactSummary, NewsletterListView, NewsletterListWrite, Page, SavedFilterView,
    SavedFilterWrite, SegmentAction, SegmentActionResult, SegmentQuery, SegmentTarget,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::views;
use crate::xlsx::XlsxStream;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(preview)
        .service(action)
        .service(export)
        .service(filters)
        .service(create_filter)
        .service(update_filter)
        .service(delete_filter)
        .service(newsletters)
        .service(create_newsletter)
        .service(update_newsletter)
        .service(members)
        .service(remove_member);
}

/// A selection as the store reads it.
pub(crate) fn to_filter(s: &ContactSelection) -> SavedFilter {
    SavedFilter {
        kind: s.kind.clone(),
        owner_id: s.owner_id,
        office_id: s.office_id,
        text: s.q.clone(),
        stage: s.stage.clone(),
        tag: s.tag.clone(),
        created_from: s.created_from,
        created_to: s.created_to,
        contacted_since: s.contacted_since,
        not_contacted_since: s.not_contacted_since,
        viewing_from: s.viewing_from,
        viewing_to: s.viewing_to,
        no_meeting_since: s.no_meeting_since,
        bid_from: s.bid_from,
        bid_to: s.bid_to,
        not_buyer: s.not_buyer,
        demand_area: s.demand_area.clone(),
        demand_price: s.demand_price,
        opted_out: s.opted_out,
        newsletter_id: s.newsletter_id,
    }
}

pub(crate) fn to_selection(f: SavedFilter) -> ContactSelection {
    ContactSelection {
        kind: f.kind,
        owner_id: f.owner_id,
        office_id: f.office_id,
        q: f.text,
        stage: f.stage,
        tag: f.tag,
        created_from: f.created_from,
        created_to: f.created_to,
        contacted_since: f.contacted_since,
        not_contacted_since: f.not_contacted_since,
        viewing_from: f.viewing_from,
        viewing_to: f.viewing_to,
        no_meeting_since: f.no_meeting_since,
        bid_from: f.bid_from,
        bid_to: f.bid_to,
        not_buyer: f.not_buyer,
        demand_area: f.demand_area,
        demand_price: f.demand_price,
        opted_out: f.opted_out,
        newsletter_id: f.newsletter_id,
    }
}

/// Checks a selection's texts under `prefix` (`filter.`, `nightly.`).
pub(crate) fn check_selection(c: &mut Checker, prefix: &str, s: &ContactSelection) {
    use crm_domain::limits;
    c.opt(&format!("{prefix}kind"), &s.kind, limits::CODE);
    c.opt(&format!("{prefix}q"), &s.q, limits::SEARCH);
    c.opt(&format!("{prefix}stage"), &s.stage, limits::CODE);
    c.opt(&format!("{prefix}tag"), &s.tag, crm_domain::calls::MAX_TAG_CODE);
    c.opt(&format!("{prefix}demand_area"), &s.demand_area, 100);
    c.range(&format!("{prefix}demand_price"), s.demand_price, 0, 1_000_000_000_000);
}

fn selection(ids: &Option<Vec<Uuid>>) -> Selection {
    match ids {
        None => Selection::All,
        Some(ids) => Selection::Some(ids.iter().copied().collect::<BTreeSet<_>>()),
    }
}

impl Check for SegmentQuery {
    fn check(&self, c: &mut Checker) {
        check_selection(c, "filter.", &self.filter);
        c.opt("cursor", &self.cursor, 1_000);
        c.range("limit", self.limit, 1, 200);
    }
}

impl Check for SegmentTarget {
    fn check(&self, c: &mut Checker) {
        check_selection(c, "filter.", &self.filter);
        if let Some(ids) = &self.contact_ids {
            c.count("contact_ids", ids, MAX_SELECTED);
        }
    }
}

impl Check for SegmentAction {
    fn check(&self, c: &mut Checker) {
        check_selection(c, "filter.", &self.filter);
        if let Some(ids) = &self.contact_ids {
            c.count("contact_ids", ids, MAX_SELECTED);
        }
        c.text("action", &self.action, 20);
        c.opt("subject", &self.subject, crm_store::segments::MAX_SUBJECT);
        c.opt("body", &self.body, crm_store::segments::MAX_EMAIL_BODY);
    }
}

impl Check for SavedFilterWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, crm_store::segments::MAX_NAME);
        check_selection(c, "filter.", &self.filter);
    }
}

impl Check for NewsletterListWrite {
    fn check(&self, c: &mut Checker) {
        c.text("name", &self.name, crm_store::segments::MAX_NAME);
    }
}

/// Count a selection of the contacts the caller may see and read a page of it, in name order
/// (pass `next_cursor` back as `cursor`).
#[utoipa::path(tag = "segments", request_body = SegmentQuery, responses(
    (status = 200, body = Page<ContactSummary>),
    (status = 403, body = ErrorBody, description = "No right to work with clients"),
    (status = 422, body = ErrorBody, description = "A filter field is wrong (named)"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/segments/preview")]
async fn preview(
    state: web::Data<AppState>,
    auth: Auth,
    body: Valid<SegmentQuery>,
    req: HttpRequest,
) -> ApiResult<web::Json<Page<ContactSummary>>> {
    auth.require_clients()?;
    let limit = body.limit.unwrap_or(50);
    let cursor = body
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, ContactSort::NameAsc))
        .transpose()?;
    let page = state
        .store
        .segment_page(&auth.viewer(), &to_filter(&body.filter), &Selection::All, cursor.as_ref(), limit)
        .await?;
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

/// A bulk action over a selection, or over the contacts picked from it: `email` or `sms` to
/// each (through the outbox, with an unsubscribe link; those who opted out and those without
/// the channel are left out and counted), `call_list` (fill the list `list_id`; contacts open on
/// it, reached in the last 30 days or non-target are left out), `newsletter` (add to the list
/// `list_id`; needs the export right). At most 100,000 contacts per action.
#[utoipa::path(tag = "segments", request_body = SegmentAction, responses(
    (status = 200, body = SegmentActionResult),
    (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody, description = "No such list"),
    (status = 409, body = ErrorBody, description = "The list is archived"),
    (status = 422, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/segments/actions")]
async fn action(state: web::Data<AppState>, auth: Auth, body: Valid<SegmentAction>) -> ApiResult<web::Json<SegmentActionResult>> {
    auth.require_clients()?;
    let viewer = auth.viewer();
    let filter = to_filter(&body.filter);
    let chosen = selection(&body.contact_ids);
    let list = || {
        body.list_id
            .ok_or_else(|| ApiError::invalid("required", "list_id", "name the list"))
    };
    let result = match body.action.as_str() {
        "email" | "sms" => {
            let text = body.body.clone().unwrap_or_default();
            let message = if body.action == "email" {
                BulkMessage::Email {
                    subject: body.subject.clone().unwrap_or_default(),
                    body: text,
                }
            } else {
                BulkMessage::Sms { body: text }
            };
            let s = state.store.segment_message(&viewer, &filter, chosen, &message).await?;
            SegmentActionResult {
                matched: s.matched,
                done: s.done,
                opted_out: s.opted_out,
                no_channel: s.no_channel,
                skipped: 0,
            }
        }
        "call_list" => {
            let s = state.store.fill_call_list(&viewer, list()?, &filter, chosen).await?;
            SegmentActionResult {
                matched: s.added + s.skipped,
                done: s.added,
                opted_out: 0,
                no_channel: 0,
                skipped: s.skipped,
            }
        }
        "newsletter" => {
            if !can_export(&viewer) {
                return Err(ApiError::Forbidden("adding contacts to a newsletter list needs the export right"));
            }
            let s = state.store.segment_to_newsletter(&viewer, &filter, chosen, list()?).await?;
            SegmentActionResult {
                matched: s.matched,
                done: s.done,
                opted_out: 0,
                no_channel: 0,
                skipped: s.already,
            }
        }
        _ => {
            return Err(ApiError::invalid(
                "invalid_value",
                "action",
                "the action is one of email, sms, call_list, newsletter",
            ));
        }
    };
    Ok(web::Json(result))
}

const EXPORT_HEADER: [&str; 12] = [
    "id",
    "kind",
    "first_name",
    "last_name",
    "agency_name",
    "phones",
    "emails",
    "street",
    "postal_code",
    "city",
    "owner",
    "office",
];

/// Export a selection (or the contacts picked from it) as an Excel workbook (`.xlsx`), streamed
/// as it is read. Needs the export right.
#[utoipa::path(tag = "segments", request_body = SegmentTarget, responses(
    (status = 200, description = "An .xlsx workbook, one contact a row", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (status = 403, body = ErrorBody, description = "No export right"),
    (status = 422, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/segments/export")]
async fn export(state: web::Data<AppState>, auth: Auth, body: Valid<SegmentTarget>) -> ApiResult<HttpResponse> {
    if !can_export(&auth.viewer()) {
        return Err(ApiError::Forbidden("the export right is required"));
    }
    // A bad filter is refused now, not halfway through the download.
    let walk = state
        .store
        .segment_walk(&auth.viewer(), &to_filter(&body.filter), selection(&body.contact_ids))
        .await?;
    let dir = std::sync::Arc::new(state.store.directory(auth.company.id).await?);
    let (sheet, first) = XlsxStream::start("Contacts", &EXPORT_HEADER);
    let stream = futures::stream::unfold(Some((walk, sheet, Some(first))), move |st| {
        let dir = dir.clone();
        async move {
            let (mut walk, mut sheet, first) = st?;
            if let Some(bytes) = first {
                return Some((Ok::<_, ApiError>(web::Bytes::from(bytes)), Some((walk, sheet, None))));
            }
            match walk.next_batch().await {
                Ok(rows) if rows.is_empty() => {
                    tracing::info!(contacts = sheet.row_count() - 1, "spreadsheet exported");
                    Some((Ok(web::Bytes::from(sheet.finish())), None))
                }
                Ok(rows) => {
                    let cells: Vec<[String; 12]> = rows
                        .iter()
                        .map(|c| {
                            let d = &c.data;
                            [
                                c.id.to_string(),
                                d.kind.as_str().to_owned(),
                                d.first_name.clone().unwrap_or_default(),
                                d.last_name.clone().unwrap_or_default(),
                                d.agency_name.clone().unwrap_or_default(),
                                d.phones.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(" "),
                                d.emails.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(" "),
                                d.street.clone().unwrap_or_default(),
                                d.postal_code.clone().unwrap_or_default(),
                                d.city.clone().unwrap_or_default(),
                                dir.user_name(c.owner_id),
                                dir.office_name(c.office_id),
                            ]
                        })
                        .collect();
                    let bytes = sheet.rows(cells.iter().map(|r| r.iter().map(String::as_str)));
                    Some((Ok(web::Bytes::from(bytes)), Some((walk, sheet, None))))
                }
                Err(e) => {
                    // The status is sent; the client sees a damaged file and the log the cause.
                    tracing::error!(error = %e, "spreadsheet export stopped");
                    Some((Err(ApiError::from(e)), None))
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header(("Content-Disposition", "attachment; filename=\"contacts.xlsx\""))
        .streaming(stream))
}

fn filter_view(f: SavedFilterRecord, dir: &crm_store::org::Directory) -> SavedFilterView {
    SavedFilterView {
        id: f.id,
        name: f.name,
        shared: f.office_id.is_some(),
        created_by: f.user_id.0,
        created_by_name: dir.user_name(f.user_id),
        updated_at: f.updated_at,
        filter: to_selection(f.filter),
    }
}

/// The caller's saved filters and those shared with their office, by name.
#[utoipa::path(tag = "segments", responses((status = 200, body = Vec<SavedFilterView>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/saved-filters")]
async fn filters(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<SavedFilterView>>> {
    let all = state.store.saved_filters(&auth.viewer()).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(all.into_iter().map(|f| filter_view(f, &dir)).collect()))
}

/// Save a selection, private or shared with the caller's office (at most 200 each).
#[utoipa::path(tag = "segments", request_body = SavedFilterWrite, responses((status = 201, body = SavedFilterView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/saved-filters")]
async fn create_filter(state: web::Data<AppState>, auth: Auth, body: Valid<SavedFilterWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let f = state
        .store
        .create_saved_filter(&auth.viewer(), &body.name, body.shared, &to_filter(&body.filter))
        .await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(HttpResponse::Created().json(filter_view(f, &dir)))
}

/// Change a saved filter (its creator or an administrator).
#[utoipa::path(tag = "segments", params(("id" = Uuid, Path)), request_body = SavedFilterWrite, responses((status = 200, body = SavedFilterView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/saved-filters/{id}")]
async fn update_filter(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<SavedFilterWrite>,
) -> ApiResult<web::Json<SavedFilterView>> {
    let f = state
        .store
        .update_saved_filter(&auth.viewer(), *id, &body.name, body.shared, &to_filter(&body.filter))
        .await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(filter_view(f, &dir)))
}

/// Delete a saved filter (its creator or an administrator).
#[utoipa::path(tag = "segments", params(("id" = Uuid, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/saved-filters/{id}")]
async fn delete_filter(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    state.store.delete_saved_filter(&auth.viewer(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn newsletter_view(l: NewsletterList) -> NewsletterListView {
    NewsletterListView {
        id: l.id,
        name: l.name,
        members: l.members,
        archived: l.archived,
        created_by: l.created_by.0,
        created_at: l.created_at,
    }
}

/// The company's newsletter lists with their member counts, by name.
#[utoipa::path(tag = "segments", responses((status = 200, body = Vec<NewsletterListView>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/newsletter-lists")]
async fn newsletters(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<NewsletterListView>>> {
    auth.require_clients()?;
    let all = state.store.newsletter_lists(auth.company.id).await?;
    Ok(web::Json(all.into_iter().map(newsletter_view).collect()))
}

/// Create a newsletter list (needs the export right).
#[utoipa::path(tag = "segments", request_body = NewsletterListWrite, responses((status = 201, body = NewsletterListView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/newsletter-lists")]
async fn create_newsletter(state: web::Data<AppState>, auth: Auth, body: Valid<NewsletterListWrite>) -> ApiResult<HttpResponse> {
    if !can_export(&auth.viewer()) {
        return Err(ApiError::Forbidden("newsletter lists need the export right"));
    }
    let l = state.store.create_newsletter_list(&auth.viewer(), &body.name).await?;
    Ok(HttpResponse::Created().json(newsletter_view(l)))
}

/// Rename, archive or re-activate a newsletter list (needs the export right).
#[utoipa::path(tag = "segments", params(("id" = Uuid, Path)), request_body = NewsletterListWrite, responses((status = 200, body = NewsletterListView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/newsletter-lists/{id}")]
async fn update_newsletter(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<NewsletterListWrite>,
) -> ApiResult<web::Json<NewsletterListView>> {
    if !can_export(&auth.viewer()) {
        return Err(ApiError::Forbidden("newsletter lists need the export right"));
    }
    let l = state
        .store
        .update_newsletter_list(&auth.viewer(), *id, &body.name, body.archived)
        .await?;
    Ok(web::Json(newsletter_view(l)))
}

/// Paging of a newsletter list's members.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<u64>,
}

impl Check for MemberParams {
    fn check(&self, c: &mut Checker) {
        c.opt("cursor", &self.cursor, 1_000);
    }
}

/// The members of a newsletter list that the caller may see, in name order, with their count.
#[utoipa::path(tag = "segments", params(("id" = Uuid, Path), MemberParams), responses((status = 200, body = Page<ContactSummary>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/newsletter-lists/{id}/members")]
async fn members(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    params: ValidQuery<MemberParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Page<ContactSummary>>> {
    auth.require_clients()?;
    let limit = super::limit(params.limit)?;
    let cursor = params
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c, ContactSort::NameAsc))
        .transpose()
        .map_err(super::contacts::query_error)?;
    let page = state.store.newsletter_members(&auth.viewer(), *id, cursor.as_ref(), limit).await?;
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

/// Take a contact off a newsletter list.
#[utoipa::path(tag = "segments", params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/newsletter-lists/{id}/members/{contact_id}")]
async fn remove_member(state: web::Data<AppState>, auth: Auth, path: web::Path<(Uuid, Uuid)>) -> ApiResult<HttpResponse> {
    if !can_export(&auth.viewer()) {
        return Err(ApiError::Forbidden("newsletter lists need the export right"));
    }
    let (id, contact) = *path;
    state.store.remove_newsletter_member(&auth.viewer(), id, contact).await?;
    Ok(HttpResponse::NoContent().finish())
}
