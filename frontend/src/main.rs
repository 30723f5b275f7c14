//! The CRM's single-page app: contacts, the caller lookup, listings and demands, tasks, imports,
//! one's settings and administration.

mod api;
mod i18n;
mod pages;

use crm_types::{InboxCounts, TaskCounts};
use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::{number, t};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    api::provide_session();
    view! {
        <Router>
            <Nav/>
            <main>
                <Routes fallback=|| view! { <p>{t("common.not_found")}</p> }>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/") view=pages::tasks::TasksPage/>
                    <Route path=path!("/contacts") view=pages::contacts::ContactsPage/>
                    <Route path=path!("/contacts/new") view=pages::contact_form::NewContactPage/>
                    <Route path=path!("/contacts/:id") view=pages::contact::ContactPage/>
                    <Route path=path!("/contacts/:id/edit") view=pages::contact_form::EditContactPage/>
                    <Route path=path!("/lookup") view=pages::lookup::LookupPage/>
                    <Route path=path!("/listings") view=pages::listings::ListingsPage/>
                    <Route path=path!("/listings/new") view=pages::listings::NewListingPage/>
                    <Route path=path!("/listings/:id") view=pages::listings::ListingPage/>
                    <Route path=path!("/listings/:id/edit") view=pages::listings::EditListingPage/>
                    <Route path=path!("/tasks") view=pages::tasks::TasksPage/>
                    <Route path=path!("/calendar") view=pages::calendar::CalendarPage/>
                    <Route path=path!("/import") view=pages::import::ImportPage/>
                    <Route path=path!("/settings") view=pages::settings::SettingsPage/>
                    <Route path=path!("/admin") view=pages::admin::AdminPage/>
                    <Route path=path!("/areas") view=pages::areas::AreasPage/>
                    <Route path=path!("/inbox") view=pages::inbox::InboxPage/>
                    <Route path=path!("/lead-sources") view=pages::inbox::LeadSourcesPage/>
                    <Route path=path!("/deals") view=pages::calls::DealsPage/>
                    <Route path=path!("/call-lists") view=pages::call_lists::CallListsPage/>
                    <Route path=path!("/call-lists/:id/work") view=pages::call_lists::WorkListPage/>
                    <Route path=path!("/reports/calls") view=pages::call_lists::CallReportPage/>
                    <Route path=path!("/segments") view=pages::segments::SegmentsPage/>
                </Routes>
            </main>
            <pages::calls::IncomingCalls/>
        </Router>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let session = api::session();
    // Open tasks in the navigation; reloaded when something changes them.
    let counts = LocalResource::new(move || {
        session.changed.get();
        let signed_in = session.me.get().is_some();
        async move {
            if signed_in {
                api::get::<TaskCounts>("/api/v1/tasks/counts").await.ok()
            } else {
                None
            }
        }
    });
    // Open leads in one's inbox and one's office's shark tank.
    let inbox = LocalResource::new(move || {
        session.changed.get();
        let signed_in = session.me.get().is_some();
        async move {
            if signed_in {
                api::get::<InboxCounts>("/api/v1/inbox/counts").await.ok()
            } else {
                None
            }
        }
    });
    view! {
        <Show when=move || session.me.get().is_some()>
            <nav class="top">
                <span class="brand">{move || t("app.name")}</span>
                <A href="/" attr:id="nav-start">
                    {move || t("nav.tasks")}
                    {move || counts.get().flatten().filter(|c| c.open > 0).map(|c| {
                        let class = if c.overdue > 0 { "count overdue" } else { "count" };
                        view! { <span class=class id="task-count">{number(c.open as f64)}</span> }
                    })}
                </A>
                <A href="/contacts">{move || t("nav.contacts")}</A>
                <A href="/lookup">{move || t("nav.lookup")}</A>
                <A href="/listings">{move || t("nav.listings")}</A>
                <A href="/inbox">
                    {move || t("nav.inbox")}
                    {move || inbox.get().flatten().filter(|c| c.mine + c.tank > 0).map(|c| {
                        view! { <span class="count" id="inbox-count">{number((c.mine + c.tank) as f64)}</span> }
                    })}
                </A>
                <A href="/calendar">{move || t("nav.calendar")}</A>
                <A href="/segments" attr:id="nav-segments">{move || t("nav.segments")}</A>
                <A href="/call-lists" attr:id="nav-call-lists">{move || t("nav.call_lists")}</A>
                <A href="/reports/calls" attr:id="nav-reports">{move || t("nav.reports")}</A>
                <Show when=pages::calls::head_of_sales>
                    <A href="/deals" attr:id="nav-deals">{move || t("nav.deals")}</A>
                </Show>
                <A href="/import">{move || t("nav.import")}</A>
                <A href="/areas">{move || t("nav.areas")}</A>
                <Show when=move || session.me.get().is_some_and(|m| m.permissions.admin)>
                    <A href="/admin">{move || t("nav.admin")}</A>
                    <A href="/lead-sources">{move || t("nav.sources")}</A>
                </Show>
                <span class="spacer"></span>
                <Bell/>
                <A href="/settings" attr:class="who" attr:id="who">
                    {move || session.me.get().map(|m| format!("{} · {}", m.name, m.office_name)).unwrap_or_default()}
                </A>
                <button class="link" id="sign-out" on:click=move |_| api::sign_out()>{move || t("nav.signout")}</button>
            </nav>
        </Show>
    }
}

/// The bell: unread notifications, and the latest ones in a list that opens under it.
#[component]
fn Bell() -> impl IntoView {
    use crm_types::{Notification, NotificationCounts, NotificationsRead, Slice};
    let session = api::session();
    let open = RwSignal::new(false);
    let unread = LocalResource::new(move || {
        session.changed.get();
        async move {
            api::get::<NotificationCounts>("/api/v1/notifications/counts")
                .await
                .map(|c| c.unread)
                .unwrap_or(0)
        }
    });
    // Looked at again every minute, so notices from colleagues show without reloading.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if session.me.get_untracked().is_some() {
                unread.refetch();
            }
        },
        std::time::Duration::from_secs(60),
    ) {
        on_cleanup(move || handle.clear());
    }
    let items = LocalResource::new(move || {
        let shown = open.get();
        session.changed.get();
        async move {
            if !shown {
                return Vec::new();
            }
            api::get::<Slice<Notification>>("/api/v1/notifications?limit=15")
                .await
                .map(|s| s.items)
                .unwrap_or_default()
        }
    });
    let read_all = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::post::<_, ()>(
                "/api/v1/notifications/read",
                &NotificationsRead {
                    ids: Vec::new(),
                    all: true,
                },
            )
            .await;
            api::touch();
        });
    };
    let follow = move |n: Notification| {
        leptos::task::spawn_local(async move {
            if n.read_at.is_none() {
                let _ = api::post::<_, ()>(
                    "/api/v1/notifications/read",
                    &NotificationsRead {
                        ids: vec![n.id],
                        all: false,
                    },
                )
                .await;
            }
            open.set(false);
            api::touch();
            if let Some(link) = n.link {
                api::go(&link);
            }
        });
    };
    view! {
        <div class="bell">
            <button class="link" id="bell" on:click=move |_| open.update(|o| *o = !*o) title=move || t("notifications.title")>
                "🔔"
                {move || unread.get().filter(|n| *n > 0).map(|n| view! { <span class="count overdue" id="bell-count">{number(n as f64)}</span> })}
            </button>
            <Show when=move || open.get()>
                <div class="bell-list card" id="bell-list">
                    <header class="row">
                        <strong>{move || t("notifications.title")}</strong>
                        <span class="spacer"></span>
                        <button class="link" id="bell-read-all" on:click=read_all>{move || t("notifications.read_all")}</button>
                    </header>
                    {move || {
                        let list = items.get().unwrap_or_default();
                        if list.is_empty() {
                            view! { <p class="muted">{t("notifications.none")}</p> }.into_any()
                        } else {
                            view! {
                                <ul>{list.into_iter().map(|n| {
                                    let unread = n.read_at.is_none();
                                    let when = i18n::date_time(&n.created_at);
                                    let (title, body) = (n.title.clone(), n.body.clone());
                                    view! {
                                        <li class:unread=unread>
                                            <button class="link" on:click=move |_| follow(n.clone())>
                                                <strong>{title}</strong>
                                                {body.map(|b| view! { <span class="muted">" — "{b}</span> })}
                                                <br/><span class="muted">{when}</span>
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}</ul>
                            }.into_any()
                        }
                    }}
                </div>
            </Show>
        </div>
    }
}
