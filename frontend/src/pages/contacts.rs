//! The contact list: filter by text, kind, owner and office; sort; page.

use crm_types::{ContactSummary, Office, Page, User};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{date, number, t, tf};
use crate::pages::login::RequireSession;

const PAGE: u64 = 25;

/// A little kind badge.
pub fn kind_badge(kind: &str) -> impl IntoView + use<> {
    let class = format!("badge kind-{kind}");
    let label = t(&format!("kind.{kind}"));
    view! { <span class=class>{label}</span> }
}

#[component]
pub fn ContactsPage() -> impl IntoView {
    view! { <RequireSession><ContactList/></RequireSession> }
}

#[component]
fn ContactList() -> impl IntoView {
    let q = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let office = RwSignal::new(String::new());
    let sort = RwSignal::new("name".to_owned());
    let offset = RwSignal::new(0u64);
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let offices = LocalResource::new(|| api::get::<Vec<Office>>("/api/v1/offices"));
    let page = LocalResource::new(move || {
        let url = format!(
            "/api/v1/contacts?q={}&kind={}&owner_id={}&office_id={}&sort={}&limit={PAGE}&offset={}",
            enc(&q.get()),
            kind.get(),
            owner.get(),
            office.get(),
            sort.get(),
            offset.get()
        );
        async move { api::get::<Page<ContactSummary>>(&url).await }
    });
    // Any filter change starts again at the first page.
    let reset = move || offset.set(0);
    view! {
        <section>
            <header class="row">
                <h1>{move || t("contacts.title")}</h1>
                <span class="spacer"></span>
                <A href="/contacts/new" attr:class="button primary" attr:id="new-contact">{move || t("contacts.new")}</A>
            </header>
            <div class="filters row">
                <input id="contact-search" type="search" placeholder=move || t("contacts.search") prop:value=q
                    on:input=move |ev| { q.set(event_target_value(&ev)); reset(); }/>
                <select id="filter-kind" on:change=move |ev| { kind.set(event_target_value(&ev)); reset(); }>
                    <option value="">{move || format!("{}: {}", t("contacts.kind"), t("common.all"))}</option>
                    {["agency", "verified", "standard", "draft"].map(|k| view! { <option value=k>{move || t(&format!("kind.{k}"))}</option> })}
                </select>
                <select id="filter-owner" on:change=move |ev| { owner.set(event_target_value(&ev)); reset(); }>
                    <option value="">{move || format!("{}: {}", t("contacts.owner"), t("common.all"))}</option>
                    {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}</option> }).collect_view()}
                </select>
                <select id="filter-office" on:change=move |ev| { office.set(event_target_value(&ev)); reset(); }>
                    <option value="">{move || format!("{}: {}", t("contacts.office"), t("common.all"))}</option>
                    {move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view()}
                </select>
                <select id="sort" on:change=move |ev| { sort.set(event_target_value(&ev)); reset(); }>
                    {["name", "-name", "-created_at", "created_at", "-updated_at"].map(|s| view! { <option value=s>{move || t(&format!("contacts.sort.{s}"))}</option> })}
                </select>
            </div>
            {move || match page.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => view! { <p class="muted" id="no-contacts">{t("contacts.empty")}</p> }.into_any(),
                Some(Ok(p)) => {
                    let from = p.offset + 1;
                    let to = p.offset + p.items.len() as u64;
                    let total = p.total;
                    let has_next = p.next.is_some();
                    view! {
                        <table class="list" id="contact-list">
                            <thead><tr>
                                <th>{t("contacts.name")}</th><th>{t("contacts.kind")}</th><th>{t("contacts.phone")}</th>
                                <th>{t("contacts.email")}</th><th>{t("contacts.city")}</th><th>{t("contacts.owner")}</th><th>{t("contacts.created")}</th>
                            </tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|c| view! {
                                    <tr>
                                        <td><A href=format!("/contacts/{}", c.id)>{c.display_name.clone()}</A></td>
                                        <td>{kind_badge(&c.kind)}</td>
                                        <td>{c.phones.first().cloned().unwrap_or_default()}</td>
                                        <td>{c.emails.first().cloned().unwrap_or_default()}</td>
                                        <td>{c.city.clone().unwrap_or_default()}</td>
                                        <td>{c.owner_name.clone()}</td>
                                        <td>{date(&c.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <div class="pager row">
                            <button disabled=move || offset.get() == 0 on:click=move |_| offset.update(|o| *o = o.saturating_sub(PAGE))>{t("common.previous")}</button>
                            <span id="page-info">{tf("common.page", &[("from", &number(from as f64)), ("to", &number(to as f64)), ("total", &number(total as f64))])}</span>
                            <button disabled=!has_next on:click=move |_| offset.update(|o| *o += PAGE)>{t("common.next")}</button>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
