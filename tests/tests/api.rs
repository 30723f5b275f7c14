//! API tests against the real server, each on a fresh SQLite and a fresh PostgreSQL database.

use crm_tests::{Answer, Backend, TestApp, on_both_databases, spawn_app};
use serde_json::{Value, json};

on_both_databases!(
    health_and_readiness,
    bad_credentials_and_tokens_are_401,
    contacts_are_validated_normalised_and_nothing_is_lost,
    list_paginates_sorts_and_filters,
    a_word_too_common_to_count_is_listed_in_order,
    two_words_find_every_contact_however_long_its_name,
    caller_lookup_finds_every_format_and_redacts,
    timeline_notes_and_handover,
    properties_parties_and_demands_drive_visibility,
    admin_manages_offices_users_groups_and_keys,
    tenants_are_isolated,
);

async fn make_user(app: &TestApp, token: &str, email: &str, office: &str, offer: &str, demand: &str, admin: bool) -> Value {
    let a = app
        .post(
            "/api/v1/users",
            token,
            &json!({
                "name": email.split('@').next().unwrap(), "email": email, "password": "password-123", "role": "broker", "office_id": office,
                "permissions": {"work_with_clients": true, "offer_scope": offer, "demand_scope": demand, "export": false, "admin": admin}
            }),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let live = app.request(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!((live.status, live.body["status"].as_str()), (200, Some("ok")));
    let ready = app.request(reqwest::Method::GET, "/readyz", None, None).await;
    assert_eq!((ready.status, ready.body["status"].as_str()), (200, Some("ready")));
    let spec = app.request(reqwest::Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(spec.status, 200);
    assert!(spec.body["paths"]["/api/v1/contacts/lookup"].is_object());
}

async fn bad_credentials_and_tokens_are_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": app.admin.email, "password": "nope-nope-nope"})),
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (401, "invalid_credentials"));
    let nobody = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ghost@x.example", "password": "whatever-123"})),
        )
        .await;
    assert_eq!(nobody.status, 401);
    let none = app.request(reqwest::Method::GET, "/api/v1/contacts", None, None).await;
    assert_eq!((none.status, none.code()), (401, "unauthenticated"));
    let forged = app.get("/api/v1/contacts", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").await;
    assert_eq!((forged.status, forged.code()), (401, "invalid_token"));
    let bad_key = app
        .get(
            "/api/v1/contacts",
            "ak.00000000000000000000000000000000.00000000000000000000000000000000.abc",
        )
        .await;
    assert_eq!(bad_key.status, 401);
    let malformed = app
        .request(reqwest::Method::POST, "/api/v1/auth/login", None, Some(json!({"email": 5})))
        .await;
    assert_eq!((malformed.status, malformed.code()), (400, "invalid_json"));
}

async fn contacts_are_validated_normalised_and_nothing_is_lost(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    let created = app
        .post("/api/v1/contacts", &token, &json!({"kind": "standard", "first_name": " Åsa ", "last_name": "Öberg", "phones": ["070-123 45 67"], "emails": ["Asa.Oberg@Example.SE"]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["phones"], json!(["+46701234567"]));
    assert_eq!(created.body["emails"], json!(["asa.oberg@example.se"]));
    assert_eq!(created.body["display_name"], "Åsa Öberg");
    let id = created.body["id"].as_str().unwrap().to_owned();

    // Each kind's mandatory fields, reported per field.
    let agency = app.post("/api/v1/contacts", &token, &json!({"kind": "agency"})).await;
    assert_eq!((agency.status, agency.code()), (422, "validation_failed"));
    let fields: Vec<&str> = agency.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["agency_name", "phones"]);
    let bad_phone = app
        .post("/api/v1/contacts", &token, &json!({"kind": "draft", "phones": ["12"]}))
        .await;
    assert_eq!((bad_phone.status, bad_phone.body["field"].as_str()), (422, Some("phones[0]")));
    assert_eq!(bad_phone.body["errors"][0]["code"], "invalid_phone");
    let unknown_kind = app
        .post("/api/v1/contacts", &token, &json!({"kind": "vip", "last_name": "X"}))
        .await;
    assert_eq!(unknown_kind.status, 422);
    let broken = app
        .request(
            reqwest::Method::POST,
            "/api/v1/contacts",
            Some(&token),
            Some(json!("not an object")),
        )
        .await;
    assert_eq!((broken.status, broken.code()), (400, "invalid_json"));

    // A failed update changes nothing.
    let failed = app
        .put(
            &format!("/api/v1/contacts/{id}"),
            &token,
            &json!({"kind": "verified", "last_name": "Öberg"}),
        )
        .await;
    assert_eq!(failed.status, 422);
    let still = app.get(&format!("/api/v1/contacts/{id}"), &token).await;
    assert_eq!(
        (still.body["kind"].as_str(), still.body["first_name"].as_str()),
        (Some("standard"), Some("Åsa"))
    );

    let updated = app
        .put(&format!("/api/v1/contacts/{id}"), &token, &json!({"kind": "verified", "first_name": "Åsa", "last_name": "Öberg-Lind", "phones": ["+46 70 123 45 67"], "emails": ["asa@example.se"], "city": "Uppsala"}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(
        (updated.body["kind"].as_str(), updated.body["city"].as_str()),
        (Some("verified"), Some("Uppsala"))
    );
    let missing = app.get(&format!("/api/v1/contacts/{}", uuid::Uuid::now_v7()), &token).await;
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
    let not_uuid = app.get("/api/v1/contacts/abc", &token).await;
    assert!(matches!(not_uuid.status, 400 | 404), "{}", not_uuid.status);
}

fn names(page: &Answer) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", page.body))
        .iter()
        .map(|c| c["last_name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every page of a list, following `next` links.
async fn all_pages(app: &TestApp, token: &str, first: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let page = app.get(&u, token).await;
        assert_eq!(page.status, 200, "{u}: {}", page.body);
        out.extend(names(&page));
        url = page.body["next"].as_str().map(str::to_owned);
    }
    out
}

async fn list_paginates_sorts_and_filters(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    for (i, name) in ["Dvořák", "Andersson", "Černý", "Berg", "Novák"].iter().enumerate() {
        let kind = if i == 0 { "agency" } else { "standard" };
        let a = app
            .post(
                "/api/v1/contacts",
                &token,
                &json!({"kind": kind, "agency_name": "Reality X", "last_name": name, "phones": [format!("070-100 00 0{i}")]}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let page = app.get("/api/v1/contacts?limit=2&sort=name", &token).await;
    assert_eq!(
        (page.body["total"].as_u64(), page.body["total_exact"].as_bool()),
        (Some(5), Some(true))
    );
    assert_eq!(names(&page), ["Andersson", "Berg"]);
    let next = page.body["next"].as_str().unwrap().to_owned();
    assert!(next.contains("cursor=") && next.contains("sort=name"), "{next}");
    let second = app.get(&next, &token).await;
    assert_eq!(names(&second), ["Černý", "Dvořák"], "folded sort: Č sorts with C");
    assert_eq!(second.body["total"], 5);
    let last = app.get(second.body["next"].as_str().unwrap(), &token).await;
    assert_eq!(names(&last), ["Novák"]);
    assert!(last.body["next"].is_null() && last.body["next_cursor"].is_null());

    // Every sort walks every contact exactly once, page by page, both ways.
    let by_name = ["Andersson", "Berg", "Černý", "Dvořák", "Novák"];
    assert_eq!(all_pages(&app, &token, "/api/v1/contacts?limit=2&sort=name").await, by_name);
    let mut reversed = by_name.to_vec();
    reversed.reverse();
    assert_eq!(all_pages(&app, &token, "/api/v1/contacts?limit=2&sort=-name").await, reversed);
    let created = all_pages(&app, &token, "/api/v1/contacts?limit=2&sort=created_at").await;
    assert_eq!(created, ["Dvořák", "Andersson", "Černý", "Berg", "Novák"]);
    let mut newest = created.clone();
    newest.reverse();
    assert_eq!(all_pages(&app, &token, "/api/v1/contacts?limit=3&sort=-created_at").await, newest);
    for sort in ["updated_at", "-updated_at"] {
        let mut got = all_pages(&app, &token, &format!("/api/v1/contacts?limit=2&sort={sort}")).await;
        got.sort();
        assert_eq!(got.len(), 5, "{sort}");
    }

    // Stable under inserts: a contact added while paging does not shift the pages.
    let first = app.get("/api/v1/contacts?limit=2&sort=name", &token).await;
    app.post("/api/v1/contacts", &token, &json!({"kind": "draft", "last_name": "Aaberg"}))
        .await;
    let rest = all_pages(&app, &token, first.body["next"].as_str().unwrap()).await;
    assert_eq!(rest, ["Černý", "Dvořák", "Novák"]);

    let agencies = app.get("/api/v1/contacts?kind=agency", &token).await;
    assert_eq!(agencies.body["total"], 1);
    let text = app.get("/api/v1/contacts?q=NOVAK", &token).await;
    assert_eq!(text.body["total"], 1);
    let by_phone = app.get("/api/v1/contacts?q=%2B46701000003", &token).await;
    assert_eq!(names(&by_phone), ["Berg"]);
    let owner = app.get(&format!("/api/v1/contacts?owner_id={}", app.admin.id), &token).await;
    assert_eq!(owner.body["total"], 6);
    let office = app
        .get(&format!("/api/v1/contacts?office_id={}&sort=-name", app.admin.office_id), &token)
        .await;
    assert_eq!(names(&office)[0], "Novák");
    // A contact with two name words starting alike is listed and counted once, on every page
    // and in both orders the search index gives.
    let twice = app
        .post(
            "/api/v1/contacts",
            &token,
            &json!({"kind": "standard", "first_name": "Berit", "last_name": "Bergström", "emails": ["berit@example.se"]}),
        )
        .await;
    assert_eq!(twice.status, 201, "{}", twice.body);
    for (sort, want) in [
        ("name", ["Berg", "Bergström"]),
        ("-name", ["Bergström", "Berg"]),
        ("created_at", ["Berg", "Bergström"]),
        ("-created_at", ["Bergström", "Berg"]),
    ] {
        let url = format!("/api/v1/contacts?q=ber&limit=1&sort={sort}");
        assert_eq!(all_pages(&app, &token, &url).await, want, "{sort}");
        let first = app.get(&url, &token).await;
        assert_eq!(
            (first.body["total"].as_u64(), first.body["total_exact"].as_bool()),
            (Some(2), Some(true)),
            "{sort}"
        );
    }
    // A search whose word starts more distinct words than a page is merged from is sorted
    // whole: still every contact once, in order.
    let mut many = Vec::new();
    for i in 0..70u8 {
        let last = format!("Zet{}{}", (b'a' + i / 26) as char, (b'a' + i % 26) as char);
        let a = app
            .post(
                "/api/v1/contacts",
                &token,
                &json!({"kind": "standard", "last_name": last, "emails": [format!("zet{i}@example.se")]}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        many.push(last);
    }
    assert_eq!(all_pages(&app, &token, "/api/v1/contacts?q=zet&limit=25&sort=name").await, many);
    many.reverse();
    assert_eq!(
        all_pages(&app, &token, "/api/v1/contacts?q=zet&limit=25&sort=-created_at").await,
        many
    );
    assert_eq!(app.get("/api/v1/contacts?q=zet", &token).await.body["total"], 70);
    for bad in [
        "limit=0",
        "limit=1000",
        "limit=99999999999999999999999",
        "sort=shoe_size",
        "kind=vip",
        "owner_id=nope",
        "cursor=nope",
        "q=a",
        "q=%00",
        "sort=name&cursor=Y3JlYXRlZF9hdB8wMWEyMDcyODlhYTA3NjU0OWEyZDMzYWNhYzkwZDE2Mh8",
    ] {
        let a = app.get(&format!("/api/v1/contacts?{bad}"), &token).await;
        assert_eq!(a.status, 400, "{bad}: {}", a.body);
    }
    // An old client's offset is not understood, and harms nothing.
    assert_eq!(app.get("/api/v1/contacts?offset=9223372036854775808", &token).await.status, 200);
}

/// A search word with more entries than the list counts (20,000): an administrator's pages are
/// merged from the words it starts, in order, each contact once, with an estimated total.
async fn a_word_too_common_to_count_is_listed_in_order(backend: Backend) {
    use crm_domain::contacts::{ContactData, ContactInput, Country};
    use crm_store::contacts::ImportRow;
    let app = spawn_app(backend).await;
    let token = app.admin_token().await;
    let (firsts, lasts) = (["Johan", "Jonas", "Josefin"], ["Berg", "Ek", "Lund"]);
    let n = 20_100usize;
    let rows: Vec<ImportRow> = (0..n)
        .map(|k| {
            let input = ContactInput {
                kind: Some("standard".into()),
                first_name: Some(firsts[k % 3].into()),
                last_name: Some(lasts[(k / 3) % 3].into()),
                emails: vec![format!("c{k}@example.se")],
                ..Default::default()
            };
            ImportRow {
                data: ContactData::parse(&input, Country::SWEDEN).expect("valid"),
                owner: app.admin.id,
            }
        })
        .collect();
    // The data a brokerage moving in brings, written as its import writes it.
    for chunk in rows.chunks(5_000) {
        app.store.import_contacts(&app.admin.viewer(), chunk).await.expect("import");
    }
    let mut expected: Vec<(String, String)> = (0..n).map(|k| (lasts[(k / 3) % 3].to_owned(), firsts[k % 3].to_owned())).collect();
    expected.sort();
    // The administrator's pages are merged from the words; an office manager's (who does not
    // see every contact) walk the office in name order.
    let office = app.admin.office_id.to_string();
    make_user(&app, &token, "manager@test.example", &office, "office", "office", false).await;
    let manager = app.login("manager@test.example", "password-123").await;
    for (who, viewer) in [("administrator", &token), ("office manager", &manager)] {
        let mut seen = std::collections::HashSet::new();
        let mut got = Vec::new();
        let mut url = Some("/api/v1/contacts?q=jo&limit=100&sort=name".to_owned());
        let mut first_total = None;
        for page_number in 0..3 {
            let page = app.get(url.as_deref().unwrap(), viewer).await;
            assert_eq!(page.status, 200, "{who}: {}", page.body);
            assert_eq!(page.body["total_exact"], false, "{who}: {}", page.body["total"]);
            let total = page.body["total"].as_u64().unwrap();
            assert!(total.abs_diff(n as u64) <= n as u64 / 10, "{who}: estimated {total} of {n}");
            // The later pages show the first page's estimate again, though contacts were added
            // since (which a new estimate would count).
            assert_eq!(*first_total.get_or_insert(total), total, "{who}: page {page_number}");
            if page_number == 0 {
                for i in 0..30 {
                    let a = app
                        .post(
                            "/api/v1/contacts",
                            &token,
                            &json!({"kind": "standard", "last_name": format!("Zed{i}"), "emails": [format!("zed{i}-{}@example.se", who.len())]}),
                        )
                        .await;
                    assert_eq!(a.status, 201, "{}", a.body);
                }
            }
            for c in page.body["items"].as_array().unwrap() {
                assert!(seen.insert(c["id"].as_str().unwrap().to_owned()), "{who}: listed twice: {c}");
                got.push((
                    c["last_name"].as_str().unwrap().to_owned(),
                    c["first_name"].as_str().unwrap().to_owned(),
                ));
            }
            url = page.body["next"].as_str().map(str::to_owned);
        }
        assert_eq!(got, expected[..300], "{who}");
        // Two common words: the contacts of their pair, counted exactly (the administrator's
        // page merged from the words' entries, the manager's probed by key), page by page.
        let johan_berg = (0..n).filter(|k| k % 3 == 0 && (k / 3) % 3 == 0).count() as u64;
        let mut url = Some("/api/v1/contacts?q=johan%20berg&limit=100&sort=name".to_owned());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..3 {
            let page = app.get(url.as_deref().unwrap(), viewer).await;
            assert_eq!(
                (page.body["total"].as_u64(), page.body["total_exact"].as_bool()),
                (Some(johan_berg), Some(true)),
                "{who}: {}",
                page.body["total"]
            );
            let items = page.body["items"].as_array().unwrap();
            assert_eq!(items.len(), 100, "{who}");
            for c in items {
                assert_eq!(
                    (c["first_name"].as_str(), c["last_name"].as_str()),
                    (Some("Johan"), Some("Berg")),
                    "{who}"
                );
                assert!(seen.insert(c["id"].as_str().unwrap().to_owned()), "{who}: listed twice: {c}");
            }
            url = page.body["next"].as_str().map(str::to_owned);
        }
    }
    let newest = app.get("/api/v1/contacts?q=jo&limit=50&sort=-created_at", &token).await;
    let ids: Vec<&str> = newest.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 50);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
}

/// A search by two words finds each contact with two name words they start, however many
/// words its name has (pairs are made of the first three only), as the viewer may see them, on
/// every page of every sort; and again after its migration is undone and done.
async fn two_words_find_every_contact_however_long_its_name(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    make_user(&app, &admin, "own@test.example", &office, "own", "own", false).await;
    let own = app.login("own@test.example", "password-123").await;
    let people = [
        (
            &admin,
            json!({"kind": "standard", "first_name": "Anna", "last_name": "Lindqvist", "emails": ["a1@example.se"]}),
        ),
        (
            &admin,
            json!({"kind": "standard", "first_name": "Annika", "last_name": "Lind", "emails": ["a2@example.se"]}),
        ),
        (
            &admin,
            json!({"kind": "agency", "first_name": "Anna", "last_name": "Berg", "agency_name": "Lind Fastigheter", "emails": ["a3@example.se"]}),
        ),
        (
            &admin,
            json!({"kind": "agency", "first_name": "Per", "last_name": "Ek", "agency_name": "Nordic Home Lindahl Fastigheter", "emails": ["a4@example.se"]}),
        ),
        (
            &own,
            json!({"kind": "standard", "first_name": "Anna", "last_name": "Lindgren", "emails": ["a5@example.se"]}),
        ),
        (
            &admin,
            json!({"kind": "standard", "first_name": "Lind", "last_name": "Lindqvist", "emails": ["a6@example.se"]}),
        ),
    ];
    for (token, body) in &people {
        let a = app.post("/api/v1/contacts", token, body).await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    let search = |q: &str| format!("/api/v1/contacts?q={}", urlencode(q));
    for (token, q, want) in [
        (&admin, "anna lind", vec!["Berg", "Lindgren", "Lindqvist"]),
        (&admin, "lind anna", vec!["Berg", "Lindgren", "Lindqvist"]),
        (&admin, "ann lind", vec!["Berg", "Lind", "Lindgren", "Lindqvist"]),
        (&admin, "per lind", vec!["Ek"]),
        (&admin, "fast ek", vec!["Ek"]),
        (&admin, "nordic fastig", vec!["Ek"]),
        (&admin, "anna fastig", vec!["Berg"]),
        (&admin, "anna lind zz", vec![]),
        (&admin, "lind lindqvist", vec!["Lindqvist", "Lindqvist"]),
        // Agencies are everyone's to see; other brokers' clients are not.
        (&own, "anna lind", vec!["Berg", "Lindgren"]),
        (&own, "ann lind", vec!["Berg", "Lindgren"]),
        (&own, "per lind", vec!["Ek"]),
    ] {
        let first = app.get(&search(q), token).await;
        assert_eq!(first.status, 200, "{q}: {}", first.body);
        assert_eq!(
            (first.body["total"].as_u64(), first.body["total_exact"].as_bool()),
            (Some(want.len() as u64), Some(true)),
            "{q}: {}",
            first.body
        );
        let url = format!("{}&limit=1&sort=name", search(q));
        assert_eq!(all_pages(&app, token, &url).await, want, "{q}");
        let mut reversed = want.clone();
        reversed.reverse();
        assert_eq!(
            all_pages(&app, token, &url.replace("sort=name", "sort=-name")).await,
            reversed,
            "{q}"
        );
        for sort in ["created_at", "-updated_at"] {
            let mut got = all_pages(&app, token, &url.replace("sort=name", &format!("sort={sort}"))).await;
            got.sort();
            assert_eq!(got, want, "{q}, {sort}");
        }
    }
    // An estimate written into a cursor by hand changes nothing: this search is counted.
    {
        use crm_store::contacts::{ContactSort, Cursor};
        let first = app.get(&format!("{}&limit=1&sort=name", search("anna lind")), &admin).await;
        let next = first.body["next"].as_str().expect("a next page").to_owned();
        let text = next
            .split("cursor=")
            .nth(1)
            .and_then(|c| c.split('&').next())
            .expect("a cursor")
            .to_owned();
        let mut cursor = Cursor::decode(&text, ContactSort::NameAsc).expect("our cursor");
        cursor.estimate = Some(999_999);
        let forged = app.get(&next.replace(&text, &cursor.encode()), &admin).await;
        assert_eq!(
            (forged.body["total"].as_u64(), forged.body["total_exact"].as_bool()),
            (Some(3), Some(true)),
            "{}",
            forged.body
        );
        assert_eq!(names(&forged), ["Lindgren"]);
    }
    // The long names' words of contacts written before they were indexed come from the
    // migration: undone, "per lind" finds nothing (the pairs hold only "per", "ek", "nordic");
    // done again, it finds Per Ek.
    {
        use crm_migration::{Migrator, MigratorTrait};
        let db = sea_orm::Database::connect(&app.database_url).await.expect("connect");
        let since = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m0018_long_names")
            .expect("the migration")
            + 1;
        Migrator::down(&db, Some(since as u32)).await.expect("down");
        assert_eq!(app.get(&search("per lind"), &admin).await.body["total"], 0);
        Migrator::up(&db, None).await.expect("up");
        assert_eq!(names(&app.get(&search("per lind"), &admin).await), ["Ek"]);
        db.close().await.expect("close");
    }
}

async fn caller_lookup_finds_every_format_and_redacts(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    make_user(&app, &admin, "own@test.example", &office, "own", "own", false).await;
    let own = app.login("own@test.example", "password-123").await;
    let mine = app.post("/api/v1/contacts", &own, &json!({"kind": "standard", "first_name": "Jiří", "last_name": "Dvořák", "phones": ["070-555 12 34"], "emails": ["jiri@example.cz"]})).await;
    assert_eq!(mine.status, 201);
    // Someone else's client, and an agency.
    let theirs = app
        .post(
            "/api/v1/contacts",
            &admin,
            &json!({"kind": "standard", "first_name": "Jana", "last_name": "Dvořáková", "phones": ["+46 70 555 99 99"]}),
        )
        .await;
    assert_eq!(theirs.status, 201);
    let agency = app
        .post(
            "/api/v1/contacts",
            &admin,
            &json!({"kind": "agency", "agency_name": "Mäklarhuset", "phones": ["08-555 000 11"]}),
        )
        .await;
    assert_eq!(agency.status, 201);

    for typed in ["070-555 12 34", "0705551234", "+46 70 555 12 34", "0046705551234", "70 555"] {
        let r = app.get(&format!("/api/v1/contacts/lookup?q={}", urlencode(typed)), &own).await;
        assert_eq!(r.status, 200, "{typed}: {}", r.body);
        assert_eq!(r.body["query_kind"], "phone");
        assert_eq!(r.body["matches"][0]["contact"]["id"], mine.body["id"], "{typed}: {}", r.body);
    }
    let by_email = app.get("/api/v1/contacts/lookup?q=JIRI%40EXAMPLE", &own).await;
    assert_eq!(by_email.body["matches"][0]["matched_on"], "email");

    // Two words, the first longer than the pair index keeps, in either order and cut short.
    for (typed, want) in [
        ("DVORAK ji", 1),
        ("jiri dvo", 1),
        ("dvorakova jan", 1),
        ("dvor ja", 1),
        ("dvor j", 2),
        ("dvorak xy", 0),
    ] {
        let r = app.get(&format!("/api/v1/contacts/lookup?q={}", urlencode(typed)), &own).await;
        assert_eq!(r.body["matches"].as_array().unwrap().len(), want, "{typed}: {}", r.body);
    }
    let by_name = app.get("/api/v1/contacts/lookup?q=dvora", &own).await;
    let matches = by_name.body["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 2, "{}", by_name.body);
    let hidden = matches
        .iter()
        .find(|m| m["visible"] == false)
        .expect("the other broker's client exists");
    assert!(hidden["contact"].is_null() && hidden["history"].as_array().unwrap().is_empty());
    assert_eq!(hidden["owner_name"], "Ada Admin");
    let visible = matches.iter().find(|m| m["visible"] == true).unwrap();
    assert_eq!(visible["history"][0]["kind"], "created");

    let agency_hit = app.get("/api/v1/contacts/lookup?q=08%20555%20000%2011", &own).await;
    assert_eq!(
        (
            agency_hit.body["matches"][0]["agency"].as_bool(),
            agency_hit.body["matches"][0]["visible"].as_bool()
        ),
        (Some(true), Some(true))
    );

    let none = app.get("/api/v1/contacts/lookup?q=Anna%20Maria%20Zyx", &own).await;
    assert!(none.body["matches"].as_array().unwrap().is_empty());
    assert_eq!(
        none.body["prefill"],
        json!({"first_name": "Anna Maria", "last_name": "Zyx", "phone": null, "email": null})
    );
    // A database written before pair tokens carried the name words gets them from its
    // migration: that migration (and any after it) undone, the words are gone and a first word
    // longer than the pairs keep finds nothing; done again, it finds what it found.
    {
        use crm_migration::{Migrator, MigratorTrait};
        let db = sea_orm::Database::connect(&app.database_url).await.expect("connect");
        let since = Migrator::migrations()
            .iter()
            .rev()
            .position(|m| m.name() == "m0017_word_order")
            .expect("the migration")
            + 1;
        let typed = "/api/v1/contacts/lookup?q=DVORAK%20ji";
        Migrator::down(&db, Some(since as u32)).await.expect("down");
        assert!(app.get(typed, &own).await.body["matches"].as_array().unwrap().is_empty());
        Migrator::up(&db, None).await.expect("up");
        assert_eq!(app.get(typed, &own).await.body["matches"][0]["contact"]["id"], mine.body["id"]);
        let other = app.get("/api/v1/contacts/lookup?q=dvorakova%20jan", &own).await;
        assert_eq!(other.body["matches"].as_array().unwrap().len(), 1, "{}", other.body);
        db.close().await.expect("close");
    }
    let short = app.get("/api/v1/contacts/lookup?q=a", &own).await;
    assert_eq!((short.status, short.code()), (400, "query_too_short"));
    // The hidden contact stays hidden everywhere else.
    let direct = app
        .get(&format!("/api/v1/contacts/{}", theirs.body["id"].as_str().unwrap()), &own)
        .await;
    assert_eq!(direct.status, 404);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn timeline_notes_and_handover(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    let colleague = make_user(&app, &admin, "colleague@test.example", &office, "own", "own", false).await;
    let c = app
        .post("/api/v1/contacts", &admin, &json!({"kind": "draft", "last_name": "Holm"}))
        .await;
    let id = c.body["id"].as_str().unwrap().to_owned();
    let note = app
        .post(
            &format!("/api/v1/contacts/{id}/notes"),
            &admin,
            &json!({"body": "Called about the flat in Vasastan"}),
        )
        .await;
    assert_eq!(note.status, 201);
    let empty = app
        .post(&format!("/api/v1/contacts/{id}/notes"), &admin, &json!({"body": "   "}))
        .await;
    assert_eq!((empty.status, empty.body["field"].as_str()), (422, Some("body")));

    let handover = app
        .post(
            &format!("/api/v1/contacts/{id}/handover"),
            &admin,
            &json!({"to_user_id": colleague["id"], "message": "Wants a valuation", "notify_email": true}),
        )
        .await;
    assert_eq!(handover.status, 204, "{}", handover.body);
    let to_self_again = app
        .post(
            &format!("/api/v1/contacts/{id}/handover"),
            &admin,
            &json!({"to_user_id": colleague["id"]}),
        )
        .await;
    assert_eq!(to_self_again.code(), "already_owner");

    let ct = app.login("colleague@test.example", "password-123").await;
    let tasks = app.get("/api/v1/tasks", &ct).await;
    let tasks = &tasks.body["items"];
    assert_eq!(tasks[0]["kind"], "handover");
    assert_eq!(tasks[0]["contact_id"].as_str(), Some(id.as_str()));
    assert_eq!(app.get("/api/v1/tasks/counts", &ct).await.body["open"], 1);
    let outbox = app.store.outbox(app.company.id).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "colleague@test.example");
    let card = app.get(&format!("/api/v1/contacts/{id}"), &ct).await;
    assert_eq!(card.body["owner_name"], "colleague");
    let timeline = app.get(&format!("/api/v1/contacts/{id}/timeline"), &ct).await;
    let kinds: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["handover", "note", "created"]);
    // History is told in each reader's language: the company is Swedish, so is the colleague.
    assert_eq!(
        timeline.body["items"][0]["body"],
        "Överlämnad från Ada Admin till colleague: Wants a valuation"
    );
    assert_eq!(timeline.body["items"][0]["params"]["message"], "Wants a valuation");
    let english = app.put("/api/v1/me/settings", &ct, &json!({"locale": "en-GB"})).await;
    assert_eq!((english.status, english.body["locale"].as_str()), (200, Some("en-GB")));
    let again = app.get(&format!("/api/v1/contacts/{id}/timeline"), &ct).await;
    assert_eq!(
        again.body["items"][0]["body"],
        "Handed over from Ada Admin to colleague: Wants a valuation"
    );
    let russian = app.put("/api/v1/me/settings", &ct, &json!({"locale": "ru"})).await;
    assert_eq!(russian.body["locale"], "ru-RU");
    let klingon = app.put("/api/v1/me/settings", &ct, &json!({"locale": "tlh"})).await;
    assert_eq!((klingon.status, klingon.code()), (422, "invalid_locale"));
    // A page at a time.
    let first = app.get(&format!("/api/v1/contacts/{id}/timeline?limit=2"), &ct).await;
    assert_eq!(first.body["items"].as_array().unwrap().len(), 2);
    let rest = app.get(first.body["next"].as_str().unwrap(), &ct).await;
    assert_eq!(rest.body["items"][0]["kind"], "created");
    assert!(rest.body["next"].is_null());
    let task_id = tasks[0]["id"].as_str().unwrap();
    assert_eq!(
        app.post(&format!("/api/v1/tasks/{task_id}/done"), &ct, &json!({})).await.status,
        204
    );
    assert!(app.get("/api/v1/tasks", &ct).await.body["items"].as_array().unwrap().is_empty());
    assert_eq!(app.get("/api/v1/tasks?status=done", &ct).await.body["items"][0]["id"], task_id);
}

async fn properties_parties_and_demands_drive_visibility(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    make_user(&app, &admin, "offers@test.example", &office, "office", "own", false).await;
    let viewer = app.login("offers@test.example", "password-123").await;
    let c = app
        .post(
            "/api/v1/contacts",
            &admin,
            &json!({"kind": "standard", "last_name": "Seller", "phones": ["070-200 00 00"]}),
        )
        .await;
    let id = c.body["id"].as_str().unwrap().to_owned();
    // Unattached: visible per the wider scope (office).
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &viewer).await.status, 200);
    let demand = app
        .post(
            "/api/v1/demands",
            &admin,
            &json!({"contact_id": id, "max_price": 3000000, "area": "Södermalm"}),
        )
        .await;
    assert_eq!(demand.status, 201, "{}", demand.body);
    // Now on the demand side only, and the viewer's demand scope is own.
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &viewer).await.status, 404);
    let p = app.post("/api/v1/properties", &admin, &json!({"kind": "apartment", "status": "for_sale", "street": "Götgatan 1", "city": "Stockholm", "price": 3500000, "lat": 59.31, "lon": 18.07})).await;
    assert_eq!(p.status, 201, "{}", p.body);
    assert_eq!(p.body["currency"], "SEK");
    let pid = p.body["id"].as_str().unwrap().to_owned();
    let party = app
        .post(
            &format!("/api/v1/properties/{pid}/parties"),
            &admin,
            &json!({"contact_id": id, "role": "seller"}),
        )
        .await;
    assert_eq!(party.status, 200, "{}", party.body);
    assert_eq!(party.body["parties"][0]["role"], "seller");
    let dup = app
        .post(
            &format!("/api/v1/properties/{pid}/parties"),
            &admin,
            &json!({"contact_id": id, "role": "seller"}),
        )
        .await;
    assert_eq!(dup.status, 409);
    // Seller too: the offer scope (office) lets the viewer see it.
    let card = app.get(&format!("/api/v1/contacts/{id}"), &viewer).await;
    assert_eq!(card.status, 200);
    assert_eq!(
        (card.body["on_offer"].as_bool(), card.body["on_demand"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(card.body["properties"][0]["role"], "seller");
    let bad_status = app
        .put(
            &format!("/api/v1/properties/{pid}"),
            &admin,
            &json!({"kind": "apartment", "status": "sold", "street": "Götgatan 1", "city": "Stockholm"}),
        )
        .await;
    assert_eq!(bad_status.status, 200);
    let back = app
        .put(
            &format!("/api/v1/properties/{pid}"),
            &admin,
            &json!({"kind": "apartment", "status": "assignment", "street": "Götgatan 1", "city": "Stockholm"}),
        )
        .await;
    assert_eq!((back.status, back.code()), (422, "invalid_status_change"));
    let removed = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/properties/{pid}/parties/{id}/seller"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &viewer).await.status, 404);
    let list = app.get("/api/v1/properties?status=sold", &viewer).await;
    assert_eq!(list.body["total"], 1);
    let negative = app
        .post(
            "/api/v1/properties",
            &admin,
            &json!({"kind": "house", "status": "for_sale", "street": "X 1", "city": "Y", "price": -5}),
        )
        .await;
    assert_eq!((negative.status, negative.body["field"].as_str()), (422, Some("price")));
}

async fn admin_manages_offices_users_groups_and_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.post("/api/v1/offices", &admin, &json!({"name": "Göteborg"})).await;
    assert_eq!(office.status, 201);
    let oid = office.body["id"].as_str().unwrap().to_owned();
    let user = make_user(&app, &admin, "broker@test.example", &oid, "own", "office", false).await;
    assert_eq!(user["office_name"], "Göteborg");
    let dup = app.post("/api/v1/users", &admin, &json!({"name": "X", "email": "BROKER@test.example", "password": "password-123", "role": "broker", "office_id": oid, "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}})).await;
    assert_eq!((dup.status, dup.body["field"].as_str()), (409, Some("email")));
    let weak = app.post("/api/v1/users", &admin, &json!({"name": "X", "email": "x@test.example", "password": "short", "role": "broker", "office_id": oid, "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}})).await;
    assert_eq!((weak.status, weak.code()), (422, "weak_password"));
    let bad_scope = app.post("/api/v1/users", &admin, &json!({"name": "X", "email": "y@test.example", "password": "password-123", "role": "broker", "office_id": oid, "permissions": {"work_with_clients": true, "offer_scope": "galaxy", "demand_scope": "own", "export": false, "admin": false}})).await;
    assert_eq!(bad_scope.code(), "invalid_scope");

    let broker = app.login("broker@test.example", "password-123").await;
    assert_eq!(app.post("/api/v1/offices", &broker, &json!({"name": "Nope"})).await.status, 403);
    assert_eq!(app.get("/api/v1/api-keys", &broker).await.status, 403);
    let export = app.get("/api/v1/contacts/export", &broker).await;
    assert_eq!((export.status, export.code()), (403, "forbidden"));

    // Widen the broker's rights; the next request already sees them.
    let uid = user["id"].as_str().unwrap();
    let changed = app.put(&format!("/api/v1/users/{uid}"), &admin, &json!({"name": "Broker B", "email": "broker@test.example", "role": "office_manager", "office_id": oid, "permissions": {"work_with_clients": true, "offer_scope": "company", "demand_scope": "company", "export": true, "admin": false}})).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(app.get("/api/v1/contacts/export", &broker).await.status, 200);
    let lockout = app.put(&format!("/api/v1/users/{}", app.admin.id), &admin, &json!({"name": "Ada", "email": app.admin.email, "role": "administrator", "office_id": app.admin.office_id, "permissions": {"work_with_clients": true, "offer_scope": "company", "demand_scope": "company", "export": true, "admin": false}})).await;
    assert_eq!(lockout.code(), "self_lockout");

    let group = app
        .post(
            "/api/v1/groups",
            &admin,
            &json!({"name": "Tip group – Göteborg", "member_ids": [uid]}),
        )
        .await;
    assert_eq!(group.status, 201);
    let gid = group.body["id"].as_str().unwrap();
    let renamed = app
        .put(
            &format!("/api/v1/groups/{gid}"),
            &admin,
            &json!({"name": "Tips GBG", "member_ids": []}),
        )
        .await;
    assert_eq!(renamed.body["member_ids"], json!([]));
    let stranger = app
        .post(
            "/api/v1/groups",
            &admin,
            &json!({"name": "G", "member_ids": [uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(stranger.code(), "unknown_user");

    // An API key acts with its user's rights; revoked, it stops working.
    let key = app
        .post("/api/v1/api-keys", &admin, &json!({"name": "Website forms", "user_id": uid}))
        .await;
    assert_eq!(key.status, 201);
    let secret = key.body["secret"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", &secret).await;
    assert_eq!(me.body["email"], "broker@test.example");
    let via_header = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .header("X-Api-Key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(via_header.status(), 200);
    let listed = app.get("/api/v1/api-keys", &admin).await;
    assert!(listed.body[0]["secret"].is_null());
    let kid = key.body["id"].as_str().unwrap();
    assert_eq!(
        app.request(reqwest::Method::DELETE, &format!("/api/v1/api-keys/{kid}"), Some(&admin), None)
            .await
            .status,
        204
    );
    assert_eq!(app.get("/api/v1/me", &secret).await.status, 401);
}

async fn tenants_are_isolated(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let c = app
        .post(
            "/api/v1/contacts",
            &admin,
            &json!({"kind": "agency", "agency_name": "Shared Name AB", "emails": ["a@shared.example"]}),
        )
        .await;
    let id = c.body["id"].as_str().unwrap().to_owned();
    let (_, other_admin) = app
        .store
        .create_company(
            "Other Brokers",
            crm_domain::contacts::Country::CZECHIA,
            "Praha",
            "Otto",
            "otto@other.example",
            "otto-password-1",
        )
        .await
        .unwrap();
    let other = app.login(&other_admin.email, "otto-password-1").await;
    assert_eq!(app.get(&format!("/api/v1/contacts/{id}"), &other).await.status, 404);
    assert_eq!(app.get("/api/v1/contacts", &other).await.body["total"], 0);
    assert!(
        app.get("/api/v1/contacts/lookup?q=shared", &other).await.body["matches"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.get("/api/v1/users", &other).await.body.as_array().unwrap().len(), 1);
    let cross = app
        .post(&format!("/api/v1/contacts/{id}/notes"), &other, &json!({"body": "hi"}))
        .await;
    assert_eq!(cross.status, 404);
    // Czech company: local numbers are read as Czech.
    let cz = app
        .post(
            "/api/v1/contacts",
            &other,
            &json!({"kind": "standard", "last_name": "Novák", "phones": ["601 234 567"]}),
        )
        .await;
    assert_eq!(cz.body["phones"], json!(["+420601234567"]));
}
