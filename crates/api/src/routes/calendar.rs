//! The calendar's public holidays: those of the company's country, computed by the domain crate.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use crm_domain::calendar::{end_of_day, local_to_utc};
use crm_domain::holidays::{HolidayKind, holidays};
use crm_domain::{OfficeId, UserId};
use crm_store::calendar::{EntryKind, MAX_CALENDAR_DAYS, MAX_CALENDAR_USERS};
use crm_types::{ApiError as ErrorBody, CalendarEntry, CalendarFeed, Holiday};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, ValidQuery};
use crate::views;

/// The longest span one request may ask for, in days.
const MAX_DAYS: i64 = 3 * 366;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(entries)
        .service(feed_status)
        .service(renew_feed)
        .service(revoke_feed)
        .service(feed);
}

/// A span of days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SpanParams {
    /// The first day, `YYYY-MM-DD`.
    from: String,
    /// The last day, `YYYY-MM-DD` (at most three years after `from`).
    to: String,
}

impl Check for SpanParams {
    fn check(&self, c: &mut Checker) {
        c.text("from", &self.from, 10);
        c.text("to", &self.to, 10);
    }
}

fn day(field: &str, value: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("invalid_date", Some(field), format!("{field} is a date written YYYY-MM-DD")))
}

/// The public holidays (and days off by custom or by transfer) of the company's country between
/// two days, for the calendar and for counting working days. Known for Sweden, the Czech
/// Republic, Russia and Brazil; other countries have none.
#[utoipa::path(tag = "calendar", params(SpanParams), responses((status = 200, body = Vec<Holiday>), (status = 400, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/holidays")]
async fn list(auth: Auth, params: ValidQuery<SpanParams>) -> ApiResult<web::Json<Vec<Holiday>>> {
    let (from, to) = (day("from", &params.from)?, day("to", &params.to)?);
    if to < from {
        return Err(ApiError::bad_request("invalid_span", Some("to"), "to is not before from"));
    }
    if (to - from).num_days() > MAX_DAYS {
        return Err(ApiError::bad_request(
            "span_too_long",
            Some("to"),
            "ask for at most three years at once",
        ));
    }
    let country = auth.company.country.code();
    let mut days = Vec::new();
    for year in from.year()..=to.year() {
        for h in holidays(&country, year) {
            if h.date >= from && h.date <= to {
                days.push(Holiday {
                    date: h.date.format("%Y-%m-%d").to_string(),
                    name: h.name.to_owned(),
                    kind: match h.kind {
                        HolidayKind::Public => "public",
                        HolidayKind::DeFacto => "de_facto",
                        HolidayKind::Transferred => "transferred",
                    }
                    .to_owned(),
                });
            }
        }
    }
    Ok(web::Json(days))
}

/// Whose calendar, over which days.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarParams {
    /// The first day, `YYYY-MM-DD`, in the caller's time zone.
    from: String,
    /// The last day, `YYYY-MM-DD` (at most 62 days after `from`).
    to: String,
    /// A colleague's calendar instead of the caller's.
    #[param(value_type = Option<Uuid>)]
    user_id: Option<String>,
    /// Everyone's in an office (at most 100 people).
    #[param(value_type = Option<Uuid>)]
    office_id: Option<String>,
}

impl Check for CalendarParams {
    fn check(&self, c: &mut Checker) {
        c.text("from", &self.from, 10);
        c.text("to", &self.to, 10);
        c.opt("user_id", &self.user_id, 40);
        c.opt("office_id", &self.office_id, 40);
    }
}

fn id(field: &str, value: &Option<String>) -> ApiResult<Option<Uuid>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| ApiError::bad_request("invalid_query", Some(field), format!("'{v}' is not an id"))),
    }
}

/// The bookings of the caller, a colleague or an office between two days: customer meetings,
/// viewings and callbacks with a time of day, by start. Clients the caller may not see are shown
/// as busy time without a name. At most 5,000 bookings, the earliest; a span that holds more
/// than 20,000 is refused (`too_many_bookings`: ask for fewer days or fewer people).
#[utoipa::path(tag = "calendar", params(CalendarParams), responses((status = 200, body = Vec<CalendarEntry>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[get("/calendar")]
async fn entries(state: web::Data<AppState>, auth: Auth, params: ValidQuery<CalendarParams>) -> ApiResult<web::Json<Vec<CalendarEntry>>> {
    let (from, to) = (day("from", &params.from)?, day("to", &params.to)?);
    if to < from {
        return Err(ApiError::bad_request("invalid_span", Some("to"), "to is not before from"));
    }
    if (to - from).num_days() > MAX_CALENDAR_DAYS {
        return Err(ApiError::bad_request(
            "span_too_long",
            Some("to"),
            format!("ask for at most {MAX_CALENDAR_DAYS} days at once"),
        ));
    }
    let company = auth.company.id;
    let users: Vec<UserId> = match (id("user_id", &params.user_id)?, id("office_id", &params.office_id)?) {
        (Some(u), _) => {
            state
                .store
                .user(company, UserId(u))
                .await
                .map_err(|_| ApiError::bad_request("unknown_user", Some("user_id"), "no such user in this company"))?;
            vec![UserId(u)]
        }
        (None, Some(o)) => {
            let dir = state.store.directory(company).await?;
            if !dir.offices.contains_key(&OfficeId(o)) {
                return Err(ApiError::bad_request(
                    "unknown_office",
                    Some("office_id"),
                    "no such office in this company",
                ));
            }
            let mut people: Vec<UserId> = dir
                .users
                .iter()
                .filter(|(_, (_, office))| *office == OfficeId(o))
                .map(|(u, _)| *u)
                .collect();
            people.sort();
            people.truncate(MAX_CALENDAR_USERS);
            people
        }
        (None, None) => vec![auth.user.id],
    };
    let zone = auth.user.zone(&auth.company);
    let start = local_to_utc(from.and_time(NaiveTime::MIN), zone).unwrap_or_else(|_| end_of_day(from.pred_opt().unwrap_or(from), zone));
    let found = state.store.calendar(&auth.viewer(), &users, start, end_of_day(to, zone)).await?;
    Ok(web::Json(found.into_iter().map(views::calendar_entry).collect()))
}

fn feed_url(state: &AppState, token: &str) -> String {
    format!("{}/api/v1/public/calendar/{token}.ics", state.public_url.trim_end_matches('/'))
}

/// Whether the caller has a private calendar feed.
#[utoipa::path(tag = "calendar", responses((status = 200, body = CalendarFeed)), security(("bearer" = []), ("api_key" = [])))]
#[get("/me/calendar-feed")]
async fn feed_status(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<CalendarFeed>> {
    let since = state.store.calendar_feed(auth.company.id, auth.user.id).await?;
    Ok(web::Json(CalendarFeed {
        url: None,
        active: since.is_some(),
        created_at: since,
    }))
}

/// Make the caller's private calendar feed, or a new address for it (the old one stops
/// working). The address is shown this once; subscribe to it from Google Calendar or Outlook.
#[utoipa::path(tag = "calendar", responses((status = 200, body = CalendarFeed)), security(("bearer" = []), ("api_key" = [])))]
#[post("/me/calendar-feed")]
async fn renew_feed(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<CalendarFeed>> {
    let token = state.store.renew_calendar_feed(auth.company.id, auth.user.id).await?;
    Ok(web::Json(CalendarFeed {
        url: Some(feed_url(&state, &token)),
        active: true,
        created_at: Some(Utc::now()),
    }))
}

/// Revoke the caller's calendar feed: its address stops working at once.
#[utoipa::path(tag = "calendar", responses((status = 204)), security(("bearer" = []), ("api_key" = [])))]
#[delete("/me/calendar-feed")]
async fn revoke_feed(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    state.store.revoke_calendar_feed(auth.company.id, auth.user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How far back and ahead a feed reaches.
const FEED_PAST_DAYS: i64 = 60;
const FEED_FUTURE_DAYS: i64 = 365;

/// A user's calendar as iCalendar (RFC 5545, times in UTC), by the private address from
/// `POST /me/calendar-feed`: meetings, viewings and timed callbacks from 60 days back to a year
/// ahead. No other credentials; an unknown or revoked address is a 404.
#[utoipa::path(tag = "calendar", params(("token" = String, Path)), responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
#[get("/public/calendar/{token}.ics")]
async fn feed(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    if token.len() > crm_domain::limits::TOKEN {
        return Err(ApiError::NotFound("calendar feed"));
    }
    let user = state
        .store
        .calendar_feed_owner(&token)
        .await
        .map_err(|_| ApiError::NotFound("calendar feed"))?;
    let company = state.store.company(user.company_id).await?;
    let lang = crm_domain::i18n::Locale::parse(&user.locale).unwrap_or(crm_domain::i18n::Locale::En);
    let now = Utc::now();
    let found = state
        .store
        .calendar(
            &user.viewer(),
            &[user.id],
            now - Duration::days(FEED_PAST_DAYS),
            now + Duration::days(FEED_FUTURE_DAYS),
        )
        .await?;
    let host = state
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("crm")
        .split(['/', ':'])
        .next()
        .unwrap_or("crm")
        .to_owned();
    let events: Vec<crm_domain::ical::Event> = found
        .iter()
        .map(|e| {
            let what = lang.text(&format!("calendar.kind.{}", e.kind.as_str()));
            let link = match (e.kind, e.contact_id, e.property_id) {
                (_, Some(c), _) => Some(format!("{}/contacts/{c}", state.public_url.trim_end_matches('/'))),
                (EntryKind::Viewing, _, Some(p)) => Some(format!("{}/listings/{p}", state.public_url.trim_end_matches('/'))),
                _ => None,
            };
            crm_domain::ical::Event {
                uid: format!("{}-{}@{host}", e.kind.as_str(), e.id),
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                summary: if e.title.is_empty() { what } else { format!("{what}: {}", e.title) },
                location: e.place.clone(),
                description: link,
                cancelled: e.status == "cancelled",
                stamp: now,
            }
        })
        .collect();
    let body = crm_domain::ical::calendar(&format!("{} – {}", user.name, company.name), &events);
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(body))
}
