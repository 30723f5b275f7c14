//! End to end in headless Chromium: sign in, look up a caller, find nobody, create the contact
//! from the pre-filled form, and find it in the list. Needs the built SPA (frontend/dist),
//! `chromium` and `chromedriver`; screenshots go to target/e2e-screenshots.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crm_tests::{Backend, TestApp, spawn_app};
use fantoccini::{Client, ClientBuilder, Locator};

/// ChromeDriver and the profile folder of the browser it started.
struct Driver(Child, std::path::PathBuf);

impl Drop for Driver {
    fn drop(&mut self) {
        // A failed test never closes its session: make sure no browser outlives the test.
        let _ = Command::new("pkill").arg("-f").arg(self.1.as_os_str()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

async fn browser() -> (Driver, Client) {
    // Two TLS backends are linked in; WebDriver on localhost needs none, but rustls wants one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let profile = std::env::temp_dir().join(format!("crm-e2e-{}", uuid::Uuid::new_v4().simple()));
    let driver = Driver(
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)"),
        profile.clone(),
    );
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900", "--lang=en-GB", format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    for _ in 0..50 {
        if let Ok(client) = ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not start");
}

async fn shot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn value(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn wait_text(client: &Client, css: &str, needle: &str) {
    for _ in 0..100 {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && el.text().await.unwrap_or_default().contains(needle)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(client, "failure").await;
    panic!("'{needle}' never appeared in {css}");
}

async fn run(app: &TestApp, client: &Client) {
    client.goto(&format!("{}/login", app.address)).await.unwrap();
    client
        .wait()
        .for_element(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(&app.admin.email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(crm_tests::ADMIN_PASSWORD)
        .await
        .unwrap();
    shot(client, "01-login").await;
    client.find(Locator::Css("#sign-in")).await.unwrap().click().await.unwrap();
    wait_text(client, "nav.top", "Ada Admin").await;

    // The caller lookup: nobody by that name yet.
    client
        .find(Locator::Css("nav.top a[href='/lookup']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let input = client.wait().for_element(Locator::Css("#lookup-input")).await.unwrap();
    input.send_keys("Ingrid Sjöström").await.unwrap();
    // The test company is Swedish, so the SPA speaks Swedish; the typed name is quoted either way.
    wait_text(client, "#lookup-none", "Ingrid Sjöström").await;
    shot(client, "02-lookup-none").await;
    client.find(Locator::Css("#lookup-create")).await.unwrap().click().await.unwrap();

    // The form holds what was typed.
    client.wait().for_element(Locator::Css("#save-contact")).await.unwrap();
    assert_eq!(value(client, "#first_name").await, "Ingrid");
    assert_eq!(value(client, "#last_name").await, "Sjöström");
    client
        .find(Locator::Css("#phone"))
        .await
        .unwrap()
        .send_keys("070-987 65 43")
        .await
        .unwrap();
    client
        .find(Locator::Css("input#email"))
        .await
        .unwrap()
        .send_keys("ingrid@example.se")
        .await
        .unwrap();
    // A bad second phone is refused by the server next to its field, and nothing is saved.
    client.find(Locator::Css("#phone2")).await.unwrap().send_keys("12").await.unwrap();
    client.find(Locator::Css("#save-contact")).await.unwrap().click().await.unwrap();
    wait_text(client, "form", "'12' is not a valid phone number").await;
    shot(client, "03-form-error").await;
    // Deleted with the keyboard, as a user would (WebDriver's clear() fires no input event).
    client
        .find(Locator::Css("#phone2"))
        .await
        .unwrap()
        .send_keys("\u{E003}\u{E003}")
        .await
        .unwrap();
    client.find(Locator::Css("#save-contact")).await.unwrap().click().await.unwrap();
    wait_text(client, "#contact-name", "Ingrid Sjöström").await;
    wait_text(client, "#timeline", "Contact created").await;
    shot(client, "04-contact-card").await;

    // The list finds it, without diacritics and in any case.
    client
        .find(Locator::Css("nav.top a[href='/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#contact-search"))
        .await
        .unwrap()
        .send_keys("SJOSTROM")
        .await
        .unwrap();
    wait_text(client, "#contact-list", "Ingrid Sjöström").await;
    wait_text(client, "#contact-list", "+46709876543").await;
    shot(client, "05-list").await;

    // And the lookup now finds the caller by phone, typed another way.
    client
        .find(Locator::Css("nav.top a[href='/lookup']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .for_element(Locator::Css("#lookup-input"))
        .await
        .unwrap()
        .send_keys("+46 70 987 65 43")
        .await
        .unwrap();
    wait_text(client, "#lookup-matches", "Ingrid Sjöström").await;
    shot(client, "06-lookup-found").await;
}

#[tokio::test]
async fn sign_in_look_up_create_and_list() {
    assert!(
        crm_tests::static_dir().join("index.html").exists(),
        "build the SPA first: scripts/build-frontend.sh"
    );
    let app = spawn_app(Backend::Sqlite).await;
    let (_driver, client) = browser().await;
    run(&app, &client).await;
    client.close().await.unwrap();
    // What the browser did is in the database.
    let saved = app
        .store
        .lookup(
            &app.admin.viewer(),
            &crm_domain::contacts::LookupQuery::Name {
                words: vec!["ingrid".into()],
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].contact.data.emails[0].as_str(), "ingrid@example.se");
}
