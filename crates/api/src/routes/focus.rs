//! Focus areas: read by everyone who works with clients, changed by administrators; and "suggest
//! a broker for this address".

use actix_web::{HttpResponse, delete, get, post, put, web};
use crm_domain::contacts::GeoPoint;
use crm_domain::focus::Shape;
use crm_domain::{OfficeId, UserId};
use crm_store::StoreError;
use crm_store::focus::{AreaOwner, FocusAreaInput};
use crm_types::{ApiError as ErrorBody, FocusArea, FocusAreaWrite, SuggestedOffice, SuggestedUser, Suggestion};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(suggest)
        .service(get_one)
        .service(create)
        .service(update)
        .service(remove);
}

fn view(a: crm_store::focus::FocusArea, office_of: impl Fn(UserId) -> Option<OfficeId>) -> FocusArea {
    let (office_id, user_id) = match a.owner {
        AreaOwner::Office(o) => (o.0, None),
        AreaOwner::User(u) => (office_of(u).map(|o| o.0).unwrap_or_default(), Some(u.0)),
    };
    FocusArea {
        id: a.id,
        name: a.name,
        office_id,
        user_id,
        distributor: a.distributor,
        bbox: a.shape.bounds().to_vec(),
        geometry: a.shape.to_geojson(),
        updated_at: a.updated_at,
    }
}

async fn office_lookup(state: &AppState, auth: &Auth) -> ApiResult<impl Fn(UserId) -> Option<OfficeId>> {
    let dir = state.store.directory(auth.company.id).await?;
    Ok(move |u: UserId| dir.users.get(&u).map(|(_, office)| *office))
}

/// The company's focus areas (offices' and users'), by name.
#[utoipa::path(tag = "focus areas", responses((status = 200, body = Vec<FocusArea>), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/focus-areas")]
async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<Vec<FocusArea>>> {
    auth.require_clients()?;
    let areas = state.store.focus_areas(auth.company.id).await?;
    let office_of = office_lookup(&state, &auth).await?;
    Ok(web::Json(areas.into_iter().map(|a| view(a, &office_of)).collect()))
}

/// One focus area.
#[utoipa::path(tag = "focus areas", params(("id" = Uuid, Path)), responses((status = 200, body = FocusArea), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/focus-areas/{id}")]
async fn get_one(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<FocusArea>> {
    auth.require_clients()?;
    let area = state.store.focus_area(auth.company.id, *id).await?;
    let office_of = office_lookup(&state, &auth).await?;
    Ok(web::Json(view(area, office_of)))
}

fn input(body: &FocusAreaWrite) -> ApiResult<FocusAreaInput> {
    let owner = match (body.office_id, body.user_id) {
        (Some(o), None) => AreaOwner::Office(OfficeId(o)),
        (None, Some(u)) => AreaOwner::User(UserId(u)),
        _ => {
            return Err(StoreError::invalid("office_id", "owner_required", "give exactly one of office_id and user_id").into());
        }
    };
    let shape = Shape::from_json(&body.geometry).map_err(|e| {
        let field = if e.path.is_empty() {
            "geometry".to_owned()
        } else {
            format!("geometry.{}", e.path)
        };
        ApiError::from(StoreError::invalid(field, e.code, e.message))
    })?;
    Ok(FocusAreaInput {
        owner,
        name: body.name.clone(),
        distributor: body.distributor,
        shape,
    })
}

/// Add a focus area (administrators). The GeoJSON is checked: closed rings of at least four
/// positions, longitude and latitude in range, no self-intersection, at most 20,000 positions;
/// an error names the position (`geometry.coordinates[0][5]`).
#[utoipa::path(tag = "focus areas", request_body = FocusAreaWrite, responses((status = 201, body = FocusArea), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/focus-areas")]
async fn create(state: web::Data<AppState>, auth: Auth, body: Valid<FocusAreaWrite>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    let saved = state.store.save_focus_area(auth.company.id, None, input(&body)?).await?;
    let office_of = office_lookup(&state, &auth).await?;
    Ok(HttpResponse::Created().json(view(saved, office_of)))
}

/// Replace a focus area (administrators).
#[utoipa::path(tag = "focus areas", params(("id" = Uuid, Path)), request_body = FocusAreaWrite, responses((status = 200, body = FocusArea), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/focus-areas/{id}")]
async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<FocusAreaWrite>,
) -> ApiResult<web::Json<FocusArea>> {
    auth.require_admin()?;
    let saved = state.store.save_focus_area(auth.company.id, Some(*id), input(&body)?).await?;
    let office_of = office_lookup(&state, &auth).await?;
    Ok(web::Json(view(saved, office_of)))
}

/// Remove a focus area (administrators).
#[utoipa::path(tag = "focus areas", params(("id" = Uuid, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/focus-areas/{id}")]
async fn remove(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    auth.require_admin()?;
    state.store.delete_focus_area(auth.company.id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A point on the map.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointParams {
    /// Latitude, −90…90.
    lat: f64,
    /// Longitude, −180…180.
    lon: f64,
}

impl Check for PointParams {
    fn check(&self, c: &mut Checker) {
        c.range("lat", Some(self.lat), -90.0, 90.0);
        c.range("lon", Some(self.lon), -180.0, 180.0);
    }
}

/// Suggest a broker for an address: the users whose focus areas hold the point (distributors
/// first, then the smaller area) and the offices whose areas hold it.
#[utoipa::path(tag = "focus areas", params(PointParams), responses((status = 200, body = Suggestion), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/focus-areas/suggest")]
async fn suggest(state: web::Data<AppState>, auth: Auth, params: ValidQuery<PointParams>) -> ApiResult<web::Json<Suggestion>> {
    auth.require_clients()?;
    let point = GeoPoint::new(params.lat, params.lon)
        .ok_or_else(|| ApiError::bad_request("out_of_range", Some("lat"), "not a point on the map"))?;
    let coverage = state.store.coverage(auth.company.id).await?;
    let dir = state.store.directory(auth.company.id).await?;
    let users = crm_domain::routing::suggest(point, &coverage.users)
        .into_iter()
        .map(|area| SuggestedUser {
            user_id: area.key.user.0,
            name: dir.users.get(&area.key.user).map(|(n, _)| n.clone()).unwrap_or_default(),
            office_id: area.key.office.0,
            area: area.key.name.clone(),
            distributor: area.distributor,
        })
        .collect();
    let mut offices: Vec<SuggestedOffice> = Vec::new();
    for area in coverage.offices.covering(point) {
        if offices.iter().any(|o| o.office_id == area.key.office.0) {
            continue;
        }
        offices.push(SuggestedOffice {
            office_id: area.key.office.0,
            name: dir.offices.get(&area.key.office).cloned().unwrap_or_default(),
            area: area.key.name.clone(),
        });
    }
    Ok(web::Json(Suggestion { users, offices }))
}
