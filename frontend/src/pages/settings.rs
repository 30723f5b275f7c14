//! One's own settings: the language of the app (and of history and emails), the time zone,
//! the private calendar feed, and the password.

use crm_types::{CalendarFeed, Me, MySettings, NoticeChannels, NoticeSettings, PasswordChange, TokenPair};
use leptos::prelude::*;

use crate::api;
use crate::i18n::{LANGUAGES, locale, t};
use crate::pages::login::RequireSession;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! { <RequireSession><Settings/></RequireSession> }
}

#[component]
fn Settings() -> impl IntoView {
    let language_status = RwSignal::new(None::<Result<(), String>>);
    let choose = move |tag: String| {
        leptos::task::spawn_local(async move {
            match api::put::<_, Me>(
                "/api/v1/me/settings",
                &MySettings {
                    locale: Some(tag),
                    time_zone: None,
                },
            )
            .await
            {
                Ok(me) => {
                    api::set_me(me);
                    language_status.set(Some(Ok(())));
                }
                Err(e) => language_status.set(Some(Err(e.error.message))),
            }
        });
    };
    // Time zones people of our countries work in; any IANA name can be typed.
    const ZONES: [&str; 10] = [
        "Europe/Stockholm",
        "Europe/Prague",
        "Europe/Moscow",
        "Europe/Kaliningrad",
        "Asia/Yekaterinburg",
        "America/Sao_Paulo",
        "America/Manaus",
        "Europe/Oslo",
        "Europe/Helsinki",
        "Europe/London",
    ];
    let me = move || api::session().me.get();
    let zone = RwSignal::new(me().filter(|m| m.own_time_zone).map(|m| m.time_zone).unwrap_or_default());
    let zone_status = RwSignal::new(None::<Result<(), String>>);
    let save_zone = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = MySettings {
            locale: None,
            time_zone: Some(zone.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, Me>("/api/v1/me/settings", &body).await {
                Ok(me) => {
                    api::set_me(me);
                    zone_status.set(Some(Ok(())));
                }
                Err(e) => zone_status.set(Some(Err(e.error.message))),
            }
        });
    };
    let feed = RwSignal::new(None::<CalendarFeed>);
    leptos::task::spawn_local(async move {
        if let Ok(f) = api::get::<CalendarFeed>("/api/v1/me/calendar-feed").await {
            feed.set(Some(f));
        }
    });
    let renew = move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(f) = api::post::<_, CalendarFeed>("/api/v1/me/calendar-feed", &()).await {
                feed.set(Some(f));
            }
        });
    };
    let revoke = move |_| {
        leptos::task::spawn_local(async move {
            if api::delete::<()>("/api/v1/me/calendar-feed").await.is_ok() {
                feed.set(Some(CalendarFeed {
                    url: None,
                    active: false,
                    created_at: None,
                }));
            }
        });
    };
    // Where each kind of notice reaches me.
    let notices = RwSignal::new(Vec::<NoticeChannels>::new());
    let phone = RwSignal::new(String::new());
    let notices_status = RwSignal::new(None::<Result<(), String>>);
    leptos::task::spawn_local(async move {
        if let Ok(n) = api::get::<NoticeSettings>("/api/v1/me/notices").await {
            phone.set(n.phone.unwrap_or_default());
            notices.set(n.kinds);
        }
    });
    let toggle = move |kind: String, channel: &'static str, on: bool| {
        notices.update(|list| {
            if let Some(k) = list.iter_mut().find(|k| k.kind == kind) {
                match channel {
                    "in_app" => k.in_app = on,
                    "email" => k.email = on,
                    _ => k.sms = on,
                }
            }
        });
    };
    let save_notices = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = NoticeSettings {
            kinds: notices.get_untracked(),
            phone: Some(phone.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, NoticeSettings>("/api/v1/me/notices", &body).await {
                Ok(n) => {
                    phone.set(n.phone.unwrap_or_default());
                    notices.set(n.kinds);
                    notices_status.set(Some(Ok(())));
                }
                Err(e) => notices_status.set(Some(Err(e.error.message))),
            }
        });
    };
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let password_status = RwSignal::new(None::<Result<(), api::Failure>>);
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, TokenPair>("/api/v1/me/password", &body).await {
                Ok(pair) => {
                    // Every other sign-in ended; this one goes on with the new pair.
                    api::store_tokens(&pair);
                    current.set(String::new());
                    new.set(String::new());
                    password_status.set(Some(Ok(())));
                }
                Err(e) => password_status.set(Some(Err(e))),
            }
        });
    };
    view! {
        <section class="card">
            <h1>{move || t("settings.title")}</h1>
            <h2>{move || t("settings.language")}</h2>
            <select id="language" on:change=move |ev| choose(event_target_value(&ev))>
                {LANGUAGES.map(|(tag, name)| view! { <option value=tag selected=move || locale() == tag>{name}</option> })}
            </select>
            <p class="hint">{move || t("settings.language_hint")}</p>
            {move || language_status.get().map(|s| match s {
                Ok(()) => view! { <p class="ok" id="language-saved">{t("settings.saved")}</p> }.into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
        </section>
        <section class="card form">
            <h2>{move || t("settings.time_zone")}</h2>
            <form on:submit=save_zone class="row">
                <input id="time-zone" list="time-zones" maxlength="60" placeholder=move || me().map(|m| format!("{} ({})", t("settings.company_zone"), m.company.time_zone)).unwrap_or_default() prop:value=zone on:input=move |ev| zone.set(event_target_value(&ev))/>
                <datalist id="time-zones">{ZONES.map(|z| view! { <option value=z></option> })}</datalist>
                <button id="save-time-zone" type="submit">{move || t("common.save")}</button>
            </form>
            <p class="hint">{move || me().map(|m| format!("{}: {}", t("settings.zone_now"), m.time_zone)).unwrap_or_default()}</p>
            {move || zone_status.get().map(|s| match s {
                Ok(()) => view! { <p class="ok" id="zone-saved">{t("settings.saved")}</p> }.into_any(),
                Err(e) => view! { <p class="error">{e}</p> }.into_any(),
            })}
        </section>
        <section class="card form" id="notice-settings">
            <h2>{move || t("settings.notices")}</h2>
            <form on:submit=save_notices>
                <table class="list">
                    <thead><tr><th></th><th>{move || t("settings.channel.in_app")}</th><th>{move || t("settings.channel.email")}</th><th>{move || t("settings.channel.sms")}</th></tr></thead>
                    <tbody>
                        {move || notices.get().into_iter().map(|k| {
                            let (a, b, c) = (k.kind.clone(), k.kind.clone(), k.kind.clone());
                            view! {
                                <tr data-kind=k.kind.clone()>
                                    <td>{t(&format!("notice.kind.{}", k.kind))}</td>
                                    <td><input type="checkbox" class="in-app" prop:checked=k.in_app on:change=move |ev| toggle(a.clone(), "in_app", event_target_checked(&ev))/></td>
                                    <td><input type="checkbox" class="email" prop:checked=k.email on:change=move |ev| toggle(b.clone(), "email", event_target_checked(&ev))/></td>
                                    <td><input type="checkbox" class="sms" prop:checked=k.sms on:change=move |ev| toggle(c.clone(), "sms", event_target_checked(&ev))/></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <label>{move || t("settings.phone")}<input id="notice-phone" maxlength="40" prop:value=phone on:input=move |ev| phone.set(event_target_value(&ev))/></label>
                <button id="save-notices" type="submit">{move || t("common.save")}</button>
                {move || notices_status.get().map(|s| match s {
                    Ok(()) => view! { <p class="ok" id="notices-saved">{t("settings.saved")}</p> }.into_any(),
                    Err(e) => view! { <p class="error">{e}</p> }.into_any(),
                })}
            </form>
        </section>
        <section class="card form" id="calendar-feed">
            <h2>{move || t("settings.feed")}</h2>
            <p class="hint">{move || t("settings.feed_hint")}</p>
            {move || feed.get().map(|f| view! {
                {f.url.clone().map(|u| view! { <p><input id="feed-url" readonly value=u.clone()/></p><p class="warning">{t("settings.feed_once")}</p> })}
                {(f.active && f.url.is_none()).then(|| view! { <p class="muted" id="feed-active">{t("settings.feed_active")}</p> })}
                <div class="row">
                    <button id="feed-renew" on:click=renew>{if f.active { t("settings.feed_renew") } else { t("settings.feed_make") }}</button>
                    {f.active.then(|| view! { <button id="feed-revoke" on:click=revoke>{t("settings.feed_revoke")}</button> })}
                </div>
            })}
        </section>
        <section class="card form">
            <h2>{move || t("settings.password")}</h2>
            <form on:submit=change>
                <label>{move || t("settings.current_password")}
                    <input id="current-password" type="password" autocomplete="current-password" required prop:value=current on:input=move |ev| current.set(event_target_value(&ev))/>
                    {move || password_status.get().and_then(|s| s.err()).and_then(|f| f.for_field("current_password")).map(|m| view! { <span class="field-error">{m}</span> })}
                </label>
                <label>{move || t("settings.new_password")}
                    <input id="new-password" type="password" autocomplete="new-password" minlength="10" required prop:value=new on:input=move |ev| new.set(event_target_value(&ev))/>
                    {move || password_status.get().and_then(|s| s.err()).and_then(|f| f.for_field("new_password")).map(|m| view! { <span class="field-error">{m}</span> })}
                </label>
                <p class="hint">{move || t("settings.password_hint")}</p>
                {move || password_status.get().and_then(|s| s.ok()).map(|_| view! { <p class="ok">{t("settings.password_changed")}</p> })}
                <button id="change-password" type="submit">{move || t("settings.change_password")}</button>
            </form>
        </section>
    }
}
