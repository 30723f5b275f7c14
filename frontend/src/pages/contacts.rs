//! The contact list: filter by text, kind, owner and office; sort; page by cursor; export.

use crm_types::{ContactSummary, Office, Page, User};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{date, number, t, tp};
use crate::pages::contact::SendTip;
use crate::pages::login::RequireSession;

const PAGE: u64 = 25;

/// A little kind badge.
pub fn kind_badge(kind: &str) -> impl IntoView + use<> {
    let class = format!("badge kind-{kind}");
    let label = t(&format!("kind.{kind}"));
    view! { <span class=class>{label}</span> }
}

/// "1 234 contacts", or "about 12 000 contacts" when the total is an estimate.
pub fn total_text(total: u64, exact: bool, key: &str) -> String {
    let text = tp(key, total, &[]);
    if exact { text } else { format!("{} {text}", t("common.about")) }
}

/// Pages of a list read by cursor: the cursors of the pages before, so "previous" works.
#[derive(Clone, Copy)]
pub struct Pager {
    cursors: RwSignal<Vec<Option<String>>>,
}

impl Pager {
    pub fn new() -> Self {
        Self {
            cursors: RwSignal::new(vec![None]),
        }
    }

    /// The current page's cursor (tracked).
    pub fn cursor(&self) -> Option<String> {
        self.cursors.with(|c| c.last().cloned().flatten())
    }

    pub fn reset(&self) {
        self.cursors.set(vec![None]);
    }

    pub fn view<T: Clone + Send + Sync + 'static>(&self, page: &Page<T>) -> impl IntoView + use<T> {
        let cursors = self.cursors;
        let next = page.next_cursor.clone();
        let first = cursors.with_untracked(|c| c.len() <= 1);
        let shown = page.items.len() as u64;
        let before = cursors.with_untracked(|c| (c.len() as u64 - 1) * page.limit);
        let info = if page.total_exact {
            format!(
                "{}–{} / {}",
                number((before + 1).min(page.total) as f64),
                number((before + shown) as f64),
                number(page.total as f64)
            )
        } else {
            format!(
                "{}–{} / ≈ {}",
                number((before + 1) as f64),
                number((before + shown) as f64),
                number(page.total as f64)
            )
        };
        view! {
            <div class="pager row">
                <button class="prev" disabled=first on:click=move |_| cursors.update(|c| { c.pop(); })>{t("common.previous")}</button>
                <span class="page-info">{info}</span>
                <button class="next" disabled=next.is_none() on:click=move |_| {
                    let n = next.clone();
                    cursors.update(|c| c.push(n));
                }>{t("common.next")}</button>
            </div>
        }
    }
}

impl Default for Pager {
    fn default() -> Self {
        Self::new()
    }
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
    let pager = Pager::new();
    // "Tip a colleague" about a contact of the list: one form under the list.
    let tip_for = RwSignal::new(None::<(uuid::Uuid, String)>);
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let offices = LocalResource::new(|| api::get::<Vec<Office>>("/api/v1/offices"));
    // One letter finds half the register: the search starts at two.
    let query = move || {
        let text = q.get();
        let text = if text.trim().chars().count() >= 2 { text } else { String::new() };
        format!(
            "q={}&kind={}&owner_id={}&office_id={}&sort={}",
            enc(&text),
            kind.get(),
            owner.get(),
            office.get(),
            sort.get()
        )
    };
    let page = LocalResource::new(move || {
        let url = format!(
            "/api/v1/contacts?{}&limit={PAGE}{}",
            query(),
            pager.cursor().map(|c| format!("&cursor={}", enc(&c))).unwrap_or_default()
        );
        async move { api::get::<Page<ContactSummary>>(&url).await }
    });
    let can_export = move || api::session().me.get().is_some_and(|m| m.permissions.export);
    let export_error = RwSignal::new(None::<String>);
    let export = move |_| {
        let url = format!("/api/v1/contacts/export?{}", query());
        leptos::task::spawn_local(async move {
            export_error.set(api::download(&url, "contacts.csv").await.err().map(|e| e.error.message));
        });
    };
    let reset = move || pager.reset();
    view! {
        <section>
            <header class="row">
                <h1>{move || t("contacts.title")}</h1>
                <span class="spacer"></span>
                <Show when=can_export>
                    <button id="export" on:click=export>{move || t("contacts.export")}</button>
                </Show>
                <A href="/contacts/new" attr:class="button primary" attr:id="new-contact">{move || t("contacts.new")}</A>
            </header>
            {move || export_error.get().map(|e| view! { <p class="error">{e}</p> })}
            <div class="filters row">
                <input id="contact-search" type="search" maxlength="200" placeholder=move || t("contacts.search") prop:value=q
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
                    let summary = total_text(p.total, p.total_exact, "contacts.count");
                    let pager_view = pager.view(&p);
                    view! {
                        <p class="muted" id="contact-total">{summary}</p>
                        <table class="list" id="contact-list">
                            <thead><tr>
                                <th>{t("contacts.name")}</th><th>{t("contacts.kind")}</th><th>{t("contacts.phone")}</th>
                                <th>{t("contacts.email")}</th><th>{t("contacts.city")}</th><th>{t("contacts.owner")}</th><th>{t("contacts.created")}</th><th></th>
                            </tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|c| {
                                    let (id, name) = (c.id, c.display_name.clone());
                                    view! {
                                    <tr>
                                        <td><A href=format!("/contacts/{}", c.id)>{c.display_name.clone()}</A></td>
                                        <td>{kind_badge(&c.kind)}</td>
                                        <td>{c.phones.first().cloned().map(phone_link)}</td>
                                        <td>{c.emails.first().cloned().unwrap_or_default()}</td>
                                        <td>{c.city.clone().unwrap_or_default()}</td>
                                        <td>{c.owner_name.clone()}</td>
                                        <td>{date(&c.created_at)}</td>
                                        <td><button type="button" class="link tip-button" on:click=move |_| tip_for.set(Some((id, name.clone())))>{t("contact.tip")}</button></td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                        {pager_view}
                    }.into_any()
                }
            }}
            {move || tip_for.get().map(|(id, name)| view! {
                <h2 class="tip-title">{name}</h2>
                <SendTip contact_id=id open=true on_done=|| {}/>
            })}
        </section>
    }
}

/// A phone number one can click to call.
pub fn phone_link(phone: String) -> impl IntoView {
    let href = format!("tel:{phone}");
    view! { <a class="tel" href=href>{phone}</a> }
}
