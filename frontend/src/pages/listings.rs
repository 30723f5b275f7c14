//! Listings: the company's list (by status, by broker), a listing's page with its parties,
//! and the form to create or edit one (details, status, broker).

use crm_types::{Page, PartyWrite, Property, PropertyWrite, User};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::{self, Failure, enc};
use crate::i18n::{date, money, number, t};
use crate::pages::bookings::{Bids, ContactPicker, Viewings};
use crate::pages::contacts::{Pager, total_text};
use crate::pages::login::RequireSession;

pub const STATUSES: [&str; 5] = ["customer_processing", "assignment", "coming_soon", "for_sale", "sold"];
pub const KINDS: [&str; 5] = ["apartment", "house", "cottage", "plot", "commercial"];

fn status_badge(status: &str) -> impl IntoView + use<> {
    let class = format!("badge status-{status}");
    let label = t(&format!("status.{status}"));
    view! { <span class=class>{label}</span> }
}

#[component]
pub fn ListingsPage() -> impl IntoView {
    view! { <RequireSession><Listings/></RequireSession> }
}

#[component]
fn Listings() -> impl IntoView {
    let status = RwSignal::new(String::new());
    let broker = RwSignal::new(String::new());
    let pager = Pager::new();
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let page = LocalResource::new(move || {
        let url = format!(
            "/api/v1/properties?status={}&broker_id={}&limit=25{}",
            status.get(),
            broker.get(),
            pager.cursor().map(|c| format!("&cursor={}", enc(&c))).unwrap_or_default()
        );
        async move { api::get::<Page<Property>>(&url).await }
    });
    view! {
        <section>
            <header class="row">
                <h1>{move || t("listings.title")}</h1>
                <span class="spacer"></span>
                <A href="/listings/new" attr:class="button primary" attr:id="new-listing">{move || t("listings.new")}</A>
            </header>
            <div class="filters row">
                <select id="filter-status" on:change=move |ev| { status.set(event_target_value(&ev)); pager.reset(); }>
                    <option value="">{move || format!("{}: {}", t("listing.status"), t("common.all"))}</option>
                    {STATUSES.map(|s| view! { <option value=s>{move || t(&format!("status.{s}"))}</option> })}
                </select>
                <select id="filter-broker" on:change=move |ev| { broker.set(event_target_value(&ev)); pager.reset(); }>
                    <option value="">{move || format!("{}: {}", t("listing.broker"), t("common.all"))}</option>
                    {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}</option> }).collect_view()}
                </select>
            </div>
            {move || match page.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(p)) if p.items.is_empty() => view! { <p class="muted">{t("listings.empty")}</p> }.into_any(),
                Some(Ok(p)) => {
                    let summary = total_text(p.total, p.total_exact, "listings.count");
                    let pager_view = pager.view(&p);
                    let names = users.get().and_then(Result::ok).unwrap_or_default();
                    view! {
                        <p class="muted">{summary}</p>
                        <table class="list" id="listing-list">
                            <thead><tr>
                                <th>{t("listing.reference")}</th><th>{t("listing.address")}</th><th>{t("listing.kind")}</th><th>{t("listing.status")}</th>
                                <th>{t("listing.price")}</th><th>{t("listing.broker")}</th><th>{t("contacts.created")}</th>
                            </tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|l| {
                                    let broker = names.iter().find(|u| u.id == l.broker_id).map(|u| u.name.clone()).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <td class="muted">{l.reference.clone().unwrap_or_default()}</td>
                                            <td><A href=format!("/listings/{}", l.id)>{l.title.clone()}</A></td>
                                            <td>{t(&format!("property.kind.{}", l.kind))}</td>
                                            <td>{status_badge(&l.status)}</td>
                                            <td>{l.price.map(|p| money(p, &l.currency)).unwrap_or_default()}</td>
                                            <td>{broker}</td>
                                            <td>{date(&l.created_at)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {pager_view}
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
pub fn ListingPage() -> impl IntoView {
    view! { <RequireSession><ListingCard/></RequireSession> }
}

#[component]
fn ListingCard() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reload = RwSignal::new(0u32);
    let listing = LocalResource::new(move || {
        let id = id();
        reload.get();
        async move { api::get::<Property>(&format!("/api/v1/properties/{id}")).await }
    });
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let error = RwSignal::new(None::<String>);
    let remove = move |listing: Uuid, contact: Uuid, role: String| {
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/v1/properties/{listing}/parties/{contact}/{role}")).await {
                Ok(()) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        {move || match listing.get() {
            None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
            Some(Ok(l)) => {
                let broker = users.get().and_then(Result::ok).unwrap_or_default().into_iter().find(|u| u.id == l.broker_id).map(|u| u.name).unwrap_or_default();
                let lid = l.id;
                let facts: Vec<(String, String)> = [
                    ("listing.kind", Some(t(&format!("property.kind.{}", l.kind)))),
                    ("listing.price", l.price.map(|p| money(p, &l.currency))),
                    ("listing.living_area", l.living_area.map(|a| format!("{} m²", number(a)))),
                    ("listing.rooms", l.rooms.map(number)),
                    ("listing.bedrooms", l.bedrooms.map(|b| number(f64::from(b)))),
                    ("listing.parking_spaces", l.parking_spaces.map(|p| number(f64::from(p)))),
                    ("listing.neighbourhood", l.neighbourhood.clone()),
                    ("listing.condominium", l.condominium.clone()),
                    ("listing.broker", Some(broker)),
                    ("listing.reference", l.reference.clone()),
                    ("listing.contract_date", l.contract_date.clone()),
                    ("listing.access_date", l.access_date.clone()),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (t(k), v)))
                .collect();
                view! {
                    <section class="listing-card">
                        <header class="row">
                            <h1 id="listing-title">{l.title.clone()}</h1>
                            {status_badge(&l.status)}
                            {l.advertised.then(|| view! { <span class="badge side">{t("listing.advertised")}</span> })}
                            <span class="spacer"></span>
                            <A href=format!("/listings/{}/edit", l.id) attr:class="button" attr:id="edit-listing">{t("contact.edit")}</A>
                        </header>
                        <div class="grid">
                            <div class="card">
                                <h2>{t("contact.details")}</h2>
                                <dl>{facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}</dl>
                            </div>
                            <div class="card">
                                <h2>{t("listing.parties")}</h2>
                                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                                <ul id="listing-parties">
                                    {l.parties.clone().into_iter().map(|p| {
                                        let (contact, role) = (p.contact_id, p.role.clone());
                                        view! {
                                            <li>
                                                <A href=format!("/contacts/{}", p.contact_id)>{p.display_name.clone()}</A>
                                                " — "{t(&format!("party.{}", p.role))}" "
                                                <button class="link" on:click=move |_| remove(lid, contact, role.clone())>{t("listing.remove_party")}</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                                <AddParty listing=l.id on_done=move || reload.update(|n| *n += 1)/>
                            </div>
                        </div>
                        <div class="grid">
                            <Viewings listing=l.id/>
                            <Bids listing=l.id/>
                        </div>
                    </section>
                }.into_any()
            }
        }}
    }
}

/// Finds a contact by name, phone or email and makes it a seller or buyer of the listing.
#[component]
fn AddParty(listing: Uuid, on_done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let role = RwSignal::new("seller".to_owned());
    let error = RwSignal::new(None::<String>);
    let add = move |contact_id: Uuid, _name: String| {
        let body = PartyWrite {
            contact_id,
            role: role.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Property>(&format!("/api/v1/properties/{listing}/parties"), &body).await {
                Ok(_) => {
                    error.set(None);
                    on_done();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        <div class="add-party">
            <div class="row">
                <select id="party-role" on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="seller">{move || t("party.seller")}</option>
                    <option value="buyer">{move || t("party.buyer")}</option>
                </select>
                <ContactPicker id="party-search" on_pick=add/>
            </div>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </div>
    }
}

#[component]
pub fn NewListingPage() -> impl IntoView {
    view! { <RequireSession><ListingForm initial=None/></RequireSession> }
}

#[component]
pub fn EditListingPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let listing = LocalResource::new(move || {
        let id = id.clone();
        async move { api::get::<Property>(&format!("/api/v1/properties/{id}")).await }
    });
    view! {
        <RequireSession>
            {move || match listing.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(l)) => view! { <ListingForm initial=Some(l)/> }.into_any(),
            }}
        </RequireSession>
    }
}

fn opt(s: String) -> Option<String> {
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn num<T: std::str::FromStr>(s: String) -> Option<T> {
    s.trim().replace([' ', '\u{a0}'], "").replace(',', ".").parse().ok()
}

#[component]
fn ListingForm(initial: Option<Property>) -> impl IntoView {
    let id = initial.as_ref().map(|l| l.id);
    let me = api::session().me.get_untracked();
    let text = |v: Option<String>| RwSignal::new(v.unwrap_or_default());
    let l = initial.clone();
    let kind = RwSignal::new(l.as_ref().map(|l| l.kind.clone()).unwrap_or_else(|| "apartment".into()));
    let status = RwSignal::new(l.as_ref().map(|l| l.status.clone()).unwrap_or_else(|| "customer_processing".into()));
    let reference = text(l.as_ref().and_then(|l| l.reference.clone()));
    let street = text(l.as_ref().map(|l| l.street.clone()));
    let postal = text(l.as_ref().and_then(|l| l.postal_code.clone()));
    let city = text(l.as_ref().map(|l| l.city.clone()));
    let price = text(l.as_ref().and_then(|l| l.price).map(|p| p.to_string()));
    let area = text(l.as_ref().and_then(|l| l.living_area).map(|a| a.to_string()));
    let rooms = text(l.as_ref().and_then(|l| l.rooms).map(|r| r.to_string()));
    let bedrooms = text(l.as_ref().and_then(|l| l.bedrooms).map(|b| b.to_string()));
    let parking = text(l.as_ref().and_then(|l| l.parking_spaces).map(|p| p.to_string()));
    let neighbourhood = text(l.as_ref().and_then(|l| l.neighbourhood.clone()));
    let condominium = text(l.as_ref().and_then(|l| l.condominium.clone()));
    let advertised = RwSignal::new(l.as_ref().is_some_and(|l| l.advertised));
    let contract_date = text(l.as_ref().and_then(|l| l.contract_date.clone()));
    let access_date = text(l.as_ref().and_then(|l| l.access_date.clone()));
    let broker = RwSignal::new(
        l.as_ref()
            .map(|l| l.broker_id.to_string())
            .or_else(|| me.as_ref().map(|m| m.id.to_string()))
            .unwrap_or_default(),
    );
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let failure = RwSignal::new(None::<Failure>);
    let goto = api::use_goto();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PropertyWrite {
            reference: opt(reference.get_untracked()),
            kind: kind.get_untracked(),
            status: status.get_untracked(),
            street: street.get_untracked(),
            city: city.get_untracked(),
            postal_code: opt(postal.get_untracked()),
            country: None,
            lat: initial.as_ref().and_then(|l| l.lat),
            lon: initial.as_ref().and_then(|l| l.lon),
            price: num(price.get_untracked()),
            living_area: num(area.get_untracked()),
            rooms: num(rooms.get_untracked()),
            bedrooms: num(bedrooms.get_untracked()),
            parking_spaces: num(parking.get_untracked()),
            neighbourhood: opt(neighbourhood.get_untracked()),
            condominium: opt(condominium.get_untracked()),
            advertised: advertised.get_untracked(),
            broker_id: Uuid::parse_str(&broker.get_untracked()).ok(),
            contract_date: opt(contract_date.get_untracked()),
            access_date: opt(access_date.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let result = match id {
                None => api::post::<_, Property>("/api/v1/properties", &body).await,
                Some(id) => api::put::<_, Property>(&format!("/api/v1/properties/{id}"), &body).await,
            };
            match result {
                Ok(p) => goto.set(Some(format!("/listings/{}", p.id))),
                Err(e) => failure.set(Some(e)),
            }
        });
    };
    let field_error = move |field: &'static str| {
        move || {
            failure
                .get()
                .and_then(|f| f.for_field(field))
                .map(|m| view! { <span class="field-error">{m}</span> })
        }
    };
    let input = move |id: &'static str, label: &'static str, signal: RwSignal<String>, mode: &'static str| {
        view! {
            <label>{move || t(label)}
                <input id=id inputmode=mode maxlength="200" prop:value=signal on:input=move |ev| signal.set(event_target_value(&ev))/>
                {field_error(id)}
            </label>
        }
    };
    view! {
        <section class="card form">
            <h1>{move || t(if id.is_some() { "listing.edit_title" } else { "listing.new_title" })}</h1>
            <form on:submit=submit>
                <div class="row">
                    <label>{move || t("listing.kind")}
                        <select id="listing-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                            {KINDS.map(|k| view! { <option value=k selected=move || kind.get() == k>{move || t(&format!("property.kind.{k}"))}</option> })}
                        </select>
                    </label>
                    <label>{move || t("listing.status")}
                        <select id="listing-status" on:change=move |ev| status.set(event_target_value(&ev))>
                            {STATUSES.map(|s| view! { <option value=s selected=move || status.get() == s>{move || t(&format!("status.{s}"))}</option> })}
                        </select>
                        {field_error("status")}
                    </label>
                    <label>{move || t("listing.broker")}
                        <select id="listing-broker" on:change=move |ev| broker.set(event_target_value(&ev))>
                            {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active).map(|u| {
                                let value = u.id.to_string();
                                let selected = broker.get_untracked() == value;
                                view! { <option value=value selected=selected>{u.name}</option> }
                            }).collect_view()}
                        </select>
                        {field_error("broker_id")}
                    </label>
                </div>
                <div class="row">
                    {input("reference", "listing.reference", reference, "text")}
                    {input("street", "form.street", street, "text")}
                    {input("postal_code", "form.postal_code", postal, "text")}
                    {input("city", "form.city", city, "text")}
                </div>
                <div class="row">
                    {input("price", "listing.price", price, "numeric")}
                    {input("living_area", "listing.living_area", area, "decimal")}
                    {input("rooms", "listing.rooms", rooms, "decimal")}
                    {input("bedrooms", "listing.bedrooms", bedrooms, "numeric")}
                    {input("parking_spaces", "listing.parking_spaces", parking, "numeric")}
                </div>
                <div class="row">
                    {input("neighbourhood", "listing.neighbourhood", neighbourhood, "text")}
                    {input("condominium", "listing.condominium", condominium, "text")}
                </div>
                <Show when=move || status.get() == "sold">
                    <div class="row">
                        <label>{move || t("listing.contract_date")}<input id="contract_date" type="date" prop:value=contract_date on:input=move |ev| contract_date.set(event_target_value(&ev))/>{field_error("contract_date")}</label>
                        <label>{move || t("listing.access_date")}<input id="access_date" type="date" prop:value=access_date on:input=move |ev| access_date.set(event_target_value(&ev))/>{field_error("access_date")}</label>
                    </div>
                    <p class="muted">{move || t("listing.access_hint")}</p>
                </Show>
                <label class="check"><input type="checkbox" id="advertised" prop:checked=advertised on:change=move |ev| advertised.set(event_target_checked(&ev))/>{move || t("listing.advertised")}</label>
                {move || failure.get().filter(|f| f.error.field.is_none() || f.status == 403).map(|f| view! { <p class="error">{f.error.message}</p> })}
                <button id="save-listing" class="primary" type="submit">{move || t("common.save")}</button>
            </form>
        </section>
    }
}
