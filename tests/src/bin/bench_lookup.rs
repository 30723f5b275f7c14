//! Caller-lookup benchmark: seeds N contacts into a fresh SQLite and a fresh PostgreSQL
//! database, then times lookups by phone, email and name through the HTTP API on loopback and
//! prints p50/p95/p99 per kind as Markdown table rows.
//!
//! `bench_lookup <contacts> [sqlite|postgres]...` (see scripts/bench-lookup.sh).

use std::time::{Duration, Instant};

use crm_domain::contacts::{ContactData, ContactInput, Country};
use crm_tests::{Backend, spawn_app};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

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

fn ascii(s: &str) -> String {
    crm_domain::text::fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The i-th contact, a pure function of i: a Swedish mobile number, an email, a name.
fn contact(i: u64) -> (ContactInput, String, String) {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let first = FIRST[((h >> 20) % FIRST.len() as u64) as usize];
    let last = LAST[((h >> 40) % LAST.len() as u64) as usize];
    // 070/072/073/076 + 7 digits: unique per i for up to 10M contacts per prefix.
    let prefix = ["70", "72", "73", "76"][(i % 4) as usize];
    let local = format!("0{prefix}{:07}", i / 4);
    let typed = format!("{}-{} {} {}", &local[..3], &local[3..6], &local[6..8], &local[8..]);
    let email = format!("{}.{}.{i}@mail.example", ascii(first), ascii(last));
    let input = ContactInput {
        kind: Some("standard".into()),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
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

async fn run(backend: Backend, n: u64, samples: usize) {
    let app = spawn_app(backend).await;
    let viewer = app.admin.viewer();
    let seed_start = Instant::now();
    let batch = 5_000u64;
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        let rows: Vec<crm_store::contacts::ImportRow> = (i..end)
            .map(|k| crm_store::contacts::ImportRow {
                data: ContactData::parse(&contact(k).0, Country::SWEDEN).expect("valid seed contact"),
                owner: app.admin.id,
            })
            .collect();
        app.store.import_contacts(&viewer, &rows).await.expect("import");
        i = end;
        if i % 100_000 == 0 {
            eprintln!("  {backend:?}: {i} contacts seeded ({:.0} s)", seed_start.elapsed().as_secs_f64());
        }
    }
    app.store.optimize().await.expect("optimize");
    let seeded = seed_start.elapsed();
    let token = app.admin_token().await;

    // Random existing contacts, typed the way a receptionist would type them. Each full name
    // is shared by several hundred contacts, as common names are in real life.
    let mut queries: Vec<(&str, String)> = Vec::new();
    let mut pick = StdRng::seed_from_u64(99);
    for _ in 0..samples {
        let k = pick.gen_range(0..n);
        let (input, typed, email) = contact(k);
        let first = input.first_name.unwrap_or_default();
        let last = input.last_name.unwrap_or_default();
        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
        queries.push(("phone", typed));
        queries.push(("phone", format!("+46 {}", &digits[1..])));
        queries.push(("email", email));
        // Names as people say them: "first last" and "last first", any case, without
        // diacritics, the second word often cut short.
        if pick.gen_bool(0.5) {
            queries.push(("name", format!("{first} {last}")));
        } else {
            queries.push(("name", format!("{} {}", ascii(&last).to_uppercase(), &ascii(&first)[..3])));
        }
        // Both words cut short: the slow path, reported on its own.
        queries.push((
            "name, both words partial",
            format!("{} {}", &ascii(&first)[..3], &ascii(&last)[..4]),
        ));
    }
    if std::env::var_os("BENCH_EXPLAIN").is_some() {
        for (kind, q) in queries.iter().take(10) {
            let parsed = crm_domain::contacts::LookupQuery::parse(q, Country::SWEDEN).expect("query");
            let t = Instant::now();
            let hits = app.store.lookup(&viewer, &parsed, 10).await.expect("lookup");
            eprintln!(
                "  store lookup {kind} {q:?}: {} hits in {:.1} ms",
                hits.len(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
    // Warm up caches and the connection pool.
    for (_, q) in queries.iter().take(50) {
        app.client
            .get(format!("{}/api/v1/contacts/lookup", app.address))
            .query(&[("q", q)])
            .bearer_auth(&token)
            .send()
            .await
            .expect("lookup");
    }
    let mut times: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut found: std::collections::BTreeMap<&str, usize> = Default::default();
    for (kind, q) in &queries {
        let started = Instant::now();
        let resp = app
            .client
            .get(format!("{}/api/v1/contacts/lookup", app.address))
            .query(&[("q", q)])
            .bearer_auth(&token)
            .send()
            .await
            .expect("lookup");
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.expect("json");
        times.entry(kind).or_default().push(started.elapsed());
        assert!(status.is_success(), "{q}: {body}");
        if !body["matches"].as_array().expect("matches").is_empty() {
            *found.entry(kind).or_default() += 1;
        }
    }
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    for (kind, mut t) in times {
        t.sort();
        println!(
            "| {name} | {n} | {kind} | {} | {:.2} | {:.2} | {:.2} | {}/{} |",
            t.len(),
            percentile(&t, 0.50),
            percentile(&t, 0.95),
            percentile(&t, 0.99),
            found.get(kind).copied().unwrap_or(0),
            t.len()
        );
    }
    eprintln!("  {name}: seeding {n} contacts took {:.0} s", seeded.as_secs_f64());
}

// One runtime thread for the client, so it competes as little as possible with the server's
// workers (the server needs a multi-thread runtime to run beside it).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let backends: Vec<String> = args.collect();
    let samples = std::env::var("BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    println!("| database | contacts | lookup by | queries | p50 ms | p95 ms | p99 ms | with matches |");
    println!("|---|---|---|---|---|---|---|---|");
    for b in if backends.is_empty() {
        vec!["sqlite".to_owned(), "postgres".to_owned()]
    } else {
        backends
    } {
        let backend = if b == "postgres" { Backend::Postgres } else { Backend::Sqlite };
        run(backend, n, samples).await;
    }
}
