//! Segmentation through the running server, on SQLite and PostgreSQL: filters on a client's
//! history (viewings without a meeting since, bids without becoming a buyer, demands, opt-out,
//! dates) combined with the contact list's filters and always through the caller's visibility;
//! saved filters private or shared with the office; bulk email and SMS through the outbox (the
//! email reaching a real SMTP server), opt-outs and missing channels counted; a call list and a
//! newsletter list filled from a selection; the `.xlsx` export read back by an independent reader.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Reader, Xlsx};
use chrono::{NaiveDate, Utc};
use crm_tests::{Backend, TestApp, on_both_databases, smtp_server, spawn_app_with};
use serde_json::{Value, json};

on_both_databases!(segments_select_save_and_act);

async fn user(app: &TestApp, admin: &str, name: &str, export: bool) -> (String, String) {
    let email = format!("{name}@test.example");
    let u = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"name": name, "email": email, "password": "password-123", "role": "broker", "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": export, "admin": false}}),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.body);
    (u.body["id"].as_str().unwrap().to_owned(), app.login(&email, "password-123").await)
}

async fn contact(app: &TestApp, token: &str, body: Value) -> String {
    let c = app.post("/api/v1/contacts", token, &body).await;
    assert_eq!(c.status, 201, "{}", c.body);
    c.body["id"].as_str().unwrap().to_owned()
}

/// The names a selection finds, in order, and its count.
async fn names(app: &TestApp, token: &str, filter: Value) -> (Vec<String>, u64) {
    let p = app.post("/api/v1/segments/preview", token, &json!({"filter": filter})).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let names = p.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["display_name"].as_str().unwrap().to_owned())
        .collect();
    (names, p.body["total"].as_u64().unwrap())
}

/// A day counted from today in the company's zone (Stockholm), as the server reads dates.
fn ahead(days: i64) -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Stockholm).date_naive() + chrono::Duration::days(days)
}

async fn segments_select_save_and_act(backend: Backend) {
    let smtp = smtp_server().await;
    let app = spawn_app_with(backend, |c| c.jobs.smtp_url = Some(smtp.url.clone())).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna", true).await;
    let (_, lars) = user(&app, &admin, "lars", false).await;
    let eva = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Eva", "last_name": "Ek", "emails": ["eva@client.example"], "phones": ["070-111 11 11"]}),
    )
    .await;
    let olle = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Olle", "last_name": "Ek", "phones": ["070-222 22 22"]}),
    )
    .await;
    let pia = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Pia", "last_name": "Ek", "emails": ["pia@client.example"], "opted_out": true}),
    )
    .await;
    let kim = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Kim", "last_name": "Ek", "phones": ["070-444 44 44"]}),
    )
    .await;
    // Lars's own client: never reached by Anna's selections, whatever the filter.
    contact(
        &app,
        &lars,
        json!({"kind": "standard", "first_name": "Sven", "last_name": "Ek", "emails": ["sven@client.example"]}),
    )
    .await;

    // A viewing: Eva and Olle came, Pia did not; Olle has booked a meeting since.
    let home = app
        .post(
            "/api/v1/properties",
            &anna,
            &json!({"kind": "apartment", "status": "for_sale", "street": "Hornsgatan 10", "city": "Stockholm", "price": 4_000_000}),
        )
        .await;
    assert_eq!(home.status, 201, "{}", home.body);
    let home = home.body["id"].as_str().unwrap().to_owned();
    let day = ahead(5);
    let v = app
        .post(
            "/api/v1/viewings",
            &anna,
            &json!({"property_id": home, "starts_at": format!("{day}T17:00"), "participants": [eva, olle, pia]}),
        )
        .await;
    assert_eq!(v.status, 201, "{}", v.body);
    let viewing = v.body["id"].as_str().unwrap();
    for (who, status) in [(&eva, "attended"), (&olle, "attended"), (&pia, "no_show")] {
        let a = app
            .put(
                &format!("/api/v1/viewings/{viewing}/participants/{who}"),
                &anna,
                &json!({"status": status}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let m = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": olle, "starts_at": format!("{}T10:00", ahead(8)), "property_id": home}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);

    let viewed = json!({"viewing_from": day, "viewing_to": day});
    assert_eq!(
        names(&app, &anna, viewed.clone()).await,
        (vec!["Eva Ek".into(), "Olle Ek".into()], 2)
    );
    let today = ahead(0);
    assert_eq!(
        names(
            &app,
            &anna,
            json!({"viewing_from": day, "viewing_to": day, "no_meeting_since": today})
        )
        .await,
        (vec!["Eva Ek".to_owned()], 1),
        "attended a viewing and booked no meeting since"
    );
    assert_eq!(
        names(&app, &anna, json!({"viewing_from": ahead(6)})).await.1,
        0,
        "the viewing was before the period"
    );
    // Eva attends a later viewing too: the earlier period still finds her, the later one finds
    // her until that viewing is cancelled.
    let later = app
        .post(
            "/api/v1/viewings",
            &anna,
            &json!({"property_id": home, "starts_at": format!("{}T12:00", ahead(7)), "participants": [eva]}),
        )
        .await;
    assert_eq!(later.status, 201, "{}", later.body);
    let later = later.body["id"].as_str().unwrap().to_owned();
    let a = app
        .put(
            &format!("/api/v1/viewings/{later}/participants/{eva}"),
            &anna,
            &json!({"status": "attended"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(names(&app, &anna, viewed.clone()).await.1, 2, "an attendance in the period counts");
    assert_eq!(
        names(&app, &anna, json!({"viewing_from": ahead(6)})).await.0,
        vec!["Eva Ek".to_owned()]
    );
    let cancelled = app.post(&format!("/api/v1/viewings/{later}/cancel"), &anna, &json!({})).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(
        names(&app, &anna, json!({"viewing_from": ahead(6)})).await.1,
        0,
        "a cancelled viewing was not attended"
    );
    assert_eq!(names(&app, &anna, viewed.clone()).await.1, 2);

    // Bids: Eva and Olle bid; Eva became a buyer, so only Olle bid without buying.
    for who in [&eva, &olle] {
        let b = app
            .post(
                &format!("/api/v1/properties/{home}/bids"),
                &anna,
                &json!({"contact_id": who, "amount": 4_100_000}),
            )
            .await;
        assert_eq!(b.status, 201, "{}", b.body);
    }
    let buyer = app
        .post(
            &format!("/api/v1/properties/{home}/parties"),
            &anna,
            &json!({"contact_id": eva, "role": "buyer"}),
        )
        .await;
    assert!(buyer.status < 300, "{}", buyer.body);
    assert_eq!(
        names(&app, &anna, json!({"bid_from": today, "bid_to": today, "not_buyer": true})).await,
        (vec!["Olle Ek".to_owned()], 1)
    );

    // Demands by area and price; opt-out; creation dates.
    let d = app
        .post(
            "/api/v1/demands",
            &anna,
            &json!({"contact_id": kim, "area": "Södermalm, Hornstull", "min_price": 3_000_000, "max_price": 5_000_000}),
        )
        .await;
    assert!(d.status < 300, "{}", d.body);
    assert_eq!(
        names(&app, &anna, json!({"demand_area": "hornstull", "demand_price": 4_000_000}))
            .await
            .0,
        vec!["Kim Ek".to_owned()]
    );
    assert_eq!(names(&app, &anna, json!({"demand_price": 6_000_000})).await.1, 0);
    // An area matches by the starts of its words, case and diacritics aside.
    for (area, found) in [("SODER", 1), ("söder horn", 1), ("malm", 0), ("hornstull vasa", 0)] {
        assert_eq!(
            names(&app, &anna, json!({"demand_area": area})).await.1,
            found,
            "demand area {area:?}"
        );
    }
    // A changed demand is found by its new area only; a closed one by none.
    let demand = d.body["id"].as_str().unwrap().to_owned();
    let changed = app
        .put(
            &format!("/api/v1/demands/{demand}"),
            &anna,
            &json!({"contact_id": kim, "area": "Vasastan", "min_price": 3_000_000, "max_price": 5_000_000}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(names(&app, &anna, json!({"demand_area": "söder"})).await.1, 0);
    assert_eq!(
        names(&app, &anna, json!({"demand_area": "vasa", "demand_price": 4_000_000}))
            .await
            .1,
        1
    );
    let closed = app
        .put(
            &format!("/api/v1/demands/{demand}"),
            &anna,
            &json!({"contact_id": kim, "area": "Vasastan", "active": false}),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(names(&app, &anna, json!({"demand_area": "vasa"})).await.1, 0);
    assert_eq!(names(&app, &anna, json!({"opted_out": true})).await.0, vec!["Pia Ek".to_owned()]);
    assert_eq!(names(&app, &anna, json!({"created_from": today, "kind": "standard"})).await.1, 4);
    assert_eq!(names(&app, &anna, json!({"created_from": ahead(1)})).await.1, 0);
    // The one visibility filter: Lars sees his own client only, whatever he asks.
    assert_eq!(names(&app, &lars, json!({})).await.0, vec!["Sven Ek".to_owned()]);
    assert_eq!(names(&app, &lars, viewed.clone()).await.1, 0);

    // Bad filters name the field.
    let bad = app
        .post(
            "/api/v1/segments/preview",
            &anna,
            &json!({"filter": {"viewing_from": day, "viewing_to": today}}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("filter.viewing_from")),
        "{}",
        bad.body
    );
    let bad = app
        .post("/api/v1/segments/preview", &anna, &json!({"filter": {"stage": "sleeping"}}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("filter.stage")));
    let bad = app
        .post("/api/v1/segments/preview", &anna, &json!({"filter": {"demand_area": " -- "}}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("filter.demand_area")));

    // Saved filters: private, then shared with the office; only the creator changes them.
    let saved = app
        .post(
            "/api/v1/saved-filters",
            &anna,
            &json!({"name": "Viewed, no meeting", "filter": {"viewing_from": day, "viewing_to": day, "no_meeting_since": today}}),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let saved_id = saved.body["id"].as_str().unwrap().to_owned();
    let seen = |b: &Value| {
        b.as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(seen(&app.get("/api/v1/saved-filters", &lars).await.body), Vec::<String>::new());
    let shared = app
        .put(
            &format!("/api/v1/saved-filters/{saved_id}"),
            &anna,
            &json!({"name": "Viewed, no meeting", "filter": saved.body["filter"], "shared": true}),
        )
        .await;
    assert_eq!((shared.status, shared.body["shared"].as_bool()), (200, Some(true)));
    let lars_sees = app.get("/api/v1/saved-filters", &lars).await.body;
    assert_eq!(seen(&lars_sees), vec!["Viewed, no meeting".to_owned()]);
    // Run by Lars, the shared filter finds what Lars may see: nothing of Anna's.
    assert_eq!(names(&app, &lars, lars_sees[0]["filter"].clone()).await.1, 0);
    let changed = app
        .put(
            &format!("/api/v1/saved-filters/{saved_id}"),
            &lars,
            &json!({"name": "Mine now", "filter": {}}),
        )
        .await;
    assert_eq!(changed.status, 403, "{}", changed.body);

    // Email to the viewing's attendees and no-shows: Eva gets it; Olle has no address; Pia
    // opted out.
    let everyone_at_viewing = json!({"viewing_from": day, "viewing_to": day});
    let pia_too = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{pia}"),
            &anna,
            &json!({"status": "attended"}),
        )
        .await;
    assert_eq!(pia_too.status, 200);
    let sent = app
        .post(
            "/api/v1/segments/actions",
            &anna,
            &json!({"filter": everyone_at_viewing, "action": "email", "subject": "New homes in Söder", "body": "Three new homes near Hornstull."}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(
        (
            sent.body["matched"].as_u64(),
            sent.body["done"].as_u64(),
            sent.body["no_channel"].as_u64(),
            sent.body["opted_out"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1)),
        "{}",
        sent.body
    );
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("eva@client.example") && mails[0].contains("List-Unsubscribe"),
        "{}",
        mails[0]
    );
    assert!(
        !mails
            .iter()
            .any(|m| m.contains("sven@client.example") || m.contains("pia@client.example"))
    );
    // On the timeline of the one who got it, with who sent it.
    let timeline = app.get(&format!("/api/v1/contacts/{eva}/timeline"), &anna).await;
    assert!(
        timeline.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"] == "Email to a selection of contacts: New homes in Söder" && e["author_name"] == "anna"),
        "{}",
        timeline.body
    );
    // SMS to the contacts picked from the selection only.
    let sms = app
        .post(
            "/api/v1/segments/actions",
            &anna,
            &json!({"filter": everyone_at_viewing, "contact_ids": [olle], "action": "sms", "body": "Welcome back!"}),
        )
        .await;
    assert_eq!(
        (sms.body["matched"].as_u64(), sms.body["done"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        sms.body
    );
    let empty = app
        .post(
            "/api/v1/segments/actions",
            &anna,
            &json!({"filter": {}, "action": "email", "subject": "x", "body": " "}),
        )
        .await;
    assert_eq!((empty.status, empty.body["field"].as_str()), (422, Some("body")));
    let unknown = app
        .post("/api/v1/segments/actions", &anna, &json!({"filter": {}, "action": "fax"}))
        .await;
    assert_eq!((unknown.status, unknown.body["field"].as_str()), (422, Some("action")));

    // A call list filled from the selection.
    let list = app
        .post(
            "/api/v1/call-lists",
            &anna,
            &json!({"name": "After the viewing", "instructions": "Ask how it went."}),
        )
        .await;
    assert_eq!(list.status, 201, "{}", list.body);
    let list_id = list.body["id"].as_str().unwrap();
    let filled = app
        .post(
            "/api/v1/segments/actions",
            &anna,
            &json!({"filter": everyone_at_viewing, "action": "call_list", "list_id": list_id}),
        )
        .await;
    assert_eq!(filled.body["done"].as_u64(), Some(3), "{}", filled.body);

    // A newsletter list: the export right needed; adding twice adds nobody twice.
    let refused = app.post("/api/v1/newsletter-lists", &lars, &json!({"name": "Lars's letter"})).await;
    assert_eq!(refused.status, 403);
    let letter = app.post("/api/v1/newsletter-lists", &anna, &json!({"name": "Söder buyers"})).await;
    assert_eq!(letter.status, 201, "{}", letter.body);
    let letter_id = letter.body["id"].as_str().unwrap().to_owned();
    let add = json!({"filter": everyone_at_viewing, "action": "newsletter", "list_id": letter_id});
    let added = app.post("/api/v1/segments/actions", &anna, &add).await;
    assert_eq!(added.body["done"].as_u64(), Some(3), "{}", added.body);
    let again = app.post("/api/v1/segments/actions", &anna, &add).await;
    assert_eq!((again.body["done"].as_u64(), again.body["skipped"].as_u64()), (Some(0), Some(3)));
    let by_lars = app.post("/api/v1/segments/actions", &lars, &add).await;
    assert_eq!(by_lars.status, 403);
    let members = app.get(&format!("/api/v1/newsletter-lists/{letter_id}/members"), &anna).await;
    assert_eq!(members.body["total"].as_u64(), Some(3), "{}", members.body);
    let removed = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/newsletter-lists/{letter_id}/members/{olle}"),
            Some(&anna),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(names(&app, &anna, json!({"newsletter_id": letter_id})).await.1, 2);
    let lists = app.get("/api/v1/newsletter-lists", &anna).await;
    assert_eq!(lists.body[0]["members"].as_u64(), Some(2), "{}", lists.body);

    // The spreadsheet: every contact of the selection, read back by an independent reader.
    let response = app
        .client
        .post(format!("{}/api/v1/segments/export", app.address))
        .bearer_auth(&anna)
        .json(&json!({"filter": {"kind": "standard"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = response.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    let sheet = book.worksheet_range("Contacts").expect("the sheet");
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0][..4], ["id", "kind", "first_name", "last_name"]);
    let firsts: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(firsts, ["Eva", "Kim", "Olle", "Pia"]);
    assert!(rows[1][6].contains("eva@client.example"));
    let no_right = app
        .client
        .post(format!("{}/api/v1/segments/export", app.address))
        .bearer_auth(&lars)
        .json(&json!({"filter": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_right.status(), 403);
}
