//! End to end in headless Chromium against `crm serve` as shipped (the built SPA in
//! frontend/dist): a Czech broker signs in and the app speaks Czech; looks up a caller, finds
//! nobody and creates the contact from the pre-filled form; stays signed in past the access
//! token's lifetime on pages that send several requests at once; creates a listing with that
//! contact as seller; exports the contacts; switches to English; and opens the API docs, served
//! by the app itself. Needs `chromium` and `chromedriver`; screenshots go to
//! target/e2e-screenshots.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crm_tests::{Backend, CrmProcess, crm_command, fresh_database};
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

async fn browser(downloads: &std::path::Path) -> (Driver, Client) {
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
                     "--disable-component-update", "--disable-sync", "--window-size=1280,900", "--lang=en-GB", format!("--user-data-dir={}", profile.display())],
            "prefs": {"download.default_directory": downloads.display().to_string(), "download.prompt_for_download": false}
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
    for _ in 0..150 {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && el.text().await.unwrap_or_default().contains(needle)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shot(client, "failure").await;
    let body = client.find(Locator::Css("body")).await.unwrap().text().await.unwrap_or_default();
    panic!("'{needle}' never appeared in {css}; the page says: {body}");
}

/// Clicks the element; when the SPA re-renders it between finding and clicking (a list that
/// reloads after a change), finds it again.
async fn click(client: &Client, css: &str) {
    for attempt in 0.. {
        let element = client.wait().for_element(Locator::Css(css)).await.unwrap();
        match element.click().await {
            Ok(()) => return,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference && attempt < 20 =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("clicking {css}: {e:?}"),
        }
    }
}

async fn type_into(client: &Client, css: &str, text: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// An access token of Jana, the company's administrator, for what the test sets up through the
/// API beside the browser.
async fn jana_token(http: &reqwest::Client, address: &str) -> String {
    let login: serde_json::Value = http
        .post(format!("{address}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "jana@brno.example", "password": "jana-password-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"].as_str().unwrap().to_owned()
}

async fn run(address: &str, client: &Client, downloads: &std::path::Path) {
    client.goto(&format!("{address}/login")).await.unwrap();
    type_into(client, "#email", "jana@brno.example").await;
    type_into(client, "#password", "jana-password-1").await;
    shot(client, "01-login").await;
    click(client, "#sign-in").await;
    // A Czech company: the app speaks Czech.
    wait_text(client, "nav.top", "Jana Nováková").await;
    wait_text(client, "nav.top", "Kontakty").await;

    // The caller lookup: nobody by that name yet.
    click(client, "nav.top a[href='/lookup']").await;
    type_into(client, "#lookup-input", "Ingrid Sjöström").await;
    wait_text(client, "#lookup-none", "Ingrid Sjöström").await;
    shot(client, "02-lookup-none").await;
    click(client, "#lookup-create").await;

    // The form holds what was typed.
    client.wait().for_element(Locator::Css("#save-contact")).await.unwrap();
    assert_eq!(value(client, "#first_name").await, "Ingrid");
    assert_eq!(value(client, "#last_name").await, "Sjöström");
    type_into(client, "#phone", "601 234 567").await;
    type_into(client, "input#email", "ingrid@example.cz").await;
    // A bad second phone is refused by the server next to its field, and nothing is saved.
    type_into(client, "#phone2", "12").await;
    click(client, "#save-contact").await;
    wait_text(client, "form", "'12'").await;
    shot(client, "03-form-error").await;
    // Deleted with the keyboard, as a user would (WebDriver's clear() fires no input event).
    type_into(client, "#phone2", "\u{E003}\u{E003}").await;
    click(client, "#save-contact").await;
    wait_text(client, "#contact-name", "Ingrid Sjöström").await;
    // History is told in the reader's language.
    wait_text(client, "#timeline", "Kontakt vytvořen").await;
    shot(client, "04-contact-card").await;

    // The list finds it, without diacritics and in any case.
    click(client, "nav.top a[href='/contacts']").await;
    type_into(client, "#contact-search", "SJOSTROM").await;
    wait_text(client, "#contact-list", "Ingrid Sjöström").await;
    wait_text(client, "#contact-list", "+420601234567").await;
    wait_text(client, "#contact-total", "1 kontakt").await;
    shot(client, "05-list").await;

    // The access token lives 10 seconds. Past it, pages that send several requests at once
    // (lists, filters, counts) refresh once and go on: still signed in.
    tokio::time::sleep(Duration::from_secs(12)).await;
    click(client, "nav.top a[href='/listings']").await;
    client.wait().for_element(Locator::Css("#new-listing")).await.unwrap();
    click(client, "nav.top a[href='/contacts']").await;
    wait_text(client, "#contact-list", "Ingrid Sjöström").await;
    assert!(client.current_url().await.unwrap().path() != "/login");
    tokio::time::sleep(Duration::from_secs(11)).await;
    client.refresh().await.unwrap();
    wait_text(client, "nav.top", "Jana Nováková").await;
    wait_text(client, "#contact-list", "Ingrid Sjöström").await;
    shot(client, "06-still-signed-in").await;

    // A listing, with the new contact as its seller.
    click(client, "nav.top a[href='/listings']").await;
    click(client, "#new-listing").await;
    type_into(client, "#street", "Masarykova 12").await;
    type_into(client, "#city", "Brno").await;
    type_into(client, "#price", "5400000").await;
    type_into(client, "#living_area", "68").await;
    shot(client, "07-listing-form").await;
    click(client, "#save-listing").await;
    wait_text(client, "#listing-title", "Masarykova 12, Brno").await;
    type_into(client, "#party-search", "ingrid").await;
    wait_text(client, "#party-search-choices", "Ingrid Sjöström").await;
    click(client, "#party-search-choices button").await;
    wait_text(client, "#listing-parties", "Ingrid Sjöström").await;
    wait_text(client, "#listing-parties", "Prodávající").await;
    shot(client, "08-listing").await;
    click(client, "#listing-parties a").await;
    wait_text(client, "#contact-listings", "Masarykova 12, Brno").await;

    // Calling Ingrid: nobody answers. The card counts the call and takes no second one today.
    click(client, "#outcome-no_answer").await;
    click(client, "#call-save").await;
    wait_text(client, "#call-counts", "Hovory: 1").await;
    wait_text(client, "#called-today", "zítra").await;
    // A tag, in the company's words, on the card and the timeline.
    click(client, "#tag-selling_own_home").await;
    wait_text(client, "#timeline", "Prodává vlastní bydlení").await;
    shot(client, "08b-call-card").await;

    // Ingrid calls in: the telephone system tells the server, and the app opens her card.
    let http = crm_tests::http_client();
    let rang = http
        .post(format!("{address}/api/v1/calls/incoming"))
        .bearer_auth(jana_token(&http, address).await)
        .json(&serde_json::json!({"from": "+420 601 234 567", "email": "jana@brno.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rang.status(), 201);
    wait_text(client, "#incoming-call", "+420601234567").await;
    wait_text(client, "#lookup-matches", "Ingrid Sjöström").await;
    shot(client, "08c-incoming-call").await;
    click(client, "#lookup-matches a").await;
    wait_text(client, "#timeline", "Příchozí hovor").await;

    // A call list filled from a selection in one action, worked beside its script: Ingrid was
    // called today already, so nobody is left for today. The report counts the call.
    click(client, "#nav-call-lists").await;
    type_into(client, "#list-name", "Jarní obvolávka").await;
    type_into(client, "#list-instructions", "Pozdravit, zeptat se na plány, nabídnout ocenění.").await;
    click(client, "#create-list").await;
    wait_text(client, "#call-lists", "Jarní obvolávka").await;
    click(client, "#call-lists details.fill summary").await;
    type_into(client, "#fill-q", "ingrid").await;
    click(client, "#call-lists button[id^='fill-']").await;
    wait_text(client, ".fill-result", "Přidáno 1").await;
    shot(client, "08d-call-lists").await;
    click(client, "#call-lists a[id^='work-']").await;
    wait_text(client, "#list-script", "nabídnout ocenění").await;
    wait_text(client, "#list-empty", "Dnes").await;
    click(client, "#nav-reports").await;
    wait_text(client, "#report-callers", "Jana Nováková").await;
    shot(client, "08e-report").await;
    client.back().await.unwrap();
    client.back().await.unwrap();
    client.back().await.unwrap();
    wait_text(client, "#contact-listings", "Masarykova 12, Brno").await;

    // A tip about Ingrid to the office's shark tank; taken from it and accepted with the
    // listing linked.
    click(client, "details.tip summary").await;
    click(client, "#tip-to option[value^='office:']").await;
    type_into(client, "#tip-note", "Chce prodat byt").await;
    click(client, "#tip-submit").await;
    wait_text(client, "#timeline", "Chce prodat byt").await;
    click(client, "nav.top a[href='/inbox']").await;
    let which = client.wait().for_element(Locator::Css("#inbox-box")).await.unwrap();
    which.select_by_value("tank").await.unwrap();
    wait_text(client, "#inbox-items", "Ingrid Sjöström").await;
    click(client, "#inbox-items button.claim").await;
    let which = client.wait().for_element(Locator::Css("#inbox-box")).await.unwrap();
    which.select_by_value("mine").await.unwrap();
    wait_text(client, "#inbox-items", "Chce prodat byt").await;
    for _ in 0..50 {
        if client
            .find_all(Locator::Css("#inbox-items select.accept-listing option"))
            .await
            .unwrap()
            .len()
            > 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listing = client
        .wait()
        .for_element(Locator::Css("#inbox-items select.accept-listing"))
        .await
        .unwrap();
    listing.select_by_index(1).await.unwrap();
    click(client, "#inbox-items button.accept").await;
    wait_text(client, "#inbox-items", "Rozhodl(a) Jana Nováková").await;
    shot(client, "09-inbox").await;

    // A second tip, accepted with a listing made in the same step: Ingrid becomes its seller,
    // and the listing gets the company's next reference.
    click(client, "#inbox-items a[href^='/contacts/']").await;
    click(client, "details.tip summary").await;
    click(client, "#tip-to option[value^='office:']").await;
    type_into(client, "#tip-note", "Také chata u Brna").await;
    click(client, "#tip-submit").await;
    wait_text(client, "#timeline", "Také chata u Brna").await;
    click(client, "nav.top a[href='/inbox']").await;
    let which = client.wait().for_element(Locator::Css("#inbox-box")).await.unwrap();
    which.select_by_value("tank").await.unwrap();
    wait_text(client, "#inbox-items", "Také chata u Brna").await;
    click(client, "#inbox-items button.claim").await;
    let which = client.wait().for_element(Locator::Css("#inbox-box")).await.unwrap();
    which.select_by_value("mine").await.unwrap();
    wait_text(client, "#inbox-items", "Také chata u Brna").await;
    click(client, "#inbox-items button.new-listing").await;
    let kind = client.wait().for_element(Locator::Css(".new-listing-kind")).await.unwrap();
    kind.select_by_value("cottage").await.unwrap();
    type_into(client, ".new-listing-street", "Údolní 5").await;
    type_into(client, ".new-listing-city", "Brno").await;
    shot(client, "09b-accept-new-listing").await;
    click(client, "button.accept-new").await;
    for _ in 0..50 {
        if client
            .find_all(Locator::Css("#inbox-items button.new-listing"))
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        client
            .find_all(Locator::Css("#inbox-items button.new-listing"))
            .await
            .unwrap()
            .is_empty(),
        "the tip was accepted"
    );
    click(client, "nav.top a[href='/listings']").await;
    wait_text(client, "#listing-list", "Údolní 5, Brno").await;
    click(client, "#listing-list a[href^='/listings/']").await;
    wait_text(client, "#listing-title", "Údolní 5, Brno").await;
    wait_text(client, "#listing-parties", "Ingrid Sjöström").await;
    wait_text(client, ".listing-card dl", "Číslo zakázky").await;

    // A viewing of the listing today with Ingrid, who came, and her bid.
    type_into(client, "#viewing-contact", "ingrid").await;
    wait_text(client, "#viewing-contact-choices", "Ingrid Sjöström").await;
    click(client, "#viewing-contact-choices button").await;
    wait_text(client, "#viewing-form", "Ingrid Sjöström").await;
    click(client, "#book-viewing").await;
    wait_text(client, "#viewing-list", "Ingrid Sjöström").await;
    click(client, "#viewing-list button.attended").await;
    wait_text(client, "#viewing-list", "přišel").await;
    type_into(client, "#bid-contact", "ingrid").await;
    wait_text(client, "#bid-contact-choices", "Ingrid Sjöström").await;
    click(client, "#bid-contact-choices button").await;
    type_into(client, "#bid-amount", "5200000").await;
    click(client, "#place-bid").await;
    wait_text(client, "#bid-list", "Kč").await;
    wait_text(client, "#bid-list", "aktivní").await;
    shot(client, "09c-viewing-and-bid").await;

    // A customer meeting booked from Ingrid's card in three steps: the suggested objects are the
    // listings she sells in customer processing; confirmed to her by email.
    click(client, "#listing-parties a").await;
    click(client, "#open-meeting").await;
    client.wait().for_element(Locator::Css("#booking-agenda")).await.unwrap();
    shot(client, "09d-meeting-step-1").await;
    click(client, "#meeting-next-1").await;
    wait_text(client, "#book-meeting", "Údolní 5, Brno").await;
    wait_text(client, "#book-meeting", "Masarykova 12, Brno").await;
    click(client, "#meeting-next-2").await;
    click(client, "#confirm-email").await;
    click(client, "#meeting-save").await;
    wait_text(client, "#meeting-booked", "Schůzka domluvena").await;
    wait_text(client, "#meeting-list", "Masarykova 12, Brno").await;
    wait_text(client, "#timeline", "Schůzka domluvena").await;
    // Held without an assignment; the callback that follows it up takes its listing.
    click(client, "#meeting-list button.held-no").await;
    wait_text(client, "#meeting-list", "Proběhla: bez zakázky").await;
    click(client, "#meeting-list button.follow-up").await;
    wait_text(client, "#callback-following", "Masarykova 12, Brno").await;
    // A callback at a time of day (set as a user picking it would; typing into a time field
    // depends on the browser's locale).
    client
        .execute(
            "const e = document.querySelector('#callback-time'); e.value = '09:30'; e.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
    click(client, "#plan-callback-save").await;
    wait_text(client, "#callback-planned", "9:30").await;
    shot(client, "09e-meeting-and-callback").await;

    // The start page: one list with the follow-up of the viewing and the callback.
    click(client, "#nav-start").await;
    wait_text(client, "#task-list", "Ingrid Sjöström").await;
    wait_text(client, "#task-list", "Zavolat zpět").await;
    shot(client, "09f-start-page").await;
    // The week: the meeting and the viewing.
    click(client, "nav.top a[href='/calendar']").await;
    click(client, "#calendar-week").await;
    wait_text(client, "#calendar", "Ingrid Sjöström").await;
    wait_text(client, "#calendar", "Údolní 5, Brno").await;
    shot(client, "09g-calendar-week").await;
    // A busy day: the month shows its first bookings and links the rest to that day's week.
    let http = crm_tests::http_client();
    let token = jana_token(&http, address).await;
    let found: serde_json::Value = http
        .get(format!("{address}/api/v1/contacts?q=Sj%C3%B6str%C3%B6m"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ingrid = found["items"][0]["id"].as_str().unwrap().to_owned();
    let busy = (chrono::Utc::now() + chrono::Duration::days(10)).date_naive();
    for hour in 9..15 {
        let planned = http
            .post(format!("{address}/api/v1/callbacks"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"contact_id": ingrid, "date": busy.to_string(), "time": format!("{hour:02}:00")}))
            .send()
            .await
            .unwrap();
        assert_eq!(planned.status(), 201);
    }
    client
        .goto(&format!("{address}/calendar?month={}", busy.format("%Y-%m")))
        .await
        .unwrap();
    let cell = format!("#calendar td[data-date='{busy}']");
    wait_text(client, &cell, "+3 další").await;
    shot(client, "09h-calendar-busy-month").await;
    let shown = client.find_all(Locator::Css(&format!("{cell} .booking"))).await.unwrap();
    assert_eq!(shown.len(), 3, "a day of the month shows three bookings and a link to the rest");
    click(client, &format!("{cell} a.more")).await;
    client.wait().for_element(Locator::Css("table.calendar.week")).await.unwrap();
    let mut week = 0;
    for _ in 0..100 {
        week = client.find_all(Locator::Css(&format!("{cell} .booking"))).await.unwrap().len();
        if week == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(week, 6, "the week shows every booking of the day");
    shot(client, "09i-calendar-busy-week").await;

    // The office's automatic redistribution, set by the administrator.
    click(client, "nav.top a[href='/lead-sources']").await;
    click(client, "#routing-office option:nth-child(2)").await;
    click(client, "#routing-to option[value^='user:']").await;
    type_into(client, "#routing-tips", "24").await;
    click(client, "#save-routing").await;
    wait_text(client, "form", "Uloženo.").await;

    // A tip straight from the contact list, with one action on the row.
    click(client, "nav.top a[href='/contacts']").await;
    client.wait().for_element(Locator::Css("#contact-list")).await.unwrap();
    click(client, "#contact-list button.tip-button").await;
    wait_text(client, "h2.tip-title", "Ingrid Sjöström").await;
    click(client, "#tip-to option[value^='office:']").await;
    type_into(client, "#tip-note", "Z výpisu kontaktů").await;
    click(client, "#tip-submit").await;
    wait_text(client, "details.tip", "Tip odeslán.").await;

    // Export the contacts.
    click(client, "#export").await;
    let csv = downloads.join("contacts.csv");
    for _ in 0..100 {
        if csv.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = std::fs::read_to_string(&csv).expect("the export was downloaded");
    assert!(text.starts_with("id,kind,first_name,last_name"), "{text}");
    assert!(text.contains("Ingrid,Sjöström"), "{text}");

    // Segments: Ingrid found by a filter, the filter saved, Ingrid added to a new newsletter
    // list, and the selection exported to Excel.
    click(client, "#nav-segments").await;
    type_into(client, "#seg-q", "ingrid").await;
    click(client, "#segment-show").await;
    wait_text(client, "#segment-list", "Ingrid Sjöström").await;
    wait_text(client, "#segment-total", "1").await;
    type_into(client, "#save-name", "Ingrid a spol.").await;
    click(client, "#save-filter").await;
    wait_text(client, "#saved-note", "Ingrid a spol.").await;
    click(client, "#action-newsletter").await;
    type_into(client, "#new-newsletter", "Jarní novinky").await;
    click(client, "#create-newsletter").await;
    wait_text(client, "#newsletter-list", "Jarní novinky").await;
    click(client, "#action-run").await;
    wait_text(client, "#action-result", "Hotovo: 1").await;
    shot(client, "09z-segments").await;
    click(client, "#segment-export").await;
    let xlsx = downloads.join("contacts.xlsx");
    for _ in 0..100 {
        if xlsx.exists() && std::fs::metadata(&xlsx).map(|m| m.len() > 0).unwrap_or(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let book = std::fs::read(&xlsx).expect("the workbook was downloaded");
    assert_eq!(&book[..2], b"PK", "a ZIP archive");

    // English, from the settings.
    click(client, "#who").await;
    let language = client.wait().for_element(Locator::Css("#language")).await.unwrap();
    language.select_by_value("en-GB").await.unwrap();
    wait_text(client, "nav.top", "Contacts").await;
    shot(client, "10-settings-english").await;
    // Notices: tips by SMS too, to a Czech mobile; the bell has nothing yet.
    type_into(client, "#notice-phone", "601 234 568").await;
    click(client, "#notice-settings tr[data-kind='tip'] input.sms").await;
    click(client, "#save-notices").await;
    wait_text(client, "#notice-settings", "Saved").await;
    assert_eq!(value(client, "#notice-phone").await, "+420601234568");
    click(client, "#bell").await;
    wait_text(client, "#bell-list", "Nothing new.").await;
    click(client, "#bell").await;

    // A focus area drawn on the map (no tiles load here: the polygons draw on a plain
    // background), then "who covers this place" for the map's centre.
    click(client, "nav.top a[href='/areas']").await;
    client
        .wait()
        .for_element(Locator::Css("#area-map.leaflet-container"))
        .await
        .unwrap();
    click(client, "#draw").await;
    client
        .execute(
            "const el = document.getElementById('area-map'); const r = el.getBoundingClientRect();
             for (const [x, y] of [[0.3, 0.3], [0.7, 0.3], [0.5, 0.7]]) {
               el.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: r.left + r.width * x, clientY: r.top + r.height * y}));
             }",
            vec![],
        )
        .await
        .unwrap();
    click(client, "#finish-drawing").await;
    assert!(value(client, "#area-geometry").await.contains("Polygon"));
    type_into(client, "#area-name", "Centrum").await;
    let owner = client.wait().for_element(Locator::Css("#area-owner")).await.unwrap();
    owner.select_by_index(1).await.unwrap();
    click(client, "#save-area").await;
    wait_text(client, "#areas", "Centrum").await;
    let drawn = client.find_all(Locator::Css("#area-map .leaflet-overlay-pane path")).await.unwrap();
    assert!(!drawn.is_empty(), "the area is drawn on the map");
    type_into(client, "#suggest-lat", "59.33").await;
    type_into(client, "#suggest-lon", "18.06").await;
    click(client, "#suggest").await;
    wait_text(client, "#suggestions", "Brno — Centrum").await;
    shot(client, "11-focus-areas").await;

    // The calendar: the company's country's holidays (Czech, named in Czech), month by month.
    click(client, "nav.top a[href='/calendar']").await;
    client.wait().for_element(Locator::Css("#calendar")).await.unwrap();
    client.goto(&format!("{address}/calendar?month=2026-12")).await.unwrap();
    wait_text(client, "#calendar", "Štědrý den").await;
    wait_text(client, "#calendar-title", "2026").await;
    let eve = client
        .wait()
        .for_element(Locator::Css("#calendar td[data-date='2026-12-24']"))
        .await
        .unwrap();
    assert!(eve.attr("class").await.unwrap().unwrap_or_default().contains("holiday"));
    shot(client, "11b-calendar").await;
    click(client, "#calendar-next").await;
    wait_text(client, "#calendar", "Nový rok").await;
    wait_text(client, "#calendar-title", "2027").await;

    // The API docs come from the app itself, not from a CDN.
    client.goto(&format!("{address}/api/docs")).await.unwrap();
    wait_text(client, ".swagger-ui", "Open CRM for real-estate brokerages").await;
    shot(client, "12-api-docs").await;
}

#[tokio::test]
async fn a_czech_broker_works_through_the_app() {
    assert!(
        crm_tests::static_dir().join("index.html").exists(),
        "build the SPA first: scripts/build-frontend.sh"
    );
    let db = fresh_database(Backend::Sqlite).await;
    let created = crm_command(
        &[
            "create-company",
            "--name",
            "Reality Brno s.r.o.",
            "--country",
            "CZ",
            "--office",
            "Brno",
            "--admin-name",
            "Jana Nováková",
            "--admin-email",
            "jana@brno.example",
            "--admin-password",
            "jana-password-1",
        ],
        &db,
        &[],
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let server = CrmProcess::serve(&db, &[("CRM_ACCESS_TOKEN_SECONDS", "10")]).await;
    let downloads = std::env::temp_dir().join(format!("crm-downloads-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&downloads).unwrap();
    let (_driver, client) = browser(&downloads).await;
    run(&server.address, &client, &downloads).await;
    client.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&downloads);
    // The server logged no failure while the browser worked.
    let log = server.log_text();
    assert!(!log.contains("request failed"), "{log}");
}
