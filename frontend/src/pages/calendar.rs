//! The calendar: a month, Monday first, with the public holidays of the company's country (and
//! its days off by custom or by transfer). Meetings, viewings and callbacks join it later.

use chrono::{Datelike, Duration, NaiveDate};
use crm_types::Holiday;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::i18n::{month_title, t, weekday_short};
use crate::pages::login::RequireSession;

#[component]
pub fn CalendarPage() -> impl IntoView {
    view! { <RequireSession><Calendar/></RequireSession> }
}

/// Today in the browser's time zone.
fn today() -> NaiveDate {
    let now = js_sys::Date::new_0();
    NaiveDate::from_ymd_opt(now.get_full_year() as i32, now.get_month() + 1, now.get_date()).unwrap_or_default()
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

#[component]
fn Calendar() -> impl IntoView {
    let query = use_query_map();
    let first = Memo::new(move |_| month_of(query.read().get("month")));
    // Six weeks from the Monday on or before the first of the month.
    let start = move || {
        let f = first.get();
        f - Duration::days(i64::from(f.weekday().num_days_from_monday()))
    };
    let holidays = LocalResource::new(move || {
        let from = start();
        let to = from + Duration::days(41);
        async move { api::get::<Vec<Holiday>>(&format!("/api/v1/holidays?from={from}&to={to}")).await }
    });
    let link = move |months: i32| format!("/calendar?month={}", shift(first.get(), months).format("%Y-%m"));
    view! {
        <section class="card">
            <header class="row">
                <h1 id="calendar-title">{move || month_title(first.get())}</h1>
                <span class="spacer"></span>
                <A href=move || link(-1) attr:id="calendar-prev" attr:class="button">{move || t("calendar.prev")}</A>
                <A href="/calendar" attr:class="button">{move || t("calendar.today")}</A>
                <A href=move || link(1) attr:id="calendar-next" attr:class="button">{move || t("calendar.next")}</A>
            </header>
            {move || match holidays.get() {
                Some(Err(e)) => view! { <p class="error">{e.error.message}</p> }.into_any(),
                other => {
                    let days = other.and_then(Result::ok).unwrap_or_default();
                    let (from, month, now) = (start(), first.get().month(), today());
                    view! {
                        <table class="calendar" id="calendar">
                            <thead><tr>{(0..7).map(|i| view! { <th>{weekday_short(from + Duration::days(i))}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {(0..6).map(|week| view! {
                                    <tr>
                                        {(0..7).map(|d| {
                                            let day = from + Duration::days(week * 7 + d);
                                            let off: Vec<Holiday> = days.iter().filter(|h| h.date == day.format("%Y-%m-%d").to_string()).cloned().collect();
                                            let mut class = String::from("day");
                                            if day.month() != month { class.push_str(" other-month"); }
                                            if d >= 5 { class.push_str(" weekend"); }
                                            if off.iter().any(|h| h.kind == "public") { class.push_str(" holiday"); } else if !off.is_empty() { class.push_str(" day-off"); }
                                            if day == now { class.push_str(" today"); }
                                            view! {
                                                <td class=class data-date=day.format("%Y-%m-%d").to_string()>
                                                    <span class="day-number">{day.day()}</span>
                                                    {off.into_iter().map(|h| view! { <span class=format!("holiday-name {}", h.kind)>{h.name}</span> }).collect_view()}
                                                </td>
                                            }
                                        }).collect_view()}
                                    </tr>
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
