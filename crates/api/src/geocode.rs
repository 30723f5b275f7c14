//! Geocoding: an address to a point on the map, through a Nominatim-compatible HTTP service
//! (`GET {url}/search?format=jsonv2&street=…&city=…&postalcode=…&countrycodes=…&limit=1`).
//!
//! Off unless `CRM_GEOCODER_URL` is set. Requests are spaced at least `interval` apart in each
//! server process (OpenStreetMap's public Nominatim allows one per second), each carries the
//! configured `User-Agent`, and answers are remembered for a while so one address is asked once.
//! A request that would have to wait longer than `max_wait` for its turn is not made: the caller
//! routes without a coordinate and flags it, so a burst of leads is never held up or lost.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crm_domain::contacts::{Country, GeoPoint};
use serde::Deserialize;

/// How the geocoder is reached.
#[derive(Debug, Clone)]
pub struct GeocoderConfig {
    /// The service's base address, e.g. `https://nominatim.openstreetmap.org`.
    pub url: String,
    /// Sent with every request (public Nominatim requires one that names the application).
    pub user_agent: String,
    /// The least time between two requests of this process.
    pub interval: Duration,
    /// How long one request may take.
    pub timeout: Duration,
    /// The longest a lead waits for its turn before going on without a coordinate.
    pub max_wait: Duration,
}

/// The address to look up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Address {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<Country>,
}

impl Address {
    /// Whether there is anything to look up (a country alone is not an address).
    pub fn is_empty(&self) -> bool {
        self.street.is_none() && self.postal_code.is_none() && self.city.is_none()
    }
}

/// What a lookup gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Geocode {
    Found(GeoPoint),
    /// The service knows no such address.
    NotFound,
    /// The service could not be asked or did not answer usefully (now).
    Failed,
}

impl Geocode {
    /// The flag a lead carries when its address gave no coordinate.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Self::Found(_) => None,
            Self::NotFound => Some("geocode_not_found"),
            Self::Failed => Some("geocode_failed"),
        }
    }
}

/// Answers remembered per process, at most this many.
const CACHE_ENTRIES: usize = 10_000;
/// How long a remembered answer holds; a failure is not remembered.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3600);

pub struct Geocoder {
    config: GeocoderConfig,
    client: reqwest::Client,
    /// When the next request may start.
    next_slot: Mutex<Instant>,
    cache: Mutex<HashMap<Address, (Instant, Geocode)>>,
}

#[derive(Deserialize)]
struct Place {
    lat: String,
    lon: String,
}

impl Geocoder {
    pub fn new(config: GeocoderConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .build()?;
        Ok(Self {
            config,
            client,
            next_slot: Mutex::new(Instant::now()),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Takes the next free request slot, or none if it is further away than `max_wait`.
    fn reserve(&self) -> Option<Instant> {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let at = (*next).max(now);
        if at.duration_since(now) > self.config.max_wait {
            return None;
        }
        *next = at + self.config.interval;
        Some(at)
    }

    fn remembered(&self, address: &Address) -> Option<Geocode> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(address).filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, g)| *g)
    }

    fn remember(&self, address: Address, answer: Geocode) {
        if answer == Geocode::Failed {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(address, (Instant::now(), answer));
    }

    /// Looks an address up; never errs (a failure is an answer).
    pub async fn locate(&self, address: &Address) -> Geocode {
        if address.is_empty() {
            return Geocode::NotFound;
        }
        if let Some(known) = self.remembered(address) {
            return known;
        }
        let Some(at) = self.reserve() else {
            tracing::warn!("geocoder busy: a lead goes on without a coordinate");
            return Geocode::Failed;
        };
        tokio::time::sleep_until(at.into()).await;
        let answer = self.ask(address).await;
        self.remember(address.clone(), answer);
        answer
    }

    async fn ask(&self, address: &Address) -> Geocode {
        let mut query: Vec<(&str, String)> = vec![("format", "jsonv2".into()), ("limit", "1".into())];
        if let Some(s) = &address.street {
            query.push(("street", s.clone()));
        }
        if let Some(c) = &address.city {
            query.push(("city", c.clone()));
        }
        if let Some(p) = &address.postal_code {
            query.push(("postalcode", p.clone()));
        }
        if let Some(c) = address.country {
            query.push(("countrycodes", c.code().to_ascii_lowercase()));
        }
        let url = format!("{}/search", self.config.url.trim_end_matches('/'));
        let places: Vec<Place> = match self.client.get(&url).query(&query).send().await {
            Ok(resp) if resp.status().is_success() => match resp.json().await {
                Ok(places) => places,
                Err(e) => {
                    tracing::warn!(error = %e, "the geocoder's answer is not a list of places");
                    return Geocode::Failed;
                }
            },
            Ok(resp) => {
                tracing::warn!(status = %resp.status(), "the geocoder refused a lookup");
                return Geocode::Failed;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the geocoder cannot be reached");
                return Geocode::Failed;
            }
        };
        let Some(place) = places.first() else {
            return Geocode::NotFound;
        };
        match (place.lat.trim().parse(), place.lon.trim().parse()) {
            (Ok(lat), Ok(lon)) => GeoPoint::new(lat, lon).map_or(Geocode::Failed, Geocode::Found),
            _ => Geocode::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geocoder(interval_ms: u64, max_wait_ms: u64) -> Geocoder {
        Geocoder::new(GeocoderConfig {
            url: "http://127.0.0.1:9".into(),
            user_agent: "test".into(),
            interval: Duration::from_millis(interval_ms),
            timeout: Duration::from_secs(1),
            max_wait: Duration::from_millis(max_wait_ms),
        })
        .unwrap()
    }

    #[test]
    fn slots_are_spaced_and_bounded() {
        let g = geocoder(1000, 2500);
        let first = g.reserve().unwrap();
        let second = g.reserve().unwrap();
        let third = g.reserve().unwrap();
        assert_eq!(second - first, Duration::from_secs(1));
        assert_eq!(third - second, Duration::from_secs(1));
        // The fourth would wait three seconds: more than allowed.
        assert!(g.reserve().is_none());
    }

    #[test]
    fn failures_are_not_remembered() {
        let g = geocoder(1000, 0);
        let a = Address {
            city: Some("Umeå".into()),
            ..Default::default()
        };
        g.remember(a.clone(), Geocode::Failed);
        assert_eq!(g.remembered(&a), None);
        g.remember(a.clone(), Geocode::NotFound);
        assert_eq!(g.remembered(&a), Some(Geocode::NotFound));
    }
}
