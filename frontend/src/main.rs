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
                </Routes>
            </main>
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
                <A href="/import">{move || t("nav.import")}</A>
                <A href="/areas">{move || t("nav.areas")}</A>
                <Show when=move || session.me.get().is_some_and(|m| m.permissions.admin)>
                    <A href="/admin">{move || t("nav.admin")}</A>
                    <A href="/lead-sources">{move || t("nav.sources")}</A>
                </Show>
                <span class="spacer"></span>
                <A href="/settings" attr:class="who" attr:id="who">
                    {move || session.me.get().map(|m| format!("{} · {}", m.name, m.office_name)).unwrap_or_default()}
                </A>
                <button class="link" id="sign-out" on:click=move |_| api::sign_out()>{move || t("nav.signout")}</button>
            </nav>
        </Show>
    }
}
