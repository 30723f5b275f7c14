//! Sign in, token refresh, sign out, and who am I.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use crm_store::auth::PasswordHash;
use crm_types::{ApiError as ErrorBody, LoginRequest, Me, MySettings, PasswordChange, RefreshRequest, TokenPair};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::input::Valid;
use crate::limits::client_address;
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(change_password)
        .service(settings);
}

async fn pair(state: &AppState, user: crm_store::org::User, refresh_token: String) -> ApiResult<TokenPair> {
    let company = state.store.company(user.company_id).await?;
    let dir = state.store.directory(user.company_id).await?;
    Ok(TokenPair {
        access_token: state.tokens.issue(&user)?,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.ttl_seconds,
        refresh_token,
        user: views::me(&user, &company, &dir),
    })
}

/// Sign in with email and password. Attempts are limited per account and per client address
/// (`429` with `Retry-After` beyond that).
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenPair),
    (status = 400, body = ErrorBody, description = "Malformed body"),
    (status = 401, body = ErrorBody, description = "Wrong email or password (`invalid_credentials`)"),
    (status = 422, body = ErrorBody, description = "A field is too long or holds control characters"),
    (status = 429, body = ErrorBody, description = "Too many attempts (`rate_limited`); see `Retry-After`"),
))]
#[post("/auth/login")]
async fn login(state: web::Data<AppState>, req: HttpRequest, body: Valid<LoginRequest>) -> ApiResult<web::Json<TokenPair>> {
    state.limits.login_address.check(&client_address(&req, state.trust_proxy))?;
    state.limits.login_account.check(&body.email.trim().to_lowercase())?;
    let user = state.store.authenticate(&body.email, &body.password).await?;
    let refresh_token = state.store.issue_refresh_token(&user, &state.sessions).await?;
    Ok(web::Json(pair(&state, user, refresh_token).await?))
}

/// Exchange a refresh token for a new token pair. Each refresh token works once; presented
/// again within a few seconds (concurrent requests of one browser) it returns the same new pair,
/// later it counts as stolen and ends the sign-in. A sign-in ends at the latest after its
/// absolute lifetime, or when the password changes.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, body = ErrorBody, description = "Invalid, spent, expired or revoked (`invalid_credentials`)"),
    (status = 429, body = ErrorBody, description = "Too many refreshes from this address (`rate_limited`)"),
))]
#[post("/auth/refresh")]
async fn refresh(state: web::Data<AppState>, req: HttpRequest, body: Valid<RefreshRequest>) -> ApiResult<web::Json<TokenPair>> {
    state.limits.refresh.check(&client_address(&req, state.trust_proxy))?;
    let (user, next) = state.store.rotate_refresh_token(&body.refresh_token, &state.sessions).await?;
    Ok(web::Json(pair(&state, user, next).await?))
}

/// Sign out: revoke the refresh token and every token rotated from it.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Signed out"),
    (status = 401, body = ErrorBody),
))]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, body: Valid<RefreshRequest>) -> ApiResult<HttpResponse> {
    state.store.revoke_refresh_token(&body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user, their rights and their company.
#[utoipa::path(tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/me")]
async fn me(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Me>> {
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(views::me(&auth.user, &auth.company, &dir)))
}

/// Change one's own password. Every sign-in of the user ends (other browsers, other devices);
/// the answer is a fresh token pair for this one.
#[utoipa::path(tag = "auth", request_body = PasswordChange, responses(
    (status = 200, body = TokenPair),
    (status = 422, body = ErrorBody, description = "Wrong current password (`wrong_password`) or a weak new one (`weak_password`)"),
    (status = 429, body = ErrorBody, description = "Too many attempts (`rate_limited`)"),
), security(("bearer" = [])))]
#[post("/me/password")]
async fn change_password(state: web::Data<AppState>, auth: Auth, body: Valid<PasswordChange>) -> ApiResult<web::Json<TokenPair>> {
    // Guessing the current password here is as limited as signing in.
    state.limits.login_account.check(&auth.user.email)?;
    crm_domain::org::check_password(&body.new_password)
        .map_err(|e| crate::error::ApiError::invalid("weak_password", "new_password", e.to_string()))?;
    let hash = PasswordHash::new(&body.new_password).await?;
    state
        .store
        .change_password(auth.company.id, auth.user.id, &body.current_password, hash)
        .await?;
    let user = state.store.user(auth.company.id, auth.user.id).await?;
    let refresh_token = state.store.issue_refresh_token(&user, &state.sessions).await?;
    Ok(web::Json(pair(&state, user, refresh_token).await?))
}

/// Change one's own settings: the language of the app and of the emails and history one reads,
/// and the time zone one's times are shown and typed in.
#[utoipa::path(tag = "auth", request_body = MySettings, responses(
    (status = 200, body = Me),
    (status = 422, body = ErrorBody, description = "Not a supported language (`invalid_locale`) or not a time zone (`invalid_time_zone`)"),
), security(("bearer" = []), ("api_key" = [])))]
#[put("/me/settings")]
async fn settings(state: web::Data<AppState>, auth: Auth, body: Valid<MySettings>) -> ApiResult<web::Json<Me>> {
    let locale = body
        .locale
        .as_deref()
        .map(|l| {
            crm_domain::i18n::Locale::parse(l).ok_or_else(|| {
                crate::error::ApiError::invalid(
                    "invalid_locale",
                    "locale",
                    format!("'{l}' is not one of the app's languages (en-GB, sv-SE, cs-CZ, ru-RU, pt-BR)"),
                )
            })
        })
        .transpose()?;
    let zone = body
        .time_zone
        .as_deref()
        .map(str::trim)
        .map(|z| {
            if z.is_empty() {
                Ok(None)
            } else {
                crm_domain::calendar::parse_time_zone(z).map(Some).ok_or_else(|| {
                    crate::error::ApiError::invalid(
                        "invalid_time_zone",
                        "time_zone",
                        format!("'{z}' is not an IANA time zone such as Europe/Stockholm"),
                    )
                })
            }
        })
        .transpose()?;
    if let Some(l) = locale {
        state.store.set_locale(auth.company.id, auth.user.id, l.tag()).await?;
    }
    if let Some(z) = zone {
        state.store.set_user_time_zone(auth.company.id, auth.user.id, z).await?;
    }
    let user = state.store.user(auth.company.id, auth.user.id).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(views::me(&user, &auth.company, &dir)))
}
