//! The signed-in user's notifications (the bell) and where each kind of notice reaches them.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use crm_domain::contacts::Phone;
use crm_store::notices::Channels;
use crm_types::{ApiError as ErrorBody, NoticeChannels, NoticeSettings, Notification, NotificationCounts, NotificationsRead, Slice};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(counts)
        .service(read)
        .service(settings)
        .service(save_settings);
}

/// A page of notifications.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for NotificationParams {
    fn check(&self, c: &mut Checker) {
        c.opt("cursor", &self.cursor, crm_domain::limits::CURSOR);
    }
}

/// The caller's notifications, newest first.
#[utoipa::path(tag = "tasks", params(NotificationParams), responses((status = 200, body = Slice<Notification>), (status = 400, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/notifications")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<NotificationParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Slice<Notification>>> {
    let limit = super::limit(params.limit)?;
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            crm_store::cursor::decode_time_id(c)
                .map_err(|_| ApiError::bad_request("invalid_cursor", Some("cursor"), "the cursor is not one this list gave out"))
        })
        .transpose()?;
    let mut items = state.store.notifications(&auth.viewer(), after, limit + 1).await?;
    let next = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|n| crm_store::cursor::encode_time_id(n.created_at, n.id))
    } else {
        None
    };
    Ok(web::Json(views::slice(
        items
            .into_iter()
            .map(|n| Notification {
                id: n.id,
                kind: n.kind,
                title: n.title,
                body: n.body,
                link: n.link,
                created_at: n.created_at,
                read_at: n.read_at,
            })
            .collect(),
        limit,
        next,
        &req,
    )))
}

/// How many of the caller's notifications are unread (the bell's number).
#[utoipa::path(tag = "tasks", responses((status = 200, body = NotificationCounts)), security(("bearer" = []), ("api_key" = [])))]
#[get("/notifications/counts")]
async fn counts(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<NotificationCounts>> {
    Ok(web::Json(NotificationCounts {
        unread: state.store.unread_notifications(&auth.viewer()).await?,
    }))
}

/// Mark notifications read: the ones named, or all.
#[utoipa::path(tag = "tasks", request_body = NotificationsRead, responses((status = 204), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/notifications/read")]
async fn read(state: web::Data<AppState>, auth: Auth, body: Valid<NotificationsRead>) -> ApiResult<HttpResponse> {
    if !body.all && body.ids.is_empty() {
        return Err(ApiError::invalid("required", "ids", "name the notifications, or say all"));
    }
    let ids = (!body.all).then_some(body.ids.as_slice());
    state.store.read_notifications(&auth.viewer(), ids).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn settings_view(chosen: Vec<(&'static str, Channels)>, phone: Option<String>) -> NoticeSettings {
    NoticeSettings {
        kinds: chosen
            .into_iter()
            .map(|(kind, c)| NoticeChannels {
                kind: kind.to_owned(),
                in_app: c.in_app,
                email: c.email,
                sms: c.sms,
            })
            .collect(),
        phone,
    }
}

/// Where each kind of notice reaches the caller: in the app, by email, by SMS.
#[utoipa::path(tag = "tasks", responses((status = 200, body = NoticeSettings)), security(("bearer" = []), ("api_key" = [])))]
#[get("/me/notices")]
async fn settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<NoticeSettings>> {
    let (chosen, phone) = state.store.notice_settings(auth.company.id, auth.user.id).await?;
    Ok(web::Json(settings_view(chosen, phone)))
}

/// Choose where each kind of notice reaches the caller, and the mobile number for SMS.
#[utoipa::path(tag = "tasks", request_body = NoticeSettings, responses((status = 200, body = NoticeSettings), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/me/notices")]
async fn save_settings(state: web::Data<AppState>, auth: Auth, body: Valid<NoticeSettings>) -> ApiResult<web::Json<NoticeSettings>> {
    let phone = match body.phone.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(p) => Some(
            Phone::parse(p, auth.company.country)
                .map_err(|e| ApiError::invalid("invalid_phone", "phone", e.to_string()))?
                .as_str()
                .to_owned(),
        ),
    };
    let kinds: Vec<(String, Channels)> = body
        .kinds
        .iter()
        .map(|k| {
            (
                k.kind.clone(),
                Channels {
                    in_app: k.in_app,
                    email: k.email,
                    sms: k.sms,
                },
            )
        })
        .collect();
    state
        .store
        .save_notice_settings(auth.company.id, auth.user.id, &kinds, phone)
        .await?;
    let (chosen, phone) = state.store.notice_settings(auth.company.id, auth.user.id).await?;
    Ok(web::Json(settings_view(chosen, phone)))
}
