//! The user's tasks: open ones by due time, or done ones; a page at a time.

use crm_types::{Slice, Task};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{date_time, t};
use crate::pages::login::RequireSession;

#[component]
pub fn TasksPage() -> impl IntoView {
    view! { <RequireSession><Tasks/></RequireSession> }
}

#[component]
fn Tasks() -> impl IntoView {
    let status = RwSignal::new("open".to_owned());
    let tasks = RwSignal::new(Vec::<Task>::new());
    let next = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let load = move |cursor: Option<String>| {
        let url = format!(
            "/api/v1/tasks?status={}&limit=50{}",
            status.get_untracked(),
            cursor.as_deref().map(|c| format!("&cursor={}", enc(c))).unwrap_or_default()
        );
        leptos::task::spawn_local(async move {
            if let Ok(page) = api::get::<Slice<Task>>(&url).await {
                if cursor.is_none() {
                    tasks.set(page.items);
                } else {
                    tasks.update(|t| t.extend(page.items));
                }
                next.set(page.next_cursor);
            }
            loaded.set(true);
        });
    };
    Effect::new(move |_| {
        status.get();
        api::session().changed.get();
        load(None);
    });
    let done = move |id: uuid::Uuid| {
        leptos::task::spawn_local(async move {
            let _ = api::post::<_, ()>(&format!("/api/v1/tasks/{id}/done"), &()).await;
            api::touch();
        });
    };
    view! {
        <section class="card">
            <header class="row">
                <h1>{move || t("tasks.title")}</h1>
                <span class="spacer"></span>
                <select id="task-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="open">{move || t("tasks.open")}</option>
                    <option value="done">{move || t("tasks.done_list")}</option>
                </select>
            </header>
            {move || {
                let list = tasks.get();
                if !loaded.get() {
                    view! { <p class="muted">{t("common.loading")}</p> }.into_any()
                } else if list.is_empty() {
                    view! { <p class="muted">{t("tasks.empty")}</p> }.into_any()
                } else {
                    let now = js_sys::Date::now() as i64;
                    view! {
                        <ul class="tasks" id="task-list">
                            {list.into_iter().map(|task| {
                                let id = task.id;
                                let open = task.done_at.is_none();
                                let overdue = open && task.due_at.is_some_and(|d| d.timestamp_millis() < now);
                                view! {
                                    <li class:overdue=overdue>
                                        <strong>{task.title.clone()}</strong>
                                        <span class="muted">{task.due_at.map(|d| date_time(&d)).unwrap_or_default()}</span>
                                        {task.body.clone().map(|b| view! { <p>{b}</p> })}
                                        {task.contact_id.map(|c| view! { <A href=format!("/contacts/{c}")>{t("tasks.open_contact")}</A> })}
                                        {open.then(|| view! { <button on:click=move |_| done(id)>{t("tasks.done")}</button> })}
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
