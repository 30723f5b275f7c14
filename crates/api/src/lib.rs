//! The HTTP API (actix-web, OpenAPI by utoipa) and the host of the SPA.

pub mod auth;
pub mod config;
pub mod demo;
pub mod error;
pub mod jobs;
mod routes;
mod views;

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
    /// Where users reach the app, for links in emails.
    pub public_url: String,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Open CRM for real-estate brokerages",
        description = "REST API of the CRM: contacts and the caller lookup, listings, demands, offices, users and permissions.\n\nAuthenticate with `POST /api/v1/auth/login` and send the access token as `Authorization: Bearer <token>`; integrations use an API key the same way (or as `X-Api-Key`). Errors are JSON `{code, message, field?, errors?}` with a stable `code`. Lists take `limit` (1–200, default 50) and `offset` and answer `{items, total, limit, offset, next}`.",
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

/// Every authenticated operation can answer 401; said once here rather than on each handler.
fn document_unauthorized(openapi: &mut utoipa::openapi::OpenApi) {
    let unauthorized = utoipa::openapi::ResponseBuilder::new()
        .description("Missing, invalid or expired credentials (`unauthenticated`, `invalid_token`)")
        .content(
            "application/json",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ApiError")))
                .build(),
        )
        .build();
    for item in openapi.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
            .into_iter()
            .flatten()
        {
            if op.security.is_some() {
                op.responses
                    .responses
                    .entry("401".to_owned())
                    .or_insert_with(|| unauthorized.clone().into());
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
    document_unauthorized(&mut spec);
    spec
}

/// Runs the server on an already bound listener until it is stopped.
pub async fn serve(listener: std::net::TcpListener, store: Store, config: Config) -> std::io::Result<()> {
    server(listener, store, config)?.await
}

/// The server on an already bound listener, ready to be awaited or spawned.
pub fn server(listener: std::net::TcpListener, store: Store, config: Config) -> std::io::Result<actix_web::dev::Server> {
    let state = web::Data::new(AppState {
        store,
        tokens: auth::Tokens::new(&config.jwt_secret, &config.jwt_issuer, config.access_token_seconds),
        public_url: config.public_url.clone(),
    });
    let static_dir = config.static_dir.clone();
    HttpServer::new(move || {
        let (app, mut spec) = api_app().split_for_parts();
        document_unauthorized(&mut spec);
        let index = static_dir.join("index.html");
        app.app_data(state.clone())
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::Logger::new("%r %s %Dms").exclude("/healthz"))
            .route(
                "/api/openapi.json",
                web::get().to(move || {
                    let spec = spec.clone();
                    async move { web::Json(spec) }
                }),
            )
            .route(
                "/api/docs",
                web::get().to(|| async {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(DOCS_PAGE)
                }),
            )
            .service(
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
            )
    })
    .listen(listener)
    .map(|s| s.run())
}

/// The interactive API docs page: Scalar reading the live spec.
const DOCS_PAGE: &str = r#"<!doctype html>
<html><head><title>CRM API</title><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><script id="api-reference" data-url="/api/openapi.json"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script></body></html>"#;
