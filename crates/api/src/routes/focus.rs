//! Focus areas: read by everyone who works with clients, changed by administrators; and "suggest
//! a broker for this address".

use actix_web::{HttpResponse, delete, get, post, put, web};
use crm_domain::contacts::GeoPoint;
use crm_domain::focus::Shape;
use crm_domain::{OfficeId, UserId, limits};
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
use crate::geocode::{Address, Geocode};
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

/// Reads a written area. The shape is checked on the blocking pool: a boundary of 20,000
/// positions takes long enough to hold up every other request of the worker thread.
async fn input(body: &FocusAreaWrite) -> ApiResult<FocusAreaInput> {
    let owner = match (body.office_id, body.user_id) {
        (Some(o), None) => AreaOwner::Office(OfficeId(o)),
        (None, Some(u)) => AreaOwner::User(UserId(u)),
        _ => {
            return Err(StoreError::invalid("office_id", "owner_required", "give exactly one of office_id and user_id").into());
        }
    };
    let geometry = body.geometry.clone();
    let checked = web::block(move || Shape::from_json(&geometry))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("checking a shape: {e}")))?;
    let shape = checked.map_err(|e| {
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
    let saved = state.store.save_focus_area(auth.company.id, None, input(&body).await?).await?;
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
    let saved = state.store.save_focus_area(auth.company.id, Some(*id), input(&body).await?).await?;
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

/// A place: a point on the map, or an address the geocoder finds.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaceParams {
    /// Latitude, −90…90 (with `lon`).
    lat: Option<f64>,
    /// Longitude, −180…180 (with `lat`).
    lon: Option<f64>,
    /// Without a coordinate: the street address, looked up by the geocoder when one is configured.
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
}

impl Check for PlaceParams {
    fn check(&self, c: &mut Checker) {
        c.range("lat", self.lat, -90.0, 90.0);
        c.range("lon", self.lon, -180.0, 180.0);
        if self.lat.is_some() != self.lon.is_some() {
            c.add("lon", "coordinate_incomplete", "give both lat and lon".into());
        }
        for (field, value, max) in [
            ("street", &self.street, limits::STREET),
            ("postal_code", &self.postal_code, limits::POSTAL_CODE),
            ("city", &self.city, limits::PLACE),
        ] {
            if let Some(v) = value {
                c.text(field, v, max);
            }
        }
    }
}

/// The point a suggestion is for: the one given, else the geocoded address.
async fn place(state: &AppState, auth: &Auth, params: &PlaceParams) -> ApiResult<GeoPoint> {
    if let (Some(lat), Some(lon)) = (params.lat, params.lon) {
        return GeoPoint::new(lat, lon).ok_or_else(|| ApiError::bad_request("out_of_range", Some("lat"), "not a point on the map"));
    }
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let address = Address {
        street: clean(&params.street),
        postal_code: clean(&params.postal_code),
        city: clean(&params.city),
        country: Some(auth.company.country),
    };
    if address.is_empty() {
        return Err(ApiError::invalid("place_required", "lat", "give lat and lon, or an address"));
    }
    let Some(geocoder) = &state.geocoder else {
        return Err(ApiError::invalid(
            "geocoder_off",
            "lat",
            "addresses cannot be looked up on this server (no geocoder is configured): give lat and lon",
        ));
    };
    match geocoder.locate(&address).await {
        Geocode::Found(point) => Ok(point),
        Geocode::NotFound => Err(ApiError::invalid(
            "address_not_found",
            "street",
            "the geocoder does not know this address",
        )),
        Geocode::Failed => Err(ApiError::unavailable(
            "geocoder_unavailable",
            "the geocoder cannot be reached just now; try again, or give lat and lon",
        )),
    }
}

/// Suggest a broker for an address: the users whose focus areas hold the place (distributors
/// first, then the smaller area) and the offices whose areas hold it. The place is `lat` and
/// `lon`, or an address looked up by the geocoder (when the server has one).
#[utoipa::path(tag = "focus areas", params(PlaceParams), responses((status = 200, body = Suggestion), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody, description = "The geocoder cannot be reached now")), security(("bearer" = []), ("api_key" = [])))]
#[get("/focus-areas/suggest")]
async fn suggest(state: web::Data<AppState>, auth: Auth, params: ValidQuery<PlaceParams>) -> ApiResult<web::Json<Suggestion>> {
    auth.require_clients()?;
    let point = place(&state, &auth, &params).await?;
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
    Ok(web::Json(Suggestion {
        lat: point.lat,
        lon: point.lon,
        users,
        offices,
    }))
}
