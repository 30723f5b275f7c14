//! The job runner as shipped: `crm serve` and `crm worker` processes against one database and
//! a real SMTP server started by the test. Emails queued by hand-overs are delivered exactly
//! once however many instances run, a mail server that refuses and later accepts gets the mail
//! later, and periodic jobs fire once per period across instances.

use std::time::Duration;

use crm_tests::{Backend, CrmProcess, crm_command, fresh_database, smtp_server};
use serde_json::{Value, json};

struct Client {
    http: reqwest::Client,
    address: String,
    token: String,
}

impl Client {
    async fn sign_in(address: &str, email: &str, password: &str) -> Self {
        let http = reqwest::Client::new();
        let r: Value = http
            .post(format!("{address}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = r["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in failed: {r}"))
            .to_owned();
        Self {
            http,
            address: address.to_owned(),
            token,
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A company made with `crm create-company`, a colleague, and `n` contacts handed over to the
/// colleague with an email each; returns the company's id and the contacts' names.
async fn queue_handovers(db: &str, address: &str, n: usize) -> (crm_domain::CompanyId, Vec<String>) {
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Mail Test AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@mail.example",
            "--admin-password",
            "ada-password-1",
        ],
        db,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = Client::sign_in(address, "ada@mail.example", "ada-password-1").await;
    let me: Value = admin
        .http
        .get(format!("{address}/api/v1/me"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, colleague) = admin
        .post(
            "/api/v1/users",
            json!({"name": "Bo Broker", "email": "bo@mail.example", "password": "bo-password-1", "role": "broker",
                   "office_id": me["office_id"], "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(status, 201, "{colleague}");
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("Mailtest{i:03}");
        let (status, contact) = admin.post("/api/v1/contacts", json!({"kind": "draft", "last_name": name})).await;
        assert_eq!(status, 201, "{contact}");
        let (status, body) = admin
            .post(
                &format!("/api/v1/contacts/{}/handover", contact["id"].as_str().unwrap()),
                json!({"to_user_id": colleague["id"], "notify_email": true}),
            )
            .await;
        assert_eq!(status, 204, "{body}");
        names.push(name);
    }
    let company: uuid::Uuid = me["company"]["id"].as_str().unwrap().parse().unwrap();
    (company.into(), names)
}

#[tokio::test]
async fn two_instances_deliver_every_email_exactly_once() {
    let smtp = smtp_server().await;
    let db = fresh_database(Backend::Postgres).await;
    let env = [("CRM_SMTP_URL", smtp.url.as_str())];
    let a = CrmProcess::serve(&db, &env).await;
    let b = CrmProcess::serve(&db, &env).await;
    // Half of the work is queued through each instance.
    let (_, mut names) = queue_handovers(&db, &a.address, 15).await;
    let second = Client::sign_in(&b.address, "ada@mail.example", "ada-password-1").await;
    let users: Value = second
        .http
        .get(format!("{}/api/v1/users", b.address))
        .bearer_auth(&second.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bo = users.as_array().unwrap().iter().find(|u| u["email"] == "bo@mail.example").unwrap()["id"].clone();
    for i in 0..15 {
        let name = format!("Second{i:03}");
        let (_, c) = second.post("/api/v1/contacts", json!({"kind": "draft", "last_name": name})).await;
        let (status, _) = second
            .post(
                &format!("/api/v1/contacts/{}/handover", c["id"].as_str().unwrap()),
                json!({"to_user_id": bo, "notify_email": true}),
            )
            .await;
        assert_eq!(status, 204);
        names.push(name);
    }
    let mails = smtp.wait_for(names.len(), Duration::from_secs(30)).await;
    // Give a duplicate every chance to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mails = smtp.messages().len().max(mails.len());
    let all = smtp.messages();
    assert_eq!(mails, names.len(), "every email once, none twice");
    for name in &names {
        let copies = all.iter().filter(|m| m.contains(name.as_str())).count();
        assert_eq!(copies, 1, "{name} was delivered {copies} times");
    }
    assert!(all.iter().all(|m| m.contains("To: bo@mail.example")));
    drop((a, b));
}

async fn refusing_server_gets_the_mail_later(backend: Backend) {
    use std::sync::atomic::Ordering;
    let smtp = smtp_server().await;
    smtp.refuse.store(true, Ordering::SeqCst);
    let db = fresh_database(backend).await;
    let server = CrmProcess::serve(&db, &[("CRM_SMTP_URL", smtp.url.as_str())]).await;
    let (company, names) = queue_handovers(&db, &server.address, 1).await;
    // Refused at least twice (retried with backoff), and nothing arrived.
    for _ in 0..200 {
        if smtp.refused.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(smtp.refused.load(Ordering::SeqCst) >= 2, "the message was not retried");
    assert!(smtp.messages().is_empty());
    let store = crm_store::Store::connect(&db).await.unwrap();
    let queued = store.outbox(company).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].status, "pending");
    assert!(
        queued[0].last_error.as_deref().unwrap_or_default().contains("maintenance"),
        "{queued:?}"
    );

    // The mail server is back: the message arrives, once.
    smtp.refuse.store(false, Ordering::SeqCst);
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&names[0]));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(store.outbox(company).await.unwrap()[0].status, "sent");
}

#[tokio::test]
async fn refusing_server_gets_the_mail_later_on_sqlite() {
    refusing_server_gets_the_mail_later(Backend::Sqlite).await;
}

#[tokio::test]
async fn refusing_server_gets_the_mail_later_on_postgres() {
    refusing_server_gets_the_mail_later(Backend::Postgres).await;
}

/// `crm worker` alone delivers what a `crm serve` without jobs queued.
#[tokio::test]
async fn a_worker_alone_delivers() {
    let smtp = smtp_server().await;
    let db = fresh_database(Backend::Sqlite).await;
    let env = [("CRM_SMTP_URL", smtp.url.as_str())];
    let server = CrmProcess::serve(&db, &[("CRM_SMTP_URL", smtp.url.as_str()), ("CRM_NO_JOBS", "true")]).await;
    let (_, names) = queue_handovers(&db, &server.address, 3).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(smtp.messages().is_empty(), "serve --no-jobs must not send");
    let _worker = CrmProcess::worker(&db, &env);
    let mails = smtp.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 3);
    for name in names {
        assert!(mails.iter().any(|m| m.contains(&name)));
    }
}

#[tokio::test]
async fn periodic_jobs_fire_once_per_period_across_instances() {
    let db = fresh_database(Backend::Postgres).await;
    let env = [("CRM_JOB_HOUSEKEEPING_SECONDS", "1"), ("CRM_JOB_STATISTICS_SECONDS", "2")];
    let mut a = CrmProcess::serve(&db, &env).await;
    let mut b = CrmProcess::serve(&db, &env).await;
    let mut c = CrmProcess::worker(&db, &env);
    tokio::time::sleep(Duration::from_millis(4500)).await;
    a.stop();
    b.stop();
    c.stop();
    let store = crm_store::Store::connect(&db).await.unwrap();
    let runs = store.job_runs(1000).await.unwrap();
    for (job, every) in [("housekeeping", 1), ("statistics", 2)] {
        let mut periods: Vec<i64> = runs.iter().filter(|r| r.job == job).map(|r| r.period).collect();
        periods.sort();
        let count = periods.len();
        periods.dedup();
        assert_eq!(periods.len(), count, "{job}: a period ran twice");
        assert!(count >= 4 / every, "{job} ran only {count} times in 4.5 s: {runs:?}");
        // Consecutive periods, none skipped.
        assert!(periods.windows(2).all(|w| w[1] - w[0] == every as i64), "{job}: {periods:?}");
        assert!(
            runs.iter().filter(|r| r.job == job).all(|r| r.status == "done" && r.attempt == 1),
            "{runs:?}"
        );
    }
}
