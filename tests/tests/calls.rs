//! The call-outcome pipeline through the running server, on SQLite and PostgreSQL: the rules
//! of seed 002 (once a day, three unanswered calls, rude twice, postponed with tasks and weekly
//! nurture, a colleague tries, co-brokerage only with the head of sales' approval), tags that only
//! the head of sales sets and that keep the client with its broker, the company's call settings,
//! and incoming calls from a telephone system opening the caller's card in the called user's app
//! through the event stream, also when the call reaches another instance.

use std::time::Duration;

use crm_tests::{Backend, CrmProcess, TestApp, crm_command, fresh_database, http_client, on_both_databases, spawn_app_with};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

on_both_databases!(
    calls_follow_the_pipeline_rules,
    deals_and_tags_wait_for_the_head_of_sales,
    call_settings_are_the_companys_words,
    incoming_calls_open_the_card_in_the_app,
    call_lists_are_filled_worked_and_reported,
);

#[tokio::test]
async fn an_incoming_call_reaches_the_app_through_another_instance_on_postgres() {
    incoming_call_across_instances(Backend::Postgres).await;
}

/// Makes a day pass for every card: the last call was long ago.
async fn next_day(app: &TestApp) {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared("UPDATE call_cards SET last_call_on = '2000-01-01'")
        .await
        .unwrap();
    db.close().await.unwrap();
}

async fn user(app: &TestApp, admin: &str, name: &str, role: &str) -> (String, String) {
    let email = format!("{name}@test.example");
    let u = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"name": name, "email": email, "password": "password-123", "role": role, "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": "office", "demand_scope": "office", "export": false, "admin": false}}),
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

async fn call(app: &TestApp, token: &str, contact: &str, body: Value) -> crm_tests::Answer {
    app.post(&format!("/api/v1/contacts/{contact}/calls"), token, &body).await
}

async fn tasks(app: &TestApp, token: &str) -> Vec<Value> {
    let t = app.get("/api/v1/tasks?limit=200", token).await;
    assert_eq!(t.status, 200, "{}", t.body);
    t.body["items"].as_array().unwrap().clone()
}

async fn calls_follow_the_pipeline_rules(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.jobs.periods.push(("nurture".into(), Duration::from_secs(1)))).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna", "broker").await;
    let (bo_id, bo) = user(&app, &admin, "bo", "broker").await;
    let (_, olga) = user(&app, &admin, "olga", "office_manager").await;
    let eva = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Eva", "last_name": "Ek", "phones": ["070-123 45 67"]}),
    )
    .await;

    let card = app.get(&format!("/api/v1/contacts/{eva}/call-card"), &anna).await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert_eq!(card.body["stage"], "not_reached");
    assert_eq!(
        (card.body["calls"].as_u64(), card.body["may_call_today"].as_bool()),
        (Some(0), Some(true))
    );

    // Unanswered: once a day; the third in a row makes the card non-target "cannot reach".
    let first = call(&app, &anna, &eva, json!({"outcome": "no_answer"})).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        (first.body["calls"].as_u64(), first.body["may_call_today"].as_bool()),
        (Some(1), Some(false))
    );
    let again = call(&app, &anna, &eva, json!({"outcome": "no_answer"})).await;
    assert_eq!((again.status, again.code()), (409, "already_called_today"));
    let by_bo = call(&app, &bo, &eva, json!({"outcome": "working", "comment": "x"})).await;
    assert_eq!(by_bo.code(), "already_called_today", "once a day per lead, whoever calls");
    for n in 2..=3 {
        next_day(&app).await;
        let c = call(&app, &anna, &eva, json!({"outcome": "no_answer"})).await;
        assert_eq!(c.status, 201, "{}", c.body);
        assert_eq!(c.body["unanswered"].as_u64(), Some(n));
    }
    let closed = app.get(&format!("/api/v1/contacts/{eva}/call-card"), &anna).await;
    assert_eq!(
        (closed.body["stage"].as_str(), closed.body["reason"].as_str()),
        (Some("non_target"), Some("cannot_reach"))
    );
    next_day(&app).await;
    assert_eq!(call(&app, &anna, &eva, json!({"outcome": "no_answer"})).await.code(), "card_closed");
    // Only the head of sales reopens it.
    let refused = app
        .post(&format!("/api/v1/contacts/{eva}/call-card/reopen"), &anna, &json!({}))
        .await;
    assert_eq!(refused.status, 403);
    let reopened = app
        .post(&format!("/api/v1/contacts/{eva}/call-card/reopen"), &olga, &json!({}))
        .await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert_eq!(
        (reopened.body["stage"].as_str(), reopened.body["calls"].as_u64()),
        (Some("not_reached"), Some(3))
    );

    // Working the lead needs a comment and the mandatory fields; bad input names the field.
    let no_comment = call(&app, &anna, &eva, json!({"outcome": "working"})).await;
    assert_eq!((no_comment.status, no_comment.body["field"].as_str()), (422, Some("comment")));
    let nameless = contact(&app, &anna, json!({"kind": "draft", "phones": ["070-765 43 21"]})).await;
    let unnamed = call(&app, &anna, &nameless, json!({"outcome": "working", "comment": "Wants a flat"})).await;
    assert_eq!((unnamed.status, unnamed.body["field"].as_str()), (422, Some("first_name")));
    let unknown = call(&app, &anna, &eva, json!({"outcome": "maybe"})).await;
    assert_eq!((unknown.status, unknown.body["field"].as_str()), (422, Some("outcome")));
    let working = call(
        &app,
        &anna,
        &eva,
        json!({"outcome": "working", "comment": "Wants a flat in Sochi, 3 rooms"}),
    )
    .await;
    assert_eq!(working.status, 201, "{}", working.body);
    assert_eq!(working.body["stage"], "working");
    assert_eq!(working.body["history"][0]["comment"], "Wants a flat in Sochi, 3 rooms");
    assert_eq!(working.body["history"][0]["user_name"], "anna");

    // Rude: call again tomorrow (a task); the second time, non-target "not a client".
    let rude = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Rolf", "last_name": "Rask", "phones": ["070-111 22 33"]}),
    )
    .await;
    let r1 = call(&app, &anna, &rude, json!({"outcome": "rude"})).await;
    assert_eq!(r1.body["stage"], "call_again");
    assert!(
        tasks(&app, &anna)
            .await
            .iter()
            .any(|t| t["kind"] == "call_again" && t["contact_id"] == rude.as_str())
    );
    next_day(&app).await;
    let r2 = call(&app, &anna, &rude, json!({"outcome": "rude"})).await;
    assert_eq!(
        (r2.body["stage"].as_str(), r2.body["reason"].as_str()),
        (Some("non_target"), Some("not_a_client"))
    );

    // Postponed: a task on the date, and a weekly nurture task (one per week, whatever the runs).
    let later = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Petra", "last_name": "Holm", "phones": ["070-222 33 44"]}),
    )
    .await;
    let in_past = call(&app, &anna, &later, json!({"outcome": "postponed", "until": "2001-01-01"})).await;
    assert_eq!((in_past.status, in_past.body["field"].as_str()), (422, Some("until")));
    let until = (chrono::Utc::now() + chrono::Duration::days(40)).date_naive().to_string();
    let p = call(
        &app,
        &anna,
        &later,
        json!({"outcome": "postponed", "until": until, "comment": "Money on deposit until spring"}),
    )
    .await;
    assert_eq!(
        (p.status, p.body["stage"].as_str(), p.body["until"].as_str()),
        (201, Some("postponed"), Some(until.as_str()))
    );
    let mine = tasks(&app, &anna).await;
    let contact_on = mine
        .iter()
        .find(|t| t["kind"] == "contact_on")
        .expect("a task to contact on the date");
    assert!(contact_on["due_at"].as_str().unwrap().starts_with(&until[..7]), "{contact_on}");
    let mut nurture = 0;
    for _ in 0..50 {
        nurture = tasks(&app, &anna)
            .await
            .iter()
            .filter(|t| t["kind"] == "nurture" && t["contact_id"] == later.as_str())
            .count();
        if nurture > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(nurture, 1, "the nurture job gives one task this week");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = tasks(&app, &anna).await.iter().filter(|t| t["kind"] == "nurture").count();
    assert_eq!(after, 1, "later runs in the same week make no second task");

    // Hand to a colleague: a task for them, tomorrow, and a notice.
    let try_me = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Sven", "last_name": "Sand", "phones": ["070-333 44 55"]}),
    )
    .await;
    let nobody = call(&app, &anna, &try_me, json!({"outcome": "colleague"})).await;
    assert_eq!((nobody.status, nobody.body["field"].as_str()), (422, Some("colleague_id")));
    let handed = call(
        &app,
        &anna,
        &try_me,
        json!({"outcome": "colleague", "colleague_id": bo_id, "comment": "Speaks Russian"}),
    )
    .await;
    assert_eq!(handed.body["stage"], "with_colleague");
    assert!(
        tasks(&app, &bo)
            .await
            .iter()
            .any(|t| t["kind"] == "colleague_try" && t["contact_id"] == try_me.as_str())
    );

    // Every call is on the timeline, with who made it.
    let timeline = app.get(&format!("/api/v1/contacts/{eva}/timeline"), &anna).await;
    let calls: Vec<&Value> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "call")
        .collect();
    assert_eq!(calls.len(), 4, "{}", timeline.body);
    assert!(calls.iter().all(|e| e["author_name"] == "anna"), "{calls:?}");

    // A contact the caller may not see cannot be called.
    let (_, cy) = {
        let u = app
            .post(
                "/api/v1/users",
                &admin,
                &json!({"name": "cy", "email": "cy@test.example", "password": "password-123", "role": "broker", "office_id": app.admin.office_id,
                        "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
            )
            .await;
        (u.body["id"].clone(), app.login("cy@test.example", "password-123").await)
    };
    assert_eq!(call(&app, &cy, &try_me, json!({"outcome": "no_answer"})).await.status, 404);
}

async fn deals_and_tags_wait_for_the_head_of_sales(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna", "broker").await;
    let (bo_id, _) = user(&app, &admin, "bo", "broker").await;
    let (_, olga) = user(&app, &admin, "olga", "office_manager").await;
    let realtor = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Igor", "last_name": "Realtor", "phones": ["070-444 55 66"]}),
    )
    .await;

    let split = call(
        &app,
        &anna,
        &realtor,
        json!({"outcome": "realtor_split", "comment": "Agency in Adler, client wants a 2-room flat"}),
    )
    .await;
    assert_eq!(split.status, 201, "{}", split.body);
    assert_eq!(split.body["stage"], "co_brokerage");
    let deal = &split.body["deals"][0];
    assert_eq!(
        (deal["partner_percent"].as_u64(), deal["our_percent"].as_u64()),
        (Some(30), Some(70))
    );
    assert_eq!(
        (deal["status"].as_str(), deal["effective"].as_bool()),
        (Some("proposed"), Some(false))
    );
    let deal_id = deal["id"].as_str().unwrap().to_owned();
    // The head of sales is told, and sees the deals waiting.
    let bell = app.get("/api/v1/notifications", &olga).await;
    assert!(
        bell.body["items"].as_array().unwrap().iter().any(|n| n["kind"] == "deal"),
        "{}",
        bell.body
    );
    let waiting = app.get("/api/v1/co-deals?status=proposed", &olga).await;
    assert_eq!(waiting.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get("/api/v1/co-deals?status=maybe", &olga).await.status, 400);

    let by_broker = app
        .post(&format!("/api/v1/co-deals/{deal_id}/decision"), &anna, &json!({"approve": true}))
        .await;
    assert_eq!(by_broker.status, 403, "the broker cannot approve their own split");
    // The head of another office, who sees every client of the company, does not decide it.
    let other = app.post("/api/v1/offices", &admin, &json!({"name": "Göteborg"})).await;
    assert_eq!(other.status, 201, "{}", other.body);
    let u = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"name": "gus", "email": "gus@test.example", "password": "password-123", "role": "office_manager", "office_id": other.body["id"],
                    "permissions": {"work_with_clients": true, "offer_scope": "company", "demand_scope": "company", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.body);
    let gus = app.login("gus@test.example", "password-123").await;
    let by_other_head = app
        .post(&format!("/api/v1/co-deals/{deal_id}/decision"), &gus, &json!({"approve": true}))
        .await;
    assert_eq!(by_other_head.status, 403, "{}", by_other_head.body);
    let approved = app
        .post(&format!("/api/v1/co-deals/{deal_id}/decision"), &olga, &json!({"approve": true}))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        (approved.body["status"].as_str(), approved.body["effective"].as_bool()),
        (Some("approved"), Some(true))
    );
    let twice = app
        .post(&format!("/api/v1/co-deals/{deal_id}/decision"), &olga, &json!({"approve": false}))
        .await;
    assert_eq!((twice.status, twice.code()), (409, "deal_decided"));

    // A second realtor whose deal is rejected is non-target "other realtor".
    let other = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Oleg", "last_name": "Orlov", "phones": ["070-555 66 77"]}),
    )
    .await;
    let s2 = call(&app, &anna, &other, json!({"outcome": "realtor_split"})).await;
    let d2 = s2.body["deals"][0]["id"].as_str().unwrap().to_owned();
    let rejected = app
        .post(
            &format!("/api/v1/co-deals/{d2}/decision"),
            &olga,
            &json!({"approve": false, "note": "Not on these terms"}),
        )
        .await;
    assert_eq!(rejected.body["status"], "rejected");
    let card = app.get(&format!("/api/v1/contacts/{other}/call-card"), &anna).await;
    assert_eq!(
        (card.body["stage"].as_str(), card.body["reason"].as_str()),
        (Some("non_target"), Some("other_realtor"))
    );

    // Tags: "selling own home" by anyone; "approved by head of sales" only by the head of sales,
    // and then the client stays with its broker.
    let tags = |t: Value| json!({"tags": t});
    let own = app
        .put(
            &format!("/api/v1/contacts/{realtor}/tags"),
            &anna,
            &tags(json!(["selling_own_home"])),
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let unknown = app
        .put(&format!("/api/v1/contacts/{realtor}/tags"), &anna, &tags(json!(["vip"])))
        .await;
    assert_eq!((unknown.status, unknown.code()), (422, "unknown_tag"));
    let too_many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    assert_eq!(
        app.put(&format!("/api/v1/contacts/{realtor}/tags"), &anna, &tags(json!(too_many)))
            .await
            .status,
        422
    );
    let approved_tag = tags(json!(["selling_own_home", "approved_by_head_of_sales"]));
    assert_eq!(
        app.put(&format!("/api/v1/contacts/{realtor}/tags"), &anna, &approved_tag)
            .await
            .status,
        403
    );
    assert_eq!(
        app.put(&format!("/api/v1/contacts/{realtor}/tags"), &olga, &approved_tag)
            .await
            .status,
        200
    );
    let handover = app
        .post(
            &format!("/api/v1/contacts/{realtor}/handover"),
            &anna,
            &json!({"to_user_id": bo_id}),
        )
        .await;
    assert_eq!((handover.status, handover.code()), (409, "owner_kept"));
    let card = app.get(&format!("/api/v1/contacts/{realtor}/call-card"), &anna).await;
    assert_eq!(card.body["tags"], json!(["approved_by_head_of_sales", "selling_own_home"]));
    // The broker cannot take the protected tag off either.
    assert_eq!(
        app.put(&format!("/api/v1/contacts/{realtor}/tags"), &anna, &tags(json!([])))
            .await
            .status,
        403
    );
}

async fn call_settings_are_the_companys_words(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.admin_token().await;
    let (_, anna) = user(&app, &admin, "anna", "broker").await;
    let s = app.get("/api/v1/company/call-settings", &anna).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(s.body["partner_percent"], 30);
    assert_eq!(s.body["stages"].as_array().unwrap().len(), 7);
    assert_eq!(s.body["tags"].as_array().unwrap().len(), 2);
    assert_eq!(s.body["outcomes"].as_array().unwrap().len(), 9);

    let mut changed = s.body.clone();
    changed["stages"][0]["label"] = json!("Nya");
    changed["partner_percent"] = json!(25);
    changed["tags"]
        .as_array_mut()
        .unwrap()
        .push(json!({"code": "investor", "label": "Investor", "weekly_nurture": true}));
    assert_eq!(app.put("/api/v1/company/call-settings", &anna, &changed).await.status, 403);
    let saved = app.put("/api/v1/company/call-settings", &admin, &changed).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert_eq!(saved.body["stages"][0]["label"], "Nya");

    let lead = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Ivan", "last_name": "Ivanov", "phones": ["070-666 77 88"]}),
    )
    .await;
    let c = call(&app, &anna, &lead, json!({"outcome": "realtor_split"})).await;
    assert_eq!(c.body["deals"][0]["partner_percent"], 25);
    let card = app.get(&format!("/api/v1/contacts/{lead}/call-card"), &anna).await;
    assert_eq!(card.body["stage_label"], s.body["stages"][5]["label"]);
    assert_eq!(
        app.put(&format!("/api/v1/contacts/{lead}/tags"), &anna, &json!({"tags": ["investor"]}))
            .await
            .status,
        200
    );

    // Bad settings are refused where they are wrong, and nothing is lost.
    let mut bad = changed.clone();
    bad["tags"][2]["code"] = json!("Not A Code");
    let refused = app.put("/api/v1/company/call-settings", &admin, &bad).await;
    assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("tags[2].code")));
    let mut bad = changed.clone();
    bad["partner_percent"] = json!(120);
    assert_eq!(app.put("/api/v1/company/call-settings", &admin, &bad).await.status, 422);
    let mut gone = changed.clone();
    gone["tags"].as_array_mut().unwrap().pop();
    let in_use = app.put("/api/v1/company/call-settings", &admin, &gone).await;
    assert_eq!((in_use.status, in_use.code()), (422, "tag_in_use"));
    let kept = app.get("/api/v1/company/call-settings", &anna).await;
    assert_eq!(
        (kept.body["tags"].as_array().unwrap().len(), kept.body["partner_percent"].as_u64()),
        (3, Some(25))
    );
}

/// Reads an event stream until an `event: call` arrives; its data.
async fn next_call_event(mut response: reqwest::Response) -> Value {
    let mut text = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(chunk) = response.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(at) = text.find("event: call\ndata: ") {
                let rest = &text[at + 18..];
                if let Some(end) = rest.find("\n\n") {
                    return serde_json::from_str::<Value>(&rest[..end]).unwrap();
                }
            }
        }
        panic!("the stream ended: {text}");
    })
    .await;
    found.expect("a call event within 10 s")
}

async fn open_stream(address: &str, token: &str) -> reqwest::Response {
    let client = http_client();
    let t: Value = client
        .post(format!("{address}/api/v1/me/events/ticket"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = t["ticket"].as_str().expect("a ticket").to_owned();
    let r = client
        .get(format!("{address}/api/v1/me/events?ticket={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    r
}

async fn incoming_calls_open_the_card_in_the_app(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna", "broker").await;
    let eva = contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Eva", "last_name": "Ek", "phones": ["070-123 45 67"]}),
    )
    .await;
    let ext = app
        .put(&format!("/api/v1/users/{anna_id}/extension"), &admin, &json!({"extension": "204"}))
        .await;
    assert_eq!((ext.status, ext.body["extension"].as_str()), (200, Some("204")));
    assert_eq!(
        app.put(&format!("/api/v1/users/{anna_id}/extension"), &anna, &json!({"extension": "205"}))
            .await
            .status,
        403
    );
    let bad = app
        .put(&format!("/api/v1/users/{anna_id}/extension"), &admin, &json!({"extension": "2 04"}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("extension")));
    let admin_id = app.admin.id.0.to_string();
    let taken = app
        .put(&format!("/api/v1/users/{admin_id}/extension"), &admin, &json!({"extension": "204"}))
        .await;
    assert_eq!((taken.status, taken.body["field"].as_str()), (409, Some("extension")));
    let key = app
        .post("/api/v1/api-keys", &admin, &json!({"name": "PBX", "user_id": admin_id}))
        .await;
    let pbx = key.body["secret"].as_str().unwrap().to_owned();

    // Tickets: only from the event-ticket endpoint, never an access token.
    let denied = app
        .client
        .get(format!("{}/api/v1/me/events?ticket={anna}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let stream = open_stream(&app.address, &anna).await;

    let posted = app
        .post(
            "/api/v1/calls/incoming",
            &pbx,
            &json!({"from": "+46 70 123 45 67", "extension": "204"}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    assert_eq!(posted.body["contact_ids"], json!([eva]));
    let event = next_call_event(stream).await;
    assert_eq!(
        (event["phone"].as_str(), event["id"].clone()),
        (Some("+46701234567"), posted.body["id"].clone())
    );

    let timeline = app.get(&format!("/api/v1/contacts/{eva}/timeline"), &anna).await;
    assert!(
        timeline.body["items"].as_array().unwrap().iter().any(|e| e["kind"] == "call_in"),
        "{}",
        timeline.body
    );
    let card = app.get(&format!("/api/v1/contacts/{eva}/call-card"), &anna).await;
    assert_eq!(card.body["history"][0]["direction"], "in");

    // Unknown numbers are logged too; bad input is refused with the field.
    let stranger = app
        .post(
            "/api/v1/calls/incoming",
            &pbx,
            &json!({"from": "08-555 123 45", "user_id": anna_id}),
        )
        .await;
    assert_eq!((stranger.status, stranger.body["contact_ids"].clone()), (201, json!([])));
    let nobody = app
        .post("/api/v1/calls/incoming", &pbx, &json!({"from": "+46701234567", "extension": "999"}))
        .await;
    assert_eq!((nobody.status, nobody.body["field"].as_str()), (422, Some("user_id")));
    let not_a_number = app
        .post("/api/v1/calls/incoming", &pbx, &json!({"from": "hello there", "extension": "204"}))
        .await;
    assert_eq!((not_a_number.status, not_a_number.body["field"].as_str()), (422, Some("from")));
    let unnamed = app.post("/api/v1/calls/incoming", &pbx, &json!({"from": "+46701234567"})).await;
    assert_eq!(unnamed.status, 422);
    // A broker reports calls for nobody but themselves.
    let (_, bo) = user(&app, &admin, "bo", "broker").await;
    let for_anna = app
        .post("/api/v1/calls/incoming", &bo, &json!({"from": "+46701234567", "extension": "204"}))
        .await;
    assert_eq!(for_anna.status, 403);
}

async fn incoming_call_across_instances(backend: Backend) {
    let db = fresh_database(backend).await;
    let out = crm_command(
        &[
            "create-company",
            "--name",
            "Phones AB",
            "--country",
            "SE",
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@phones.example",
            "--admin-password",
            "ada-password-1",
        ],
        &db,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let a = CrmProcess::serve(&db, &[]).await;
    let b = CrmProcess::serve(&db, &[]).await;
    let client = http_client();
    let login: Value = client
        .post(format!("{}/api/v1/auth/login", a.address))
        .json(&json!({"email": "ada@phones.example", "password": "ada-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let me: Value = client
        .get(format!("{}/api/v1/me", a.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The app listens on instance A; the telephone system posts to instance B.
    let stream = open_stream(&a.address, &token).await;
    let posted = client
        .post(format!("{}/api/v1/calls/incoming", b.address))
        .bearer_auth(&token)
        .json(&json!({"from": "+46 8 555 123 45", "user_id": me["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let logged: Value = posted.json().await.unwrap();
    let event = next_call_event(stream).await;
    assert_eq!(event["id"], logged["id"]);
}

async fn call_lists_are_filled_worked_and_reported(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.jobs.periods.push(("call_lists".into(), Duration::from_secs(1)))).await;
    let admin = app.admin_token().await;
    let (anna_id, anna) = user(&app, &admin, "anna", "broker").await;
    let (bo_id, bo) = user(&app, &admin, "bo", "broker").await;
    let (_, cy) = user(&app, &admin, "cy", "broker").await;
    let group = app
        .post(
            "/api/v1/groups",
            &admin,
            &json!({"name": "Callers", "member_ids": [anna_id, bo_id]}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let mut people = Vec::new();
    for (i, name) in ["Alm", "Berg", "Dahl", "Ek", "Fors"].iter().enumerate() {
        people.push(
            contact(
                &app,
                &anna,
                json!({"kind": "standard", "first_name": "Kund", "last_name": name, "phones": [format!("070-900 00 0{i}")]}),
            )
            .await,
        );
    }
    // Reached lately, and non-target: neither is put on a list.
    assert_eq!(
        call(&app, &anna, &people[0], json!({"outcome": "working", "comment": "Buying in May"}))
            .await
            .status,
        201
    );
    assert_eq!(call(&app, &anna, &people[1], json!({"outcome": "not_a_client"})).await.status, 201);

    let list = app
        .post(
            "/api/v1/call-lists",
            &anna,
            &json!({"name": "Spring leads", "instructions": "Greet, ask about their plans, offer a valuation.", "group_id": group.body["id"]}),
        )
        .await;
    assert_eq!(list.status, 201, "{}", list.body);
    let id = list.body["id"].as_str().unwrap().to_owned();
    let bad = app
        .post(&format!("/api/v1/call-lists/{id}/fill"), &anna, &json!({"stage": "sleeping"}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("filter.stage")));
    let filled = app
        .post(&format!("/api/v1/call-lists/{id}/fill"), &anna, &json!({"q": "kund"}))
        .await;
    assert_eq!(filled.status, 200, "{}", filled.body);
    assert_eq!((filled.body["added"].as_u64(), filled.body["skipped"].as_u64()), (Some(3), Some(2)));
    let again = app
        .post(&format!("/api/v1/call-lists/{id}/fill"), &anna, &json!({"q": "kund"}))
        .await;
    assert_eq!((again.body["added"].as_u64(), again.body["skipped"].as_u64()), (Some(0), Some(5)));

    // Each contact is taken by one caller at a time; a caller gets back the one they hold.
    let a = app.post(&format!("/api/v1/call-lists/{id}/next"), &anna, &json!({})).await;
    let b = app.post(&format!("/api/v1/call-lists/{id}/next"), &bo, &json!({})).await;
    let (a_id, b_id) = (a.body["contact"]["id"].clone(), b.body["contact"]["id"].clone());
    assert!(a_id.is_string() && b_id.is_string() && a_id != b_id, "{a_id} {b_id}");
    assert_eq!(
        app.post(&format!("/api/v1/call-lists/{id}/next"), &anna, &json!({})).await.body["contact"]["id"],
        a_id
    );
    assert_eq!(
        app.get(&format!("/api/v1/call-lists/{id}"), &cy).await.status,
        404,
        "not a caller of the list"
    );
    assert_eq!(
        app.post(&format!("/api/v1/call-lists/{id}/next"), &cy, &json!({})).await.status,
        404
    );

    // Calls from the list settle its entries.
    let a_contact = a_id.as_str().unwrap();
    let b_contact = b_id.as_str().unwrap();
    let none = call(&app, &anna, a_contact, json!({"outcome": "no_answer", "list_id": id})).await;
    assert_eq!(none.status, 201, "{}", none.body);
    let reached = call(
        &app,
        &bo,
        b_contact,
        json!({"outcome": "working", "comment": "Wants to sell", "list_id": id}),
    )
    .await;
    assert_eq!(reached.status, 201, "{}", reached.body);
    let off_list = call(&app, &anna, &people[0], json!({"outcome": "no_answer", "list_id": id})).await;
    assert_eq!((off_list.status, off_list.body["field"].as_str()), (422, Some("list_id")));
    let progress = app.get(&format!("/api/v1/call-lists/{id}"), &anna).await.body["progress"].clone();
    assert_eq!(progress, json!({"total": 3, "open": 2, "done": 1, "reached": 1, "not_reached": 1}));
    // The contact called today without an answer waits for tomorrow: Anna gets the third one.
    let c = app.post(&format!("/api/v1/call-lists/{id}/next"), &anna, &json!({})).await;
    let c_id = c.body["contact"]["id"].clone();
    assert!(c_id.is_string() && c_id != a_id && c_id != b_id, "{}", c.body);
    assert!(app.post(&format!("/api/v1/call-lists/{id}/next"), &bo, &json!({})).await.body["contact"].is_null());

    // Filled every night from a saved selection: the job runner adds new matching contacts.
    let nightly = app
        .post(
            "/api/v1/call-lists",
            &anna,
            &json!({"name": "Not reached yet", "instructions": "", "nightly": {"stage": "not_reached"}}),
        )
        .await;
    assert_eq!(nightly.status, 201, "{}", nightly.body);
    let nid = nightly.body["id"].as_str().unwrap().to_owned();
    let mut total = 0;
    for _ in 0..60 {
        total = app.get(&format!("/api/v1/call-lists/{nid}"), &anna).await.body["progress"]["total"]
            .as_u64()
            .unwrap_or(0);
        if total > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Not reached: Dahl, Ek, Fors (minus the one reached from the list today).
    assert_eq!(total, 2);
    // Once a night: a new matching contact waits for the next night.
    contact(
        &app,
        &anna,
        json!({"kind": "standard", "first_name": "Gun", "last_name": "Gran", "phones": ["070-999 88 77"]}),
    )
    .await;
    let total_of = || async {
        app.get(&format!("/api/v1/call-lists/{nid}"), &anna).await.body["progress"]["total"]
            .as_u64()
            .unwrap_or(0)
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(total_of().await, 2, "filled once tonight already");
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared("UPDATE call_lists SET filled_on = '2000-01-01' WHERE filled_on IS NOT NULL")
        .await
        .unwrap();
    db.close().await.unwrap();
    let mut total = 0;
    for _ in 0..60 {
        total = total_of().await;
        if total > 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(total, 3, "the next night adds the new contact");

    // The report: per caller and per list; a broker sees themselves, the administrator everyone.
    let mine = app.get("/api/v1/reports/calls", &anna).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let callers = mine.body["callers"].as_array().unwrap();
    assert_eq!(callers.len(), 1);
    assert_eq!(
        (
            callers[0]["name"].as_str(),
            callers[0]["calls"].as_u64(),
            callers[0]["reached"].as_u64()
        ),
        (Some("anna"), Some(3), Some(2))
    );
    let all = app.get("/api/v1/reports/calls", &admin).await;
    assert_eq!(all.body["callers"].as_array().unwrap().len(), 2);
    let spring = all.body["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["list_id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!((spring["calls"].as_u64(), spring["reached"].as_u64()), (Some(2), Some(1)));
    assert_eq!(app.get("/api/v1/reports/calls?from=2026-13-01", &anna).await.status, 400);
    assert_eq!(
        app.get("/api/v1/reports/calls?from=2020-01-01&to=2026-01-01", &anna).await.status,
        400
    );
}
