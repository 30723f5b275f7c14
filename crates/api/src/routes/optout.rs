//! One-click unsubscribe (RFC 8058) from the link in every message to a contact. Opening the
//! link shows a page with one button (link checkers that open every link must not opt anyone
//! out); the button, or a mail client's `List-Unsubscribe=One-Click` POST, opts the contact out
//! of automatic emails and gives their broker a task.

use actix_web::{HttpResponse, get, post, web};
use crm_domain::i18n::Locale;
use crm_types::ApiError as ErrorBody;
use serde_json::json;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(page).service(unsubscribe);
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(lang: Locale, title: &str, inner: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2630}}button{{font:inherit;padding:.5rem 1rem}}</style></head>\
             <body>{inner}</body></html>",
            lang.tag(),
            escape(title)
        ))
}

async fn recipient(state: &AppState, token: &str) -> ApiResult<(crm_domain::CompanyId, crm_domain::ContactId, String, Locale)> {
    let (company, contact) = crm_store::outbox::check_unsubscribe_token(&state.link_key, token).ok_or(ApiError::NotFound("link"))?;
    let c = state.store.company(company).await.map_err(|_| ApiError::NotFound("link"))?;
    Ok((company, contact, c.name, Locale::parse(&c.locale).unwrap_or(Locale::En)))
}

/// The page an unsubscribe link opens: who sends, and one button.
#[utoipa::path(tag = "public", params(("token" = String, Path)), responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
#[get("/public/unsubscribe/{token}")]
async fn page(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let (_, _, name, lang) = recipient(&state, &token).await?;
    let p = json!({"company": name});
    Ok(html(
        lang,
        &lang.render("unsubscribe.title", &p),
        &format!(
            "<h1>{}</h1><p>{}</p><form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">{}</button></form>",
            escape(&lang.render("unsubscribe.title", &p)),
            escape(&lang.render("unsubscribe.question", &p)),
            escape(&lang.text("unsubscribe.button")),
        ),
    ))
}

/// Opt the link's contact out of automatic emails (the page's button, or a mail client's
/// one-click POST with `List-Unsubscribe=One-Click`). Using it again changes nothing.
#[utoipa::path(tag = "public", params(("token" = String, Path)), responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
#[post("/public/unsubscribe/{token}")]
async fn unsubscribe(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let (company, contact, name, lang) = recipient(&state, &token).await?;
    state.store.unsubscribe(company, contact).await.map_err(|e| match e {
        crm_store::StoreError::NotFound(_) => ApiError::NotFound("link"),
        other => other.into(),
    })?;
    let p = json!({"company": name});
    Ok(html(
        lang,
        &lang.render("unsubscribe.title", &p),
        &format!(
            "<h1>{}</h1><p id=\"done\">{}</p>",
            escape(&lang.render("unsubscribe.title", &p)),
            escape(&lang.render("unsubscribe.done", &p))
        ),
    ))
}
