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
        let http = crm_tests::http_client();
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

impl Client {
    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.address))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Tips and leads not taken care of in time go to the office's redistributor, each once, with
/// `instances` servers running the job against one database.
async fn redistribution_passes_each_item_on_once(backend: Backend, instances: usize) {
    let db = fresh_database(backend).await;
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Redistribution AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@redist.example",
            "--admin-password",
            "ada-password-1",
        ],
        &db,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env = [("CRM_JOB_REDISTRIBUTION_SECONDS", "1")];
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(CrmProcess::serve(&db, &env).await);
    }
    let address = servers[0].address.clone();
    let admin = Client::sign_in(&address, "ada@redist.example", "ada-password-1").await;
    let me = admin.get("/api/v1/me").await;
    let office = me["office_id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for name in ["bo", "cy"] {
        let (status, user) = admin
            .post(
                "/api/v1/users",
                json!({"name": name, "email": format!("{name}@redist.example"), "password": "password-123", "role": "broker", "office_id": office,
                       "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    // Bo takes over whatever waits: tips and contact-or-dismiss leads at once (0 hours).
    let routing = admin
        .http
        .put(format!("{address}/api/v1/offices/{office}/routing"))
        .bearer_auth(&admin.token)
        .json(&json!({"redistributor_user_id": ids[0], "tips_hours": 0, "contact_leads_hours": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(routing.status(), 200);
    let (_, source) = admin
        .post("/api/v1/lead-sources", json!({"name": "Web", "workflow": "contact_or_dismiss"}))
        .await;
    let (_, other) = admin
        .post(
            "/api/v1/lead-sources",
            json!({"name": "Valuation", "workflow": "accept_or_decline"}),
        )
        .await;
    let mut contacts = Vec::new();
    for i in 0..10 {
        let r: Value = admin
            .http
            .post(format!("{address}/api/v1/public/leads"))
            .json(&json!({"source_key": source["key"], "name": format!("Lead Person{i}"), "email": format!("lead{i}@example.se")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        contacts.push(r["contact_id"].as_str().unwrap().to_owned());
    }
    for i in 0..5 {
        let (_, c) = admin
            .post("/api/v1/contacts", json!({"kind": "draft", "last_name": format!("Tipped{i}")}))
            .await;
        let cid = c["id"].as_str().unwrap().to_owned();
        let (status, _) = admin
            .post(&format!("/api/v1/contacts/{cid}/tips"), json!({"to_user_id": ids[1]}))
            .await;
        assert_eq!(status, 201);
        contacts.push(cid);
    }
    // An accept-or-decline lead: its kind is not redistributed here, so it stays in the tank.
    admin
        .http
        .post(format!("{address}/api/v1/public/leads"))
        .json(&json!({"source_key": other["key"], "name": "Stays Here", "email": "stays@example.se"}))
        .send()
        .await
        .unwrap();

    let bo = Client::sign_in(&address, "bo@redist.example", "password-123").await;
    let mut got = 0;
    for _ in 0..100 {
        got = bo.get("/api/v1/inbox?limit=100").await["items"].as_array().unwrap().len();
        if got >= 15 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(got, 15, "every item past its time reached the redistributor");
    // Give a second pass every chance to happen.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let inbox = bo.get("/api/v1/inbox?limit=100").await;
    assert!(
        inbox["items"].as_array().unwrap().iter().all(|i| !i["redistributed_at"].is_null()),
        "{inbox}"
    );
    for c in &contacts {
        let timeline = admin.get(&format!("/api/v1/contacts/{c}/timeline")).await;
        let passed = timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "redistributed")
            .count();
        assert_eq!(passed, 1, "{c} was passed on {passed} times: {timeline}");
    }
    // The contacts the leads created went with them; the tipped ones stay with their owner.
    for (i, c) in contacts.iter().enumerate() {
        let card = bo.get(&format!("/api/v1/contacts/{c}")).await;
        assert_eq!(card["id"].as_str() == Some(c.as_str()), i < 10, "{c}: {card}");
    }
    let tank = admin.get("/api/v1/inbox?box=tank").await;
    let waiting: Vec<&str> = tank["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["contact_name"].as_str())
        .collect();
    assert_eq!(waiting, vec!["Stays Here"], "{tank}");
    drop(servers);
}

#[tokio::test]
async fn redistribution_with_two_instances_on_postgres() {
    redistribution_passes_each_item_on_once(Backend::Postgres, 2).await;
}

#[tokio::test]
async fn redistribution_on_sqlite() {
    redistribution_passes_each_item_on_once(Backend::Sqlite, 1).await;
}

/// Automatic tips after viewings, run by the job runner of `instances` servers at once: each
/// participant living in another broker's focus area is tipped to that broker exactly once;
/// nobody who did not come, lives nowhere covered, or was tipped by hand is tipped.
async fn viewing_participants_are_tipped_once(backend: Backend, instances: usize) {
    let db = fresh_database(backend).await;
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Tips AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@tips.example",
            "--admin-password",
            "ada-password-1",
        ],
        &db,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let env = [("CRM_JOB_AUTO_TIPS_SECONDS", "1")];
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(CrmProcess::serve(&db, &env).await);
    }
    let address = servers[0].address.clone();
    let admin = Client::sign_in(&address, "ada@tips.example", "ada-password-1").await;
    let office = admin.get("/api/v1/me").await["office_id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for name in ["bo", "cy"] {
        let (status, user) = admin
            .post(
                "/api/v1/users",
                json!({"name": name, "email": format!("{name}@tips.example"), "password": "password-123", "role": "broker", "office_id": office,
                       "permissions": {"work_with_clients": true, "offer_scope": "company", "demand_scope": "company", "export": false, "admin": false}}),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let bo = Client::sign_in(&address, "bo@tips.example", "password-123").await;
    let cy = Client::sign_in(&address, "cy@tips.example", "password-123").await;
    // Cy's area: a square around Bromma.
    let (status, _) = admin
        .post(
            "/api/v1/focus-areas",
            json!({"name": "Bromma", "user_id": ids[1], "geometry": {"type": "Polygon", "coordinates": [[[17.9, 59.3], [18.0, 59.3], [18.0, 59.4], [17.9, 59.4], [17.9, 59.3]]]}}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, listing) = bo
        .post(
            "/api/v1/properties",
            json!({"kind": "house", "status": "for_sale", "street": "Ekvägen 1", "city": "Stockholm"}),
        )
        .await;
    let mut people = Vec::new();
    for (i, (lat, lon)) in [(59.35, 17.95); 6].into_iter().chain([(57.7, 11.97)]).enumerate() {
        let (_, c) = bo
            .post(
                "/api/v1/contacts",
                json!({"kind": "standard", "first_name": format!("Visitor{i}"), "last_name": "Ek", "phones": [format!("070-111 22 {:02}", i)], "lat": lat, "lon": lon}),
            )
            .await;
        people.push(c["id"].as_str().unwrap().to_owned());
    }
    let two_days_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    let (status, viewing) = bo
        .post(
            "/api/v1/viewings",
            json!({"property_id": listing["id"], "starts_at": two_days_ago, "participants": people}),
        )
        .await;
    assert_eq!(status, 201, "{viewing}");
    let vid = viewing["id"].as_str().unwrap();
    // One did not come; one was tipped to Cy by hand after the viewing.
    let no_show = bo
        .http
        .put(format!("{address}/api/v1/viewings/{vid}/participants/{}", people[4]))
        .bearer_auth(&bo.token)
        .json(&json!({"status": "no_show"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_show.status(), 200);
    let (status, _) = bo
        .post(
            &format!("/api/v1/contacts/{}/tips", people[5]),
            json!({"to_user_id": ids[1], "note": "by hand"}),
        )
        .await;
    assert_eq!(status, 201);
    // The office turns automatic tips on: one day after a viewing.
    let routing = admin
        .http
        .put(format!("{address}/api/v1/offices/{office}/routing"))
        .bearer_auth(&admin.token)
        .json(&json!({"auto_tip_days": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(routing.status(), 200);
    let tips = || async {
        cy.get("/api/v1/inbox?box=mine&limit=50").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "tip")
            .cloned()
            .collect::<Vec<Value>>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while tips().await.len() < 5 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more runs of every instance: nothing more comes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = tips().await;
    assert_eq!(got.len(), 5, "four automatic tips and the one by hand: {got:#?}");
    let automatic: Vec<&Value> = got
        .iter()
        .filter(|t| t["message"].as_str().is_some_and(|m| m.starts_with("Automatiskt tips")))
        .collect();
    assert_eq!(automatic.len(), 4, "{got:#?}");
    let tipped: std::collections::HashSet<&str> = automatic.iter().map(|t| t["contact_id"].as_str().unwrap()).collect();
    assert_eq!(tipped, people[..4].iter().map(String::as_str).collect());
}

#[tokio::test]
async fn automatic_tips_with_two_instances_on_postgres() {
    viewing_participants_are_tipped_once(Backend::Postgres, 2).await;
}

#[tokio::test]
async fn automatic_tips_on_sqlite() {
    viewing_participants_are_tipped_once(Backend::Sqlite, 1).await;
}
