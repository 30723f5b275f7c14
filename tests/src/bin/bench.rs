//! Every benchmark, on one large company per database (`just bench`; scripts/bench.sh records
//! the results in docs/benchmarks.md):
//! - the bulk import rate through the store;
//! - list pages, p50/p95, for every sort and every filter (text fragments included), as an
//!   administrator, an office manager and a broker;
//! - the caller lookup, p50/p95, for every kind of query;
//! - the CSV export of the whole company: time, and the server's peak memory above idle;
//! - contact creation through the API;
//! - the lead intake: websites' posts, many at a time, with deduplication and routing.
//!
//! The database's planner statistics are gathered while it is empty and never refreshed (the
//! server runs without its job runner), so every plan must hold whatever the statistics say.
//!
//! `bench <contacts> [sqlite|postgres|focus|leads]...`, and in every run the focus-area point
//! lookup (an R-tree of 100,000 polygons against testing each); `leads` measures only the lead
//! intake.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crm_domain::contacts::{ContactData, ContactInput, Country};
use crm_domain::org::{Role, Scope};
use crm_domain::permissions::Permissions;
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus};
use crm_domain::{ContactId, OfficeId};
use crm_store::Store;
use crm_store::auth::PasswordHash;
use crm_store::contacts::ImportRow;
use crm_store::org::{User, UserInput};
use crm_store::properties::PropertyData;
use crm_tests::{Backend, CrmProcess, fresh_database};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const FIRST: [&str; 40] = [
    "Anna",
    "Erik",
    "Karin",
    "Lars",
    "Sofia",
    "Johan",
    "Åsa",
    "Björn",
    "Maja",
    "Oskar",
    "Ingrid",
    "Nils",
    "Elin",
    "Gustav",
    "Hanna",
    "Olof",
    "Jiří",
    "Tereza",
    "Petr",
    "Lucie",
    "Jan",
    "Eva",
    "Tomáš",
    "Zuzana",
    "Dmitrij",
    "Olga",
    "Sergej",
    "Irina",
    "Pavel",
    "Natalja",
    "João",
    "Ana",
    "Luís",
    "Conceição",
    "Pedro",
    "Mariana",
    "Gabriel",
    "Beatriz",
    "Rafael",
    "Letícia",
];
const LAST: [&str; 60] = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Öberg",
    "Lindström",
    "Ekström",
    "Sjöberg",
    "Håkansson",
    "Novák",
    "Svoboda",
    "Novotný",
    "Dvořák",
    "Černý",
    "Procházka",
    "Kučera",
    "Veselý",
    "Horák",
    "Němec",
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Vasiljev",
    "Petrov",
    "Sokolov",
    "Mikhailov",
    "Fedorov",
    "Morozov",
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Ribeiro",
    "Carvalho",
    "Araújo",
    "Gonçalves",
    "Almeida",
    "Lopes",
    "Barbosa",
    "Rocha",
    "Dias",
    "Moreira",
];
const OFFICES: usize = 10;
const BROKERS_PER_OFFICE: usize = 9;

fn ascii(s: &str) -> String {
    crm_domain::text::fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The i-th contact, a pure function of i: a kind, a Swedish mobile number, an email, a name.
fn contact(i: u64) -> (ContactInput, String, String) {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let first = FIRST[((h >> 20) % FIRST.len() as u64) as usize];
    let last = LAST[((h >> 40) % LAST.len() as u64) as usize];
    // 070/072/073/076 + 7 digits: unique per i for up to 10M contacts per prefix.
    let prefix = ["70", "72", "73", "76"][(i % 4) as usize];
    let local = format!("0{prefix}{:07}", i / 4);
    let typed = format!("{}-{} {} {}", &local[..3], &local[3..6], &local[6..8], &local[8..]);
    let email = format!("{}.{}.{i}@mail.example", ascii(first), ascii(last));
    let kind = match (h >> 8) % 100 {
        0..=69 => "standard",
        70..=84 => "verified",
        85..=96 => "draft",
        _ => "agency",
    };
    let input = ContactInput {
        kind: Some(kind.into()),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        agency_name: (kind == "agency").then(|| format!("{last} Fastigheter")),
        phones: vec![typed.clone()],
        emails: vec![email.clone()],
        ..Default::default()
    };
    (input, typed, email)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// Kilobytes of memory a process uses now (`VmRSS`) and at most so far (`VmHWM`).
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Company {
    admin: User,
    managers: Vec<User>,
    brokers: Vec<User>,
}

async fn people(store: &Store, tag: &str) -> Company {
    let hash = PasswordHash::new("bench-password-1").await.expect("hash");
    let (company, admin) = store
        .create_company(
            "Bench Mäklare AB",
            Country::SWEDEN,
            "Office 0",
            "Ada Admin",
            &format!("admin-{tag}@bench.example"),
            "bench-password-1",
        )
        .await
        .expect("company");
    let mut offices = vec![admin.office_id];
    for o in 1..OFFICES {
        offices.push(store.create_office(company.id, &format!("Office {o}")).await.expect("office"));
    }
    let user = |name: String, email: String, office: OfficeId, scope: Scope| UserInput {
        name,
        email,
        password: Some(hash.clone()),
        role: if scope == Scope::Own { Role::Broker } else { Role::OfficeManager },
        office_id: office,
        permissions: Permissions {
            work_with_clients: true,
            offer_scope: scope,
            demand_scope: scope,
            export: scope != Scope::Own,
            admin: false,
        },
        active: true,
        notify_email: false,
        locale: None,
    };
    let (mut managers, mut brokers) = (Vec::new(), Vec::new());
    for (o, office) in offices.iter().enumerate() {
        let m = user(format!("Manager {o}"), format!("m{o}-{tag}@bench.example"), *office, Scope::Office);
        managers.push(store.create_user(company.id, m).await.expect("manager"));
        for b in 0..BROKERS_PER_OFFICE {
            let u = user(
                format!("Broker {o}.{b}"),
                format!("b{o}-{b}-{tag}@bench.example"),
                *office,
                Scope::Own,
            );
            brokers.push(store.create_user(company.id, u).await.expect("broker"));
        }
    }
    Company { admin, managers, brokers }
}

/// Imports `n` contacts spread over the brokers; returns the contacts per second.
async fn seed(store: &Store, company: &Company, n: u64) -> f64 {
    let viewer = company.admin.viewer();
    let started = Instant::now();
    let cpu_before = cpu_seconds();
    let batch = 5_000u64;
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        let rows: Vec<ImportRow> = (i..end)
            .map(|k| ImportRow {
                data: ContactData::parse(&contact(k).0, Country::SWEDEN).expect("valid seed contact"),
                owner: company.brokers[(k % company.brokers.len() as u64) as usize].id,
            })
            .collect();
        store.import_contacts(&viewer, &rows).await.expect("import");
        i = end;
        if i % 200_000 == 0 {
            eprintln!("    {i} contacts ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "    seeded in {wall:.1} s, {:.1} s of it on this process's CPU",
        cpu_seconds() - cpu_before
    );
    n as f64 / wall
}

/// CPU time this process has used, user and system.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// Sellers and buyers of listings, through the store as brokers would add them.
async fn listings(store: &Store, company: &Company, ids: &[ContactId], count: usize) {
    let viewer = company.admin.viewer();
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..count {
        let broker = &company.brokers[i % company.brokers.len()];
        let data = PropertyData {
            reference: None,
            kind: PropertyKind::Apartment,
            status: PropertyStatus::ForSale,
            street: format!("Benchgatan {i}"),
            city: "Stockholm".into(),
            postal_code: None,
            country: Country::SWEDEN,
            lat: None,
            lon: None,
            price: Some(3_000_000),
            living_area: None,
            rooms: None,
            bedrooms: None,
            parking_spaces: None,
            neighbourhood: None,
            condominium: None,
            advertised: true,
            broker_id: Some(broker.id),
            contract_date: None,
            access_date: None,
        };
        let p = store.create_property(&viewer, &data, "SEK").await.expect("listing");
        for role in [PartyRole::Seller, PartyRole::Buyer] {
            let c = ids[rng.gen_range(0..ids.len())];
            let _ = store.add_party(&viewer, p.id, c, role).await;
        }
    }
}

struct Client {
    http: reqwest::Client,
    address: String,
}

impl Client {
    async fn token(&self, email: &str) -> String {
        let r: Value = self
            .http
            .post(format!("{}/api/v1/auth/login", self.address))
            .json(&serde_json::json!({"email": email, "password": "bench-password-1"}))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("json");
        r["access_token"].as_str().expect("token").to_owned()
    }

    /// One GET, timed; panics on anything but success.
    async fn get(&self, token: &str, path: &str) -> (Duration, Value) {
        let started = Instant::now();
        let resp = self
            .http
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("json");
        let took = started.elapsed();
        assert!(status.is_success(), "{path}: {body}");
        (took, body)
    }
}

#[derive(Default)]
struct Table {
    rows: Vec<String>,
}

impl Table {
    fn add(&mut self, db: &str, what: &str, mut times: Vec<Duration>, note: &str) {
        times.sort();
        self.rows.push(format!(
            "| {db} | {what} | {} | {:.2} | {:.2} | {:.2} | {note} |",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 1.0)
        ));
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A list request: the first page, then `pages - 1` more by cursor, timed each.
async fn pages(client: &Client, token: &str, query: &str, pages: usize) -> (Vec<Duration>, u64, bool) {
    let mut times = Vec::new();
    let mut url = format!("/api/v1/contacts?{query}&limit=50");
    let (mut total, mut exact) = (0, true);
    for i in 0..pages {
        let (t, body) = client.get(token, &url).await;
        times.push(t);
        if i == 0 {
            total = body["total"].as_u64().unwrap_or(0);
            exact = body["total_exact"].as_bool().unwrap_or(true);
        }
        match body["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => url = format!("/api/v1/contacts?{query}&limit=50"),
        }
    }
    (times, total, exact)
}

async fn run(backend: Backend, n: u64, only_leads: bool, out: &mut Vec<String>) {
    let db_name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    eprintln!("== {db_name}: seeding {n} contacts");
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    // Statistics of the empty database, never refreshed: the worst case for a planner.
    store.optimize().await.expect("statistics while empty");
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let company = people(&store, &tag).await;
    let rate = seed(&store, &company, n).await;
    let ids: Vec<ContactId> = {
        let page = store
            .list_contacts(
                &company.admin.viewer(),
                Country::SWEDEN,
                &Default::default(),
                crm_store::contacts::ContactSort::CreatedDesc,
                crm_store::contacts::ListOptions {
                    after: None,
                    limit: 200,
                    total: false,
                },
            )
            .await
            .expect("ids");
        page.items.iter().map(|c| c.id).collect()
    };
    listings(&store, &company, &ids, 100).await;
    let mut results = vec![format!(
        "| {db_name} | bulk import through the store | {n} contacts | {rate:.0} contacts/s |"
    )];

    let server = CrmProcess::serve(
        &url,
        &[
            ("CRM_NO_JOBS", "true"),
            ("CRM_ACCESS_TOKEN_SECONDS", "36000"),
            ("CRM_RATE_LEAD_SOURCE", "off"),
            ("RUST_LOG", "warn"),
        ],
    )
    .await;
    let client = Client {
        http: reqwest::Client::new(),
        address: server.address.clone(),
    };
    let admin = client.token(&company.admin.email).await;
    let manager = client.token(&company.managers[0].email).await;
    let broker = client.token(&company.brokers[0].email).await;
    let mut table = Table::default();
    // Warm up: the first requests fill caches and the connection pool.
    for _ in 0..20 {
        client.get(&admin, "/api/v1/contacts?limit=50").await;
    }

    lead_intake(&client, &admin, n, &company, db_name, &mut results, &mut table).await;
    if only_leads {
        report(db_name, results, table, out);
        return;
    }

    // List pages: every sort and every filter, as three kinds of user.
    let owner = company.brokers[3].id;
    let office = company.managers[1].office_id;
    let samples = 30;
    for (who, token) in [("administrator", &admin), ("office manager", &manager), ("broker", &broker)] {
        let mut queries: Vec<(String, String)> = ["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"]
            .iter()
            .map(|s| (format!("sort {s}"), format!("sort={s}")))
            .collect();
        for kind in ["agency", "verified", "standard", "draft"] {
            queries.push((format!("kind {kind}"), format!("kind={kind}")));
        }
        queries.push(("one owner".into(), format!("owner_id={}", owner.0)));
        queries.push(("one office".into(), format!("office_id={}", office.0)));
        for q in [
            "an",
            "jo",
            "lind",
            "sve",
            "dvor",
            "petrov",
            "anna lind",
            "joh ande",
            "zyxw",
            "0701",
            "070-000 12",
            "anna.andersson",
        ] {
            queries.push((format!("text \"{q}\""), format!("q={}", enc(q))));
        }
        queries.push(("text \"an\", sort -updated_at".into(), "q=an&sort=-updated_at".into()));
        for (label, query) in queries {
            let mut times = Vec::new();
            let (mut total, mut exact) = (0, true);
            for _ in 0..samples / 5 {
                let (t, tot, ex) = pages(&client, token, &query, 5).await;
                times.extend(t);
                total = tot;
                exact = ex;
            }
            let note = format!("total {}{total}", if exact { "" } else { "≈ " });
            table.add(db_name, &format!("list, {who}: {label}"), times, &note);
        }
    }

    // The caller lookup, by every kind of query, as the administrator (who sees everything).
    let mut lookups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut pick = StdRng::seed_from_u64(99);
    for _ in 0..200 {
        let k = pick.gen_range(0..n);
        let (input, typed, email) = contact(k);
        let (first, last) = (input.first_name.unwrap_or_default(), input.last_name.unwrap_or_default());
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        lookups.entry("phone, local form").or_default().push(typed.clone());
        lookups
            .entry("phone, international form")
            .or_default()
            .push(format!("+46 {}", &digits[1..]));
        lookups.entry("phone, partly typed").or_default().push(digits[..6].to_owned());
        lookups.entry("email").or_default().push(email);
        lookups.entry("name, first last").or_default().push(format!("{first} {last}"));
        lookups
            .entry("name, LAST fir")
            .or_default()
            .push(format!("{} {}", ascii(&last).to_uppercase(), &ascii(&first)[..3]));
        lookups
            .entry("name, both words partial")
            .or_default()
            .push(format!("{} {}", &ascii(&first)[..3], &ascii(&last)[..4]));
        lookups.entry("name, one fragment").or_default().push(ascii(&last)[..4].to_owned());
    }
    for (kind, queries) in lookups {
        let mut times = Vec::new();
        let mut found = 0;
        for q in &queries {
            let (t, body) = client.get(&admin, &format!("/api/v1/contacts/lookup?q={}", enc(q))).await;
            times.push(t);
            found += usize::from(!body["matches"].as_array().map(Vec::is_empty).unwrap_or(true));
        }
        table.add(
            db_name,
            &format!("lookup: {kind}"),
            times,
            &format!("{found}/{} found", queries.len()),
        );
    }

    // The whole company exported, streamed: time and the server's memory.
    let (idle, _) = memory(server.pid());
    let started = Instant::now();
    let mut resp = client
        .http
        .get(format!("{}/api/v1/contacts/export", client.address))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("export");
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = resp.chunk().await.expect("export chunk") {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let export = started.elapsed();
    let (_, peak) = memory(server.pid());
    results.push(format!(
        "| {db_name} | CSV export of the whole company | {} rows, {:.0} MB in {:.1} s | server memory: {:.0} MB idle, peak {:.0} MB ({:+.0} MB) |",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        export.as_secs_f64(),
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak as f64 - idle as f64) / 1024.0
    ));

    // Creating contacts through the API, one request each, with the statistics still stale.
    let started = Instant::now();
    let creates = 300;
    for i in 0..creates {
        let body = serde_json::json!({"kind": "standard", "last_name": format!("Nyström{i}"), "phones": [format!("+46 8 555 {:05}", i)]});
        let r = client
            .http
            .post(format!("{}/api/v1/contacts", client.address))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
    }
    results.push(format!(
        "| {db_name} | contacts created through the API, one at a time | {creates} | {:.0} contacts/s |",
        creates as f64 / started.elapsed().as_secs_f64()
    ));
    report(db_name, results, table, out);
    drop(server);
}

fn report(db_name: &str, results: Vec<String>, table: Table, out: &mut Vec<String>) {
    out.push(String::new());
    out.push(format!("### {db_name}"));
    out.push(String::new());
    out.push("| database | what | amount | result |".into());
    out.push("|---|---|---|---|".into());
    out.extend(results);
    out.push(String::new());
    out.push("| database | request | requests | p50 ms | p95 ms | max ms | note |".into());
    out.push("|---|---|---|---|---|---|---|".into());
    out.extend(table.rows);
}

/// Leads posted by websites as fast as they come, `LEAD_CLIENTS` at a time, with
/// deduplication (a quarter are people already in the company, found by phone) and routing
/// (a point in one of 100 focus areas, a tenth about a listing) on.
async fn lead_intake(client: &Client, admin: &str, n: u64, company: &Company, db_name: &str, results: &mut Vec<String>, table: &mut Table) {
    use futures::StreamExt;
    const LEADS: usize = 6_000;
    const LEAD_CLIENTS: usize = 16;
    let post = |path: &'static str, body: Value| {
        let req = client.http.post(format!("{}{path}", client.address)).bearer_auth(admin).json(&body);
        async move {
            let r = req.send().await.expect("request");
            let status = r.status();
            let body: Value = r.json().await.expect("json");
            assert!(status.is_success(), "{path}: {body}");
            body
        }
    };
    // Stockholm in a 5 x 2 grid of office areas, each broker a small square inside its office's.
    let square = |x: f64, y: f64, side: f64| serde_json::json!({"type": "Polygon", "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]]});
    for (o, manager) in company.managers.iter().enumerate() {
        let (x, y) = (17.8 + 0.1 * (o % 5) as f64, 59.2 + 0.1 * (o / 5) as f64);
        post(
            "/api/v1/focus-areas",
            serde_json::json!({"name": format!("Area {o}"), "office_id": manager.office_id.0, "geometry": square(x, y, 0.1)}),
        )
        .await;
        for b in 0..BROKERS_PER_OFFICE {
            let broker = &company.brokers[o * BROKERS_PER_OFFICE + b];
            let (bx, by) = (x + 0.01 * b as f64, y + 0.01 * b as f64);
            post(
                "/api/v1/focus-areas",
                serde_json::json!({"name": format!("Area {o}.{b}"), "user_id": broker.id.0, "distributor": b == 0, "geometry": square(bx, by, 0.02)}),
            )
            .await;
        }
    }
    let source = post(
        "/api/v1/lead-sources",
        serde_json::json!({"name": "Bench website", "workflow": "accept_or_decline", "allowed_origins": []}),
    )
    .await;
    let key = source["key"].as_str().expect("key").to_owned();
    let (_, listings) = client.get(admin, "/api/v1/properties?limit=100").await;
    let listings: Vec<String> = listings["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|l| l["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(11);
    let bodies: Vec<Value> = (0..LEADS)
        .map(|i| {
            let (lat, lon) = (rng.gen_range(59.2..59.4), rng.gen_range(17.8..18.3));
            let mut body = if i % 4 == 0 {
                let (input, phone, _) = contact(rng.gen_range(0..n.max(1)));
                serde_json::json!({"name": format!("{} {}", input.first_name.unwrap_or_default(), input.last_name.unwrap_or_default()), "phone": phone})
            } else {
                serde_json::json!({"name": format!("Lead Person{i}"), "phone": format!("+46 70 9{i:06}"), "email": format!("lead{i}@leads.example")})
            };
            body["source_key"] = Value::String(key.clone());
            body["lat"] = lat.into();
            body["lon"] = lon.into();
            body["message"] = Value::String("Jag vill sälja min lägenhet, ring mig gärna.".into());
            if i % 10 == 1 && !listings.is_empty() {
                body["listing_id"] = Value::String(listings[i % listings.len()].clone());
            }
            body
        })
        .collect();
    let url = format!("{}/api/v1/public/leads", client.address);
    let started = Instant::now();
    let mut times: Vec<Duration> = futures::stream::iter(bodies)
        .map(|body| {
            let req = client.http.post(&url).json(&body);
            async move {
                let t = Instant::now();
                let r = req.send().await.expect("lead");
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                assert_eq!(status.as_u16(), 201, "{text}");
                t.elapsed()
            }
        })
        .buffer_unordered(LEAD_CLIENTS)
        .collect()
        .await;
    let wall = started.elapsed().as_secs_f64();
    times.sort();
    let p99 = percentile(&times, 0.99);
    results.push(format!(
        "| {db_name} | leads posted, {LEAD_CLIENTS} at a time (dedupe and routing on, 100 focus areas) | {LEADS} | {:.0} leads/s, p50 {:.1} ms, p99 {p99:.1} ms |",
        LEADS as f64 / wall,
        percentile(&times, 0.5)
    ));
    table.add(
        db_name,
        &format!("lead intake, {LEAD_CLIENTS} at a time"),
        times,
        &format!("p99 {p99:.1} ms"),
    );
}

fn args_leads() -> bool {
    std::env::args().skip(2).any(|a| a == "leads")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    // `focus` alone runs only the focus-area benchmark.
    let backends: Vec<String> = args.collect();
    let named: Vec<Backend> = backends
        .iter()
        .filter_map(|b| match b.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" => Some(Backend::Postgres),
            _ => None,
        })
        .collect();
    let backends = if named.is_empty() && !backends.iter().any(|b| b == "focus") {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        named
    };
    // `leads` measures only the lead intake (after seeding).
    let only_leads = args_leads();
    let mut out = Vec::new();
    for backend in backends.iter().copied() {
        run(backend, n, only_leads, &mut out).await;
    }
    if !only_leads {
        focus_lookup(&mut out);
    }
    println!("{}", out.join("\n"));
}

/// Which focus areas hold a point, among 100,000 polygons spread over Sweden: the R-tree
/// against testing every polygon, in one run.
fn focus_lookup(out: &mut Vec<String>) {
    use crm_domain::contacts::GeoPoint;
    use crm_domain::focus::{Coverage, Covered, Shape};
    let mut rng = StdRng::seed_from_u64(3);
    let areas: Vec<Covered<usize>> = (0..100_000)
        .map(|key| {
            let (x, y) = (rng.gen_range(11.0..24.0), rng.gen_range(55.0..69.0));
            // Irregular hexagons of 1–5 km across.
            let r = rng.gen_range(0.005..0.025);
            let ring: Vec<Value> = (0..=6)
                .map(|i| {
                    let a = (i % 6) as f64 / 6.0 * std::f64::consts::TAU;
                    serde_json::json!([x + r * a.cos() * 1.8, y + r * a.sin()])
                })
                .collect();
            let shape = Shape::from_json(&serde_json::json!({"type": "Polygon", "coordinates": [ring]})).expect("hexagon");
            Covered {
                key,
                distributor: key % 10 == 0,
                shape,
            }
        })
        .collect();
    let coverage = Coverage::new(areas);
    let points: Vec<GeoPoint> = (0..2_000)
        .map(|_| GeoPoint {
            lat: rng.gen_range(55.0..69.0),
            lon: rng.gen_range(11.0..24.0),
        })
        .collect();
    let time = |f: &dyn Fn(GeoPoint) -> usize, points: &[GeoPoint]| {
        let started = Instant::now();
        let found: usize = points.iter().map(|p| f(*p)).sum();
        (started.elapsed().as_secs_f64() * 1e6 / points.len() as f64, found)
    };
    let (tree, found_tree) = time(&|p| coverage.covering(p).len(), &points);
    let (scan, found_scan) = time(&|p| coverage.covering_by_scan(p).len(), &points[..200]);
    let (_, found_scan_same) = time(&|p| coverage.covering(p).len(), &points[..200]);
    assert_eq!(found_scan, found_scan_same, "the index and the scan disagree");
    out.push(String::new());
    out.push("### Focus areas".into());
    out.push(String::new());
    out.push("| what | polygons | lookups | µs per lookup | areas found |".into());
    out.push("|---|---|---|---|---|".into());
    out.push(format!(
        "| R-tree (`Coverage::covering`) | {} | {} | {tree:.2} | {found_tree} |",
        coverage.len(),
        points.len()
    ));
    out.push(format!(
        "| every polygon tested | {} | 200 | {scan:.1} | {found_scan} |",
        coverage.len()
    ));
    out.push(format!("| the R-tree is faster by | | | {:.0}× | |", scan / tree));
}
