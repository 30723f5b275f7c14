//! The one API error type: every failure becomes a status and a JSON body with a stable code.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use crm_store::StoreError;
use crm_store::auth::AuthError;
use crm_types::{ApiError as Body, FieldError};

/// An error answered to an API client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.message)]
    BadRequest(Body),
    #[error("authentication required")]
    Unauthorized(&'static str, &'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// Forbidden, with its own code.
    #[error("{}", .0.message)]
    Refused(Body),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{}", .0.message)]
    Conflict(Body),
    #[error("{}", .0.message)]
    Unprocessable(Body),
    /// The body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than the limit (bytes).
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// A rate limit was reached; try again after the duration.
    #[error("too many requests")]
    TooManyRequests(std::time::Duration),
    /// A service the request needs (the geocoder) cannot answer now; worth trying again later.
    #[error("{}", .0.message)]
    Unavailable(Body),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn body(code: &str, message: impl Into<String>, field: Option<String>) -> Body {
    Body {
        code: code.to_owned(),
        message: message.into(),
        field,
        errors: Vec::new(),
    }
}

impl ApiError {
    pub fn bad_request(code: &str, field: Option<&str>, message: impl Into<String>) -> Self {
        Self::BadRequest(body(code, message, field.map(str::to_owned)))
    }

    /// The same error about a field of a part of the body: `street` becomes `new_property.street`.
    pub fn within(self, prefix: &str) -> Self {
        let nest = |mut b: Body| {
            b.field = b.field.map(|f| format!("{prefix}.{f}"));
            for e in &mut b.errors {
                e.field = format!("{prefix}.{}", e.field);
            }
            b
        };
        match self {
            Self::Unprocessable(b) => Self::Unprocessable(nest(b)),
            Self::BadRequest(b) => Self::BadRequest(nest(b)),
            other => other,
        }
    }

    /// A 403 with its own code (the request is understood and will not be served).
    pub fn refused(code: &str, message: impl Into<String>) -> Self {
        Self::Refused(body(code, message, None))
    }

    /// A 503: a service the request needs cannot answer now.
    pub fn unavailable(code: &str, message: impl Into<String>) -> Self {
        Self::Unavailable(body(code, message, None))
    }

    pub fn invalid(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self::Unprocessable(body(code, message, Some(field.to_owned())))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict { field, message } => Self::Conflict(body("conflict", message, field.map(str::to_owned))),
            StoreError::Refused { code, message } => Self::Conflict(body(code, message, None)),
            StoreError::Invalid { field, code, message } => Self::Unprocessable(body(code, message, Some(field))),
            StoreError::Contact(errors) => {
                let errors: Vec<FieldError> = errors
                    .0
                    .into_iter()
                    .map(|e| FieldError {
                        field: e.field,
                        code: e.code.to_owned(),
                        message: e.message,
                    })
                    .collect();
                let first = errors.first().map(|e| e.field.clone());
                let message = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::Unprocessable(Body {
                    code: "validation_failed".into(),
                    message,
                    field: first,
                    errors,
                })
            }
            StoreError::Forbidden(what) => Self::Forbidden(what),
            StoreError::Db(e) => Self::Internal(e.into()),
            StoreError::Internal(e) => Self::Internal(anyhow::anyhow!(e)),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Invalid => Self::Unauthorized("invalid_credentials", "the credentials are not valid"),
            AuthError::Store(e) => e.into(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Refused(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let b = match self {
            Self::BadRequest(b) | Self::Conflict(b) | Self::Unprocessable(b) | Self::Refused(b) | Self::Unavailable(b) => b.clone(),
            Self::Unauthorized(code, message) => body(code, *message, None),
            Self::Forbidden(message) => body("forbidden", *message, None),
            Self::NotFound(what) => body("not_found", format!("{what} not found"), None),
            Self::UnsupportedMediaType => body("unsupported_media_type", "send the body as application/json", None),
            Self::PayloadTooLarge(limit) => body("payload_too_large", format!("the body is larger than {limit} bytes"), None),
            Self::TooManyRequests(wait) => body(
                "rate_limited",
                format!("too many requests; try again in {} seconds", retry_after(*wait)),
                None,
            ),
            Self::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                body("internal_error", "something went wrong on our side; it has been logged", None)
            }
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthorized(..) => {
                response.insert_header(("WWW-Authenticate", "Bearer"));
            }
            Self::TooManyRequests(wait) => {
                response.insert_header(("Retry-After", retry_after(*wait).to_string()));
            }
            _ => {}
        }
        response.json(b)
    }
}

/// Whole seconds to wait, rounded up.
fn retry_after(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Turns actix's own extractor failures (bad JSON, bad query, bad path) into our error body.
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_json", None, err.to_string()).into()
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", None, err.to_string()).into()
}

pub fn path_error(err: actix_web::error::PathError, _: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", None, err.to_string()).into()
}

pub type ApiResult<T> = Result<T, ApiError>;
