//! The signed-in user's CRM tasks.

use actix_web::{HttpResponse, get, post, web};
use crm_domain::TaskId;
use crm_types::{ApiError as ErrorBody, Task};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::input::{Check, Checker, ValidQuery};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(complete);
}

/// Which tasks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `open` (default) or `done`.
    status: Option<String>,
}

impl Check for TaskParams {
    fn check(&self, c: &mut Checker) {
        c.opt("status", &self.status, crm_domain::limits::CODE);
    }
}

/// The caller's tasks: open ones by due date, or done ones, newest first.
#[utoipa::path(tag = "tasks", params(TaskParams), responses((status = 200, body = Vec<Task>), (status = 400, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/tasks")]
async fn list(state: web::Data<AppState>, auth: Auth, params: ValidQuery<TaskParams>) -> ApiResult<web::Json<Vec<Task>>> {
    let open = match params.status.as_deref() {
        None | Some("") | Some("open") => true,
        Some("done") => false,
        Some(other) => {
            return Err(crate::error::ApiError::bad_request(
                "invalid_status",
                Some("status"),
                format!("'{other}' is not open or done"),
            ));
        }
    };
    let tasks = state.store.tasks(auth.company.id, auth.user.id, open).await?;
    Ok(web::Json(
        tasks
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
    ))
}

/// Mark one of the caller's tasks done.
#[utoipa::path(tag = "tasks", params(("id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/tasks/{id}/done")]
async fn complete(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    state.store.complete_task(auth.company.id, auth.user.id, TaskId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
