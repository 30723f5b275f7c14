//! Creating and editing a contact, with each kind's mandatory fields explained and the API's
//! field errors shown next to the fields.

use crm_types::{Contact, ContactWrite};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{self, Failure};
use crate::i18n::{t, tf};
use crate::pages::login::RequireSession;

#[component]
pub fn NewContactPage() -> impl IntoView {
    let query = use_query_map();
    let q = |k: &str| query.read_untracked().get(k).filter(|v| !v.is_empty());
    // What was typed into the caller lookup arrives here as query parameters.
    let initial = ContactWrite {
        kind: q("kind").unwrap_or_else(|| "standard".into()),
        first_name: q("first_name"),
        last_name: q("last_name"),
        phones: q("phone").into_iter().collect(),
        emails: q("email").into_iter().collect(),
        ..Default::default()
    };
    let initial = StoredValue::new(initial);
    view! { <RequireSession><ContactForm initial=initial.get_value() id=None/></RequireSession> }
}

#[component]
pub fn EditContactPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let path = format!("/api/v1/contacts/{id}");
    let contact = LocalResource::new(move || {
        let path = path.clone();
        async move { api::get::<Contact>(&path).await }
    });
    view! {
        <RequireSession>
            {move || match contact.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(c)) => {
                    let s = &c.summary;
                    let initial = ContactWrite {
                        kind: s.kind.clone(),
                        first_name: s.first_name.clone(),
                        last_name: s.last_name.clone(),
                        agency_name: s.agency_name.clone(),
                        phones: s.phones.clone(),
                        emails: s.emails.clone(),
                        street: c.street.clone(),
                        city: s.city.clone(),
                        postal_code: c.postal_code.clone(),
                        country: c.country.clone(),
                        lat: c.lat,
                        lon: c.lon,
                        opted_out: c.opted_out,
                        owner_id: None,
                    };
                    view! { <ContactForm initial=initial id=Some(s.id.to_string())/> }.into_any()
                }
            }}
        </RequireSession>
    }
}

fn opt(s: String) -> Option<String> {
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

#[component]
fn ContactForm(initial: ContactWrite, id: Option<String>) -> impl IntoView {
    let kind = RwSignal::new(initial.kind.clone());
    let first = RwSignal::new(initial.first_name.clone().unwrap_or_default());
    let last = RwSignal::new(initial.last_name.clone().unwrap_or_default());
    let agency = RwSignal::new(initial.agency_name.clone().unwrap_or_default());
    let phone = RwSignal::new(initial.phones.first().cloned().unwrap_or_default());
    let phone2 = RwSignal::new(initial.phones.get(1).cloned().unwrap_or_default());
    let email = RwSignal::new(initial.emails.first().cloned().unwrap_or_default());
    let street = RwSignal::new(initial.street.clone().unwrap_or_default());
    let postal = RwSignal::new(initial.postal_code.clone().unwrap_or_default());
    let city = RwSignal::new(initial.city.clone().unwrap_or_default());
    let country = RwSignal::new(initial.country.clone().unwrap_or_default());
    let opted_out = RwSignal::new(initial.opted_out);
    let failure = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let goto = api::use_goto();
    let editing = id.is_some();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ContactWrite {
            kind: kind.get_untracked(),
            first_name: opt(first.get_untracked()),
            last_name: opt(last.get_untracked()),
            agency_name: opt(agency.get_untracked()),
            phones: [phone.get_untracked(), phone2.get_untracked()]
                .into_iter()
                .filter(|p| !p.trim().is_empty())
                .collect(),
            emails: [email.get_untracked()].into_iter().filter(|e| !e.trim().is_empty()).collect(),
            street: opt(street.get_untracked()),
            city: opt(city.get_untracked()),
            postal_code: opt(postal.get_untracked()),
            country: opt(country.get_untracked()),
            lat: initial.lat,
            lon: initial.lon,
            opted_out: opted_out.get_untracked(),
            owner_id: None,
        };
        let id = id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = match &id {
                None => api::post::<_, serde_json::Value>("/api/v1/contacts", &body).await,
                Some(id) => api::put::<_, serde_json::Value>(&format!("/api/v1/contacts/{id}"), &body).await,
            };
            busy.set(false);
            match result {
                Ok(v) => {
                    failure.set(None);
                    let new_id = v.get("id").and_then(|i| i.as_str()).unwrap_or_default().to_owned();
                    goto.set(Some(format!("/contacts/{new_id}")));
                }
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
    let text_input = move |id: &'static str, label: &'static str, signal: RwSignal<String>, field: &'static str| {
        view! {
            <label>{move || t(label)}
                <input id=id type="text" prop:value=signal on:input=move |ev| signal.set(event_target_value(&ev))/>
                {field_error(field)}
            </label>
        }
    };

    view! {
        <section class="card form">
            <h1>{move || t(if editing { "form.edit_title" } else { "form.new_title" })}</h1>
            <form on:submit=submit>
                <label>{move || t("contacts.kind")}
                    <select id="kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=kind>
                        {["agency", "verified", "standard", "draft"].map(|k| view! { <option value=k selected=move || kind.get() == k>{move || t(&format!("kind.{k}"))}</option> })}
                    </select>
                    {field_error("kind")}
                </label>
                <p class="hint">{move || tf("form.rule", &[("rule", &t(&format!("rule.{}", kind.get())))])}</p>
                <Show when=move || kind.get() == "agency">
                    {text_input("agency_name", "form.agency_name", agency, "agency_name")}
                </Show>
                <div class="row">
                    {text_input("first_name", "form.first_name", first, "first_name")}
                    {text_input("last_name", "form.last_name", last, "last_name")}
                </div>
                <div class="row">
                    <label>{move || t("form.phone")}
                        <input id="phone" type="tel" prop:value=phone on:input=move |ev| phone.set(event_target_value(&ev))/>
                        {field_error("phones[0]")}{field_error("phones")}
                    </label>
                    <label>{move || t("form.phone2")}
                        <input id="phone2" type="tel" prop:value=phone2 on:input=move |ev| phone2.set(event_target_value(&ev))/>
                        {field_error("phones[1]")}
                    </label>
                </div>
                <label>{move || t("form.email")}
                    <input id="email" type="email" prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                    {field_error("emails[0]")}{field_error("emails")}
                </label>
                <div class="row">
                    {text_input("street", "form.street", street, "street")}
                    {text_input("postal_code", "form.postal_code", postal, "postal_code")}
                    {text_input("city", "form.city", city, "city")}
                    {text_input("country", "form.country", country, "country")}
                </div>
                <label class="check"><input type="checkbox" prop:checked=opted_out on:change=move |ev| opted_out.set(event_target_checked(&ev))/>{move || t("form.opted_out")}</label>
                {move || failure.get().filter(|f| f.error.errors.is_empty() && f.error.field.is_none()).map(|f| view! { <p class="error">{f.error.message}</p> })}
                <div class="row">
                    <button id="save-contact" class="primary" type="submit" disabled=move || busy.get()>{move || t("common.save")}</button>
                </div>
            </form>
        </section>
    }
}
