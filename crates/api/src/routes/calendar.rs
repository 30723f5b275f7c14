//! The calendar's public holidays: those of the company's country, computed by the domain crate.

use actix_web::{get, web};
use chrono::{Datelike, NaiveDate};
use crm_domain::holidays::{HolidayKind, holidays};
use crm_types::{ApiError as ErrorBody, Holiday};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, ValidQuery};

/// The longest span one request may ask for, in days.
const MAX_DAYS: i64 = 3 * 366;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list);
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
