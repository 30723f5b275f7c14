//! A contact's card: details, listings, demands, the timeline, notes and hand-over.

use crm_types::{Contact, Demand, DemandWrite, HandoverRequest, NoteWrite, Slice, TimelineEntry, User};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::{self, enc};
use crate::i18n::{date_time, money, t};
use crate::pages::bookings::{BookMeeting, Meetings, PlanCallback};
use crate::pages::contacts::{kind_badge, phone_link};
use crate::pages::login::RequireSession;

#[component]
pub fn ContactPage() -> impl IntoView {
    view! { <RequireSession><Card/></RequireSession> }
}

/// One timeline entry.
pub fn entry_view(e: TimelineEntry) -> impl IntoView {
    let class = format!("entry entry-{}", e.kind);
    view! {
        <li class=class>
            <div class="meta">{date_time(&e.created_at)}" · "{e.author_name.unwrap_or_default()}</div>
            <div class="body">{e.body}</div>
        </li>
    }
}

#[component]
fn Card() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reload = RwSignal::new(0u32);
    let contact = LocalResource::new(move || {
        let id = id();
        reload.get();
        async move { api::get::<Contact>(&format!("/api/v1/contacts/{id}")).await }
    });
    let currency = move || api::session().me.get().map(|m| m.company.currency).unwrap_or_default();
    let bump = move || reload.update(|n| *n += 1);
    // Outcomes of the booking forms outlive the card's redraw after a booking.
    let booked = RwSignal::new(None);
    let planned = RwSignal::new(None);
    let following = RwSignal::new(None);

    view! {
        {move || match contact.get() {
            None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
            Some(Err(e)) if e.status == 404 => view! { <p class="muted" id="contact-gone">{t("contact.gone")}</p> }.into_any(),
            Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
            Some(Ok(c)) => {
                let s = c.summary.clone();
                let address = [c.street.clone(), c.postal_code.clone(), s.city.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
                let cur = currency();
                view! {
                    <section class="contact-card">
                        <header class="row">
                            <h1 id="contact-name">{s.display_name.clone()}</h1>
                            {kind_badge(&s.kind)}
                            {s.on_offer.then(|| view! { <span class="badge side">{t("contact.side.offer")}</span> })}
                            {s.on_demand.then(|| view! { <span class="badge side">{t("contact.side.demand")}</span> })}
                            <span class="spacer"></span>
                            <A href=format!("/contacts/{}/edit", s.id) attr:class="button">{t("contact.edit")}</A>
                        </header>
                        <div class="grid">
                            <div class="card">
                                <h2>{t("contact.details")}</h2>
                                <dl>
                                    <dt>{t("contacts.phone")}</dt><dd>{s.phones.iter().cloned().map(phone_link).collect_view()}</dd>
                                    <dt>{t("contacts.email")}</dt><dd>{s.emails.join(", ")}</dd>
                                    <dt>{t("contact.address")}</dt><dd>{address}</dd>
                                    <dt>{t("contacts.owner")}</dt><dd id="contact-owner">{format!("{} · {}", s.owner_name, s.office_name)}</dd>
                                </dl>
                                {c.opted_out.then(|| view! { <p class="warning">{t("contact.opted_out")}</p> })}
                            </div>
                            <div class="card">
                                <h2>{t("contact.properties")}</h2>
                                {if c.properties.is_empty() {
                                    view! { <p class="muted">{t("contact.no_properties")}</p> }.into_any()
                                } else {
                                    view! { <ul id="contact-listings">{c.properties.clone().into_iter().map(|p| view! {
                                        <li><A href=format!("/listings/{}", p.property_id)>{p.title.clone()}</A>" — "{t(&format!("party.{}", p.role))}" · "{t(&format!("status.{}", p.status))}</li>
                                    }).collect_view()}</ul> }.into_any()
                                }}
                                <h2>{t("contact.demands")}</h2>
                                <Demands contact_id=s.id demands=c.demands.clone() currency=cur on_done=bump/>
                            </div>
                        </div>
                        <crate::pages::calls::CallPanel contact_id=s.id on_done=bump/>
                        <div class="card">
                            <h2>{t("meeting.title")}</h2>
                            <Meetings contact=s.id reload=reload follow_up=following on_done=bump/>
                        </div>
                        <BookMeeting contact=c.clone() place=place_query(&c) result=booked on_done=bump/>
                        <PlanCallback contact=s.id listings=c.properties.iter().map(|p| (p.property_id, p.title.clone())).collect() status=planned follow_up=following on_done=bump/>
                        <HandOver contact_id=s.id place=place_query(&c) on_done=bump/>
                        <SendTip contact_id=s.id on_done=bump/>
                    </section>
                }.into_any()
            }
        }}
        <Timeline contact_id=Signal::derive(id) reload=reload/>
    }
}

#[component]
fn Timeline(#[prop(into)] contact_id: Signal<String>, reload: RwSignal<u32>) -> impl IntoView {
    // Pages loaded so far; "more" adds the next.
    let entries = RwSignal::new(Vec::<TimelineEntry>::new());
    let next = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let load = move |cursor: Option<String>| {
        let id = contact_id.get_untracked();
        leptos::task::spawn_local(async move {
            let url = format!(
                "/api/v1/contacts/{id}/timeline?limit=30{}",
                cursor.as_deref().map(|c| format!("&cursor={}", enc(c))).unwrap_or_default()
            );
            match api::get::<Slice<TimelineEntry>>(&url).await {
                Ok(page) => {
                    if cursor.is_none() {
                        entries.set(page.items);
                    } else {
                        entries.update(|e| e.extend(page.items));
                    }
                    next.set(page.next_cursor);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    Effect::new(move |_| {
        contact_id.get();
        reload.get();
        load(None);
    });
    view! {
        <section class="card">
            <h2>{move || t("contact.timeline")}</h2>
            <NoteForm contact_id=contact_id on_done=move || reload.update(|n| *n += 1)/>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <ul class="timeline" id="timeline">
                {move || entries.get().into_iter().map(entry_view).collect_view()}
            </ul>
            <Show when=move || next.get().is_some()>
                <button id="timeline-more" on:click=move |_| load(next.get_untracked())>{move || t("common.more")}</button>
            </Show>
        </section>
    }
}

#[component]
fn NoteForm(#[prop(into)] contact_id: Signal<String>, on_done: impl Fn() + Copy + 'static) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = contact_id.get_untracked();
        let body = NoteWrite {
            body: text.get_untracked(),
            property_id: None,
            demand_id: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, TimelineEntry>(&format!("/api/v1/contacts/{id}/notes"), &body).await {
                Ok(_) => {
                    text.set(String::new());
                    error.set(None);
                    on_done();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        <form class="note" on:submit=submit>
            <textarea id="note-text" maxlength="10000" placeholder=move || t("contact.note.placeholder") prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            <button id="add-note" type="submit">{move || t("contact.note.add")}</button>
        </form>
    }
}

/// A price range in the company's currency.
fn price_range(d: &Demand, cur: &str) -> String {
    match (d.min_price, d.max_price) {
        (Some(lo), Some(hi)) => format!("{} – {}", money(lo, cur), money(hi, cur)),
        (None, Some(hi)) => format!("≤ {}", money(hi, cur)),
        (Some(lo), None) => format!("≥ {}", money(lo, cur)),
        (None, None) => String::new(),
    }
}

/// The contact's demands, with a form to add one and a button to close an open one.
#[component]
fn Demands(contact_id: Uuid, demands: Vec<Demand>, currency: String, on_done: impl Fn() + Copy + 'static) -> impl IntoView {
    let area = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let min = RwSignal::new(String::new());
    let max = RwSignal::new(String::new());
    let rooms = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let parse = |s: String| s.trim().replace([' ', '\u{a0}'], "").parse::<i64>().ok();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = DemandWrite {
            contact_id,
            active: true,
            kind: Some(kind.get_untracked()).filter(|k| !k.is_empty()),
            min_price: parse(min.get_untracked()),
            max_price: parse(max.get_untracked()),
            min_rooms: rooms.get_untracked().trim().replace(',', ".").parse().ok(),
            area: Some(area.get_untracked()).filter(|a| !a.trim().is_empty()),
            note: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Demand>("/api/v1/demands", &body).await {
                Ok(_) => {
                    error.set(None);
                    area.set(String::new());
                    on_done();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let close = move |d: Demand| {
        let body = DemandWrite {
            contact_id: d.contact_id,
            active: false,
            kind: d.kind.clone(),
            min_price: d.min_price,
            max_price: d.max_price,
            min_rooms: d.min_rooms,
            area: d.area.clone(),
            note: d.note.clone(),
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, Demand>(&format!("/api/v1/demands/{}", d.id), &body).await {
                Ok(_) => on_done(),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let list = if demands.is_empty() {
        view! { <p class="muted">{t("contact.no_demands")}</p> }.into_any()
    } else {
        view! {
            <ul id="contact-demands">
                {demands.into_iter().map(|d| {
                    let range = price_range(&d, &currency);
                    let kind = d.kind.clone().map(|k| t(&format!("property.kind.{k}"))).unwrap_or_default();
                    let active = d.active;
                    let dd = d.clone();
                    view! {
                        <li class:closed=!active>
                            {d.area.clone().unwrap_or_default()}" "{kind}" "{range}
                            {(!active).then(|| view! { " · "<span class="muted">{t("demand.closed")}</span> })}
                            {active.then(|| view! { " "<button class="link" on:click=move |_| close(dd.clone())>{t("demand.close")}</button> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {list}
        <details class="add-demand">
            <summary>{move || t("demand.add")}</summary>
            <form on:submit=submit>
                <label>{move || t("demand.area")}<input id="demand-area" maxlength="500" prop:value=area on:input=move |ev| area.set(event_target_value(&ev))/></label>
                <label>{move || t("listing.kind")}
                    <select on:change=move |ev| kind.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {["apartment", "house", "cottage", "plot", "commercial"].map(|k| view! { <option value=k>{move || t(&format!("property.kind.{k}"))}</option> })}
                    </select>
                </label>
                <div class="row">
                    <label>{move || t("demand.min_price")}<input inputmode="numeric" prop:value=min on:input=move |ev| min.set(event_target_value(&ev))/></label>
                    <label>{move || t("demand.max_price")}<input id="demand-max" inputmode="numeric" prop:value=max on:input=move |ev| max.set(event_target_value(&ev))/></label>
                    <label>{move || t("demand.min_rooms")}<input inputmode="decimal" prop:value=rooms on:input=move |ev| rooms.set(event_target_value(&ev))/></label>
                </div>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
                <button id="demand-save" type="submit">{move || t("common.save")}</button>
            </form>
        </details>
    }
}

/// Where "suggest a broker" looks: the contact's coordinate, else its address (for the geocoder).
fn place_query(c: &crm_types::Contact) -> Option<String> {
    if let (Some(lat), Some(lon)) = (c.lat, c.lon) {
        return Some(format!("lat={lat}&lon={lon}"));
    }
    let parts: Vec<String> = [("street", &c.street), ("postal_code", &c.postal_code), ("city", &c.summary.city)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().filter(|v| !v.trim().is_empty()).map(|v| format!("{k}={}", api::enc(v))))
        .collect();
    (!parts.is_empty()).then(|| parts.join("&"))
}

#[component]
fn HandOver(contact_id: Uuid, place: Option<String>, on_done: impl Fn() + Copy + 'static) -> impl IntoView {
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let to = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());
    let email = RwSignal::new(true);
    let status = RwSignal::new(None::<Result<(), String>>);
    let me = move || api::session().me.get();
    // "Suggest by focus area": the first colleague whose area holds the client's address.
    let suggested = RwSignal::new(None::<String>);
    let has_place = place.is_some();
    let suggest = move |_| {
        let Some(place) = place.clone() else { return };
        leptos::task::spawn_local(async move {
            match api::get::<crm_types::Suggestion>(&format!("/api/v1/focus-areas/suggest?{place}")).await {
                Ok(s) => match s.users.into_iter().find(|u| me().is_some_and(|m| m.id != u.user_id)) {
                    Some(u) => {
                        to.set(u.user_id.to_string());
                        suggested.set(Some(format!("{} — {}", u.name, u.area)));
                    }
                    None => suggested.set(Some(t("areas.nobody"))),
                },
                Err(e) => suggested.set(Some(e.error.message)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(to_user_id) = Uuid::parse_str(&to.get_untracked()) else {
            return;
        };
        let body = HandoverRequest {
            to_user_id,
            message: Some(message.get_untracked()),
            notify_email: Some(email.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, ()>(&format!("/api/v1/contacts/{contact_id}/handover"), &body).await {
                Ok(()) => {
                    status.set(Some(Ok(())));
                    message.set(String::new());
                    api::touch();
                    on_done();
                }
                Err(e) => status.set(Some(Err(e.error.message))),
            }
        });
    };
    view! {
        <details class="card handover">
            <summary>{move || t("contact.handover")}</summary>
            <form on:submit=submit>
                <label>{move || t("contact.handover.to")}
                    <select id="handover-to" required prop:value=to on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || {
                            let me = me();
                            users.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .filter(|u| u.active && u.permissions.work_with_clients && me.as_ref().is_some_and(|m| m.id != u.id && (m.office_id == u.office_id || m.permissions.admin)))
                                .map(|u| view! { <option value=u.id.to_string()>{format!("{} · {}", u.name, u.office_name)}</option> })
                                .collect_view()
                        }}
                    </select>
                </label>
                {has_place.then(|| view! {
                    <p class="row">
                        <button type="button" class="link" id="handover-suggest" on:click=suggest>{move || t("areas.suggest_button")}</button>
                        <span class="hint" id="handover-suggestion">{move || suggested.get().unwrap_or_default()}</span>
                    </p>
                })}
                <label>{move || t("contact.handover.message")}
                    <input id="handover-message" type="text" maxlength="2000" prop:value=message on:input=move |ev| message.set(event_target_value(&ev))/>
                </label>
                <label class="check"><input type="checkbox" prop:checked=email on:change=move |ev| email.set(event_target_checked(&ev))/>{move || t("contact.handover.email")}</label>
                <button id="handover-submit" type="submit">{move || t("contact.handover.submit")}</button>
                {move || status.get().map(|s| match s {
                    Ok(()) => view! { <p class="ok">{t("contact.handover.done")}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </form>
        </details>
    }
}

/// A tip about this contact to a colleague, a group or an office, with an optional note.
#[component]
pub fn SendTip(
    contact_id: Uuid,
    on_done: impl Fn() + Copy + 'static,
    /// Shown unfolded (where the user chose "tip" already).
    #[prop(optional)]
    open: bool,
) -> impl IntoView {
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let groups = LocalResource::new(|| api::get::<Vec<crm_types::Group>>("/api/v1/groups"));
    let offices = LocalResource::new(|| api::get::<Vec<crm_types::Office>>("/api/v1/offices"));
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let status = RwSignal::new(None::<Result<(), String>>);
    let me = move || api::session().me.get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = to.get_untracked();
        let id = chosen.split_once(':').and_then(|(_, id)| Uuid::parse_str(id).ok());
        let mut body = crm_types::TipWrite {
            to_user_id: None,
            to_group_id: None,
            to_office_id: None,
            note: Some(note.get_untracked()),
        };
        match chosen.split_once(':').map(|(k, _)| k) {
            Some("user") => body.to_user_id = id,
            Some("group") => body.to_group_id = id,
            Some("office") => body.to_office_id = id,
            _ => return,
        }
        leptos::task::spawn_local(async move {
            match api::post::<_, crm_types::InboxItem>(&format!("/api/v1/contacts/{contact_id}/tips"), &body).await {
                Ok(_) => {
                    status.set(Some(Ok(())));
                    note.set(String::new());
                    api::touch();
                    on_done();
                }
                Err(e) => status.set(Some(Err(e.error.message))),
            }
        });
    };
    view! {
        <details class="card tip" open=open>
            <summary>{move || t("contact.tip")}</summary>
            <form on:submit=submit>
                <label>{move || t("contact.tip.to")}
                    <select id="tip-to" required on:change=move |ev| to.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        <optgroup label=move || t("contact.tip.colleagues")>
                            {move || {
                                let me = me();
                                users.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                    .filter(|u| u.active && u.permissions.work_with_clients && me.as_ref().is_some_and(|m| m.id != u.id))
                                    .map(|u| view! { <option value=format!("user:{}", u.id)>{format!("{} · {}", u.name, u.office_name)}</option> })
                                    .collect_view()
                            }}
                        </optgroup>
                        <optgroup label=move || t("contact.tip.groups")>
                            {move || groups.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .map(|g| view! { <option value=format!("group:{}", g.id)>{g.name}</option> })
                                .collect_view()}
                        </optgroup>
                        <optgroup label=move || t("contact.tip.offices")>
                            {move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter()
                                .map(|o| view! { <option value=format!("office:{}", o.id)>{o.name}</option> })
                                .collect_view()}
                        </optgroup>
                    </select>
                </label>
                <label>{move || t("contact.tip.note")}
                    <input id="tip-note" type="text" maxlength="2000" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))/>
                </label>
                <button id="tip-submit" type="submit">{move || t("contact.tip.send")}</button>
                {move || status.get().map(|s| match s {
                    Ok(()) => view! { <p class="ok">{t("contact.tip.sent")}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </form>
        </details>
    }
}
