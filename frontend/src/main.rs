//! The CRM's single-page app: contacts, the caller lookup, tasks and administration.

mod api;
mod i18n;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::i18n::t;

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
                <Routes fallback=|| view! { <p>"Not found"</p> }>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/") view=pages::contacts::ContactsPage/>
                    <Route path=path!("/contacts/new") view=pages::contact_form::NewContactPage/>
                    <Route path=path!("/contacts/:id") view=pages::contact::ContactPage/>
                    <Route path=path!("/contacts/:id/edit") view=pages::contact_form::EditContactPage/>
                    <Route path=path!("/lookup") view=pages::lookup::LookupPage/>
                    <Route path=path!("/tasks") view=pages::tasks::TasksPage/>
                    <Route path=path!("/admin") view=pages::admin::AdminPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let session = api::session();
    view! {
        <Show when=move || session.me.get().is_some()>
            <nav class="top">
                <span class="brand">{move || t("app.name")}</span>
                <A href="/">{move || t("nav.contacts")}</A>
                <A href="/lookup">{move || t("nav.lookup")}</A>
                <A href="/tasks">{move || t("nav.tasks")}</A>
                <Show when=move || session.me.get().is_some_and(|m| m.permissions.admin)>
                    <A href="/admin">{move || t("nav.admin")}</A>
                </Show>
                <span class="spacer"></span>
                <span class="who">{move || session.me.get().map(|m| format!("{} · {}", m.name, m.office_name)).unwrap_or_default()}</span>
                <button class="link" on:click=move |_| api::sign_out()>{move || t("nav.signout")}</button>
            </nav>
        </Show>
    }
}
