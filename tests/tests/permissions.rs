//! Rights, proven end to end: random companies (offices, users with random rights, contacts of
//! random kinds and owners on random sides, listings with brokers, demands) are built, then every
//! user's answers from the API are compared with a plain reference implementation of the rules:
//! the whole sets of contacts in the list (all pages), a text search, a kind filter and the
//! export; each contact's card, timeline and lookup; listings, their parties and demands; then
//! writes: notes, contact edits, listing and demand edits, new contacts for other owners, new
//! parties and hand-overs, whose effects the reference follows; and finally everyone's lists and
//! tasks again. Users sign in with passwords or API keys. Each case is a new company in a shared
//! database, so earlier companies are also checked never to leak in. SQLite and PostgreSQL.

use std::collections::BTreeSet;

use crm_domain::contacts::{ContactData, ContactInput, ContactKind};
use crm_domain::org::{Role, Scope};
use crm_domain::permissions::Permissions;
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus};
use crm_domain::{ContactId, DemandId, OfficeId, PropertyId, UserId};
use crm_store::auth::PasswordHash;
use crm_store::org::UserInput;
use crm_store::properties::{DemandData, PropertyData};
use crm_tests::{Answer, Backend, TestApp, spawn_app};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;

#[derive(Debug, Clone)]
struct UserSpec {
    office: usize,
    work_with_clients: bool,
    offer: Scope,
    demand: Scope,
    export: bool,
    admin: bool,
}

#[derive(Debug, Clone)]
struct ContactSpec {
    kind: ContactKind,
    owner: usize,
    seller: bool,
    buyer: bool,
    demand: bool,
}

/// An action a user tries, chosen at random; `a`, `b` pick records, modulo their number.
#[derive(Debug, Clone)]
struct Act {
    user: usize,
    what: u8,
    a: usize,
    b: usize,
}

#[derive(Debug, Clone)]
struct World {
    offices: usize,
    users: Vec<UserSpec>,
    contacts: Vec<ContactSpec>,
    /// Each listing's broker.
    listings: Vec<usize>,
    acts: Vec<Act>,
}

fn scope() -> impl Strategy<Value = Scope> {
    prop::sample::select(Scope::ALL.to_vec())
}

fn world() -> impl Strategy<Value = World> {
    (1usize..=3).prop_flat_map(|offices| {
        let user = (
            0..offices,
            prop::bool::weighted(0.85),
            scope(),
            scope(),
            any::<bool>(),
            prop::bool::weighted(0.15),
        )
            .prop_map(|(office, work_with_clients, offer, demand, export, admin)| UserSpec {
                office,
                work_with_clients,
                offer,
                demand,
                export,
                admin,
            });
        (Just(offices), prop::collection::vec(user, 1..=4)).prop_flat_map(|(offices, users)| {
            let n = users.len();
            let contact = (
                prop::sample::select(ContactKind::ALL.to_vec()),
                0..n,
                prop::bool::weighted(0.3),
                prop::bool::weighted(0.2),
                prop::bool::weighted(0.3),
            )
                .prop_map(|(kind, owner, seller, buyer, demand)| ContactSpec {
                    kind,
                    owner,
                    seller,
                    buyer,
                    demand,
                });
            let act = (0..n, 0u8..7, 0usize..64, 0usize..64).prop_map(|(user, what, a, b)| Act { user, what, a, b });
            (
                Just(offices),
                Just(users),
                prop::collection::vec(contact, 0..=9),
                prop::collection::vec(0..n, 1..=2),
                prop::collection::vec(act, 0..=12),
            )
                .prop_map(|(offices, users, contacts, listings, acts)| World {
                    offices,
                    users,
                    contacts,
                    listings,
                    acts,
                })
        })
    })
}

fn reaches(w: &World, viewer: usize, scope: Scope, office: usize) -> bool {
    scope == Scope::Company || (scope == Scope::Office && w.users[viewer].office == office)
}

/// The rules of domain.md and docs/permissions.md, written out plainly and independently.
fn sees(w: &World, user: usize, contact: usize) -> bool {
    let u = &w.users[user];
    let c = &w.contacts[contact];
    if !u.work_with_clients {
        return false;
    }
    if c.kind == ContactKind::Agency || c.owner == user {
        return true;
    }
    let office = w.users[c.owner].office;
    let on_offer = c.seller;
    let on_demand = c.buyer || c.demand;
    if !on_offer && !on_demand {
        return reaches(w, user, u.offer, office) || reaches(w, user, u.demand, office);
    }
    (on_offer && reaches(w, user, u.offer, office)) || (on_demand && reaches(w, user, u.demand, office))
}

fn may_edit_listing(w: &World, user: usize, broker: usize) -> bool {
    let u = &w.users[user];
    u.work_with_clients && (u.admin || broker == user || reaches(w, user, u.offer, w.users[broker].office))
}

fn may_edit_demand(w: &World, user: usize, broker: usize) -> bool {
    let u = &w.users[user];
    u.work_with_clients && (u.admin || broker == user || reaches(w, user, u.demand, w.users[broker].office))
}

fn may_give_to(w: &World, user: usize, owner: usize) -> bool {
    let u = &w.users[user];
    let wider = if u.offer > u.demand { u.offer } else { u.demand };
    u.work_with_clients && (owner == user || u.admin || reaches(w, user, wider, w.users[owner].office))
}

fn contact_input(kind: ContactKind, i: usize) -> ContactInput {
    ContactInput {
        kind: Some(kind.as_str().into()),
        first_name: Some("Perm".into()),
        last_name: Some(format!("Tst{i:04}")),
        agency_name: (kind == ContactKind::Agency).then(|| format!("Agency Tst{i:04}")),
        phones: vec![format!("070-{:03} {:02} {:02}", 100 + i % 900, i % 100, (i * 7) % 100)],
        emails: vec![format!("tst{i:04}@perm.example")],
        ..Default::default()
    }
}

fn contact_body(kind: ContactKind, i: usize) -> serde_json::Value {
    let input = contact_input(kind, i);
    json!({"kind": input.kind, "first_name": input.first_name, "last_name": input.last_name, "agency_name": input.agency_name,
           "phones": input.phones, "emails": input.emails})
}

fn listing_data(broker: UserId) -> PropertyData {
    PropertyData {
        reference: None,
        kind: PropertyKind::House,
        status: PropertyStatus::ForSale,
        street: "Testvägen 1".into(),
        city: "Stockholm".into(),
        postal_code: None,
        country: crm_domain::contacts::Country::SWEDEN,
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
        broker_id: Some(broker),
        contract_date: None,
        access_date: None,
    }
}

fn permissions(u: &UserSpec) -> Permissions {
    Permissions {
        work_with_clients: u.work_with_clients,
        offer_scope: u.offer,
        demand_scope: u.demand,
        export: u.export,
        admin: u.admin,
    }
}

/// A company built from a world, as the API sees it.
struct Built {
    users: Vec<UserId>,
    emails: Vec<String>,
    /// How each user signs in: a password's access token or an API key.
    credentials: Vec<String>,
    contacts: Vec<ContactId>,
    listings: Vec<PropertyId>,
    /// Each demand's id, contact and broker.
    demands: Vec<(DemandId, usize, usize)>,
    /// Hand-overs each user received (contact indexes).
    received: Vec<BTreeSet<usize>>,
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

async fn build(app: &TestApp, hash: &PasswordHash, w: &World) -> Result<Built, TestCaseError> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (company, admin) = app
        .store
        .create_company(
            "Perm Co",
            crm_domain::contacts::Country::SWEDEN,
            "Office 0",
            "Admin",
            &format!("admin-{tag}@perm.example"),
            "admin-password-1",
        )
        .await
        .map_err(fail)?;
    let mut offices: Vec<OfficeId> = vec![admin.office_id];
    for o in 1..w.offices {
        offices.push(app.store.create_office(company.id, &format!("Office {o}")).await.map_err(fail)?);
    }
    // Everyone works with clients while the company is built; then gets their own rights.
    let input = |i: usize, u: &UserSpec, final_rights: bool| UserInput {
        name: format!("User {i}"),
        email: format!("u{i}-{tag}@perm.example"),
        password: (!final_rights).then(|| hash.clone()),
        role: Role::Broker,
        office_id: offices[u.office],
        permissions: if final_rights {
            permissions(u)
        } else {
            Permissions {
                work_with_clients: true,
                ..permissions(u)
            }
        },
        active: true,
        notify_email: false,
        locale: None,
    };
    let mut users = Vec::new();
    let mut emails = Vec::new();
    for (i, u) in w.users.iter().enumerate() {
        let user = app.store.create_user(company.id, input(i, u, false)).await.map_err(fail)?;
        emails.push(user.email.clone());
        users.push(user);
    }
    let god = admin.viewer();
    let mut listings = Vec::new();
    for broker in &w.listings {
        listings.push(
            app.store
                .create_property(&god, &listing_data(users[*broker].id), "SEK")
                .await
                .map_err(fail)?
                .id,
        );
    }
    let mut contacts = Vec::new();
    let mut demands = Vec::new();
    for (i, c) in w.contacts.iter().enumerate() {
        let data = ContactData::parse(&contact_input(c.kind, i), company.country).map_err(fail)?;
        let record = app.store.create_contact(&god, &data, users[c.owner].id).await.map_err(fail)?;
        let listing = listings[i % listings.len()];
        if c.seller {
            app.store
                .add_party(&god, listing, record.id, PartyRole::Seller)
                .await
                .map_err(fail)?;
        }
        if c.buyer {
            app.store
                .add_party(&god, listing, record.id, PartyRole::Buyer)
                .await
                .map_err(fail)?;
        }
        if c.demand {
            // Handled by the owner, so demands' brokers and offices vary.
            let owner = users[c.owner].viewer();
            let d = DemandData {
                contact_id: record.id,
                kind: None,
                min_price: None,
                max_price: Some(1_000_000),
                min_rooms: None,
                area: Some("Söder".into()),
                note: None,
                active: true,
            };
            demands.push((app.store.create_demand(&owner, &d).await.map_err(fail)?.id, i, c.owner));
        }
        contacts.push(record.id);
    }
    let mut credentials = Vec::new();
    for (i, u) in w.users.iter().enumerate() {
        app.store
            .update_user(company.id, users[i].id, input(i, u, true))
            .await
            .map_err(fail)?;
        // The first user signs in with a password, the others with API keys.
        credentials.push(if i == 0 {
            app.login(&emails[i], "perm-password-1").await
        } else {
            app.store
                .create_api_key(company.id, admin.id, users[i].id, "perm")
                .await
                .map_err(fail)?
                .1
        });
    }
    Ok(Built {
        users: users.iter().map(|u| u.id).collect(),
        emails,
        credentials,
        contacts,
        listings,
        demands,
        received: vec![BTreeSet::new(); w.users.len()],
    })
}

fn ids_of(a: &Answer) -> BTreeSet<String> {
    a.body["items"]
        .as_array()
        .map(|items| items.iter().map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

/// Every contact of a list, following the pages.
async fn listed(app: &TestApp, key: &str, first: &str) -> Result<(BTreeSet<String>, u64), TestCaseError> {
    let mut all = BTreeSet::new();
    let mut url = Some(first.to_owned());
    let mut total = None;
    while let Some(u) = url {
        let page = app.get(&u, key).await;
        prop_assert_eq!(page.status, 200, "{}: {}", u, page.body);
        total.get_or_insert(page.body["total"].as_u64().unwrap_or(u64::MAX));
        all.extend(ids_of(&page));
        url = page.body["next"].as_str().map(str::to_owned);
    }
    Ok((all, total.unwrap_or(0)))
}

async fn check_lists(app: &TestApp, w: &World, b: &Built, u: usize) -> Result<(), TestCaseError> {
    let key = &b.credentials[u];
    let expected: BTreeSet<String> = (0..w.contacts.len())
        .filter(|&c| sees(w, u, c))
        .map(|c| b.contacts[c].0.to_string())
        .collect();
    let (all, total) = listed(app, key, "/api/v1/contacts?limit=3").await?;
    prop_assert_eq!(&all, &expected, "list of user {}", u);
    prop_assert_eq!(total, expected.len() as u64, "total of user {}", u);
    let (searched, total) = listed(app, key, "/api/v1/contacts?q=perm&limit=4&sort=-created_at").await?;
    prop_assert_eq!(&searched, &expected, "search of user {}", u);
    prop_assert_eq!(total, expected.len() as u64, "search total of user {}", u);
    let kind = ContactKind::ALL[u % 4];
    let of_kind: BTreeSet<String> = (0..w.contacts.len())
        .filter(|&c| sees(w, u, c) && w.contacts[c].kind == kind)
        .map(|c| b.contacts[c].0.to_string())
        .collect();
    let (by_kind, total) = listed(
        app,
        key,
        &format!("/api/v1/contacts?kind={}&limit=2&sort=-updated_at", kind.as_str()),
    )
    .await?;
    prop_assert_eq!(&by_kind, &of_kind, "kind {} of user {}", kind.as_str(), u);
    prop_assert_eq!(total, of_kind.len() as u64);

    let export = app
        .client
        .get(format!("{}/api/v1/contacts/export", app.address))
        .bearer_auth(key)
        .send()
        .await
        .map_err(fail)?;
    let may_export = w.users[u].work_with_clients && w.users[u].export;
    prop_assert_eq!(export.status().as_u16(), if may_export { 200 } else { 403 });
    if may_export {
        let csv = export.text().await.map_err(fail)?;
        let exported: BTreeSet<String> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap_or_default().to_owned())
            .collect();
        prop_assert_eq!(&exported, &expected, "export of user {}", u);
    }

    let tasks = app.get("/api/v1/tasks?limit=200", key).await;
    let got: BTreeSet<String> = tasks.body["items"]
        .as_array()
        .map(|t| t.iter().map(|t| t["contact_id"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default();
    let want: BTreeSet<String> = b.received[u].iter().map(|c| b.contacts[*c].0.to_string()).collect();
    prop_assert_eq!(got, want, "tasks of user {}", u);
    Ok(())
}

async fn check_records(app: &TestApp, w: &World, b: &Built, u: usize) -> Result<(), TestCaseError> {
    let key = &b.credentials[u];
    let wwc = w.users[u].work_with_clients;
    for (c, id) in b.contacts.iter().enumerate() {
        let visible = sees(w, u, c);
        let status = if visible { 200 } else { 404 };
        prop_assert_eq!(
            app.get(&format!("/api/v1/contacts/{id}"), key).await.status,
            status,
            "get {} as {}",
            c,
            u
        );
        prop_assert_eq!(
            app.get(&format!("/api/v1/contacts/{id}/timeline"), key).await.status,
            status,
            "timeline {} as {}",
            c,
            u
        );
        let lookup = app.get(&format!("/api/v1/contacts/lookup?q=Tst{c:04}"), key).await;
        if !wwc {
            prop_assert_eq!(lookup.status, 403);
            continue;
        }
        let matches = lookup.body["matches"].as_array().cloned().unwrap_or_default();
        prop_assert_eq!(matches.len(), 1, "lookup of {} as {}: {}", c, u, lookup.body);
        prop_assert_eq!(matches[0]["visible"].as_bool(), Some(visible));
        prop_assert_eq!(matches[0]["contact"].is_null(), !visible, "a hidden match carries no data");
    }
    // Listings: read by everyone who works with clients, with the parties they may see.
    let list = app.get("/api/v1/properties?limit=200", key).await;
    prop_assert_eq!(list.status, if wwc { 200 } else { 403 });
    if wwc {
        let want: BTreeSet<String> = b.listings.iter().map(|p| p.0.to_string()).collect();
        prop_assert_eq!(ids_of(&list), want);
        for (l, pid) in b.listings.iter().enumerate() {
            let p = app.get(&format!("/api/v1/properties/{pid}"), key).await;
            prop_assert_eq!(p.status, 200);
            let parties: BTreeSet<String> = p.body["parties"]
                .as_array()
                .map(|ps| ps.iter().map(|x| x["contact_id"].as_str().unwrap_or_default().to_owned()).collect())
                .unwrap_or_default();
            let want: BTreeSet<String> = (0..w.contacts.len())
                .filter(|&c| c % b.listings.len() == l && (w.contacts[c].seller || w.contacts[c].buyer) && sees(w, u, c))
                .map(|c| b.contacts[c].0.to_string())
                .collect();
            prop_assert_eq!(parties, want, "parties of listing {} as {}", l, u);
        }
    }
    for (d, c, _) in &b.demands {
        let status = if sees(w, u, *c) { 200 } else { 404 };
        prop_assert_eq!(
            app.get(&format!("/api/v1/demands/{d}"), key).await.status,
            status,
            "demand of {} as {}",
            c,
            u
        );
    }
    Ok(())
}

async fn act(app: &TestApp, w: &mut World, b: &mut Built, a: &Act) -> Result<(), TestCaseError> {
    let u = a.user;
    let key = b.credentials[u].clone();
    let wwc = w.users[u].work_with_clients;
    let n = w.contacts.len();
    match a.what {
        // A note on a contact.
        0 if n > 0 => {
            let c = a.a % n;
            let r = app
                .post(
                    &format!("/api/v1/contacts/{}/notes", b.contacts[c]),
                    &key,
                    &json!({"body": "Called"}),
                )
                .await;
            prop_assert_eq!(r.status, if sees(w, u, c) { 201 } else { 404 }, "note on {} by {}", c, u);
        }
        // A contact's details, sent again.
        1 if n > 0 => {
            let c = a.a % n;
            let r = app
                .put(
                    &format!("/api/v1/contacts/{}", b.contacts[c]),
                    &key,
                    &contact_body(w.contacts[c].kind, c),
                )
                .await;
            prop_assert_eq!(
                r.status,
                if sees(w, u, c) { 200 } else { 404 },
                "edit of {} by {}: {}",
                c,
                u,
                r.body
            );
        }
        // A listing's details, sent again.
        2 => {
            let l = a.a % b.listings.len();
            let broker = w.listings[l];
            let r = app
                .put(
                    &format!("/api/v1/properties/{}", b.listings[l]),
                    &key,
                    &json!({"kind": "house", "status": "for_sale", "street": "Testvägen 1", "city": "Stockholm"}),
                )
                .await;
            let want = if may_edit_listing(w, u, broker) { 200 } else { 403 };
            prop_assert_eq!(r.status, want, "edit of listing {} (broker {}) by {}: {}", l, broker, u, r.body);
        }
        // A demand, sent again.
        3 if !b.demands.is_empty() => {
            let (d, c, broker) = b.demands[a.a % b.demands.len()];
            let r = app
                .put(
                    &format!("/api/v1/demands/{d}"),
                    &key,
                    &json!({"contact_id": b.contacts[c], "max_price": 1_000_000, "area": "Söder"}),
                )
                .await;
            let want = if !wwc {
                403
            } else if !sees(w, u, c) {
                404
            } else if may_edit_demand(w, u, broker) {
                200
            } else {
                403
            };
            prop_assert_eq!(r.status, want, "edit of demand of {} (broker {}) by {}: {}", c, broker, u, r.body);
        }
        // A new contact for a colleague.
        4 => {
            let owner = a.a % w.users.len();
            let i = n + 1000 * (u + 1);
            let mut body = contact_body(ContactKind::Standard, i);
            body["owner_id"] = json!(b.users[owner]);
            let r = app.post("/api/v1/contacts", &key, &body).await;
            let want = if !wwc {
                403
            } else if may_give_to(w, u, owner) && w.users[owner].work_with_clients {
                201
            } else {
                422
            };
            prop_assert_eq!(r.status, want, "contact for {} by {}: {}", owner, u, r.body);
            if r.status == 201 {
                w.contacts.push(ContactSpec {
                    kind: ContactKind::Standard,
                    owner,
                    seller: false,
                    buyer: false,
                    demand: false,
                });
                b.contacts
                    .push(ContactId(r.body["id"].as_str().unwrap_or_default().parse().map_err(fail)?));
            }
        }
        // A contact becomes a buyer of a listing.
        5 if n > 0 => {
            let c = a.a % n;
            let l = c % b.listings.len();
            let r = app
                .post(
                    &format!("/api/v1/properties/{}/parties", b.listings[l]),
                    &key,
                    &json!({"contact_id": b.contacts[c], "role": "buyer"}),
                )
                .await;
            let want = if !may_edit_listing(w, u, w.listings[l]) {
                403
            } else if !sees(w, u, c) {
                422
            } else if w.contacts[c].buyer {
                409
            } else {
                200
            };
            prop_assert_eq!(r.status, want, "buyer {} of listing {} by {}: {}", c, l, u, r.body);
            if r.status == 200 {
                w.contacts[c].buyer = true;
            }
        }
        // A contact handed over to a colleague.
        6 if n > 0 => {
            let c = a.a % n;
            let to = a.b % w.users.len();
            let r = app
                .post(
                    &format!("/api/v1/contacts/{}/handover", b.contacts[c]),
                    &key,
                    &json!({"to_user_id": b.users[to], "notify_email": false}),
                )
                .await;
            let receiver = &w.users[to];
            let want = if !receiver.work_with_clients || (receiver.office != w.users[u].office && !w.users[u].admin) {
                422
            } else if !sees(w, u, c) {
                404
            } else if w.contacts[c].owner == to {
                422
            } else {
                204
            };
            prop_assert_eq!(r.status, want, "hand-over of {} to {} by {}: {}", c, to, u, r.body);
            if r.status == 204 {
                w.contacts[c].owner = to;
                b.received[to].insert(c);
            }
        }
        _ => {}
    }
    Ok(())
}

async fn check(app: &TestApp, hash: &PasswordHash, mut w: World) -> Result<(), TestCaseError> {
    let mut b = build(app, hash, &w).await?;
    prop_assert!(!b.emails.is_empty());
    for u in 0..w.users.len() {
        check_lists(app, &w, &b, u).await?;
        check_records(app, &w, &b, u).await?;
    }
    let acts = w.acts.clone();
    for a in &acts {
        act(app, &mut w, &mut b, a).await?;
    }
    if !acts.is_empty() {
        for u in 0..w.users.len() {
            check_lists(app, &w, &b, u).await?;
        }
    }
    Ok(())
}

fn run(backend: Backend) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app(backend));
    let hash = rt.block_on(PasswordHash::new("perm-password-1")).unwrap();
    let cases = std::env::var("PERMISSION_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&world(), |w| rt.block_on(check(&app, &hash, w)));
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn permissions_match_the_reference_on_sqlite() {
    run(Backend::Sqlite);
}

#[test]
fn permissions_match_the_reference_on_postgres() {
    run(Backend::Postgres);
}
