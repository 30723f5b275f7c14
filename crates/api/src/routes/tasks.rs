//! The signed-in user's CRM tasks.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_domain::TaskId;
use crm_types::{ApiError as ErrorBody, Slice, Task, TaskCounts};
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
    cfg.service(list).service(counts).service(complete);
}

/// Which tasks, a page at a time.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `open` (default) or `done`.
    status: Option<String>,
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for TaskParams {
    fn check(&self, c: &mut Checker) {
        c.opt("status", &self.status, crm_domain::limits::CODE);
        c.opt("cursor", &self.cursor, crm_domain::limits::CURSOR);
    }
}

/// The caller's tasks: open ones, soonest due first, or done ones, latest first; a page at a time.
#[utoipa::path(tag = "tasks", params(TaskParams), responses((status = 200, body = Slice<Task>), (status = 400, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/tasks")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<TaskParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Slice<Task>>> {
    let open = match params.status.as_deref() {
        None | Some("") | Some("open") => true,
        Some("done") => false,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_status",
                Some("status"),
                format!("'{other}' is not open or done"),
            ));
        }
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
    let page = state.store.tasks(auth.company.id, auth.user.id, open, after, limit).await?;
    Ok(web::Json(views::slice(
        page.items
            .into_iter()
            .map(|t| Task {
                id: t.id.0,
                kind: t.kind,
                title: t.title,
                body: t.body,
                contact_id: t.contact_id.map(|c| c.0),
                due_at: t.due_at,
                done_at: t.done_at,
                created_at: t.created_at,
            })
            .collect(),
        limit,
        page.next.map(|(at, id)| crm_store::cursor::encode_time_id(at, id)),
        &req,
    )))
}

/// How many open tasks the caller has, and how many of them are overdue (for the navigation).
#[utoipa::path(tag = "tasks", responses((status = 200, body = TaskCounts)), security(("bearer" = []), ("api_key" = [])))]
#[get("/tasks/counts")]
async fn counts(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<TaskCounts>> {
    let (open, overdue) = state.store.task_counts(auth.company.id, auth.user.id).await?;
    Ok(web::Json(TaskCounts { open, overdue }))
}

/// Mark one of the caller's tasks done.
#[utoipa::path(tag = "tasks", params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/tasks/{id}/done")]
async fn complete(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    state.store.complete_task(auth.company.id, auth.user.id, TaskId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
