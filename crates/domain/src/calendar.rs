//! Rules of the calendar: viewings and their participants, bids, customer meetings, callbacks,
//! follow-ups, and local time. Times are stored in UTC and typed and shown in a user's time zone;
//! "in 3 weeks" is counted in calendar days of that zone, so a meeting at 10:00 stays at 10:00
//! across a daylight-saving change.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::contacts::Country;

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }
    };
}

code_enum!(
    /// How a contact took part in a viewing. Attendance is what the client index counts.
    Attendance { Booked = "booked", Attended = "attended", NoShow = "no_show" }
);

code_enum!(
    /// Where a bid stands.
    BidStatus { Active = "active", Accepted = "accepted", Rejected = "rejected", Withdrawn = "withdrawn" }
);

code_enum!(
    /// A customer meeting's state: booked, then held (with its outcome) or cancelled. A meeting
    /// is never deleted.
    MeetingStatus { Booked = "booked", Held = "held", Cancelled = "cancelled" }
);

code_enum!(
    /// What a held meeting led to.
    MeetingOutcome { Assignment = "assignment", NoAssignment = "no_assignment" }
);

code_enum!(
    /// Who cancelled a meeting.
    CancelledBy { Broker = "broker", Client = "client" }
);

code_enum!(
    /// How the client is told of a booking.
    Confirmation { None = "none", Email = "email", Sms = "sms", Both = "both" }
);

impl Confirmation {
    pub fn email(self) -> bool {
        matches!(self, Self::Email | Self::Both)
    }

    pub fn sms(self) -> bool {
        matches!(self, Self::Sms | Self::Both)
    }
}

/// Why a meeting cannot change as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a meeting that is {from} cannot become {to}")]
pub struct MeetingChangeError {
    pub from: &'static str,
    pub to: &'static str,
}

/// A booked meeting may be held or cancelled, once; a held or cancelled meeting stays so (a new
/// meeting is booked instead, so the history stays true).
pub fn change_meeting(from: MeetingStatus, to: MeetingStatus) -> Result<MeetingStatus, MeetingChangeError> {
    if from == MeetingStatus::Booked && to != MeetingStatus::Booked {
        Ok(to)
    } else {
        Err(MeetingChangeError {
            from: from.as_str(),
            to: to.as_str(),
        })
    }
}

/// How long a booking lasts when no end is given, in minutes.
pub const MEETING_MINUTES: i64 = 60;
pub const VIEWING_MINUTES: i64 = 30;
/// A callback with a time of day is a booking of this length.
pub const CALLBACK_MINUTES: i64 = 30;
/// The longest booking.
pub const MAX_BOOKING_HOURS: i64 = 12;

/// Follow-up windows, in days.
pub const MEETING_FOLLOW_UP_DAYS: u64 = 21;
pub const VIEWING_FOLLOW_UP_DAYS: u64 = 3;
pub const ACCESS_FOLLOW_UP_FROM_DAYS: u64 = 7;
pub const ACCESS_FOLLOW_UP_DUE_DAYS: u64 = 21;

/// The same day `years` later (29 February becomes 28 February).
pub fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    let year = date.year() + years;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
        .unwrap_or(date)
}

/// Why a callback date is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackDateError {
    #[error("a callback cannot be in the past")]
    Past,
    #[error("a callback is at most two years ahead (until {0})")]
    TooFar(NaiveDate),
}

impl CallbackDateError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Past => "in_past",
            Self::TooFar(_) => "too_far_ahead",
        }
    }
}

/// A callback is due today or later, and never more than two years ahead of today (both in the
/// user's zone).
pub fn check_callback_date(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, CallbackDateError> {
    let last = add_years(today, 2);
    if date < today {
        Err(CallbackDateError::Past)
    } else if date > last {
        Err(CallbackDateError::TooFar(last))
    } else {
        Ok(date)
    }
}

/// A time zone by its IANA name.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The zone a company in this country works in unless it says otherwise.
pub fn default_time_zone(country: Country) -> Tz {
    match country.code().as_str() {
        "CZ" => chrono_tz::Europe::Prague,
        "RU" => chrono_tz::Europe::Moscow,
        "BR" => chrono_tz::America::Sao_Paulo,
        "NO" => chrono_tz::Europe::Oslo,
        "DK" => chrono_tz::Europe::Copenhagen,
        "FI" => chrono_tz::Europe::Helsinki,
        "DE" => chrono_tz::Europe::Berlin,
        "GB" => chrono_tz::Europe::London,
        "US" => chrono_tz::America::New_York,
        _ => chrono_tz::Europe::Stockholm,
    }
}

/// Why a local time does not name one instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} does not exist in {1} (the clocks jump forward then)")]
pub struct NoSuchLocalTime(pub NaiveDateTime, pub String);

/// The instant a wall-clock time in a zone names. Of a time that happens twice (the clocks go
/// back), the first.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, NoSuchLocalTime> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(NoSuchLocalTime(local, zone.name().to_owned())),
    }
}

/// The calendar day an instant falls on in a zone.
pub fn local_date(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The end of a local day (the instant the next day starts), when a task "within N days" is due.
pub fn end_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN);
    // Midnight may not exist (a zone that changed its clocks at midnight): take the first
    // instant of the day that does.
    (0..4)
        .find_map(|h| local_to_utc(next + Duration::hours(h), zone).ok())
        .unwrap_or_else(|| Utc.from_utc_datetime(&next))
}

/// A day `days` calendar days after `date`.
pub fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(chrono::Days::new(days)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn callbacks_reach_two_years_and_no_further() {
        let today = d(2026, 11, 23);
        assert!(check_callback_date(d(2028, 11, 23), today).is_ok());
        assert_eq!(
            check_callback_date(d(2028, 11, 24), today),
            Err(CallbackDateError::TooFar(d(2028, 11, 23)))
        );
        assert_eq!(check_callback_date(d(2026, 11, 22), today), Err(CallbackDateError::Past));
        assert_eq!(add_years(d(2028, 2, 29), 2), d(2030, 2, 28));
    }

    #[test]
    fn ten_oclock_stays_ten_oclock_across_daylight_saving() {
        let zone = chrono_tz::Europe::Stockholm;
        let winter = local_to_utc(d(2026, 3, 27).and_hms_opt(10, 0, 0).unwrap(), zone).unwrap();
        let summer = local_to_utc(d(2026, 3, 30).and_hms_opt(10, 0, 0).unwrap(), zone).unwrap();
        assert_eq!(winter.format("%H:%M").to_string(), "09:00");
        assert_eq!(summer.format("%H:%M").to_string(), "08:00");
        // 02:30 on the night the clocks jump does not exist.
        assert!(local_to_utc(d(2026, 3, 29).and_hms_opt(2, 30, 0).unwrap(), zone).is_err());
        // In 3 weeks from a winter day is a summer day at the same wall-clock end of day.
        let due = end_of_day(days_after(d(2026, 3, 20), 21), zone);
        assert_eq!(due.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(), "2026-04-11 00:00");
    }

    #[test]
    fn meetings_are_held_or_cancelled_once() {
        assert!(change_meeting(MeetingStatus::Booked, MeetingStatus::Held).is_ok());
        assert!(change_meeting(MeetingStatus::Booked, MeetingStatus::Cancelled).is_ok());
        assert!(change_meeting(MeetingStatus::Held, MeetingStatus::Cancelled).is_err());
        assert!(change_meeting(MeetingStatus::Cancelled, MeetingStatus::Booked).is_err());
    }

    proptest! {
        #[test]
        fn any_day_within_two_years_is_accepted(offset in 0i64..3000, start in 0i64..20000) {
            let today = d(2000, 1, 1) + Duration::days(start);
            let date = today + Duration::days(offset);
            let ok = check_callback_date(date, today).is_ok();
            prop_assert_eq!(ok, date <= add_years(today, 2));
        }

        #[test]
        fn every_local_time_is_a_real_instant_or_refused(day in 0i64..3650, minute in 0i64..1440) {
            let zone = chrono_tz::Europe::Stockholm;
            let local = (d(2020, 1, 1) + Duration::days(day)).and_time(NaiveTime::MIN) + Duration::minutes(minute);
            if let Ok(at) = local_to_utc(local, zone) {
                // The instant shows as the same wall-clock time, or the later of a doubled hour.
                let shown = at.with_timezone(&zone).naive_local();
                prop_assert_eq!(shown, local);
            }
        }
    }
}
