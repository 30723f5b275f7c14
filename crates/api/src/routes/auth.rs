//! Sign in, token refresh, sign out, and who am I.

use actix_web::{HttpResponse, get, post, web};
use crm_types::{ApiError as ErrorBody, LoginRequest, Me, RefreshRequest, TokenPair};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout).service(me);
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

/// Sign in with email and password.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = TokenPair),
    (status = 400, body = ErrorBody, description = "Malformed body"),
    (status = 401, body = ErrorBody, description = "Wrong email or password (`invalid_credentials`)"),
))]
#[post("/auth/login")]
async fn login(state: web::Data<AppState>, body: web::Json<LoginRequest>) -> ApiResult<web::Json<TokenPair>> {
    let user = state.store.authenticate(&body.email, &body.password).await?;
    let refresh_token = state.store.issue_refresh_token(&user, None).await?;
    Ok(web::Json(pair(&state, user, refresh_token).await?))
}

/// Exchange a refresh token for a new token pair. Each refresh token works once; presenting a
/// spent one revokes the whole sign-in.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenPair),
    (status = 401, body = ErrorBody, description = "Invalid, spent, expired or revoked (`invalid_credentials`)"),
))]
#[post("/auth/refresh")]
async fn refresh(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> ApiResult<web::Json<TokenPair>> {
    let (user, next) = state.store.rotate_refresh_token(&body.refresh_token).await?;
    Ok(web::Json(pair(&state, user, next).await?))
}

/// Sign out: revoke the refresh token and every token rotated from it.
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Signed out"),
    (status = 401, body = ErrorBody),
))]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, body: web::Json<RefreshRequest>) -> ApiResult<HttpResponse> {
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
