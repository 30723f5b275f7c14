//! Talking to the REST API: the session (tokens in local storage, silent refresh), typed
//! requests, and error bodies.
//!
//! When the access token expires, every request that was in flight gets a 401 at once. They all
//! wait for one refresh (single-flight) and then retry with the new token; the server's grace
//! period covers another tab refreshing at the same moment.

use std::cell::RefCell;

use crm_types::{ApiError, Me, RefreshRequest, TokenPair};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
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
    /// Bumped whenever something the navigation counts may have changed (tasks done, …).
    pub changed: RwSignal<u32>,
}

thread_local! {
    // One per page, reachable from event handlers and async tasks, which have no reactive owner
    // to look a context up in.
    static SESSION: Session = Session { me: RwSignal::new(None), checked: RwSignal::new(false), changed: RwSignal::new(0) };
    /// The refresh under way, which every request that finds its token expired waits for.
    static REFRESHING: RefCell<Option<Shared<LocalBoxFuture<'static, bool>>>> = const { RefCell::new(None) };
}

pub fn session() -> Session {
    SESSION.with(|s| *s)
}

/// Something changed that lists and counts show: they load again.
pub fn touch() {
    session().changed.update(|n| *n += 1);
}

/// Creates the app-wide signals under the app's root owner (a signal made first inside a page
/// would be disposed with that page), then loads the user if tokens are stored.
pub fn provide_session() {
    crate::i18n::init();
    let s = session();
    leptos::task::spawn_local(async move {
        if LocalStorage::get::<String>(ACCESS).is_ok()
            && let Ok(me) = get::<Me>("/api/v1/me").await
        {
            set_me(me);
        }
        s.checked.set(true);
    });
}

/// The signed-in user changed (signed in, settings saved): the app follows their language.
pub fn set_me(me: Me) {
    crate::i18n::set_locale(&me.locale);
    crate::i18n::set_zone(&me.time_zone);
    session().me.set(Some(me));
}

/// Keeps a fresh sign-in.
pub fn store_tokens(pair: &TokenPair) {
    let _ = LocalStorage::set(ACCESS, &pair.access_token);
    let _ = LocalStorage::set(REFRESH, &pair.refresh_token);
    set_me(pair.user.clone());
}

pub fn sign_out() {
    if let Ok(refresh) = LocalStorage::get::<String>(REFRESH) {
        leptos::task::spawn_local(async move {
            if let Ok(req) = RequestBuilder::new("/api/v1/auth/logout")
                .method(Method::POST)
                .json(&RefreshRequest { refresh_token: refresh })
            {
                let _ = req.send().await;
            }
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
    pub fn network(message: String) -> Self {
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

/// What a request sends.
enum Body {
    None,
    Json(serde_json::Value),
    Bytes(String, Vec<u8>),
}

async fn once(method: Method, path: &str, body: &Body) -> Result<gloo_net::http::Response, Failure> {
    let mut req = RequestBuilder::new(path).method(method);
    if let Ok(token) = LocalStorage::get::<String>(ACCESS) {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match body {
        Body::Json(b) => req.json(b).map_err(|e| Failure::network(e.to_string()))?.send().await,
        Body::Bytes(content_type, bytes) => {
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            req.header("Content-Type", content_type)
                .body(array)
                .map_err(|e| Failure::network(e.to_string()))?
                .send()
                .await
        }
        Body::None => req.send().await,
    };
    sent.map_err(|e| Failure::network(e.to_string()))
}

/// Exchanges the refresh token for a new pair; `false` when the sign-in is over.
async fn refresh_now() -> bool {
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

/// One refresh for everyone who needs it now.
async fn refresh() -> bool {
    let shared = REFRESHING.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| {
                async {
                    let ok = refresh_now().await;
                    REFRESHING.with(|r| *r.borrow_mut() = None);
                    ok
                }
                .boxed_local()
                .shared()
            })
            .clone()
    });
    shared.await
}

/// Sends a request; on an expired access token, refreshes (once for all requests waiting) and
/// retries; when the sign-in is over, goes to the sign-in page.
async fn send(method: Method, path: &str, body: Body) -> Result<gloo_net::http::Response, Failure> {
    let sent_with = LocalStorage::get::<String>(ACCESS).ok();
    let mut resp = once(method.clone(), path, &body).await?;
    if resp.status() == 401 && !path.starts_with("/api/v1/auth/") {
        // Another request may have refreshed while this one was out.
        let fresh = LocalStorage::get::<String>(ACCESS).ok();
        let renewed = (fresh.is_some() && fresh != sent_with) || refresh().await;
        if renewed {
            resp = once(method, path, &body).await?;
        } else {
            LocalStorage::delete(ACCESS);
            session().me.set(None);
            go("/login");
        }
    }
    Ok(resp)
}

async fn decode<T: DeserializeOwned>(resp: gloo_net::http::Response) -> Result<T, Failure> {
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

pub async fn request<T: DeserializeOwned>(method: Method, path: &str, body: Option<serde_json::Value>) -> Result<T, Failure> {
    let body = body.map(Body::Json).unwrap_or(Body::None);
    decode(send(method, path, body).await?).await
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

pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    request(Method::DELETE, path, None).await
}

/// Sends a file as the body.
pub async fn upload<T: DeserializeOwned>(path: &str, content_type: &str, bytes: Vec<u8>) -> Result<T, Failure> {
    decode(send(Method::POST, path, Body::Bytes(content_type.to_owned(), bytes)).await?).await
}

/// Downloads a file with the session's credentials and hands it to the browser to save.
pub async fn download(path: &str, file_name: &str) -> Result<(), Failure> {
    save(send(Method::GET, path, Body::None).await?, file_name).await
}

/// Posts `body` and saves the answer as a file (an export of a selection too long for a URL).
pub async fn download_post<B: Serialize>(path: &str, body: &B, file_name: &str) -> Result<(), Failure> {
    let body = Body::Json(serde_json::to_value(body).unwrap_or_default());
    save(send(Method::POST, path, body).await?, file_name).await
}

async fn save(resp: gloo_net::http::Response, file_name: &str) -> Result<(), Failure> {
    use wasm_bindgen::JsCast;
    if !resp.ok() {
        return decode::<()>(resp).await;
    }
    let bytes = resp.binary().await.map_err(|e| Failure::network(e.to_string()))?;
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&array).map_err(|_| Failure::network("blob".into()))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| Failure::network("url".into()))?;
    if let Some(doc) = web_sys::window().and_then(|w| w.document())
        && let Ok(a) = doc.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(&url);
        a.set_download(file_name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Percent-encodes a query value.
pub fn enc(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
