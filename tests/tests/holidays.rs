//! The holidays of the domain crate against the `holidays` package from PyPI (installed by
//! `scripts/setup.sh --tests` into the test virtualenv), every year 2000–2035, for Sweden, the
//! Czech Republic, Russia and Brazil. Deliberate differences are in
//! `crm_domain::holidays::DIFFERENCES`; this test allows exactly those.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use crm_domain::holidays::{HolidayKind, holidays, worked_weekend_days};
use crm_tests::{Backend, on_both_databases, spawn_app};

on_both_databases!(the_calendar_gets_the_company_countrys_holidays);

const YEARS: std::ops::RangeInclusive<i32> = 2000..=2035;
/// The last year with a Russian decree on transferred days off.
const RU_DECREES_UNTIL: i32 = 2027;

fn python() -> String {
    std::env::var("CRM_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/crm-venv/bin/python")
    })
}

/// `{"SE": {"2000": ["2000-01-01", …]}, …, "RU-work": {…}}` from the package.
fn reference() -> serde_json::Value {
    let script = r#"
import json, holidays
out = {}
for country in ["SE", "CZ", "RU", "BR"]:
    out[country] = {}
    for year in range(2000, 2036):
        if country == "SE":
            days = holidays.country_holidays("SE", years=year, include_sundays=False, categories=("public", "de_facto"))
        else:
            days = holidays.country_holidays(country, years=year)
        out[country][str(year)] = sorted(d.isoformat() for d in days)
out["RU-work"] = {str(y): sorted(d.isoformat() for d in holidays.RU(years=y).weekend_workdays) for y in range(2000, 2036)}
print(json.dumps(out))
"#;
    let output = std::process::Command::new(python())
        .args(["-c", script])
        .output()
        .unwrap_or_else(|e| panic!("{} cannot run ({e}): run scripts/setup.sh --tests", python()));
    assert!(
        output.status.success(),
        "the holidays package is missing ({}): run scripts/setup.sh --tests",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reference as JSON")
}

fn dates(v: &serde_json::Value) -> BTreeSet<NaiveDate> {
    v.as_array()
        .expect("a list of dates")
        .iter()
        .map(|d| d.as_str().expect("a date").parse().expect("an ISO date"))
        .collect()
}

#[test]
fn holidays_match_the_reference_package() {
    let reference = reference();
    let mut differences = Vec::new();
    let mut compared = 0;
    for country in ["SE", "CZ", "RU", "BR"] {
        for year in YEARS {
            let theirs = dates(&reference[country][year.to_string()]);
            compared += theirs.len();
            let ours: BTreeSet<NaiveDate> = holidays(country, year).iter().map(|h| h.date).collect();
            if ours == theirs {
                continue;
            }
            let only_ours: Vec<_> = ours.difference(&theirs).collect();
            let only_theirs: Vec<_> = theirs.difference(&ours).collect();
            // Russia without a decree: ours add the Labour Code's moves off weekends, nothing else.
            let allowed = country == "RU"
                && year > RU_DECREES_UNTIL
                && only_theirs.is_empty()
                && only_ours.iter().all(|d| {
                    holidays("RU", year)
                        .iter()
                        .any(|h| h.date == **d && h.kind == HolidayKind::Transferred)
                });
            if !allowed {
                differences.push(format!(
                    "{country} {year}: only ours {only_ours:?}, only the package's {only_theirs:?}"
                ));
            }
        }
    }
    for year in YEARS {
        let theirs = dates(&reference["RU-work"][year.to_string()]);
        let ours: BTreeSet<NaiveDate> = worked_weekend_days("RU", year).into_iter().collect();
        if ours != theirs {
            differences.push(format!("RU {year} worked weekend days: ours {ours:?}, the package's {theirs:?}"));
        }
    }
    assert!(compared > 1_500, "the reference listed only {compared} days");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

async fn the_calendar_gets_the_company_countrys_holidays(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin_token().await;
    // A Swedish company: Christmas and New Year, the eves as days off by custom.
    let days = app.get("/api/v1/holidays?from=2025-12-20&to=2026-01-10", &admin).await;
    assert_eq!(days.status, 200, "{}", days.body);
    let listed: Vec<(&str, &str, &str)> = days
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap(),
                d["name"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("2025-12-24", "Julafton", "de_facto"),
            ("2025-12-25", "Juldagen", "public"),
            ("2025-12-26", "Annandag jul", "public"),
            ("2025-12-31", "Nyårsafton", "de_facto"),
            ("2026-01-01", "Nyårsdagen", "public"),
            ("2026-01-06", "Trettondedag jul", "public"),
        ]
    );
    for (query, code) in [
        ("from=2025-12-20&to=2025-12-01", "invalid_span"),
        ("from=2020-01-01&to=2030-01-01", "span_too_long"),
        ("from=20-12-2025&to=2026-01-10", "invalid_date"),
        ("from=2025-02-30&to=2026-01-10", "invalid_date"),
    ] {
        let bad = app.get(&format!("/api/v1/holidays?{query}"), &admin).await;
        assert_eq!((bad.status, bad.code()), (400, code), "{query}: {}", bad.body);
    }
    let missing = app.get("/api/v1/holidays?from=2025-12-20", &admin).await;
    assert_eq!(missing.status, 400, "{}", missing.body);
}
