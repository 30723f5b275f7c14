//! The demo company: two offices, brokers with different rights, an agency, a few hundred
//! contacts with phones from several countries, listings with sellers and buyers, demands and
//! notes. Deterministic, so the README and tests can rely on what is there.

use crm_domain::contacts::{ContactData, ContactInput, Country};
use crm_domain::org::{Role, Scope};
use crm_domain::permissions::Permissions;
use crm_domain::properties::{PartyRole, PropertyKind, PropertyStatus};
use crm_store::Store;
use crm_store::auth::PasswordHash;
use crm_store::focus::{AreaOwner, FocusAreaInput};
use crm_store::org::{User, UserInput};
use crm_store::properties::{DemandData, PropertyData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Every demo user's password.
pub const PASSWORD: &str = "demo-password";

/// A demo sign-in and its rights.
struct DemoUser {
    email: &'static str,
    name: &'static str,
    role: Role,
    /// 0: Stockholm City, 1: Göteborg.
    office: usize,
    offer: Scope,
    demand: Scope,
    export: bool,
    admin: bool,
}

const USERS: [DemoUser; 6] = [
    DemoUser {
        email: "admin@demo.example",
        name: "Astrid Admin",
        role: Role::Administrator,
        office: 0,
        offer: Scope::Company,
        demand: Scope::Company,
        export: true,
        admin: true,
    },
    DemoUser {
        email: "erik@demo.example",
        name: "Erik Lindqvist",
        role: Role::OfficeManager,
        office: 0,
        offer: Scope::Office,
        demand: Scope::Office,
        export: true,
        admin: false,
    },
    DemoUser {
        email: "anna@demo.example",
        name: "Anna Berg",
        role: Role::Broker,
        office: 0,
        offer: Scope::Own,
        demand: Scope::Own,
        export: false,
        admin: false,
    },
    DemoUser {
        email: "lars@demo.example",
        name: "Lars Holm",
        role: Role::Broker,
        office: 0,
        offer: Scope::Own,
        demand: Scope::Office,
        export: false,
        admin: false,
    },
    DemoUser {
        email: "maria@demo.example",
        name: "Maria Svensson",
        role: Role::Broker,
        office: 1,
        offer: Scope::Own,
        demand: Scope::Own,
        export: false,
        admin: false,
    },
    DemoUser {
        email: "reception@demo.example",
        name: "Rita Reception",
        role: Role::Receptionist,
        office: 0,
        offer: Scope::Own,
        demand: Scope::Own,
        export: false,
        admin: false,
    },
];

/// What the demo prints and the README lists.
pub fn logins_text() -> String {
    let mut s = format!("Demo sign-ins (password for all: {PASSWORD}):\n");
    for DemoUser {
        email,
        name,
        role,
        office,
        offer,
        demand,
        export,
        admin,
    } in USERS
    {
        s.push_str(&format!(
            "  {email:<24} {name:<16} {:<15} {} office; offers: {}, demands: {}{}{}\n",
            role.as_str(),
            ["Stockholm", "Göteborg"][office],
            offer.as_str(),
            demand.as_str(),
            if export { ", export" } else { "" },
            if admin { ", admin" } else { "" },
        ));
    }
    s
}

const FIRST: [&str; 24] = [
    "Anna",
    "Erik",
    "Karin",
    "Lars",
    "Sofia",
    "Johan",
    "Åsa",
    "Björn",
    "Jiří",
    "Tereza",
    "Petr",
    "Lucie",
    "Dmitrij",
    "Olga",
    "Алексей",
    "Наталья",
    "João",
    "Ana",
    "Luís",
    "Conceição",
    "Maja",
    "Oskar",
    "Ingrid",
    "Nils",
];
const LAST: [&str; 24] = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Öberg",
    "Lindström",
    "Ekström",
    "Dvořák",
    "Novák",
    "Svobodová",
    "Černý",
    "Procházka",
    "Ivanov",
    "Smirnova",
    "Кузнецов",
    "Попова",
    "Silva",
    "Santos",
    "Gonçalves",
    "Araújo",
    "Håkansson",
    "Sjöberg",
    "Nyström",
    "Wallin",
];
const STREETS: [(&str, &str, f64, f64); 8] = [
    ("Götgatan", "Stockholm", 59.314, 18.072),
    ("Odengatan", "Stockholm", 59.345, 18.055),
    ("Hornsgatan", "Stockholm", 59.317, 18.050),
    ("Vasagatan", "Göteborg", 57.700, 11.970),
    ("Linnégatan", "Göteborg", 57.695, 11.952),
    ("Storgatan", "Sundbyberg", 59.361, 17.971),
    ("Kungsgatan", "Uppsala", 59.858, 17.640),
    ("Avenyn", "Göteborg", 57.699, 11.975),
];

/// A valid phone number in one of several countries' usual notations.
fn phone(rng: &mut StdRng) -> String {
    loop {
        let candidate = phone_candidate(rng);
        if crm_domain::contacts::Phone::parse(&candidate, Country::SWEDEN).is_ok() {
            return candidate;
        }
    }
}

fn phone_candidate(rng: &mut StdRng) -> String {
    let n = |rng: &mut StdRng, len: usize| (0..len).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect::<String>();
    match rng.gen_range(0..10) {
        // Mostly Swedish numbers, typed the way Swedes do.
        0..=5 => format!(
            "07{}-{} {} {}",
            ["0", "2", "3", "6"][rng.gen_range(0..4)],
            n(rng, 3),
            n(rng, 2),
            n(rng, 2)
        ),
        6 => format!(
            "+420 {} {} {}",
            ["601", "603", "605", "608", "721", "724", "736", "777"][rng.gen_range(0..8)],
            n(rng, 3),
            n(rng, 3)
        ),
        7 => format!("+7 9{} {}-{}-{}", n(rng, 2), n(rng, 3), n(rng, 2), n(rng, 2)),
        8 => format!("+55 11 9{}-{}", n(rng, 4), n(rng, 4)),
        _ => format!("08-{} {} {}", n(rng, 3), n(rng, 2), n(rng, 2)),
    }
}

fn ascii(s: &str) -> String {
    crm_domain::text::fold(s).chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// Loads the demo company unless it is there already. Returns whether it was created.
pub async fn load(store: &Store) -> anyhow::Result<bool> {
    if store.authenticate(USERS[0].email, PASSWORD).await.is_ok() {
        return Ok(false);
    }
    let (company, admin) = store
        .create_company(
            "Nordic Homes Demo",
            Country::SWEDEN,
            "Stockholm City",
            USERS[0].name,
            USERS[0].email,
            PASSWORD,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating the demo company: {e}"))?;
    let offices = [
        admin.office_id,
        store
            .create_office(company.id, "Göteborg")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    ];
    let hash = PasswordHash::new(PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut users: Vec<User> = vec![admin.clone()];
    for DemoUser {
        email,
        name,
        role,
        office,
        offer: offer_scope,
        demand: demand_scope,
        export,
        admin: is_admin,
    } in USERS.into_iter().skip(1)
    {
        let user = store
            .create_user(
                company.id,
                UserInput {
                    name: name.into(),
                    email: email.into(),
                    password: Some(hash.clone()),
                    role,
                    office_id: offices[office],
                    permissions: Permissions {
                        work_with_clients: true,
                        offer_scope,
                        demand_scope,
                        export,
                        admin: is_admin,
                    },
                    active: true,
                    notify_email: true,
                    locale: None,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        users.push(user);
    }
    store
        .save_group(company.id, None, "Tip group – Stockholm", &[users[1].id, users[2].id, users[3].id])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // Focus areas: each office's city, Anna (distributor) on Södermalm, Lars in Vasastan.
    let by_email = |email: &str| users.iter().find(|u| u.email == email).map(|u| u.id);
    let rect = |w: f64, s: f64, e: f64, n: f64| {
        crm_domain::focus::Shape::from_json(&serde_json::json!({
            "type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]
        }))
    };
    let areas = [
        ("Stockholm", AreaOwner::Office(offices[0]), false, rect(17.85, 59.25, 18.20, 59.42)),
        ("Göteborg", AreaOwner::Office(offices[1]), false, rect(11.85, 57.65, 12.05, 57.76)),
        (
            "Södermalm",
            AreaOwner::User(by_email("anna@demo.example").unwrap_or(admin.id)),
            true,
            rect(18.02, 59.305, 18.11, 59.322),
        ),
        (
            "Vasastan",
            AreaOwner::User(by_email("lars@demo.example").unwrap_or(admin.id)),
            false,
            rect(18.03, 59.338, 18.07, 59.352),
        ),
    ];
    for (name, owner, distributor, shape) in areas {
        let shape = shape.map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .save_focus_area(
                company.id,
                None,
                FocusAreaInput {
                    owner,
                    name: name.into(),
                    distributor,
                    shape,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let brokers: Vec<&User> = users
        .iter()
        .filter(|u| matches!(u.role, Role::Broker | Role::OfficeManager))
        .collect();
    let mut rng = StdRng::seed_from_u64(2026);

    // Another agency: visible to everyone who works with clients, flagged by the caller lookup.
    let agency = ContactData::parse(
        &ContactInput {
            kind: Some("agency".into()),
            agency_name: Some("Skärgårdsmäklarna AB".into()),
            first_name: Some("Per".into()),
            last_name: Some("Mäklare".into()),
            phones: vec!["08-555 123 45".into()],
            emails: vec!["info@skargardsmaklarna.example".into()],
            city: Some("Stockholm".into()),
            ..Default::default()
        },
        company.country,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_contact(&admin.viewer(), &agency, users[1].id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    let mut contacts = Vec::new();
    for i in 0..300 {
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = LAST[rng.gen_range(0..LAST.len())];
        let kind = ["verified", "standard", "standard", "standard", "draft"][i % 5];
        let (street, city, lat, lon) = STREETS[rng.gen_range(0..STREETS.len())];
        let input = ContactInput {
            kind: Some(kind.into()),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            phones: vec![phone(&mut rng)],
            emails: if kind == "verified" || rng.gen_bool(0.5) {
                vec![format!("{}.{}{}@mail.example", ascii(first), ascii(last), i)]
            } else {
                vec![]
            },
            street: Some(format!("{street} {}", rng.gen_range(1..120))),
            city: Some(city.into()),
            lat: Some(lat + rng.gen_range(-0.01..0.01)),
            lon: Some(lon + rng.gen_range(-0.01..0.01)),
            ..Default::default()
        };
        let data = ContactData::parse(&input, company.country).map_err(|e| anyhow::anyhow!("demo contact {i}: {e}"))?;
        let owner = brokers[i % brokers.len()];
        let c = store
            .create_contact(&owner.viewer(), &data, owner.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        contacts.push((c, owner));
    }

    let statuses = PropertyStatus::ALL;
    let mut listings = Vec::new();
    for i in 0..60 {
        let (seller, broker) = &contacts[i * 5];
        let (street, city, lat, lon) = STREETS[i % STREETS.len()];
        let data = PropertyData {
            reference: None,
            kind: PropertyKind::ALL[i % 3],
            status: statuses[i % statuses.len()],
            street: format!("{street} {}", 2 + i),
            city: city.into(),
            postal_code: Some(format!("1{:02} {:02}", 10 + i % 80, i % 100)),
            country: company.country,
            lat: Some(lat + rng.gen_range(-0.02..0.02)),
            lon: Some(lon + rng.gen_range(-0.02..0.02)),
            price: Some(rng.gen_range(18..120) * 100_000),
            living_area: Some(f64::from(rng.gen_range(28..190))),
            rooms: Some(f64::from(rng.gen_range(1..7))),
            bedrooms: Some(rng.gen_range(0..5)),
            parking_spaces: Some(rng.gen_range(0..3)),
            neighbourhood: Some(["Södermalm", "Vasastan", "Majorna", "Linné", "Centrum"][i % 5].into()),
            condominium: (i % 3 == 0).then(|| format!("BRF {street}")),
            advertised: i % 4 != 0,
            broker_id: Some(broker.id),
            contract_date: None,
            access_date: None,
        };
        let viewer = broker.viewer();
        let p = store
            .create_property(&viewer, &data, &company.currency)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .add_party(&viewer, p.id, seller.id, PartyRole::Seller)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if data.status == PropertyStatus::Sold {
            let (buyer, _) = contacts.iter().filter(|(_, o)| o.id == broker.id).nth(3).unwrap_or(&contacts[1]);
            if buyer.id != seller.id {
                store
                    .add_party(&viewer, p.id, buyer.id, PartyRole::Buyer)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        listings.push((p.id, data.status, *broker, seller.id));
        store
            .add_note(
                &viewer,
                seller.id,
                &format!("Listing presentation held at {}. Seller wants to move before summer.", p.title()),
                Some(p.id),
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    demo_bookings(store, &company, &contacts, &listings, &mut rng).await?;
    demo_calls(store, &company, &contacts).await?;
    let mut buyers: Vec<_> = contacts.iter().skip(1).step_by(4).collect();
    buyers.shuffle(&mut rng);
    for (contact, owner) in buyers.into_iter().take(50) {
        let viewer = owner.viewer();
        let min = rng.gen_range(15..60) * 100_000;
        let d = store
            .create_demand(
                &viewer,
                &DemandData {
                    contact_id: contact.id,
                    kind: Some(PropertyKind::ALL[rng.gen_range(0..2)]),
                    min_price: Some(min),
                    max_price: Some(min + 2_000_000),
                    min_rooms: Some(f64::from(rng.gen_range(1..5))),
                    area: Some(["Södermalm", "Vasastan", "Majorna", "Bromma"][rng.gen_range(0..4)].into()),
                    note: None,
                    active: true,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .add_note(
                &viewer,
                contact.id,
                "Attended the viewing on Saturday; asked about the fee and the renovation of the facade.",
                None,
                Some(d.id),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(true)
}

/// Calls by Anna with their outcomes (one postponed, a co-brokerage deal waiting for Erik, the
/// head of sales), her extension for the telephone system, and her call list of clients not
/// reached yet.
async fn demo_calls(
    store: &Store,
    company: &crm_store::org::Company,
    contacts: &[(crm_store::contacts::ContactRecord, &User)],
) -> anyhow::Result<()> {
    use crm_domain::calls::Outcome;
    use crm_store::call_lists::{CallListInput, SavedFilter};
    use crm_store::calls::CallInput;
    let err = |e: crm_store::StoreError| anyhow::anyhow!("{e}");
    let mine: Vec<_> = contacts
        .iter()
        .filter(|(c, owner)| owner.email == "anna@demo.example" && c.data.last_name.is_some())
        .collect();
    let Some((_, anna)) = mine.first() else { return Ok(()) };
    store.set_extension(company.id, anna.id, Some("201")).await.map_err(err)?;
    let viewer = anna.viewer();
    let until = crm_domain::calendar::local_date(chrono::Utc::now(), company.time_zone) + chrono::Duration::days(40);
    let calls = [
        (Outcome::NoAnswer, None, None),
        (Outcome::Postponed, Some("Has the money on a deposit until spring."), Some(until)),
        (
            Outcome::RealtorSplit,
            Some("Realtor from Uppsala looking for a two-room flat for a client."),
            None,
        ),
        (Outcome::Working, Some("Wants three rooms near a school, budget 6 million."), None),
    ];
    for ((c, _), (outcome, comment, until)) in mine.iter().zip(calls) {
        store
            .record_call(
                &viewer,
                &CallInput {
                    contact: c.id,
                    outcome,
                    comment: comment.map(str::to_owned),
                    until,
                    colleague: None,
                    list: None,
                },
            )
            .await
            .map_err(err)?;
    }
    let list = store
        .create_call_list(
            &viewer,
            &CallListInput {
                name: "Not reached yet".into(),
                instructions: "Greet the client by name and say who you are.\nAsk whether they still plan to buy, and when.\nOffer to send new listings in their area; book a viewing if they want one.\nNo answer: try again tomorrow. Rude: call again tomorrow, once.".into(),
                user_id: None,
                group_id: None,
                nightly: Some(SavedFilter {
                    stage: Some("not_reached".into()),
                    owner_id: Some(anna.id.0),
                    ..Default::default()
                }),
            },
        )
        .await
        .map_err(err)?;
    store
        .fill_call_list(
            &viewer,
            list.id,
            &SavedFilter {
                stage: Some("not_reached".into()),
                owner_id: Some(anna.id.0),
                ..Default::default()
            },
            crm_store::segments::Selection::All,
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// Viewings (past ones with attendance, coming ones booked), bids, customer meetings and
/// callbacks around today, so the calendar and the task list have something to show.
async fn demo_bookings(
    store: &Store,
    company: &crm_store::org::Company,
    contacts: &[(crm_store::contacts::ContactRecord, &User)],
    listings: &[(crm_domain::PropertyId, PropertyStatus, &User, crm_domain::ContactId)],
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    use crm_domain::calendar::{Attendance, Confirmation, local_date, local_to_utc};
    use crm_store::calendar::{CallbackFor, CallbackInput, MeetingInput, MeetingObject, ViewingInput};
    let zone = company.time_zone;
    let today = local_date(chrono::Utc::now(), zone);
    let at = |days: i64, hour: u32| {
        let day = today + chrono::Duration::days(days);
        local_to_utc(day.and_hms_opt(hour, 0, 0).unwrap_or_default(), zone).map_err(|e| anyhow::anyhow!("{e}"))
    };
    for (n, (listing, status, broker, seller)) in listings.iter().enumerate() {
        let viewer = broker.viewer();
        let own: Vec<_> = contacts
            .iter()
            .filter(|(c, o)| o.id == broker.id && c.id != *seller)
            .map(|(c, _)| c.id)
            .collect();
        match status {
            PropertyStatus::ForSale | PropertyStatus::ComingSoon => {
                for (k, days) in [(0, -1 - (n as i64 % 9)), (1, 2 + (n as i64 % 9))] {
                    let starts_at = at(days, if k == 0 { 16 + (n as u32 % 3) } else { 11 + (n as u32 % 7) })?;
                    let first = (n * 3 + k * 5) % own.len().max(1);
                    let people: Vec<_> = own.iter().cycle().skip(first).take(3.min(own.len())).copied().collect();
                    let v = store
                        .create_viewing(
                            &viewer,
                            &ViewingInput {
                                property: *listing,
                                broker: None,
                                starts_at,
                                ends_at: starts_at + chrono::Duration::minutes(30),
                                note: None,
                                participants: people.clone(),
                            },
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    if days < 0 {
                        for (j, c) in people.iter().enumerate() {
                            let came = if j == 2 { Attendance::NoShow } else { Attendance::Attended };
                            store
                                .set_attendance(&viewer, v.id, *c, came)
                                .await
                                .map_err(|e| anyhow::anyhow!("{e}"))?;
                        }
                        if *status == PropertyStatus::ForSale
                            && let Some(c) = people.first()
                        {
                            let amount = rng.gen_range(20..80) * 100_000;
                            store
                                .place_bid(&viewer, *listing, *c, amount, None, None)
                                .await
                                .map_err(|e| anyhow::anyhow!("{e}"))?;
                        }
                    }
                }
            }
            PropertyStatus::CustomerProcessing => {
                let starts_at = at(1 + (n as i64 % 10), 9 + (n as u32 % 8))?;
                store
                    .book_meeting(
                        &viewer,
                        &MeetingInput {
                            contact: *seller,
                            user: None,
                            starts_at,
                            ends_at: starts_at + chrono::Duration::hours(1),
                            place: None,
                            note: Some("Valuation of the home; the seller has a new-build in view.".into()),
                            object: MeetingObject::Existing(*listing),
                            confirmation: Confirmation::None,
                        },
                        &company.currency,
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            _ => {}
        }
        if let Some(c) = own.get(7) {
            let time = (n % 3 != 1).then(|| chrono::NaiveTime::from_hms_opt(8 + (n as u32 % 9), 30, 0).unwrap_or_default());
            store
                .plan_callback(
                    &viewer,
                    &CallbackInput {
                        contact: *c,
                        date: today + chrono::Duration::days(n as i64 % 6),
                        time,
                        property: None,
                        meeting: None,
                        to: CallbackFor::User(broker.id),
                        note: Some("Asked to be called about the market in the spring.".into()),
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}
