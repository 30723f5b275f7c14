//! Request rate limits (sign-in per account and per client address, token refresh, caller
//! lookup, API keys, leads per lead source), answered `429 Too Many Requests` with `Retry-After`. Each limit is a
//! token bucket per key, kept in memory by each instance: behind a load balancer with N
//! instances a client can reach at most N times a limit.

use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::config::{RateLimit, RateLimits};
use crate::error::ApiError;

/// One limit: a bucket per key, or nothing when the limit is off.
pub struct Limiter(Option<DefaultKeyedRateLimiter<String>>);

impl Limiter {
    fn new(limit: Option<RateLimit>) -> Self {
        Self(limit.and_then(|l| {
            let burst = NonZeroU32::new(l.burst)?;
            let quota = Quota::with_period(l.per / l.burst)?.allow_burst(burst);
            Some(DefaultKeyedRateLimiter::keyed(quota))
        }))
    }

    /// Takes one request from `key`'s bucket, or says how long to wait.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        // Keys come from clients: bound what is kept per key.
        let key: String = key.chars().take(256).collect();
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests(wait.max(Duration::from_secs(1)))
        })
    }

    fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Every limit of the API.
pub struct Limits {
    pub login_account: Limiter,
    pub login_address: Limiter,
    pub refresh: Limiter,
    pub lookup: Limiter,
    pub api_key: Limiter,
    pub lead_source: Limiter,
}

impl Limits {
    pub fn new(l: &RateLimits) -> Self {
        Self {
            login_account: Limiter::new(l.login_account),
            login_address: Limiter::new(l.login_address),
            refresh: Limiter::new(l.refresh),
            lookup: Limiter::new(l.lookup),
            api_key: Limiter::new(l.api_key),
            lead_source: Limiter::new(l.lead_source),
        }
    }

    /// Drops the buckets of keys that have been quiet long enough to be full again, so memory
    /// stays bounded by the clients of the last minutes.
    pub fn forget_idle(&self) {
        for l in [
            &self.login_account,
            &self.login_address,
            &self.refresh,
            &self.lookup,
            &self.api_key,
            &self.lead_source,
        ] {
            l.forget_idle();
        }
    }
}

/// The client's address: the connection's peer, or with `trust_proxy` the address the proxy
/// reports in `X-Forwarded-For`/`Forwarded`.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy && let Some(addr) = req.connection_info().realip_remote_addr() {
        return addr.to_owned();
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}
