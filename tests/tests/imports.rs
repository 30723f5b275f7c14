//! Importing a register: upload, the dry run's report (problems per row, duplicates of existing
//! contacts and of earlier rows), the import by the job runner, the importer's task; rights,
//! bad files; and `crm import contacts` from a terminal. SQLite and PostgreSQL.

use std::time::Duration;

use crm_tests::{Answer, Backend, TestApp, crm_command, fresh_database, on_both_databases, spawn_app};
use serde_json::{Value, json};

on_both_databases!(an_upload_is_checked_then_imported, imports_respect_rights_and_refuse_bad_files);

const FILE: &str = "Förnamn;Efternamn;Mobil;E-post;Ansvarig\n\
Anna;Berg;070-200 00 01;anna@berg.example;\n\
Bo;Ek;070-200 00 02;;BO@test.example\n\
Cia;Lund;;cia@lund.example;\n\
Dan;Mo;12;;\n\
Eva;;070-200 00 05;;\n\
Finn;Ahl;070-111 11 11;;\n\
Gun;Berg;070-200 00 01;;\n\
Hans;Ros;070-200 00 08;;nobody@test.example\n";

async fn upload(app: &TestApp, token: &str, body: &'static str, name: &str) -> Answer {
    let r = app
        .client
        .post(format!("{}/api/v1/imports?file_name={name}", app.address))
        .bearer_auth(token)
        .header("Content-Type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    Answer {
        status,
        body: r.json().await.unwrap_or(Value::Null),
    }
}

/// Follows an import until its step is over.
async fn until_settled(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..200 {
        let r = app.get(&format!("/api/v1/imports/{id}"), token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        if !matches!(r.body["status"].as_str(), Some("checking" | "importing")) {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import never settled");
}

async fn an_upload_is_checked_then_imported(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id;
    let bo = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"name": "Bo Broker", "email": "bo@test.example", "password": "password-123", "role": "broker", "office_id": office,
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(bo.status, 201);
    let existing = app
        .post(
            "/api/v1/contacts",
            &admin,
            &json!({"kind": "standard", "last_name": "Ahl", "phones": ["070-111 11 11"]}),
        )
        .await;
    assert_eq!(existing.status, 201);

    let up = upload(&app, &admin, FILE, "register.csv").await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.body["rows"], 8);
    assert_eq!(up.body["status"], "uploaded");
    assert_eq!(up.body["suggested"], json!(["first_name", "last_name", "phone", "email", "owner"]));
    assert_eq!(up.body["sample"][0][0], "Anna");
    let id = up.body["id"].as_str().unwrap().to_owned();

    // Starting before checking is refused.
    assert_eq!(
        app.post(&format!("/api/v1/imports/{id}/start"), &admin, &json!({})).await.status,
        409
    );
    let bad_field = app
        .post(
            &format!("/api/v1/imports/{id}/check"),
            &admin,
            &json!({"mapping": ["first_name", "last_name", "phone", "email", "shoe_size"]}),
        )
        .await;
    assert_eq!((bad_field.status, bad_field.body["field"].as_str()), (422, Some("mapping[4]")));
    let check = app
        .post(
            &format!("/api/v1/imports/{id}/check"),
            &admin,
            &json!({"mapping": up.body["suggested"], "default_kind": "standard"}),
        )
        .await;
    assert_eq!(check.status, 202, "{}", check.body);
    let checked = until_settled(&app, &admin, &id).await;
    assert_eq!(checked["status"], "checked", "{checked}");
    assert_eq!(checked["processed"], 8);
    // Anna, Bo, Cia, Hans? no: Hans names an unknown owner. Good: Anna, Bo, Cia.
    assert_eq!(
        (
            checked["valid"].as_u64(),
            checked["invalid"].as_u64(),
            checked["duplicates"].as_u64()
        ),
        (Some(3), Some(3), Some(2)),
        "{checked}"
    );
    let problems: Vec<(u64, String)> = checked["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_u64().unwrap(), p["code"].as_str().unwrap().to_owned()))
        .collect();
    for expected in [
        (4, "invalid_phone"),
        (5, "required"),
        (6, "duplicate"),
        (7, "duplicate"),
        (8, "unknown_user"),
    ] {
        assert!(
            problems.contains(&(expected.0, expected.1.to_owned())),
            "{expected:?} in {problems:?}"
        );
    }
    let dup = checked["problems"].as_array().unwrap().iter().find(|p| p["row"] == 6).unwrap();
    assert_eq!(dup["contact_ids"][0], existing.body["id"]);
    // Nothing imported by the dry run.
    assert_eq!(app.get("/api/v1/contacts", &admin).await.body["total"], 1);

    let start = app.post(&format!("/api/v1/imports/{id}/start"), &admin, &json!({})).await;
    assert_eq!(start.status, 202, "{}", start.body);
    let done = until_settled(&app, &admin, &id).await;
    assert_eq!(
        (done["status"].as_str(), done["created"].as_u64()),
        (Some("done"), Some(3)),
        "{done}"
    );
    let list = app.get("/api/v1/contacts?q=berg", &admin).await;
    assert_eq!(list.body["total"], 1, "Gun Berg was a duplicate of Anna's phone");
    let owned_by_bo = app
        .get(&format!("/api/v1/contacts?owner_id={}", bo.body["id"].as_str().unwrap()), &admin)
        .await;
    assert_eq!(owned_by_bo.body["items"][0]["last_name"], "Ek");
    let timeline = app
        .get(
            &format!("/api/v1/contacts/{}/timeline", list.body["items"][0]["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(timeline.body["items"][0]["kind"], "imported");
    // The importer is told, in their language (the company is Swedish).
    let tasks = app.get("/api/v1/tasks", &admin).await;
    assert!(
        tasks.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["title"] == "3 kontakter importerade från register.csv"),
        "{}",
        tasks.body
    );
    assert_eq!(app.get("/api/v1/imports", &admin).await.body[0]["id"], id.as_str());
    // Finished: no step can start again.
    assert_eq!(
        app.post(&format!("/api/v1/imports/{id}/start"), &admin, &json!({})).await.status,
        409
    );
    assert_eq!(
        app.post(&format!("/api/v1/imports/{id}/cancel"), &admin, &json!({})).await.status,
        409
    );
}

async fn imports_respect_rights_and_refuse_bad_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id;
    for (email, offer) in [("own@test.example", "own"), ("other@test.example", "own")] {
        let r = app
            .post(
                "/api/v1/users",
                &admin,
                &json!({"name": email, "email": email, "password": "password-123", "role": "broker", "office_id": office,
                        "permissions": {"work_with_clients": true, "offer_scope": offer, "demand_scope": "own", "export": false, "admin": false}}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let own = app.login("own@test.example", "password-123").await;
    let up = upload(&app, &own, "Name,Phone\nAnna Berg,070-300 00 01\n", "mine.csv").await;
    assert_eq!(up.status, 201, "{}", up.body);
    let id = up.body["id"].as_str().unwrap();
    let users = app.get("/api/v1/users", &own).await;
    let other = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "other@test.example")
        .unwrap()["id"]
        .clone();
    let refused = app
        .post(
            &format!("/api/v1/imports/{id}/check"),
            &own,
            &json!({"mapping": ["full_name", "phone"], "owner_id": other}),
        )
        .await;
    assert_eq!((refused.status, refused.code()), (422, "owner_not_allowed"));
    // Another broker does not see this import; the administrator does.
    let other_token = app.login("other@test.example", "password-123").await;
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), &other_token).await.status, 404);
    assert_eq!(app.get(&format!("/api/v1/imports/{id}"), &admin).await.status, 200);
    let cancelled = app.post(&format!("/api/v1/imports/{id}/cancel"), &own, &json!({})).await;
    assert_eq!(cancelled.body["status"], "cancelled");

    let latin1 = app
        .client
        .post(format!("{}/api/v1/imports", app.address))
        .bearer_auth(&own)
        .body(b"Namn\nJ\xf6rgen\n".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(latin1.status(), 422);
    let body: Value = latin1.json().await.unwrap();
    assert_eq!(body["code"], "invalid_file");
    assert!(body["message"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(upload(&app, &own, "", "empty.csv").await.status, 422);
    let big = app
        .client
        .post(format!("{}/api/v1/imports", app.address))
        .bearer_auth(&own)
        .body(vec![b'a'; 51 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(upload(&app, "nope", "a\n1\n", "x.csv").await.status, 401);
}

#[tokio::test]
async fn crm_import_contacts_from_a_terminal() {
    let db = fresh_database(Backend::Sqlite).await;
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Terminal AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@terminal.example",
            "--admin-password",
            "ada-password-1",
        ],
        &db,
        &[],
    );
    assert!(out.status.success());
    let file = std::env::temp_dir().join(format!("import-{}.csv", uuid::Uuid::new_v4().simple()));
    std::fs::write(&file, "Kontakt,Tel,Stad\nAnna Berg,070-400 00 01,Uppsala\nBo Ek,12,Lund\n").unwrap();
    let path = file.to_str().unwrap();
    let check = crm_command(
        &[
            "import",
            "contacts",
            path,
            "--as",
            "ada@terminal.example",
            "--map",
            "Tel=phone",
            "--check-only",
        ],
        &db,
        &[],
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}{}", String::from_utf8_lossy(&check.stderr));
    assert!(text.contains("2 rows: 1 good, 1 with problems"), "{text}");
    assert!(text.contains("row 2: phones[0]"), "{text}");
    assert!(text.contains("Checked only"), "{text}");
    let run = crm_command(
        &["import", "contacts", path, "--as", "ada@terminal.example", "--map", "Tel=phone"],
        &db,
        &[],
    );
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{text}{}", String::from_utf8_lossy(&run.stderr));
    assert!(text.contains("Imported 1 contacts"), "{text}");
    let wrong = crm_command(&["import", "contacts", path, "--as", "nobody@terminal.example"], &db, &[]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("nobody signs in as"));
    let _ = std::fs::remove_file(file);
}
