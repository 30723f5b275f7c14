//! Sign-ins that last and end when they should: token rotation with a grace period for
//! concurrent refreshes, theft detection, the absolute lifetime, revocation on a password change
//! or deactivation; and the rate limits on signing in, refreshing, the caller lookup and API
//! keys. On SQLite and PostgreSQL.

use std::time::Duration;

use crm_tests::{ADMIN_PASSWORD, Backend, TestApp, on_both_databases, spawn_app, spawn_app_with};
use serde_json::json;

on_both_databases!(
    rotation_keeps_concurrent_refreshes_signed_in,
    a_spent_token_after_the_grace_period_ends_the_sign_in,
    sign_out_and_the_absolute_lifetime_end_a_sign_in,
    a_password_change_ends_every_other_sign_in,
    deactivation_ends_sign_ins,
    sign_in_is_rate_limited_per_account_and_address,
    lookup_refresh_and_api_keys_are_rate_limited,
);

async fn rotation_keeps_concurrent_refreshes_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let login = app.sign_in(&app.admin.email.to_uppercase(), ADMIN_PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["token_type"], "Bearer");
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();

    // A page sending three requests at once, each finding the access token expired: three
    // refreshes with the same token. All succeed with the same new pair.
    let (a, b, c) = tokio::join!(app.refresh(&first), app.refresh(&first), app.refresh(&first));
    for r in [&a, &b, &c] {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let next = a.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, first);
    assert_eq!(b.body["refresh_token"], a.body["refresh_token"]);
    assert_eq!(c.body["refresh_token"], a.body["refresh_token"]);
    let me = app.get("/api/v1/me", c.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, 200);
    // Still signed in: the new token rotates on.
    let later = app.refresh(&next).await;
    assert_eq!(later.status, 200, "{}", later.body);
    // The first token, replayed within the grace period, follows the chain to the live token.
    let replay = app.refresh(&first).await;
    assert_eq!(replay.body["refresh_token"], later.body["refresh_token"]);
}

async fn a_spent_token_after_the_grace_period_ends_the_sign_in(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.refresh_grace = Duration::from_millis(300)).await;
    let login = app.sign_in(&app.admin.email, ADMIN_PASSWORD).await;
    let first = login.body["refresh_token"].as_str().unwrap().to_owned();
    let rotated = app.refresh(&first).await;
    let second = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Presented again long after its rotation: a stolen token. Refused, and the sign-in ends.
    let reuse = app.refresh(&first).await;
    assert_eq!((reuse.status, reuse.code()), (401, "invalid_credentials"));
    assert_eq!(app.refresh(&second).await.status, 401, "the whole sign-in is revoked");
    // A forged or malformed token is simply refused.
    assert_eq!(app.refresh("rt.x.y.z").await.status, 401);
    let last = if second.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &second[..second.len() - 1]);
    assert_eq!(app.refresh(&forged).await.status, 401);
}

async fn sign_out_and_the_absolute_lifetime_end_a_sign_in(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.session_max = Duration::from_secs(2)).await;
    let token = app.sign_in(&app.admin.email, ADMIN_PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": token})),
        )
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(app.refresh(&token).await.status, 401);

    // However often it is refreshed, a sign-in ends after its absolute lifetime.
    let mut token = app.sign_in(&app.admin.email, ADMIN_PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        let r = app.refresh(&token).await;
        assert_eq!(r.status, 200);
        token = r.body["refresh_token"].as_str().unwrap().to_owned();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(app.refresh(&token).await.status, 401);
}

async fn make_broker(app: &TestApp, admin: &str, email: &str) -> serde_json::Value {
    let a = app
        .post(
            "/api/v1/users",
            admin,
            &json!({"name": "Bea Broker", "email": email, "password": "password-123", "role": "broker", "office_id": app.admin.office_id,
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

async fn a_password_change_ends_every_other_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    make_broker(&app, &admin, "bea@test.example").await;
    let laptop = app.sign_in("bea@test.example", "password-123").await;
    let phone = app.sign_in("bea@test.example", "password-123").await;
    let phone_access = phone.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &phone_access).await.status, 200);

    let laptop_access = laptop.body["access_token"].as_str().unwrap();
    let wrong = app
        .post(
            "/api/v1/me/password",
            laptop_access,
            &json!({"current_password": "not-it-at-all", "new_password": "new-password-456"}),
        )
        .await;
    assert_eq!((wrong.status, wrong.code()), (422, "wrong_password"));
    let weak = app
        .post(
            "/api/v1/me/password",
            laptop_access,
            &json!({"current_password": "password-123", "new_password": "short"}),
        )
        .await;
    assert_eq!((weak.status, weak.code()), (422, "weak_password"));
    let changed = app
        .post(
            "/api/v1/me/password",
            laptop_access,
            &json!({"current_password": "password-123", "new_password": "new-password-456"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    // The phone's sign-in is over, access token and refresh token alike.
    assert_eq!(app.get("/api/v1/me", &phone_access).await.status, 401);
    assert_eq!(app.refresh(phone.body["refresh_token"].as_str().unwrap()).await.status, 401);
    assert_eq!(app.refresh(laptop.body["refresh_token"].as_str().unwrap()).await.status, 401);
    // The laptop continues with the pair it got back.
    assert_eq!(
        app.get("/api/v1/me", changed.body["access_token"].as_str().unwrap()).await.status,
        200
    );
    assert_eq!(app.refresh(changed.body["refresh_token"].as_str().unwrap()).await.status, 200);
    assert_eq!(app.sign_in("bea@test.example", "password-123").await.status, 401);
    assert_eq!(app.sign_in("bea@test.example", "new-password-456").await.status, 200);
}

async fn deactivation_ends_sign_ins(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let bea = make_broker(&app, &admin, "bea@test.example").await;
    let session = app.sign_in("bea@test.example", "password-123").await;
    let access = session.body["access_token"].as_str().unwrap().to_owned();
    let mut change = bea.clone();
    change["active"] = json!(false);
    let r = app
        .put(&format!("/api/v1/users/{}", bea["id"].as_str().unwrap()), &admin, &change)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false, "{}", r.body);
    assert_eq!(app.get("/api/v1/me", &access).await.status, 401);
    assert_eq!(app.refresh(session.body["refresh_token"].as_str().unwrap()).await.status, 401);
    assert_eq!(app.sign_in("bea@test.example", "password-123").await.status, 401);
    // Reactivated, the user signs in again; the old sign-in stays over.
    change["active"] = json!(true);
    app.put(&format!("/api/v1/users/{}", bea["id"].as_str().unwrap()), &admin, &change)
        .await;
    assert_eq!(app.get("/api/v1/me", &access).await.status, 401);
    assert_eq!(app.sign_in("bea@test.example", "password-123").await.status, 200);
}

async fn sign_in_is_rate_limited_per_account_and_address(backend: Backend) {
    use crm_api::config::RateLimit;
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.login_account = Some(RateLimit {
            burst: 5,
            per: Duration::from_secs(60),
        });
    })
    .await;
    // 50 wrong passwords at once: the first few are checked, the rest refused unchecked.
    let attempts: Vec<_> = (0..50).map(|_| app.sign_in(&app.admin.email, "wrong-password-x")).collect();
    let answers = futures::future::join_all(attempts).await;
    let checked = answers.iter().filter(|a| a.status == 401).count();
    let limited: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(checked, 5, "per account");
    assert_eq!(limited.len(), 45);
    assert_eq!(limited[0].code(), "rate_limited");
    // Even the right password waits now.
    assert_eq!(app.sign_in(&app.admin.email, ADMIN_PASSWORD).await.status, 429);
    // Other accounts from one address: limited per address.
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.login_address = Some(RateLimit {
            burst: 6,
            per: Duration::from_secs(60),
        });
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        statuses.push(app.sign_in(&format!("nobody{i}@test.example"), "whatever-123").await.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 6, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");
    let r = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .json(&json!({"email": "x@test.example", "password": "whatever-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

async fn lookup_refresh_and_api_keys_are_rate_limited(backend: Backend) {
    use crm_api::config::RateLimit;
    let app = spawn_app_with(backend, |c| {
        c.rate_limits.lookup = Some(RateLimit {
            burst: 3,
            per: Duration::from_secs(60),
        });
        c.rate_limits.refresh = Some(RateLimit {
            burst: 2,
            per: Duration::from_secs(60),
        });
        c.rate_limits.api_key = Some(RateLimit {
            burst: 4,
            per: Duration::from_secs(60),
        });
    })
    .await;
    let admin = app.admin_token().await;
    let lookups: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..5 {
            v.push(app.get("/api/v1/contacts/lookup?q=anna", &admin).await.status);
        }
        v
    };
    assert_eq!(lookups, [200, 200, 200, 429, 429]);
    // Other endpoints are not affected.
    assert_eq!(app.get("/api/v1/contacts", &admin).await.status, 200);

    let refresh = app.sign_in(&app.admin.email, ADMIN_PASSWORD).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = app.refresh(&refresh).await;
    assert_eq!(first.status, 200);
    let second = app.refresh(first.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(second.status, 200);
    assert_eq!(app.refresh(second.body["refresh_token"].as_str().unwrap()).await.status, 429);

    let key = app.post("/api/v1/api-keys", &admin, &json!({"name": "Website"})).await;
    let secret = key.body["secret"].as_str().unwrap().to_owned();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(app.get("/api/v1/me", &secret).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    // A wrong secret for that key does not spend its quota (and is refused as such).
    // The last character changed (to one it is not).
    let last = if secret.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &secret[..secret.len() - 1]);
    assert_eq!(app.get("/api/v1/me", &forged).await.status, 401);
}
