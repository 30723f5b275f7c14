//! Focus areas through the API: checked GeoJSON with errors that name the position, rights,
//! and "suggest a broker for this address", on SQLite and PostgreSQL.

use crm_tests::{Backend, on_both_databases, spawn_app};
use serde_json::{Value, json};

on_both_databases!(focus_areas_are_checked_and_suggest_brokers, focus_areas_belong_to_one_company);

fn square(x: f64, y: f64, side: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]]})
}

async fn focus_areas_are_checked_and_suggest_brokers(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    let office = app.admin.office_id.to_string();
    let broker = app
        .post(
            "/api/v1/users",
            &admin,
            &json!({"name": "Anna Berg", "email": "anna@test.example", "password": "password-123", "role": "broker", "office_id": office,
                    "permissions": {"work_with_clients": true, "offer_scope": "own", "demand_scope": "own", "export": false, "admin": false}}),
        )
        .await;
    let anna = broker.body["id"].as_str().unwrap().to_owned();

    // The office covers Södermalm; Anna, the distributor, a corner of it.
    let soder = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "Söder", "office_id": office, "geometry": square(18.0, 59.3, 0.1)}),
        )
        .await;
    assert_eq!(soder.status, 201, "{}", soder.body);
    assert_eq!(soder.body["geometry"]["type"], "MultiPolygon");
    assert_eq!(soder.body["bbox"], json!([18.0, 59.3, 18.1, 59.4]));
    let feature = json!({"type": "Feature", "properties": {"name": "Hornstull"}, "geometry": square(18.0, 59.3, 0.02)});
    let corner = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "Hornstull", "user_id": anna, "distributor": true, "geometry": feature}),
        )
        .await;
    assert_eq!(corner.status, 201, "{}", corner.body);
    assert_eq!(corner.body["office_id"].as_str(), Some(office.as_str()));

    let anna_token = app.login("anna@test.example", "password-123").await;
    let here = app.get("/api/v1/focus-areas/suggest?lat=59.31&lon=18.01", &anna_token).await;
    assert_eq!(here.status, 200, "{}", here.body);
    assert_eq!(here.body["users"][0]["user_id"].as_str(), Some(anna.as_str()));
    assert_eq!(here.body["users"][0]["distributor"], true);
    assert_eq!(here.body["offices"][0]["area"], "Söder");
    let elsewhere = app.get("/api/v1/focus-areas/suggest?lat=59.39&lon=18.09", &anna_token).await;
    assert_eq!(
        (
            elsewhere.body["users"].as_array().unwrap().len(),
            elsewhere.body["offices"][0]["area"].as_str()
        ),
        (0, Some("Söder"))
    );
    let nowhere = app.get("/api/v1/focus-areas/suggest?lat=10&lon=10", &anna_token).await;
    assert_eq!(nowhere.body, json!({"lat": 10.0, "lon": 10.0, "users": [], "offices": []}));
    let off_map = app.get("/api/v1/focus-areas/suggest?lat=95&lon=10", &anna_token).await;
    assert_eq!(off_map.status, 400);

    // Brokers read the areas; only administrators change them.
    assert_eq!(app.get("/api/v1/focus-areas", &anna_token).await.body.as_array().unwrap().len(), 2);
    let not_admin = app
        .post(
            "/api/v1/focus-areas",
            &anna_token,
            &json!({"name": "Mine", "user_id": anna, "geometry": square(0.0, 0.0, 1.0)}),
        )
        .await;
    assert_eq!(not_admin.status, 403);

    // Bad shapes: every error names where it is, and nothing is stored.
    let bad = |geometry: Value| {
        let app = &app;
        let admin = admin.clone();
        let office = office.clone();
        async move {
            app.post(
                "/api/v1/focus-areas",
                &admin,
                &json!({"name": "Bad", "office_id": office, "geometry": geometry}),
            )
            .await
        }
    };
    let open = bad(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]})).await;
    assert_eq!(
        (open.status, open.code(), open.body["field"].as_str()),
        (422, "ring_not_closed", Some("geometry.coordinates[0]"))
    );
    let bow_tie = bad(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})).await;
    assert_eq!(
        (bow_tie.code(), bow_tie.body["field"].as_str()),
        ("invalid_polygon", Some("geometry.coordinates"))
    );
    let far =
        bad(json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[0, 0], [500, 0], [1, 1], [0, 0]]]]}))
            .await;
    assert_eq!(
        (far.code(), far.body["field"].as_str()),
        ("bad_position", Some("geometry.coordinates[1][0][1]"))
    );
    let point = bad(json!({"type": "Point", "coordinates": [0, 0]})).await;
    assert_eq!(point.code(), "not_a_polygon");
    let garbage = bad(json!({"type": "Polygon", "coordinates": "nope"})).await;
    assert_eq!((garbage.status, garbage.code()), (422, "not_geojson"));
    // A big imported boundary (5,000 positions on a circle) is accepted; 20,001 are not.
    let circle = |n: usize| {
        let mut ring: Vec<Value> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                json!([18.0 + 0.1 * a.cos(), 59.0 + 0.1 * a.sin()])
            })
            .collect();
        ring.push(ring[0].clone());
        json!({"type": "Polygon", "coordinates": [ring]})
    };
    assert_eq!(bad(circle(5_000)).await.status, 201);
    let huge = bad(circle(20_001)).await;
    assert_eq!((huge.status, huge.code()), (422, "too_many"));
    let both = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "Both", "office_id": office, "user_id": anna, "geometry": square(0.0, 0.0, 1.0)}),
        )
        .await;
    assert_eq!(both.code(), "owner_required");
    let office_distributor = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "D", "office_id": office, "distributor": true, "geometry": square(0.0, 0.0, 1.0)}),
        )
        .await;
    assert_eq!(office_distributor.code(), "distributor_needs_user");
    assert_eq!(app.get("/api/v1/focus-areas", &admin).await.body.as_array().unwrap().len(), 3);

    // Replace and remove.
    let id = soder.body["id"].as_str().unwrap();
    let moved = app
        .put(
            &format!("/api/v1/focus-areas/{id}"),
            &admin,
            &json!({"name": "Söder", "office_id": office, "geometry": square(18.2, 59.3, 0.1)}),
        )
        .await;
    assert_eq!((moved.status, moved.body["bbox"][0].as_f64()), (200, Some(18.2)));
    let gone = app
        .request(reqwest::Method::DELETE, &format!("/api/v1/focus-areas/{id}"), Some(&admin), None)
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(app.get(&format!("/api/v1/focus-areas/{id}"), &admin).await.status, 404);
}

async fn focus_areas_belong_to_one_company(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
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
    let mine = app
        .post(
            "/api/v1/focus-areas",
            &admin,
            &json!({"name": "Mine", "office_id": app.admin.office_id, "geometry": square(18.0, 59.0, 1.0)}),
        )
        .await;
    let id = mine.body["id"].as_str().unwrap();
    assert_eq!(app.get(&format!("/api/v1/focus-areas/{id}"), &other).await.status, 404);
    assert_eq!(app.get("/api/v1/focus-areas", &other).await.body, json!([]));
    assert_eq!(
        app.get("/api/v1/focus-areas/suggest?lat=59.5&lon=18.5", &other).await.body["offices"],
        json!([])
    );
    let hijack = app
        .put(
            &format!("/api/v1/focus-areas/{id}"),
            &other,
            &json!({"name": "Theirs", "office_id": app.admin.office_id, "geometry": square(0.0, 0.0, 1.0)}),
        )
        .await;
    assert_eq!(hijack.status, 422, "another company's office is unknown here");
    let hijack = app
        .put(
            &format!("/api/v1/focus-areas/{id}"),
            &other,
            &json!({"name": "Theirs", "office_id": other_admin.office_id, "geometry": square(0.0, 0.0, 1.0)}),
        )
        .await;
    assert_eq!(hijack.status, 404);
    assert_eq!(app.get(&format!("/api/v1/focus-areas/{id}"), &admin).await.body["name"], "Mine");
}
