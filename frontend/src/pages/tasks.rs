//! The start page: the user's one task list — tips and leads waiting for them, callbacks,
//! follow-ups, hand-overs, finished imports, unsubscribes — with due and overdue, counts and
//! filters, and the callbacks waiting in the office's shark tank.

use crm_types::{Slice, Task, TaskCounts};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{date, date_time, now, number, t};
use crate::pages::login::RequireSession;

const KINDS: [&str; 11] = [
    "tip",
    "lead",
    "callback",
    "call_again",
    "contact_on",
    "colleague_try",
    "nurture",
    "follow_up",
    "handover",
    "unsubscribe",
    "import",
];

#[component]
pub fn TasksPage() -> impl IntoView {
    view! { <RequireSession><Tasks/></RequireSession> }
}

#[component]
fn Tasks() -> impl IntoView {
    let status = RwSignal::new("open".to_owned());
    let scope = RwSignal::new("mine".to_owned());
    let kind = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let tasks = RwSignal::new(Vec::<Task>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let counts = LocalResource::new(move || {
        api::session().changed.get();
        async move { api::get::<TaskCounts>("/api/v1/tasks/counts").await.ok() }
    });
    let load = move |cursor: Option<String>| {
        let url = format!(
            "/api/v1/tasks?status={}&scope={}&kind={}&due={}&limit=50{}",
            status.get_untracked(),
            scope.get_untracked(),
            kind.get_untracked(),
            due.get_untracked(),
            cursor.as_deref().map(|c| format!("&cursor={}", enc(c))).unwrap_or_default()
        );
        leptos::task::spawn_local(async move {
            match api::get::<Slice<Task>>(&url).await {
                Ok(page) => {
                    if cursor.is_none() {
                        tasks.set(page.items);
                    } else {
                        tasks.update(|t| t.extend(page.items));
                    }
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
            loaded.set(true);
        });
    };
    Effect::new(move |_| {
        status.get();
        scope.get();
        kind.get();
        due.get();
        api::session().changed.get();
        load(None);
    });
    let act = move |url: String| {
        leptos::task::spawn_local(async move {
            match api::post::<_, serde_json::Value>(&url, &()).await {
                Ok(_) => error.set(None),
                Err(e) => error.set(Some(e.error.message)),
            }
            api::touch();
        });
    };
    let count_of = move |k: &str| {
        counts
            .get()
            .flatten()
            .and_then(|c| c.by_kind.into_iter().find(|x| x.kind == k).map(|x| x.count))
            .unwrap_or(0)
    };
    let chip = move |value: &'static str, label: String, n: u64| {
        view! {
            <button class="chip" class:active=move || kind.get() == value id=format!("kind-{}", if value.is_empty() { "all" } else { value })
                on:click=move |_| kind.set(value.to_owned())>
                {label}" "<span class="count">{number(n as f64)}</span>
            </button>
        }
    };
    view! {
        <section class="card">
            <header class="row">
                <h1>{move || t("tasks.title")}</h1>
                <span class="spacer"></span>
                {move || counts.get().flatten().map(|c| view! {
                    <span class="muted" id="task-summary">
                        {format!("{}: {} · {}: {} · {}: {}", t("tasks.open"), number(c.open as f64), t("tasks.due_today"), number(c.due_today as f64), t("tasks.overdue"), number(c.overdue as f64))}
                    </span>
                })}
            </header>
            <div class="tabs row">
                <button id="scope-mine" class:active=move || scope.get() == "mine" on:click=move |_| scope.set("mine".into())>{move || t("tasks.mine")}</button>
                <button id="scope-tank" class:active=move || scope.get() == "tank" on:click=move |_| scope.set("tank".into())>
                    {move || t("tasks.tank")}" "
                    {move || counts.get().flatten().filter(|c| c.tank > 0).map(|c| view! { <span class="count">{number(c.tank as f64)}</span> })}
                </button>
            </div>
            <Show when=move || scope.get() == "mine">
                <div class="filters row">
                    {move || chip("", t("common.all"), counts.get().flatten().map(|c| c.open).unwrap_or(0))}
                    {move || KINDS.into_iter().filter(|k| count_of(k) > 0 || kind.get() == *k).map(|k| chip(k, t(&format!("task.kind.{k}")), count_of(k))).collect_view()}
                    <span class="spacer"></span>
                    <select id="task-due" on:change=move |ev| due.set(event_target_value(&ev))>
                        <option value="">{move || t("tasks.any_time")}</option>
                        <option value="today">{move || t("tasks.due_today")}</option>
                        <option value="overdue">{move || t("tasks.overdue")}</option>
                    </select>
                    <select id="task-status" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="open">{move || t("tasks.open")}</option>
                        <option value="done">{move || t("tasks.done_list")}</option>
                    </select>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {move || {
                let list = tasks.get();
                if !loaded.get() {
                    view! { <p class="muted">{t("common.loading")}</p> }.into_any()
                } else if list.is_empty() {
                    view! { <p class="muted" id="tasks-empty">{t("tasks.empty")}</p> }.into_any()
                } else {
                    let at = now();
                    let in_tank = scope.get() == "tank";
                    view! {
                        <ul class="tasks" id="task-list">
                            {list.into_iter().map(|task| {
                                let id = task.id;
                                let open = task.done_at.is_none();
                                let overdue = open && task.due_at.is_some_and(|d| d < at);
                                // A day-long task is due when its day ends: show the day.
                                let when = task.due_at.map(|d| if task.timed || task.inbox_item { date_time(&d) } else { date(&(d - chrono::Duration::minutes(1))) }).unwrap_or_default();
                                view! {
                                    <li class:overdue=overdue data-kind=task.kind.clone()>
                                        <span class=format!("badge kind-{}", task.kind)>{t(&format!("task.kind.{}", task.kind))}</span>" "
                                        <strong>{task.title.clone()}</strong>
                                        <span class="muted">{when}</span>
                                        {task.body.clone().map(|b| view! { <p>{b}</p> })}
                                        <div class="row actions">
                                            {task.contact_id.map(|c| view! { <A href=format!("/contacts/{c}")>{t("tasks.open_contact")}</A> })}
                                            {task.property_id.map(|p| view! { <A href=format!("/listings/{p}")>{t("tasks.open_listing")}</A> })}
                                            {task.inbox_item.then(|| view! { <A href="/inbox" attr:class="button">{t("tasks.open_inbox")}</A> })}
                                            {(open && in_tank).then(|| view! { <button class="take" on:click=move |_| act(format!("/api/v1/tasks/{id}/take"))>{t("tasks.take")}</button> })}
                                            {(open && !in_tank && !task.inbox_item).then(|| view! { <button class="done" on:click=move |_| act(format!("/api/v1/tasks/{id}/done"))>{t("tasks.done")}</button> })}
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <Show when=move || next.get().is_some()>
                <button on:click=move |_| load(next.get_untracked())>{move || t("common.more")}</button>
            </Show>
        </section>
    }
}
