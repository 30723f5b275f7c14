//! The broker's inbox (leads assigned to them) and their office's shark tank, with the actions
//! each lead's workflow allows; and the administration of lead sources with the form snippet a
//! website pastes in.

use crm_types::{AcceptRequest, DeclineRequest, InboxItem, LeadSource, LeadSourceWrite, Page, Property, PropertyWrite, Slice};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{date_time, t};
use crate::pages::listings::KINDS;
use crate::pages::login::RequireSession;

#[component]
pub fn InboxPage() -> impl IntoView {
    view! { <RequireSession><Inbox/></RequireSession> }
}

#[component]
fn Inbox() -> impl IntoView {
    let which = RwSignal::new("mine".to_owned());
    let items = RwSignal::new(Vec::<InboxItem>::new());
    let next = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let load = move |cursor: Option<String>| {
        let url = format!(
            "/api/v1/inbox?box={}&limit=50{}",
            which.get_untracked(),
            cursor.as_deref().map(|c| format!("&cursor={}", enc(c))).unwrap_or_default()
        );
        let asked = which.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = api::get::<Slice<InboxItem>>(&url).await;
            // An answer for a box the user has since left is dropped.
            if which.get_untracked() != asked {
                return;
            }
            match answer {
                Ok(page) => {
                    if cursor.is_none() {
                        items.set(page.items);
                    } else {
                        items.update(|i| i.extend(page.items));
                    }
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    Effect::new(move |_| {
        which.get();
        api::session().changed.get();
        load(None);
    });
    // The user's listings, to link one when accepting.
    let listings = LocalResource::new(move || {
        let me = api::session().me.get().map(|m| m.id);
        async move {
            match me {
                Some(id) => api::get::<Page<Property>>(&format!("/api/v1/properties?broker_id={id}&limit=200"))
                    .await
                    .map(|p| p.items)
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        }
    });
    let run = move |url: String, body: serde_json::Value| {
        leptos::task::spawn_local(async move {
            match api::post::<_, InboxItem>(&url, &body).await {
                Ok(_) => {
                    error.set(None);
                    api::touch();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        <section class="card">
            <header class="row">
                <h1>{move || t("inbox.title")}</h1>
                <span class="spacer"></span>
                <select id="inbox-box" on:change=move |ev| which.set(event_target_value(&ev))>
                    <option value="mine">{move || t("inbox.mine")}</option>
                    <option value="tank">{move || t("inbox.tank")}</option>
                    <option value="sent">{move || t("inbox.sent")}</option>
                </select>
            </header>
            {move || error.get().map(|e| view! { <p class="error" id="inbox-error">{e}</p> })}
            <Show when=move || !items.get().is_empty() fallback=move || view! { <p class="muted">{t("inbox.empty")}</p> }>
                <ul class="inbox" id="inbox-items">
                    <For each=move || items.get() key=|i| (i.id, i.status.clone(), i.assignee_user_id) let:item>
                        {
                            let id = item.id;
                            let open = item.status == "open" && which.get_untracked() != "sent";
                            let in_tank = item.assignee_user_id.is_none();
                            let workflow = item.workflow.clone();
                            let reason = RwSignal::new(String::new());
                            let property = RwSignal::new(String::new());
                            view! {
                                <li class="card inbox-item">
                                    <div class="row">
                                        <strong>{match (item.contact_id, item.contact_name.clone()) {
                                            (Some(c), Some(n)) => view! { <A href=format!("/contacts/{c}")>{n}</A> }.into_any(),
                                            _ => view! { <span>"—"</span> }.into_any(),
                                        }}</strong>
                                        <span class="muted">{item.source_name.clone().or_else(|| item.sender_name.clone().map(|n| format!("{} {n}", t("inbox.tip_from")))).unwrap_or_default()}</span>
                                        <span class="spacer"></span>
                                        <span class="status">{t(&format!("inbox.status.{}", item.status))}</span>
                                        <span class="muted">{date_time(&item.created_at)}</span>
                                    </div>
                                    {item.message.clone().map(|m| view! { <p>{m}</p> })}
                                    {item.routing.clone().map(|r| view! { <p class="hint">{t("inbox.routed")}" "{r}</p> })}
                                    {item.flagged.clone().map(|f| view! { <p class="warning">{t(&format!("inbox.flag.{f}"))}</p> })}
                                    {item.decline_reason.clone().map(|r| view! { <p class="hint">{r}</p> })}
                                    {item.decided_by_name.clone().map(|n| view! { <p class="hint">{t("inbox.decided_by")}" "{n}</p> })}
                                    <Show when=move || open>
                                        <div class="row wrap actions">
                                            {if in_tank {
                                                view! { <button class="claim" on:click=move |_| run(format!("/api/v1/inbox/{id}/claim"), serde_json::json!({}))>{t("inbox.claim")}</button> }.into_any()
                                            } else if workflow == "contact_or_dismiss" {
                                                view! {
                                                    <button class="contacted" on:click=move |_| run(format!("/api/v1/inbox/{id}/contacted"), serde_json::json!({}))>{t("inbox.contacted")}</button>
                                                    <button class="link" on:click=move |_| run(format!("/api/v1/inbox/{id}/not-relevant"), serde_json::json!({}))>{t("inbox.not_relevant")}</button>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <select class="accept-listing" on:change=move |ev| property.set(event_target_value(&ev))>
                                                        <option value="">{t("inbox.choose_listing")}</option>
                                                        {move || listings.get().unwrap_or_default().into_iter().map(|p| view! {
                                                            <option value=p.id.to_string()>{p.title}</option>
                                                        }).collect_view()}
                                                    </select>
                                                    <button class="accept" on:click=move |_| {
                                                        if let Ok(property_id) = uuid::Uuid::parse_str(&property.get_untracked()) {
                                                            run(format!("/api/v1/inbox/{id}/accept"), serde_json::json!(AcceptRequest { property_id: Some(property_id), new_property: None }));
                                                        }
                                                    }>{t("inbox.accept")}</button>
                                                    <NewListingAccept id=id error=error/>
                                                    <input class="decline-reason" placeholder=t("inbox.reason") bind:value=reason/>
                                                    <button class="link" on:click=move |_| run(format!("/api/v1/inbox/{id}/decline"), serde_json::json!(DeclineRequest { reason: reason.get_untracked() }))>{t("inbox.decline")}</button>
                                                }.into_any()
                                            }}
                                        </div>
                                    </Show>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
            <Show when=move || next.get().is_some()>
                <button class="link" on:click=move |_| load(next.get_untracked())>{move || t("common.more")}</button>
            </Show>
        </section>
    }
}

/// Accepting with a listing made in the same step: the few details a broker knows at once
/// (the rest is filled in on the listing's page later). The client becomes its seller.
#[component]
fn NewListingAccept(id: uuid::Uuid, error: RwSignal<Option<String>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let kind = RwSignal::new("apartment".to_owned());
    let street = RwSignal::new(String::new());
    let postal = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let price = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        let body = AcceptRequest {
            property_id: None,
            new_property: Some(PropertyWrite {
                reference: None,
                kind: kind.get_untracked(),
                status: "customer_processing".into(),
                street: street.get_untracked(),
                city: city.get_untracked(),
                postal_code: text(postal),
                country: None,
                lat: None,
                lon: None,
                price: text(price).and_then(|p| p.replace([' ', '\u{a0}'], "").parse().ok()),
                living_area: None,
                rooms: None,
                bedrooms: None,
                parking_spaces: None,
                neighbourhood: None,
                condominium: None,
                advertised: false,
                broker_id: None,
                contract_date: None,
                access_date: None,
            }),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, InboxItem>(&format!("/api/v1/inbox/{id}/accept"), &body).await {
                Ok(_) => {
                    error.set(None);
                    api::touch();
                }
                Err(e) => error.set(Some(match e.error.field {
                    Some(f) => format!("{f}: {}", e.error.message),
                    None => e.error.message,
                })),
            }
        });
    };
    view! {
        <button type="button" class="link new-listing" on:click=move |_| open.update(|o| *o = !*o)>{move || t("inbox.new_listing")}</button>
        <Show when=move || open.get()>
            <form class="row wrap new-listing-form" on:submit=submit>
                <select class="new-listing-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    {KINDS.map(|k| view! { <option value=k>{move || t(&format!("property.kind.{k}"))}</option> })}
                </select>
                <input class="new-listing-street" placeholder=move || t("form.street") bind:value=street required/>
                <input class="new-listing-postal" placeholder=move || t("form.postal_code") bind:value=postal/>
                <input class="new-listing-city" placeholder=move || t("form.city") bind:value=city required/>
                <input class="new-listing-price" inputmode="numeric" placeholder=move || t("listing.price") bind:value=price/>
                <button type="submit" class="primary accept-new">{move || t("inbox.accept_new")}</button>
            </form>
        </Show>
    }
}

#[component]
pub fn LeadSourcesPage() -> impl IntoView {
    view! { <RequireSession><LeadSources/></RequireSession> }
}

/// The HTML a website pastes in to post leads to this source.
fn snippet(key: &str) -> String {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    format!(
        r#"<form method="post" action="{origin}/api/v1/public/leads">
  <input type="hidden" name="source_key" value="{key}">
  <input name="name" placeholder="Name" required>
  <input name="email" type="email" placeholder="Email">
  <input name="phone" type="tel" placeholder="Phone">
  <textarea name="message" placeholder="Message"></textarea>
  <!-- On a listing's page, name the listing by its reference: -->
  <!-- <input type="hidden" name="listing_reference" value="1042"> -->
  <!-- Left empty by people, filled in by robots: keep it hidden. -->
  <input name="website" tabindex="-1" autocomplete="off" style="display:none">
  <button type="submit">Send</button>
</form>"#
    )
}

#[component]
fn LeadSources() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let sources = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<LeadSource>>("/api/v1/lead-sources")
    });
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(String::new());
    let workflow = RwSignal::new("accept_or_decline".to_owned());
    let origins = RwSignal::new(String::new());
    let thanks = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = LeadSourceWrite {
            name: name.get_untracked(),
            workflow: workflow.get_untracked(),
            allowed_origins: origins.get_untracked().split_whitespace().map(str::to_owned).collect(),
            thank_you_url: Some(thanks.get_untracked()).filter(|u| !u.trim().is_empty()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, LeadSource>("/api/v1/lead-sources", &body).await {
                Ok(_) => {
                    error.set(None);
                    name.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(match e.error.field {
                    Some(f) => format!("{f}: {}", e.error.message),
                    None => e.error.message,
                })),
            }
        });
    };
    let toggle = move |id: uuid::Uuid, archived: bool| {
        let action = if archived { "reactivate" } else { "archive" };
        leptos::task::spawn_local(async move {
            match api::post::<_, LeadSource>(&format!("/api/v1/lead-sources/{id}/{action}"), &serde_json::json!({})).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        <section class="card">
            <h1>{move || t("sources.title")}</h1>
            {move || error.get().map(|e| view! { <p class="error" id="source-error">{e}</p> })}
            <ul id="lead-sources" class="sources">
                {move || sources.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|s| {
                    let (id, archived) = (s.id, s.archived);
                    view! {
                        <li class="card">
                            <div class="row">
                                <strong>{s.name.clone()}</strong>
                                <span class="muted">{t(&format!("sources.workflow.{}", s.workflow))}</span>
                                {archived.then(|| view! { <span class="warning">{t("sources.archived")}</span> })}
                                <span class="spacer"></span>
                                <button class="link" on:click=move |_| toggle(id, archived)>
                                    {if archived { t("sources.reactivate") } else { t("sources.archive") }}
                                </button>
                            </div>
                            <details>
                                <summary>{t("sources.snippet")}</summary>
                                <pre class="snippet">{snippet(&s.key)}</pre>
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        <Redistribution/>
        <section class="card">
            <h2>{move || t("sources.add")}</h2>
            <form class="stack" on:submit=add>
                <label>{move || t("sources.name")}<input id="source-name" bind:value=name/></label>
                <label>{move || t("sources.workflow")}
                    <select id="source-workflow" on:change=move |ev| workflow.set(event_target_value(&ev))>
                        {["accept_or_decline", "contact_or_dismiss", "information_only"].into_iter().map(|w| view! {
                            <option value=w>{move || t(&format!("sources.workflow.{w}"))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || t("sources.origins")}<input id="source-origins" placeholder="https://www.example.se" bind:value=origins/></label>
                <label>{move || t("sources.thanks")}<input id="source-thanks" placeholder="https://www.example.se/thanks" bind:value=thanks/></label>
                <button type="submit" id="save-source">{move || t("common.save")}</button>
            </form>
        </section>
    }
}

/// Each office's automatic redistribution: who receives what was not taken care of in time,
/// and the limits in hours (empty: off).
#[component]
fn Redistribution() -> impl IntoView {
    let offices = LocalResource::new(|| api::get::<Vec<crm_types::Office>>("/api/v1/offices"));
    let users = LocalResource::new(|| api::get::<Vec<crm_types::User>>("/api/v1/users"));
    let groups = LocalResource::new(|| api::get::<Vec<crm_types::Group>>("/api/v1/groups"));
    let office = RwSignal::new(String::new());
    let who = RwSignal::new(String::new());
    let tips = RwSignal::new(String::new());
    let accept = RwSignal::new(String::new());
    let contact = RwSignal::new(String::new());
    let auto_tips = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<(), String>>);
    let hours = |v: Option<u32>| v.map(|h| h.to_string()).unwrap_or_default();
    // Shows the chosen office's settings.
    Effect::new(move |_| {
        let id = office.get();
        if id.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(r) = api::get::<crm_types::OfficeRouting>(&format!("/api/v1/offices/{id}/routing")).await {
                who.set(match (r.redistributor_user_id, r.redistributor_group_id) {
                    (Some(u), _) => format!("user:{u}"),
                    (None, Some(g)) => format!("group:{g}"),
                    _ => String::new(),
                });
                tips.set(hours(r.tips_hours));
                accept.set(hours(r.accept_leads_hours));
                contact.set(hours(r.contact_leads_hours));
                auto_tips.set(hours(r.auto_tip_days));
            }
        });
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = office.get_untracked();
        let parse = |s: String| s.trim().parse::<u32>().ok();
        let chosen = who.get_untracked();
        let pick = |kind: &str| {
            chosen
                .split_once(':')
                .filter(|(k, _)| *k == kind)
                .and_then(|(_, v)| uuid::Uuid::parse_str(v).ok())
        };
        let body = crm_types::OfficeRouting {
            redistributor_user_id: pick("user"),
            redistributor_group_id: pick("group"),
            tips_hours: parse(tips.get_untracked()),
            accept_leads_hours: parse(accept.get_untracked()),
            contact_leads_hours: parse(contact.get_untracked()),
            auto_tip_days: parse(auto_tips.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let saved = api::put::<_, crm_types::OfficeRouting>(&format!("/api/v1/offices/{id}/routing"), &body).await;
            message.set(Some(saved.map(|_| ()).map_err(|e| match e.error.field {
                Some(f) => format!("{f}: {}", e.error.message),
                None => e.error.message,
            })));
        });
    };
    view! {
        <section class="card">
            <h2>{move || t("redistribution.title")}</h2>
            <p class="hint">{move || t("redistribution.help")}</p>
            <form class="stack" on:submit=save>
                <label>{move || t("redistribution.office")}
                    <select id="routing-office" on:change=move |ev| office.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|o| view! {
                            <option value=o.id.to_string()>{o.name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || t("redistribution.to")}
                    <select id="routing-to" prop:value=who on:change=move |ev| who.set(event_target_value(&ev))>
                        <option value="">{move || t("redistribution.off")}</option>
                        {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active).map(|u| view! {
                            <option value=format!("user:{}", u.id)>{u.name}</option>
                        }).collect_view()}
                        {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| view! {
                            <option value=format!("group:{}", g.id)>{g.name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{move || t("redistribution.tips")}<input id="routing-tips" inputmode="numeric" bind:value=tips/></label>
                <label>{move || t("redistribution.accept")}<input id="routing-accept" inputmode="numeric" bind:value=accept/></label>
                <label>{move || t("redistribution.contact")}<input id="routing-contact" inputmode="numeric" bind:value=contact/></label>
                <label>{move || t("redistribution.auto_tips")}<input id="routing-auto-tips" inputmode="numeric" bind:value=auto_tips/></label>
                <button type="submit" id="save-routing">{move || t("common.save")}</button>
                {move || message.get().map(|m| match m {
                    Ok(()) => view! { <p class="ok">{t("redistribution.saved")}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </form>
        </section>
    }
}
