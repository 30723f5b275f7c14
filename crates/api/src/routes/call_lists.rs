//! Call lists (filled from a selection of contacts, by hand or every night; each contact taken
//! by one caller at a time) and the report of calling per caller and per list.

use actix_web::{get, post, put, web};
use chrono::{Duration, NaiveDate, Utc};
use crm_domain::{GroupId, UserId};
use crm_store::call_lists::{CallListInput, CallListRecord, Progress};
use crm_store::segments::Selection;
use crm_types::{
    ApiError as ErrorBody, CallList, CallListWrite, CallReport, CallerStats, ContactSelection, FillResult, ListProgress, ListStats,
    NextCall, OutcomeCount,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::routes::reader;
use crate::routes::segments::{to_filter, to_selection};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(lists)
        .service(create)
        .service(one)
        .service(update)
        .service(fill)
        .service(next)
        .service(report);
}

fn progress(p: Progress) -> ListProgress {
    ListProgress {
        total: p.total,
        open: p.open,
        done: p.done,
        reached: p.reached,
        not_reached: p.not_reached,
    }
}

fn view(l: CallListRecord) -> CallList {
    CallList {
        id: l.id,
        name: l.name,
        instructions: l.instructions,
        user_id: l.user_id.map(|u| u.0),
        group_id: l.group_id.map(|g| g.0),
        nightly: l.filter.map(to_selection),
        created_by: l.created_by.0,
        created_at: l.created_at,
        archived: l.archived,
        progress: progress(l.progress),
    }
}

fn input(body: &CallListWrite) -> CallListInput {
    CallListInput {
        name: body.name.clone(),
        instructions: body.instructions.clone(),
        user_id: body.user_id.map(UserId),
        group_id: body.group_id.map(GroupId),
        nightly: body.nightly.as_ref().map(to_filter),
    }
}

/// Which lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Archived lists instead of the active ones.
    archived: Option<bool>,
}

impl Check for ListParams {
    fn check(&self, _: &mut Checker) {}
}

/// The call lists the caller works (as its caller or a member of its group) or made, newest
/// first, with their progress (at most 500).
#[utoipa::path(tag = "calls", params(ListParams), responses((status = 200, body = Vec<CallList>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/call-lists")]
async fn lists(state: web::Data<AppState>, auth: Auth, params: ValidQuery<ListParams>) -> ApiResult<web::Json<Vec<CallList>>> {
    let all = state.store.call_lists(&auth.viewer(), params.archived.unwrap_or(false)).await?;
    Ok(web::Json(all.into_iter().map(view).collect()))
}

/// Create a call list: a name, instructions, who works it, and optionally a selection it is
/// filled from every night.
#[utoipa::path(tag = "calls", request_body = CallListWrite, responses((status = 201, body = CallList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/call-lists")]
async fn create(state: web::Data<AppState>, auth: Auth, body: Valid<CallListWrite>) -> ApiResult<actix_web::HttpResponse> {
    let list = state.store.create_call_list(&auth.viewer(), &input(&body)).await?;
    Ok(actix_web::HttpResponse::Created().json(view(list)))
}

/// One call list with its progress.
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), responses((status = 200, body = CallList)), security(("bearer" = []), ("api_key" = [])))]
#[get("/call-lists/{id}")]
async fn one(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<CallList>> {
    Ok(web::Json(view(state.store.call_list(&auth.viewer(), *id).await?)))
}

/// Change a call list, or archive it (its creator or an administrator).
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), request_body = CallListWrite, responses((status = 200, body = CallList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/call-lists/{id}")]
async fn update(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<CallListWrite>) -> ApiResult<web::Json<CallList>> {
    let list = state
        .store
        .update_call_list(&auth.viewer(), *id, &input(&body), body.archived)
        .await?;
    Ok(web::Json(view(list)))
}

/// Fill a list in one action from a selection of the contacts the caller may see. Contacts
/// already open on the list, reached in the last 30 days, or non-target are left out.
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), request_body = ContactSelection, responses((status = 200, body = FillResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/call-lists/{id}/fill")]
async fn fill(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<ContactSelection>,
) -> ApiResult<web::Json<FillResult>> {
    let s = state
        .store
        .fill_call_list(&auth.viewer(), *id, &to_filter(&body), Selection::All)
        .await?;
    Ok(web::Json(FillResult {
        added: s.added,
        skipped: s.skipped,
    }))
}

/// Take the next contact to call from a list (the one the caller holds, else the longest
/// waiting one nobody holds and not called today). Two callers never get the same contact; a
/// contact not called within 30 minutes is free for others again.
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), responses((status = 200, body = NextCall)), security(("bearer" = []), ("api_key" = [])))]
#[post("/call-lists/{id}/next")]
async fn next(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<NextCall>> {
    let taken = state.store.next_call(&auth.viewer(), *id).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(match taken {
        Some(n) => NextCall {
            contact: Some(views::contact_summary(&n.contact, &dir)),
            attempts: n.attempts,
        },
        None => NextCall {
            contact: None,
            attempts: 0,
        },
    }))
}

/// The period of a report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (default: 30 days ago).
    from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today); at most 366 days after `from`.
    to: Option<String>,
}

impl Check for ReportParams {
    fn check(&self, c: &mut Checker) {
        c.opt("from", &self.from, crm_domain::limits::CODE);
        c.opt("to", &self.to, crm_domain::limits::CODE);
    }
}

fn day(field: &str, value: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request("invalid_query", Some(field), format!("{field} is a date written YYYY-MM-DD")))
        })
        .transpose()
}

/// Calling in a period (days in the caller's time zone): per caller, calls made, reached,
/// outcomes and conversion to customer meetings (the caller alone; an office manager sees their
/// office; an administrator everyone); per list the caller works, calls made from it and its
/// progress.
#[utoipa::path(tag = "calls", params(ReportParams), responses((status = 200, body = CallReport)), security(("bearer" = []), ("api_key" = [])))]
#[get("/reports/calls")]
async fn report(state: web::Data<AppState>, auth: Auth, params: ValidQuery<ReportParams>) -> ApiResult<web::Json<CallReport>> {
    let zone = auth.user.zone(&auth.company);
    let today = crm_domain::calendar::local_date(Utc::now(), zone);
    let to = day("to", &params.to)?.unwrap_or(today);
    let from = day("from", &params.from)?.unwrap_or(to - Duration::days(30));
    if from > to || (to - from).num_days() > 366 {
        return Err(ApiError::bad_request(
            "invalid_query",
            Some("from"),
            "from is on or before to, at most 366 days before it",
        ));
    }
    // A day starts where the one before it ends.
    let start = crm_domain::calendar::end_of_day(from.pred_opt().unwrap_or(from), zone);
    let end = crm_domain::calendar::end_of_day(to, zone);
    let r = state.store.call_report(&auth.viewer(), start, end).await?;
    let dir = state.store.directory(auth.company.id).await?;
    let lang = reader(&auth);
    let settings_label = |code: &str| {
        if code.is_empty() {
            lang.text("outcome.incoming")
        } else {
            lang.text(&format!("outcome.{code}"))
        }
    };
    Ok(web::Json(CallReport {
        from: from.to_string(),
        to: to.to_string(),
        callers: r
            .callers
            .into_iter()
            .map(|c| CallerStats {
                user_id: c.user_id.0,
                name: dir.user_name(c.user_id),
                calls: c.calls,
                reached: c.reached,
                meetings: c.meetings,
                outcomes: c
                    .outcomes
                    .into_iter()
                    .map(|(code, count)| OutcomeCount {
                        label: settings_label(&code),
                        outcome: code,
                        count,
                    })
                    .collect(),
            })
            .collect(),
        lists: r
            .lists
            .into_iter()
            .map(|l| ListStats {
                list_id: l.list_id,
                name: l.name,
                calls: l.calls,
                reached: l.reached,
                progress: progress(l.progress),
            })
            .collect(),
    }))
}
