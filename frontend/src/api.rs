//! Talking to the REST API: the session (tokens in local storage, silent refresh), typed
//! requests, and error bodies.

use crm_types::{ApiError, Me, RefreshRequest, TokenPair};
use gloo_net::http::{Method, RequestBuilder};
use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

const ACCESS: &str = "crm.access";
const REFRESH: &str = "crm.refresh";

/// The signed-in user, shared by every page.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
    /// True once we know whether the stored session is valid.
    pub checked: RwSignal<bool>,
}

thread_local! {
    // One per page, reachable from event handlers and async tasks, which have no reactive owner
    // to look a context up in.
    static SESSION: Session = Session { me: RwSignal::new(None), checked: RwSignal::new(false) };
}

pub fn session() -> Session {
    SESSION.with(|s| *s)
}

/// Creates the app-wide signals under the app's root owner (a signal made first inside a page
/// would be disposed with that page), then loads the user if tokens are stored.
pub fn provide_session() {
    crate::i18n::init();
    let s = session();
    leptos::task::spawn_local(async move {
        if LocalStorage::get::<String>(ACCESS).is_ok() {
            if let Ok(me) = get::<Me>("/api/v1/me").await {
                crate::i18n::set_locale(&me.locale);
                s.me.set(Some(me));
            }
        }
        s.checked.set(true);
    });
}

/// Keeps a fresh sign-in.
pub fn store_tokens(pair: &TokenPair) {
    let _ = LocalStorage::set(ACCESS, &pair.access_token);
    let _ = LocalStorage::set(REFRESH, &pair.refresh_token);
    crate::i18n::set_locale(&pair.user.locale);
    session().me.set(Some(pair.user.clone()));
}

pub fn sign_out() {
    if let Ok(refresh) = LocalStorage::get::<String>(REFRESH) {
        leptos::task::spawn_local(async move {
            let _ = RequestBuilder::new("/api/v1/auth/logout")
                .method(Method::POST)
                .json(&RefreshRequest { refresh_token: refresh })
                .map(|r| r.send());
        });
    }
    LocalStorage::delete(ACCESS);
    LocalStorage::delete(REFRESH);
    session().me.set(None);
    go("/login");
}

/// A place to send the user to from async code: set it, and the router navigates there. (The
/// router's own navigate function needs the reactive owner, which async tasks do not have.)
pub fn use_goto() -> RwSignal<Option<String>> {
    let target = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(path) = target.get() {
            navigate(&path, Default::default());
        }
    });
    target
}

/// Navigates with a full page load (used when the router is gone, e.g. after signing out).
pub fn go(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
}

/// A failed request: the HTTP status and the API's error body.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub error: ApiError,
}

impl Failure {
    fn network(message: String) -> Self {
        Self {
            status: 0,
            error: ApiError {
                code: "network".into(),
                message,
                field: None,
                errors: Vec::new(),
            },
        }
    }

    /// The message for one form field, if the API blamed it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        self.error
            .errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
            .or_else(|| (self.error.errors.is_empty() && self.error.field.as_deref() == Some(field)).then(|| self.error.message.clone()))
    }
}

async fn once(method: Method, path: &str, body: Option<&serde_json::Value>) -> Result<gloo_net::http::Response, Failure> {
    let mut req = RequestBuilder::new(path).method(method);
    if let Ok(token) = LocalStorage::get::<String>(ACCESS) {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match body {
        Some(b) => req.json(b).map_err(|e| Failure::network(e.to_string()))?.send().await,
        None => req.send().await,
    };
    sent.map_err(|e| Failure::network(e.to_string()))
}

async fn refresh() -> bool {
    let Ok(token) = LocalStorage::get::<String>(REFRESH) else {
        return false;
    };
    let Ok(req) = RequestBuilder::new("/api/v1/auth/refresh")
        .method(Method::POST)
        .json(&RefreshRequest { refresh_token: token })
    else {
        return false;
    };
    match req.send().await {
        Ok(r) if r.ok() => match r.json::<TokenPair>().await {
            Ok(pair) => {
                let _ = LocalStorage::set(ACCESS, &pair.access_token);
                let _ = LocalStorage::set(REFRESH, &pair.refresh_token);
                true
            }
            Err(_) => false,
        },
        _ => false,
    }
}

/// Sends a request; on an expired access token, refreshes once and retries; when signed out,
/// goes to the sign-in page.
pub async fn request<T: DeserializeOwned>(method: Method, path: &str, body: Option<serde_json::Value>) -> Result<T, Failure> {
    let mut resp = once(method.clone(), path, body.as_ref()).await?;
    if resp.status() == 401 && !path.starts_with("/api/v1/auth/") {
        if refresh().await {
            resp = once(method, path, body.as_ref()).await?;
        } else {
            LocalStorage::delete(ACCESS);
            session().me.set(None);
            go("/login");
        }
    }
    let status = resp.status();
    let text = resp.text().await.map_err(|e| Failure::network(e.to_string()))?;
    if (200..300).contains(&status) {
        let text = if text.is_empty() { "null" } else { &text };
        serde_json::from_str(text).map_err(|e| Failure::network(format!("unexpected answer: {e}")))
    } else {
        let error = serde_json::from_str::<ApiError>(&text).unwrap_or(ApiError {
            code: "http".into(),
            message: format!("HTTP {status}"),
            field: None,
            errors: Vec::new(),
        });
        Err(Failure { status, error })
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    request(Method::GET, path, None).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, Failure> {
    request(Method::POST, path, Some(serde_json::to_value(body).unwrap_or_default())).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, Failure> {
    request(Method::PUT, path, Some(serde_json::to_value(body).unwrap_or_default())).await
}

/// Percent-encodes a query value.
pub fn enc(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
