//! Opaque cursors of lists paged by time and id (timelines, tasks) or by id (listings).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::StoreError;
use crate::encoding::{from_base64url, to_base64url};

fn invalid() -> StoreError {
    StoreError::invalid("cursor", "invalid_cursor", "the cursor is not one this list gave out")
}

/// A position given by a time and an id.
pub fn encode_time_id(at: DateTime<Utc>, id: Uuid) -> String {
    to_base64url(format!("{}\u{1f}{}", at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true), id.simple()).as_bytes())
}

pub fn decode_time_id(text: &str) -> Result<(DateTime<Utc>, Uuid), StoreError> {
    let raw = String::from_utf8(from_base64url(text).ok_or_else(invalid)?).map_err(|_| invalid())?;
    let (at, id) = raw.split_once('\u{1f}').ok_or_else(invalid)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| invalid())?.with_timezone(&Utc);
    Ok((at, Uuid::parse_str(id).map_err(|_| invalid())?))
}

/// A position given by an id.
pub fn encode_id(id: Uuid) -> String {
    id.simple().to_string()
}

pub fn decode_id(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| invalid())
}
