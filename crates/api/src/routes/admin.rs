//! Administration: offices, users and their rights, groups, API keys. Reading the user and
//! office directory is open to every signed-in user (to pick a colleague); changes need
//! administrator rights.

use actix_web::{HttpResponse, delete, get, post, put, web};
use crm_domain::org::Role;
use crm_domain::{GroupId, OfficeId, UserId};
use crm_store::auth::PasswordHash;
use crm_store::org::UserInput;
use crm_types::{ApiError as ErrorBody, ApiKey, ApiKeyWrite, CompanySettings, Group, GroupWrite, Office, OfficeWrite, User, UserWrite};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::Valid;
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(offices)
        .service(create_office)
        .service(rename_office)
        .service(users)
        .service(get_user)
        .service(create_user)
        .service(update_user)
        .service(groups)
        .service(create_group)
        .service(update_group)
        .service(api_keys)
        .service(create_api_key)
        .service(revoke_api_key)
        .service(company_settings);
}

/// Set the company's time zone (administrators): users' times are in it unless they chose
/// their own.
#[utoipa::path(tag = "admin", request_body = CompanySettings, responses((status = 200, body = crm_types::CompanySummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/company/settings")]
async fn company_settings(
    state: web::Data<AppState>,
    auth: Auth,
    body: Valid<CompanySettings>,
) -> ApiResult<web::Json<crm_types::CompanySummary>> {
    auth.require_admin()?;
    let zone = match body.time_zone.trim() {
        "" => None,
        z => Some(crm_domain::calendar::parse_time_zone(z).ok_or_else(|| {
            ApiError::invalid(
                "invalid_time_zone",
                "time_zone",
                format!("'{z}' is not an IANA time zone such as Europe/Stockholm"),
            )
        })?),
    };
    state.store.set_company_time_zone(auth.company.id, zone).await?;
    Ok(web::Json(views::company(&state.store.company(auth.company.id).await?)))
}

/// The company's offices.
#[utoipa::path(tag = "admin", responses((status = 200, body = Vec<Office>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/offices")]
async fn offices(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<Office>>> {
    let list = state.store.offices(auth.company.id).await?;
    Ok(web::Json(
        list.into_iter()
            .map(|o| Office {
                id: o.id.0,
                name: o.name,
                user_count: o.user_count,
            })
            .collect(),
    ))
}

/// Open an office (administrators).
#[utoipa::path(tag = "admin", request_body = OfficeWrite, responses((status = 201, body = Office), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/offices")]
async fn create_office(state: web::Data<AppState>, auth: Auth, body: Valid<OfficeWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let id = state.store.create_office(auth.company.id, &body.name).await?;
    let office = state
        .store
        .offices(auth.company.id)
        .await?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or(ApiError::NotFound("office"))?;
    Ok(HttpResponse::Created().json(Office {
        id: office.id.0,
        name: office.name,
        user_count: 0,
    }))
}

/// Rename an office (administrators).
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), request_body = OfficeWrite, responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/offices/{id}")]
async fn rename_office(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<OfficeWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    state.store.rename_office(auth.company.id, OfficeId(*id), &body.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The company's users.
#[utoipa::path(tag = "admin", responses((status = 200, body = Vec<User>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/users")]
async fn users(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<User>>> {
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(
        state
            .store
            .users(auth.company.id)
            .await?
            .iter()
            .map(|u| views::user(u, &dir))
            .collect(),
    ))
}

/// One user.
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), responses((status = 200, body = User), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/users/{id}")]
async fn get_user(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<User>> {
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(views::user(&state.store.user(auth.company.id, UserId(*id)).await?, &dir)))
}

async fn user_input(w: &UserWrite) -> ApiResult<UserInput> {
    let role = Role::parse(&w.role).ok_or_else(|| ApiError::invalid("invalid_role", "role", format!("'{}' is not a role", w.role)))?;
    let password = match w.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => {
            crm_domain::org::check_password(p).map_err(|e| ApiError::invalid("weak_password", "password", e.to_string()))?;
            Some(PasswordHash::new(p).await?)
        }
        None => None,
    };
    Ok(UserInput {
        name: w.name.clone(),
        email: w.email.clone(),
        password,
        role,
        office_id: OfficeId(w.office_id),
        permissions: views::parse_permissions(&w.permissions)?,
        active: w.active,
        notify_email: w.notify_email,
        locale: w.locale.clone().filter(|l| !l.trim().is_empty()),
    })
}

/// Create a user with a role, an office and rights (administrators).
#[utoipa::path(tag = "admin", request_body = UserWrite, responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "Email taken"), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/users")]
async fn create_user(state: web::Data<AppState>, auth: Auth, body: Valid<UserWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let user = state.store.create_user(auth.company.id, user_input(&body).await?).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(HttpResponse::Created().json(views::user(&user, &dir)))
}

/// Change a user's details, office, rights, or password (administrators). An administrator
/// cannot take away their own administrator right or deactivate themselves.
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), request_body = UserWrite, responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/users/{id}")]
async fn update_user(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<UserWrite>) -> ApiResult<web::Json<User>> {
    auth.require_admin()?;
    let input = user_input(&body).await?;
    if *id == auth.user.id.0 && (!input.permissions.admin || !input.active) {
        return Err(ApiError::invalid(
            "self_lockout",
            "permissions.admin",
            "you cannot remove your own administrator right or deactivate yourself",
        ));
    }
    let user = state.store.update_user(auth.company.id, UserId(*id), input).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(views::user(&user, &dir)))
}

fn group(g: crm_store::org::Group) -> Group {
    Group {
        id: g.id.0,
        name: g.name,
        member_ids: g.member_ids.into_iter().map(|m| m.0).collect(),
    }
}

/// The company's groups.
#[utoipa::path(tag = "admin", responses((status = 200, body = Vec<Group>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/groups")]
async fn groups(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<Group>>> {
    Ok(web::Json(
        state.store.groups(auth.company.id).await?.into_iter().map(group).collect(),
    ))
}

/// Create a group (administrators).
#[utoipa::path(tag = "admin", request_body = GroupWrite, responses((status = 201, body = Group), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/groups")]
async fn create_group(state: web::Data<AppState>, auth: Auth, body: Valid<GroupWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let members: Vec<UserId> = body.member_ids.iter().copied().map(UserId).collect();
    Ok(HttpResponse::Created().json(group(state.store.save_group(auth.company.id, None, &body.name, &members).await?)))
}

/// Rename a group and replace its members (administrators).
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), request_body = GroupWrite, responses((status = 200, body = Group), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/groups/{id}")]
async fn update_group(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<GroupWrite>) -> ApiResult<web::Json<Group>> {
    auth.require_admin()?;
    let members: Vec<UserId> = body.member_ids.iter().copied().map(UserId).collect();
    Ok(web::Json(group(
        state
            .store
            .save_group(auth.company.id, Some(GroupId(*id)), &body.name, &members)
            .await?,
    )))
}

fn api_key(k: crm_store::auth::ApiKeyRecord, secret: Option<String>) -> ApiKey {
    ApiKey {
        id: k.id,
        name: k.name,
        user_id: k.user_id.0,
        prefix: k.prefix,
        created_at: k.created_at,
        secret,
    }
}

/// The company's active API keys (administrators).
#[utoipa::path(tag = "admin", responses((status = 200, body = Vec<ApiKey>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/api-keys")]
async fn api_keys(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<ApiKey>>> {
    auth.require_admin()?;
    Ok(web::Json(
        state
            .store
            .api_keys(auth.company.id)
            .await?
            .into_iter()
            .map(|k| api_key(k, None))
            .collect(),
    ))
}

/// Create an API key for an integration; it acts with the rights of `user_id`. The secret is
/// in this answer only (administrators).
#[utoipa::path(tag = "admin", request_body = ApiKeyWrite, responses((status = 201, body = ApiKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/api-keys")]
async fn create_api_key(state: web::Data<AppState>, auth: Auth, body: Valid<ApiKeyWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let acting = body.user_id.map(UserId).unwrap_or(auth.user.id);
    let (record, secret) = state
        .store
        .create_api_key(auth.company.id, auth.user.id, acting, &body.name)
        .await?;
    Ok(HttpResponse::Created().json(api_key(record, Some(secret))))
}

/// Revoke an API key (administrators).
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/api-keys/{id}")]
async fn revoke_api_key(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    state.store.revoke_api_key(auth.company.id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
