//! Times as clients send them: an instant (RFC 3339 with an offset), or a wall-clock date and
//! time read in the user's time zone; dates `YYYY-MM-DD` and times of day `HH:MM`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use crm_domain::calendar::local_to_utc;

use crate::error::{ApiError, ApiResult};

/// An instant: with an offset as written, without one in `zone`.
pub fn instant(field: &str, value: &str, zone: Tz) -> ApiResult<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_time",
                field,
                format!("{field} is a time like 2026-12-01T10:00 (your time zone) or 2026-12-01T09:00:00Z"),
            )
        })?;
    local_to_utc(local, zone).map_err(|e| ApiError::invalid("no_such_time", field, e.to_string()))
}

pub fn opt_instant(field: &str, value: &Option<String>, zone: Tz) -> ApiResult<Option<DateTime<Utc>>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => instant(field, v, zone).map(Some),
    }
}

/// A date `YYYY-MM-DD`.
pub fn date(field: &str, value: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("invalid_date", field, format!("{field} is a date written YYYY-MM-DD")))
}

pub fn opt_date(field: &str, value: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => date(field, v).map(Some),
    }
}

/// A time of day `HH:MM`.
pub fn time_of_day(field: &str, value: &str) -> ApiResult<NaiveTime> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M")
        .map_err(|_| ApiError::invalid("invalid_time", field, format!("{field} is a time of day written HH:MM")))
}
