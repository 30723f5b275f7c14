//! The user's open tasks.

use crm_types::Task;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::i18n::{date_time, t};
use crate::pages::login::RequireSession;

#[component]
pub fn TasksPage() -> impl IntoView {
    view! { <RequireSession><Tasks/></RequireSession> }
}

#[component]
fn Tasks() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let tasks = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<Task>>("/api/v1/tasks?status=open")
    });
    let done = move |id: uuid::Uuid| {
        leptos::task::spawn_local(async move {
            let _ = api::post::<_, ()>(&format!("/api/v1/tasks/{id}/done"), &()).await;
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="card">
            <h1>{move || t("tasks.title")}</h1>
            {move || match tasks.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="muted">{t("tasks.empty")}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="tasks" id="task-list">
                        {list.into_iter().map(|task| {
                            let id = task.id;
                            let overdue = task.due_at.is_some_and(|d| d.timestamp_millis() < js_sys::Date::now() as i64 - 86_400_000);
                            view! {
                                <li class:overdue=overdue>
                                    <strong>{task.title.clone()}</strong>
                                    <span class="muted">{task.due_at.map(|d| date_time(&d)).unwrap_or_default()}</span>
                                    {task.body.clone().map(|b| view! { <p>{b}</p> })}
                                    {task.contact_id.map(|c| view! { <A href=format!("/contacts/{c}")>{t("tasks.open_contact")}</A> })}
                                    <button on:click=move |_| done(id)>{t("tasks.done")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}
