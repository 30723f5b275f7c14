//! Viewings, bids, customer meetings, callbacks, follow-ups, the calendar and the iCalendar feed,
//! through the running server on SQLite and PostgreSQL. The feed is read back with an
//! independent iCalendar parser (the `ical` crate).

use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use crm_tests::{Backend, TestApp, on_both_databases, smtp_server, spawn_app, spawn_app_with};
use serde_json::{Value, json};

on_both_databases!(
    viewings_record_attendance_and_bids_are_decided,
    meetings_are_booked_in_three_steps_and_never_deleted,
    callbacks_reach_two_years_and_wait_in_the_shark_tank,
    the_calendar_and_its_private_feed,
    one_task_list_with_tips_and_follow_ups_after_access,
    times_are_read_in_the_users_zone,
    a_calendar_of_too_many_bookings_is_refused,
);

async fn user(app: &TestApp, admin: &str, email: &str, scope: &str) -> (String, String) {
    let a = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"name": email.split('@').next().unwrap(), "email": email, "password": "password-123", "role": "broker", "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": scope, "demand_scope": scope, "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let token = app.login(email, "password-123").await;
    (a.body["id"].as_str().unwrap().to_owned(), token)
}

async fn contact(app: &TestApp, token: &str, first: &str, email: Option<&str>) -> String {
    let mut body = json!({"kind": "standard", "first_name": first, "last_name": "Berg", "phones": ["070-123 45 67"], "street": "Hornsgatan 1", "city": "Stockholm"});
    if let Some(e) = email {
        body["emails"] = json!([e]);
    }
    let c = app.post("/api/v1/contacts", token, &body).await;
    assert_eq!(c.status, 201, "{}", c.body);
    c.body["id"].as_str().unwrap().to_owned()
}

async fn listing(app: &TestApp, token: &str, street: &str) -> String {
    let p = app
        .post(
            "/api/v1/properties",
            token,
            &json!({"kind": "apartment", "status": "for_sale", "street": street, "city": "Stockholm", "price": 4_000_000}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    p.body["id"].as_str().unwrap().to_owned()
}

async fn tasks(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let t = app.get(&format!("/api/v1/tasks?{query}"), token).await;
    assert_eq!(t.status, 200, "{}", t.body);
    t.body["items"].as_array().unwrap().clone()
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// A day some weeks ahead, so "today or later" holds whenever the test runs.
fn ahead(days: i64) -> NaiveDate {
    Utc::now().date_naive() + chrono::Duration::days(days)
}

async fn viewings_record_attendance_and_bids_are_decided(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna@test.example", "own").await;
    let (_, lars) = user(&app, &admin, "lars@test.example", "own").await;
    let home = listing(&app, &anna, "Hornsgatan 10").await;
    let eva = contact(&app, &anna, "Eva", None).await;
    let olle = contact(&app, &anna, "Olle", None).await;
    let day = ahead(10);

    let v = app
        .post(
            "/api/v1/viewings",
            &anna,
            &json!({"property_id": home, "starts_at": format!("{day}T17:00"), "participants": [eva, olle]}),
        )
        .await;
    assert_eq!(v.status, 201, "{}", v.body);
    let viewing = v.body["id"].as_str().unwrap().to_owned();
    // 30 minutes by default, typed in the broker's zone (Stockholm).
    assert_eq!((at(&v.body["ends_at"]) - at(&v.body["starts_at"])).num_minutes(), 30);
    assert_eq!(v.body["participants"].as_array().unwrap().len(), 2);
    assert!(v.body["participants"].as_array().unwrap().iter().all(|p| p["status"] == "booked"));

    // Attendance: what the client index will count.
    let a = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{eva}"),
            &anna,
            &json!({"status": "attended"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let n = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{olle}"),
            &anna,
            &json!({"status": "no_show"}),
        )
        .await;
    let statuses: Vec<(&str, &str)> = n.body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["display_name"].as_str().unwrap(), p["status"].as_str().unwrap()))
        .collect();
    assert!(
        statuses.contains(&("Eva Berg", "attended")) && statuses.contains(&("Olle Berg", "no_show")),
        "{statuses:?}"
    );
    let bad = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{eva}"),
            &anna,
            &json!({"status": "maybe"}),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_value"));
    // A broker whose rights do not reach the listing cannot record attendance.
    let other = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{eva}"),
            &lars,
            &json!({"status": "no_show"}),
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.body);

    // On each participant's timeline, and a follow-up for the broker 3 days after the viewing.
    let timeline = app.get(&format!("/api/v1/contacts/{eva}/timeline"), &anna).await;
    let texts: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.starts_with("Came to the viewing of Hornsgatan 10")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.starts_with("Booked for the viewing")), "{texts:?}");
    let follow_ups: Vec<Value> = tasks(&app, &anna, "kind=follow_up").await;
    assert_eq!(follow_ups.len(), 2, "{follow_ups:?}");
    let due = at(&follow_ups[0]["due_at"]).with_timezone(&chrono_tz::Europe::Stockholm);
    assert_eq!(
        due.date_naive(),
        day + chrono::Duration::days(4),
        "due by the end of the third day after"
    );
    assert_eq!(
        app.get(&format!("/api/v1/properties/{home}/viewings"), &anna)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Bids: recorded from a visible contact, the highest first, decided once.
    let low = app
        .post(
            &format!("/api/v1/properties/{home}/bids"),
            &anna,
            &json!({"contact_id": eva, "amount": 4_100_000}),
        )
        .await;
    assert_eq!(low.status, 201, "{}", low.body);
    let high = app
        .post(
            &format!("/api/v1/properties/{home}/bids"),
            &anna,
            &json!({"contact_id": olle, "amount": 4_250_000}),
        )
        .await;
    let list = app.get(&format!("/api/v1/properties/{home}/bids"), &anna).await;
    assert_eq!(list.body[0]["amount"], 4_250_000);
    assert_eq!(list.body[0]["currency"], "SEK");
    let zero = app
        .post(
            &format!("/api/v1/properties/{home}/bids"),
            &anna,
            &json!({"contact_id": eva, "amount": 0}),
        )
        .await;
    assert_eq!(
        (zero.status, zero.body["errors"][0]["field"].as_str()),
        (422, Some("amount")),
        "{}",
        zero.body
    );
    let bid = high.body["id"].as_str().unwrap();
    let ok = app.put(&format!("/api/v1/bids/{bid}"), &anna, &json!({"status": "accepted"})).await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (200, Some("accepted")), "{}", ok.body);
    let again = app.put(&format!("/api/v1/bids/{bid}"), &anna, &json!({"status": "rejected"})).await;
    assert_eq!((again.status, again.code()), (409, "bid_decided"));
    let timeline = app.get(&format!("/api/v1/contacts/{olle}/timeline"), &anna).await;
    assert!(
        timeline.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"] == "Bid of 4250000 SEK on Hornsgatan 10, Stockholm accepted"),
        "{}",
        timeline.body
    );

    // Cancelled viewings stay on record.
    let c = app.post(&format!("/api/v1/viewings/{viewing}/cancel"), &anna, &json!({})).await;
    assert!(c.body["cancelled_at"].is_string(), "{}", c.body);
    let late = app
        .put(
            &format!("/api/v1/viewings/{viewing}/participants/{eva}"),
            &anna,
            &json!({"status": "attended"}),
        )
        .await;
    assert_eq!(late.status, 409);
    let _ = anna_id;
}

async fn meetings_are_booked_in_three_steps_and_never_deleted(backend: Backend) {
    let smtp = smtp_server().await;
    let app = spawn_app_with(backend, |c| c.jobs.smtp_url = Some(smtp.url.clone())).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna@test.example", "own").await;
    let (lars_id, _) = user(&app, &admin, "lars@test.example", "own").await;
    let eva = contact(&app, &anna, "Eva", Some("eva@client.example")).await;
    let day = ahead(14);

    // No object: refused, the object is always step 2.
    let none = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": eva, "starts_at": format!("{day}T10:00")}),
        )
        .await;
    assert_eq!(
        (none.status, none.body["field"].as_str()),
        (422, Some("property_id")),
        "{}",
        none.body
    );

    // A new object made in the same step; the client becomes its seller; confirmed by email.
    let m = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": eva, "starts_at": format!("{day}T10:00"), "confirmation": "email",
                    "new_property": {"kind": "house", "status": "customer_processing", "street": "Hornsgatan 1", "city": "Stockholm"}}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    let meeting = m.body["meeting"]["id"].as_str().unwrap().to_owned();
    let made = m.body["created_property_id"].as_str().unwrap().to_owned();
    assert_eq!(m.body["meeting"]["user_id"], anna_id.as_str());
    assert_eq!(m.body["meeting"]["place"], Value::Null, "empty place: the client's home");
    assert_eq!(m.body["conflicts"], json!([]));
    let p = app.get(&format!("/api/v1/properties/{made}"), &anna).await;
    assert!(
        p.body["parties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["contact_id"] == eva.as_str() && x["role"] == "seller")
    );
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert!(mails.iter().any(|m| m.contains("eva@client.example")), "{mails:?}");
    // In the company's language (a Swedish company), at the client's home since no place was given.
    assert!(mails[0].contains("hemma hos dig"), "{}", mails[0]);

    // The choice is remembered for the next booking; a double booking is allowed and said.
    let me = app.get("/api/v1/me", &anna).await;
    assert_eq!(me.body["booking_confirmation"], "email", "{}", me.body);
    let twice = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": eva, "starts_at": format!("{day}T10:30"), "property_id": made, "place": "Kontoret", "confirmation": "sms"}),
        )
        .await;
    assert_eq!(twice.status, 201, "{}", twice.body);
    assert_eq!(twice.body["conflicts"].as_array().unwrap().len(), 1, "{}", twice.body);
    assert_eq!(twice.body["not_sent"], json!([]), "the text waits in the outbox for the gateway");
    let second = twice.body["meeting"]["id"].as_str().unwrap().to_owned();

    // Cancelled, by whom; never deleted and never reopened.
    let c = app
        .post(
            &format!("/api/v1/meetings/{second}/status"),
            &anna,
            &json!({"status": "cancelled", "cancelled_by": "client", "reason": "ill"}),
        )
        .await;
    assert_eq!((c.status, c.body["cancelled_by"].as_str()), (200, Some("client")), "{}", c.body);
    let again = app
        .post(
            &format!("/api/v1/meetings/{second}/status"),
            &anna,
            &json!({"status": "held", "outcome": "assignment"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "meeting_closed"));
    let needs_who = app
        .post(
            &format!("/api/v1/meetings/{meeting}/status"),
            &anna,
            &json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!((needs_who.status, needs_who.body["field"].as_str()), (422, Some("cancelled_by")));

    // Held without an assignment: a follow-up within 3 weeks of the meeting.
    let held = app
        .post(
            &format!("/api/v1/meetings/{meeting}/status"),
            &anna,
            &json!({"status": "held", "outcome": "no_assignment"}),
        )
        .await;
    assert_eq!(held.status, 200, "{}", held.body);
    let f = tasks(&app, &anna, "kind=follow_up").await;
    assert_eq!(f.len(), 1, "{f:?}");
    let due = at(&f[0]["due_at"]).with_timezone(&chrono_tz::Europe::Stockholm);
    assert_eq!(due.date_naive(), day + chrono::Duration::days(22));
    let list = app.get(&format!("/api/v1/contacts/{eva}/meetings"), &anna).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);

    // 10:00 stays 10:00 local across the change to summer time (Stockholm, 29 March 2027).
    let year = 2027;
    for (d, utc_hour) in [(26, 9), (30, 8)] {
        let b = app
            .post(
                "/api/v1/meetings",
                &anna,
                &json!({"contact_id": eva, "user_id": lars_id, "starts_at": format!("{year}-03-{d}T10:00"), "property_id": made, "confirmation": "none"}),
            )
            .await;
        assert_eq!(b.status, 201, "{}", b.body);
        let s = at(&b.body["meeting"]["starts_at"]);
        assert_eq!((s.day(), s.format("%H").to_string()), (d, format!("{utc_hour:02}")), "{}", b.body);
    }
    let gap = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": eva, "starts_at": format!("{year}-03-28T02:30"), "property_id": made}),
        )
        .await;
    assert_eq!((gap.status, gap.code()), (422, "no_such_time"), "{}", gap.body);
}

async fn callbacks_reach_two_years_and_wait_in_the_shark_tank(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna@test.example", "office").await;
    let (lars_id, lars) = user(&app, &admin, "lars@test.example", "office").await;
    let eva = contact(&app, &anna, "Eva", None).await;
    let today = Utc::now().with_timezone(&chrono_tz::Europe::Stockholm).date_naive();

    let too_far = app
        .post(
            "/api/v1/callbacks",
            &anna,
            &json!({"contact_id": eva, "date": (today + chrono::Duration::days(800)).to_string()}),
        )
        .await;
    assert_eq!(
        (too_far.status, too_far.body["field"].as_str(), too_far.code()),
        (422, Some("date"), "too_far_ahead"),
        "{}",
        too_far.body
    );
    let past = app
        .post(
            "/api/v1/callbacks",
            &anna,
            &json!({"contact_id": eva, "date": (today - chrono::Duration::days(1)).to_string()}),
        )
        .await;
    assert_eq!((past.status, past.code()), (422, "in_past"));

    // With a time of day: a 30-minute booking in the calendar.
    let day = ahead(7);
    let timed = app
        .post(
            "/api/v1/callbacks",
            &anna,
            &json!({"contact_id": eva, "date": day.to_string(), "time": "09:30", "assignee_id": lars_id}),
        )
        .await;
    assert_eq!(timed.status, 201, "{}", timed.body);
    assert_eq!(
        (timed.body["kind"].as_str(), timed.body["timed"].as_bool()),
        (Some("callback"), Some(true))
    );
    let cal = app.get(&format!("/api/v1/calendar?from={day}&to={day}"), &lars).await;
    assert_eq!(cal.status, 200, "{}", cal.body);
    let entry = &cal.body[0];
    assert_eq!(
        (entry["kind"].as_str(), entry["title"].as_str()),
        (Some("callback"), Some("Eva Berg"))
    );
    assert_eq!((at(&entry["ends_at"]) - at(&entry["starts_at"])).num_minutes(), 30);
    assert_eq!(
        at(&entry["starts_at"])
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .format("%H:%M")
            .to_string(),
        "09:30"
    );

    // For the office: waits in the shark tank until a member takes it, once.
    let tank = app
        .post(
            "/api/v1/callbacks",
            &anna,
            &json!({"contact_id": eva, "date": day.to_string(), "office_id": app.admin.office_id, "note": "wants a valuation"}),
        )
        .await;
    assert_eq!(tank.status, 201, "{}", tank.body);
    assert_eq!(tank.body["assignee_id"], Value::Null);
    let waiting = tasks(&app, &lars, "scope=tank").await;
    assert_eq!(waiting.len(), 1);
    assert!(
        tasks(&app, &anna, "kind=callback").await.is_empty(),
        "not in the planner's own list"
    );
    let id = waiting[0]["id"].as_str().unwrap();
    let path = format!("/api/v1/tasks/{id}/take");
    let empty = json!({});
    let (a, b) = tokio::join!(app.post(&path, &lars, &empty), app.post(&path, &anna, &empty));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} {}", a.body, b.body);
    assert_eq!(app.get("/api/v1/tasks/counts", &lars).await.body["tank"], 0);
}

async fn the_calendar_and_its_private_feed(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna@test.example", "own").await;
    let (_, lars) = user(&app, &admin, "lars@test.example", "own").await;
    let eva = contact(&app, &anna, "Eva; Märta, \"Åsa\"", None).await;
    let home = listing(&app, &anna, "Hornsgatan 10").await;
    let day = ahead(3);
    let m = app
        .post(
            "/api/v1/meetings",
            &anna,
            &json!({"contact_id": eva, "starts_at": format!("{day}T10:00"), "property_id": home, "place": "Café, Mariatorget"}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    app.post(
        "/api/v1/viewings",
        &anna,
        &json!({"property_id": home, "starts_at": format!("{day}T17:00")}),
    )
    .await;

    // Anna's week; Lars looking at it sees the busy time but not a client he may not see.
    let mine = app
        .get(
            &format!("/api/v1/calendar?from={day}&to={}", day + chrono::Duration::days(6)),
            &anna,
        )
        .await;
    let kinds: Vec<&str> = mine.body.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["meeting", "viewing"]);
    assert_eq!(
        (mine.body[0]["title"].as_str(), mine.body[0]["place"].as_str()),
        (Some("Eva; Märta, \"Åsa\" Berg"), Some("Café, Mariatorget")),
        "{}",
        mine.body
    );
    assert!(
        mine.body[1]["title"].as_str().is_some_and(|t| t.starts_with("Hornsgatan 10, ")),
        "a viewing is titled by its listing's address: {}",
        mine.body
    );
    let seen = app
        .get(&format!("/api/v1/calendar?from={day}&to={day}&user_id={anna_id}"), &lars)
        .await;
    assert_eq!(seen.body[0]["title"], "", "{}", seen.body);
    assert_eq!(seen.body[0]["contact_id"], Value::Null);
    assert_eq!(seen.body[0]["place"], Value::Null, "{}", seen.body);
    assert_eq!(seen.body[1]["title"], mine.body[1]["title"], "a listing's address is not hidden");
    let office = app
        .get(
            &format!("/api/v1/calendar?from={day}&to={day}&office_id={}", app.admin.office_id),
            &lars,
        )
        .await;
    assert_eq!(office.body.as_array().map(Vec::len), Some(2), "{}", office.body);
    let long = app
        .get(
            &format!("/api/v1/calendar?from={day}&to={}", day + chrono::Duration::days(90)),
            &anna,
        )
        .await;
    assert_eq!((long.status, long.code()), (400, "span_too_long"));

    // The private feed: made, read without signing in, parsed by an independent parser.
    let f = app.post("/api/v1/me/calendar-feed", &anna, &json!({})).await;
    assert_eq!(f.status, 200, "{}", f.body);
    let url = f.body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&app.address) && url.ends_with(".ics"), "{url}");
    let resp = app.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let text = resp.text().await.unwrap();
    let parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendars: Vec<_> = parser.collect::<Result<_, _>>().expect("a valid iCalendar");
    assert_eq!(calendars.len(), 1);
    let events = &calendars[0].events;
    assert_eq!(events.len(), 2, "{text}");
    let prop = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let meeting = events
        .iter()
        .find(|e| prop(e, "SUMMARY").starts_with("Meeting"))
        .expect("the meeting");
    assert_eq!(prop(meeting, "SUMMARY"), "Meeting: Eva\\; Märta\\, \"Åsa\" Berg");
    assert_eq!(prop(meeting, "LOCATION"), "Café\\, Mariatorget");
    let start = prop(meeting, "DTSTART");
    assert!(start.ends_with('Z'), "times in UTC: {start}");
    let parsed = chrono::NaiveDateTime::parse_from_str(&start, "%Y%m%dT%H%M%SZ").unwrap().and_utc();
    assert_eq!(parsed, at(&m.body["meeting"]["starts_at"]));
    assert!(events.iter().all(|e| !prop(e, "UID").is_empty()));

    // A new address replaces the old; revoking ends it.
    let again = app.post("/api/v1/me/calendar-feed", &anna, &json!({})).await;
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 404);
    let new_url = again.body["url"].as_str().unwrap().to_owned();
    assert_eq!(app.client.get(&new_url).send().await.unwrap().status(), 200);
    let r = app
        .request(reqwest::Method::DELETE, "/api/v1/me/calendar-feed", Some(&anna), None)
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(app.client.get(&new_url).send().await.unwrap().status(), 404);
    assert_eq!(app.get("/api/v1/me/calendar-feed", &anna).await.body["active"], false);
    let forged = format!(
        "{}/api/v1/public/calendar/cf.{}.{}.00.ics",
        app.address,
        app.company.id.0.simple(),
        anna_id.replace('-', "")
    );
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 404);
}

async fn one_task_list_with_tips_and_follow_ups_after_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna@test.example", "office").await;
    let (_, lars) = user(&app, &admin, "lars@test.example", "office").await;
    let eva = contact(&app, &lars, "Eva", None).await;
    let olle = contact(&app, &anna, "Olle", None).await;

    // A tip from Lars waits for Anna: in her one list with her tasks.
    let tip = app
        .post(
            &format!("/api/v1/contacts/{eva}/tips"),
            &lars,
            &json!({"to_user_id": anna_id, "note": "selling soon"}),
        )
        .await;
    assert_eq!(tip.status, 201, "{}", tip.body);
    let day = ahead(2);
    app.post("/api/v1/callbacks", &anna, &json!({"contact_id": olle, "date": day.to_string()}))
        .await;
    let list = tasks(&app, &anna, "").await;
    let kinds: Vec<(&str, bool)> = list
        .iter()
        .map(|t| (t["kind"].as_str().unwrap(), t["inbox_item"].as_bool().unwrap()))
        .collect();
    assert_eq!(kinds, [("tip", true), ("callback", false)], "soonest due first: {list:?}");
    assert_eq!(tasks(&app, &anna, "kind=tip").await.len(), 1);
    assert_eq!(tasks(&app, &anna, "due=overdue").await.len(), 1, "the tip is due at once");
    let counts = app.get("/api/v1/tasks/counts", &anna).await.body;
    assert_eq!(
        (counts["open"].as_u64(), counts["overdue"].as_u64()),
        (Some(2), Some(1)),
        "{counts}"
    );
    assert!(counts["by_kind"].as_array().unwrap().contains(&json!({"kind": "tip", "count": 1})));
    let bad = app.get("/api/v1/tasks?kind=party", &anna).await;
    assert_eq!((bad.status, bad.code()), (400, "invalid_query"));

    // Sold with an access date: the broker follows up buyer and seller, once per access date.
    let home = listing(&app, &anna, "Hornsgatan 10").await;
    for (c, role) in [(&olle, "seller"), (&eva, "buyer")] {
        let p = app
            .post(
                &format!("/api/v1/properties/{home}/parties"),
                &anna,
                &json!({"contact_id": c, "role": role}),
            )
            .await;
        assert!(p.status < 300, "{}", p.body);
    }
    let sold = json!({"kind": "apartment", "status": "sold", "street": "Hornsgatan 10", "city": "Stockholm", "contract_date": "2026-11-02", "access_date": "2027-01-15"});
    for _ in 0..2 {
        let u = app.put(&format!("/api/v1/properties/{home}"), &anna, &sold).await;
        assert_eq!((u.status, u.body["access_date"].as_str()), (200, Some("2027-01-15")), "{}", u.body);
    }
    let follow = tasks(&app, &anna, "kind=follow_up").await;
    assert_eq!(follow.len(), 2, "{follow:?}");
    assert!(follow.iter().all(|t| t["body"] == "Not before 2027-01-22."), "{follow:?}");
    let due = at(&follow[0]["due_at"]).with_timezone(&chrono_tz::Europe::Stockholm);
    assert_eq!(due.date_naive(), NaiveDate::from_ymd_opt(2027, 2, 6).unwrap());
    let bad_date = app
        .put(
            &format!("/api/v1/properties/{home}"),
            &anna,
            &json!({"kind": "apartment", "status": "sold", "street": "Hornsgatan 10", "city": "Stockholm", "access_date": "15.1.2027"}),
        )
        .await;
    assert_eq!((bad_date.status, bad_date.body["field"].as_str()), (422, Some("access_date")));
}

async fn times_are_read_in_the_users_zone(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna@test.example", "own").await;
    let eva = contact(&app, &anna, "Eva", None).await;
    let home = listing(&app, &anna, "Hornsgatan 10").await;
    let booked_at = |body: &Value| at(&body["meeting"]["starts_at"]).format("%H:%M").to_string();
    let book = |time: &'static str| {
        let (app, anna, eva, home) = (&app, &anna, &eva, &home);
        async move {
            let b = app
                .post(
                    "/api/v1/meetings",
                    anna,
                    &json!({"contact_id": eva, "property_id": home, "starts_at": format!("2027-01-15T{time}")}),
                )
                .await;
            assert_eq!(b.status, 201, "{}", b.body);
            b.body
        }
    };
    // A Swedish company: Stockholm, UTC+1 in January.
    assert_eq!(app.get("/api/v1/me", &anna).await.body["time_zone"], "Europe/Stockholm");
    assert_eq!(booked_at(&book("10:00").await), "09:00");
    // The administrator moves the company to Moscow (UTC+3).
    let bad = app
        .put("/api/v1/company/settings", &admin, &json!({"time_zone": "Mars/Olympus"}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("time_zone")));
    let forbidden = app
        .put("/api/v1/company/settings", &anna, &json!({"time_zone": "Europe/Moscow"}))
        .await;
    assert_eq!(forbidden.status, 403);
    let moved = app
        .put("/api/v1/company/settings", &admin, &json!({"time_zone": "Europe/Moscow"}))
        .await;
    assert_eq!(moved.body["time_zone"], "Europe/Moscow", "{}", moved.body);
    assert_eq!(booked_at(&book("10:00").await), "07:00");
    // Anna's own zone wins: São Paulo, UTC-3.
    let me = app
        .put("/api/v1/me/settings", &anna, &json!({"time_zone": "America/Sao_Paulo"}))
        .await;
    assert_eq!(
        (me.body["time_zone"].as_str(), me.body["own_time_zone"].as_bool()),
        (Some("America/Sao_Paulo"), Some(true))
    );
    assert_eq!(booked_at(&book("10:00").await), "13:00");
    // An offset written out is taken as it is.
    assert_eq!(booked_at(&book("10:00:00+02:00").await), "08:00");
    let back = app.put("/api/v1/me/settings", &anna, &json!({"time_zone": ""})).await;
    assert_eq!(
        (back.body["time_zone"].as_str(), back.body["own_time_zone"].as_bool()),
        (Some("Europe/Moscow"), Some(false))
    );
}

/// One answer shows the earliest 5,000 bookings of a span; a span that holds more than 20,000 is
/// refused with a code that says so, never cut at random. The bookings (timed callbacks) are
/// written straight into the table: 20,001 through the API would take minutes.
async fn a_calendar_of_too_many_bookings_is_refused(backend: Backend) {
    use sea_orm::sea_query::{Alias, Query, SimpleExpr};
    use sea_orm::{ConnectionTrait, Value as V};
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let db = sea_orm::Database::connect(&app.database_url).await.expect("connect");
    let day = ahead(10);
    // From 09:00 in Stockholm, a second apart, written in a shuffled order.
    let first = day.and_hms_opt(8, 0, 0).unwrap().and_utc();
    let add = |seconds: std::ops::Range<i64>| {
        let mut rows: Vec<Vec<V>> = seconds
            .map(|i| {
                vec![
                    V::Uuid(Some(app.admin.company_id.0)),
                    V::Uuid(Some(uuid::Uuid::now_v7())),
                    V::Uuid(Some(app.admin.id.0)),
                    V::String(Some("callback".into())),
                    V::String(Some(format!("Call back {i}"))),
                    V::ChronoDateTimeUtc(Some(first + chrono::Duration::seconds(i))),
                    V::ChronoDateTimeUtc(Some(Utc::now())),
                    V::Bool(Some(false)),
                    V::Bool(Some(true)),
                ]
            })
            .collect();
        rows.reverse();
        rows
    };
    let insert = |rows: Vec<Vec<V>>| {
        let db = &db;
        async move {
            for chunk in rows.chunks(500) {
                let mut q = Query::insert();
                q.into_table(Alias::new("tasks")).columns(
                    [
                        "company_id",
                        "id",
                        "assignee_id",
                        "kind",
                        "title",
                        "due_at",
                        "created_at",
                        "done",
                        "timed",
                    ]
                    .map(Alias::new),
                );
                for r in chunk {
                    q.values_panic(r.iter().cloned().map(SimpleExpr::from));
                }
                db.execute_raw(db.get_database_backend().build(&q)).await.expect("insert bookings");
            }
        }
    };
    let path = format!("/api/v1/calendar?from={day}&to={day}");
    insert(add(0..6_000)).await;
    let shown = app.get(&path, &admin).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let entries = shown.body.as_array().unwrap();
    assert_eq!(entries.len(), 5_000);
    assert_eq!(at(&entries[0]["starts_at"]), first);
    assert_eq!(at(&entries[4_999]["starts_at"]), first + chrono::Duration::seconds(4_999));

    insert(add(6_000..20_001)).await;
    let refused = app.get(&path, &admin).await;
    assert_eq!((refused.status, refused.code()), (422, "too_many_bookings"), "{}", refused.body);
    assert_eq!(refused.body["field"], "to");
}
