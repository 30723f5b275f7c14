//! The HTTP API (actix-web, OpenAPI by utoipa) and the host of the SPA.

pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod events;
pub mod geocode;
pub mod input;
pub mod limits;
mod observe;
mod routes;
pub mod time;
mod views;
mod xlsx;

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::{App, HttpServer, web};
use crm_store::Store;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

pub use config::Config;

/// What every handler can reach.
pub struct AppState {
    pub store: Store,
    pub tokens: auth::Tokens,
    pub sessions: crm_store::auth::SessionPolicy,
    pub limits: limits::Limits,
    /// Whether the client address comes from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// The largest JSON body accepted.
    pub max_body_bytes: usize,
    /// The largest file accepted for an import.
    pub max_import_bytes: usize,
    /// Where users reach the app, for links in emails.
    pub public_url: String,
    /// Finds coordinates for addresses, when configured.
    pub geocoder: Option<geocode::Geocoder>,
    /// Signs and checks unsubscribe links.
    pub link_key: Vec<u8>,
    /// The app's open event streams on this instance.
    pub events: std::sync::Arc<events::Hub>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Open CRM for real-estate brokerages",
        description = "REST API of the CRM: contacts and the caller lookup, listings, demands, imports, tasks, offices, users and permissions.\n\nAuthenticate with `POST /api/v1/auth/login` and send the access token as `Authorization: Bearer <token>`; refresh it with `POST /api/v1/auth/refresh`. Integrations use an API key the same way (or as `X-Api-Key`). Errors are JSON `{code, message, field?, errors?}` with a stable `code`; bad input is a 4xx naming the field and changes nothing. Lists take `limit` (1–200, default 50) and `cursor` (the `next_cursor` of the page before) and answer `{items, total, total_exact, limit, next_cursor, next}`. Rate limits (sign-in per account and address, refresh, caller lookup, each API key) answer `429` with `Retry-After`.",
        version = "1.0.0",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign in, refresh, sign out"),
        (name = "contacts", description = "Contacts, their timeline, hand-over and the caller lookup"),
        (name = "properties", description = "Listings and their parties"),
        (name = "demands", description = "Buyers' requests"),
        (name = "admin", description = "Offices, users, groups and API keys"),
        (name = "tasks", description = "The signed-in user's CRM tasks"),
        (name = "calendar", description = "The calendar: bookings of a user or an office, public holidays, the private iCalendar feed"),
        (name = "calls", description = "The call-outcome pipeline on contacts' cards, tags, co-brokerage deals, incoming calls from a telephone system and the app's event stream"),
        (name = "segments", description = "Segmentation: selections of contacts counted and paged, saved filters, bulk messages, call lists, newsletter lists and the spreadsheet export"),
        (name = "bookings", description = "Viewings and bids of listings, customer meetings and callbacks"),
        (name = "public", description = "Pages and links for the company's clients (one-click unsubscribe)"),
        (name = "imports", description = "Importing a register of contacts from a CSV file"),
        (name = "health", description = "Liveness and readiness")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .build(),
            ),
        );
        components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
    }
}

/// The error answers every operation of a kind can give, said once here rather than on each
/// handler: any body can be malformed (400), collide with another write (409), be too large
/// (413), of another type (415) or break a limit (422); any query can be malformed (400); an authenticated operation can answer 401 and,
/// for an API key over its rate, 429; an operation on `{id}` can answer 404.
fn document_common_errors(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build(),
            )
            .build()
    };
    for (path, item) in openapi.paths.paths.iter_mut() {
        for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
            .into_iter()
            .flatten()
        {
            let mut add = |status: &str, description: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description).into());
            };
            if op.request_body.is_some() {
                add(
                    "400",
                    "The body is not valid JSON or a field has the wrong type (`invalid_json`, with `field`)",
                );
                add(
                    "409",
                    "A value that must be unique is taken, or another request changed the record first (`conflict`)",
                );
                add("413", "The body is too large (`payload_too_large`)");
                add("415", "The body is not `application/json` (`unsupported_media_type`)");
                add(
                    "422",
                    "A field breaks a rule or a limit (`validation_failed`, `too_long`, `invalid_characters`, …, with `field`)",
                );
            }
            let has_query = op
                .parameters
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query));
            if has_query || path.contains('{') {
                add("400", "A parameter is not valid (`invalid_query`, `invalid_path`, with `field`)");
            }
            if path.contains('{') {
                add("404", "No such record, or not visible to the caller (`not_found`)");
            }
            if op.security.is_some() {
                add(
                    "401",
                    "Missing, invalid or expired credentials (`unauthenticated`, `invalid_token`)",
                );
                add("429", "Too many requests (`rate_limited`); wait the seconds in `Retry-After`");
            }
        }
    }
}

/// Registers every API route; the same list feeds the router and the OpenAPI spec.
fn api_app() -> utoipa_actix_web::UtoipaApp<
    impl actix_web::dev::ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse, Error = actix_web::Error, InitError = ()>,
> {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(web::JsonConfig::default().limit(1 << 20).error_handler(error::json_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .configure(routes::health::configure)
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure))
}

/// The OpenAPI document, as served at `/api/openapi.json` and checked in at `api-spec/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = api_app().split_for_parts().1;
    document_common_errors(&mut spec);
    spec
}

/// Runs the server on an already bound listener until it is stopped.
pub async fn serve(listener: std::net::TcpListener, store: Store, config: Config) -> std::io::Result<()> {
    server(listener, store, config)?.await
}

/// The server on an already bound listener, ready to be awaited or spawned.
pub fn server(listener: std::net::TcpListener, store: Store, config: Config) -> std::io::Result<actix_web::dev::Server> {
    let geocoder = match config.geocoder.clone().map(geocode::Geocoder::new).transpose() {
        Ok(g) => g,
        Err(e) => return Err(std::io::Error::other(format!("the geocoder cannot be set up: {e}"))),
    };
    let state = web::Data::new(AppState {
        store,
        tokens: auth::Tokens::new(&config.jwt_secret, &config.jwt_issuer, config.access_token_seconds),
        sessions: crm_store::auth::SessionPolicy {
            idle: chrono::Duration::from_std(config.session_idle).unwrap_or(chrono::Duration::days(14)),
            max: chrono::Duration::from_std(config.session_max).unwrap_or(chrono::Duration::days(30)),
            grace: chrono::Duration::from_std(config.refresh_grace).unwrap_or(chrono::Duration::seconds(10)),
            key: [b"refresh-tokens:".as_slice(), &config.jwt_secret].concat(),
        },
        limits: limits::Limits::new(&config.rate_limits),
        trust_proxy: config.trust_proxy,
        max_body_bytes: config.max_body_bytes,
        max_import_bytes: config.max_import_bytes,
        public_url: config.public_url.clone(),
        geocoder,
        link_key: config.jobs.link_key.clone(),
        events: Default::default(),
    });
    events::start(state.store.clone(), state.events.clone());
    // Rate-limit buckets of quiet clients are dropped every minute.
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            sweeper.limits.forget_idle();
        }
    });
    let static_dir = config.static_dir.clone();
    // The docs viewer is part of the SPA's build (from the npm registry); without it the page
    // still leads to the spec.
    let viewer = static_dir.join("api-docs/swagger-ui-bundle.js").exists();
    let spa = static_dir.join("index.html").is_file();
    if !spa {
        tracing::warn!(dir = %static_dir.display(), "no web app to serve: the directory holds no index.html");
    }
    HttpServer::new(move || {
        let (app, mut spec) = api_app().split_for_parts();
        document_common_errors(&mut spec);
        let index = static_dir.join("index.html");
        app.app_data(state.clone())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(observe::request_context))
            .route(
                "/api/openapi.json",
                web::get().to(move || {
                    let spec = spec.clone();
                    async move { web::Json(spec) }
                }),
            )
            .route(
                "/api/docs",
                web::get().to(move || async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(if viewer { DOCS_PAGE } else { DOCS_WITHOUT_VIEWER })
                }),
            )
            .configure(|cfg| {
                if spa {
                    cfg.service(
                        Files::new("/", &static_dir)
                            .index_file("index.html")
                            .default_handler(fn_service(move |req: ServiceRequest| {
                                // Client-side routes (/contacts/…) all load the SPA.
                                let index = index.clone();
                                async move {
                                    let (req, _) = req.into_parts();
                                    let file = NamedFile::open_async(&index).await?;
                                    Ok(ServiceResponse::new(req.clone(), file.into_response(&req)))
                                }
                            })),
                    );
                } else {
                    cfg.default_service(web::to(|| async {
                        actix_web::HttpResponse::NotFound()
                            .content_type("text/plain; charset=utf-8")
                            .body("The web app is not built here (scripts/build-frontend.sh builds it); the API is at /api/v1 and its docs at /api/docs.\n")
                    }));
                }
            })
    })
    .listen(listener)
    .map(|s| s.run())
}

/// The interactive API docs page: Swagger UI, served by this server, reading the live spec.
const DOCS_PAGE: &str = r##"<!doctype html>
<html lang="en"><head><title>CRM API</title><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api-docs/swagger-ui.css"></head>
<body><div id="docs"></div>
<script src="/api-docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#docs", deepLinking: true, persistAuthorization: true });</script>
</body></html>"##;

/// The docs page when the SPA (which carries the viewer) is not built.
const DOCS_WITHOUT_VIEWER: &str = r#"<!doctype html>
<html lang="en"><head><title>CRM API</title><meta charset="utf-8"></head>
<body><h1>CRM API</h1><p>The interactive viewer is installed with the web app (<code>scripts/build-frontend.sh</code>).
The specification is at <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>"#;
