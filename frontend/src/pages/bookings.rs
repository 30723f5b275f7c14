//! Bookings on the cards: a listing's viewings (participants, attendance) and bids; a contact's
//! customer meetings (booked in three steps, held or cancelled) and callbacks.

use chrono::{Datelike, NaiveDate};
use crm_types::{
    AttendanceWrite, Bid, BidDecision, BidWrite, CalendarEntry, CallbackWrite, Contact, ContactSummary, Holiday, Meeting, MeetingBooked,
    MeetingChange, MeetingWrite, Page, Property, PropertyWrite, Task, User, Viewing, ViewingWrite,
};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::api::{self, enc};
use crate::i18n::{clock, date_time, local, money, t, today};

/// Finds a contact by name, phone or email; `on_pick` gets the one chosen.
#[component]
pub fn ContactPicker(id: &'static str, on_pick: impl Fn(Uuid, String) + Copy + Send + Sync + 'static) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let found = LocalResource::new(move || {
        let text = q.get();
        async move {
            if text.trim().chars().count() < 2 {
                return Vec::new();
            }
            api::get::<Page<ContactSummary>>(&format!("/api/v1/contacts?q={}&limit=8", enc(&text)))
                .await
                .map(|p| p.items)
                .unwrap_or_default()
        }
    });
    view! {
        <input id=id type="search" maxlength="200" placeholder=move || t("listing.find_contact") prop:value=q on:input=move |ev| q.set(event_target_value(&ev))/>
        <ul class="choices" id=format!("{id}-choices")>
            {move || found.get().unwrap_or_default().into_iter().map(|c| {
                let (cid, name) = (c.id, c.display_name.clone());
                view! { <li><button type="button" class="link" on:click=move |_| { on_pick(cid, name.clone()); q.set(String::new()); }>{c.display_name.clone()}" "<span class="muted">{c.phones.first().cloned().unwrap_or_default()}</span></button></li> }
            }).collect_view()}
        </ul>
    }
}

/// `YYYY-MM-DDTHH:MM` from a date and a time field, read by the server in the user's zone.
fn wall_clock(day: &str, time: &str) -> String {
    format!("{}T{}", day.trim(), time.trim())
}

/// A listing's viewings: book one with participants, record who came, cancel.
#[component]
pub fn Viewings(listing: Uuid) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        reload.get();
        async move { api::get::<Vec<Viewing>>(&format!("/api/v1/properties/{listing}/viewings")).await }
    });
    let day = RwSignal::new(today().to_string());
    let time = RwSignal::new("17:00".to_owned());
    let people = RwSignal::new(Vec::<(Uuid, String)>::new());
    let error = RwSignal::new(None::<String>);
    let book = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ViewingWrite {
            property_id: listing,
            broker_id: None,
            starts_at: wall_clock(&day.get_untracked(), &time.get_untracked()),
            ends_at: None,
            note: None,
            participants: people.get_untracked().into_iter().map(|(id, _)| id).collect(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Viewing>("/api/v1/viewings", &body).await {
                Ok(_) => {
                    people.set(Vec::new());
                    error.set(None);
                    reload.update(|n| *n += 1);
                    api::touch();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let attend = move |viewing: Uuid, contact: Uuid, status: &'static str| {
        leptos::task::spawn_local(async move {
            let body = AttendanceWrite { status: status.to_owned() };
            match api::put::<_, Viewing>(&format!("/api/v1/viewings/{viewing}/participants/{contact}"), &body).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let cancel = move |viewing: Uuid| {
        leptos::task::spawn_local(async move {
            match api::post::<_, Viewing>(&format!("/api/v1/viewings/{viewing}/cancel"), &()).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let add_to_new = move |id: Uuid, name: String| {
        people.update(|p| {
            if !p.iter().any(|(x, _)| *x == id) {
                p.push((id, name))
            }
        })
    };
    view! {
        <div class="card" id="viewings">
            <h2>{move || t("viewing.title")}</h2>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {move || match list.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(vs)) if vs.is_empty() => view! { <p class="muted">{t("viewing.none")}</p> }.into_any(),
                Some(Ok(vs)) => view! {
                    <ul class="viewings" id="viewing-list">
                        {vs.into_iter().map(|v| {
                            let vid = v.id;
                            let cancelled = v.cancelled_at.is_some();
                            view! {
                                <li class:cancelled=cancelled>
                                    <strong>{date_time(&v.starts_at)}</strong>" – "{clock(&v.ends_at)}
                                    {cancelled.then(|| view! { " " <span class="badge">{t("viewing.cancelled")}</span> })}
                                    {(!cancelled).then(|| view! { " " <button class="link" on:click=move |_| cancel(vid)>{t("viewing.cancel")}</button> })}
                                    <ul class="participants">
                                        {v.participants.into_iter().map(|p| {
                                            let cid = p.contact_id;
                                            let status = p.status.clone();
                                            view! {
                                                <li data-status=status.clone()>
                                                    <A href=format!("/contacts/{cid}")>{if p.display_name.is_empty() { t("common.hidden") } else { p.display_name.clone() }}</A>
                                                    " · "{t(&format!("attendance.{status}"))}
                                                    {(!cancelled).then(|| view! {
                                                        " "<button class="link attended" on:click=move |_| attend(vid, cid, "attended")>{t("attendance.mark_attended")}</button>
                                                        " "<button class="link no-show" on:click=move |_| attend(vid, cid, "no_show")>{t("attendance.mark_no_show")}</button>
                                                    })}
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    {(!cancelled).then(|| view! { <div class="add-participant"><ContactPicker id="participant-search" on_pick=move |c, _| attend(vid, c, "booked")/></div> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <form class="row wrap" id="viewing-form" on:submit=book>
                <label>{move || t("booking.date")}<input id="viewing-date" type="date" prop:value=day on:input=move |ev| day.set(event_target_value(&ev))/></label>
                <label>{move || t("booking.time")}<input id="viewing-time" type="time" prop:value=time on:input=move |ev| time.set(event_target_value(&ev))/></label>
                <div>
                    <span class="muted">{move || t("viewing.participants")}": "</span>
                    {move || people.get().into_iter().map(|(_, n)| view! { <span class="badge">{n}</span>" " }).collect_view()}
                    <ContactPicker id="viewing-contact" on_pick=add_to_new/>
                </div>
                <button id="book-viewing" type="submit" class="primary">{move || t("viewing.book")}</button>
            </form>
        </div>
    }
}

/// A listing's bids, the highest first: record one, accept or reject.
#[component]
pub fn Bids(listing: Uuid) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list = LocalResource::new(move || {
        reload.get();
        async move { api::get::<Vec<Bid>>(&format!("/api/v1/properties/{listing}/bids")).await }
    });
    let bidder = RwSignal::new(None::<(Uuid, String)>);
    let amount = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let place = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((contact_id, _)) = bidder.get_untracked() else {
            error.set(Some(t("bid.choose_bidder")));
            return;
        };
        let Ok(value) = amount.get_untracked().trim().replace([' ', '\u{a0}'], "").parse::<i64>() else {
            error.set(Some(t("bid.amount_number")));
            return;
        };
        let body = BidWrite {
            contact_id,
            amount: value,
            placed_at: None,
            note: None,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Bid>(&format!("/api/v1/properties/{listing}/bids"), &body).await {
                Ok(_) => {
                    bidder.set(None);
                    amount.set(String::new());
                    error.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let decide = move |bid: Uuid, status: &'static str| {
        leptos::task::spawn_local(async move {
            match api::put::<_, Bid>(&format!("/api/v1/bids/{bid}"), &BidDecision { status: status.to_owned() }).await {
                Ok(_) => reload.update(|n| *n += 1),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    view! {
        <div class="card" id="bids">
            <h2>{move || t("bid.title")}</h2>
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            {move || match list.get() {
                None => view! { <p class="muted">{t("common.loading")}</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Ok(bs)) if bs.is_empty() => view! { <p class="muted">{t("bid.none")}</p> }.into_any(),
                Some(Ok(bs)) => view! {
                    <table class="list" id="bid-list">
                        <tbody>
                            {bs.into_iter().map(|b| {
                                let id = b.id;
                                let active = b.status == "active";
                                view! {
                                    <tr data-status=b.status.clone()>
                                        <td class="amount">{money(b.amount, &b.currency)}</td>
                                        <td><A href=format!("/contacts/{}", b.contact_id)>{if b.display_name.is_empty() { t("common.hidden") } else { b.display_name.clone() }}</A></td>
                                        <td class="muted">{date_time(&b.placed_at)}</td>
                                        <td>{t(&format!("bid.status.{}", b.status))}</td>
                                        <td>{active.then(|| view! {
                                            <button class="link accept" on:click=move |_| decide(id, "accepted")>{t("bid.accept")}</button>" "
                                            <button class="link" on:click=move |_| decide(id, "rejected")>{t("bid.reject")}</button>" "
                                            <button class="link" on:click=move |_| decide(id, "withdrawn")>{t("bid.withdrawn")}</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <form class="row wrap" id="bid-form" on:submit=place>
                <div>
                    {move || bidder.get().map(|(_, n)| view! { <span class="badge" id="bidder">{n}</span> })}
                    <ContactPicker id="bid-contact" on_pick=move |id, name| bidder.set(Some((id, name)))/>
                </div>
                <label>{move || t("bid.amount")}<input id="bid-amount" inputmode="numeric" maxlength="20" prop:value=amount on:input=move |ev| amount.set(event_target_value(&ev))/></label>
                <button id="place-bid" type="submit" class="primary">{move || t("bid.place")}</button>
            </form>
        </div>
    }
}

/// A day's bookings of one person, and the day's holiday, shown while choosing a time.
#[component]
fn DayAgenda(#[prop(into)] day: Signal<String>, #[prop(into)] user: Signal<String>) -> impl IntoView {
    let agenda = LocalResource::new(move || {
        let (d, u) = (day.get(), user.get());
        async move {
            if NaiveDate::parse_from_str(&d, "%Y-%m-%d").is_err() {
                return (Vec::new(), Vec::new());
            }
            let entries = api::get::<Vec<CalendarEntry>>(&format!("/api/v1/calendar?from={d}&to={d}&user_id={u}"))
                .await
                .unwrap_or_default();
            let off = api::get::<Vec<Holiday>>(&format!("/api/v1/holidays?from={d}&to={d}"))
                .await
                .unwrap_or_default();
            (entries, off)
        }
    });
    view! {
        <div class="agenda" id="booking-agenda">
            {move || agenda.get().map(|(entries, off)| view! {
                {off.into_iter().map(|h| view! { <p class="holiday-name public">{h.name}</p> }).collect_view()}
                {if entries.is_empty() {
                    view! { <p class="muted">{t("booking.free_day")}</p> }.into_any()
                } else {
                    view! { <ul>{entries.into_iter().map(|e| view! {
                        <li class=format!("entry-{}", e.kind)>{clock(&e.starts_at)}"–"{clock(&e.ends_at)}" "{t(&format!("calendar.kind.{}", e.kind))}" "{e.title}</li>
                    }).collect_view()}</ul> }.into_any()
                }}
            })}
        </div>
    }
}

/// Books a customer meeting in three steps: (1) when, who goes, where; (2) the object, always;
/// (3) how the client is told.
#[component]
pub fn BookMeeting(
    contact: Contact,
    place: Option<String>,
    /// What the last booking did; kept by the card, which draws this form again after a booking.
    result: RwSignal<Option<Result<MeetingBooked, String>>>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let me = api::session().me.get_untracked();
    let open = RwSignal::new(false);
    let step = RwSignal::new(1u8);
    let day = RwSignal::new(today().to_string());
    let time = RwSignal::new("10:00".to_owned());
    let user = RwSignal::new(me.as_ref().map(|m| m.id.to_string()).unwrap_or_default());
    let meeting_place = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    // Step 2: the object.
    let suggested: Vec<(Uuid, String)> = contact
        .properties
        .iter()
        .filter(|p| p.role == "seller" && p.status == "customer_processing")
        .map(|p| (p.property_id, p.title.clone()))
        .collect();
    let tab = RwSignal::new(if suggested.is_empty() { "new" } else { "suggested" });
    let object = RwSignal::new(suggested.first().map(|(id, _)| id.to_string()).unwrap_or_default());
    let search = RwSignal::new(String::new());
    let new_street = RwSignal::new(contact.street.clone().unwrap_or_default());
    let new_postal = RwSignal::new(contact.postal_code.clone().unwrap_or_default());
    let new_city = RwSignal::new(contact.summary.city.clone().unwrap_or_default());
    let new_kind = RwSignal::new("apartment".to_owned());
    let confirmation = RwSignal::new(
        me.as_ref()
            .and_then(|m| m.booking_confirmation.clone())
            .unwrap_or_else(|| "none".into()),
    );
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let found = LocalResource::new(move || {
        let q = search.get();
        async move {
            let url = if q.trim().is_empty() {
                "/api/v1/properties?limit=20".to_owned()
            } else {
                format!("/api/v1/properties?reference={}&limit=20", enc(q.trim()))
            };
            api::get::<Page<Property>>(&url).await.map(|p| p.items).unwrap_or_default()
        }
    });
    let suggest_note = RwSignal::new(None::<String>);
    let has_place = place.is_some();
    let place = StoredValue::new(place);
    let suggest = move |_| {
        let Some(place) = place.get_value() else { return };
        leptos::task::spawn_local(async move {
            match api::get::<crm_types::Suggestion>(&format!("/api/v1/focus-areas/suggest?{place}")).await {
                Ok(s) => match s.users.into_iter().next() {
                    Some(u) => {
                        user.set(u.user_id.to_string());
                        suggest_note.set(Some(format!("{} — {}", u.name, u.area)));
                    }
                    None => suggest_note.set(Some(t("areas.nobody"))),
                },
                Err(e) => suggest_note.set(Some(e.error.message)),
            }
        });
    };
    let cid = contact.summary.id;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|v| !v.is_empty());
        let (property_id, new_property) = if tab.get_untracked() == "new" {
            (
                None,
                Some(PropertyWrite {
                    reference: None,
                    kind: new_kind.get_untracked(),
                    status: "customer_processing".into(),
                    street: new_street.get_untracked(),
                    city: new_city.get_untracked(),
                    postal_code: text(new_postal),
                    country: None,
                    lat: None,
                    lon: None,
                    price: None,
                    living_area: None,
                    rooms: None,
                    bedrooms: None,
                    parking_spaces: None,
                    neighbourhood: None,
                    condominium: None,
                    advertised: false,
                    broker_id: Uuid::parse_str(&user.get_untracked()).ok(),
                    contract_date: None,
                    access_date: None,
                }),
            )
        } else {
            (Uuid::parse_str(&object.get_untracked()).ok(), None)
        };
        let body = MeetingWrite {
            contact_id: cid,
            user_id: Uuid::parse_str(&user.get_untracked()).ok(),
            starts_at: wall_clock(&day.get_untracked(), &time.get_untracked()),
            ends_at: None,
            place: text(meeting_place),
            note: text(note),
            property_id,
            new_property,
            confirmation: Some(confirmation.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, MeetingBooked>("/api/v1/meetings", &body).await {
                Ok(b) => {
                    result.set(Some(Ok(b)));
                    step.set(1);
                    open.set(false);
                    if let Ok(me) = api::get::<crm_types::Me>("/api/v1/me").await {
                        api::set_me(me);
                    }
                    api::touch();
                    on_done();
                }
                Err(e) => result.set(Some(Err(e.error.message))),
            }
        });
    };
    let tab_button = move |name: &'static str, label: &'static str| {
        view! { <button type="button" id=format!("object-tab-{name}") class:active=move || tab.get() == name on:click=move |_| tab.set(name)>{move || t(label)}</button> }
    };
    let any_suggested = !suggested.is_empty();
    let suggested = StoredValue::new(suggested);
    view! {
        <section class="card" id="book-meeting">
            <header class="row">
                <h2>{move || t("meeting.book")}</h2>
                <span class="spacer"></span>
                <button id="open-meeting" on:click=move |_| open.update(|o| *o = !*o)>{move || if open.get() { t("common.close") } else { t("meeting.book") }}</button>
            </header>
            {move || result.get().map(|r| match r {
                Ok(b) => view! {
                    <div class="success" id="meeting-booked">
                        <p>{format!("{} {}", t("meeting.booked"), date_time(&b.meeting.starts_at))}</p>
                        {(!b.conflicts.is_empty()).then(|| view! { <p class="warning" id="meeting-conflict">{t("meeting.double_booked")}</p> })}
                        {b.not_sent.into_iter().map(|n| view! { <p class="warning">{t(&format!("meeting.not_sent.{n}"))}</p> }).collect_view()}
                    </div>
                }.into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
            <Show when=move || open.get()>
                <form class="steps" on:submit=submit>
                    <ol class="step-names">
                        {[(1u8, "meeting.step.when"), (2, "meeting.step.object"), (3, "meeting.step.confirm")].map(|(n, k)| view! {
                            <li class:current=move || step.get() == n>{move || t(k)}</li>
                        })}
                    </ol>
                    <Show when=move || step.get() == 1>
                        <div class="row">
                            <label>{move || t("booking.date")}<input id="meeting-date" type="date" prop:value=day on:input=move |ev| day.set(event_target_value(&ev))/></label>
                            <label>{move || t("booking.time")}<input id="meeting-time" type="time" prop:value=time on:input=move |ev| time.set(event_target_value(&ev))/></label>
                            <label>{move || t("meeting.participant")}
                                <select id="meeting-user" on:change=move |ev| user.set(event_target_value(&ev))>
                                    {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active && u.permissions.work_with_clients).map(|u| {
                                        let v = u.id.to_string();
                                        let selected = user.get() == v;
                                        view! { <option value=v selected=selected>{u.name}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            {has_place.then(|| view! { <button type="button" id="meeting-suggest" on:click=suggest>{move || t("areas.suggest_button")}</button> })}
                        </div>
                        {move || suggest_note.get().map(|s| view! { <p class="muted">{s}</p> })}
                        <DayAgenda day=day user=user/>
                        <label>{move || t("meeting.place")}<input id="meeting-place" maxlength="200" placeholder=move || t("meeting.place_home") prop:value=meeting_place on:input=move |ev| meeting_place.set(event_target_value(&ev))/></label>
                        <label>{move || t("meeting.note")}<textarea id="meeting-note" maxlength="2000" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))></textarea></label>
                        <button type="button" id="meeting-next-1" class="primary" on:click=move |_| step.set(2)>{move || t("common.next")}</button>
                    </Show>
                    <Show when=move || step.get() == 2>
                        <div class="tabs row">
                            {any_suggested.then(|| tab_button("suggested", "meeting.object.suggested"))}
                            {tab_button("search", "meeting.object.search")}
                            {tab_button("new", "meeting.object.new")}
                        </div>
                        {
                            move || match tab.get() {
                                "suggested" => view! {
                                    <div>{suggested.get_value().into_iter().map(|(id, title)| {
                                        let v = id.to_string();
                                        let v2 = v.clone();
                                        view! { <label class="check"><input type="radio" name="object" value=v.clone() prop:checked=move || object.get() == v2 on:change=move |_| object.set(v.clone())/>{title}</label> }
                                    }).collect_view()}</div>
                                }.into_any(),
                                "search" => view! {
                                    <div>
                                        <input id="object-search" type="search" maxlength="40" placeholder=move || t("meeting.object.reference") prop:value=search on:input=move |ev| search.set(event_target_value(&ev))/>
                                        <ul class="choices" id="object-choices">
                                            {move || found.get().unwrap_or_default().into_iter().map(|p| {
                                                let v = p.id.to_string();
                                                let v2 = v.clone();
                                                view! { <li><label class="check"><input type="radio" name="object" prop:checked=move || object.get() == v2 on:change=move |_| object.set(v.clone())/>{p.title.clone()}" "<span class="muted">{p.reference.clone().unwrap_or_default()}</span></label></li> }
                                            }).collect_view()}
                                        </ul>
                                    </div>
                                }.into_any(),
                                _ => view! {
                                    <div class="row" id="new-object">
                                        <label>{move || t("listing.kind")}
                                            <select id="new-object-kind" on:change=move |ev| new_kind.set(event_target_value(&ev))>
                                                {crate::pages::listings::KINDS.map(|k| view! { <option value=k selected=move || new_kind.get() == k>{move || t(&format!("property.kind.{k}"))}</option> })}
                                            </select>
                                        </label>
                                        <label>{move || t("form.street")}<input id="new-object-street" maxlength="200" prop:value=new_street on:input=move |ev| new_street.set(event_target_value(&ev))/></label>
                                        <label>{move || t("form.postal_code")}<input id="new-object-postal" maxlength="20" prop:value=new_postal on:input=move |ev| new_postal.set(event_target_value(&ev))/></label>
                                        <label>{move || t("form.city")}<input id="new-object-city" maxlength="100" prop:value=new_city on:input=move |ev| new_city.set(event_target_value(&ev))/></label>
                                    </div>
                                }.into_any(),
                            }
                        }
                        <div class="row">
                            <button type="button" on:click=move |_| step.set(1)>{move || t("common.back")}</button>
                            <button type="button" id="meeting-next-2" class="primary" on:click=move |_| step.set(3)>{move || t("common.next")}</button>
                        </div>
                    </Show>
                    <Show when=move || step.get() == 3>
                        <fieldset id="meeting-confirmation">
                            <legend>{move || t("meeting.confirmation")}</legend>
                            {["none", "email", "sms", "both"].map(|c| view! {
                                <label class="check"><input type="radio" name="confirmation" value=c id=format!("confirm-{c}") prop:checked=move || confirmation.get() == c on:change=move |_| confirmation.set(c.to_owned())/>{move || t(&format!("meeting.confirm.{c}"))}</label>
                            })}
                        </fieldset>
                        <div class="row">
                            <button type="button" on:click=move |_| step.set(2)>{move || t("common.back")}</button>
                            <button type="submit" id="meeting-save" class="primary">{move || t("meeting.book")}</button>
                        </div>
                    </Show>
                </form>
            </Show>
        </section>
    }
}

/// A contact's meetings: record the outcome of a booked one, or cancel it.
#[component]
pub fn Meetings(
    contact: Uuid,
    #[prop(into)] reload: Signal<u32>,
    /// The meeting a callback follows up, chosen here for the callback form.
    follow_up: RwSignal<Option<(Uuid, String)>>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let list = LocalResource::new(move || {
        reload.get();
        async move { api::get::<Vec<Meeting>>(&format!("/api/v1/contacts/{contact}/meetings")).await }
    });
    let error = RwSignal::new(None::<String>);
    let change = move |id: Uuid, body: MeetingChange| {
        leptos::task::spawn_local(async move {
            match api::post::<_, Meeting>(&format!("/api/v1/meetings/{id}/status"), &body).await {
                Ok(_) => {
                    error.set(None);
                    api::touch();
                    on_done();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let held = move |id: Uuid, outcome: &'static str| {
        change(
            id,
            MeetingChange {
                status: "held".into(),
                outcome: Some(outcome.into()),
                cancelled_by: None,
                reason: None,
            },
        )
    };
    let cancel = move |id: Uuid, by: &'static str| {
        change(
            id,
            MeetingChange {
                status: "cancelled".into(),
                outcome: None,
                cancelled_by: Some(by.into()),
                reason: None,
            },
        )
    };
    view! {
        {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        {move || list.get().and_then(Result::ok).filter(|l| !l.is_empty()).map(|l| view! {
            <ul class="meetings" id="meeting-list">
                {l.into_iter().map(|m| {
                    let id = m.id;
                    let booked = m.status == "booked";
                    let state = match (&m.outcome, &m.cancelled_by) {
                        (Some(o), _) => t(&format!("meeting.outcome.{o}")),
                        (_, Some(by)) => t(&format!("meeting.cancelled_by.{by}")),
                        _ => t("meeting.status.booked"),
                    };
                    let label = format!("{} · {}", date_time(&m.starts_at), m.property_title);
                    view! {
                        <li data-status=m.status.clone()>
                            <strong>{date_time(&m.starts_at)}</strong>" · "
                            <A href=format!("/listings/{}", m.property_id)>{m.property_title.clone()}</A>" · "
                            <span>{state}</span>
                            {(m.status == "held").then(|| view! {
                                " "<button class="link follow-up" on:click=move |_| follow_up.set(Some((id, label.clone())))>{t("callback.follow_up")}</button>
                            })}
                            {booked.then(|| view! {
                                <div class="row actions">
                                    <button class="link" on:click=move |_| held(id, "assignment")>{t("meeting.outcome.assignment")}</button>
                                    <button class="link held-no" on:click=move |_| held(id, "no_assignment")>{t("meeting.outcome.no_assignment")}</button>
                                    <button class="link" on:click=move |_| cancel(id, "client")>{t("meeting.cancel.client")}</button>
                                    <button class="link" on:click=move |_| cancel(id, "broker")>{t("meeting.cancel.broker")}</button>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

/// Plans a callback: a day (up to two years ahead), an optional time, for oneself, a colleague
/// or the office's shark tank.
#[component]
pub fn PlanCallback(
    contact: Uuid,
    listings: Vec<(Uuid, String)>,
    /// What the last plan did; kept by the card, which draws this form again afterwards.
    status: RwSignal<Option<Result<Task, String>>>,
    /// The meeting this callback follows up (its listing becomes the callback's).
    follow_up: RwSignal<Option<(Uuid, String)>>,
    on_done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let me = api::session().me.get_untracked();
    let day = RwSignal::new(today().succ_opt().unwrap_or_else(today).to_string());
    let time = RwSignal::new(String::new());
    let to = RwSignal::new(me.as_ref().map(|m| format!("user:{}", m.id)).unwrap_or_default());
    let listing = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let max = crate::i18n::today()
        .with_year(crate::i18n::today().year() + 2)
        .unwrap_or_else(today)
        .to_string();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let target = to.get_untracked();
        let (assignee_id, office_id) = match target.split_once(':') {
            Some(("office", id)) => (None, Uuid::parse_str(id).ok()),
            Some((_, id)) => (Uuid::parse_str(id).ok(), None),
            None => (None, None),
        };
        let body = CallbackWrite {
            contact_id: contact,
            date: day.get_untracked(),
            time: Some(time.get_untracked()).filter(|t| !t.trim().is_empty()),
            property_id: Uuid::parse_str(&listing.get_untracked()).ok(),
            meeting_id: follow_up.get_untracked().map(|(id, _)| id),
            assignee_id,
            office_id,
            note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, Task>("/api/v1/callbacks", &body).await {
                Ok(task) => {
                    status.set(Some(Ok(task)));
                    note.set(String::new());
                    follow_up.set(None);
                    api::touch();
                    on_done();
                }
                Err(e) => status.set(Some(Err(e.error.message))),
            }
        });
    };
    view! {
        <section class="card" id="plan-callback">
            <h2>{move || t("callback.title")}</h2>
            {move || follow_up.get().map(|(_, label)| view! {
                <p class="muted" id="callback-following">{t("callback.following")}": "{label}" "
                    <button class="link" on:click=move |_| follow_up.set(None)>"×"</button>
                </p>
            })}
            <form on:submit=submit>
                <div class="row">
                    <label>{move || t("booking.date")}<input id="callback-date" type="date" max=max prop:value=day on:input=move |ev| day.set(event_target_value(&ev))/></label>
                    <label>{move || t("callback.time")}<input id="callback-time" type="time" prop:value=time on:input=move |ev| time.set(event_target_value(&ev))/></label>
                    <label>{move || t("callback.for")}
                        <select id="callback-for" on:change=move |ev| to.set(event_target_value(&ev))>
                            {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active && u.permissions.work_with_clients).map(|u| {
                                let v = format!("user:{}", u.id);
                                let selected = to.get_untracked() == v;
                                view! { <option value=v selected=selected>{u.name}</option> }
                            }).collect_view()}
                            {me.as_ref().map(|m| view! { <option value=format!("office:{}", m.office_id)>{format!("{} ({})", t("callback.tank"), m.office_name)}</option> })}
                        </select>
                    </label>
                    {(!listings.is_empty()).then(|| view! {
                        <label>{move || t("callback.listing")}
                            <select id="callback-listing" on:change=move |ev| listing.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {listings.clone().into_iter().map(|(id, title)| view! { <option value=id.to_string()>{title}</option> }).collect_view()}
                            </select>
                        </label>
                    })}
                </div>
                <label>{move || t("meeting.note")}<input id="callback-note" maxlength="2000" prop:value=note on:input=move |ev| note.set(event_target_value(&ev))/></label>
                {move || status.get().map(|s| match s {
                    Ok(task) => view! { <p class="success" id="callback-planned">{t("callback.planned")}" "{task.due_at.map(|d| if task.timed { date_time(&d) } else { crate::i18n::date(&local_day_end(d)) }).unwrap_or_default()}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
                <button id="plan-callback-save" type="submit">{move || t("callback.plan")}</button>
            </form>
        </section>
    }
}

/// A day-long task is due at the end of its day (the next midnight): show the day itself.
fn local_day_end(due: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    due - chrono::Duration::minutes(1)
}

/// The day an instant falls on in the user's time zone.
pub fn local_day(at: &chrono::DateTime<chrono::Utc>) -> NaiveDate {
    local(at).date()
}
