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
//! On PostgreSQL the seeded database is vacuumed without ANALYZE before it is measured, as the
//! product's import and its `statistics` job vacuum after large writes; on both databases the
//! seeding's write-ahead log is then written back (a checkpoint), so that what is measured is the
//! server at work and not the disk still busy with the seeding (see `settled`).
//!
//! `bench <contacts> [sqlite|postgres|focus|leads|calendar]...`, and in every run the focus-area
//! point lookup (an R-tree of 100,000 polygons against testing each); `leads` measures only the
//! lead intake; `calendar` only the calendar: an office of 30 brokers with five years of history
//! (200,000 meetings, viewings and timed callbacks), a month of the office at a time, and a busy
//! broker's iCalendar feed; `calls` filling a call list; `segments` selections combining four
//! conditions on a client's history, counted with their first page, and one office exported
//! to `.xlsx` (time and server memory).

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

/// A server's memory in kilobytes: its own (`RssAnon`: heap, stacks) and all it has resident
/// (`VmRSS`), which on SQLite also counts the database pages the server maps into memory
/// (`mmap_size`): those belong to the operating system's page cache, shared and given back
/// under pressure.
#[derive(Clone, Copy, Default)]
struct Memory {
    own: u64,
    resident: u64,
}

fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        own: field("RssAnon:"),
        resident: field("VmRSS:"),
    }
}

/// Runs `work` while sampling the server's memory every 5 ms; returns what `work` returned,
/// the memory before it and the highest seen during it.
async fn watched<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, Memory, Memory) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let idle = memory(pid);
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = idle;
            loop {
                let now = memory(pid);
                peak.own = peak.own.max(now.own);
                peak.resident = peak.resident.max(now.resident);
                if done.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let out = work.await;
    done.store(true, Ordering::Relaxed);
    let peak = sampler.join().expect("memory sampler");
    (out, idle, peak)
}

/// "server memory: …" for a results table: the server's own memory, then all it had resident.
fn memory_note(idle: Memory, peak: Memory) -> String {
    let mb = |kb: u64| kb as f64 / 1024.0;
    format!(
        "server's own memory: {:.0} MB idle, peak {:.0} MB ({:+.0} MB); resident with mapped database pages: {:.0} MB, peak {:.0} MB ({:+.0} MB)",
        mb(idle.own),
        mb(peak.own),
        mb(peak.own) - mb(idle.own),
        mb(idle.resident),
        mb(peak.resident),
        mb(peak.resident) - mb(idle.resident)
    )
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

/// The 200 contacts of the company made last (parties of the seeded listings).
async fn newest_contacts(store: &Store, company: &Company) -> Vec<ContactId> {
    store
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
        .expect("ids")
        .items
        .iter()
        .map(|c| c.id)
        .collect()
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

    /// One GET, timed from sending the request to the answer's last byte (reading the JSON into
    /// a value afterwards is the client's work); panics on anything but success.
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
        let bytes = resp.bytes().await.expect("body");
        let took = started.elapsed();
        let body: Value = serde_json::from_slice(&bytes).expect("json");
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

/// What the product's maintenance leaves after a large write, without fresh statistics: on
/// PostgreSQL the import job (past 10,000 rows) and the six-hourly `statistics` job vacuum,
/// which keeps the visibility map current so that index-only scans read no table rows; the
/// bench vacuums without ANALYZE, so the planner keeps the empty database's statistics.
///
/// Then a checkpoint, on both databases: seeding a million contacts writes gigabytes of
/// write-ahead log, and without it the measurement starts inside the checkpoints that log
/// still owes (on PostgreSQL a checkpoint of the seeding, 15 s long with a second of `fsync`,
/// ran through the whole lead intake; on SQLite the server's first write would copy the
/// seeding's log back). A server that has been running has no such backlog; the checkpoints
/// that the measured work causes itself still fall within the measurement.
async fn settled(url: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url).await.expect("connect");
    let started = Instant::now();
    let checkpoint = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM").await.expect("vacuum");
        "CHECKPOINT"
    } else {
        "PRAGMA wal_checkpoint(TRUNCATE)"
    };
    // PostgreSQL lets only a superuser or a member of `pg_checkpoint` ask for one.
    if let Err(e) = db.execute_unprepared(checkpoint).await {
        eprintln!("    no checkpoint before measuring ({e})");
    }
    eprintln!("    vacuumed and checkpointed in {:.1} s", started.elapsed().as_secs_f64());
}

/// A fresh database of `backend` with the benchmark's company and its people; the planner's
/// statistics are those of the empty database and never refreshed: the worst case for a planner.
async fn fresh_company(backend: Backend, what: &str) -> (&'static str, String, Store, String, Company) {
    let db_name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    eprintln!("== {db_name}: seeding {what}");
    let url = fresh_database(backend).await;
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.optimize().await.expect("statistics while empty");
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let company = people(&store, &tag).await;
    (db_name, url, store, tag, company)
}

async fn run(backend: Backend, n: u64, only_leads: bool, out: &mut Vec<String>) {
    let (db_name, url, store, _, company) = fresh_company(backend, &format!("{n} contacts")).await;
    let rate = seed(&store, &company, n).await;
    let ids = newest_contacts(&store, &company).await;
    listings(&store, &company, &ids, 100).await;
    let mut results = vec![format!(
        "| {db_name} | bulk import through the store | {n} contacts | {rate:.0} contacts/s |"
    )];

    settled(&url).await;
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
    let started = Instant::now();
    let ((bytes, lines), idle, peak) = watched(server.pid(), async {
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
        (bytes, lines)
    })
    .await;
    let export = started.elapsed();
    results.push(format!(
        "| {db_name} | CSV export of the whole company | {} rows, {:.0} MB in {:.1} s | {} |",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        export.as_secs_f64(),
        memory_note(idle, peak)
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

fn args_calendar() -> bool {
    std::env::args().skip(2).any(|a| a == "calendar")
}

/// Rows written straight into a table, a few hundred per statement (seeding only: the
/// benchmark measures reading).
async fn bulk(db: &sea_orm::DatabaseConnection, table: &str, cols: &[&str], rows: Vec<Vec<sea_orm::Value>>) {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Query, SimpleExpr};
    for chunk in rows.chunks(300) {
        let mut q = Query::insert();
        q.into_table(Alias::new(table)).columns(cols.iter().map(|c| Alias::new(*c)));
        for r in chunk {
            q.values_panic(r.iter().cloned().map(SimpleExpr::from));
        }
        let stmt = db.get_database_backend().build(&q);
        db.execute_raw(stmt).await.expect("bulk insert");
    }
}

/// The calendar of an office of 30 brokers with five years of bookings (200,000 meetings,
/// viewings and timed callbacks, from four and a half years back to half a year ahead): a month
/// of the whole office, a week of one broker, and a busy broker's iCalendar feed.
async fn calendar_bench(backend: Backend, out: &mut Vec<String>) {
    use sea_orm::Value as V;
    const BROKERS: usize = 30;
    const ENTRIES: usize = 200_000;
    let (db_name, url, store, tag, company) = fresh_company(backend, "the calendar").await;
    let company_id = company.admin.company_id;
    let office = store.create_office(company_id, "Calendar office").await.expect("office");
    let hash = PasswordHash::new("bench-password-1").await.expect("hash");
    let user = |name: String, email: String, scope: Scope| UserInput {
        name,
        email,
        password: Some(hash.clone()),
        role: if scope == Scope::Own { Role::Broker } else { Role::OfficeManager },
        office_id: office,
        permissions: Permissions {
            work_with_clients: true,
            offer_scope: scope,
            demand_scope: scope,
            export: false,
            admin: false,
        },
        active: true,
        notify_email: false,
        locale: None,
    };
    let manager = store
        .create_user(
            company_id,
            user("Calendar Manager".into(), format!("cm-{tag}@bench.example"), Scope::Office),
        )
        .await
        .expect("manager");
    let mut brokers = Vec::new();
    for b in 0..BROKERS {
        brokers.push(
            store
                .create_user(
                    company_id,
                    user(format!("Calendar Broker {b}"), format!("cb{b}-{tag}@bench.example"), Scope::Own),
                )
                .await
                .expect("broker"),
        );
    }
    let cal = Company {
        admin: company.admin.clone(),
        managers: vec![manager.clone()],
        brokers: brokers.clone(),
    };
    seed(&store, &cal, 20_000).await;
    let ids = newest_contacts(&store, &cal).await;
    listings(&store, &cal, &ids, 60).await;
    let listing_ids: Vec<uuid::Uuid> = store
        .list_properties(&company.admin.viewer(), Default::default(), None, 200)
        .await
        .expect("listings")
        .items
        .iter()
        .filter(|p| brokers.iter().any(|b| b.id == p.broker_id))
        .map(|p| p.id.0)
        .collect();
    let db = sea_orm::Database::connect(&url).await.expect("connect for seeding");
    let mut rng = StdRng::seed_from_u64(42);
    let now = chrono::Utc::now();
    // Midnight, so bookings fall on the quarter hours as brokers book them.
    let start = (now - chrono::Duration::days(4 * 365 + 182))
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    let span_minutes = 5 * 365 * 24 * 60;
    let (mut meetings, mut viewings, mut callbacks) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..ENTRIES {
        let broker = brokers[i % BROKERS].id.0;
        // Working hours on any day: 8:00 to 19:00 in steps of 15 minutes.
        let day = rng.gen_range(0..span_minutes / (24 * 60)) as i64;
        let at = start + chrono::Duration::days(day) + chrono::Duration::minutes(8 * 60 + 15 * rng.gen_range(0..44));
        let id = V::Uuid(Some(uuid::Uuid::now_v7()));
        let c = V::Uuid(Some(ids[rng.gen_range(0..ids.len())].0));
        let listing = V::Uuid(Some(listing_ids[rng.gen_range(0..listing_ids.len())]));
        let time = |t: chrono::DateTime<chrono::Utc>| V::ChronoDateTimeUtc(Some(t));
        let text = |t: &str| V::String(Some(t.to_owned()));
        let none_text = V::String(None);
        match i % 5 {
            0 | 1 => meetings.push(vec![
                V::Uuid(Some(company_id.0)),
                id,
                c,
                V::Uuid(Some(broker)),
                listing,
                time(at),
                time(at + chrono::Duration::hours(1)),
                none_text.clone(),
                none_text.clone(),
                text("none"),
                text(if at < now { "held" } else { "booked" }),
                none_text.clone(),
                none_text.clone(),
                none_text.clone(),
                V::Uuid(Some(broker)),
                time(at - chrono::Duration::days(7)),
                time(at),
            ]),
            2 | 3 => viewings.push(vec![
                V::Uuid(Some(company_id.0)),
                id,
                listing,
                V::Uuid(Some(broker)),
                time(at),
                time(at + chrono::Duration::minutes(30)),
                none_text.clone(),
                V::ChronoDateTimeUtc(None),
                V::Uuid(Some(broker)),
                time(at - chrono::Duration::days(7)),
            ]),
            _ => callbacks.push(vec![
                V::Uuid(Some(company_id.0)),
                id,
                V::Uuid(Some(broker)),
                text("callback"),
                text("Call back"),
                none_text.clone(),
                c,
                time(at),
                if at < now { time(at) } else { V::ChronoDateTimeUtc(None) },
                time(at - chrono::Duration::days(3)),
                V::Bool(Some(at < now)),
                V::Uuid(None),
                V::Uuid(None),
                V::Bool(Some(true)),
                none_text.clone(),
            ]),
        }
    }
    bulk(
        &db,
        "meetings",
        &[
            "company_id",
            "id",
            "contact_id",
            "user_id",
            "property_id",
            "starts_at",
            "ends_at",
            "place",
            "note",
            "confirmation",
            "status",
            "outcome",
            "cancelled_by",
            "cancel_reason",
            "created_by",
            "created_at",
            "updated_at",
        ],
        meetings,
    )
    .await;
    bulk(
        &db,
        "viewings",
        &[
            "company_id",
            "id",
            "property_id",
            "broker_id",
            "starts_at",
            "ends_at",
            "note",
            "cancelled_at",
            "created_by",
            "created_at",
        ],
        viewings,
    )
    .await;
    bulk(
        &db,
        "tasks",
        &[
            "company_id",
            "id",
            "assignee_id",
            "kind",
            "title",
            "body",
            "contact_id",
            "due_at",
            "done_at",
            "created_at",
            "done",
            "property_id",
            "tank_office_id",
            "timed",
            "origin",
        ],
        callbacks,
    )
    .await;
    eprintln!("    {ENTRIES} bookings seeded");

    settled(&url).await;
    let server = CrmProcess::serve(
        &url,
        &[("CRM_NO_JOBS", "true"), ("CRM_ACCESS_TOKEN_SECONDS", "36000"), ("RUST_LOG", "warn")],
    )
    .await;
    let client = Client {
        http: reqwest::Client::new(),
        address: server.address.clone(),
    };
    let boss = client.token(&manager.email).await;
    let busy = client.token(&brokers[0].email).await;
    let mut table = Table::default();
    let mut results = Vec::new();
    let month = |k: i64| {
        let first = (start + chrono::Duration::days(30 * k)).date_naive();
        (first, first + chrono::Duration::days(30))
    };
    for k in 0..5 {
        let (from, to) = month(k);
        client
            .get(&boss, &format!("/api/v1/calendar?from={from}&to={to}&office_id={}", office.0))
            .await;
    }
    let (mut times, mut entries) = (Vec::new(), 0usize);
    for k in 0..100 {
        let (from, to) = month(k % 60);
        let (t, body) = client
            .get(&boss, &format!("/api/v1/calendar?from={from}&to={to}&office_id={}", office.0))
            .await;
        entries += body.as_array().map(Vec::len).unwrap_or(0);
        times.push(t);
    }
    table.add(
        db_name,
        "calendar: an office of 30 brokers, a month",
        times,
        &format!("{} bookings per month on average", entries / 100),
    );
    let mut times = Vec::new();
    for k in 0..100 {
        let (from, _) = month(k % 60);
        let to = from + chrono::Duration::days(6);
        times.push(client.get(&busy, &format!("/api/v1/calendar?from={from}&to={to}")).await.0);
    }
    table.add(db_name, "calendar: one broker, a week", times, "");
    let feed: Value = client
        .http
        .post(format!("{}/api/v1/me/calendar-feed", client.address))
        .bearer_auth(&busy)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("json");
    let url_feed = feed["url"].as_str().expect("feed url").to_owned();
    let (mut times, mut events) = (Vec::new(), 0usize);
    for _ in 0..50 {
        let t = Instant::now();
        let text = client.http.get(&url_feed).send().await.expect("feed").text().await.expect("text");
        times.push(t.elapsed());
        events = text.matches("BEGIN:VEVENT").count();
    }
    table.add(
        db_name,
        "iCalendar feed of a busy broker (60 days back, a year ahead)",
        times,
        &format!("{events} events"),
    );
    results.push(format!("| {db_name} | bookings in the company (meetings, viewings, timed callbacks over five years) | {ENTRIES} | 30 brokers in the office |"));
    report(db_name, results, table, out);
    drop(server);
}

fn args_calls() -> bool {
    std::env::args().skip(2).any(|a| a == "calls")
}

/// Filling a call list from a selection of `n` contacts through the running server (the
/// administrator sees them all), filling it again (everything already on it), and taking the
/// next contact to call.
async fn call_list_bench(backend: Backend, n: u64, out: &mut Vec<String>) {
    let (db_name, url, store, _, company) = fresh_company(backend, &format!("{n} contacts for a call list")).await;
    let rate = seed(&store, &company, n).await;
    let mut results = vec![format!(
        "| {db_name} | bulk import through the store | {n} contacts | {rate:.0} contacts/s |"
    )];
    settled(&url).await;
    let server = CrmProcess::serve(
        &url,
        &[("CRM_NO_JOBS", "true"), ("CRM_ACCESS_TOKEN_SECONDS", "36000"), ("RUST_LOG", "warn")],
    )
    .await;
    let client = Client {
        http: reqwest::Client::new(),
        address: server.address.clone(),
    };
    let admin = client.token(&company.admin.email).await;
    let post = |path: String, body: Value| {
        let (http, address, token) = (client.http.clone(), client.address.clone(), admin.clone());
        async move {
            let started = Instant::now();
            let r = http
                .post(format!("{address}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            assert!(r.status().is_success(), "{path}: {}", r.status());
            let v: Value = r.json().await.expect("json");
            (started.elapsed(), v)
        }
    };
    let (_, list) = post(
        "/api/v1/call-lists".into(),
        serde_json::json!({"name": "Everyone", "instructions": "Ask about their plans."}),
    )
    .await;
    let id = list["id"].as_str().expect("list id").to_owned();
    // A saved filter every contact meets (a segment condition, so the fill walks the segment).
    let (_, saved) = post(
        "/api/v1/saved-filters".into(),
        serde_json::json!({"name": "Not opted out", "filter": {"opted_out": false}}),
    )
    .await;
    let filter = saved["filter"].clone();
    let (took, filled) = post(format!("/api/v1/call-lists/{id}/fill"), filter.clone()).await;
    results.push(format!(
        "| {db_name} | fill a call list from a saved filter (`POST /call-lists/{{id}}/fill` with its filter: not opted out) | {} contacts added | {:.2} s |",
        filled["added"],
        took.as_secs_f64()
    ));
    let (took, again) = post(format!("/api/v1/call-lists/{id}/fill"), filter).await;
    results.push(format!(
        "| {db_name} | fill the same list again (every contact already on it) | {} left out | {:.2} s |",
        again["skipped"],
        took.as_secs_f64()
    ));
    let (took, part) = post(format!("/api/v1/call-lists/{id}/fill"), serde_json::json!({"q": "lind"})).await;
    results.push(format!(
        "| {db_name} | fill with a text selection (`q=lind`) already on the list | {} left out | {:.2} s |",
        part["skipped"],
        took.as_secs_f64()
    ));
    let mut table = Table::default();
    let mut times = Vec::new();
    for _ in 0..100 {
        times.push(post(format!("/api/v1/call-lists/{id}/next"), serde_json::json!({})).await.0);
    }
    table.add(db_name, "take the next contact from the list (the one held)", times, "");
    report(db_name, results, table, out);
    drop(server);
}

fn args_segments() -> bool {
    std::env::args().skip(2).any(|a| a == "segments")
}

/// Segmentation over `n` contacts with a history (viewings with attendance, customer meetings,
/// bids, buyers, demands, calls, call cards, tags, opt-outs) written straight into the tables:
/// selections combining four conditions, counted with their first page, as an administrator, an
/// office manager and a broker; then one office's contacts (a tenth of the company) exported to
/// `.xlsx`: time, and the server's peak memory above idle.
async fn segments_bench(backend: Backend, n: u64, out: &mut Vec<String>) {
    use sea_orm::ConnectionTrait;
    use sea_orm::Value as V;
    let (db_name, url, store, _, company) = fresh_company(backend, &format!("{n} contacts with a history")).await;
    let rate = seed(&store, &company, n).await;
    let newest = newest_contacts(&store, &company).await;
    listings(&store, &company, &newest, 200).await;
    let mut results = vec![format!(
        "| {db_name} | bulk import through the store | {n} contacts | {rate:.0} contacts/s |"
    )];
    let company_id = company.admin.company_id;
    let db = sea_orm::Database::connect(&url).await.expect("connect");
    let backend_kind = db.get_database_backend();
    let column = |sql: &str| {
        let db = &db;
        let sql = sql.replace(
            "{company}",
            if backend_kind == sea_orm::DatabaseBackend::Postgres {
                "$1"
            } else {
                "?"
            },
        );
        async move {
            db.query_all_raw(sea_orm::Statement::from_sql_and_values(
                backend_kind,
                sql,
                [V::Uuid(Some(company_id.0))],
            ))
            .await
            .expect("ids")
            .iter()
            .map(|r| r.try_get_by_index::<uuid::Uuid>(0).expect("uuid"))
            .collect::<Vec<_>>()
        }
    };
    let ids = column("SELECT id FROM contacts WHERE company_id = {company} ORDER BY id").await;
    let listings_ids = column("SELECT id FROM properties WHERE company_id = {company}").await;
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(11);
    let now = chrono::Utc::now();
    let ago = |rng: &mut StdRng, days: i64| now - chrono::Duration::minutes(rng.gen_range(0..days * 24 * 60));
    let c = V::Uuid(Some(company_id.0));
    let time = |t: chrono::DateTime<chrono::Utc>| V::ChronoDateTimeUtc(Some(t));
    let text = |t: &str| V::String(Some(t.to_owned()));
    let broker = |rng: &mut StdRng| V::Uuid(Some(company.brokers[rng.gen_range(0..company.brokers.len())].id.0));
    let contact = |rng: &mut StdRng| V::Uuid(Some(ids[rng.gen_range(0..ids.len())]));
    let listing = |rng: &mut StdRng| V::Uuid(Some(listings_ids[rng.gen_range(0..listings_ids.len())]));
    // Viewings over two years, five participants each.
    let viewings_n = (n / 50).max(100) as usize;
    let (mut viewings, mut participants) = (Vec::new(), Vec::new());
    for _ in 0..viewings_n {
        let id = uuid::Uuid::now_v7();
        let at = ago(&mut rng, 730);
        let b = broker(&mut rng);
        viewings.push(vec![
            c.clone(),
            V::Uuid(Some(id)),
            listing(&mut rng),
            b.clone(),
            time(at),
            time(at + chrono::Duration::minutes(30)),
            V::String(None),
            V::ChronoDateTimeUtc(None),
            b,
            time(at),
        ]);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..5 {
            let who = ids[rng.gen_range(0..ids.len())];
            if !seen.insert(who) {
                continue;
            }
            let status = match rng.gen_range(0..100) {
                0..=69 => "attended",
                70..=84 => "no_show",
                _ => "booked",
            };
            participants.push(vec![
                c.clone(),
                V::Uuid(Some(id)),
                V::Uuid(Some(who)),
                text(status),
                time(at),
                V::ChronoDateTimeUtc(None),
            ]);
        }
    }
    bulk(
        &db,
        "viewings",
        &[
            "company_id",
            "id",
            "property_id",
            "broker_id",
            "starts_at",
            "ends_at",
            "note",
            "cancelled_at",
            "created_by",
            "created_at",
        ],
        viewings,
    )
    .await;
    let participants_n = participants.len();
    bulk(
        &db,
        "viewing_participants",
        &["company_id", "viewing_id", "contact_id", "status", "updated_at", "auto_tip_at"],
        participants,
    )
    .await;
    // Customer meetings booked over two years.
    let meetings: Vec<Vec<V>> = (0..n / 30)
        .map(|_| {
            let at = ago(&mut rng, 730);
            let b = broker(&mut rng);
            vec![
                c.clone(),
                V::Uuid(Some(uuid::Uuid::now_v7())),
                contact(&mut rng),
                b.clone(),
                listing(&mut rng),
                time(at + chrono::Duration::days(3)),
                time(at + chrono::Duration::days(3) + chrono::Duration::hours(1)),
                V::String(None),
                V::String(None),
                text("none"),
                text("held"),
                V::String(None),
                V::String(None),
                V::String(None),
                b,
                time(at),
                time(at),
            ]
        })
        .collect();
    let meetings_n = meetings.len();
    bulk(
        &db,
        "meetings",
        &[
            "company_id",
            "id",
            "contact_id",
            "user_id",
            "property_id",
            "starts_at",
            "ends_at",
            "place",
            "note",
            "confirmation",
            "status",
            "outcome",
            "cancelled_by",
            "cancel_reason",
            "created_by",
            "created_at",
            "updated_at",
        ],
        meetings,
    )
    .await;
    // Bids over two years, and buyers of listings (one contact per listing and role).
    let bids: Vec<Vec<V>> = (0..n / 20)
        .map(|_| {
            let at = ago(&mut rng, 730);
            let b = broker(&mut rng);
            vec![
                c.clone(),
                V::Uuid(Some(uuid::Uuid::now_v7())),
                listing(&mut rng),
                contact(&mut rng),
                V::BigInt(Some(rng.gen_range(2_000..6_000) * 1_000)),
                time(at),
                text("open"),
                V::String(None),
                b,
                time(at),
            ]
        })
        .collect();
    let bids_n = bids.len();
    bulk(
        &db,
        "bids",
        &[
            "company_id",
            "id",
            "property_id",
            "contact_id",
            "amount",
            "placed_at",
            "status",
            "note",
            "created_by",
            "created_at",
        ],
        bids,
    )
    .await;
    let buyers: Vec<Vec<V>> = (0..(n / 100) as usize)
        .map(|k| {
            vec![
                c.clone(),
                V::Uuid(Some(listings_ids[k % listings_ids.len()])),
                V::Uuid(Some(ids[(k * 97) % ids.len()])),
                text("buyer"),
                time(ago(&mut rng, 730)),
            ]
        })
        .collect();
    bulk(
        &db,
        "property_parties",
        &["company_id", "property_id", "contact_id", "role", "created_at"],
        buyers,
    )
    .await;
    // Demands in named areas with price ranges.
    const AREAS: [&str; 10] = [
        "Södermalm",
        "Vasastan",
        "Kungsholmen",
        "Östermalm",
        "Hammarby sjöstad",
        "Bromma",
        "Solna",
        "Nacka",
        "Hornstull",
        "Gamla stan",
    ];
    // The words of each area indexed as the store indexes a demand's (`demand_words`).
    let mut area_rows = Vec::new();
    let demands: Vec<Vec<V>> = (0..n / 10)
        .map(|_| {
            let low = rng.gen_range(1_000..6_000) * 1_000;
            let (id, who, active) = (uuid::Uuid::now_v7(), contact(&mut rng), rng.gen_range(0..10) > 0);
            let area = format!("{}, {}", AREAS[rng.gen_range(0..AREAS.len())], AREAS[rng.gen_range(0..AREAS.len())]);
            let words = crm_domain::properties::area_words(&area);
            let joined = words.join(" ");
            for w in words {
                area_rows.push(vec![
                    c.clone(),
                    text(&w),
                    V::Uuid(Some(id)),
                    who.clone(),
                    V::Bool(Some(active)),
                    V::BigInt(Some(low)),
                    V::BigInt(Some(low + 2_000_000)),
                    text(&joined),
                ]);
            }
            vec![
                c.clone(),
                V::Uuid(Some(id)),
                who,
                broker(&mut rng),
                V::Uuid(Some(company.admin.office_id.0)),
                V::String(None),
                V::BigInt(Some(low)),
                V::BigInt(Some(low + 2_000_000)),
                V::Double(None),
                text(&area),
                V::String(None),
                V::Bool(Some(active)),
                time(ago(&mut rng, 730)),
                text(&joined),
            ]
        })
        .collect();
    let demands_n = demands.len();
    bulk(
        &db,
        "demands",
        &[
            "company_id",
            "id",
            "contact_id",
            "broker_id",
            "office_id",
            "kind",
            "min_price",
            "max_price",
            "min_rooms",
            "area",
            "note",
            "active",
            "created_at",
            "words",
        ],
        demands,
    )
    .await;
    bulk(
        &db,
        "demand_words",
        &[
            "company_id",
            "word",
            "demand_id",
            "contact_id",
            "active",
            "min_price",
            "max_price",
            "words",
        ],
        area_rows,
    )
    .await;
    // Calls over a year, call cards, tags.
    let calls: Vec<Vec<V>> = (0..n / 5)
        .map(|_| {
            let answered = rng.gen_range(0..2) == 0;
            vec![
                c.clone(),
                V::Uuid(Some(uuid::Uuid::now_v7())),
                contact(&mut rng),
                broker(&mut rng),
                text("out"),
                V::Bool(Some(answered)),
                V::String(Some(if answered { "working" } else { "no_answer" }.to_owned())),
                V::String(None),
                V::String(None),
                V::String(None),
                time(ago(&mut rng, 365)),
            ]
        })
        .collect();
    let calls_n = calls.len();
    bulk(
        &db,
        "calls",
        &[
            "company_id",
            "id",
            "contact_id",
            "user_id",
            "direction",
            "answered",
            "outcome",
            "stage",
            "comment",
            "phone",
            "at",
        ],
        calls,
    )
    .await;
    let stages = ["working", "postponed", "call_again", "non_target", "with_colleague"];
    let cards: Vec<Vec<V>> = (0..(n / 10) as usize)
        .map(|k| {
            vec![
                c.clone(),
                V::Uuid(Some(ids[(k * 7) % ids.len()])),
                text(stages[k % stages.len()]),
                V::String(None),
                V::Int(Some(1)),
                V::Int(Some(0)),
                V::Int(Some(0)),
                V::ChronoDate(None),
                V::ChronoDate(None),
                time(now),
                V::Uuid(None),
            ]
        })
        .collect();
    bulk(
        &db,
        "call_cards",
        &[
            "company_id",
            "contact_id",
            "stage",
            "reason",
            "calls",
            "unanswered",
            "rude",
            "last_call_on",
            "until",
            "updated_at",
            "updated_by",
        ],
        cards,
    )
    .await;
    let tags: Vec<Vec<V>> = (0..(n / 20) as usize)
        .map(|k| {
            vec![
                c.clone(),
                V::Uuid(Some(ids[(k * 13) % ids.len()])),
                text("selling_own_home"),
                time(now),
            ]
        })
        .collect();
    bulk(&db, "contact_tags", &["company_id", "contact_id", "tag", "added_at"], tags).await;
    // One contact in twenty opted out.
    for chunk in ids.iter().step_by(20).collect::<Vec<_>>().chunks(500) {
        let pg = backend_kind == sea_orm::DatabaseBackend::Postgres;
        let mark = |i: usize| if pg { format!("${i}") } else { "?".to_owned() };
        let list = (0..chunk.len()).map(|i| mark(i + 3)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "UPDATE contacts SET opted_out = {} WHERE company_id = {} AND id IN ({list})",
            mark(1),
            mark(2)
        );
        let mut values = vec![V::Bool(Some(true)), V::Uuid(Some(company_id.0))];
        values.extend(chunk.iter().map(|id| V::Uuid(Some(**id))));
        db.execute_raw(sea_orm::Statement::from_sql_and_values(backend_kind, sql, values))
            .await
            .expect("opt-outs");
    }
    // Each contact's last attended viewing and last booked meeting, as the store keeps them.
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend_kind,
        format!(
            // Only the contacts with a history: rewriting every row would leave PostgreSQL a
            // dead copy of the whole table (autovacuum is off here).
            "{h} WHERE company_id = {p} AND (id IN (SELECT contact_id FROM viewing_participants WHERE company_id = {p}) \
             OR id IN (SELECT contact_id FROM meetings WHERE company_id = {p}))",
            h = crm_migration::m0014_segment_history::HISTORY,
            p = if backend_kind == sea_orm::DatabaseBackend::Postgres {
                "$1"
            } else {
                "?1"
            }
        ),
        [V::Uuid(Some(company_id.0))],
    ))
    .await
    .expect("history beside the contacts");
    eprintln!("    history seeded in {:.0} s", started.elapsed().as_secs_f64());
    results.push(format!(
        "| {db_name} | history written straight into the tables | {viewings_n} viewings with {participants_n} participants, {meetings_n} meetings, {bids_n} bids, {demands_n} demands, {calls_n} calls | {:.0} s |",
        started.elapsed().as_secs_f64()
    ));
    db.close().await.expect("close");

    settled(&url).await;
    let server = CrmProcess::serve(
        &url,
        &[("CRM_NO_JOBS", "true"), ("CRM_ACCESS_TOKEN_SECONDS", "36000"), ("RUST_LOG", "warn")],
    )
    .await;
    let client = Client {
        http: reqwest::Client::new(),
        address: server.address.clone(),
    };
    let admin = client.token(&company.admin.email).await;
    let manager = client.token(&company.managers[1].email).await;
    let broker_token = client.token(&company.brokers[0].email).await;
    let post = |token: String, path: &'static str, body: Value| {
        let (http, address) = (client.http.clone(), client.address.clone());
        async move {
            let started = Instant::now();
            let r = http
                .post(format!("{address}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            assert!(
                r.status().is_success(),
                "{path}: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            );
            let v: Value = r.json().await.expect("json");
            (started.elapsed(), v)
        }
    };
    let day = |days: i64| (now - chrono::Duration::days(days)).date_naive().to_string();
    let office = company.managers[1].office_id.0;
    let selections = [
        (
            "viewed in the last 6 months, no meeting since, standard, not opted out",
            serde_json::json!({"kind": "standard", "viewing_from": day(180), "viewing_to": day(0), "no_meeting_since": day(180), "opted_out": false}),
        ),
        (
            "bid in the last 2 months, not a buyer within a year, not called for 30 days, not opted out",
            serde_json::json!({"bid_from": day(60), "bid_to": day(0), "not_buyer": true, "not_contacted_since": day(30), "opted_out": false}),
        ),
        (
            "a demand in \"söder\" at 4,000,000, not called for 90 days, verified",
            serde_json::json!({"demand_area": "söder", "demand_price": 4_000_000, "not_contacted_since": day(90), "kind": "verified"}),
        ),
        (
            "stage working, tag selling own home, one office, created this year",
            serde_json::json!({"stage": "working", "tag": "selling_own_home", "office_id": office, "created_from": day(365)}),
        ),
    ];
    let mut table = Table::default();
    for (who, token) in [("administrator", &admin), ("office manager", &manager), ("broker", &broker_token)] {
        for (label, filter) in &selections {
            let body = serde_json::json!({"filter": filter, "limit": 50});
            post(token.clone(), "/api/v1/segments/preview", body.clone()).await;
            let (mut times, mut total) = (Vec::new(), 0);
            for _ in 0..20 {
                let (t, v) = post(token.clone(), "/api/v1/segments/preview", body.clone()).await;
                times.push(t);
                total = v["total"].as_u64().unwrap_or(0);
            }
            table.add(
                db_name,
                &format!("segment count + first page, {who}: {label}"),
                times,
                &format!("total {total}"),
            );
        }
    }

    // One office's contacts (a tenth of the company) exported to .xlsx, streamed.
    let started = Instant::now();
    let (book, idle, peak) = watched(server.pid(), async {
        let mut resp = client
            .http
            .post(format!("{}/api/v1/segments/export", client.address))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"filter": {"office_id": company.admin.office_id.0}}))
            .send()
            .await
            .expect("export");
        assert!(resp.status().is_success(), "export: {}", resp.status());
        let mut book = Vec::new();
        while let Some(chunk) = resp.chunk().await.expect("export chunk") {
            book.extend_from_slice(&chunk);
        }
        book
    })
    .await;
    let took = started.elapsed();
    use calamine::Reader;
    let mut xlsx: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(book.clone())).expect("an xlsx workbook");
    let rows = xlsx.worksheet_range("Contacts").expect("the sheet").height().saturating_sub(1);
    results.push(format!(
        "| {db_name} | `.xlsx` export of one office (`POST /segments/export`) | {rows} rows, {:.1} MB in {:.1} s | {} |",
        book.len() as f64 / 1e6,
        took.as_secs_f64(),
        memory_note(idle, peak)
    ));
    report(db_name, results, table, out);
    drop(server);
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
    // `leads` measures only the lead intake (after seeding); `calendar` only the calendar.
    let only_leads = args_leads();
    let mut out = Vec::new();
    if args_segments() {
        for backend in backends.iter().copied() {
            segments_bench(backend, n, &mut out).await;
        }
        println!("{}", out.join("\n"));
        return;
    }
    if args_calls() {
        for backend in backends.iter().copied() {
            call_list_bench(backend, n, &mut out).await;
        }
        println!("{}", out.join("\n"));
        return;
    }
    if args_calendar() {
        for backend in backends.iter().copied() {
            calendar_bench(backend, &mut out).await;
        }
        println!("{}", out.join("\n"));
        return;
    }
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
