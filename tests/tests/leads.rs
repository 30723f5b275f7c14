//! Leads from websites through the running server, on SQLite and PostgreSQL: the public intake
//! (JSON and form posts, keys, origins, honeypot, idempotency, bad input), routing by listing
//! and focus area, deduplication by phone or email, the workflows and the shark tank.

use std::time::Duration;

use crm_api::geocode::GeocoderConfig;
use crm_tests::{Answer, Backend, TestApp, geocoder_server, on_both_databases, spawn_app, spawn_app_with};
use serde_json::{Value, json};

on_both_databases!(
    website_leads_are_filed_routed_and_deduplicated,
    a_repeated_post_makes_one_lead,
    posts_at_once_about_one_person_make_one_contact,
    workflows_and_the_shark_tank,
    tips_go_to_colleagues_groups_and_offices,
    addresses_without_a_coordinate_are_geocoded,
    leads_name_listings_by_reference,
);

fn square(x: f64, y: f64, side: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]]})
}

async fn broker(app: &TestApp, admin: &str, email: &str) -> String {
    let a = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"name": email.split('@').next().unwrap(), "email": email, "password": "password-123", "role": "broker", "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn source(app: &TestApp, admin: &str, workflow: &str) -> Value {
    let s = app
        .post(
            "/api/v1/lead-sources",
            admin,
            &json!({"name": format!("Website – {workflow}"), "workflow": workflow, "allowed_origins": ["https://www.example.se"], "thank_you_url": "https://www.example.se/tack"}),
        )
        .await;
    assert_eq!(s.status, 201, "{}", s.body);
    s.body
}

/// Posts a lead as a website would: no sign-in, the source's key in the body.
async fn post_lead(app: &TestApp, body: Value, headers: &[(&str, &str)]) -> (Answer, reqwest::header::HeaderMap) {
    let mut req = app.client.post(format!("{}/api/v1/public/leads", app.address)).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (Answer { status, body }, headers)
}

async fn website_leads_are_filed_routed_and_deduplicated(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    let anna = broker(&app, &admin, "anna@test.example").await;
    let lars = broker(&app, &admin, "lars@test.example").await;
    app.post(
        "/api/v1/focus-areas",
        &admin,
        &json!({"name": "Söder", "office_id": office, "geometry": square(18.0, 59.3, 0.1)}),
    )
    .await;
    app.post(
        "/api/v1/focus-areas",
        &admin,
        &json!({"name": "Hornstull", "user_id": anna, "distributor": true, "geometry": square(18.0, 59.3, 0.02)}),
    )
    .await;
    let src = source(&app, &admin, "accept_or_decline").await;
    let key = src["key"].as_str().unwrap().to_owned();
    let anna_token = app.login("anna@test.example", "password-123").await;
    let lars_token = app.login("lars@test.example", "password-123").await;

    // In Anna's area: to Anna, the distributor, with the reason told.
    let (first, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Greta Garbo", "phone": "070-123 45 67", "message": "Värdering, tack", "lat": 59.31, "lon": 18.01, "budget": "4 MSEK"}),
        &[],
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(
        (first.body["new_contact"].as_bool(), first.body["status"].as_str()),
        (Some(true), Some("open"))
    );
    let contact = first.body["contact_id"].as_str().unwrap().to_owned();
    let mine = app.get("/api/v1/inbox", &anna_token).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{}", mine.body);
    let item = &mine.body["items"][0];
    assert_eq!(
        item["routing"], "office Head office: distributor's focus area 'Hornstull'",
        "{item}"
    );
    assert_eq!(
        (item["contact_name"].as_str(), item["fields"]["budget"].as_str()),
        (Some("Greta Garbo"), Some("4 MSEK"))
    );
    assert_eq!(item["source_name"], "Website – accept_or_decline");

    // The same person again, the phone written another way: the same contact, a second lead.
    let (again, _) = post_lead(
        &app,
        json!({"source_key": key, "first_name": "Greta", "last_name": "Garbo", "phone": "+46701234567"}),
        &[],
    )
    .await;
    assert_eq!((again.status, again.body["new_contact"].as_bool()), (201, Some(false)));
    assert_eq!(again.body["contact_id"].as_str(), Some(contact.as_str()));
    let timeline = app.get(&format!("/api/v1/contacts/{contact}/timeline"), &admin).await;
    let leads = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "lead_received")
        .count();
    assert_eq!(leads, 2, "{}", timeline.body);

    // About a listing: to its broker, wherever the client lives.
    let listing = app
        .post(
            "/api/v1/properties",
            &admin,
            &json!({"kind": "apartment", "status": "for_sale", "street": "Götgatan 1", "city": "Stockholm", "broker_id": lars}),
        )
        .await;
    assert_eq!(listing.status, 201, "{}", listing.body);
    let (about, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Ulf Lundell", "email": "ulf@example.se", "listing_id": listing.body["id"], "lat": 59.31, "lon": 18.01}),
        &[],
    )
    .await;
    assert_eq!(about.status, 201, "{}", about.body);
    let lars_inbox = app.get("/api/v1/inbox", &lars_token).await;
    assert_eq!(lars_inbox.body["items"][0]["routing"], "the listing's broker");
    assert_eq!(lars_inbox.body["items"][0]["property_id"], listing.body["id"]);

    // No coordinate: the default office's shark tank, flagged.
    let (nowhere, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Nils Holgersson", "email": "nils@example.se"}),
        &[],
    )
    .await;
    assert_eq!(nowhere.status, 201);
    let tank = app.get("/api/v1/inbox?box=tank", &anna_token).await;
    let waiting = &tank.body["items"][0];
    assert_eq!(
        (waiting["flagged"].as_str(), waiting["routing"].as_str()),
        (Some("no_coordinate"), Some("the address has no coordinate: office Head office"))
    );

    // A robot fills in the honeypot: kept as spam, filed on no contact, in no inbox.
    let (spam, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Cheap pills", "email": "x@spam.example", "website": "http://spam.example"}),
        &[],
    )
    .await;
    assert_eq!(
        (spam.status, spam.body["status"].as_str(), spam.body["contact_id"].is_null()),
        (201, Some("spam"), true)
    );
    let counts = app.get("/api/v1/inbox/counts", &anna_token).await;
    // Greta's first lead is Anna's; her second (no coordinate) and Nils's wait in the tank.
    assert_eq!((counts.body["mine"].as_u64(), counts.body["tank"].as_u64()), (Some(1), Some(2)));

    // A plain HTML form post: stored, then on to the thank-you page.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = no_redirects
        .post(format!("{}/api/v1/public/leads", app.address))
        .header("Origin", "https://www.example.se")
        .form(&[
            ("source_key", key.as_str()),
            ("name", "Selma Lagerlöf"),
            ("phone", "0701112233"),
            ("lat", "59.31"),
            ("lon", "18.01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 303);
    assert_eq!(form.headers()["location"], "https://www.example.se/tack");
    assert_eq!(
        app.get("/api/v1/inbox", &anna_token).await.body["items"].as_array().unwrap().len(),
        2
    );

    // Origins: the allowed page gets CORS headers; another page is refused.
    let (allowed, headers) = post_lead(
        &app,
        json!({"source_key": key, "email": "ok@example.se"}),
        &[("Origin", "https://www.example.se")],
    )
    .await;
    assert_eq!(allowed.status, 201);
    assert_eq!(headers["access-control-allow-origin"], "https://www.example.se");
    let (other, _) = post_lead(
        &app,
        json!({"source_key": key, "email": "evil@example.se"}),
        &[("Origin", "https://evil.example")],
    )
    .await;
    assert_eq!((other.status, other.code()), (403, "origin_not_allowed"));
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/public/leads", app.address))
        .header("Origin", "https://www.example.se")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 204);
    assert!(
        preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("idempotency-key")
    );

    // Bad keys, archived sources, bad input: clear refusals, nothing stored.
    let (bad_key, _) = post_lead(&app, json!({"source_key": "ls_nope", "email": "a@b.se"}), &[]).await;
    assert_eq!((bad_key.status, bad_key.code()), (401, "invalid_source_key"));
    // The source's key with another secret, or naming a company that does not exist.
    let parts: Vec<&str> = key.splitn(4, '_').collect();
    let wrong_secret = format!("{}_{}_{}_{}x", parts[0], parts[1], parts[2], &parts[3][1..]);
    let no_company = format!("ls_{}_{}_{}", uuid::Uuid::new_v4().simple(), parts[2], parts[3]);
    for other in [wrong_secret, no_company] {
        let (refused, _) = post_lead(&app, json!({"email": "a@b.se"}), &[("X-Lead-Source-Key", &other)]).await;
        assert_eq!((refused.status, refused.code()), (401, "invalid_source_key"), "{other}");
    }
    let (no_key, _) = post_lead(&app, json!({"email": "a@b.se"}), &[]).await;
    assert_eq!((no_key.status, no_key.code()), (401, "source_key_required"));
    let sid = src["id"].as_str().unwrap();
    assert_eq!(
        app.post(&format!("/api/v1/lead-sources/{sid}/archive"), &admin, &json!({}))
            .await
            .body["archived"],
        true
    );
    let (archived, _) = post_lead(
        &app,
        json!({"source_key": key, "email": "late@example.se"}),
        &[("X-Lead-Source-Key", &key)],
    )
    .await;
    assert_eq!((archived.status, archived.code()), (403, "source_archived"));
    app.post(&format!("/api/v1/lead-sources/{sid}/reactivate"), &admin, &json!({}))
        .await;
    let (header_key, _) = post_lead(&app, json!({"email": "back@example.se"}), &[("X-Lead-Source-Key", &key)]).await;
    assert_eq!(header_key.status, 201, "{}", header_key.body);
    let (long, _) = post_lead(
        &app,
        json!({"source_key": key, "last_name": "x".repeat(300), "email": "l@example.se"}),
        &[],
    )
    .await;
    assert_eq!((long.status, long.body["field"].as_str()), (422, Some("last_name")));
    let (nul, _) = post_lead(&app, json!({"source_key": key, "message": "a\u{0}b", "email": "n@example.se"}), &[]).await;
    assert_eq!((nul.status, nul.code()), (422, "invalid_characters"));
    let (nobody, _) = post_lead(&app, json!({"source_key": key, "message": "hello"}), &[]).await;
    assert_eq!(nobody.status, 422, "a lead needs a name, a phone or an email: {}", nobody.body);
    let (bad_phone, _) = post_lead(&app, json!({"source_key": key, "phone": "12"}), &[]).await;
    assert_eq!(bad_phone.status, 422);
    let (far, _) = post_lead(
        &app,
        json!({"source_key": key, "email": "far@example.se", "lat": 95, "lon": 0}),
        &[],
    )
    .await;
    assert_eq!((far.status, far.body["field"].as_str()), (422, Some("lat")));
    let big = app
        .client
        .post(format!("{}/api/v1/public/leads", app.address))
        .json(&json!({"source_key": key, "message": "x".repeat(70_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status().as_u16(), 413);
    let text = app
        .client
        .post(format!("{}/api/v1/public/leads", app.address))
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status().as_u16(), 415);
    let (not_object, _) = post_lead(&app, json!(["a"]), &[]).await;
    assert_eq!(not_object.status, 400);
    // Lead sources are administrators' business.
    assert_eq!(app.get("/api/v1/lead-sources", &anna_token).await.status, 403);
    let bad_workflow = app
        .post("/api/v1/lead-sources", &admin, &json!({"name": "X", "workflow": "whatever"}))
        .await;
    assert_eq!(bad_workflow.code(), "invalid_workflow");
    let bad_origin = app
        .post(
            "/api/v1/lead-sources",
            &admin,
            &json!({"name": "X", "workflow": "information_only", "allowed_origins": ["www.example.se/page"]}),
        )
        .await;
    assert_eq!(
        (bad_origin.code(), bad_origin.body["field"].as_str()),
        ("invalid_origin", Some("allowed_origins[0]"))
    );
}

async fn a_repeated_post_makes_one_lead(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let src = source(&app, &admin, "contact_or_dismiss").await;
    let key = src["key"].as_str().unwrap().to_owned();
    let body = json!({"source_key": key, "name": "Astrid Lindgren", "email": "astrid@example.se", "message": "Ring mig"});
    let posts = (0..20).map(|_| {
        let app = &app;
        let body = body.clone();
        async move { post_lead(app, body, &[("Idempotency-Key", "form-42")]).await.0 }
    });
    let answers = futures::future::join_all(posts).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, 201, "{}", a.body);
            a.body["lead_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one lead, one answer replayed");
    let tank = app.get("/api/v1/inbox?box=tank", &admin).await;
    assert_eq!(tank.body["items"].as_array().unwrap().len(), 1, "{}", tank.body);
    let contacts = app.get("/api/v1/contacts?q=astrid", &admin).await;
    assert_eq!(contacts.body["total"], 1);
    let (reused, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Someone Else", "email": "else@example.se"}),
        &[("Idempotency-Key", "form-42")],
    )
    .await;
    assert_eq!((reused.status, reused.code()), (422, "idempotency_key_reused"));
}

/// Leads posted at the same moment are written together (see the store's `intake`; on
/// PostgreSQL two groups at once): the ones about one new person still make one contact, those
/// about others posted among them one each, and a key sent with two bodies at once keeps the
/// body that came first.
async fn posts_at_once_about_one_person_make_one_contact(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let src = source(&app, &admin, "information_only").await;
    let key = src["key"].as_str().unwrap().to_owned();
    let posts = (0..80).map(|i| {
        let app = &app;
        // The same mobile number written three ways, and sometimes an email too; between them,
        // posts about twelve other people.
        let body = if i % 2 == 1 {
            json!({"source_key": key, "name": format!("Other Person {i}"), "phone": format!("+46 70 555 0{i:03}")})
        } else {
            let phone = ["+46 70 123 45 67", "070-123 45 67", "0701234567"][i / 2 % 3];
            let mut body =
                json!({"source_key": key, "name": format!("Greta Garbo {i}"), "phone": phone, "message": format!("Visning {i}")});
            if i % 4 == 0 {
                body["email"] = json!("greta@example.se");
            }
            body
        };
        async move { (i, post_lead(app, body, &[]).await.0) }
    });
    let answers = futures::future::join_all(posts).await;
    let mut contacts = std::collections::HashSet::new();
    let mut others = std::collections::HashSet::new();
    let mut created = 0;
    for (i, a) in &answers {
        assert_eq!(a.status, 201, "{}", a.body);
        let contact = a.body["contact_id"].as_str().unwrap().to_owned();
        if i % 2 == 1 {
            assert_eq!(a.body["new_contact"], json!(true), "{}", a.body);
            others.insert(contact);
        } else {
            contacts.insert(contact);
            created += usize::from(a.body["new_contact"] == json!(true));
        }
    }
    assert_eq!(others.len(), 40, "one contact for each other person: {answers:?}");
    assert!(others.is_disjoint(&contacts), "{answers:?}");
    assert_eq!((contacts.len(), created), (1, 1), "one new contact for one person: {answers:?}");
    let contact = contacts.into_iter().next().unwrap();
    let timeline = app.get(&format!("/api/v1/contacts/{contact}/timeline?limit=50"), &admin).await;
    let kinds: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "lead_received").count(), 40, "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"created"), "{kinds:?}");

    // One key, two bodies, at once: the first body to be written keeps the key.
    let bodies = [
        json!({"source_key": key, "name": "Selma Lagerlöf", "email": "selma@example.se"}),
        json!({"source_key": key, "name": "Karin Boye", "email": "karin@example.se"}),
    ];
    let posts = (0..8).map(|i| {
        let app = &app;
        let body = bodies[usize::from(i % 4 == 3)].clone();
        async move { (body.clone(), post_lead(app, body, &[("Idempotency-Key", "form-7")]).await.0) }
    });
    let answers = futures::future::join_all(posts).await;
    let kept: std::collections::HashSet<String> = answers
        .iter()
        .filter(|(_, a)| a.status == 201)
        .map(|(body, _)| body["name"].as_str().unwrap().to_owned())
        .collect();
    let leads: std::collections::HashSet<String> = answers
        .iter()
        .filter(|(_, a)| a.status == 201)
        .map(|(_, a)| a.body["lead_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((kept.len(), leads.len()), (1, 1), "{answers:?}");
    for (body, a) in &answers {
        if !kept.contains(body["name"].as_str().unwrap()) {
            assert_eq!((a.status, a.code()), (422, "idempotency_key_reused"), "{}", a.body);
        }
    }
}

async fn workflows_and_the_shark_tank(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut tokens = Vec::new();
    for i in 0..4 {
        broker(&app, &admin, &format!("b{i}@test.example")).await;
        tokens.push(app.login(&format!("b{i}@test.example"), "password-123").await);
    }
    // Contact-or-dismiss leads land in the tank (no focus areas): 20 claims at once, one wins.
    let contact_src = source(&app, &admin, "contact_or_dismiss").await;
    let (lead, _) = post_lead(
        &app,
        json!({"source_key": contact_src["key"], "name": "Pippi Långstrump", "phone": "0709998877"}),
        &[],
    )
    .await;
    let id = lead.body["lead_id"].as_str().unwrap().to_owned();
    let claims = (0..20).map(|i| {
        let (app, token, id) = (&app, tokens[i % 4].clone(), id.clone());
        async move { app.post(&format!("/api/v1/inbox/{id}/claim"), &token, &json!({})).await }
    });
    let answers = futures::future::join_all(claims).await;
    let winners: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.status == 200)
        .map(|(i, _)| i % 4)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        answers.iter().map(|a| (a.status, a.code().to_owned())).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(a.status, 409, "{}", a.body);
        assert!(["already_claimed", "not_claimable"].contains(&a.code()), "{}", a.body);
    }
    let winner = &tokens[winners[0]];
    let loser = &tokens[(winners[0] + 1) % 4];
    // The contact the lead created goes with it: the broker who took it can open it.
    let contact = lead.body["contact_id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/contacts/{contact}"), winner).await.status, 200);
    assert_eq!(app.get(&format!("/api/v1/contacts/{contact}"), loser).await.status, 404);
    assert_eq!(
        app.get("/api/v1/inbox?box=tank", loser).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Only the holder works it; accepting is not this workflow's; contacted closes it.
    let stolen = app.post(&format!("/api/v1/inbox/{id}/contacted"), loser, &json!({})).await;
    assert_eq!(stolen.status, 404, "another broker's item is not theirs to see");
    let wrong = app
        .post(&format!("/api/v1/inbox/{id}/decline"), winner, &json!({"reason": "no"}))
        .await;
    assert_eq!((wrong.status, wrong.code()), (409, "not_in_workflow"));
    let done = app.post(&format!("/api/v1/inbox/{id}/contacted"), winner, &json!({})).await;
    assert_eq!(
        (done.status, done.body["status"].as_str()),
        (200, Some("contacted")),
        "{}",
        done.body
    );
    let twice = app.post(&format!("/api/v1/inbox/{id}/not-relevant"), winner, &json!({})).await;
    assert_eq!((twice.status, twice.code()), (409, "item_closed"));

    // Accept-or-decline: a reason to decline, a listing to accept; both on the timeline.
    let accept_src = source(&app, &admin, "accept_or_decline").await;
    let (lead, _) = post_lead(
        &app,
        json!({"source_key": accept_src["key"], "name": "Emil Svensson", "email": "emil@example.se"}),
        &[],
    )
    .await;
    let id = lead.body["lead_id"].as_str().unwrap().to_owned();
    let contact = lead.body["contact_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post(&format!("/api/v1/inbox/{id}/claim"), &tokens[0], &json!({})).await.status,
        200
    );
    let no_reason = app
        .post(&format!("/api/v1/inbox/{id}/decline"), &tokens[0], &json!({"reason": "  "}))
        .await;
    assert_eq!((no_reason.status, no_reason.code()), (422, "reason_missing"));
    let unknown = app
        .post(
            &format!("/api/v1/inbox/{id}/accept"),
            &tokens[0],
            &json!({"property_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!((unknown.status, unknown.code()), (422, "unknown_property"));
    let listing = app
        .post(
            "/api/v1/properties",
            &tokens[0],
            &json!({"kind": "house", "status": "coming_soon", "street": "Katthult 1", "city": "Lönneberga"}),
        )
        .await;
    assert_eq!(listing.status, 201, "{}", listing.body);
    let accepted = app
        .post(
            &format!("/api/v1/inbox/{id}/accept"),
            &tokens[0],
            &json!({"property_id": listing.body["id"]}),
        )
        .await;
    assert_eq!(
        (accepted.status, accepted.body["status"].as_str()),
        (200, Some("accepted")),
        "{}",
        accepted.body
    );
    assert_eq!(accepted.body["linked_property_id"], listing.body["id"]);
    let timeline = app.get(&format!("/api/v1/contacts/{contact}/timeline"), &admin).await;
    let texts: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    // Told in the reader's (the Swedish administrator's) language.
    assert!(texts.contains(&"Lead accepterat"), "{texts:?}");
    assert!(texts.contains(&"Lead hämtat från hajtanken"), "{texts:?}");

    // Information only: shown, nothing to do.
    let info_src = source(&app, &admin, "information_only").await;
    let (info, _) = post_lead(
        &app,
        json!({"source_key": info_src["key"], "name": "Karlsson på taket", "email": "karlsson@example.se"}),
        &[],
    )
    .await;
    assert_eq!(info.body["status"], "information");
    let counts = app.get("/api/v1/inbox/counts", &tokens[1]).await;
    assert_eq!(counts.body["tank"], 0, "{}", counts.body);
}

async fn tips_go_to_colleagues_groups_and_offices(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..3 {
        ids.push(broker(&app, &admin, &format!("t{i}@test.example")).await);
        tokens.push(app.login(&format!("t{i}@test.example"), "password-123").await);
    }
    let group = app
        .post("/api/v1/groups", &admin, &json!({"name": "Tips", "member_ids": [ids[1], ids[2]]}))
        .await;
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    let contact = app
        .post(
            "/api/v1/contacts",
            &tokens[0],
            &json!({"kind": "standard", "last_name": "Bergman", "phones": ["0701234000"]}),
        )
        .await;
    let cid = contact.body["id"].as_str().unwrap().to_owned();

    // To a colleague, with a note; the sender follows it.
    let tip = app
        .post(
            &format!("/api/v1/contacts/{cid}/tips"),
            &tokens[0],
            &json!({"to_user_id": ids[1], "note": "Vill sälja i vår"}),
        )
        .await;
    assert_eq!(tip.status, 201, "{}", tip.body);
    assert_eq!(
        (tip.body["kind"].as_str(), tip.body["sender_name"].as_str()),
        (Some("tip"), Some("t0"))
    );
    let tid = tip.body["id"].as_str().unwrap().to_owned();
    let inbox = app.get("/api/v1/inbox", &tokens[1]).await;
    assert_eq!(inbox.body["items"][0]["message"], "Vill sälja i vår");
    let no_reason = app
        .post(&format!("/api/v1/inbox/{tid}/decline"), &tokens[1], &json!({"reason": ""}))
        .await;
    assert_eq!(no_reason.code(), "reason_missing");
    let declined = app
        .post(
            &format!("/api/v1/inbox/{tid}/decline"),
            &tokens[1],
            &json!({"reason": "already sold"}),
        )
        .await;
    assert_eq!(declined.body["status"], "declined", "{}", declined.body);
    let sent = app.get("/api/v1/inbox?box=sent", &tokens[0]).await;
    let mine = &sent.body["items"][0];
    assert_eq!(
        (
            mine["status"].as_str(),
            mine["decline_reason"].as_str(),
            mine["decided_by_name"].as_str()
        ),
        (Some("declined"), Some("already sold"), Some("t1"))
    );

    // To a group: any member claims it, one wins; accepted with a listing made in the same step.
    let tip = app
        .post(
            &format!("/api/v1/contacts/{cid}/tips"),
            &tokens[0],
            &json!({"to_group_id": group_id}),
        )
        .await;
    assert_eq!(tip.status, 201, "{}", tip.body);
    let tid = tip.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/api/v1/inbox?box=tank", &tokens[2]).await.body["items"][0]["id"].as_str(),
        Some(tid.as_str())
    );
    assert_eq!(
        app.post(&format!("/api/v1/inbox/{tid}/claim"), &tokens[1], &json!({})).await.status,
        200
    );
    let late = app.post(&format!("/api/v1/inbox/{tid}/claim"), &tokens[2], &json!({})).await;
    assert_eq!((late.status, late.code()), (409, "already_claimed"));
    let bad = app
        .post(
            &format!("/api/v1/inbox/{tid}/accept"),
            &tokens[1],
            &json!({"new_property": {"kind": "house", "status": "nope", "street": "Fårö 1", "city": "Gotland"}}),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["field"].as_str()),
        (422, Some("new_property.status")),
        "{}",
        bad.body
    );
    let neither = app.post(&format!("/api/v1/inbox/{tid}/accept"), &tokens[1], &json!({})).await;
    assert_eq!(neither.code(), "listing_required");
    let accepted = app
        .post(
            &format!("/api/v1/inbox/{tid}/accept"),
            &tokens[1],
            &json!({"new_property": {"kind": "house", "status": "coming_soon", "street": "Fårö 1", "city": "Gotland"}}),
        )
        .await;
    assert_eq!(
        (accepted.status, accepted.body["status"].as_str()),
        (200, Some("accepted")),
        "{}",
        accepted.body
    );
    let listing = accepted.body["linked_property_id"].as_str().unwrap();
    let made = app.get(&format!("/api/v1/properties/{listing}"), &tokens[1]).await;
    assert_eq!((made.status, made.body["broker_id"].as_str()), (200, Some(ids[1].as_str())));
    // The tipped client is the new listing's seller, and the listing got the next reference.
    let made = app.get(&format!("/api/v1/properties/{listing}"), &admin).await;
    let parties = made.body["parties"].as_array().unwrap();
    assert!(
        parties
            .iter()
            .any(|p| p["contact_id"].as_str() == Some(cid.as_str()) && p["role"] == "seller"),
        "{}",
        made.body
    );
    assert!(made.body["reference"].as_str().unwrap().parse::<u64>().is_ok(), "{}", made.body);

    // To an office's shark tank.
    let tip = app
        .post(
            &format!("/api/v1/contacts/{cid}/tips"),
            &tokens[0],
            &json!({"to_office_id": app.admin.office_id}),
        )
        .await;
    assert_eq!(tip.status, 201);
    assert_eq!(app.get("/api/v1/inbox/counts", &tokens[2]).await.body["tank"], 1);
    let tank = app.get("/api/v1/inbox?box=tank", &tokens[2]).await;
    assert_eq!(tank.body["items"].as_array().map(Vec::len), Some(1), "{}", tank.body);
    let tank = app.get("/api/v1/inbox?box=tank", &admin).await;
    assert_eq!(tank.body["items"].as_array().map(Vec::len), Some(1), "{}", tank.body);

    // Refusals: to oneself, to nobody, to two, about a contact one cannot see.
    let selfish = app
        .post(&format!("/api/v1/contacts/{cid}/tips"), &tokens[0], &json!({"to_user_id": ids[0]}))
        .await;
    assert_eq!(selfish.code(), "cannot_receive");
    let nobody = app.post(&format!("/api/v1/contacts/{cid}/tips"), &tokens[0], &json!({})).await;
    assert_eq!(nobody.code(), "receiver_required");
    let two = app
        .post(
            &format!("/api/v1/contacts/{cid}/tips"),
            &tokens[0],
            &json!({"to_user_id": ids[1], "to_office_id": app.admin.office_id}),
        )
        .await;
    assert_eq!(two.code(), "receiver_required");
    let unseen = app
        .post(&format!("/api/v1/contacts/{cid}/tips"), &tokens[2], &json!({"to_user_id": ids[1]}))
        .await;
    assert_eq!(unseen.status, 404);

    let timeline = app.get(&format!("/api/v1/contacts/{cid}/timeline"), &admin).await;
    let texts: Vec<&str> = timeline.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert!(texts.contains(&"Tips skickat till t1: Vill sälja i vår"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("Tips avböjt")), "{texts:?}");
}

async fn addresses_without_a_coordinate_are_geocoded(backend: Backend) {
    let geocoder = geocoder_server(&[("Stockholm", 59.31, 18.01)]).await;
    let url = geocoder.url.clone();
    let app = spawn_app_with(backend, move |c| {
        c.geocoder = Some(GeocoderConfig {
            url,
            user_agent: "crm-tests/1 (ops@test.example)".into(),
            interval: Duration::from_millis(300),
            timeout: Duration::from_secs(2),
            max_wait: Duration::from_secs(10),
        })
    })
    .await;
    let admin = app.admin_token().await;
    let soder = app.post("/api/v1/offices", &admin, &json!({"name": "Södermalm"})).await;
    assert_eq!(soder.status, 201, "{}", soder.body);
    let soder = soder.body["id"].as_str().unwrap().to_owned();
    let area = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "Söder", "office_id": soder, "geometry": square(18.0, 59.3, 0.1)}),
        )
        .await;
    assert_eq!(area.status, 201, "{}", area.body);
    let key = source(&app, &admin, "contact_or_dismiss").await["key"].as_str().unwrap().to_owned();
    let item = |id: &Value| format!("/api/v1/inbox/{}", id.as_str().unwrap());

    // An address and no coordinate: looked up, routed by the point, kept on the contact.
    let (found, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Greta Garbo", "phone": "070-111 22 33", "street": "Götgatan 1", "postal_code": "116 21", "city": "Stockholm"}),
        &[],
    )
    .await;
    assert_eq!(found.status, 201, "{}", found.body);
    let lead = app.get(&item(&found.body["lead_id"]), &admin).await;
    assert_eq!(lead.body["assignee_office_id"].as_str(), Some(soder.as_str()), "{}", lead.body);
    // In the administrator's language (the company's: Swedish).
    assert_eq!(lead.body["routing"], "kontor Södermalm: fokusområde 'Söder'", "{}", lead.body);
    assert!(lead.body["flagged"].is_null(), "{}", lead.body);
    let contact = app
        .get(&format!("/api/v1/contacts/{}", found.body["contact_id"].as_str().unwrap()), &admin)
        .await;
    assert_eq!(
        (contact.body["lat"].as_f64(), contact.body["lon"].as_f64()),
        (Some(59.31), Some(18.01)),
        "{}",
        contact.body
    );
    let asked = geocoder.requests();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].user_agent, "crm-tests/1 (ops@test.example)");
    for (k, v) in [
        ("street", "Götgatan 1"),
        ("postalcode", "116 21"),
        ("city", "Stockholm"),
        ("countrycodes", "se"),
        ("format", "jsonv2"),
    ] {
        assert_eq!(asked[0].param(k), Some(v), "{k}: {asked:?}");
    }

    // An address the geocoder does not know, and a geocoder that fails: the lead is kept, routed
    // to the default office, and flagged with the reason.
    for (city, flag) in [("Nowhere", "geocode_not_found"), ("Broken", "geocode_failed")] {
        let (answer, _) = post_lead(
            &app,
            json!({"source_key": key, "name": format!("Client {city}"), "email": format!("{}@example.se", city.to_lowercase()), "street": "Storgatan 2", "city": city}),
            &[],
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
        let lead = app.get(&item(&answer.body["lead_id"]), &admin).await;
        assert_eq!(lead.body["flagged"], flag, "{}", lead.body);
        assert_eq!(
            lead.body["assignee_office_id"].as_str(),
            Some(app.admin.office_id.to_string().as_str()),
            "{}",
            lead.body
        );
    }

    // A known address is not asked again; a coordinate sent with the form is not looked up.
    let (again, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Sven Svensson", "email": "sven@example.se", "street": "Götgatan 1", "postal_code": "116 21", "city": "Stockholm"}),
        &[],
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.body);
    let (given, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Per Persson", "email": "per@example.se", "city": "Elsewhere", "lat": 59.35, "lon": 18.05}),
        &[],
    )
    .await;
    assert_eq!(given.status, 201, "{}", given.body);
    let asked = geocoder.requests();
    assert_eq!(asked.len(), 3, "{asked:?}");
    // At most one request per interval.
    for pair in asked.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(280), "{asked:?}");
    }

    // "Suggest a broker" for an address.
    let suggestion = app
        .get("/api/v1/focus-areas/suggest?street=G%C3%B6tgatan%201&city=Stockholm", &admin)
        .await;
    assert_eq!(suggestion.status, 200, "{}", suggestion.body);
    assert_eq!(suggestion.body["offices"][0]["name"], "Södermalm", "{}", suggestion.body);
    assert_eq!(suggestion.body["lat"].as_f64(), Some(59.31));
    let unknown = app.get("/api/v1/focus-areas/suggest?city=Nowhere", &admin).await;
    assert_eq!((unknown.status, unknown.code()), (422, "address_not_found"), "{}", unknown.body);
    let down = app.get("/api/v1/focus-areas/suggest?city=Broken", &admin).await;
    assert_eq!((down.status, down.code()), (503, "geocoder_unavailable"), "{}", down.body);
    let half = app.get("/api/v1/focus-areas/suggest?lat=59.3", &admin).await;
    assert_eq!((half.status, half.code()), (400, "coordinate_incomplete"), "{}", half.body);

    // Without a geocoder, an address alone is a clear 422.
    let plain = spawn_app(backend).await;
    let plain_admin = plain.admin_token().await;
    let off = plain.get("/api/v1/focus-areas/suggest?city=Stockholm", &plain_admin).await;
    assert_eq!((off.status, off.code()), (422, "geocoder_off"), "{}", off.body);
}

async fn leads_name_listings_by_reference(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let lars = broker(&app, &admin, "lars@test.example").await;
    let listing = |reference: Value, street: &str| json!({"reference": reference, "kind": "apartment", "status": "for_sale", "street": street, "city": "Stockholm", "broker_id": lars});
    // Numbered by the company's counter, skipping a number given by hand.
    let given = app.post("/api/v1/properties", &admin, &listing(json!("2"), "Götgatan 2")).await;
    assert_eq!((given.status, given.body["reference"].as_str()), (201, Some("2")), "{}", given.body);
    let first = app.post("/api/v1/properties", &admin, &listing(Value::Null, "Götgatan 1")).await;
    let second = app.post("/api/v1/properties", &admin, &listing(json!(""), "Götgatan 3")).await;
    assert_eq!(
        (first.body["reference"].as_str(), second.body["reference"].as_str()),
        (Some("1"), Some("3")),
        "{} {}",
        first.body,
        second.body
    );
    let named = app
        .post("/api/v1/properties", &admin, &listing(json!("SE-1042"), "Hornsgatan 7"))
        .await;
    assert_eq!(named.status, 201, "{}", named.body);
    // Taken, and not a reference: refused, naming the field; nothing changed.
    let taken = app
        .post("/api/v1/properties", &admin, &listing(json!("SE-1042"), "Ringvägen 1"))
        .await;
    assert_eq!(
        (taken.status, taken.body["field"].as_str()),
        (409, Some("reference")),
        "{}",
        taken.body
    );
    let id = named.body["id"].as_str().unwrap();
    let renamed = app
        .put(&format!("/api/v1/properties/{id}"), &admin, &listing(json!("2"), "Hornsgatan 7"))
        .await;
    assert_eq!(
        (renamed.status, renamed.body["field"].as_str()),
        (409, Some("reference")),
        "{}",
        renamed.body
    );
    let odd = app
        .post("/api/v1/properties", &admin, &listing(json!("<b>1</b>"), "Ringvägen 1"))
        .await;
    assert_eq!((odd.status, odd.code()), (422, "invalid_reference"), "{}", odd.body);
    let long = app
        .post("/api/v1/properties", &admin, &listing(json!("9".repeat(41)), "Ringvägen 1"))
        .await;
    assert_eq!(long.status, 422, "{}", long.body);
    // A change without a reference keeps it; the list finds a listing by it.
    let kept = app
        .put(&format!("/api/v1/properties/{id}"), &admin, &listing(Value::Null, "Hornsgatan 7"))
        .await;
    assert_eq!(
        (kept.status, kept.body["reference"].as_str()),
        (200, Some("SE-1042")),
        "{}",
        kept.body
    );
    let found = app.get("/api/v1/properties?reference=SE-1042", &admin).await;
    assert_eq!(found.body["items"].as_array().map(Vec::len), Some(1), "{}", found.body);
    assert_eq!(found.body["items"][0]["id"].as_str(), Some(id));

    // A website's lead names the listing by the reference it shows: to the listing's broker.
    let key = source(&app, &admin, "accept_or_decline").await["key"].as_str().unwrap().to_owned();
    let (lead, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Ulf Lundell", "email": "ulf@example.se", "listing_reference": "SE-1042"}),
        &[],
    )
    .await;
    assert_eq!(lead.status, 201, "{}", lead.body);
    let item = app
        .get(&format!("/api/v1/inbox/{}", lead.body["lead_id"].as_str().unwrap()), &admin)
        .await;
    assert_eq!(
        (item.body["property_id"].as_str(), item.body["assignee_user_id"].as_str()),
        (Some(id), Some(lars.as_str())),
        "{}",
        item.body
    );
    let (unknown, _) = post_lead(
        &app,
        json!({"source_key": key, "name": "Eva Dahlgren", "email": "eva@example.se", "listing_reference": "SE-9999"}),
        &[],
    )
    .await;
    assert_eq!(unknown.status, 201, "{}", unknown.body);
    let item = app
        .get(&format!("/api/v1/inbox/{}", unknown.body["lead_id"].as_str().unwrap()), &admin)
        .await;
    assert_eq!(item.body["flagged"], "unknown_listing", "{}", item.body);
}
