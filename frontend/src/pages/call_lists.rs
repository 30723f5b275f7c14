//! Call lists (create, fill from a selection, work one contact after another beside the
//! instructions) and the report of calling per caller and per list, as bar charts.

use crm_types::{CallList, CallListWrite, CallReport, CallSettings, ContactSelection, FillResult, Group, NextCall, User};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::{self, enc};
use crate::i18n::{number, t, tf};
use crate::pages::calls::CallPanel;
use crate::pages::contacts::phone_link;
use crate::pages::login::RequireSession;

/// A bar of `value` out of `max`, as wide as its share.
fn bar(value: u64, max: u64, class: &'static str) -> impl IntoView + use<> {
    let pct = if max == 0 { 0.0 } else { value as f64 * 100.0 / max as f64 };
    view! {
        <span class="bar-track"><span class=format!("bar {class}") style=format!("width: {pct:.1}%")></span></span>
        <span class="bar-value">{number(value as f64)}</span>
    }
}

fn progress_view(p: &crm_types::ListProgress) -> impl IntoView + use<> {
    let p = p.clone();
    view! {
        <div class="progress">
            <div class="row"><span class="progress-label">{t("lists.done")}</span>{bar(p.done, p.total, "done")}" / "{number(p.total as f64)}</div>
            <div class="row"><span class="progress-label">{t("lists.reached")}</span>{bar(p.reached, p.total, "reached")}</div>
            <div class="row"><span class="progress-label">{t("lists.not_reached")}</span>{bar(p.not_reached, p.total, "not-reached")}</div>
        </div>
    }
}

/// The fields of a selection of contacts.
#[component]
pub fn SelectionFields(selection: RwSignal<ContactSelection>, prefix: &'static str) -> impl IntoView {
    let settings = LocalResource::new(|| async { api::get::<CallSettings>("/api/v1/company/call-settings").await.ok() });
    view! {
        <div class="row selection">
            <label>{move || t("lists.q")}
                <input id=format!("{prefix}-q") maxlength="200" prop:value=move || selection.get().q.unwrap_or_default()
                    on:input=move |ev| selection.update(|s| s.q = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))/>
            </label>
            <label>{move || t("contacts.kind")}
                <select id=format!("{prefix}-kind") on:change=move |ev| selection.update(|s| s.kind = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))>
                    <option value="">"—"</option>
                    {["standard", "verified", "draft", "agency"].map(|k| view! { <option value=k>{move || t(&format!("kind.{k}"))}</option> })}
                </select>
            </label>
            <label>{move || t("lists.stage")}
                <select id=format!("{prefix}-stage") on:change=move |ev| selection.update(|s| s.stage = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))>
                    <option value="">"—"</option>
                    {move || settings.get().flatten().map(|s| s.stages.into_iter().map(|l| view! { <option value=l.code.clone()>{l.label.clone()}</option> }).collect_view())}
                </select>
            </label>
            <label>{move || t("lists.tag")}
                <select id=format!("{prefix}-tag") on:change=move |ev| selection.update(|s| s.tag = Some(event_target_value(&ev)).filter(|v| !v.is_empty()))>
                    <option value="">"—"</option>
                    {move || settings.get().flatten().map(|s| s.tags.into_iter().map(|l| view! { <option value=l.code.clone()>{l.label.clone()}</option> }).collect_view())}
                </select>
            </label>
        </div>
    }
}

#[component]
pub fn CallListsPage() -> impl IntoView {
    view! { <RequireSession><CallLists/></RequireSession> }
}

#[component]
fn CallLists() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let lists = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<CallList>>("/api/v1/call-lists")
    });
    let users = LocalResource::new(|| async { api::get::<Vec<User>>("/api/v1/users").await.unwrap_or_default() });
    let groups = LocalResource::new(|| async { api::get::<Vec<Group>>("/api/v1/groups").await.unwrap_or_default() });
    let name = RwSignal::new(String::new());
    let instructions = RwSignal::new(String::new());
    let worker = RwSignal::new(String::new());
    let nightly = RwSignal::new(false);
    let selection = RwSignal::new(ContactSelection::default());
    let error = RwSignal::new(None::<String>);
    let filled = RwSignal::new(None);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let w = worker.get_untracked();
        let (kind, id) = w.split_once(':').unwrap_or(("", ""));
        let id = Uuid::parse_str(id).ok();
        let body = CallListWrite {
            name: name.get_untracked(),
            instructions: instructions.get_untracked(),
            user_id: id.filter(|_| kind == "user"),
            group_id: id.filter(|_| kind == "group"),
            nightly: nightly.get_untracked().then(|| selection.get_untracked()),
            archived: false,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, CallList>("/api/v1/call-lists", &body).await {
                Ok(_) => {
                    name.set(String::new());
                    instructions.set(String::new());
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(format!(
                    "{}{}",
                    e.error.field.map(|f| format!("{f}: ")).unwrap_or_default(),
                    e.error.message
                ))),
            }
        });
    };
    view! {
        <section class="card">
            <h1>{move || t("lists.title")}</h1>
            {move || match lists.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(v)) if v.is_empty() => view! { <p class="muted" id="lists-none">{t("lists.none")}</p> }.into_any(),
                Some(Ok(v)) => view! {
                    <ul class="call-lists" id="call-lists">{v.into_iter().map(|l| view! { <ListItem list=l filled=filled on_done=move || reload.update(|n| *n += 1)/> }).collect_view()}</ul>
                }.into_any(),
            }}
        </section>
        <section class="card">
            <h2>{move || t("lists.new")}</h2>
            <form on:submit=create>
                <label>{move || t("lists.name")}<input id="list-name" required maxlength="200" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                <label>{move || t("lists.instructions")}
                    <textarea id="list-instructions" rows="6" maxlength="20000" placeholder=move || t("lists.instructions_hint") prop:value=instructions on:input=move |ev| instructions.set(event_target_value(&ev))></textarea>
                </label>
                <label>{move || t("lists.worked_by")}
                    <select id="list-worker" on:change=move |ev| worker.set(event_target_value(&ev))>
                        <option value="">{move || t("lists.me")}</option>
                        {move || groups.get().unwrap_or_default().into_iter().map(|g| view! { <option value=format!("group:{}", g.id)>{format!("{} ({})", g.name, t("lists.group"))}</option> }).collect_view()}
                        {move || users.get().unwrap_or_default().into_iter().filter(|u| u.active && u.permissions.work_with_clients).map(|u| view! { <option value=format!("user:{}", u.id)>{u.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="check"><input type="checkbox" id="list-nightly" prop:checked=nightly on:change=move |ev| nightly.set(event_target_checked(&ev))/>{move || t("lists.nightly")}</label>
                <Show when=move || nightly.get()>
                    <SelectionFields selection=selection prefix="nightly"/>
                </Show>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button type="submit" class="primary" id="create-list">{move || t("lists.create")}</button>
            </form>
        </section>
    }
}

#[component]
fn ListItem(
    list: CallList,
    /// What the last fill did, per list (kept by the page: the list redraws after a fill).
    filled: RwSignal<Option<(Uuid, Result<FillResult, String>)>>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = list.id;
    let selection = RwSignal::new(ContactSelection::default());
    let result = Signal::derive(move || filled.get().filter(|(l, _)| *l == id).map(|(_, r)| r));
    let fill = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = selection.get_untracked();
        leptos::task::spawn_local(async move {
            match api::post::<_, FillResult>(&format!("/api/v1/call-lists/{id}/fill"), &body).await {
                Ok(r) => {
                    filled.set(Some((id, Ok(r))));
                    on_done();
                }
                Err(e) => filled.set(Some((id, Err(e.error.message)))),
            }
        });
    };
    view! {
        <li class="call-list">
            <div class="row">
                <strong>{list.name.clone()}</strong>
                {list.nightly.is_some().then(|| view! { <span class="badge">{t("lists.nightly_badge")}</span> })}
                <span class="spacer"></span>
                <A href=format!("/call-lists/{id}/work") attr:class="button primary" attr:id=format!("work-{id}")>{t("lists.start")}</A>
            </div>
            {progress_view(&list.progress)}
            <details class="fill" open=move || result.get().is_some()>
                <summary>{t("lists.fill")}</summary>
                <form on:submit=fill>
                    <SelectionFields selection=selection prefix="fill"/>
                    <button type="submit" id=format!("fill-{id}")>{move || t("lists.fill_now")}</button>
                    {move || match result.get() {
                        Some(Ok(r)) => view! { <p class="ok fill-result">{tf("lists.filled", &[("added", &r.added.to_string()), ("skipped", &r.skipped.to_string())])}</p> }.into_any(),
                        Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                        None => ().into_any(),
                    }}
                </form>
            </details>
        </li>
    }
}

#[component]
pub fn WorkListPage() -> impl IntoView {
    view! { <RequireSession><WorkList/></RequireSession> }
}

/// Working a list: its instructions beside the contact taken, the call panel, then the next.
#[component]
fn WorkList() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    let turn = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        let id = id();
        turn.get();
        async move {
            match id {
                Some(id) => api::get::<CallList>(&format!("/api/v1/call-lists/{id}")).await.ok(),
                None => None,
            }
        }
    });
    let next = LocalResource::new(move || {
        let id = id();
        turn.get();
        async move {
            match id {
                Some(id) => api::post::<_, NextCall>(&format!("/api/v1/call-lists/{id}/next"), &serde_json::json!({})).await,
                None => Err(api::Failure::network(t("common.not_found"))),
            }
        }
    });
    let advance = move || turn.update(|n| *n += 1);
    view! {
        <div class="work-list">
            <section class="card instructions">
                {move || list.get().flatten().map(|l| view! {
                    <h1 id="list-title">{l.name.clone()}</h1>
                    {progress_view(&l.progress)}
                    <h2>{t("lists.instructions")}</h2>
                    <div class="script" id="list-script">{l.instructions.clone()}</div>
                })}
            </section>
            <section class="card">
                {move || match next.get() {
                    None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                    Some(Ok(NextCall { contact: None, .. })) => view! { <p id="list-empty">{t("lists.empty")}</p> }.into_any(),
                    Some(Ok(NextCall { contact: Some(c), attempts })) => {
                        let list_id = id();
                        view! {
                            <h2 id="next-contact"><A href=format!("/contacts/{}", c.id)>{c.display_name.clone()}</A></h2>
                            <p>{c.phones.iter().cloned().map(phone_link).collect_view()}" "<span class="muted">{c.emails.join(", ")}</span></p>
                            <p class="muted">{tf("lists.attempts", &[("n", &attempts.to_string())])}" · "{tf("lookup.owner", &[("owner", &c.owner_name)])}</p>
                            {match list_id {
                                Some(l) => view! { <CallPanel contact_id=c.id list_id=l on_done=advance/> }.into_any(),
                                None => ().into_any(),
                            }}
                            <button type="button" id="list-next" on:click=move |_| advance()>{t("lists.skip")}</button>
                        }.into_any()
                    }
                }}
            </section>
        </div>
    }
}

#[component]
pub fn CallReportPage() -> impl IntoView {
    view! { <RequireSession><Report/></RequireSession> }
}

#[component]
fn Report() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let report = LocalResource::new(move || {
        let (f, t2) = (from.get(), to.get());
        async move {
            let mut q = Vec::new();
            if !f.is_empty() {
                q.push(format!("from={}", enc(&f)));
            }
            if !t2.is_empty() {
                q.push(format!("to={}", enc(&t2)));
            }
            api::get::<CallReport>(&format!("/api/v1/reports/calls?{}", q.join("&"))).await
        }
    });
    view! {
        <section class="card report">
            <h1>{move || t("report.title")}</h1>
            <div class="row">
                <label>{move || t("report.from")}<input type="date" id="report-from" prop:value=from on:change=move |ev| from.set(event_target_value(&ev))/></label>
                <label>{move || t("report.to")}<input type="date" id="report-to" prop:value=to on:change=move |ev| to.set(event_target_value(&ev))/></label>
            </div>
            {move || match report.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(r)) => {
                    let max = r.callers.iter().map(|c| c.calls).max().unwrap_or(0);
                    view! {
                        <p class="muted">{tf("report.period", &[("from", &r.from), ("to", &r.to)])}</p>
                        <h2>{t("report.callers")}</h2>
                        {r.callers.is_empty().then(|| view! { <p class="muted">{t("report.none")}</p> })}
                        <table class="list chart" id="report-callers">
                            <thead><tr><th>{t("report.caller")}</th><th>{t("report.calls")}</th><th>{t("report.reached")}</th><th>{t("report.meetings")}</th><th>{t("report.outcomes")}</th></tr></thead>
                            <tbody>{r.callers.into_iter().map(|c| {
                                let total = c.calls;
                                view! {
                                    <tr>
                                        <td>{c.name.clone()}</td>
                                        <td>{bar(c.calls, max, "calls")}</td>
                                        <td>{bar(c.reached, max, "reached")}</td>
                                        <td>{bar(c.meetings, max, "meetings")}</td>
                                        <td><ul class="outcome-bars">{c.outcomes.into_iter().map(|o| view! {
                                            <li><span class="outcome-label">{o.label.clone()}</span>{bar(o.count, total, "outcome")}</li>
                                        }).collect_view()}</ul></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                        <h2>{t("report.lists")}</h2>
                        <table class="list chart" id="report-lists">
                            <thead><tr><th>{t("lists.name")}</th><th>{t("report.calls")}</th><th>{t("report.reached")}</th><th>{t("lists.done")}</th></tr></thead>
                            <tbody>{r.lists.into_iter().map(|l| view! {
                                <tr>
                                    <td>{l.name.clone()}</td>
                                    <td>{number(l.calls as f64)}</td>
                                    <td>{bar(l.reached, l.calls, "reached")}</td>
                                    <td>{bar(l.progress.done, l.progress.total, "done")}" / "{number(l.progress.total as f64)}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                }
            }}
        </section>
    }
}
