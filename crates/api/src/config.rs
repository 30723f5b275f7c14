//! Configuration: environment variables, optionally preceded by a `KEY=VALUE` file. Every
//! setting is listed in the README; `Debug` never prints a secret.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use crm_jobs::JobsConfig;

use crate::geocode::GeocoderConfig;

/// A rate limit: `burst` requests at once, refilled at `burst` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub per: Duration,
}

impl RateLimit {
    /// Reads `N/s`, `N/min` or `N/h` (e.g. `10/min`); `off` turns the limit off.
    pub fn parse(value: &str) -> anyhow::Result<Option<Self>> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (n, unit) = value
            .split_once('/')
            .with_context(|| format!("'{value}': write a rate as N/s, N/min or N/h, or off"))?;
        let burst: u32 = n.trim().parse().with_context(|| format!("'{value}': not a count"))?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            other => anyhow::bail!("'{other}': the unit of a rate is s, min or h"),
        };
        anyhow::ensure!(burst > 0, "'{value}': a rate needs at least 1 request (or write off)");
        Ok(Some(Self { burst, per }))
    }
}

/// Request rate limits; `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-in attempts per account (email).
    pub login_account: Option<RateLimit>,
    /// Sign-in attempts per client address.
    pub login_address: Option<RateLimit>,
    /// Token refreshes per client address.
    pub refresh: Option<RateLimit>,
    /// Caller lookups per user.
    pub lookup: Option<RateLimit>,
    /// Requests per API key.
    pub api_key: Option<RateLimit>,
    /// Leads posted per lead source.
    pub lead_source: Option<RateLimit>,
}

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Config {
    /// `sqlite://…` (default: `./data/crm.db`) or `postgres://…`.
    pub database_url: String,
    /// Where the built SPA is (`index.html` and its assets).
    pub static_dir: PathBuf,
    /// The HS256 key signing access tokens. Every instance behind one database must share it.
    pub jwt_secret: Vec<u8>,
    /// The token issuer and audience (`iss`, `aud`).
    pub jwt_issuer: String,
    /// Lifetime of access tokens in seconds.
    pub access_token_seconds: i64,
    /// An unused refresh token expires after this long.
    pub session_idle: Duration,
    /// A sign-in ends this long after it began, however often it is refreshed.
    pub session_max: Duration,
    /// A refresh token presented again this soon after it was rotated returns the same new pair
    /// (concurrent refreshes from one browser), instead of counting as theft.
    pub refresh_grace: Duration,
    /// Where users reach the app, for links in emails.
    pub public_url: String,
    /// The largest JSON body accepted.
    pub max_body_bytes: usize,
    /// The largest file accepted for an import.
    pub max_import_bytes: usize,
    /// Whether `X-Forwarded-For` names the client (only behind a proxy that sets it).
    pub trust_proxy: bool,
    pub rate_limits: RateLimits,
    /// `text` or `json` log lines.
    pub log_json: bool,
    /// The job runner's settings (outbox delivery, periodic jobs).
    pub jobs: JobsConfig,
    /// The geocoder that finds coordinates for addresses; none: off.
    pub geocoder: Option<GeocoderConfig>,
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("static_dir", &self.static_dir)
            .field("jwt_secret", &"***")
            .field("jwt_issuer", &self.jwt_issuer)
            .field("access_token_seconds", &self.access_token_seconds)
            .field("session_idle", &self.session_idle)
            .field("session_max", &self.session_max)
            .field("refresh_grace", &self.refresh_grace)
            .field("public_url", &self.public_url)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_import_bytes", &self.max_import_bytes)
            .field("trust_proxy", &self.trust_proxy)
            .field("rate_limits", &self.rate_limits)
            .field("log_json", &self.log_json)
            .field("smtp_url", &self.jobs.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.jobs.mail_from)
            .field("sms", &self.jobs.sms)
            .field("jobs_poll", &self.jobs.poll)
            .field("jobs_lease", &self.jobs.lease)
            .field("retry_base", &self.jobs.retry_base)
            .field("retry_max", &self.jobs.retry_max)
            .field("job_periods", &self.jobs.periods)
            .field("geocoder", &self.geocoder)
            .finish()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/crm.db?mode=rwc";

/// Reads settings from the environment, then from the optional file.
struct Source {
    file: std::collections::HashMap<String, String>,
}

impl Source {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.file.get(key).cloned())
    }

    fn number<T: std::str::FromStr>(&self, key: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        self.get(key)
            .map(|v| v.trim().parse::<T>())
            .transpose()
            .with_context(|| format!("{key} must be a number"))
            .map(|v| v.unwrap_or(default))
    }

    fn seconds(&self, key: &str, default: u64) -> anyhow::Result<Duration> {
        Ok(Duration::from_secs(self.number(key, default)?))
    }

    fn flag(&self, key: &str) -> anyhow::Result<bool> {
        match self.get(key).as_deref().map(str::trim) {
            None | Some("0") | Some("false") | Some("no") | Some("off") => Ok(false),
            Some("1") | Some("true") | Some("yes") | Some("on") => Ok(true),
            Some(other) => anyhow::bail!("{key}: '{other}' is not true or false"),
        }
    }

    fn rate(&self, key: &str, default: &str) -> anyhow::Result<Option<RateLimit>> {
        RateLimit::parse(&self.get(key).unwrap_or_else(|| default.to_owned())).with_context(|| key.to_owned())
    }
}

impl Config {
    /// Reads `file` (if given), then the environment, which wins. The variables are listed in
    /// the README.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut from_file = std::collections::HashMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .split_once('=')
                    .with_context(|| format!("{}:{}: expected KEY=VALUE", path.display(), n + 1))?;
                from_file.insert(k.trim().to_owned(), v.trim().trim_matches('"').to_owned());
            }
        }
        let src = Source { file: from_file };
        let database_url = src.get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let jwt_secret = match src.get("CRM_JWT_SECRET") {
            Some(s) if s.len() >= 32 => s.into_bytes(),
            Some(_) => anyhow::bail!("CRM_JWT_SECRET must have at least 32 characters"),
            None => local_secret()?,
        };
        let log_json = match src.get("CRM_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => anyhow::bail!("CRM_LOG_FORMAT: '{other}' is not text or json"),
        };
        let public_url = src.get("CRM_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
        let mut periods = Vec::new();
        for job in crm_jobs::PERIODIC_JOBS {
            let key = format!("CRM_JOB_{}_SECONDS", job.name.to_uppercase());
            periods.push((job.name.to_owned(), src.seconds(&key, job.default_every.as_secs())?));
        }
        let jobs = JobsConfig {
            poll: Duration::from_millis(src.number("CRM_JOBS_POLL_MS", 2000)?),
            lease: src.seconds("CRM_JOBS_LEASE_SECONDS", 300)?,
            retry_base: src.seconds("CRM_RETRY_BASE_SECONDS", 60)?,
            retry_max: src.seconds("CRM_RETRY_MAX_SECONDS", 3600)?,
            smtp_url: src.get("CRM_SMTP_URL"),
            mail_from: src.get("CRM_MAIL_FROM").unwrap_or_else(|| "CRM <crm@localhost>".to_owned()),
            sms: sms_gateway(&src)?,
            public_url: public_url.clone(),
            link_key: crm_store::outbox::link_key(&jwt_secret),
            periods,
        };
        anyhow::ensure!(jobs.lease >= Duration::from_secs(10), "CRM_JOBS_LEASE_SECONDS must be at least 10");
        let geocoder = match src.get("CRM_GEOCODER_URL") {
            None => None,
            Some(url) => {
                anyhow::ensure!(
                    url.starts_with("http://") || url.starts_with("https://"),
                    "CRM_GEOCODER_URL must be an http:// or https:// address"
                );
                Some(GeocoderConfig {
                    url,
                    user_agent: src
                        .get("CRM_GEOCODER_USER_AGENT")
                        .unwrap_or_else(|| format!("open-crm/{}", env!("CARGO_PKG_VERSION"))),
                    interval: Duration::from_millis(src.number("CRM_GEOCODER_INTERVAL_MS", 1000)?),
                    timeout: Duration::from_millis(src.number("CRM_GEOCODER_TIMEOUT_MS", 5000)?),
                    max_wait: Duration::from_millis(src.number("CRM_GEOCODER_MAX_WAIT_MS", 5000)?),
                })
            }
        };
        let config = Self {
            database_url,
            static_dir: src
                .get("CRM_STATIC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("frontend/dist")),
            jwt_secret,
            jwt_issuer: src.get("CRM_JWT_ISSUER").unwrap_or_else(|| "open-crm".to_owned()),
            access_token_seconds: src.number("CRM_ACCESS_TOKEN_SECONDS", 900)?,
            session_idle: Duration::from_secs(86_400 * src.number::<u64>("CRM_SESSION_IDLE_DAYS", 14)?),
            session_max: Duration::from_secs(86_400 * src.number::<u64>("CRM_SESSION_MAX_DAYS", 30)?),
            refresh_grace: src.seconds("CRM_REFRESH_GRACE_SECONDS", 10)?,
            public_url,
            max_body_bytes: src.number("CRM_MAX_BODY_BYTES", 1 << 20)?,
            max_import_bytes: src.number("CRM_MAX_IMPORT_BYTES", 50 << 20)?,
            trust_proxy: src.flag("CRM_TRUST_PROXY")?,
            rate_limits: RateLimits {
                login_account: src.rate("CRM_RATE_LOGIN_ACCOUNT", "10/min")?,
                login_address: src.rate("CRM_RATE_LOGIN_ADDRESS", "30/min")?,
                refresh: src.rate("CRM_RATE_REFRESH", "60/min")?,
                lookup: src.rate("CRM_RATE_LOOKUP", "120/min")?,
                api_key: src.rate("CRM_RATE_API_KEY", "600/min")?,
                lead_source: src.rate("CRM_RATE_LEAD_SOURCE", "600/min")?,
            },
            log_json,
            jobs,
            geocoder,
        };
        anyhow::ensure!(config.access_token_seconds >= 10, "CRM_ACCESS_TOKEN_SECONDS must be at least 10");
        anyhow::ensure!(
            config.session_max >= config.session_idle,
            "CRM_SESSION_MAX_DAYS must not be shorter than CRM_SESSION_IDLE_DAYS"
        );
        Ok(config)
    }

    /// Settings for tests and embedding: defaults, with the given database and secret, no
    /// rate limits and no mail server.
    pub fn for_tests(database_url: String, public_url: String, static_dir: PathBuf) -> Self {
        let jwt_secret = b"test-secret-that-is-long-enough-for-hs256".to_vec();
        let jobs = JobsConfig {
            public_url: public_url.clone(),
            link_key: crm_store::outbox::link_key(&jwt_secret),
            ..JobsConfig::default()
        };
        Self {
            database_url,
            static_dir,
            jwt_secret,
            jwt_issuer: "crm-tests".into(),
            access_token_seconds: 300,
            session_idle: Duration::from_secs(14 * 86_400),
            session_max: Duration::from_secs(30 * 86_400),
            refresh_grace: Duration::from_secs(10),
            public_url,
            max_body_bytes: 1 << 20,
            max_import_bytes: 50 << 20,
            trust_proxy: false,
            rate_limits: RateLimits {
                login_account: None,
                login_address: None,
                refresh: None,
                lookup: None,
                api_key: None,
                lead_source: None,
            },
            log_json: false,
            jobs,
            geocoder: None,
        }
    }
}

/// The SMS gateway: a preset (`CRM_SMS_PROVIDER=46elks` or `twilio`, with `CRM_SMS_USER`,
/// `CRM_SMS_PASSWORD`, `CRM_SMS_FROM`) or `custom`, described by `CRM_SMS_URL`,
/// `CRM_SMS_METHOD` (POST), `CRM_SMS_AUTH` (`basic`, `bearer` with `CRM_SMS_TOKEN`, `none`),
/// `CRM_SMS_ENCODING` (`form`, `json`, `query`), `CRM_SMS_FIELD_TO` / `_FROM` / `_MESSAGE`
/// and `CRM_SMS_SUCCESS` (`2xx`, a list of statuses such as `200,201`, or `body:<text>`).
/// `CRM_SMS_URL` and the others also override a preset's.
fn sms_gateway(src: &Source) -> anyhow::Result<Option<crm_jobs::sms::SmsGateway>> {
    use crm_jobs::sms::{SmsAuth, SmsEncoding, SmsGateway, SmsSuccess};
    let Some(provider) = src.get("CRM_SMS_PROVIDER") else {
        return Ok(None);
    };
    let user = src.get("CRM_SMS_USER").unwrap_or_default();
    let password = src.get("CRM_SMS_PASSWORD").unwrap_or_default();
    let from = src.get("CRM_SMS_FROM").unwrap_or_else(|| "CRM".to_owned());
    let mut g = match provider.as_str() {
        "custom" => SmsGateway {
            method: reqwest::Method::POST,
            url: src
                .get("CRM_SMS_URL")
                .ok_or_else(|| anyhow::anyhow!("CRM_SMS_PROVIDER=custom needs CRM_SMS_URL"))?,
            auth: SmsAuth::None,
            encoding: SmsEncoding::Form,
            to_field: "to".into(),
            from_field: "from".into(),
            message_field: "message".into(),
            from: from.clone(),
            success: SmsSuccess::Status2xx,
            timeout: Duration::from_secs(15),
        },
        preset => SmsGateway::preset(preset, &user, &password, &from)?,
    };
    if let Some(url) = src.get("CRM_SMS_URL") {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "CRM_SMS_URL must be an http:// or https:// address"
        );
        g.url = url;
    }
    if let Some(m) = src.get("CRM_SMS_METHOD") {
        g.method = match m.to_uppercase().as_str() {
            "POST" => reqwest::Method::POST,
            "GET" => reqwest::Method::GET,
            "PUT" => reqwest::Method::PUT,
            other => anyhow::bail!("CRM_SMS_METHOD: '{other}' is not POST, GET or PUT"),
        };
    }
    if let Some(a) = src.get("CRM_SMS_AUTH") {
        g.auth = match a.as_str() {
            "none" => SmsAuth::None,
            "basic" => SmsAuth::Basic { user, password },
            "bearer" => SmsAuth::Bearer(
                src.get("CRM_SMS_TOKEN")
                    .ok_or_else(|| anyhow::anyhow!("CRM_SMS_AUTH=bearer needs CRM_SMS_TOKEN"))?,
            ),
            other => anyhow::bail!("CRM_SMS_AUTH: '{other}' is not basic, bearer or none"),
        };
    }
    if let Some(e) = src.get("CRM_SMS_ENCODING") {
        g.encoding = match e.as_str() {
            "form" => SmsEncoding::Form,
            "json" => SmsEncoding::Json,
            "query" => SmsEncoding::Query,
            other => anyhow::bail!("CRM_SMS_ENCODING: '{other}' is not form, json or query"),
        };
    }
    for (key, field) in [
        ("CRM_SMS_FIELD_TO", &mut g.to_field),
        ("CRM_SMS_FIELD_FROM", &mut g.from_field),
        ("CRM_SMS_FIELD_MESSAGE", &mut g.message_field),
    ] {
        if let Some(v) = src.get(key) {
            *field = v;
        }
    }
    if let Some(rule) = src.get("CRM_SMS_SUCCESS") {
        g.success = if rule == "2xx" {
            SmsSuccess::Status2xx
        } else if let Some(text) = rule.strip_prefix("body:") {
            SmsSuccess::BodyContains(text.to_owned())
        } else {
            SmsSuccess::Statuses(
                rule.split(',')
                    .map(|s| s.trim().parse::<u16>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| anyhow::anyhow!("CRM_SMS_SUCCESS: '{rule}' is not 2xx, body:<text> or a list of statuses"))?,
            )
        };
    }
    Ok(Some(g))
}

/// A single-machine installation keeps a generated signing key in `./data/jwt.secret`.
fn local_secret() -> anyhow::Result<Vec<u8>> {
    use rand::RngCore;
    let path = Path::new("data/jwt.secret");
    if let Ok(existing) = std::fs::read(path)
        && existing.len() >= 32
    {
        return Ok(existing);
    }
    std::fs::create_dir_all("data")?;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path, &secret).context("writing data/jwt.secret")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(secret.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(
            RateLimit::parse("10/min").unwrap(),
            Some(RateLimit {
                burst: 10,
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(RateLimit::parse("off").unwrap(), None);
        assert!(RateLimit::parse("0/min").is_err());
        assert!(RateLimit::parse("ten/min").is_err());
        assert!(RateLimit::parse("5/fortnight").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let mut c = Config::for_tests("postgres://crm:hunter2@db/crm".into(), "http://x".into(), PathBuf::from("."));
        c.jobs.smtp_url = Some("smtp://mailer:s3cret@mail:587".into());
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("s3cret"), "{shown}");
        assert!(!shown.contains("test-secret"), "{shown}");
        assert!(shown.contains("postgres://crm:***@db/crm"), "{shown}");
    }

    #[test]
    fn the_geocoder_is_off_unless_configured() {
        let dir = std::env::temp_dir().join(format!("crm-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("crm.env");
        let secret = "CRM_JWT_SECRET=0123456789abcdef0123456789abcdef\n";
        std::fs::write(&file, secret).unwrap();
        assert!(Config::load(Some(&file)).unwrap().geocoder.is_none());
        std::fs::write(
            &file,
            format!("{secret}CRM_GEOCODER_URL=https://geo.example/\nCRM_GEOCODER_USER_AGENT=Brokers AB crm (it@brokers.example)\nCRM_GEOCODER_INTERVAL_MS=1500\n"),
        )
        .unwrap();
        let g = Config::load(Some(&file)).unwrap().geocoder.unwrap();
        assert_eq!(
            (g.url.as_str(), g.user_agent.as_str(), g.interval),
            (
                "https://geo.example/",
                "Brokers AB crm (it@brokers.example)",
                Duration::from_millis(1500)
            )
        );
        assert_eq!(g.timeout, Duration::from_secs(5));
        std::fs::write(&file, format!("{secret}CRM_GEOCODER_URL=geo.example\n")).unwrap();
        assert!(Config::load(Some(&file)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
