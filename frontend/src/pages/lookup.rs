//! The caller lookup ("client is calling"): type what the caller says, see who they are.

use crm_types::LookupResult;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{self, enc};
use crate::i18n::{t, tf};
use crate::pages::contact::{SendTip, entry_view};
use crate::pages::contacts::{kind_badge, phone_link};
use crate::pages::login::RequireSession;

#[component]
pub fn LookupPage() -> impl IntoView {
    view! { <RequireSession><Lookup/></RequireSession> }
}

fn prefill_link(r: &LookupResult) -> String {
    let p = &r.prefill;
    let mut parts = Vec::new();
    for (k, v) in [
        ("first_name", &p.first_name),
        ("last_name", &p.last_name),
        ("phone", &p.phone),
        ("email", &p.email),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", enc(v)));
        }
    }
    format!("/contacts/new?{}", parts.join("&"))
}

/// Characters typed before the lookup asks the server (one or two match half the register).
const MIN_CHARS: usize = 3;

#[component]
fn Lookup() -> impl IntoView {
    // `?q=` opens the lookup for a number (an incoming call does); `&call=1` says it is ringing.
    let query = leptos_router::hooks::use_query_map();
    let initial = query.read_untracked().get("q").unwrap_or_default();
    let q = RwSignal::new(initial.clone());
    // What the server is asked: the typed text once typing pauses.
    let asked = RwSignal::new(initial);
    Effect::new(move |_| {
        if let Some(v) = query.read().get("q")
            && v != asked.get_untracked()
        {
            q.set(v.clone());
            asked.set(v);
        }
    });
    let ringing = move || query.read().get("call").is_some();
    let typed = RwSignal::new(0u32);
    let on_input = move |ev: leptos::ev::Event| {
        q.set(event_target_value(&ev));
        let generation = typed.get_untracked() + 1;
        typed.set(generation);
        set_timeout(
            move || {
                if typed.get_untracked() == generation {
                    asked.set(q.get_untracked());
                }
            },
            std::time::Duration::from_millis(250),
        );
    };
    let result = LocalResource::new(move || {
        let text = asked.get();
        async move {
            if text.trim().chars().count() < MIN_CHARS {
                return None;
            }
            Some(api::get::<LookupResult>(&format!("/api/v1/contacts/lookup?q={}", enc(&text))).await)
        }
    });
    // "Tip a colleague" about one of the matches: one form under the results.
    let tip_for = RwSignal::new(None::<(uuid::Uuid, String)>);
    view! {
        <section class="card lookup">
            <h1>{move || if ringing() { t("lookup.ringing") } else { t("lookup.title") }}</h1>
            <input id="lookup-input" type="search" autofocus maxlength="200" placeholder=move || t("lookup.placeholder") prop:value=q on:input=on_input/>
            <p class="hint">{move || t("lookup.hint")}</p>
            {move || match result.get() {
                None | Some(None) => ().into_any(),
                Some(Some(Err(e))) if e.status == 429 => view! { <p class="error">{t("lookup.slow_down")}</p> }.into_any(),
                Some(Some(Err(e))) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                Some(Some(Ok(r))) if r.matches.is_empty() => {
                    let link = prefill_link(&r);
                    view! {
                        <div class="none">
                            <p id="lookup-none">{tf("lookup.none", &[("q", &asked.get_untracked())])}</p>
                            <A href=link attr:class="button primary" attr:id="lookup-create">{t("lookup.create")}</A>
                        </div>
                    }.into_any()
                }
                Some(Some(Ok(r))) => {
                    let link = prefill_link(&r);
                    view! {
                        <ul class="matches" id="lookup-matches">
                            {r.matches.into_iter().map(|m| {
                                let agency = m.agency.then(|| view! { <p class="warning agency">"⚠ "{t("lookup.agency")}</p> });
                                let matched = t(&format!("lookup.matched.{}", m.matched_on));
                                match m.contact {
                                    Some(c) => {
                                        let (tip_id, tip_name) = (c.id, c.display_name.clone());
                                        view! {
                                        <li class="match">
                                            {agency}
                                            <div class="row">
                                                <A href=format!("/contacts/{}", c.id)><strong>{c.display_name.clone()}</strong></A>
                                                {kind_badge(&c.kind)}
                                                <span class="muted">{matched}</span>
                                                <span class="spacer"></span>
                                                <button type="button" class="link tip-button" on:click=move |_| tip_for.set(Some((tip_id, tip_name.clone())))>{t("contact.tip")}</button>
                                            </div>
                                            <div class="muted">{c.phones.iter().cloned().map(phone_link).collect_view()}" "{c.emails.join(", ")}</div>
                                            <div>{tf("lookup.owner", &[("owner", &m.owner_name)])}</div>
                                            {(!m.history.is_empty()).then(|| view! {
                                                <details open><summary>{t("lookup.history")}</summary>
                                                <ul class="timeline">{m.history.into_iter().map(entry_view).collect_view()}</ul></details>
                                            })}
                                        </li>
                                    }.into_any()
                                    }
                                    None => view! {
                                        <li class="match hidden">
                                            {agency}
                                            <span>{tf("lookup.hidden", &[("owner", &m.owner_name)])}</span>
                                            " "<span class="muted">{matched}</span>
                                        </li>
                                    }.into_any(),
                                }
                            }).collect_view()}
                        </ul>
                        <A href=link attr:class="button" attr:id="lookup-create">{t("lookup.create")}</A>
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
