//! Calls: the call-outcome pipeline on a contact's card, tags, co-brokerage deals, the
//! company's call settings, incoming calls from a telephone system, and the app's event stream.

use actix_web::http::header::{CacheControl, CacheDirective, ContentEncoding};
use actix_web::{HttpResponse, get, post, put, web};
use crm_domain::calls::{CallSettings as Settings, DealStatus, Outcome, TagDef};
use crm_domain::contacts::LookupQuery;
use crm_domain::{ContactId, UserId};
use crm_store::calls::CallInput;
use crm_types::{
    ApiError as ErrorBody, CallCard, CallSettings, CallTag, CallWrite, CoDeal, ContactTags, DealDecision, EventTicket, IncomingCall,
    IncomingCallLogged, Label, User, UserExtension,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{Auth, TICKET_SECONDS};
use crate::error::{ApiError, ApiResult};
use crate::input::{Check, Checker, Valid, ValidQuery};
use crate::routes::reader;
use crate::time::opt_date;
use crate::views;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(card)
        .service(record_call)
        .service(reopen)
        .service(set_tags)
        .service(deals)
        .service(decide)
        .service(call_settings)
        .service(save_settings)
        .service(incoming)
        .service(ticket)
        .service(stream)
        .service(set_extension);
}

fn to_api_settings(s: &Settings, lang: crm_domain::i18n::Locale) -> CallSettings {
    let labels = |m: &std::collections::BTreeMap<String, String>, order: Vec<&str>| {
        order
            .into_iter()
            .map(|code| Label {
                code: code.to_owned(),
                label: m.get(code).cloned().unwrap_or_else(|| code.to_owned()),
            })
            .collect()
    };
    CallSettings {
        stages: labels(&s.stages, crm_domain::calls::Stage::ALL.iter().map(|x| x.as_str()).collect()),
        reasons: labels(&s.reasons, crm_domain::calls::Reason::ALL.iter().map(|x| x.as_str()).collect()),
        tags: s
            .tags
            .iter()
            .map(|t| CallTag {
                code: t.code.clone(),
                label: t.label.clone(),
                manager_only: t.manager_only,
                keeps_owner: t.keeps_owner,
                weekly_nurture: t.weekly_nurture,
            })
            .collect(),
        partner_percent: s.partner_percent,
        outcomes: Outcome::ALL
            .iter()
            .map(|o| Label {
                code: o.as_str().to_owned(),
                label: lang.text(&format!("outcome.{}", o.as_str())),
            })
            .collect(),
    }
}

async fn card_view(state: &AppState, auth: &Auth, record: crm_store::calls::CallCardRecord) -> ApiResult<CallCard> {
    let settings = state.store.call_settings(auth.company.id).await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(views::call_card(record, &settings, &dir))
}

/// A contact's card in the call-outcome pipeline: stage (in the company's words), calls made,
/// unanswered in a row, whether it may be called today, tags, co-brokerage deals, latest calls.
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), responses((status = 200, body = CallCard)), security(("bearer" = []), ("api_key" = [])))]
#[get("/contacts/{id}/call-card")]
async fn card(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<CallCard>> {
    let record = state.store.call_card(&auth.viewer(), ContactId(*id)).await?;
    Ok(web::Json(card_view(&state, &auth, record).await?))
}

/// Record a call to a contact and how it ended. At most one call per contact and day (409
/// `already_called_today`); the third unanswered call in a row of a client not yet reached makes
/// the card non-target "cannot reach"; `postponed` makes a task "contact on <date>" (and weekly
/// nurture tasks until then), `rude` a task to call again tomorrow (the second time: non-target
/// "not a client"), `colleague` a task for the colleague, `realtor_split` a co-brokerage deal
/// waiting for the head of sales. A non-target card takes no calls (409 `card_closed`).
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), request_body = CallWrite, responses((status = 201, body = CallCard), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts/{id}/calls")]
async fn record_call(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<CallWrite>) -> ApiResult<HttpResponse> {
    let outcome = Outcome::parse(body.outcome.trim()).ok_or_else(|| {
        let all: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        ApiError::invalid("invalid_value", "outcome", format!("outcome is one of {}", all.join(", ")))
    })?;
    let record = state
        .store
        .record_call(
            &auth.viewer(),
            &CallInput {
                contact: ContactId(*id),
                outcome,
                comment: body.comment.clone(),
                until: opt_date("until", &body.until)?,
                colleague: body.colleague_id.map(UserId),
                list: body.list_id,
            },
        )
        .await?;
    Ok(HttpResponse::Created().json(card_view(&state, &auth, record).await?))
}

/// Open a non-target card again (the head of sales or an administrator): the client is to be
/// reached anew.
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), responses((status = 200, body = CallCard), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/contacts/{id}/call-card/reopen")]
async fn reopen(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<CallCard>> {
    let record = state.store.reopen_call_card(&auth.viewer(), ContactId(*id)).await?;
    Ok(web::Json(card_view(&state, &auth, record).await?))
}

/// Replace a contact's tags (codes from the company's call settings). Tags only the head of
/// sales sets (such as "approved by head of sales") are refused to others (403).
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), request_body = ContactTags, responses((status = 200, body = ContactTags), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/contacts/{id}/tags")]
async fn set_tags(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<ContactTags>,
) -> ApiResult<web::Json<ContactTags>> {
    let tags = state.store.set_contact_tags(&auth.viewer(), ContactId(*id), &body.tags).await?;
    Ok(web::Json(ContactTags { tags }))
}

/// Which deals.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealParams {
    /// `proposed`, `approved` or `rejected`; all when absent.
    status: Option<String>,
}

impl Check for DealParams {
    fn check(&self, c: &mut Checker) {
        c.opt("status", &self.status, crm_domain::limits::CODE);
    }
}

/// Co-brokerage deals of contacts the caller may see, newest first (at most 500).
#[utoipa::path(tag = "calls", params(DealParams), responses((status = 200, body = Vec<CoDeal>)), security(("bearer" = []), ("api_key" = [])))]
#[get("/co-deals")]
async fn deals(state: web::Data<AppState>, auth: Auth, params: ValidQuery<DealParams>) -> ApiResult<web::Json<Vec<CoDeal>>> {
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            DealStatus::parse(s)
                .ok_or_else(|| ApiError::bad_request("invalid_query", Some("status"), "status is one of proposed, approved, rejected"))?,
        ),
    };
    let list = state.store.co_deals(&auth.viewer(), status).await?;
    Ok(web::Json(list.into_iter().map(views::co_deal).collect()))
}

/// The head of sales (an office manager) or an administrator approves or rejects a proposed
/// co-brokerage deal; only an approved deal's split counts. Decided once (409 `deal_decided`).
#[utoipa::path(tag = "calls", params(("id" = Uuid, Path)), request_body = DealDecision, responses((status = 200, body = CoDeal), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/co-deals/{id}/decision")]
async fn decide(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>, body: Valid<DealDecision>) -> ApiResult<web::Json<CoDeal>> {
    let deal = state
        .store
        .decide_co_deal(&auth.viewer(), *id, body.approve, body.note.as_deref())
        .await?;
    Ok(web::Json(views::co_deal(deal)))
}

/// The company's words for the pipeline's stages and reasons, its tags, and the partner
/// agency's share in co-brokerage deals (defaults in the company's language).
#[utoipa::path(tag = "calls", responses((status = 200, body = CallSettings)), security(("bearer" = []), ("api_key" = [])))]
#[get("/company/call-settings")]
async fn call_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<CallSettings>> {
    let s = state.store.call_settings(auth.company.id).await?;
    Ok(web::Json(to_api_settings(&s, reader(&auth))))
}

/// Change the company's call settings (administrators). Every stage and reason needs a label;
/// a tag still on contacts cannot be removed (422 `tag_in_use`).
#[utoipa::path(tag = "calls", request_body = CallSettings, responses((status = 200, body = CallSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/company/call-settings")]
async fn save_settings(state: web::Data<AppState>, auth: Auth, body: Valid<CallSettings>) -> ApiResult<web::Json<CallSettings>> {
    auth.require_admin()?;
    let body = body.into_inner();
    let settings = Settings {
        stages: body.stages.into_iter().map(|l| (l.code, l.label)).collect(),
        reasons: body.reasons.into_iter().map(|l| (l.code, l.label)).collect(),
        tags: body
            .tags
            .into_iter()
            .map(|t| TagDef {
                code: t.code,
                label: t.label,
                manager_only: t.manager_only,
                keeps_owner: t.keeps_owner,
                weekly_nurture: t.weekly_nurture,
            })
            .collect(),
        partner_percent: body.partner_percent,
    };
    let saved = state.store.save_call_settings(auth.company.id, settings).await?;
    Ok(web::Json(to_api_settings(&saved, reader(&auth))))
}

/// A telephone system (PBX or cloud phone service) reports a call coming in, authenticated by
/// an API key (of an administrator, a receptionist, or the called user). The called user is
/// named by `user_id`, `extension` or `email`. The call is logged on the timeline of the
/// contacts the number belongs to, and the called user's open app shows the caller's card at
/// once.
#[utoipa::path(tag = "calls", request_body = IncomingCall, responses((status = 201, body = IncomingCallLogged), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[post("/calls/incoming")]
async fn incoming(state: web::Data<AppState>, auth: Auth, body: Valid<IncomingCall>) -> ApiResult<HttpResponse> {
    let company = auth.company.id;
    let called = match (body.user_id, &body.extension, &body.email) {
        (Some(u), _, _) => state.store.user(company, UserId(u)).await.ok().filter(|u| u.active),
        (None, e, m) if e.is_some() || m.is_some() => state
            .store
            .user_by_extension_or_email(company, e.as_deref(), m.as_deref())
            .await
            .ok(),
        _ => {
            return Err(ApiError::invalid(
                "required",
                "user_id",
                "name the called user by user_id, extension or email",
            ));
        }
    }
    .ok_or_else(|| ApiError::invalid("unknown_user", "user_id", "no active user of this company answers to that"))?;
    let may = auth.user.permissions.admin || auth.user.role == crm_domain::org::Role::Receptionist || auth.user.id == called.id;
    if !may {
        return Err(ApiError::Forbidden(
            "incoming calls are reported with the key of an administrator, a receptionist or the called user",
        ));
    }
    let query = LookupQuery::parse(&body.from, auth.company.country)
        .filter(|q| matches!(q, LookupQuery::Phone { .. }))
        .ok_or_else(|| ApiError::invalid("invalid_phone", "from", "the caller's number is not a phone number"))?;
    let call = state.store.log_incoming_call(&called, &query, &body.from).await?;
    state.events.publish(&call);
    Ok(HttpResponse::Created().json(IncomingCallLogged {
        id: call.id,
        user_id: call.user_id.0,
        phone: call.phone,
        contact_ids: call.contact_ids.into_iter().map(|c| c.0).collect(),
    }))
}

/// A ticket (valid one minute) that opens the caller's event stream.
#[utoipa::path(tag = "calls", responses((status = 200, body = EventTicket)), security(("bearer" = [])))]
#[post("/me/events/ticket")]
async fn ticket(state: web::Data<AppState>, auth: Auth) -> ApiResult<web::Json<EventTicket>> {
    Ok(web::Json(EventTicket {
        ticket: state.tokens.issue_ticket(&auth.user)?,
        expires_in: TICKET_SECONDS as u64,
    }))
}

/// The ticket of an event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// From `POST /api/v1/me/events/ticket`.
    ticket: String,
}

impl Check for StreamParams {
    fn check(&self, c: &mut Checker) {
        c.text("ticket", &self.ticket, crm_domain::limits::TOKEN * 3);
    }
}

/// The caller's live events as server-sent events (`text/event-stream`): `event: call` with an
/// [`IncomingCallEvent`](crm_types::IncomingCallEvent) as data when a call comes in for them; a
/// comment every 20 seconds keeps the connection open. Open it with a ticket.
#[utoipa::path(tag = "calls", params(StreamParams), responses((status = 200, content_type = "text/event-stream", description = "The stream"), (status = 401, body = ErrorBody)))]
#[get("/me/events")]
async fn stream(state: web::Data<AppState>, params: ValidQuery<StreamParams>) -> ApiResult<HttpResponse> {
    let invalid = || ApiError::Unauthorized("invalid_ticket", "the ticket is invalid or expired; ask for a new one");
    let (company, user, issued) = state.tokens.check_ticket(&params.ticket).ok_or_else(invalid)?;
    let user = state.store.user(company.into(), user.into()).await.map_err(|_| invalid())?;
    if !user.active || user.tokens_valid_after.is_some_and(|after| issued < after.timestamp_millis()) {
        return Err(invalid());
    }
    let rx = state.events.subscribe(user.company_id, user.id)?;
    let keep_alive = tokio::time::interval_at(
        tokio::time::Instant::now() + std::time::Duration::from_secs(20),
        std::time::Duration::from_secs(20),
    );
    let body = futures::stream::unfold((rx, keep_alive, true), |(mut rx, mut keep_alive, first)| async move {
        if first {
            return Some((
                Ok::<_, actix_web::Error>(web::Bytes::from_static(b"retry: 3000\n: open\n\n")),
                (rx, keep_alive, false),
            ));
        }
        tokio::select! {
            event = rx.recv() => {
                let event = event?;
                let data = serde_json::to_string(&event).ok()?;
                Some((Ok(web::Bytes::from(format!("event: call\ndata: {data}\n\n"))), (rx, keep_alive, false)))
            }
            _ = keep_alive.tick() => Some((Ok(web::Bytes::from_static(b": ping\n\n")), (rx, keep_alive, false))),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header(ContentEncoding::Identity)
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// Set or clear the extension a telephone system knows a user by (administrators).
#[utoipa::path(tag = "admin", params(("id" = Uuid, Path)), request_body = UserExtension, responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = []), ("api_key" = [])))]
#[put("/users/{id}/extension")]
async fn set_extension(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: Valid<UserExtension>,
) -> ApiResult<web::Json<User>> {
    auth.require_admin()?;
    let user = state
        .store
        .set_extension(auth.company.id, UserId(*id), body.extension.as_deref())
        .await?;
    let dir = state.store.directory(auth.company.id).await?;
    Ok(web::Json(views::user(&user, &dir)))
}
