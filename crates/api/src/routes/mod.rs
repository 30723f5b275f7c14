//! Route handlers, one module per area. Handlers parse, call the store, and shape the answer.

pub mod admin;
pub mod auth;
pub mod bookings;
pub mod calendar;
pub mod call_lists;
pub mod calls;
pub mod contacts;
pub mod focus;
pub mod health;
pub mod imports;
pub mod leads;
pub mod notices;
pub mod optout;
pub mod properties;
pub mod segments;
pub mod tasks;

pub(crate) use segments::check_selection;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every `/api/v1` route.
pub fn configure(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    contacts::configure(cfg);
    imports::configure(cfg);
    properties::configure(cfg);
    admin::configure(cfg);
    focus::configure(cfg);
    leads::configure(cfg);
    tasks::configure(cfg);
    calendar::configure(cfg);
    bookings::configure(cfg);
    optout::configure(cfg);
    notices::configure(cfg);
    calls::configure(cfg);
    call_lists::configure(cfg);
    segments::configure(cfg);
}

/// Default and largest page sizes.
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// Checks a page size.
pub fn limit(limit: Option<u64>) -> Result<u64, crate::error::ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(crate::error::ApiError::bad_request(
            "invalid_limit",
            Some("limit"),
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    Ok(limit)
}

/// The reader's language, for texts the server writes.
pub fn reader(auth: &crate::auth::Auth) -> crm_domain::i18n::Locale {
    crm_domain::i18n::Locale::parse(&auth.user.locale).unwrap_or(crm_domain::i18n::Locale::En)
}
