//! The calendar: a month (Monday first) or a week, with the public holidays of the company's
//! country (and its days off by custom or by transfer) and the bookings of the user, a colleague
//! or an office: customer meetings, viewings and callbacks with a time of day. Times are shown in
//! the user's time zone.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use crm_types::{CalendarEntry, Holiday, Office, User};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::i18n::{clock, date, month_title, t, tf, today, weekday_short};
use crate::pages::bookings::local_day;
use crate::pages::login::RequireSession;

#[component]
pub fn CalendarPage() -> impl IntoView {
    view! { <RequireSession><Calendar/></RequireSession> }
}

/// The first day of the month `?month=YYYY-MM` names, else of this month.
fn month_of(query: Option<String>) -> NaiveDate {
    query
        .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today().with_day(1).unwrap_or_default())
}

fn shift(first: NaiveDate, months: i32) -> NaiveDate {
    let index = first.year() * 12 + first.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(first)
}

fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Bookings a day of the month view shows; the rest are a link to that day's week (an office's
/// month holds a hundred bookings a day).
const MONTH_CELL_BOOKINGS: usize = 4;

/// One booking as a small block.
fn entry_view(e: CalendarEntry) -> impl IntoView {
    let class = format!("booking entry-{} status-{}", e.kind, e.status);
    let title = if e.title.is_empty() { t("calendar.busy") } else { e.title.clone() };
    let label = format!("{} {}", clock(&e.starts_at), t(&format!("calendar.kind.{}", e.kind)));
    let href = match (e.contact_id, e.property_id, e.kind.as_str()) {
        (Some(c), _, _) => Some(format!("/contacts/{c}")),
        (_, Some(p), "viewing") => Some(format!("/listings/{p}")),
        _ => None,
    };
    let when = format!("{}–{}", clock(&e.starts_at), clock(&e.ends_at));
    view! {
        <div class=class title=when>
            <span class="time">{label}</span>" "
            {match href {
                Some(h) => view! { <A href=h>{title}</A> }.into_any(),
                None => view! { <span>{title}</span> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Calendar() -> impl IntoView {
    let query = use_query_map();
    let week_view = Memo::new(move |_| query.read().get("view").as_deref() == Some("week"));
    let first = Memo::new(move |_| month_of(query.read().get("month")));
    let week_start = Memo::new(move |_| {
        monday(
            query
                .read()
                .get("day")
                .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
                .unwrap_or_else(today),
        )
    });
    // Whose calendar: `?user=<id>`, `?office=<id>`, else one's own.
    let whose = Memo::new(move |_| {
        let q = query.read();
        match (q.get("user"), q.get("office")) {
            (Some(u), _) => format!("&user_id={u}"),
            (_, Some(o)) => format!("&office_id={o}"),
            _ => String::new(),
        }
    });
    // The days shown: six weeks from the Monday on or before the first of the month, or a week.
    let span = move || {
        if week_view.get() {
            (week_start.get(), 7)
        } else {
            (monday(first.get()), 42)
        }
    };
    let holidays = LocalResource::new(move || {
        let (from, n) = span();
        let to = from + Duration::days(n - 1);
        async move { api::get::<Vec<Holiday>>(&format!("/api/v1/holidays?from={from}&to={to}")).await }
    });
    let entries = LocalResource::new(move || {
        let (from, n) = span();
        let to = from + Duration::days(n - 1);
        let whose = whose.get();
        api::session().changed.get();
        async move { api::get::<Vec<CalendarEntry>>(&format!("/api/v1/calendar?from={from}&to={to}{whose}")).await }
    });
    let users = LocalResource::new(|| api::get::<Vec<User>>("/api/v1/users"));
    let offices = LocalResource::new(|| api::get::<Vec<Office>>("/api/v1/offices"));
    let keep = move |extra: String| {
        let q = query.read();
        let mut parts: Vec<String> = Vec::new();
        for key in ["user", "office"] {
            if let Some(v) = q.get(key) {
                parts.push(format!("{key}={v}"));
            }
        }
        parts.push(extra);
        format!("/calendar?{}", parts.join("&"))
    };
    let link = move |step: i32| {
        if week_view.get() {
            keep(format!("view=week&day={}", week_start.get() + Duration::days(7 * i64::from(step))))
        } else {
            keep(format!("month={}", shift(first.get(), step).format("%Y-%m")))
        }
    };
    let choose = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        let view_part = if week_view.get_untracked() {
            format!("view=week&day={}", week_start.get_untracked())
        } else {
            format!("month={}", first.get_untracked().format("%Y-%m"))
        };
        let target = match v.split_once(':') {
            Some((kind, id)) => format!("/calendar?{kind}={id}&{view_part}"),
            None => format!("/calendar?{view_part}"),
        };
        api::go(&target);
    };
    let selected = move || {
        let q = query.read();
        match (q.get("user"), q.get("office")) {
            (Some(u), _) => format!("user:{u}"),
            (_, Some(o)) => format!("office:{o}"),
            _ => String::new(),
        }
    };
    let day_cell = move |day: NaiveDate, by_day: &mut HashMap<NaiveDate, Vec<CalendarEntry>>, days_off: &[Holiday], month: Option<u32>| {
        let off: Vec<Holiday> = days_off
            .iter()
            .filter(|h| h.date == day.format("%Y-%m-%d").to_string())
            .cloned()
            .collect();
        let mut mine = by_day.remove(&day).unwrap_or_default();
        let hidden = match month {
            Some(_) if mine.len() > MONTH_CELL_BOOKINGS => mine.split_off(MONTH_CELL_BOOKINGS - 1).len(),
            _ => 0,
        };
        let more = (hidden > 0).then(|| {
            let href = keep(format!("view=week&day={day}"));
            view! { <A href=href attr:class="more">{tf("calendar.more", &[("n", &hidden.to_string())])}</A> }
        });
        let mut class = String::from("day");
        if month.is_some_and(|m| day.month() != m) {
            class.push_str(" other-month");
        }
        if day.weekday().num_days_from_monday() >= 5 {
            class.push_str(" weekend");
        }
        if off.iter().any(|h| h.kind == "public") {
            class.push_str(" holiday");
        } else if !off.is_empty() {
            class.push_str(" day-off");
        }
        if day == today() {
            class.push_str(" today");
        }
        view! {
            <td class=class data-date=day.format("%Y-%m-%d").to_string()>
                <span class="day-number">{day.day()}</span>
                {off.into_iter().map(|h| view! { <span class=format!("holiday-name {}", h.kind)>{h.name}</span> }).collect_view()}
                {mine.into_iter().map(entry_view).collect_view()}
                {more}
            </td>
        }
    };
    view! {
        <section class="card">
            <header class="row">
                <h1 id="calendar-title">{move || if week_view.get() {
                    let from = week_start.get();
                    let to = from + Duration::days(6);
                    format!("{} – {}", date(&from.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()), date(&to.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc()))
                } else {
                    month_title(first.get())
                }}</h1>
                <span class="spacer"></span>
                <select id="calendar-whose" on:change=choose>
                    <option value="" selected=move || selected().is_empty()>{move || t("calendar.mine")}</option>
                    {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|u| u.active && u.permissions.work_with_clients).map(|u| {
                        let v = format!("user:{}", u.id);
                        let v2 = v.clone();
                        view! { <option value=v selected=move || selected() == v2>{u.name}</option> }
                    }).collect_view()}
                    {move || offices.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|o| {
                        let v = format!("office:{}", o.id);
                        let v2 = v.clone();
                        view! { <option value=v selected=move || selected() == v2>{format!("{}: {}", t("calendar.office"), o.name)}</option> }
                    }).collect_view()}
                </select>
                <A href=move || keep(format!("month={}", first.get().format("%Y-%m"))) attr:id="calendar-month" attr:class=move || if week_view.get() { "button" } else { "button active" }>{move || t("calendar.month")}</A>
                <A href=move || keep(format!("view=week&day={}", if week_view.get() { week_start.get() } else { today() })) attr:id="calendar-week" attr:class=move || if week_view.get() { "button active" } else { "button" }>{move || t("calendar.week")}</A>
                <A href=move || link(-1) attr:id="calendar-prev" attr:class="button">{move || t("calendar.prev")}</A>
                <A href=move || keep(if week_view.get() { "view=week".to_owned() } else { String::new() }) attr:class="button">{move || t("calendar.today")}</A>
                <A href=move || link(1) attr:id="calendar-next" attr:class="button">{move || t("calendar.next")}</A>
            </header>
            {move || match (holidays.get(), entries.get()) {
                (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                (h, e) => {
                    let days = h.and_then(Result::ok).unwrap_or_default();
                    let mut by_day: HashMap<NaiveDate, Vec<CalendarEntry>> = HashMap::new();
                    for entry in e.and_then(Result::ok).unwrap_or_default() {
                        by_day.entry(local_day(&entry.starts_at)).or_default().push(entry);
                    }
                    let (from, n) = span();
                    let weeks = n / 7;
                    let month = (!week_view.get()).then(|| first.get().month());
                    view! {
                        <table class=if week_view.get() { "calendar week" } else { "calendar" } id="calendar">
                            <thead><tr>{(0..7).map(|i| {
                                let d = from + Duration::days(i);
                                view! { <th>{weekday_short(d)}{week_view.get().then(|| format!(" {}", d.day()))}</th> }
                            }).collect_view()}</tr></thead>
                            <tbody>
                                {(0..weeks).map(|week| view! {
                                    <tr>{(0..7).map(|d| day_cell(from + Duration::days(week * 7 + d), &mut by_day, &days, month)).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="muted">{t("calendar.legend")}</p>
                    }.into_any()
                }
            }}
        </section>
    }
}
