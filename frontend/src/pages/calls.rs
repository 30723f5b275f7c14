//! Calling: the call-outcome pipeline on a contact's card (outcome buttons, tags, co-brokerage
//! deals), the deals waiting for the head of sales, the company's call settings, and the live
//! event stream that opens the caller's card when a call comes in.

use crm_types::{
    CallCard, CallSettings, CallTag, CallWrite, CoDeal, ContactTags, DealDecision, EventTicket, IncomingCallEvent, Label, User,
};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::api::{self, enc};
use crate::i18n::{date_time, t, tf};
use crate::pages::login::RequireSession;

/// The company's call settings, loaded once per page.
fn settings_resource() -> LocalResource<Option<CallSettings>> {
    LocalResource::new(|| async { api::get::<CallSettings>("/api/v1/company/call-settings").await.ok() })
}

fn label_of(list: &[Label], code: &str) -> String {
    list.iter()
        .find(|l| l.code == code)
        .map(|l| l.label.clone())
        .unwrap_or_else(|| code.to_owned())
}

/// Whether the signed-in user is a head of sales (an office manager) or an administrator.
pub fn head_of_sales() -> bool {
    api::session()
        .me
        .get()
        .is_some_and(|m| m.role == "office_manager" || m.permissions.admin)
}

/// The outcomes offered after a call, in the order of the call instructions.
const OUTCOMES: [&str; 9] = [
    "no_answer",
    "working",
    "postponed",
    "not_relevant",
    "not_a_client",
    "rude",
    "colleague",
    "realtor_split",
    "other_realtor",
];

/// The contact's card in the call pipeline: stage, counts, what came of the last calls, and the
/// buttons for how this call ended.
#[component]
pub fn CallPanel(
    contact_id: Uuid,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
    /// Calls are made from this call list.
    #[prop(optional)]
    list_id: Option<Uuid>,
) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let card = LocalResource::new(move || {
        reload.get();
        async move { api::get::<CallCard>(&format!("/api/v1/contacts/{contact_id}/call-card")).await }
    });
    let settings = settings_resource();
    let users = LocalResource::new(|| async { api::get::<Vec<User>>("/api/v1/users").await.unwrap_or_default() });
    let outcome = RwSignal::new(String::new());
    let comment = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let colleague = RwSignal::new(String::new());
    let error = RwSignal::new(None::<api::Failure>);
    let done = move || {
        reload.update(|n| *n += 1);
        api::touch();
        on_done();
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let body = CallWrite {
            outcome: outcome.get_untracked(),
            comment: text(comment.get_untracked()),
            until: text(until.get_untracked()),
            colleague_id: Uuid::parse_str(&colleague.get_untracked()).ok(),
            list_id,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, CallCard>(&format!("/api/v1/contacts/{contact_id}/calls"), &body).await {
                Ok(_) => {
                    error.set(None);
                    outcome.set(String::new());
                    comment.set(String::new());
                    until.set(String::new());
                    done();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let reopen = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<_, CallCard>(&format!("/api/v1/contacts/{contact_id}/call-card/reopen"), &serde_json::json!({})).await {
                Ok(_) => done(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let field_error = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.for_field(field))
                .map(|m| view! { <span class="field-error">{m}</span> })
        }
    };
    view! {
        <div class="card calls" id="call-panel">
            <h2>{move || t("calls.title")}</h2>
            {move || match (card.get(), settings.get().flatten()) {
                (Some(Ok(c)), Some(s)) => {
                    let stage_class = format!("badge stage stage-{}", c.stage);
                    let reason = c.reason_label.clone().map(|r| view! { " · "<span id="call-reason">{r}</span> });
                    let counts = tf("calls.counts", &[("calls", &c.calls.to_string()), ("unanswered", &c.unanswered.to_string()), ("max", &c.max_unanswered.to_string())]);
                    let closed = c.stage == "non_target";
                    let today_done = !c.may_call_today && !closed;
                    let history = c.history.clone();
                    let outcomes = s.outcomes.clone();
                    let tags = s.tags.clone();
                    let current_tags = c.tags.clone();
                    let deals = c.deals.clone();
                    view! {
                        <p class="row">
                            <span class=stage_class id="call-stage">{c.stage_label.clone()}</span>{reason}
                            <span class="muted" id="call-counts">{counts}</span>
                            {c.until.clone().map(|u| view! { <span class="muted">{tf("calls.until", &[("date", &u)])}</span> })}
                        </p>
                        {today_done.then(|| view! { <p class="muted" id="called-today">{t("calls.called_today")}</p> })}
                        {closed.then(|| view! {
                            <p class="muted">{t("calls.closed")}
                                <Show when=head_of_sales>
                                    " "<button type="button" id="call-reopen" on:click=reopen>{t("calls.reopen")}</button>
                                </Show>
                            </p>
                        })}
                        {c.may_call_today.then(|| view! {
                            <form class="call-form" on:submit=submit>
                                <div class="outcomes" role="radiogroup">
                                    {OUTCOMES.iter().map(|code| {
                                        let code = (*code).to_owned();
                                        let label = label_of(&outcomes, &code);
                                        let id = format!("outcome-{code}");
                                        let value = code.clone();
                                        view! {
                                            <label class="check outcome">
                                                <input type="radio" name="outcome" id=id prop:checked=move || outcome.get() == code on:change=move |_| outcome.set(value.clone())/>
                                                {label}
                                            </label>
                                        }
                                    }).collect_view()}
                                </div>
                                {field_error("outcome")}
                                <Show when=move || outcome.get() == "postponed">
                                    <label>{move || t("calls.until_label")}
                                        <input type="date" id="call-until" prop:value=until on:input=move |ev| until.set(event_target_value(&ev))/>
                                        {field_error("until")}
                                    </label>
                                </Show>
                                <Show when=move || outcome.get() == "colleague">
                                    <label>{move || t("calls.colleague")}
                                        <select id="call-colleague" on:change=move |ev| colleague.set(event_target_value(&ev))>
                                            <option value="">"—"</option>
                                            {move || users.get().unwrap_or_default().into_iter()
                                                .filter(|u| u.active && u.permissions.work_with_clients && api::session().me.get().is_none_or(|m| m.id != u.id))
                                                .map(|u| view! { <option value=u.id.to_string()>{u.name.clone()}</option> })
                                                .collect_view()}
                                        </select>
                                        {field_error("colleague_id")}
                                    </label>
                                </Show>
                                <label>{move || t("calls.comment")}
                                    <textarea id="call-comment" maxlength="2000" prop:value=comment on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                                    {field_error("comment")}
                                </label>
                                {move || error.get().filter(|e| e.error.field.is_none() || e.error.field.as_deref() == Some("first_name")).map(|e| view! { <p class="error" id="call-error">{e.error.message}</p> })}
                                <button type="submit" class="primary" id="call-save" disabled=move || outcome.get().is_empty()>{move || t("calls.save")}</button>
                            </form>
                        })}
                        <Tags contact_id=contact_id all=tags current=current_tags on_done=done/>
                        {(!deals.is_empty()).then(|| view! {
                            <h3>{t("deals.title")}</h3>
                            <ul class="deals">{deals.into_iter().map(|d| view! { <DealRow deal=d on_done=done/> }).collect_view()}</ul>
                        })}
                        {(!history.is_empty()).then(|| view! {
                            <details><summary>{t("calls.history")}</summary>
                            <ul class="timeline" id="call-history">{history.into_iter().map(|h| {
                                let what = match (h.direction.as_str(), h.outcome.as_deref()) {
                                    ("in", _) => tf("calls.incoming_from", &[("phone", &h.phone.clone().unwrap_or_default())]),
                                    (_, Some(o)) => label_of(&outcomes, o),
                                    _ => String::new(),
                                };
                                view! {
                                    <li class="entry">
                                        <div class="meta">{date_time(&h.at)}" · "{h.user_name.clone()}</div>
                                        <div class="body">{what}{h.comment.clone().map(|c| format!(" — {c}"))}</div>
                                    </li>
                                }
                            }).collect_view()}</ul></details>
                        })}
                    }.into_any()
                }
                (Some(Err(e)), _) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                _ => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
            }}
        </div>
    }
}

/// The contact's tags as check boxes; tags only the head of sales sets are locked for others.
#[component]
fn Tags(contact_id: Uuid, all: Vec<CallTag>, current: Vec<String>, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let chosen = RwSignal::new(current);
    let error = RwSignal::new(None::<String>);
    let toggle = move |code: String, on: bool| {
        let mut tags = chosen.get_untracked();
        tags.retain(|t| *t != code);
        if on {
            tags.push(code);
        }
        leptos::task::spawn_local(async move {
            match api::put::<_, ContactTags>(&format!("/api/v1/contacts/{contact_id}/tags"), &ContactTags { tags }).await {
                Ok(saved) => {
                    chosen.set(saved.tags);
                    error.set(None);
                    on_done();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let manager = head_of_sales();
    view! {
        <div class="tags" id="contact-tags">
            {all.into_iter().map(|tag| {
                let code = tag.code.clone();
                let checked_code = tag.code.clone();
                let locked = tag.manager_only && !manager;
                let id = format!("tag-{}", tag.code);
                view! {
                    <label class="check tag" title=move || if tag.manager_only { t("calls.tag_manager_only") } else { String::new() }>
                        <input type="checkbox" id=id disabled=locked
                            prop:checked=move || chosen.get().contains(&checked_code)
                            on:change=move |ev| toggle(code.clone(), event_target_checked(&ev))/>
                        {tag.label.clone()}{tag.manager_only.then(|| view! { <span class="muted">" *"</span> })}
                    </label>
                }
            }).collect_view()}
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </div>
    }
}

/// One co-brokerage deal, with the head of sales' buttons while it is proposed.
#[component]
fn DealRow(deal: CoDeal, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let id = deal.id;
    let decide = move |approve: bool| {
        leptos::task::spawn_local(async move {
            match api::post::<_, CoDeal>(&format!("/api/v1/co-deals/{id}/decision"), &DealDecision { approve, note: None }).await {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let split = tf(
        "deals.split",
        &[
            ("partner", &deal.partner_percent.to_string()),
            ("ours", &deal.our_percent.to_string()),
        ],
    );
    let proposed = deal.status == "proposed";
    view! {
        <li class="deal" id=format!("deal-{}", deal.id)>
            <A href=format!("/contacts/{}", deal.contact_id)>{deal.contact_name.clone()}</A>
            " · "{split}" · "<span class=format!("badge deal-{}", deal.status)>{t(&format!("deals.status.{}", deal.status))}</span>
            " "<span class="muted">{date_time(&deal.proposed_at)}</span>
            {deal.note.clone().map(|n| view! { <div class="muted">{n}</div> })}
            {(proposed && head_of_sales()).then(|| view! {
                " "<button type="button" class="primary deal-approve" on:click=move |_| decide(true)>{t("deals.approve")}</button>
                " "<button type="button" class="deal-reject" on:click=move |_| decide(false)>{t("deals.reject")}</button>
            })}
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </li>
    }
}

#[component]
pub fn DealsPage() -> impl IntoView {
    view! { <RequireSession><Deals/></RequireSession> }
}

#[component]
fn Deals() -> impl IntoView {
    let status = RwSignal::new("proposed".to_owned());
    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        let s = status.get();
        reload.get();
        async move {
            let q = if s.is_empty() {
                String::new()
            } else {
                format!("?status={}", enc(&s))
            };
            api::get::<Vec<CoDeal>>(&format!("/api/v1/co-deals{q}")).await
        }
    });
    view! {
        <section class="card">
            <h1>{move || t("deals.title")}</h1>
            <p class="hint">{move || t("deals.hint")}</p>
            <div class="row tabs">
                {["proposed", "approved", "rejected", ""].into_iter().map(|s| {
                    let label = if s.is_empty() { "deals.all".to_owned() } else { format!("deals.status.{s}") };
                    view! { <button type="button" class:active=move || status.get() == s on:click=move |_| status.set(s.to_owned())>{move || t(&label)}</button> }
                }).collect_view()}
            </div>
            {move || match list.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(v)) if v.is_empty() => view! { <p class="muted" id="deals-none">{t("deals.none")}</p> }.into_any(),
                Some(Ok(v)) => view! {
                    <ul class="deals" id="deals">{v.into_iter().map(|d| view! { <DealRow deal=d on_done=move || reload.update(|n| *n += 1)/> }).collect_view()}</ul>
                }.into_any(),
            }}
        </section>
    }
}

/// The company's words for the pipeline, its tags and the partner agency's share
/// (administrators).
#[component]
pub fn CallSettingsForm() -> impl IntoView {
    let loaded = settings_resource();
    let draft = RwSignal::new(None::<CallSettings>);
    Effect::new(move |_| {
        if let Some(Some(s)) = loaded.get()
            && draft.get_untracked().is_none()
        {
            draft.set(Some(s));
        }
    });
    let status = RwSignal::new(None::<Result<(), api::Failure>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(body) = draft.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            match api::put::<_, CallSettings>("/api/v1/company/call-settings", &body).await {
                Ok(s) => {
                    draft.set(Some(s));
                    status.set(Some(Ok(())));
                }
                Err(e) => status.set(Some(Err(e))),
            }
        });
    };
    let edit_label = move |list: fn(&mut CallSettings) -> &mut Vec<Label>, i: usize, value: String| {
        draft.update(|d| {
            if let Some(l) = d.as_mut().and_then(|d| list(d).get_mut(i)) {
                l.label = value;
            }
        })
    };
    let labels = move |list: fn(&mut CallSettings) -> &mut Vec<Label>, prefix: &'static str| {
        move || {
            let mut d = draft.get().unwrap_or_else(empty_settings);
            list(&mut d)
                .clone()
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    let id = format!("{prefix}-{}", l.code);
                    view! {
                        <label>{l.code.clone()}
                            <input id=id maxlength="60" prop:value=l.label.clone() on:input=move |ev| edit_label(list, i, event_target_value(&ev))/>
                        </label>
                    }
                })
                .collect_view()
        }
    };
    let add_tag = move |_| {
        draft.update(|d| {
            if let Some(d) = d.as_mut() {
                d.tags.push(CallTag {
                    code: String::new(),
                    label: String::new(),
                    manager_only: false,
                    keeps_owner: false,
                    weekly_nurture: false,
                })
            }
        })
    };
    let set_tag = move |i: usize, f: Box<dyn Fn(&mut CallTag)>| {
        draft.update(|d| {
            if let Some(t) = d.as_mut().and_then(|d| d.tags.get_mut(i)) {
                f(t)
            }
        })
    };
    view! {
        <section class="card" id="call-settings">
            <h2>{move || t("calls.settings")}</h2>
            <form on:submit=save>
                <h3>{move || t("calls.settings.stages")}</h3>
                <div class="grid">{labels(|d| &mut d.stages, "stage")}</div>
                <h3>{move || t("calls.settings.reasons")}</h3>
                <div class="grid">{labels(|d| &mut d.reasons, "reason")}</div>
                <h3>{move || t("calls.settings.tags")}</h3>
                <table class="list">
                    <thead><tr><th>{move || t("calls.settings.code")}</th><th>{move || t("calls.settings.label")}</th><th>{move || t("calls.settings.manager_only")}</th><th>{move || t("calls.settings.keeps_owner")}</th><th>{move || t("calls.settings.weekly")}</th></tr></thead>
                    <tbody>
                        {move || draft.get().map(|d| d.tags).unwrap_or_default().into_iter().enumerate().map(|(i, tag)| view! {
                            <tr>
                                <td><input maxlength="40" prop:value=tag.code.clone() on:input=move |ev| { let v = event_target_value(&ev); set_tag(i, Box::new(move |t| t.code = v.clone())) }/></td>
                                <td><input maxlength="60" prop:value=tag.label.clone() on:input=move |ev| { let v = event_target_value(&ev); set_tag(i, Box::new(move |t| t.label = v.clone())) }/></td>
                                <td><input type="checkbox" prop:checked=tag.manager_only on:change=move |ev| { let v = event_target_checked(&ev); set_tag(i, Box::new(move |t| t.manager_only = v)) }/></td>
                                <td><input type="checkbox" prop:checked=tag.keeps_owner on:change=move |ev| { let v = event_target_checked(&ev); set_tag(i, Box::new(move |t| t.keeps_owner = v)) }/></td>
                                <td><input type="checkbox" prop:checked=tag.weekly_nurture on:change=move |ev| { let v = event_target_checked(&ev); set_tag(i, Box::new(move |t| t.weekly_nurture = v)) }/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <button type="button" id="add-tag" on:click=add_tag>{move || t("calls.settings.add_tag")}</button>
                <label>{move || t("calls.settings.partner_percent")}
                    <input type="number" id="partner-percent" min="0" max="100"
                        prop:value=move || draft.get().map(|d| d.partner_percent.to_string()).unwrap_or_default()
                        on:input=move |ev| { let v = event_target_value(&ev).parse::<u8>().unwrap_or(0); draft.update(|d| if let Some(d) = d.as_mut() { d.partner_percent = v }) }/>
                </label>
                {move || match status.get() {
                    Some(Ok(())) => view! { <p class="ok" id="call-settings-saved">{t("settings.saved")}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error">{e.error.field.map(|f| format!("{f}: ")).unwrap_or_default()}{e.error.message}</p> }.into_any(),
                    None => ().into_any(),
                }}
                <button type="submit" class="primary" id="save-call-settings">{move || t("common.save")}</button>
            </form>
        </section>
    }
}

fn empty_settings() -> CallSettings {
    CallSettings {
        stages: Vec::new(),
        reasons: Vec::new(),
        tags: Vec::new(),
        partner_percent: 0,
        outcomes: Vec::new(),
    }
}

/// Listens for calls coming in for the signed-in user and opens the caller lookup for the
/// number at once, with a banner. Reconnects with a fresh ticket when the stream drops.
#[component]
pub fn IncomingCalls() -> impl IntoView {
    let session = api::session();
    let ringing = RwSignal::new(None::<IncomingCallEvent>);
    let goto = api::use_goto();
    // The open stream, closed when the user signs out or the app goes away.
    let current: StoredValue<Option<web_sys::EventSource>, LocalStorage> = StoredValue::new_local(None);
    let generation = StoredValue::new(0u32);
    let connect = move || {
        let my_generation = generation.get_value() + 1;
        generation.set_value(my_generation);
        leptos::task::spawn_local(async move {
            loop {
                if session.me.get_untracked().is_none() || generation.get_value() != my_generation {
                    return;
                }
                let Ok(ticket) = api::post::<_, EventTicket>("/api/v1/me/events/ticket", &serde_json::json!({})).await else {
                    api::sleep(10_000).await;
                    continue;
                };
                let Ok(source) = web_sys::EventSource::new(&format!("/api/v1/me/events?ticket={}", enc(&ticket.ticket))) else {
                    return;
                };
                let on_call = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                    if let Some(data) = ev.data().as_string()
                        && let Ok(call) = serde_json::from_str::<IncomingCallEvent>(&data)
                    {
                        goto.set(Some(format!("/lookup?q={}&call=1", enc(&call.phone))));
                        ringing.set(Some(call));
                    }
                });
                let _ = source.add_event_listener_with_callback("call", on_call.as_ref().unchecked_ref());
                on_call.forget();
                // A dropped stream (server restart, network) is opened again with a new ticket.
                let (tx, rx) = futures::channel::oneshot::channel::<()>();
                let tx = std::cell::RefCell::new(Some(tx));
                let on_error = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                    if let Some(tx) = tx.borrow_mut().take() {
                        let _ = tx.send(());
                    }
                });
                source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
                on_error.forget();
                current.set_value(Some(source.clone()));
                let _ = rx.await;
                source.close();
                api::sleep(3_000).await;
            }
        });
    };
    Effect::new(move |_| {
        let signed_in = session.me.with(|m| m.as_ref().map(|m| m.id));
        if let Some(s) = current.get_value() {
            s.close();
        }
        current.set_value(None);
        if signed_in.is_some() {
            connect();
        } else {
            generation.set_value(generation.get_value() + 1);
        }
    });
    on_cleanup(move || {
        if let Some(s) = current.get_value() {
            s.close();
        }
    });
    // The banner goes once the user leaves the caller's lookup.
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        if location.pathname.get() != "/lookup" {
            ringing.set(None);
        }
    });
    view! {
        {move || ringing.get().map(|call| view! {
            <div class="ringing" id="incoming-call" role="alert">
                "📞 "{tf("calls.incoming", &[("phone", &call.phone)])}" "<span class="muted">{date_time(&call.at)}</span>
                " "<a class="tel" href=format!("tel:{}", call.phone)>{call.phone.clone()}</a>
                <button type="button" class="link" on:click=move |_| ringing.set(None)>"✕"</button>
            </div>
        })}
    }
}
