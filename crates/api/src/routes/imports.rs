//! Importing a register of contacts: upload a CSV file, say what its columns hold, check it (a
//! dry run reporting each row's problems and its duplicates), then import. The job runner does
//! the checking and importing; the caller follows the progress.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use crm_domain::UserId;
use crm_domain::contacts::ContactKind;
use crm_domain::import::{Field, suggest_mapping, summarize};
use crm_domain::limits;
use crm_store::imports::{ImportRecord, ImportSettings};
use crm_types as t;
use crm_types::ApiError as ErrorBody;
use futures::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload)
        .service(list)
        .service(get_one)
        .service(check)
        .service(start)
        .service(cancel);
}

pub fn view(r: &ImportRecord) -> t::Import {
    t::Import {
        id: r.id,
        file_name: r.file_name.clone(),
        status: r.status.as_str().to_owned(),
        rows: r.rows,
        headers: r.headers.clone(),
        sample: r.sample.clone(),
        suggested: suggest_mapping(&r.headers)
            .into_iter()
            .map(|f| f.map(|f| f.as_str().to_owned()))
            .collect(),
        settings: r.settings.as_ref().map(|s| t::ImportSettings {
            mapping: s.mapping.iter().map(|f| f.map(|f| f.as_str().to_owned())).collect(),
            default_kind: Some(s.default_kind.as_str().to_owned()),
            owner_id: s.owner.map(|o| o.0),
            skip_duplicates: s.skip_duplicates,
        }),
        processed: r.processed,
        valid: r.valid,
        invalid: r.invalid,
        duplicates: r.duplicates,
        created: r.created,
        problems: r
            .problems
            .iter()
            .map(|p| t::ImportProblem {
                row: p.row,
                field: p.field.clone(),
                code: p.code.clone(),
                message: p.message.clone(),
                contact_ids: p.contacts.iter().map(|c| c.0).collect(),
            })
            .collect(),
        error: r.error.clone(),
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

/// The uploaded file's name.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Shown in the list of imports and in the task that reports the result.
    file_name: Option<String>,
}

impl Check for UploadParams {
    fn check(&self, c: &mut Checker) {
        c.opt("file_name", &self.file_name, limits::NAME);
    }
}

/// Upload a CSV file (UTF-8; comma, semicolon or tab separated; the first row names the columns)
/// as the body. The answer shows its columns with a suggested meaning and its first rows.
#[utoipa::path(tag = "imports", params(UploadParams), request_body(content = String, content_type = "text/csv", description = "The file"), responses(
    (status = 201, body = t::Import),
    (status = 403, body = ErrorBody, description = "No right to work with clients"),
    (status = 413, body = ErrorBody, description = "The file is larger than the limit (`payload_too_large`)"),
    (status = 422, body = ErrorBody, description = "Not a readable CSV file (`invalid_file`), or too many unfinished imports"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/imports")]
async fn upload(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<UploadParams>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let limit = state.max_import_bytes;
    let mut file = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("invalid_body", None, e.to_string()))?;
        if file.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        file.extend_from_slice(&chunk);
    }
    // Reading the whole file takes a while for a big one: not on the request's worker.
    let (file, summary) = web::block(move || {
        let summary = summarize(&file, 5);
        (file, summary)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    let summary = summary.map_err(|e| ApiError::invalid("invalid_file", "file", e.to_string()))?;
    let name = params
        .file_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("contacts.csv");
    let record = state.store.create_import(&auth.viewer(), name, file, &summary).await?;
    Ok(HttpResponse::Created().json(view(&record)))
}

/// Your latest imports (administrators: the company's), newest first.
#[utoipa::path(tag = "imports", responses((status = 200, body = Vec<t::Import>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/imports")]
async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<t::Import>>> {
    Ok(web::Json(state.store.imports(&auth.viewer()).await?.iter().map(view).collect()))
}

/// An import: its state, its progress, and the report of its dry run.
#[utoipa::path(tag = "imports", params(("id" = Uuid, Path)), responses((status = 200, body = t::Import), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/imports/{id}")]
async fn get_one(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<t::Import>> {
    Ok(web::Json(view(&state.store.import(&auth.viewer(), *id).await?)))
}

impl Check for t::ImportSettings {
    fn check(&self, c: &mut Checker) {
        c.count("mapping", &self.mapping, crm_domain::import::MAX_COLUMNS);
        for (i, f) in self.mapping.iter().enumerate() {
            c.opt(&format!("mapping[{i}]"), f, limits::CODE);
        }
        c.opt("default_kind", &self.default_kind, limits::CODE);
    }
}

fn settings(body: &t::ImportSettings) -> ApiResult<ImportSettings> {
    let mut mapping = Vec::with_capacity(body.mapping.len());
    for (i, f) in body.mapping.iter().enumerate() {
        mapping.push(match f.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
            None => None,
            Some(f) => Some(
                Field::parse(f)
                    .ok_or_else(|| ApiError::invalid("invalid_field", &format!("mapping[{i}]"), format!("'{f}' is not a contact field")))?,
            ),
        });
    }
    let default_kind = match body.default_kind.as_deref().filter(|k| !k.is_empty()) {
        None => ContactKind::Standard,
        Some(k) => ContactKind::parse(k)
            .ok_or_else(|| ApiError::invalid("invalid_kind", "default_kind", format!("'{k}' is not a kind of contact")))?,
    };
    Ok(ImportSettings {
        mapping,
        default_kind,
        owner: body.owner_id.map(UserId),
        skip_duplicates: body.skip_duplicates,
    })
}

/// Say what each column holds and run the dry run. Follow `GET /imports/{id}` until the status
/// is `checked`; its report lists each row's problems and duplicates.
#[utoipa::path(tag = "imports", params(("id" = Uuid, Path)), request_body = t::ImportSettings, responses(
    (status = 202, body = t::Import),
    (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "The import is running or finished"),
    (status = 422, body = ErrorBody),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/imports/{id}/check")]
async fn check(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<t::ImportSettings>) -> ApiResult<HttpResponse> {
    let settings = settings(&body)?;
    let r = state.store.check_import(&auth.viewer(), *id, &settings).await?;
    Ok(HttpResponse::Accepted().json(view(&r)))
}

/// Import a checked file with the settings it was checked with. Follow `GET /imports/{id}`
/// until the status is `done`; a task tells you too.
#[utoipa::path(tag = "imports", params(("id" = Uuid, Path)), responses(
    (status = 202, body = t::Import),
    (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "The import is not checked"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/imports/{id}/start")]
async fn start(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let r = state.store.start_import(&auth.viewer(), *id).await?;
    Ok(HttpResponse::Accepted().json(view(&r)))
}

/// Stop an import that is not finished; what it already imported stays.
#[utoipa::path(tag = "imports", params(("id" = Uuid, Path)), responses(
    (status = 200, body = t::Import),
    (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "The import is finished"),
), security(("bearer" = []), ("api_key" = [])))]
#[post("/imports/{id}/cancel")]
async fn cancel(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, _req: HttpRequest) -> ApiResult<web::Json<t::Import>> {
    Ok(web::Json(view(&state.store.cancel_import(&auth.viewer(), *id).await?)))
}
