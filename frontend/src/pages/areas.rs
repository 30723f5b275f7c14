//! Focus areas on a map: everyone who works with clients sees them and can ask who covers a
//! point; administrators draw new areas on the map or import GeoJSON, and remove areas.

use crm_types::{FocusArea, FocusAreaWrite, Office, Suggestion, User};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::api;
use crate::i18n::t;
use crate::pages::login::RequireSession;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crmMap, js_name = open)]
    fn map_open(id: &str, tiles: &str) -> bool;
    #[wasm_bindgen(js_namespace = crmMap, js_name = show)]
    fn map_show(id: &str, collection: &str);
    #[wasm_bindgen(js_namespace = crmMap, js_name = startDrawing)]
    fn map_start_drawing(id: &str);
    #[wasm_bindgen(js_namespace = crmMap, js_name = finishDrawing)]
    fn map_finish_drawing(id: &str) -> String;
    #[wasm_bindgen(js_namespace = crmMap, js_name = cancelDrawing)]
    fn map_cancel_drawing(id: &str);
}

const MAP: &str = "area-map";
/// OpenStreetMap's tiles; without a network the areas draw over a plain background.
const TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

#[component]
pub fn AreasPage() -> impl IntoView {
    view! { <RequireSession><Areas/></RequireSession> }
}

/// The areas as a FeatureCollection for the map: offices' in blue, users' in green,
/// distributors' in orange.
fn collection(areas: &[FocusArea]) -> String {
    let features: Vec<serde_json::Value> = areas
        .iter()
        .map(|a| {
            let color = match (a.user_id, a.distributor) {
                (None, _) => "#2563eb",
                (Some(_), false) => "#16a34a",
                (Some(_), true) => "#ea580c",
            };
            serde_json::json!({"type": "Feature", "properties": {"name": a.name, "color": color}, "geometry": a.geometry})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

#[component]
fn Areas() -> impl IntoView {
    let is_admin = move || api::session().me.get().is_some_and(|m| m.permissions.admin);
    let areas = RwSignal::new(Vec::<FocusArea>::new());
    let offices = LocalResource::new(|| api::get::<Vec<Office>>("/api/v1/offices"));
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let error = RwSignal::new(None::<String>);
    let load = move || {
        leptos::task::spawn_local(async move {
            match api::get::<Vec<FocusArea>>("/api/v1/focus-areas").await {
                Ok(list) => {
                    map_show(MAP, &collection(&list));
                    areas.set(list);
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    // The map's element exists once the view is mounted.
    Effect::new(move |_| {
        if map_open(MAP, TILES) {
            load();
        }
    });

    let owner_name = move |a: &FocusArea| match a.user_id {
        Some(u) => users
            .get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|x| x.id == u).map(|x| x.name))
            .unwrap_or_default(),
        None => offices
            .get()
            .and_then(|r| r.ok())
            .and_then(|list| list.into_iter().find(|x| x.id == a.office_id).map(|x| x.name))
            .unwrap_or_default(),
    };

    // A new area: drawn on the map or pasted / loaded as GeoJSON.
    let name = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let distributor = RwSignal::new(false);
    let geometry = RwSignal::new(String::new());
    let drawing = RwSignal::new(false);
    let start = move |_| {
        map_start_drawing(MAP);
        drawing.set(true);
    };
    let finish = move |_| {
        let drawn = map_finish_drawing(MAP);
        drawing.set(false);
        if drawn.is_empty() {
            error.set(Some(t("areas.too_few_corners")));
        } else {
            geometry.set(drawn);
        }
    };
    let cancel = move |_| {
        map_cancel_drawing(MAP);
        drawing.set(false);
    };
    let load_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                geometry.set(text.as_string().unwrap_or_default());
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let geometry_json = match serde_json::from_str::<serde_json::Value>(&geometry.get_untracked()) {
            Ok(v) => v,
            Err(_) => {
                error.set(Some(t("areas.not_geojson")));
                return;
            }
        };
        let chosen = owner.get_untracked();
        let (office_id, user_id) = match chosen.split_once(':') {
            Some(("office", id)) => (id.parse().ok(), None),
            Some(("user", id)) => (None, id.parse().ok()),
            _ => (None, None),
        };
        let body = FocusAreaWrite {
            name: name.get_untracked(),
            office_id,
            user_id,
            distributor: user_id.is_some() && distributor.get_untracked(),
            geometry: geometry_json,
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, FocusArea>("/api/v1/focus-areas", &body).await {
                Ok(_) => {
                    error.set(None);
                    name.set(String::new());
                    geometry.set(String::new());
                    load();
                }
                Err(e) => error.set(Some(match e.error.field {
                    Some(f) => format!("{f}: {}", e.error.message),
                    None => e.error.message,
                })),
            }
        });
    };
    let remove = move |id: uuid::Uuid| {
        leptos::task::spawn_local(async move {
            match api::delete::<()>(&format!("/api/v1/focus-areas/{id}")).await {
                Ok(()) => load(),
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };

    // Who covers a point.
    let lat = RwSignal::new(String::new());
    let lon = RwSignal::new(String::new());
    let street = RwSignal::new(String::new());
    let city = RwSignal::new(String::new());
    let suggestion = RwSignal::new(None::<Suggestion>);
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (la, lo) = (lat.get_untracked(), lon.get_untracked());
        // A coordinate when one is typed, else the address for the server's geocoder.
        let url = if la.trim().is_empty() && lo.trim().is_empty() {
            format!(
                "/api/v1/focus-areas/suggest?street={}&city={}",
                api::enc(street.get_untracked().trim()),
                api::enc(city.get_untracked().trim())
            )
        } else {
            format!(
                "/api/v1/focus-areas/suggest?lat={}&lon={}",
                api::enc(la.trim()),
                api::enc(lo.trim())
            )
        };
        leptos::task::spawn_local(async move {
            match api::get::<Suggestion>(&url).await {
                Ok(s) => {
                    error.set(None);
                    suggestion.set(Some(s));
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };

    view! {
        <section class="card">
            <header class="row"><h1>{move || t("areas.title")}</h1></header>
            <div id=MAP class="map"></div>
            <p class="muted">{move || t("areas.legend")}</p>
            {move || error.get().map(|e| view! { <p class="error" id="area-error">{e}</p> })}
            <table class="list" id="areas">
                <thead><tr>
                    <th>{move || t("areas.name")}</th>
                    <th>{move || t("areas.owner")}</th>
                    <th>{move || t("areas.distributor")}</th>
                    <th></th>
                </tr></thead>
                <tbody>
                    <For each=move || areas.get() key=|a| (a.id, a.updated_at) let:a>
                        {
                            let id = a.id;
                            let owner = owner_name(&a);
                            view! {
                                <tr>
                                    <td>{a.name.clone()}</td>
                                    <td>{owner}</td>
                                    <td>{if a.distributor { "✓" } else { "" }}</td>
                                    <td><Show when=is_admin>
                                        <button class="link" on:click=move |_| remove(id)>{move || t("areas.remove")}</button>
                                    </Show></td>
                                </tr>
                            }
                        }
                    </For>
                </tbody>
            </table>
        </section>
        <section class="card">
            <h2>{move || t("areas.suggest")}</h2>
            <form class="row" on:submit=ask>
                <input id="suggest-lat" placeholder=move || t("areas.lat") bind:value=lat/>
                <input id="suggest-lon" placeholder=move || t("areas.lon") bind:value=lon/>
                <span class="muted">{move || t("areas.or")}</span>
                <input id="suggest-street" placeholder=move || t("form.street") bind:value=street/>
                <input id="suggest-city" placeholder=move || t("form.city") bind:value=city/>
                <button type="submit" id="suggest">{move || t("areas.suggest_button")}</button>
            </form>
            {move || suggestion.get().map(|s| {
                let nobody = s.users.is_empty() && s.offices.is_empty();
                view! {
                    <ul id="suggestions">
                        {s.users.into_iter().map(|u| view! {
                            <li>{format!("{} — {}{}", u.name, u.area, if u.distributor { format!(" ({})", t("areas.distributor")) } else { String::new() })}</li>
                        }).collect_view()}
                        {s.offices.into_iter().map(|o| view! { <li>{format!("{} — {}", o.name, o.area)}</li> }).collect_view()}
                        {nobody.then(|| view! { <li>{t("areas.nobody")}</li> })}
                    </ul>
                }
            })}
        </section>
        <Show when=is_admin>
            <section class="card">
                <h2>{move || t("areas.add")}</h2>
                <form class="stack" on:submit=save>
                    <label>{move || t("areas.name")}<input id="area-name" bind:value=name/></label>
                    <label>{move || t("areas.owner")}
                        <select id="area-owner" on:change=move |ev| owner.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {move || offices.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|o| view! {
                                <option value=format!("office:{}", o.id)>{format!("{} ({})", o.name, t("areas.office"))}</option>
                            }).collect_view()}
                            {move || users.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().filter(|u| u.active).map(|u| view! {
                                <option value=format!("user:{}", u.id)>{u.name}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label class="check"><input type="checkbox" id="area-distributor" bind:checked=distributor/>{move || t("areas.distributor_help")}</label>
                    <div class="row">
                        <Show when=move || !drawing.get() fallback=move || view! {
                            <button type="button" id="finish-drawing" on:click=finish>{move || t("areas.finish")}</button>
                            <button type="button" class="link" on:click=cancel>{move || t("areas.cancel")}</button>
                        }>
                            <button type="button" id="draw" on:click=start>{move || t("areas.draw")}</button>
                        </Show>
                        <label class="file">{move || t("areas.import")}<input type="file" id="area-file" accept=".geojson,.json,application/geo+json,application/json" on:change=load_file/></label>
                    </div>
                    <label>{move || t("areas.geojson")}<textarea id="area-geometry" rows="4" bind:value=geometry></textarea></label>
                    <button type="submit" id="save-area">{move || t("common.save")}</button>
                </form>
            </section>
        </Show>
    }
}
