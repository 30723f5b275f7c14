//! Segmentation: filter contacts by what brokers ask (the list's filters, the call pipeline,
//! dates, viewings, bids, demands, opt-out), see the count and the contacts, pick some or take
//! all, and act: email or SMS through the outbox, a call list, a newsletter list, a spreadsheet.
//! Filters are saved privately or shared with the office.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use crm_types::{
    CallList, ContactSelection, ContactSummary, NewsletterListView, Page, SavedFilterView, SavedFilterWrite, SegmentAction,
    SegmentActionResult, SegmentQuery, SegmentTarget,
};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use crate::api;
use crate::i18n::{number, t};
use crate::pages::call_lists::SelectionFields;
use crate::pages::login::RequireSession;

const PAGE: u64 = 50;

fn message(e: api::Failure) -> String {
    format!("{}{}", e.error.field.map(|f| format!("{f}: ")).unwrap_or_default(), e.error.message)
}

/// A date field of the selection.
fn date_field(
    selection: RwSignal<ContactSelection>,
    id: &'static str,
    label: &'static str,
    get: fn(&ContactSelection) -> Option<NaiveDate>,
    set: fn(&mut ContactSelection, Option<NaiveDate>),
) -> impl IntoView {
    view! {
        <label>{move || t(label)}
            <input type="date" id=id prop:value=move || get(&selection.get()).map(|d| d.to_string()).unwrap_or_default()
                on:change=move |ev| selection.update(|s| set(s, event_target_value(&ev).parse().ok()))/>
        </label>
    }
}

#[component]
pub fn SegmentsPage() -> impl IntoView {
    view! { <RequireSession><Segments/></RequireSession> }
}

#[component]
fn Segments() -> impl IntoView {
    let selection = RwSignal::new(ContactSelection::default());
    // The selection the shown page was read with (actions use it, not later edits).
    let shown = RwSignal::new(None::<ContactSelection>);
    let page = RwSignal::new(None::<Result<Page<ContactSummary>, String>>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let picked = RwSignal::new(BTreeSet::<Uuid>::new());
    let reload_saved = RwSignal::new(0u32);
    let saved = LocalResource::new(move || {
        reload_saved.get();
        async { api::get::<Vec<SavedFilterView>>("/api/v1/saved-filters").await.unwrap_or_default() }
    });
    let can_export = move || api::session().me.get().is_some_and(|m| m.permissions.export);

    let read = move |cursor: Option<String>| {
        let filter = shown.get_untracked().unwrap_or_default();
        leptos::task::spawn_local(async move {
            let q = SegmentQuery {
                filter,
                cursor,
                limit: Some(PAGE),
            };
            page.set(Some(
                api::post::<_, Page<ContactSummary>>("/api/v1/segments/preview", &q)
                    .await
                    .map_err(message),
            ));
        });
    };
    let show = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        shown.set(Some(selection.get_untracked()));
        picked.set(BTreeSet::new());
        cursors.set(vec![None]);
        read(None);
    };
    let next = move |_| {
        if let Some(Ok(p)) = page.get_untracked()
            && let Some(c) = p.next_cursor
        {
            cursors.update(|v| v.push(Some(c.clone())));
            read(Some(c));
        }
    };
    let prev = move |_| {
        cursors.update(|v| {
            v.pop();
        });
        read(cursors.get_untracked().last().cloned().flatten());
    };

    // Saving and loading filters.
    let save_name = RwSignal::new(String::new());
    let save_shared = RwSignal::new(false);
    let save_note = RwSignal::new(None::<Result<String, String>>);
    // The saved filter loaded, when it is the user's own (changed or deleted in place).
    let loaded = RwSignal::new(None::<Uuid>);
    let me = move || api::session().me.get().map(|m| m.id);
    let save = move |update: bool| {
        let body = SavedFilterWrite {
            name: save_name.get_untracked(),
            filter: selection.get_untracked(),
            shared: save_shared.get_untracked(),
        };
        let target = loaded.get_untracked().filter(|_| update);
        leptos::task::spawn_local(async move {
            let saved = match target {
                Some(id) => api::put::<_, SavedFilterView>(&format!("/api/v1/saved-filters/{id}"), &body).await,
                None => api::post::<_, SavedFilterView>("/api/v1/saved-filters", &body).await,
            };
            match saved {
                Ok(f) => {
                    loaded.set(Some(f.id));
                    save_note.set(Some(Ok(f.name)));
                    reload_saved.update(|n| *n += 1);
                }
                Err(e) => save_note.set(Some(Err(message(e)))),
            }
        });
    };
    let remove = move |_| {
        let Some(id) = loaded.get_untracked() else { return };
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/v1/saved-filters/{id}")).await {
                Ok(()) => {
                    loaded.set(None);
                    save_note.set(None);
                    reload_saved.update(|n| *n += 1);
                }
                Err(e) => save_note.set(Some(Err(message(e)))),
            }
        });
    };
    let load = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        match saved
            .get_untracked()
            .and_then(|all| all.into_iter().find(|f| f.id.to_string() == id))
        {
            Some(f) => {
                loaded.set((Some(f.created_by) == me()).then_some(f.id));
                selection.set(f.filter);
                save_name.set(f.name);
                save_shared.set(f.shared);
            }
            None => loaded.set(None),
        }
    };
    let letters = LocalResource::new(|| async {
        api::get::<Vec<NewsletterListView>>("/api/v1/newsletter-lists")
            .await
            .unwrap_or_default()
    });

    let flag = move |s: &ContactSelection| match s.opted_out {
        None => "",
        Some(true) => "yes",
        Some(false) => "no",
    };
    view! {
        <section class="card">
            <header class="row">
                <h1>{move || t("segments.title")}</h1>
                <span class="spacer"></span>
                <label>{move || t("segments.saved")}
                    <select id="saved-filter" on:change=load>
                        <option value="">"—"</option>
                        {move || saved.get().unwrap_or_default().into_iter().map(|f| {
                            let label = if f.shared { format!("{} · {}", f.name, f.created_by_name) } else { f.name.clone() };
                            view! { <option value=f.id.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </header>
            <form id="segment-form" on:submit=show>
                <SelectionFields selection=selection prefix="seg"/>
                <fieldset class="row selection">
                    {date_field(selection, "seg-created-from", "segments.created_from", |s| s.created_from, |s, d| s.created_from = d)}
                    {date_field(selection, "seg-created-to", "segments.created_to", |s| s.created_to, |s, d| s.created_to = d)}
                    {date_field(selection, "seg-contacted-since", "segments.contacted_since", |s| s.contacted_since, |s, d| s.contacted_since = d)}
                    {date_field(selection, "seg-not-contacted-since", "segments.not_contacted_since", |s| s.not_contacted_since, |s, d| s.not_contacted_since = d)}
                </fieldset>
                <fieldset class="row selection">
                    {date_field(selection, "seg-viewing-from", "segments.viewing_from", |s| s.viewing_from, |s, d| s.viewing_from = d)}
                    {date_field(selection, "seg-viewing-to", "segments.viewing_to", |s| s.viewing_to, |s, d| s.viewing_to = d)}
                    {date_field(selection, "seg-no-meeting-since", "segments.no_meeting_since", |s| s.no_meeting_since, |s, d| s.no_meeting_since = d)}
                </fieldset>
                <fieldset class="row selection">
                    {date_field(selection, "seg-bid-from", "segments.bid_from", |s| s.bid_from, |s, d| s.bid_from = d)}
                    {date_field(selection, "seg-bid-to", "segments.bid_to", |s| s.bid_to, |s, d| s.bid_to = d)}
                    <label class="check"><input type="checkbox" id="seg-not-buyer" prop:checked=move || selection.get().not_buyer
                        on:change=move |ev| selection.update(|s| s.not_buyer = event_target_checked(&ev))/>{move || t("segments.not_buyer")}</label>
                </fieldset>
                <fieldset class="row selection">
                    <label>{move || t("segments.demand_area")}
                        <input id="seg-demand-area" maxlength="100" prop:value=move || selection.get().demand_area.unwrap_or_default()
                            on:input=move |ev| selection.update(|s| s.demand_area = Some(event_target_value(&ev)).filter(|v| !v.trim().is_empty()))/>
                    </label>
                    <label>{move || t("segments.demand_price")}
                        <input id="seg-demand-price" type="number" min="0" prop:value=move || selection.get().demand_price.map(|p| p.to_string()).unwrap_or_default()
                            on:input=move |ev| selection.update(|s| s.demand_price = event_target_value(&ev).parse().ok())/>
                    </label>
                    <label>{move || t("segments.opted_out")}
                        <select id="seg-opted-out" prop:value=move || flag(&selection.get()) on:change=move |ev| selection.update(|s| s.opted_out = match event_target_value(&ev).as_str() {
                            "yes" => Some(true),
                            "no" => Some(false),
                            _ => None,
                        })>
                            <option value="">"—"</option>
                            <option value="yes">{move || t("common.yes")}</option>
                            <option value="no">{move || t("common.no")}</option>
                        </select>
                    </label>
                    <label>{move || t("segments.on_newsletter")}
                        <select id="seg-newsletter" on:change=move |ev| selection.update(|s| s.newsletter_id = Uuid::parse_str(&event_target_value(&ev)).ok())>
                            <option value="">"—"</option>
                            {move || letters.get().unwrap_or_default().into_iter().map(|l| {
                                let id = l.id;
                                view! {
                                    <option value=id.to_string() selected=move || selection.get().newsletter_id == Some(id)>
                                        {format!("{} ({})", l.name, number(l.members as f64))}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </label>
                </fieldset>
                <div class="row">
                    <button type="submit" class="primary" id="segment-show">{move || t("segments.show")}</button>
                    <button type="button" id="segment-clear" on:click=move |_| selection.set(ContactSelection::default())>{move || t("segments.clear")}</button>
                    <span class="spacer"></span>
                    <input id="save-name" maxlength="200" placeholder=move || t("segments.save_name") prop:value=save_name on:input=move |ev| save_name.set(event_target_value(&ev))/>
                    <label class="check"><input type="checkbox" id="save-shared" prop:checked=save_shared on:change=move |ev| save_shared.set(event_target_checked(&ev))/>{move || t("segments.shared")}</label>
                    <button type="button" id="save-filter" on:click=move |_| save(false)>{move || t("segments.save")}</button>
                    <Show when=move || loaded.get().is_some()>
                        <button type="button" id="update-filter" on:click=move |_| save(true)>{move || t("segments.update")}</button>
                        <button type="button" id="delete-filter" on:click=remove>{move || t("segments.delete")}</button>
                    </Show>
                </div>
                {move || save_note.get().map(|r| match r {
                    Ok(name) => view! { <p class="ok" id="saved-note">{format!("{} {name}", t("segments.saved_as"))}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </form>
        </section>
        {move || page.get().map(|p| match p {
            Err(e) => view! { <section class="card"><p class="error" id="segment-error">{e}</p></section> }.into_any(),
            Ok(p) => {
                let total = p.total;
                let more = p.next_cursor.is_some();
                let first = cursors.get().len() <= 1;
                view! {
                    <section class="card">
                        <p id="segment-total"><strong>{format!("{} ", number(total as f64))}</strong>{t("segments.found")}</p>
                        <table class="list" id="segment-list">
                            <thead><tr><th></th><th>{t("contacts.name")}</th><th>{t("contacts.phone")}</th><th>{t("contacts.email")}</th><th>{t("contacts.owner")}</th></tr></thead>
                            <tbody>{p.items.into_iter().map(|c| {
                                let id = c.id;
                                view! {
                                    <tr>
                                        <td><input type="checkbox" class="pick" prop:checked=move || picked.get().contains(&id)
                                            on:change=move |ev| picked.update(|p| { if event_target_checked(&ev) { p.insert(id); } else { p.remove(&id); } })/></td>
                                        <td><A href=format!("/contacts/{id}")>{c.display_name.clone()}</A></td>
                                        <td>{c.phones.join(", ")}</td>
                                        <td>{c.emails.join(", ")}</td>
                                        <td>{c.owner_name.clone()}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table>
                        <div class="row">
                            <button type="button" id="segment-prev" disabled=first on:click=prev>{t("common.previous")}</button>
                            <button type="button" id="segment-next" disabled=!more on:click=next>{t("common.next")}</button>
                        </div>
                        <Actions shown=shown picked=picked total=total can_export=can_export()/>
                    </section>
                }.into_any()
            }
        })}
    }
}

/// What to do with the selection: all of it, or the contacts picked.
#[component]
fn Actions(shown: RwSignal<Option<ContactSelection>>, picked: RwSignal<BTreeSet<Uuid>>, total: u64, can_export: bool) -> impl IntoView {
    let action = RwSignal::new("email".to_owned());
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let list = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<SegmentActionResult, String>>);
    let busy = RwSignal::new(false);
    let reload = RwSignal::new(0u32);
    let call_lists = LocalResource::new(|| async { api::get::<Vec<CallList>>("/api/v1/call-lists").await.unwrap_or_default() });
    let letters = LocalResource::new(move || {
        reload.get();
        async {
            api::get::<Vec<NewsletterListView>>("/api/v1/newsletter-lists")
                .await
                .unwrap_or_default()
        }
    });
    let new_letter = RwSignal::new(String::new());
    let ids = move || {
        let p = picked.get_untracked();
        (!p.is_empty()).then(|| p.into_iter().collect::<Vec<_>>())
    };
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let a = action.get_untracked();
        let req = SegmentAction {
            filter: shown.get_untracked().unwrap_or_default(),
            contact_ids: ids(),
            action: a.clone(),
            subject: Some(subject.get_untracked()).filter(|_| a == "email"),
            body: Some(body.get_untracked()).filter(|_| a == "email" || a == "sms"),
            list_id: Uuid::parse_str(&list.get_untracked()).ok(),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            result.set(Some(
                api::post::<_, SegmentActionResult>("/api/v1/segments/actions", &req)
                    .await
                    .map_err(message),
            ));
            busy.set(false);
            reload.update(|n| *n += 1);
        });
    };
    let create_letter = move |_| {
        let name = new_letter.get_untracked();
        leptos::task::spawn_local(async move {
            match api::post::<_, NewsletterListView>(
                "/api/v1/newsletter-lists",
                &crm_types::NewsletterListWrite { name, archived: false },
            )
            .await
            {
                Ok(l) => {
                    list.set(l.id.to_string());
                    new_letter.set(String::new());
                    reload.update(|n| *n += 1);
                }
                Err(e) => result.set(Some(Err(message(e)))),
            }
        });
    };
    let export_error = RwSignal::new(None::<String>);
    let export = move |_| {
        let target = SegmentTarget {
            filter: shown.get_untracked().unwrap_or_default(),
            contact_ids: ids(),
        };
        leptos::task::spawn_local(async move {
            export_error.set(
                api::download_post("/api/v1/segments/export", &target, "contacts.xlsx")
                    .await
                    .err()
                    .map(|e| e.error.message),
            );
        });
    };
    let scope = move || {
        let n = picked.get().len();
        if n == 0 {
            format!("{} ({})", t("segments.all"), number(total as f64))
        } else {
            format!("{} ({n})", t("segments.picked"))
        }
    };
    view! {
        <form class="segment-actions" id="segment-actions" on:submit=run>
            <h2>{move || t("segments.actions")}</h2>
            <p class="muted" id="segment-scope">{scope}</p>
            <div class="row">
                {["email", "sms", "call_list", "newsletter"].map(|a| view! {
                    <label class="check"><input type="radio" name="segment-action" id=format!("action-{a}") value=a prop:checked=move || action.get() == a
                        on:change=move |_| { action.set(a.to_owned()); list.set(String::new()); }/>{move || t(&format!("segments.action.{a}"))}</label>
                })}
            </div>
            <Show when=move || action.get() == "email">
                <label>{move || t("segments.subject")}<input id="action-subject" maxlength="200" prop:value=subject on:input=move |ev| subject.set(event_target_value(&ev))/></label>
            </Show>
            <Show when=move || action.get() == "email" || action.get() == "sms">
                <label>{move || t("segments.body")}<textarea id="action-body" rows="5" maxlength="20000" prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea></label>
                <p class="muted">{move || t("segments.optout_note")}</p>
            </Show>
            <Show when=move || action.get() == "call_list">
                <label>{move || t("segments.call_list")}
                    <select id="action-call-list" on:change=move |ev| list.set(event_target_value(&ev))>
                        <option value="">"—"</option>
                        {move || call_lists.get().unwrap_or_default().into_iter().map(|l| view! { <option value=l.id.to_string()>{l.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </Show>
            <Show when=move || action.get() == "newsletter">
                <div class="row">
                    <label>{move || t("segments.newsletter")}
                        <select id="newsletter-list" on:change=move |ev| list.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || letters.get().unwrap_or_default().into_iter().filter(|l| !l.archived).map(|l| {
                                let id = l.id.to_string();
                                view! {
                                    <option value=id.clone() selected=move || list.get() == id>{format!("{} ({})", l.name, number(l.members as f64))}</option>
                                }
                            }).collect_view()}
                        </select>
                    </label>
                    <input id="new-newsletter" maxlength="200" placeholder=move || t("segments.new_newsletter") prop:value=new_letter on:input=move |ev| new_letter.set(event_target_value(&ev))/>
                    <button type="button" id="create-newsletter" on:click=create_letter>{move || t("segments.create_newsletter")}</button>
                </div>
            </Show>
            <div class="row">
                <button type="submit" class="primary" id="action-run" disabled=move || busy.get()>{move || t("segments.run")}</button>
                <span class="spacer"></span>
                {can_export.then(|| view! { <button type="button" id="segment-export" on:click=export>{move || t("segments.export")}</button> })}
            </div>
            {move || export_error.get().map(|e| view! { <p class="error">{e}</p> })}
            {move || result.get().map(|r| match r {
                Err(e) => view! { <p class="error" id="action-result">{e}</p> }.into_any(),
                Ok(r) => view! {
                    <p class="ok" id="action-result">
                        {format!("{}: {} · {}: {} · {}: {} · {}: {} · {}: {}",
                            t("segments.matched"), r.matched, t("segments.done"), r.done, t("segments.skipped_optout"), r.opted_out,
                            t("segments.skipped_channel"), r.no_channel, t("segments.skipped"), r.skipped)}
                    </p>
                }.into_any(),
            })}
        </form>
    }
}
