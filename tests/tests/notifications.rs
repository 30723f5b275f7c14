//! Messages to clients through the running server's job runner, on SQLite and PostgreSQL: the
//! one-click unsubscribe (RFC 8058) in every message to a contact, and text messages through an
//! HTTP SMS gateway (46elks and Twilio presets) that refuses first and then accepts; notices to
//! users in the app, by email and by SMS as each user chose per kind.

use std::time::Duration;

use crm_jobs::sms::SmsGateway;
use crm_tests::{Backend, TestApp, on_both_databases, sms_server, smtp_server, spawn_app_with};
use serde_json::{Value, json};

on_both_databases!(
    messages_to_clients_carry_a_one_click_unsubscribe,
    texts_reach_the_gateway_once_after_it_refused,
    notices_reach_users_through_the_channels_they_chose,
);

async fn broker_with_client(app: &TestApp, email: Option<&str>) -> (String, String, String) {
    let admin = app.admin_token().await;
    let u = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"name": "Anna Berg", "email": "anna@test.example", "password": "password-123", "role": "broker", "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.body);
    let token = app.login("anna@test.example", "password-123").await;
    let mut body = json!({"kind": "standard", "first_name": "Eva", "last_name": "Ek", "phones": ["070-123 45 67"]});
    if let Some(e) = email {
        body["emails"] = json!([e]);
    }
    let c = app.post("/api/v1/contacts", &token, &body).await;
    let p = app
        .post(
            "/api/v1/properties",
            &token,
            &json!({"kind": "house", "status": "customer_processing", "street": "Ekvägen 3", "city": "Täby"}),
        )
        .await;
    (
        token,
        c.body["id"].as_str().unwrap().to_owned(),
        p.body["id"].as_str().unwrap().to_owned(),
    )
}

async fn book(app: &TestApp, token: &str, contact: &str, listing: &str, confirmation: &str) -> Value {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(5);
    let m = app
        .post(
            "/api/v1/meetings",
            token,
            &json!({"contact_id": contact, "property_id": listing, "starts_at": format!("{day}T10:00"), "confirmation": confirmation}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    m.body
}

/// The value of a header in a raw message (folded lines joined).
fn header(mail: &str, name: &str) -> Option<String> {
    let unfolded = mail.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        l.split_once(':')
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    })
}

async fn messages_to_clients_carry_a_one_click_unsubscribe(backend: Backend) {
    let smtp = smtp_server().await;
    let app = spawn_app_with(backend, |c| c.jobs.smtp_url = Some(smtp.url.clone())).await;
    let (anna, eva, listing) = broker_with_client(&app, Some("eva@client.example")).await;
    book(&app, &anna, &eva, &listing, "email").await;
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    let link = header(&mails[0], "List-Unsubscribe").expect("a List-Unsubscribe header");
    assert_eq!(
        header(&mails[0], "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let url = link.trim_start_matches('<').trim_end_matches('>').to_owned();
    assert!(url.starts_with(&format!("{}/api/v1/public/unsubscribe/", app.address)), "{url}");

    // Opening the link (as a link checker would) changes nothing; it shows one button.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    assert_eq!(app.get(&format!("/api/v1/contacts/{eva}"), &anna).await.body["opted_out"], false);

    // The mail client's one-click POST opts out, once: the broker gets one task.
    for _ in 0..2 {
        let done = app
            .client
            .post(&url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
    }
    assert_eq!(app.get(&format!("/api/v1/contacts/{eva}"), &anna).await.body["opted_out"], true);
    let tasks = app.get("/api/v1/tasks?kind=unsubscribe", &anna).await;
    assert_eq!(tasks.body["items"].as_array().unwrap().len(), 1, "{}", tasks.body);
    assert_eq!(tasks.body["items"][0]["title"], "Eva Ek unsubscribed from emails");
    let timeline = app.get(&format!("/api/v1/contacts/{eva}/timeline"), &anna).await;
    assert!(
        timeline.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"] == "Unsubscribed from automatic emails")
    );

    // A forged or altered link is refused and opts nobody out.
    let forged = format!("{}0", &url[..url.len() - 1]);
    let forged = if forged == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        forged
    };
    assert_eq!(app.client.post(&forged).send().await.unwrap().status(), 404);
    assert_eq!(
        app.client
            .get(format!("{}/api/v1/public/unsubscribe/nonsense", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A confirmation the client asks for still goes to them; the broker was told by email too
    // (her "notify me by email" is on).
    book(&app, &anna, &eva, &listing, "email").await;
    let mails = smtp.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 3, "{mails:?}");
    assert_eq!(
        mails.iter().filter(|m| m.contains("To: eva@client.example")).count(),
        2,
        "{mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: anna@test.example") && m.contains("unsubscribed")),
        "{mails:?}"
    );
}

async fn texts_reach_the_gateway_once_after_it_refused(backend: Backend) {
    for (provider, path, to, from, text) in [
        ("46elks", "/a1/sms", "to", "from", "message"),
        ("twilio", "/2010-04-01/Accounts/AC123/Messages.json", "To", "From", "Body"),
    ] {
        let gateway = sms_server(2).await;
        let preset = SmsGateway::preset(provider, if provider == "twilio" { "AC123" } else { "u-api" }, "secret", "Maklarna").unwrap();
        let url = preset
            .url
            .replace("https://api.46elks.com", &gateway.url)
            .replace("https://api.twilio.com", &gateway.url);
        let app = spawn_app_with(backend, |c| {
            c.jobs.retry_base = Duration::from_millis(200);
            c.jobs.retry_max = Duration::from_millis(400);
            c.jobs.sms = Some(SmsGateway { url, ..preset.clone() });
        })
        .await;
        let (anna, eva, listing) = broker_with_client(&app, None).await;
        let booked = book(&app, &anna, &eva, &listing, "sms").await;
        assert_eq!(booked["not_sent"], json!([]), "{booked}");
        let taken = gateway.wait_for(1, Duration::from_secs(20)).await;
        assert_eq!(taken.len(), 1, "{:?}", gateway.requests());
        // Never twice, even after more polls.
        tokio::time::sleep(Duration::from_millis(800)).await;
        let all = gateway.requests();
        assert_eq!(all.iter().filter(|r| r.accepted).count(), 1, "{all:?}");
        assert_eq!(all.iter().filter(|r| !r.accepted).count(), 2, "refused twice, then taken");
        let sms = &taken[0];
        assert_eq!(sms.path, path);
        assert_eq!(sms.field(to), Some("+46701234567"));
        assert_eq!(sms.field(from), Some("Maklarna"));
        let message = sms.field(text).unwrap_or_default();
        assert!(message.contains("Test Brokers") && message.contains("10:00"), "{message}");
        assert!(message.contains("/api/v1/public/unsubscribe/"), "{message}");
        let user = if provider == "twilio" { "AC123" } else { "u-api" };
        let basic = format!("Basic {}", base64_encode(&format!("{user}:secret")));
        assert_eq!(sms.authorization, basic);
    }
}

fn base64_encode(text: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn notices_reach_users_through_the_channels_they_chose(backend: Backend) {
    let smtp = smtp_server().await;
    let gateway = sms_server(0).await;
    let preset = SmsGateway::preset("46elks", "u", "p", "CRM").unwrap();
    let sms_url = preset.url.replace("https://api.46elks.com", &gateway.url);
    let app = spawn_app_with(backend, |c| {
        c.jobs.smtp_url = Some(smtp.url.clone());
        c.jobs.sms = Some(SmsGateway {
            url: sms_url,
            ..preset.clone()
        });
    })
    .await;
    let (anna, eva, _) = broker_with_client(&app, None).await;
    let admin = app.admin_token().await;
    let l = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"name": "Lars Holm", "email": "lars@test.example", "password": "password-123", "role": "broker", "office_id": app.admin.office_id, "locale": "en-GB",
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    let lars_id = l.body["id"].as_str().unwrap().to_owned();
    let lars = app.login("lars@test.example", "password-123").await;

    // Defaults: everything in the app, nothing by SMS.
    let defaults = app.get("/api/v1/me/notices", &lars).await;
    assert_eq!(defaults.body["kinds"].as_array().unwrap().len(), 5, "{}", defaults.body);
    assert!(
        defaults.body["kinds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["in_app"] == true && k["sms"] == false)
    );
    // Lars wants tips in the app and by SMS, callbacks by email only.
    let chosen = app
        .put(
            "/api/v1/me/notices",
            &lars,
            &json!({"phone": "070-765 43 21", "kinds": [
                {"kind": "tip", "in_app": true, "email": false, "sms": true},
                {"kind": "callback", "in_app": false, "email": true, "sms": false}]}),
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert_eq!(chosen.body["phone"], "+46707654321");
    let bad = app
        .put(
            "/api/v1/me/notices",
            &lars,
            &json!({"kinds": [{"kind": "gossip", "in_app": true, "email": false, "sms": false}]}),
        )
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("kinds")));
    let bad = app.put("/api/v1/me/notices", &lars, &json!({"kinds": [], "phone": "12"})).await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (422, Some("phone")));

    let tip = app
        .post(
            &format!("/api/v1/contacts/{eva}/tips"),
            &anna,
            &json!({"to_user_id": lars_id, "note": "wants to sell"}),
        )
        .await;
    assert_eq!(tip.status, 201, "{}", tip.body);
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(3);
    let cb = app
        .post(
            "/api/v1/callbacks",
            &anna,
            &json!({"contact_id": eva, "date": day.to_string(), "assignee_id": lars_id}),
        )
        .await;
    assert_eq!(cb.status, 201, "{}", cb.body);

    // The bell: the tip only (callbacks come by email).
    assert_eq!(app.get("/api/v1/notifications/counts", &lars).await.body["unread"], 1);
    let list = app.get("/api/v1/notifications", &lars).await;
    assert_eq!(list.body["items"][0]["title"], "Anna Berg sent you a tip: Eva Ek", "{}", list.body);
    assert_eq!(list.body["items"][0]["link"], "/inbox");
    let texts = gateway.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(texts[0].field("to"), Some("+46707654321"));
    assert!(texts[0].field("message").unwrap_or_default().contains("Anna Berg sent you a tip"));
    let mails = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("lars@test.example") && m.contains("planned a callback")),
        "{mails:?}"
    );
    // Anna's own bell is quiet: nothing was for her.
    assert_eq!(app.get("/api/v1/notifications/counts", &anna).await.body["unread"], 0);
    let r = app.post("/api/v1/notifications/read", &lars, &json!({"all": true})).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get("/api/v1/notifications/counts", &lars).await.body["unread"], 0);
    let empty = app.post("/api/v1/notifications/read", &lars, &json!({})).await;
    assert_eq!(empty.status, 422);
}
