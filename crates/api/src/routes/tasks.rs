//! The signed-in user's CRM tasks.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_domain::TaskId;
use crm_store::tasks::TaskFilter;
use crm_types::{ApiError as ErrorBody, KindCount, Slice, Task, TaskCounts};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, ValidQuery};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(counts).service(complete).service(take);
}

/// Which tasks, a page at a time.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `open` (default) or `done`.
    status: Option<String>,
    /// `mine` (default: the caller's tasks with the tips and leads waiting for them) or `tank`
    /// (callbacks waiting in the caller's office's shark tank).
    scope: Option<String>,
    /// Only this kind: `handover`, `callback`, `follow_up`, `import`, `unsubscribe`, `tip`, `lead`,
    /// and from calls `call_again`, `contact_on`, `colleague_try`, `nurture`.
    kind: Option<String>,
    /// `overdue` (due before now) or `today` (due by the end of the caller's day).
    due: Option<String>,
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for TaskParams {
    fn check(&self, c: &mut Checker) {
        c.opt("status", &self.status, crm_domain::limits::CODE);
        c.opt("scope", &self.scope, crm_domain::limits::CODE);
        c.opt("kind", &self.kind, crm_domain::limits::CODE);
        c.opt("due", &self.due, crm_domain::limits::CODE);
        c.opt("cursor", &self.cursor, crm_domain::limits::CURSOR);
    }
}

const KINDS: [&str; 11] = [
    "handover",
    "callback",
    "follow_up",
    "import",
    "unsubscribe",
    "tip",
    "lead",
    "call_again",
    "contact_on",
    "colleague_try",
    "nurture",
];

fn one_of<'a>(field: &str, value: &Option<String>, allowed: &[&'a str]) -> ApiResult<Option<&'a str>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => allowed
            .iter()
            .find(|a| **a == v)
            .map(|a| Some(*a))
            .ok_or_else(|| ApiError::bad_request("invalid_query", Some(field), format!("{field} is one of {}", allowed.join(", ")))),
    }
}

/// The end of the caller's day, in their time zone.
fn end_of_today(auth: &Auth) -> chrono::DateTime<chrono::Utc> {
    let zone = auth.user.zone(&auth.company);
    crm_domain::calendar::end_of_day(crm_domain::calendar::local_date(chrono::Utc::now(), zone), zone)
}

/// The caller's one task list: tasks (hand-overs, callbacks, follow-ups, finished imports,
/// unsubscribes) with the tips and leads waiting for them, open ones soonest due first, or done
/// ones latest first; or the callbacks waiting in the office's shark tank.
#[utoipa::path(tag = "tasks", params(TaskParams), responses((status = 200, body = Slice<Task>), (status = 400, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/tasks")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<TaskParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Slice<Task>>> {
    let done = one_of("status", &params.status, &["open", "done"])? == Some("done");
    let tank = one_of("scope", &params.scope, &["mine", "tank"])? == Some("tank");
    let kind = one_of("kind", &params.kind, &KINDS)?;
    let due_before = match one_of("due", &params.due, &["overdue", "today"])? {
        Some("overdue") => Some(chrono::Utc::now()),
        Some(_) => Some(end_of_today(&auth)),
        None => None,
    };
    let limit = super::limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            crm_store::cursor::decode_time_id(c)
                .map_err(|_| ApiError::bad_request("invalid_cursor", Some("cursor"), "the cursor is not one this list gave out"))
        })
        .transpose()?;
    let filter = TaskFilter {
        done,
        tank,
        kind: kind.map(str::to_owned),
        due_before,
    };
    let page = state.store.tasks(&auth.viewer(), &filter, after, limit).await?;
    Ok(web::Json(views::slice(
        page.items.into_iter().map(views::task).collect(),
        limit,
        page.next.map(|(at, id)| crm_store::cursor::encode_time_id(at, id)),
        &req,
    )))
}

/// Counts for the start page and the navigation: open, overdue, due today, per kind, and the
/// callbacks waiting in the office's shark tank.
#[utoipa::path(tag = "tasks", responses((status = 200, body = TaskCounts)), security(("bearer" = []), ("api_key" = [])))]
#[get("/tasks/counts")]
async fn counts(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<TaskCounts>> {
    let c = state.store.task_counts(&auth.viewer(), end_of_today(&auth)).await?;
    Ok(web::Json(TaskCounts {
        open: c.open,
        overdue: c.overdue,
        due_today: c.due_today,
        by_kind: c.by_kind.into_iter().map(|(kind, count)| KindCount { kind, count }).collect(),
        tank: c.tank,
    }))
}

/// Mark one of the caller's tasks done.
#[utoipa::path(tag = "tasks", params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/tasks/{id}/done")]
async fn complete(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    state.store.complete_task(&auth.viewer(), TaskId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Take a callback waiting in the caller's office's shark tank; of two who race, one gets it
/// and the other a 409.
#[utoipa::path(tag = "tasks", params(("id" = Uuid, Path)), responses((status = 200, body = Task), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/tasks/{id}/take")]
async fn take(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Task>> {
    let t = state.store.take_task(&auth.viewer(), TaskId(*id)).await?;
    Ok(web::Json(views::task(t)))
}
