//! Schemathesis (from PyPI, in the setup's virtualenv) fuzzes every operation of the published
//! spec against `crm serve` as shipped, as an administrator and as a broker, on SQLite and on
//! PostgreSQL: no answer may be a server error, and every answer must match the spec (status
//! code, content type, headers, body schema). Endpoints added later are fuzzed as they appear.

use std::process::Command;

use crm_tests::{Backend, CrmProcess, crm_command, fresh_database};
use serde_json::{Value, json};

fn schemathesis() -> String {
    std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/crm-venv/bin/schemathesis")
    })
}

async fn sign_in(client: &reqwest::Client, address: &str, email: &str, password: &str) -> String {
    let r: Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("sign-in failed: {r}"))
        .to_owned()
}

/// A company with some data to find, and API keys acting as its administrator and as a broker
/// (keys, because the fuzzer may well change the user's own password, which ends sign-ins).
async fn prepare(address: &str, db: &str) -> (String, String) {
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Fuzz AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@fuzz.example",
            "--admin-password",
            "ada-password-1",
        ],
        db,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let client = reqwest::Client::new();
    let admin = sign_in(&client, address, "ada@fuzz.example", "ada-password-1").await;
    let me: Value = client
        .get(format!("{address}/api/v1/me"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let broker = json!({"name": "Bo Broker", "email": "bo@fuzz.example", "password": "bo-password-1", "role": "broker", "office_id": me["office_id"],
                        "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "office", "export": false, "admin": false}});
    let r = client
        .post(format!("{address}/api/v1/users"))
        .bearer_auth(&admin)
        .json(&broker)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for (i, name) in ["Anna Berg", "Erik Lind", "Jiří Dvořák"].iter().enumerate() {
        let (first, last) = name.split_once(' ').unwrap();
        let c: Value = client
            .post(format!("{address}/api/v1/contacts"))
            .bearer_auth(&admin)
            .json(&json!({"kind": "standard", "first_name": first, "last_name": last, "phones": [format!("070-500 00 0{i}")]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let p: Value = client
            .post(format!("{address}/api/v1/properties"))
            .bearer_auth(&admin)
            .json(&json!({"kind": "house", "status": "for_sale", "street": format!("Gatan {i}"), "city": "Uppsala"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        client
            .post(format!("{address}/api/v1/properties/{}/parties", p["id"].as_str().unwrap()))
            .bearer_auth(&admin)
            .json(&json!({"contact_id": c["id"], "role": "seller"}))
            .send()
            .await
            .unwrap();
    }
    let broker_id = client
        .get(format!("{address}/api/v1/users"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "bo@fuzz.example")
        .unwrap()["id"]
        .clone();
    let mut keys = Vec::new();
    for user in [Value::Null, broker_id] {
        let key: Value = client
            .post(format!("{address}/api/v1/api-keys"))
            .bearer_auth(&admin)
            .json(&json!({"name": "fuzz", "user_id": user}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        keys.push(key["secret"].as_str().unwrap().to_owned());
    }
    (keys[0].clone(), keys[1].clone())
}

fn fuzz(address: &str, token: &str, who: &str, backend: Backend) {
    let report = std::env::temp_dir().join(format!("schemathesis-{who}-{backend:?}-{}", uuid::Uuid::new_v4().simple()));
    let out = Command::new(schemathesis())
        .args(["run", &format!("{address}/api/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
        ])
        // One worker: with two threads, Hypothesis describing its strategies in parallel trips
        // CPython 3.11's thread-unsafe AST recursion counter ("AST constructor recursion depth
        // mismatch", a runtime error of the tool that grew likelier with the spec's size).
        .args(["--max-examples", "20", "--seed", "20261123", "--no-shrink", "--workers", "1"])
        .args(["--phases", "examples,coverage,fuzzing"])
        // Signing out with the token in use, or deactivating users, would only end the run early.
        .args(["--exclude-path", "/api/v1/auth/logout"])
        .args(["--suppress-health-check", "all"])
        // The credentials are given; generated ones would only be refused.
        .args(["--generation-with-security-parameters", "false"])
        .args(["--report", "junit", "--report-dir"])
        .arg(&report)
        .args(["--no-color"])
        .output()
        .expect("schemathesis (scripts/setup.sh --tests installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    // What was covered, in the test's output.
    eprintln!(
        "--- schemathesis as {who} on {backend:?} ---\n{}",
        text.split("WARNINGS").last().unwrap_or_default()
    );
    assert!(
        out.status.success(),
        "schemathesis found problems as {who} on {backend:?}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(report);
}

async fn fuzz_everything(backend: Backend) {
    let db = fresh_database(backend).await;
    let server = CrmProcess::serve(&db, &[("CRM_ACCESS_TOKEN_SECONDS", "3600")]).await;
    let (admin, broker) = prepare(&server.address, &db).await;
    let address = server.address.clone();
    tokio::task::spawn_blocking(move || {
        fuzz(&address, &broker, "broker", backend);
        fuzz(&address, &admin, "administrator", backend);
    })
    .await
    .unwrap();
    let log = server.log_text();
    assert!(!log.contains("request failed"), "the server logged failures:\n{log}");
}

#[tokio::test]
async fn the_api_holds_its_spec_on_sqlite() {
    fuzz_everything(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_api_holds_its_spec_on_postgres() {
    fuzz_everything(Backend::Postgres).await;
}
