//! The visibility policy, proven end to end: random companies, offices, users, scopes and
//! contacts (with offer and demand sides) are created, then every user's answers from the API
//! (get, list, count, lookup, export) are compared with a plain reference implementation of
//! the rules. Each case is a new company on a shared database, so earlier cases' companies are
//! also checked never to leak in. Runs on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use crm_domain::contacts::{ContactData, ContactInput, ContactKind};
use crm_domain::org::{Role, Scope};
use crm_domain::permissions::Permissions;
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus};
use crm_domain::{OfficeId, UserId};
use crm_store::auth::PasswordHash;
use crm_store::org::UserInput;
use crm_store::properties::{DemandData, PropertyData};
use crm_tests::{Backend, TestApp, spawn_app};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[derive(Debug, Clone)]
struct UserSpec {
    office: usize,
    work_with_clients: bool,
    offer: Scope,
    demand: Scope,
    export: bool,
}

#[derive(Debug, Clone)]
struct ContactSpec {
    kind: ContactKind,
    owner: usize,
    seller: bool,
    buyer: bool,
    demand: bool,
}

#[derive(Debug, Clone)]
struct World {
    offices: usize,
    users: Vec<UserSpec>,
    contacts: Vec<ContactSpec>,
}

fn scope() -> impl Strategy<Value = Scope> {
    prop::sample::select(Scope::ALL.to_vec())
}

fn world() -> impl Strategy<Value = World> {
    (1usize..=3).prop_flat_map(|offices| {
        let user = (0..offices, prop::bool::weighted(0.85), scope(), scope(), any::<bool>()).prop_map(
            |(office, work_with_clients, offer, demand, export)| UserSpec {
                office,
                work_with_clients,
                offer,
                demand,
                export,
            },
        );
        (Just(offices), prop::collection::vec(user, 1..=5)).prop_flat_map(|(offices, users)| {
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
            (Just(offices), Just(users), prop::collection::vec(contact, 0..=14)).prop_map(|(offices, users, contacts)| World {
                offices,
                users,
                contacts,
            })
        })
    })
}

/// The rules of domain.md, written out plainly and independently of the policy's clause form.
fn reference(world: &World, user: usize, contact: usize) -> bool {
    let u = &world.users[user];
    let c = &world.contacts[contact];
    if !u.work_with_clients {
        return false;
    }
    if c.kind == ContactKind::Agency || c.owner == user {
        return true;
    }
    let same_office = world.users[c.owner].office == u.office;
    let reaches = |s: Scope| s == Scope::Company || (s == Scope::Office && same_office);
    let on_offer = c.seller;
    let on_demand = c.buyer || c.demand;
    if !on_offer && !on_demand {
        return reaches(u.offer) || reaches(u.demand);
    }
    (on_offer && reaches(u.offer)) || (on_demand && reaches(u.demand))
}

fn contact_input(kind: ContactKind, i: usize) -> ContactInput {
    ContactInput {
        kind: Some(kind.as_str().into()),
        first_name: Some("Perm".into()),
        last_name: Some(format!("Tst{i:04}")),
        agency_name: (kind == ContactKind::Agency).then(|| format!("Agency Tst{i:04}")),
        phones: vec![format!("070-{:03} {:02} {:02}", 100 + i, i % 100, (i * 7) % 100)],
        emails: vec![format!("tst{i:04}@perm.example")],
        ..Default::default()
    }
}

async fn check(app: &TestApp, hash: &PasswordHash, world: World) -> Result<(), TestCaseError> {
    let err = |e: crm_store::StoreError| TestCaseError::fail(e.to_string());
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
        .map_err(err)?;
    let mut offices: Vec<OfficeId> = vec![admin.office_id];
    for o in 1..world.offices {
        offices.push(app.store.create_office(company.id, &format!("Office {o}")).await.map_err(err)?);
    }
    let mut users: Vec<UserId> = Vec::new();
    let mut keys = Vec::new();
    for (i, u) in world.users.iter().enumerate() {
        let user = app
            .store
            .create_user(
                company.id,
                UserInput {
                    name: format!("User {i}"),
                    email: format!("u{i}-{tag}@perm.example"),
                    password: Some(hash.clone()),
                    role: Role::Broker,
                    office_id: offices[u.office],
                    permissions: Permissions {
                        work_with_clients: u.work_with_clients,
                        offer_scope: u.offer,
                        demand_scope: u.demand,
                        export: u.export,
                        admin: false,
                    },
                    active: true,
                    notify_email: false,
                    locale: None,
                },
            )
            .await
            .map_err(err)?;
        let (_, key) = app.store.create_api_key(company.id, admin.id, user.id, "perm").await.map_err(err)?;
        users.push(user.id);
        keys.push(key);
    }
    let god = admin.viewer();
    let listing = app
        .store
        .create_property(
            &god,
            &PropertyData {
                kind: PropertyKind::House,
                status: PropertyStatus::ForSale,
                street: "Testvägen 1".into(),
                city: "Stockholm".into(),
                postal_code: None,
                country: company.country,
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
                broker_id: None,
            },
            "SEK",
        )
        .await
        .map_err(err)?;
    let mut ids = Vec::new();
    for (i, c) in world.contacts.iter().enumerate() {
        let data = ContactData::parse(&contact_input(c.kind, i), company.country).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let record = app.store.create_contact(&god, &data, users[c.owner]).await.map_err(err)?;
        if c.seller {
            app.store
                .add_party(&god, listing.id, record.id, PartyRole::Seller)
                .await
                .map_err(err)?;
        }
        if c.buyer {
            app.store
                .add_party(&god, listing.id, record.id, PartyRole::Buyer)
                .await
                .map_err(err)?;
        }
        if c.demand {
            let d = DemandData {
                contact_id: record.id,
                kind: None,
                min_price: None,
                max_price: None,
                min_rooms: None,
                area: None,
                note: None,
            };
            app.store.create_demand(&god, &d).await.map_err(err)?;
        }
        ids.push(record.id.0.to_string());
    }

    for (u, key) in keys.iter().enumerate() {
        let expected: BTreeSet<String> = (0..ids.len())
            .filter(|&c| reference(&world, u, c))
            .map(|c| ids[c].clone())
            .collect();
        let list = app.get("/api/v1/contacts?limit=200", key).await;
        prop_assert_eq!(list.status, 200);
        let listed: BTreeSet<String> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect();
        prop_assert_eq!(&listed, &expected, "list of user {}", u);
        prop_assert_eq!(list.body["total"].as_u64(), Some(expected.len() as u64), "count of user {}", u);
        let searched = app.get("/api/v1/contacts?q=perm&limit=200", key).await;
        prop_assert_eq!(searched.body["total"].as_u64(), Some(expected.len() as u64), "search of user {}", u);

        for (c, id) in ids.iter().enumerate() {
            let visible = expected.contains(id);
            let got = app.get(&format!("/api/v1/contacts/{id}"), key).await;
            prop_assert_eq!(got.status, if visible { 200 } else { 404 }, "get contact {} as user {}", c, u);
            let lookup = app.get(&format!("/api/v1/contacts/lookup?q=Tst{c:04}"), key).await;
            if !world.users[u].work_with_clients {
                prop_assert_eq!(lookup.status, 403);
                continue;
            }
            let matches = lookup.body["matches"].as_array().unwrap();
            prop_assert_eq!(matches.len(), 1, "lookup of contact {} as user {}: {}", c, u, lookup.body);
            prop_assert_eq!(matches[0]["visible"].as_bool(), Some(visible));
            prop_assert_eq!(
                matches[0]["contact"].is_null(),
                !visible,
                "a hidden match must carry no contact data"
            );
        }

        let export = app
            .client
            .get(format!("{}/api/v1/contacts/export", app.address))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        let may_export = world.users[u].work_with_clients && world.users[u].export;
        prop_assert_eq!(export.status().as_u16(), if may_export { 200 } else { 403 });
        if may_export {
            let csv = export.text().await.unwrap();
            let exported: BTreeSet<String> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap().to_owned()).collect();
            prop_assert_eq!(&exported, &expected, "export of user {}", u);
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
    let cases = std::env::var("PERMISSION_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24);
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
