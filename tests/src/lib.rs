//! The test harness: a fresh database per test (a SQLite file, or a new PostgreSQL database),
//! migrations run, the real server on a random port, and typed request helpers.

use std::net::TcpListener;
use std::path::PathBuf;

use crm_api::Config;
use crm_domain::contacts::Country;
use crm_store::Store;
use crm_store::org::{Company, User};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests use: `TEST_DATABASE_URL`, else the local one.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A new, empty database URL for one test.
pub async fn fresh_database(backend: Backend) -> String {
    let name = format!("crm_test_{}", uuid::Uuid::new_v4().simple());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("crm-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}?mode=rwc", dir.join(format!("{name}.db")).display())
        }
        Backend::Postgres => {
            use sea_orm::{ConnectionTrait, Database};
            let admin = postgres_admin_url();
            let db = Database::connect(&admin)
                .await
                .expect("PostgreSQL for tests (set TEST_DATABASE_URL)");
            db.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            db.close().await.ok();
            // The same server and options (say `?sslmode=disable`), another database.
            let (path, query) = admin.split_once('?').map_or((admin.as_str(), None), |(p, q)| (p, Some(q)));
            let base = path.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("database URL with a path");
            match query {
                Some(q) => format!("{base}/{name}?{q}"),
                None => format!("{base}/{name}"),
            }
        }
    }
}

/// Where the built SPA is.
pub fn static_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist")
}

/// A running server on a fresh database, with one company and its administrator.
pub struct TestApp {
    pub address: String,
    /// The database the server runs on (for tests that make time pass).
    pub database_url: String,
    pub store: Store,
    pub client: reqwest::Client,
    pub company: Company,
    pub admin: User,
    _jobs: crm_jobs::Runner,
}

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Starts the server on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the server with settings changed by `configure`.
pub async fn spawn_app_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let database_url = url.clone();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let mut config = Config::for_tests(url, address.clone(), static_dir());
    config.jobs.poll = std::time::Duration::from_millis(100);
    configure(&mut config);
    // As `crm serve` does: the job runner beside the server.
    let jobs = crm_jobs::Runner::start(store.clone(), config.jobs.clone()).expect("job runner");
    let server = crm_api::server(listener, store.clone(), config).expect("server");
    tokio::spawn(server);
    let (company, admin) = store
        .create_company(
            "Test Brokers",
            Country::SWEDEN,
            "Head office",
            "Ada Admin",
            &format!("admin-{}@test.example", uuid::Uuid::new_v4().simple()),
            ADMIN_PASSWORD,
        )
        .await
        .expect("company");
    TestApp {
        address,
        database_url,
        store,
        client: http_client(),
        company,
        admin,
        _jobs: jobs,
    }
}

/// An HTTP client for talking to a test server. Idle connections are dropped well before the
/// server's keep-alive (5 s) ends them: a request written to a connection the server is closing
/// fails with a broken pipe (seen when a slow step left a pooled connection idle for 5 s).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("an HTTP client")
}

/// An answer: status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.body.clone()).unwrap_or_else(|e| panic!("unexpected body {}: {e}", self.body))
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl TestApp {
    pub async fn request(&self, method: reqwest::Method, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> Answer {
        let bytes = body.as_ref().map(|b| serde_json::to_vec(b).expect("json"));
        // A large body goes on a connection of its own: writing one for long on a pooled
        // connection the server is closing fails with a broken pipe (seen on a loaded machine).
        let fresh;
        let client = match &bytes {
            Some(b) if b.len() > 64 * 1024 => {
                fresh = http_client();
                &fresh
            }
            _ => &self.client,
        };
        let build = |client: &reqwest::Client| {
            let mut req = client.request(method.clone(), format!("{}{path}", self.address));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = &bytes {
                req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.clone());
            }
            req
        };
        let resp = match build(client).send().await {
            Ok(r) => r,
            // A pooled connection the server closed as it was reused (a loaded machine): an
            // idempotent request is sent again on a new connection; anything else fails.
            Err(e) if e.is_request() && matches!(method, reqwest::Method::GET | reqwest::Method::PUT | reqwest::Method::DELETE) => {
                build(&http_client()).send().await.expect("request")
            }
            Err(e) => panic!("request: {e:?}"),
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        };
        Answer { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.request(reqwest::Method::GET, path, Some(token), None).await
    }

    pub async fn post<B: Serialize>(&self, path: &str, token: &str, body: &B) -> Answer {
        self.request(
            reqwest::Method::POST,
            path,
            Some(token),
            Some(serde_json::to_value(body).expect("json")),
        )
        .await
    }

    pub async fn put<B: Serialize>(&self, path: &str, token: &str, body: &B) -> Answer {
        self.request(
            reqwest::Method::PUT,
            path,
            Some(token),
            Some(serde_json::to_value(body).expect("json")),
        )
        .await
    }

    /// Signs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let a = self
            .request(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(a.status, 200, "login failed: {}", a.body);
        a.body["access_token"].as_str().expect("token").to_owned()
    }

    /// Signs in and returns the whole answer (access and refresh token).
    pub async fn sign_in(&self, email: &str, password: &str) -> Answer {
        self.request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }

    /// Exchanges a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Answer {
        self.request(
            reqwest::Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(serde_json::json!({"refresh_token": refresh_token})),
        )
        .await
    }

    pub async fn admin_token(&self) -> String {
        self.login(&self.admin.email, ADMIN_PASSWORD).await
    }
}

/// Generates one test per database from an async test body `fn(Backend)`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

/// An SMTP server on loopback for tests: it accepts every message and keeps its raw text, or,
/// while `refuse` is set, turns every connection away with a temporary failure (as a mail server
/// that is down for maintenance does).
pub struct SmtpServer {
    pub url: String,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub refuse: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl SmtpServer {
    pub fn messages(&self) -> Vec<String> {
        // Quoted-printable soft line breaks undone, so texts can be searched.
        self.received.lock().expect("lock").iter().map(|m| m.replace("=\n", "")).collect()
    }

    /// Waits until at least `n` messages arrived (or `timeout` passed) and returns them all.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<String> {
        let start = std::time::Instant::now();
        while self.received.lock().expect("lock").len() < n && start.elapsed() < timeout {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

pub async fn smtp_server() -> SmtpServer {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let server = SmtpServer {
        url,
        received: Default::default(),
        refuse: Default::default(),
        refused: Default::default(),
    };
    let (store, refuse, refused) = (server.received.clone(), server.refuse.clone(), server.refused.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (store, refuse, refused) = (store.clone(), refuse.clone(), refused.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                if refuse.load(Ordering::SeqCst) {
                    refused.fetch_add(1, Ordering::SeqCst);
                    let _ = write.write_all(b"421 4.3.2 down for maintenance, try later\r\n").await;
                    return;
                }
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().expect("lock").push(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    server
}

/// A Nominatim-compatible geocoder on loopback for tests. It answers `GET /search` by the `city`
/// asked for: a city in `places` gives its point, `Broken` gives a 500, any other city no place.
/// Every request is kept (its query, its `User-Agent` and when it came).
pub struct GeocoderServer {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<GeocoderRequest>>>,
}

#[derive(Debug, Clone)]
pub struct GeocoderRequest {
    pub query: Vec<(String, String)>,
    pub user_agent: String,
    pub at: std::time::Instant,
}

impl GeocoderRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl GeocoderServer {
    pub fn requests(&self) -> Vec<GeocoderRequest> {
        self.requests.lock().expect("lock").clone()
    }
}

pub async fn geocoder_server(places: &[(&str, f64, f64)]) -> GeocoderServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind geocoder");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = GeocoderServer {
        url,
        requests: Default::default(),
    };
    let places: Vec<(String, f64, f64)> = places.iter().map(|(c, lat, lon)| (c.to_string(), *lat, *lon)).collect();
    let requests = server.requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (requests, places) = (requests.clone(), places.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16_384 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let user_agent = head
                    .lines()
                    .find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                    .unwrap_or_default();
                let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
                let query: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
                    .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
                    .unwrap_or_default();
                let city = query.iter().find(|(k, _)| k == "city").map(|(_, v)| v.clone()).unwrap_or_default();
                requests.lock().expect("lock").push(GeocoderRequest {
                    query,
                    user_agent,
                    at: std::time::Instant::now(),
                });
                let (status, body) = if path != "/search" {
                    ("404 Not Found", "[]".to_owned())
                } else if city == "Broken" {
                    ("500 Internal Server Error", "{\"error\": \"down\"}".to_owned())
                } else {
                    match places.iter().find(|(c, ..)| *c == city) {
                        Some((_, lat, lon)) => (
                            "200 OK",
                            format!("[{{\"place_id\": 1, \"lat\": \"{lat}\", \"lon\": \"{lon}\", \"display_name\": \"{city}\"}}]"),
                        ),
                        None => ("200 OK", "[]".to_owned()),
                    }
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    server
}

/// An SMS gateway on loopback for tests, answering as 46elks or Twilio do: it turns away the
/// first `refuse_first` posts with a 503 (a gateway that is down), then takes every message with
/// a 201. Every request is kept: its path, its `Authorization` header and its form fields.
pub struct SmsServer {
    pub url: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<SmsRequest>>>,
    pub refuse_first: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub path: String,
    pub authorization: String,
    pub form: Vec<(String, String)>,
    pub accepted: bool,
}

impl SmsRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl SmsServer {
    pub fn requests(&self) -> Vec<SmsRequest> {
        self.requests.lock().expect("lock").clone()
    }

    /// The messages it took, waiting up to `timeout` for `n` of them.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> Vec<SmsRequest> {
        let end = std::time::Instant::now() + timeout;
        loop {
            let taken: Vec<SmsRequest> = self.requests().into_iter().filter(|r| r.accepted).collect();
            if taken.len() >= n || std::time::Instant::now() > end {
                return taken;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

pub async fn sms_server(refuse_first: usize) -> SmsServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind sms gateway");
    let server = SmsServer {
        url: format!("http://{}", listener.local_addr().expect("addr")),
        requests: Default::default(),
        refuse_first: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(refuse_first)),
    };
    let (requests, refuse) = (server.requests.clone(), server.refuse_first.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (requests, refuse) = (requests.clone(), refuse.clone());
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let (head_len, body_len) = loop {
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                            .unwrap_or(0);
                        break (end + 4, len);
                    }
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                };
                while data.len() < head_len + body_len {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&data[..head_len]).into_owned();
                let body = String::from_utf8_lossy(&data[head_len..head_len + body_len]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let authorization = head
                    .lines()
                    .find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                    .unwrap_or_default();
                let form: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{body}"))
                    .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
                    .unwrap_or_default();
                let refused = refuse
                    .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| {
                        n.checked_sub(1)
                    })
                    .is_ok();
                requests.lock().expect("lock").push(SmsRequest {
                    path,
                    authorization,
                    form,
                    accepted: !refused,
                });
                let (status, reply) = if refused {
                    ("503 Service Unavailable", "{\"error\": \"down for maintenance\"}")
                } else {
                    ("201 Created", "{\"status\": \"created\"}")
                };
                let out = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = socket.write_all(out.as_bytes()).await;
            });
        }
    });
    server
}

/// The `crm` binary as shipped, built on first use (scripts/test.sh builds it beforehand).
pub fn crm_binary() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Ok(path) = std::env::var("CRM_BIN") {
                return PathBuf::from(path);
            }
            let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let mut build = std::process::Command::new(cargo);
            build
                .args(["build", "--quiet", "-p", "crm-api", "--bin", "crm"])
                .current_dir(&workspace);
            // What cargo sets for a running test would make the build scripts' inputs look
            // changed, and rebuild everything.
            for (key, _) in std::env::vars() {
                if key == "LD_LIBRARY_PATH"
                    || key.starts_with("CARGO_PKG_")
                    || key.starts_with("CARGO_BIN_EXE_")
                    || key == "CARGO_MANIFEST_DIR"
                {
                    build.env_remove(key);
                }
            }
            let status = build.status().expect("cargo build of the crm binary");
            assert!(status.success(), "building the crm binary failed");
            // Test executables live in <target>/debug/deps; the binary one level up.
            let exe = std::env::current_exe().expect("test executable");
            let dir = exe.parent().and_then(|d| d.parent()).expect("target directory");
            dir.join("crm")
        })
        .clone()
}

/// Settings every test server gets: a shared signing key, no rate limits, quick job polling.
pub fn test_environment() -> Vec<(String, String)> {
    [
        ("CRM_JWT_SECRET", "test-secret-that-is-long-enough-for-hs256"),
        ("CRM_RATE_LOGIN_ACCOUNT", "off"),
        ("CRM_RATE_LOGIN_ADDRESS", "off"),
        ("CRM_RATE_REFRESH", "off"),
        ("CRM_RATE_LOOKUP", "off"),
        ("CRM_RATE_API_KEY", "off"),
        ("CRM_JOBS_POLL_MS", "100"),
        ("CRM_RETRY_BASE_SECONDS", "1"),
        ("CRM_RETRY_MAX_SECONDS", "2"),
        ("RUST_LOG", "warn,crm_jobs=info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A `crm` command run to completion with the test environment and `env`.
pub fn crm_command(args: &[&str], database_url: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(crm_binary());
    cmd.args(args).env("DATABASE_URL", database_url).env("CRM_STATIC_DIR", static_dir());
    for (k, v) in test_environment() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run crm")
}

/// A running `crm serve` (or `crm worker`) process, stopped when dropped. Its log is kept in a
/// file and printed when a test fails while it runs.
pub struct CrmProcess {
    child: std::process::Child,
    pub address: String,
    pub log: PathBuf,
}

impl CrmProcess {
    /// Starts `crm serve` on a free port of loopback and waits until it is ready.
    pub async fn serve(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let address = format!("http://127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        let mut env: Vec<(&str, &str)> = env.to_vec();
        env.push(("CRM_PUBLIC_URL", &address));
        let process = Self::start(&["serve", "--listen", &listen], database_url, &env, address.clone());
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = client.get(format!("{address}/readyz")).send().await
                && r.status().is_success()
            {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "crm serve did not become ready: {}",
            std::fs::read_to_string(&process.log).unwrap_or_default()
        );
    }

    /// Starts `crm worker`.
    pub fn worker(database_url: &str, env: &[(&str, &str)]) -> Self {
        Self::start(&["worker"], database_url, env, String::new())
    }

    fn start(args: &[&str], database_url: &str, env: &[(&str, &str)], address: String) -> Self {
        let log = std::env::temp_dir().join(format!("crm-process-{}.log", uuid::Uuid::new_v4().simple()));
        let file = std::fs::File::create(&log).expect("log file");
        let mut cmd = std::process::Command::new(crm_binary());
        cmd.args(args)
            .env("DATABASE_URL", database_url)
            .env("CRM_STATIC_DIR", static_dir())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file);
        for (k, v) in test_environment() {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start crm");
        Self { child, address, log }
    }

    /// The process id (to read its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the process as an operator would (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CrmProcess {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- log of crm {} ---\n{}", self.address, self.log_text());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
