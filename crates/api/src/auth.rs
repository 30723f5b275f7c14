//! Authentication: JWT access tokens (HS256 only, with exp, iat, iss and aud checked) and API
//! keys, resolved into the user a request acts for.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use crm_domain::permissions::Viewer;
use crm_store::org::{Company, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiError;

/// The audience of access tokens.
pub const AUDIENCE: &str = "crm-api";
/// The audience of tickets that open the event stream: never an access token, nor the reverse.
const TICKET_AUDIENCE: &str = "crm-events";
/// How long a ticket opens the event stream.
pub const TICKET_SECONDS: i64 = 60;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    cid: Uuid,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    /// Issued-at in milliseconds: a sign-in ended by a password change must not let a token of
    /// the same second through, while the pair issued right after the change works.
    #[serde(default)]
    iat_ms: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    tickets: Validation,
    issuer: String,
    pub ttl_seconds: i64,
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, ttl_seconds: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        let mut tickets = validation.clone();
        tickets.set_audience(&[TICKET_AUDIENCE]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            tickets,
            issuer: issuer.to_owned(),
            ttl_seconds,
        }
    }

    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        let now_ms = Utc::now().timestamp_millis();
        let now = now_ms / 1000;
        let claims = Claims {
            sub: user.id.0,
            cid: user.company_id.0,
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now + self.ttl_seconds,
            iat_ms: now_ms,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| ApiError::Internal(e.into()))
    }

    /// A ticket that opens `user`'s event stream for [`TICKET_SECONDS`].
    pub fn issue_ticket(&self, user: &User) -> Result<String, ApiError> {
        let now_ms = Utc::now().timestamp_millis();
        let now = now_ms / 1000;
        let claims = Claims {
            sub: user.id.0,
            cid: user.company_id.0,
            iss: self.issuer.clone(),
            aud: TICKET_AUDIENCE.to_owned(),
            iat: now,
            exp: now + TICKET_SECONDS,
            iat_ms: now_ms,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| ApiError::Internal(e.into()))
    }

    /// The company, user and issue time (milliseconds) of a valid ticket.
    pub fn check_ticket(&self, ticket: &str) -> Option<(Uuid, Uuid, i64)> {
        let c = jsonwebtoken::decode::<Claims>(ticket, &self.decoding, &self.tickets).ok()?.claims;
        Some((c.cid, c.sub, c.iat_ms))
    }

    /// The company, user and issue time (milliseconds) of a valid token.
    fn check(&self, token: &str) -> Option<(Uuid, Uuid, i64)> {
        let c = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?.claims;
        let issued_ms = if c.iat_ms / 1000 == c.iat { c.iat_ms } else { c.iat * 1000 };
        (c.iat <= Utc::now().timestamp() + 5).then_some((c.cid, c.sub, issued_ms))
    }
}

/// The signed-in user of a request, and their company.
#[derive(Debug, Clone)]
pub struct Auth {
    pub user: User,
    pub company: Company,
}

impl Auth {
    pub fn viewer(&self) -> Viewer {
        self.user.viewer()
    }

    /// Refuses the request unless the user is an administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.user.permissions.admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden("administrator rights are required"))
        }
    }

    /// Refuses the request unless the user works with clients.
    pub fn require_clients(&self) -> Result<(), ApiError> {
        if self.user.permissions.work_with_clients {
            Ok(())
        } else {
            Err(ApiError::Forbidden("the right to work with clients is required"))
        }
    }
}

/// The credential a request carries: `Authorization: Bearer …` (an access token or an API
/// key), else `X-Api-Key`.
fn credential(req: &HttpRequest) -> Option<String> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    bearer.or_else(|| {
        req.headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(|k| k.trim().to_owned())
    })
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = credential(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
            let token = token.ok_or(ApiError::Unauthorized(
                "unauthenticated",
                "send an access token or API key as `Authorization: Bearer …`",
            ))?;
            let user = if token.starts_with("ak.") {
                let user = state.store.authenticate_api_key(&token).await?;
                // Counted only once the key is proven, so nobody can spend another's quota.
                let key_id = token.split('.').take(3).collect::<Vec<_>>().join(".");
                state.limits.api_key.check(&key_id)?;
                user
            } else {
                let invalid = ApiError::Unauthorized("invalid_token", "the access token is invalid or expired");
                let (company, user, issued) = state.tokens.check(&token).ok_or(invalid)?;
                let user = state
                    .store
                    .user(company.into(), user.into())
                    .await
                    .map_err(|_| ApiError::Unauthorized("invalid_token", "the access token is invalid or expired"))?;
                if !user.active {
                    return Err(ApiError::Unauthorized("invalid_token", "the account is deactivated"));
                }
                // A password change or deactivation ends every sign-in, access tokens included.
                if user.tokens_valid_after.is_some_and(|after| issued < after.timestamp_millis()) {
                    return Err(ApiError::Unauthorized("invalid_token", "the sign-in has ended; sign in again"));
                }
                user
            };
            let company = state.store.company(user.company_id).await?;
            Ok(Auth { user, company })
        })
    }
}
