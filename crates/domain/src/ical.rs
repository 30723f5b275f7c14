//! iCalendar (RFC 5545) output for a user's calendar feed: lines end in CRLF, long lines are
//! folded at 75 octets (never inside a UTF-8 character), text values are escaped, times are UTC.

use chrono::{DateTime, Utc};

/// One event of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stable across fetches, so a subscribed calendar updates the event instead of adding one.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub cancelled: bool,
    /// When the event last changed.
    pub stamp: DateTime<Utc>,
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value: backslash, semicolon, comma, and line breaks.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so no line is longer than 75 octets.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for ch in content.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

/// A whole VCALENDAR with the events.
pub fn calendar(name: &str, events: &[Event]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Open real-estate CRM//Calendar feed//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    // Ask subscribers to come back every 15 minutes.
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT15M");
    line(&mut out, "X-PUBLISHED-TTL:PT15M");
    for e in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", utc(e.stamp)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc(e.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(e.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(e.ends_at)));
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if let Some(l) = &e.location {
            line(&mut out, &format!("LOCATION:{}", escape(l)));
        }
        if let Some(d) = &e.description {
            line(&mut out, &format!("DESCRIPTION:{}", escape(d)));
        }
        line(&mut out, if e.cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn folds_long_lines_between_characters_and_escapes_text() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let text = calendar(
            "Jana",
            &[Event {
                uid: "m-1@crm".into(),
                starts_at: at,
                ends_at: at,
                summary: "Schůzka; Řehoř, Žižkov\nnote ".repeat(5),
                location: None,
                description: None,
                cancelled: false,
                stamp: at,
            }],
        );
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(text.contains("DTSTART:20261201T090000Z"));
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("SUMMARY:Schůzka\\; Řehoř\\, Žižkov\\nnote "));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
    }
}
