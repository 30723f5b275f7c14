//! Administration: offices, users with their rights, groups.

use crm_types::{ApiKey, ApiKeyWrite, Group, GroupWrite, Office, OfficeWrite, PermissionSet, User, UserWrite};
use leptos::prelude::*;

use crate::api;
use crate::i18n::{date, t};
use crate::pages::login::RequireSession;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! { <RequireSession><Admin/></RequireSession> }
}

#[component]
fn Admin() -> impl IntoView {
    let is_admin = move || api::session().me.get().is_some_and(|m| m.permissions.admin);
    let reload = RwSignal::new(0u32);
    let offices = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<Office>>("/api/v1/offices")
    });
    let users = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<User>>("/api/v1/users")
    });
    let groups = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<Group>>("/api/v1/groups")
    });
    let keys = LocalResource::new(move || {
        reload.get();
        api::get::<Vec<ApiKey>>("/api/v1/api-keys")
    });
    let error = RwSignal::new(None::<String>);
    let bump = move || reload.update(|n| *n += 1);
    let report = move |r: Result<(), api::Failure>| match r {
        Ok(()) => {
            error.set(None);
            bump();
        }
        Err(e) => error.set(Some(e.error.message)),
    };

    let zone = RwSignal::new(api::session().me.get_untracked().map(|m| m.company.time_zone).unwrap_or_default());
    let zone_saved = RwSignal::new(false);
    let save_zone = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = crm_types::CompanySettings {
            time_zone: zone.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::put::<_, crm_types::CompanySummary>("/api/v1/company/settings", &body).await {
                Ok(c) => {
                    zone.set(c.time_zone);
                    zone_saved.set(true);
                    error.set(None);
                    if let Ok(me) = api::get::<crm_types::Me>("/api/v1/me").await {
                        api::set_me(me);
                    }
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let office_name = RwSignal::new(String::new());
    let add_office = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = OfficeWrite {
            name: office_name.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            report(
                api::post::<_, Office>("/api/v1/offices", &body)
                    .await
                    .map(|_| office_name.set(String::new())),
            );
        });
    };

    let save_user = move |u: User| {
        let body = UserWrite {
            name: u.name.clone(),
            email: u.email.clone(),
            password: None,
            role: u.role.clone(),
            office_id: u.office_id,
            permissions: u.permissions.clone(),
            active: u.active,
            notify_email: u.notify_email,
            locale: Some(u.locale.clone()),
        };
        leptos::task::spawn_local(async move {
            report(api::put::<_, User>(&format!("/api/v1/users/{}", u.id), &body).await.map(|_| ()));
        });
    };

    let new_name = RwSignal::new(String::new());
    let new_email = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let new_role = RwSignal::new("broker".to_owned());
    let new_office = RwSignal::new(String::new());
    let add_user = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let office_id = new_office
            .get_untracked()
            .parse()
            .ok()
            .or_else(|| offices.get_untracked().and_then(Result::ok).and_then(|o| o.first().map(|o| o.id)));
        let Some(office_id) = office_id else { return };
        let body = UserWrite {
            name: new_name.get_untracked(),
            email: new_email.get_untracked(),
            password: Some(new_password.get_untracked()),
            role: new_role.get_untracked(),
            office_id,
            permissions: PermissionSet {
                work_with_clients: true,
                offer_scope: "own".into(),
                demand_scope: "own".into(),
                export: false,
                admin: false,
            },
            active: true,
            notify_email: true,
            locale: None,
        };
        leptos::task::spawn_local(async move {
            report(api::post::<_, User>("/api/v1/users", &body).await.map(|_| {
                new_name.set(String::new());
                new_email.set(String::new());
                new_password.set(String::new());
            }));
        });
    };

    let group_name = RwSignal::new(String::new());
    let add_group = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = GroupWrite {
            name: group_name.get_untracked(),
            member_ids: Vec::new(),
        };
        leptos::task::spawn_local(async move {
            report(
                api::post::<_, Group>("/api/v1/groups", &body)
                    .await
                    .map(|_| group_name.set(String::new())),
            );
        });
    };
    let toggle_member = move |g: Group, user: uuid::Uuid, on: bool| {
        let mut members = g.member_ids.clone();
        members.retain(|m| *m != user);
        if on {
            members.push(user);
        }
        let body = GroupWrite {
            name: g.name.clone(),
            member_ids: members,
        };
        leptos::task::spawn_local(async move {
            report(api::put::<_, Group>(&format!("/api/v1/groups/{}", g.id), &body).await.map(|_| ()));
        });
    };

    let scope_select = move |u: User, offer: bool| {
        let current = if offer {
            u.permissions.offer_scope.clone()
        } else {
            u.permissions.demand_scope.clone()
        };
        view! {
            <select on:change=move |ev| {
                let mut u = u.clone();
                let v = event_target_value(&ev);
                if offer { u.permissions.offer_scope = v } else { u.permissions.demand_scope = v }
                save_user(u);
            }>
                {["own", "office", "company"].map(|s| view! { <option value=s selected=current == s>{t(&format!("scope.{s}"))}</option> })}
            </select>
        }
    };
    let flag = move |u: User, which: &'static str| {
        let value = match which {
            "work" => u.permissions.work_with_clients,
            "export" => u.permissions.export,
            "admin" => u.permissions.admin,
            _ => u.active,
        };
        view! {
            <input type="checkbox" prop:checked=value on:change=move |ev| {
                let mut u = u.clone();
                let on = event_target_checked(&ev);
                match which {
                    "work" => u.permissions.work_with_clients = on,
                    "export" => u.permissions.export = on,
                    "admin" => u.permissions.admin = on,
                    _ => u.active = on,
                }
                save_user(u);
            }/>
        }
    };
    // The extension a telephone system knows the user by: saved when the field is left.
    let extension_input = move |u: User| {
        let id = u.id;
        view! {
            <input class="extension" maxlength="20" size="6" prop:value=u.extension.clone().unwrap_or_default() on:change=move |ev| {
                let value = event_target_value(&ev);
                let body = crm_types::UserExtension { extension: Some(value).filter(|v| !v.trim().is_empty()) };
                leptos::task::spawn_local(async move {
                    report(api::put::<_, User>(&format!("/api/v1/users/{id}/extension"), &body).await.map(|_| ()));
                });
            }/>
        }
    };

    let key_name = RwSignal::new(String::new());
    let key_user = RwSignal::new(String::new());
    let new_secret = RwSignal::new(None::<String>);
    let add_key = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = ApiKeyWrite {
            name: key_name.get_untracked(),
            user_id: uuid::Uuid::parse_str(&key_user.get_untracked()).ok(),
        };
        leptos::task::spawn_local(async move {
            match api::post::<_, ApiKey>("/api/v1/api-keys", &body).await {
                Ok(k) => {
                    new_secret.set(k.secret);
                    key_name.set(String::new());
                    error.set(None);
                    bump();
                }
                Err(e) => error.set(Some(e.error.message)),
            }
        });
    };
    let revoke = move |id: uuid::Uuid| {
        leptos::task::spawn_local(async move {
            report(api::delete::<()>(&format!("/api/v1/api-keys/{id}")).await);
        });
    };

    view! {
        <Show when=is_admin fallback=|| view! { <p class="error">{t("admin.forbidden")}</p> }>
            {move || error.get().map(|e| view! { <p class="error" id="admin-error">{e}</p> })}
            <section class="card">
                <h2>{move || t("admin.company_zone")}</h2>
                <form class="row" on:submit=save_zone>
                    <input id="company-zone" maxlength="60" prop:value=zone on:input=move |ev| { zone_saved.set(false); zone.set(event_target_value(&ev)) }/>
                    <button id="save-company-zone" type="submit">{move || t("common.save")}</button>
                    {move || zone_saved.get().then(|| view! { <span class="ok">{t("settings.saved")}</span> })}
                </form>
            </section>
            <section class="card">
                <h2>{move || t("admin.offices")}</h2>
                <ul>{move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|o| view! { <li>{o.name}" ("{o.user_count}")"</li> }).collect_view()}</ul>
                <form class="row" on:submit=add_office>
                    <input id="office-name" maxlength="200" placeholder=move || t("admin.office_name") prop:value=office_name on:input=move |ev| office_name.set(event_target_value(&ev))/>
                    <button type="submit">{move || t("admin.add_office")}</button>
                </form>
            </section>
            <section class="card">
                <h2>{move || t("admin.users")}</h2>
                <table class="list" id="user-list">
                    <thead><tr>
                        <th>{move || t("admin.name")}</th><th>{move || t("contacts.email")}</th><th>{move || t("admin.role")}</th><th>{move || t("contacts.office")}</th>
                        <th>{move || t("admin.work_with_clients")}</th><th>{move || t("admin.offer_scope")}</th><th>{move || t("admin.demand_scope")}</th>
                        <th>{move || t("admin.export")}</th><th>{move || t("admin.admin")}</th><th>{move || t("admin.active")}</th>
                        <th>{move || t("admin.extension")}</th>
                    </tr></thead>
                    <tbody>
                        {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! {
                            <tr>
                                <td>{u.name.clone()}</td><td>{u.email.clone()}</td><td>{t(&format!("role.{}", u.role))}</td><td>{u.office_name.clone()}</td>
                                <td>{flag(u.clone(), "work")}</td>
                                <td>{scope_select(u.clone(), true)}</td>
                                <td>{scope_select(u.clone(), false)}</td>
                                <td>{flag(u.clone(), "export")}</td>
                                <td>{flag(u.clone(), "admin")}</td>
                                <td>{flag(u.clone(), "active")}</td>
                                <td>{extension_input(u.clone())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                <form class="row" on:submit=add_user>
                    <input placeholder=move || t("admin.name") required prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev))/>
                    <input type="email" placeholder=move || t("contacts.email") required prop:value=new_email on:input=move |ev| new_email.set(event_target_value(&ev))/>
                    <input type="password" placeholder=move || t("login.password") required prop:value=new_password on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    <select on:change=move |ev| new_role.set(event_target_value(&ev))>
                        {["broker", "office_manager", "receptionist", "call_centre", "administrator"].map(|r| view! { <option value=r>{move || t(&format!("role.{r}"))}</option> })}
                    </select>
                    <select on:change=move |ev| new_office.set(event_target_value(&ev))>
                        {move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view()}
                    </select>
                    <button type="submit">{move || t("admin.add_user")}</button>
                </form>
            </section>
            <section class="card">
                <h2>{move || t("admin.groups")}</h2>
                {move || {
                    let people = users.get().and_then(Result::ok).unwrap_or_default();
                    groups.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|g| {
                        let boxes = people.iter().map(|u| {
                            let member = g.member_ids.contains(&u.id);
                            let (g2, uid) = (g.clone(), u.id);
                            view! { <label class="check"><input type="checkbox" prop:checked=member on:change=move |ev| toggle_member(g2.clone(), uid, event_target_checked(&ev))/>{u.name.clone()}</label> }
                        }).collect_view();
                        view! { <div class="group"><h3>{g.name.clone()}</h3><div class="row wrap">{boxes}</div></div> }
                    }).collect_view()
                }}
                <form class="row" on:submit=add_group>
                    <input placeholder=move || t("admin.group_name") maxlength="200" prop:value=group_name on:input=move |ev| group_name.set(event_target_value(&ev))/>
                    <button type="submit">{move || t("admin.add_group")}</button>
                </form>
            </section>
            <section class="card">
                <h2>{move || t("admin.api_keys")}</h2>
                <p class="hint">{move || t("admin.api_keys_hint")}</p>
                <table class="list" id="api-keys">
                    <thead><tr><th>{move || t("admin.name")}</th><th>{move || t("admin.key_prefix")}</th><th>{move || t("admin.acts_as")}</th><th>{move || t("contacts.created")}</th><th></th></tr></thead>
                    <tbody>
                        {move || {
                            let people = users.get().and_then(Result::ok).unwrap_or_default();
                            keys.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|k| {
                                let who = people.iter().find(|u| u.id == k.user_id).map(|u| u.name.clone()).unwrap_or_default();
                                let id = k.id;
                                view! {
                                    <tr>
                                        <td>{k.name.clone()}</td><td><code>{k.prefix.clone()}"…"</code></td><td>{who}</td><td>{date(&k.created_at)}</td>
                                        <td><button class="link" on:click=move |_| revoke(id)>{t("admin.revoke")}</button></td>
                                    </tr>
                                }
                            }).collect_view()
                        }}
                    </tbody>
                </table>
                {move || new_secret.get().map(|s| view! {
                    <div class="secret">
                        <p class="warning">{t("admin.key_once")}</p>
                        <code id="new-key">{s}</code>
                    </div>
                })}
                <form class="row" on:submit=add_key>
                    <input id="key-name" placeholder=move || t("admin.key_name") maxlength="200" required prop:value=key_name on:input=move |ev| key_name.set(event_target_value(&ev))/>
                    <select id="key-user" on:change=move |ev| key_user.set(event_target_value(&ev))>
                        <option value="">{move || t("admin.acts_as_me")}</option>
                        {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! { <option value=u.id.to_string()>{u.name}</option> }).collect_view()}
                    </select>
                    <button id="create-key" type="submit">{move || t("admin.create_key")}</button>
                </form>
                <p class="hint">{move || t("admin.pbx_hint")}</p>
            </section>
            <crate::pages::calls::CallSettingsForm/>
        </Show>
    }
}
