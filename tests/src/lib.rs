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
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).expect("database URL with a path");
            format!("{base}/{name}")
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
    pub store: Store,
    pub client: reqwest::Client,
    pub company: Company,
    pub admin: User,
}

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Starts the server on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let config = Config {
        database_url: url,
        static_dir: static_dir(),
        jwt_secret: b"test-secret-that-is-long-enough-for-hs256".to_vec(),
        jwt_issuer: "crm-tests".into(),
        access_token_seconds: 300,
        smtp_url: None,
        mail_from: "CRM <crm@test.example>".into(),
        public_url: address.clone(),
    };
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
        store,
        client: reqwest::Client::new(),
        company,
        admin,
    }
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
        let mut req = self.client.request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
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

/// A minimal SMTP server on loopback that accepts every message and keeps its raw text.
pub async fn smtp_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
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
    (url, received)
}
