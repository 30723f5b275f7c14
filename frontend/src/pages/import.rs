//! Importing a register from a CSV file: upload, say what each column holds, check (a dry run
//! reporting each row's problems and duplicates), then import, following the progress.

use crm_types::{Import, ImportSettings, User};
use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::api::{self, enc};
use crate::i18n::{date_time, number, t, tp};
use crate::pages::login::RequireSession;

const FIELDS: [&str; 12] = [
    "first_name",
    "last_name",
    "full_name",
    "agency_name",
    "phone",
    "email",
    "street",
    "postal_code",
    "city",
    "country",
    "kind",
    "owner",
];

#[component]
pub fn ImportPage() -> impl IntoView {
    view! { <RequireSession><Importer/></RequireSession> }
}

/// Reads the chosen file of an `<input type=file>`.
async fn read_file(input: web_sys::HtmlInputElement) -> Option<(String, Vec<u8>)> {
    let file = input.files()?.get(0)?;
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.ok()?;
    Some((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()))
}

#[component]
fn Importer() -> impl IntoView {
    let current = RwSignal::new(None::<Import>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let history = LocalResource::new(move || {
        current.get();
        api::get::<Vec<Import>>("/api/v1/imports")
    });
    // Follows a running step until it is over.
    let follow = move |id: Uuid| {
        leptos::task::spawn_local(async move {
            loop {
                match api::get::<Import>(&format!("/api/v1/imports/{id}")).await {
                    Ok(i) => {
                        let running = matches!(i.status.as_str(), "checking" | "importing");
                        current.set(Some(i));
                        if !running {
                            api::touch();
                            break;
                        }
                    }
                    Err(e) => {
                        error.set(Some(e.error.message));
                        break;
                    }
                }
                api::sleep(700).await;
            }
        });
    };
    let upload = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Some((name, bytes)) = read_file(input).await {
                match api::upload::<Import>(&format!("/api/v1/imports?file_name={}", enc(&name)), "text/csv", bytes).await {
                    Ok(i) => {
                        error.set(None);
                        current.set(Some(i));
                    }
                    Err(e) => error.set(Some(e.error.message)),
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card">
            <h1>{move || t("import.title")}</h1>
            <p class="hint">{move || t("import.hint")}</p>
            <input id="import-file" type="file" accept=".csv,text/csv,text/plain" on:change=upload disabled=move || busy.get()/>
            {move || error.get().map(|e| view! { <p class="error" id="import-error">{e}</p> })}
        </section>
        {move || current.get().map(|i| view! { <ImportView import=i current=current error=error follow=follow/> })}
        <section class="card">
            <h2>{move || t("import.history")}</h2>
            <ul class="imports">
                {move || history.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|i| {
                    let status = t(&format!("import.status.{}", i.status));
                    let label = format!("{} · {} · {}", i.file_name, status, date_time(&i.created_at));
                    let item = i.clone();
                    view! { <li><button class="link" on:click=move |_| current.set(Some(item.clone()))>{label}</button></li> }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ImportView(
    import: Import,
    current: RwSignal<Option<Import>>,
    error: RwSignal<Option<String>>,
    follow: impl Fn(Uuid) + Copy + 'static,
) -> impl IntoView {
    let id = import.id;
    let settings = import.settings.clone();
    let mapping: Vec<RwSignal<String>> = import
        .headers
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let chosen = settings
                .as_ref()
                .and_then(|s| s.mapping.get(i).cloned().flatten())
                .or_else(|| import.suggested.get(i).cloned().flatten());
            RwSignal::new(chosen.unwrap_or_default())
        })
        .collect();
    let kind = RwSignal::new(
        settings
            .as_ref()
            .and_then(|s| s.default_kind.clone())
            .unwrap_or_else(|| "standard".into()),
    );
    let owner = RwSignal::new(
        settings
            .as_ref()
            .and_then(|s| s.owner_id)
            .map(|o| o.to_string())
            .unwrap_or_default(),
    );
    let skip = RwSignal::new(settings.as_ref().is_none_or(|s| s.skip_duplicates));
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let status = import.status.clone();
    let editable = matches!(status.as_str(), "uploaded" | "checked" | "failed");
    let check = {
        let mapping = mapping.clone();
        move |_| {
            let body = ImportSettings {
                mapping: mapping.iter().map(|m| Some(m.get_untracked()).filter(|f| !f.is_empty())).collect(),
                default_kind: Some(kind.get_untracked()),
                owner_id: Uuid::parse_str(&owner.get_untracked()).ok(),
                skip_duplicates: skip.get_untracked(),
            };
            leptos::task::spawn_local(async move {
                match api::post::<_, Import>(&format!("/api/v1/imports/{id}/check"), &body).await {
                    Ok(i) => {
                        error.set(None);
                        current.set(Some(i));
                        follow(id);
                    }
                    Err(e) => error.set(Some(e.error.message)),
                }
            });
        }
    };
    let start = move |_| {
        leptos::task::spawn_local(async move {
            match api::post::<_, Import>(&format!("/api/v1/imports/{id}/start"), &()).await {
                Ok(i) => {
                    current.set(Some(i));
                    follow(id);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let cancel = move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(i) = api::post::<_, Import>(&format!("/api/v1/imports/{id}/cancel"), &()).await {
                current.set(Some(i));
            }
        });
    };
    let running = matches!(status.as_str(), "checking" | "importing");
    let progress = (import.processed * 100).checked_div(import.rows).unwrap_or(100);
    view! {
        <section class="card" id="import">
            <h2>{import.file_name.clone()}" · "<span id="import-status">{t(&format!("import.status.{}", status))}</span></h2>
            <p class="muted">{tp("import.rows", import.rows, &[])}</p>
            {running.then(|| view! {
                <progress id="import-progress" max="100" value=progress.to_string()></progress>
                <span>" "{format!("{} / {}", number(import.processed as f64), number(import.rows as f64))}</span>
            })}
            {editable.then(|| view! {
                <table class="list mapping">
                    <thead><tr><th>{t("import.column")}</th><th>{t("import.field")}</th><th>{t("import.example")}</th></tr></thead>
                    <tbody>
                        {import.headers.iter().enumerate().map(|(i, h)| {
                            let m = mapping[i];
                            let example = import.sample.iter().filter_map(|r| r.get(i)).find(|v| !v.trim().is_empty()).cloned().unwrap_or_default();
                            view! {
                                <tr>
                                    <td>{h.clone()}</td>
                                    <td>
                                        <select class="map" on:change=move |ev| m.set(event_target_value(&ev))>
                                            <option value="">{t("import.skip")}</option>
                                            {FIELDS.map(|f| view! { <option value=f selected=move || m.get() == f>{move || t(&format!("import.field.{f}"))}</option> })}
                                        </select>
                                    </td>
                                    <td class="muted">{example}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="row">
                    <label>{t("import.default_kind")}
                        <select id="import-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                            {["standard", "verified", "draft", "agency"].map(|k| view! { <option value=k selected=move || kind.get() == k>{move || t(&format!("kind.{k}"))}</option> })}
                        </select>
                    </label>
                    <label>{t("import.owner")}
                        <select id="import-owner" on:change=move |ev| owner.set(event_target_value(&ev))>
                            <option value="">{t("import.owner_me")}</option>
                            {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active && u.permissions.work_with_clients).map(|u| {
                                let value = u.id.to_string();
                                let selected = owner.get_untracked() == value;
                                view! { <option value=value selected=selected>{u.name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="check"><input type="checkbox" prop:checked=skip on:change=move |ev| skip.set(event_target_checked(&ev))/>{t("import.skip_duplicates")}</label>
                </div>
                <button id="import-check" on:click=check.clone()>{t("import.check")}</button>
            })}
            {(status == "checked" || status == "done").then(|| view! {
                <p id="import-report">{format!(
                    "{} · {} · {}",
                    tp("import.valid", import.valid, &[]),
                    tp("import.invalid", import.invalid, &[]),
                    tp("import.duplicates", import.duplicates, &[])
                )}</p>
            })}
            {(status == "checked").then(|| view! {
                <button id="import-start" class="primary" on:click=start>{tp("import.start", if import.settings.as_ref().is_none_or(|s| s.skip_duplicates) { import.valid } else { import.valid + import.duplicates }, &[])}</button>
            })}
            {(status == "done").then(|| view! { <p class="ok" id="import-done">{tp("import.created", import.created, &[])}" "<A href="/contacts">{t("nav.contacts")}</A></p> })}
            {import.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            {(!matches!(status.as_str(), "done" | "cancelled")).then(|| view! { <button class="link" on:click=cancel>{t("import.cancel")}</button> })}
            {(!import.problems.is_empty()).then(|| view! {
                <h3>{t("import.problems")}</h3>
                <table class="list" id="import-problems">
                    <thead><tr><th>{t("import.row")}</th><th>{t("import.field")}</th><th>{t("import.problem")}</th></tr></thead>
                    <tbody>
                        {import.problems.iter().map(|p| view! {
                            <tr>
                                <td>{p.row}</td>
                                <td>{p.field.clone()}</td>
                                <td>
                                    {p.message.clone()}
                                    {p.contact_ids.iter().map(|c| view! { " "<A href=format!("/contacts/{c}")>{t("import.existing")}</A> }).collect_view()}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
