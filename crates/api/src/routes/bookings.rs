//! Viewings and bids of listings, customer meetings and callbacks.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::Duration;
use crm_domain::calendar::{Attendance, BidStatus, CancelledBy, Confirmation, MeetingOutcome, MeetingStatus, VIEWING_MINUTES};
use crm_domain::{BidId, ContactId, MeetingId, OfficeId, PropertyId, UserId, ViewingId};
use crm_store::calendar::{CallbackFor, CallbackInput, MeetingInput, MeetingObject, ViewingInput};
use crm_types::{
    ApiError as ErrorBody, AttendanceWrite, Bid, BidDecision, BidWrite, CallbackWrite, Meeting, MeetingBooked, MeetingChange, MeetingWrite,
    Task, Viewing, ViewingWrite,
};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::Valid;
use crate::time::{date, instant, opt_instant, time_of_day};
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_viewing)
        .service(get_viewing)
        .service(set_attendance)
        .service(cancel_viewing)
        .service(property_viewings)
        .service(place_bid)
        .service(property_bids)
        .service(decide_bid)
        .service(book_meeting)
        .service(get_meeting)
        .service(change_meeting)
        .service(contact_meetings)
        .service(plan_callback);
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn code<T>(field: &str, value: &str, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> ApiResult<T> {
    parse(value.trim()).ok_or_else(|| ApiError::invalid("invalid_value", field, format!("{field} is one of {allowed}")))
}

/// Book a viewing of a listing, with participants. Each participant gives the broker a
/// follow-up, due three days after the viewing. Needs the right to change the listing.
#[utoipa::path(tag = "bookings", request_body = ViewingWrite, responses((status = 201, body = Viewing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/viewings")]
async fn create_viewing(state: web::Data<AppState>, auth: Auth, body: Valid<ViewingWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let zone = auth.user.zone(&auth.company);
    let starts_at = instant("starts_at", &body.starts_at, zone)?;
    let ends_at = opt_instant("ends_at", &body.ends_at, zone)?.unwrap_or(starts_at + Duration::minutes(VIEWING_MINUTES));
    let v = state
        .store
        .create_viewing(
            &auth.viewer(),
            &ViewingInput {
                property: PropertyId(body.property_id),
                broker: body.broker_id.map(UserId),
                starts_at,
                ends_at,
                note: text(&body.note),
                participants: body.participants.iter().copied().map(ContactId).collect(),
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(views::viewing(&v)))
}

/// A viewing with its participants.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Viewing), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/viewings/{id}")]
async fn get_viewing(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Viewing>> {
    let v = state.store.viewing(&auth.viewer(), ViewingId(*id)).await?;
    Ok(web::Json(views::viewing(&v)))
}

/// Book a contact for a viewing, or record whether they came (`attended`, `no_show`): what
/// the client index counts.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path), ("contact_id" = Uuid, Path)), request_body = AttendanceWrite, responses((status = 200, body = Viewing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/viewings/{id}/participants/{contact_id}")]
async fn set_attendance(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(Uuid, Uuid)>,
    body: Valid<AttendanceWrite>,
) -> ApiResult<web::Json<Viewing>> {
    let status = code("status", &body.status, Attendance::parse, "booked, attended, no_show")?;
    let (id, contact) = *path;
    let v = state
        .store
        .set_attendance(&auth.viewer(), ViewingId(id), ContactId(contact), status)
        .await?;
    Ok(web::Json(views::viewing(&v)))
}

/// Cancel a viewing; it stays on record.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Viewing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/viewings/{id}/cancel")]
async fn cancel_viewing(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Viewing>> {
    let v = state.store.cancel_viewing(&auth.viewer(), ViewingId(*id)).await?;
    Ok(web::Json(views::viewing(&v)))
}

/// A listing's viewings, the latest first (at most 500).
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Viewing>), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/properties/{id}/viewings")]
async fn property_viewings(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Vec<Viewing>>> {
    let list = state.store.property_viewings(&auth.viewer(), PropertyId(*id)).await?;
    Ok(web::Json(list.iter().map(views::viewing).collect()))
}

/// Record a prospect's bid on a listing.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), request_body = BidWrite, responses((status = 201, body = Bid), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/properties/{id}/bids")]
async fn place_bid(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<BidWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let zone = auth.user.zone(&auth.company);
    let b = state
        .store
        .place_bid(
            &auth.viewer(),
            PropertyId(*id),
            ContactId(body.contact_id),
            body.amount,
            opt_instant("placed_at", &body.placed_at, zone)?,
            text(&body.note),
        )
        .await?;
    Ok(HttpResponse::Created().json(views::bid(&b)))
}

/// A listing's bids, the highest first (at most 500).
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Bid>), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/properties/{id}/bids")]
async fn property_bids(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Vec<Bid>>> {
    let list = state.store.property_bids(&auth.viewer(), PropertyId(*id)).await?;
    Ok(web::Json(list.iter().map(views::bid).collect()))
}

/// Accept or reject a bid, or record that the prospect withdrew it. Only an active bid changes
/// (else 409 `bid_decided`). Needs the right to change the listing.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), request_body = BidDecision, responses((status = 200, body = Bid), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/bids/{id}")]
async fn decide_bid(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<BidDecision>) -> ApiResult<web::Json<Bid>> {
    let status = code("status", &body.status, BidStatus::parse, "accepted, rejected, withdrawn")?;
    let b = state.store.set_bid_status(&auth.viewer(), BidId(*id), status).await?;
    Ok(web::Json(views::bid(&b)))
}

/// Book a customer meeting from a contact, in one request for the three steps: when, who and
/// where; the object (existing or new; the client becomes its seller); the confirmation to the
/// client (remembered for the caller's next booking). A double booking of the participant is
/// allowed and listed in `conflicts`.
#[utoipa::path(tag = "bookings", request_body = MeetingWrite, responses((status = 201, body = MeetingBooked), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/meetings")]
async fn book_meeting(state: web::Data<AppState>, auth: Auth, body: Valid<MeetingWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let zone = auth.user.zone(&auth.company);
    let starts_at = instant("starts_at", &body.starts_at, zone)?;
    let ends_at =
        opt_instant("ends_at", &body.ends_at, zone)?.unwrap_or(starts_at + Duration::minutes(crm_domain::calendar::MEETING_MINUTES));
    let object = match (&body.property_id, &body.new_property) {
        (Some(id), None) => MeetingObject::Existing(PropertyId(*id)),
        (None, Some(p)) => MeetingObject::New(Box::new(super::properties::parse_property(p, auth.company.country)?)),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "one_object",
                "property_id",
                "give an existing listing or a new one, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid(
                "required",
                "property_id",
                "a meeting is always about an object: choose one or make a new one",
            ));
        }
    };
    let confirmation = match text(&body.confirmation) {
        Some(c) => code("confirmation", &c, Confirmation::parse, "none, email, sms, both")?,
        None => auth.user.booking_confirmation.unwrap_or(Confirmation::None),
    };
    let (m, notes) = state
        .store
        .book_meeting(
            &auth.viewer(),
            &MeetingInput {
                contact: ContactId(body.contact_id),
                user: body.user_id.map(UserId),
                starts_at,
                ends_at,
                place: text(&body.place),
                note: text(&body.note),
                object,
                confirmation,
            },
            &auth.company.currency,
        )
        .await?;
    Ok(HttpResponse::Created().json(MeetingBooked {
        meeting: views::meeting(&m),
        conflicts: notes.conflicts.into_iter().map(views::calendar_entry).collect(),
        not_sent: notes.not_sent.iter().map(|s| (*s).to_owned()).collect(),
        created_property_id: notes.created_property.map(|p| p.0),
    }))
}

/// A meeting about a contact the caller may see.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Meeting), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/meetings/{id}")]
async fn get_meeting(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Meeting>> {
    let m = state.store.meeting(&auth.viewer(), MeetingId(*id)).await?;
    Ok(web::Json(views::meeting(&m)))
}

/// Record a booked meeting as held with its outcome (no assignment: a follow-up within three
/// weeks; an assignment: the listing leaves customer processing), or cancel it, saying whether
/// the broker or the client cancelled. A meeting is never deleted; a held or cancelled meeting
/// does not change again (409 `meeting_closed`).
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), request_body = MeetingChange, responses((status = 200, body = Meeting), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/meetings/{id}/status")]
async fn change_meeting(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<MeetingChange>,
) -> ApiResult<web::Json<Meeting>> {
    let to = code("status", &body.status, MeetingStatus::parse, "held, cancelled")?;
    let outcome = text(&body.outcome)
        .map(|o| code("outcome", &o, MeetingOutcome::parse, "assignment, no_assignment"))
        .transpose()?;
    let by = text(&body.cancelled_by)
        .map(|b| code("cancelled_by", &b, CancelledBy::parse, "broker, client"))
        .transpose()?;
    let m = state
        .store
        .change_meeting(&auth.viewer(), MeetingId(*id), to, outcome, by, text(&body.reason))
        .await?;
    Ok(web::Json(views::meeting(&m)))
}

/// A contact's meetings, the latest first.
#[utoipa::path(tag = "bookings", params(("id" = Uuid, Path)), responses((status = 200, body = Vec<Meeting>), (status = 404, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/{id}/meetings")]
async fn contact_meetings(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Vec<Meeting>>> {
    let list = state.store.contact_meetings(&auth.viewer(), ContactId(*id)).await?;
    Ok(web::Json(list.iter().map(views::meeting).collect()))
}

/// Plan a callback to a contact: on a day (today up to two years ahead; later is a 422 on
/// `date`), optionally at a time (then a 30-minute booking in the calendar), for the caller, a
/// colleague, or an office's shark tank.
#[utoipa::path(tag = "bookings", request_body = CallbackWrite, responses((status = 201, body = Task), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/callbacks")]
async fn plan_callback(state: web::Data<AppState>, auth: Auth, body: Valid<CallbackWrite>) -> ApiResult<HttpResponse> {
    auth.require_clients()?;
    let to = match (body.assignee_id, body.office_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "one_receiver",
                "office_id",
                "a callback is for a person or an office, not both",
            ));
        }
        (_, Some(o)) => CallbackFor::Office(OfficeId(o)),
        (u, None) => CallbackFor::User(UserId(u.unwrap_or(auth.user.id.0))),
    };
    let time = text(&body.time).map(|t| time_of_day("time", &t)).transpose()?;
    let t = state
        .store
        .plan_callback(
            &auth.viewer(),
            &CallbackInput {
                contact: ContactId(body.contact_id),
                date: date("date", &body.date)?,
                time,
                property: body.property_id.map(PropertyId),
                meeting: body.meeting_id.map(MeetingId),
                to,
                note: text(&body.note),
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(views::task(t)))
}
