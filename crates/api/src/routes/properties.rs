//! Listings, their parties, and demands.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use crm_domain::contacts::{Country, GeoPoint};
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus};
use crm_domain::{ContactId, DemandId, PropertyId, UserId};
use crm_store::properties::{DemandData, PropertyData, PropertyFilter};
use crm_types::{ApiError as ErrorBody, Demand, DemandWrite, Page, PartyWrite, Property, PropertyWrite};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(get_one)
        .service(update)
        .service(add_party)
        .service(remove_party)
        .service(create_demand)
        .service(get_demand)
        .service(update_demand);
}

fn text(field: &str, value: &str) -> ApiResult<String> {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        Err(ApiError::invalid("required", field, format!("{field} is required")))
    } else {
        Ok(v)
    }
}

fn optional(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn non_negative<T: PartialOrd + Default + Copy>(field: &str, v: Option<T>) -> ApiResult<Option<T>> {
    match v {
        Some(x) if x < T::default() => Err(ApiError::invalid("negative", field, format!("{field} cannot be negative"))),
        _ => Ok(v),
    }
}

/// A listing reference as typed: trimmed; letters, digits and `-`, `/`, `.`, `_`, `#`, space.
fn reference(value: &Option<String>) -> ApiResult<Option<String>> {
    let Some(r) = optional(value) else { return Ok(None) };
    if r.chars()
        .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '/' | '.' | '_' | '#' | ' '))
    {
        Ok(Some(r))
    } else {
        Err(ApiError::invalid(
            "invalid_reference",
            "reference",
            "a reference has letters, digits, spaces and - / . _ # only",
        ))
    }
}

pub(crate) fn parse_property(w: &PropertyWrite, default_country: Country) -> ApiResult<PropertyData> {
    let kind = PropertyKind::parse(&w.kind)
        .ok_or_else(|| ApiError::invalid("invalid_kind", "kind", format!("'{}' is not a kind of property", w.kind)))?;
    let status = PropertyStatus::parse(&w.status)
        .ok_or_else(|| ApiError::invalid("invalid_status", "status", format!("'{}' is not a listing status", w.status)))?;
    let country = match optional(&w.country) {
        None => default_country,
        Some(c) => Country::parse(&c).map_err(|e| ApiError::invalid("invalid_country", "country", e.to_string()))?,
    };
    match (w.lat, w.lon) {
        (None, None) => {}
        (Some(lat), Some(lon)) if GeoPoint::new(lat, lon).is_some() => {}
        _ => {
            return Err(ApiError::invalid(
                "invalid_coordinates",
                "lat",
                "give a valid latitude and longitude, or neither",
            ));
        }
    }
    Ok(PropertyData {
        reference: reference(&w.reference)?,
        kind,
        status,
        street: text("street", &w.street)?,
        city: text("city", &w.city)?,
        postal_code: optional(&w.postal_code),
        country,
        lat: w.lat,
        lon: w.lon,
        price: non_negative("price", w.price)?,
        living_area: non_negative("living_area", w.living_area)?,
        rooms: non_negative("rooms", w.rooms)?,
        bedrooms: non_negative("bedrooms", w.bedrooms)?,
        parking_spaces: non_negative("parking_spaces", w.parking_spaces)?,
        neighbourhood: optional(&w.neighbourhood),
        condominium: optional(&w.condominium),
        advertised: w.advertised,
        broker_id: w.broker_id.map(UserId),
        contract_date: crate::time::opt_date("contract_date", &w.contract_date)?,
        access_date: crate::time::opt_date("access_date", &w.access_date)?,
    })
}

/// Paging and filters of the listing list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only listings in this status.
    status: Option<String>,
    /// Only listings of this broker.
    #[param(value_type = Option<Uuid>)]
    broker_id: Option<String>,
    /// The listing with this reference.
    reference: Option<String>,
    /// 1–200, default 50.
    limit: Option<u64>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

impl Check for ListParams {
    fn check(&self, c: &mut Checker) {
        c.opt("status", &self.status, crm_domain::limits::CODE);
        c.opt("broker_id", &self.broker_id, 40);
        c.opt("reference", &self.reference, crm_domain::limits::REFERENCE);
        c.opt("cursor", &self.cursor, crm_domain::limits::CURSOR);
    }
}

/// The company's listings, newest first, a page at a time. Everyone who works with clients
/// reads them.
#[utoipa::path(tag = "properties", params(ListParams), responses((status = 200, body = Page<Property>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/properties")]
async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    params: ValidQuery<ListParams>,
    req: HttpRequest,
) -> ApiResult<web::Json<Page<Property>>> {
    auth.require_clients()?;
    let limit = super::limit(params.limit)?;
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            PropertyStatus::parse(s)
                .ok_or_else(|| ApiError::bad_request("invalid_status", Some("status"), format!("'{s}' is not a listing status")))
        })
        .transpose()?;
    let broker = params
        .broker_id
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| Uuid::parse_str(b).map_err(|_| ApiError::bad_request("invalid_query", Some("broker_id"), format!("'{b}' is not an id"))))
        .transpose()?;
    let after = params
        .cursor
        .as_deref()
        .map(|c| {
            crm_store::cursor::decode_id(c)
                .map(PropertyId)
                .map_err(|_| ApiError::bad_request("invalid_cursor", Some("cursor"), "the cursor is not one this list gave out"))
        })
        .transpose()?;
    let page = state
        .store
        .list_properties(
            &auth.viewer(),
            PropertyFilter {
                status,
                broker_id: broker.map(UserId),
                reference: optional(&params.reference),
            },
            after,
            limit,
        )
        .await?;
    Ok(web::Json(views::page(
        page.items.iter().map(views::property).collect(),
        page.total,
        page.total_exact,
        limit,
        page.next.map(crm_store::cursor::encode_id),
        &req,
    )))
}

/// Create a listing. Its broker is the caller, or a colleague the caller's offer scope reaches.
#[utoipa::path(tag = "properties", request_body = PropertyWrite, responses((status = 201, body = Property), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/properties")]
async fn create(state: web::Data<AppState>, auth: Auth, body: Valid<PropertyWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let data = parse_property(&body, auth.company.country)?;
    let p = state.store.create_property(&auth.viewer(), &data, &auth.company.currency).await?;
    Ok(HttpResponse::Created().json(views::property(&p)))
}

/// A listing with the parties the caller may see.
#[utoipa::path(tag = "properties", params(("id" = Uuid, Path)), responses((status = 200, body = Property), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/properties/{id}")]
async fn get_one(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Property>> {
    auth.require_clients()?;
    Ok(web::Json(views::property(
        &state.store.property(&auth.viewer(), PropertyId(*id)).await?,
    )))
}

/// Replace a listing's details, including its status (a sold listing can only go back to for
/// sale) and broker. Allowed to its broker, to others as far as their offer scope reaches, and
/// to administrators.
#[utoipa::path(tag = "properties", params(("id" = Uuid, Path)), request_body = PropertyWrite, responses((status = 200, body = Property), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/properties/{id}")]
async fn update(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<PropertyWrite>) -> ApiResult<web::Json<Property>> {
    auth.require_clients()?;
    let data = parse_property(&body, auth.company.country)?;
    Ok(web::Json(views::property(
        &state.store.update_property(&auth.viewer(), PropertyId(*id), &data).await?,
    )))
}

fn role(value: &str) -> ApiResult<PartyRole> {
    PartyRole::parse(value)
        .ok_or_else(|| ApiError::invalid("invalid_role", "role", format!("'{value}' is not a party role (seller, buyer)")))
}

/// Make a contact a seller or buyer of the listing (same rights as changing the listing).
#[utoipa::path(tag = "properties", params(("id" = Uuid, Path)), request_body = PartyWrite, responses((status = 200, body = Property), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/properties/{id}/parties")]
async fn add_party(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<PartyWrite>) -> ApiResult<web::Json<Property>> {
    auth.require_clients()?;
    let role = role(&body.role)?;
    Ok(web::Json(views::property(
        &state
            .store
            .add_party(&auth.viewer(), PropertyId(*id), ContactId(body.contact_id), role)
            .await?,
    )))
}

/// Remove a party from the listing (same rights as changing the listing).
#[utoipa::path(tag = "properties", params(("id" = Uuid, Path), ("contact_id" = Uuid, Path), ("role" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/properties/{id}/parties/{contact_id}/{role}")]
async fn remove_party(state: web::Data<AppState>, auth: Auth, path: web::Path<(Uuid, Uuid, String)>) -> ApiResult<HttpResponse> {
    let (id, contact, r) = path.into_inner();
    state
        .store
        .remove_party(&auth.viewer(), PropertyId(id), ContactId(contact), role(&r)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn demand_data(body: &DemandWrite) -> ApiResult<DemandData> {
    let kind = optional(&body.kind)
        .map(|k| {
            PropertyKind::parse(&k).ok_or_else(|| ApiError::invalid("invalid_kind", "kind", format!("'{k}' is not a kind of property")))
        })
        .transpose()?;
    Ok(DemandData {
        contact_id: ContactId(body.contact_id),
        kind,
        min_price: non_negative("min_price", body.min_price)?,
        max_price: non_negative("max_price", body.max_price)?,
        min_rooms: non_negative("min_rooms", body.min_rooms)?,
        area: optional(&body.area),
        note: optional(&body.note),
        active: body.active,
    })
}

/// Register a buyer's request for a visible contact; the contact joins the demand side, and the
/// caller handles the demand.
#[utoipa::path(tag = "demands", request_body = DemandWrite, responses((status = 201, body = Demand), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/demands")]
async fn create_demand(state: web::Data<AppState>, auth: Auth, body: Valid<DemandWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let d = state.store.create_demand(&auth.viewer(), &demand_data(&body)?).await?;
    Ok(HttpResponse::Created().json(views::demand(&d)))
}

/// A demand of a visible contact.
#[utoipa::path(tag = "demands", params(("id" = Uuid, Path)), responses((status = 200, body = Demand), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/demands/{id}")]
async fn get_demand(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Demand>> {
    Ok(web::Json(views::demand(&state.store.demand(&auth.viewer(), DemandId(*id)).await?)))
}

/// Change a demand, or close it (`active: false`). Allowed to its broker, to others as far as
/// their demand scope reaches, and to administrators.
#[utoipa::path(tag = "demands", params(("id" = Uuid, Path)), request_body = DemandWrite, responses((status = 200, body = Demand), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/demands/{id}")]
async fn update_demand(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<DemandWrite>,
) -> ApiResult<web::Json<Demand>> {
    auth.require_clients()?;
    let d = state
        .store
        .update_demand(&auth.viewer(), DemandId(*id), &demand_data(&body)?)
        .await?;
    Ok(web::Json(views::demand(&d)))
}
