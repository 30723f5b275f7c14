//! Sign-in.

use crm_types::{LoginRequest, TokenPair};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::i18n::t;

#[component]
pub fn LoginPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The message of a failed sign-in.
    let failed = RwSignal::new(None::<&'static str>);
    let busy = RwSignal::new(false);
    let goto = api::use_goto();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = LoginRequest {
                email: email.get_untracked(),
                password: password.get_untracked(),
            };
            let result = api::post::<_, TokenPair>("/api/v1/auth/login", &body).await;
            busy.set(false);
            match result {
                Ok(pair) => {
                    api::store_tokens(&pair);
                    goto.set(Some("/".into()));
                }
                Err(e) if e.status == 429 => failed.set(Some("login.slow_down")),
                Err(_) => failed.set(Some("login.failed")),
            }
        });
    };
    view! {
        <section class="login card">
            <h1>{move || t("app.name")}</h1>
            <form on:submit=submit>
                <label>{move || t("login.email")}
                    <input id="email" type="email" autocomplete="username" maxlength="254" required prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
                </label>
                <label>{move || t("login.password")}
                    <input id="password" type="password" autocomplete="current-password" required prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {move || failed.get().map(|key| view! { <p class="error" id="login-error">{t(key)}</p> })}
                <button id="sign-in" type="submit" disabled=move || busy.get()>{move || t("login.submit")}</button>
            </form>
        </section>
    }
}

/// Sends visitors who are not signed in to the sign-in page.
#[component]
pub fn RequireSession(children: ChildrenFn) -> impl IntoView {
    let session = api::session();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.checked.get() && session.me.get().is_none() {
            navigate("/login", Default::default());
        }
    });
    view! {
        <Show when=move || session.me.get().is_some() fallback=move || view! { <p class="muted">{t("common.loading")}</p> }>
            {children()}
        </Show>
    }
}
