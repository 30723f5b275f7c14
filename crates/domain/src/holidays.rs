//! Public holidays of the countries the product is sold in — Sweden, the Czech Republic, Russia
//! (with the government's yearly transfers of days off) and Brazil — and working-day arithmetic
//! on them. Names are in the country's language, as the people there know the days.
//!
//! Checked against the `holidays` package from PyPI for every year 2000–2035
//! (`tests/tests/holidays.rs`); where this module differs on purpose, the reason is in
//! [`DIFFERENCES`].

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Whether a day off is one by law or by custom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HolidayKind {
    /// A public holiday by law.
    Public,
    /// Not a holiday by law, but a day off almost everyone takes (Sweden's midsummer, Christmas
    /// and New Year's eves): nobody books a client meeting then.
    DeFacto,
    /// A day off moved from a weekend or a holiday by the government (Russia's transfers).
    Transferred,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    /// The name in the country's language.
    pub name: &'static str,
    pub kind: HolidayKind,
}

/// Where this module and the reference package disagree on purpose, and why.
pub const DIFFERENCES: &[(&str, &str)] = &[
    (
        "RU 2028–2035",
        "no government decree on transferred days off is published for these years yet; until one \
         is, a holiday falling on a Saturday or Sunday (other than the New Year holidays) moves to \
         the next working day, as article 112 of the Labour Code says. The package lists no day \
         off beyond the fixed holidays for these years.",
    ),
    (
        "SE, Sundays",
        "the package counts every Sunday as a Swedish holiday by default; weekends are not \
         holidays here (working days leave them out anyway), so the comparison asks the package \
         without them.",
    ),
];

/// The countries whose holidays are known (ISO 3166-1 alpha-2).
pub const COUNTRIES: [&str; 4] = ["SE", "CZ", "RU", "BR"];

/// Easter Sunday of the Gregorian calendar (the anonymous algorithm, valid for every year).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

/// The first `weekday` on or after `from`.
fn weekday_from(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The days off of `country` (a code as in [`COUNTRIES`]; others have none) in `year`, by date.
pub fn holidays(country: &str, year: i32) -> Vec<Holiday> {
    let mut days = match country.to_ascii_uppercase().as_str() {
        "SE" => sweden(year),
        "CZ" => czechia(year),
        "RU" => russia(year),
        "BR" => brazil(year),
        _ => Vec::new(),
    };
    days.sort_by_key(|h| h.date);
    days
}

fn public(date: NaiveDate, name: &'static str) -> Holiday {
    Holiday {
        date,
        name,
        kind: HolidayKind::Public,
    }
}

fn sweden(y: i32) -> Vec<Holiday> {
    let e = easter(y);
    let mut d = vec![
        public(date(y, 1, 1), "Nyårsdagen"),
        public(date(y, 1, 6), "Trettondedag jul"),
        public(e - Duration::days(2), "Långfredagen"),
        public(e, "Påskdagen"),
        public(e + Duration::days(1), "Annandag påsk"),
        public(date(y, 5, 1), "Första maj"),
        public(e + Duration::days(39), "Kristi himmelsfärdsdag"),
        public(e + Duration::days(49), "Pingstdagen"),
        public(weekday_from(date(y, 6, 20), Weekday::Sat), "Midsommardagen"),
        public(weekday_from(date(y, 10, 31), Weekday::Sat), "Alla helgons dag"),
        public(date(y, 12, 25), "Juldagen"),
        public(date(y, 12, 26), "Annandag jul"),
    ];
    // Whit Monday gave way to the National Day in 2005.
    if y <= 2004 {
        d.push(public(e + Duration::days(50), "Annandag pingst"));
    } else {
        d.push(public(date(y, 6, 6), "Sveriges nationaldag"));
    }
    for (day, name) in [
        (weekday_from(date(y, 6, 19), Weekday::Fri), "Midsommarafton"),
        (date(y, 12, 24), "Julafton"),
        (date(y, 12, 31), "Nyårsafton"),
    ] {
        d.push(Holiday {
            date: day,
            name,
            kind: HolidayKind::DeFacto,
        });
    }
    d
}

fn czechia(y: i32) -> Vec<Holiday> {
    let e = easter(y);
    let mut d = vec![
        public(date(y, 1, 1), "Den obnovy samostatného českého státu; Nový rok"),
        public(e + Duration::days(1), "Velikonoční pondělí"),
        public(date(y, 5, 1), "Svátek práce"),
        public(date(y, 5, 8), "Den vítězství"),
        public(date(y, 7, 5), "Den slovanských věrozvěstů Cyrila a Metoděje"),
        public(date(y, 7, 6), "Den upálení mistra Jana Husa"),
        public(date(y, 9, 28), "Den české státnosti"),
        public(date(y, 10, 28), "Den vzniku samostatného československého státu"),
        public(date(y, 11, 17), "Den boje za svobodu a demokracii"),
        public(date(y, 12, 24), "Štědrý den"),
        public(date(y, 12, 25), "1. svátek vánoční"),
        public(date(y, 12, 26), "2. svátek vánoční"),
    ];
    if y >= 2016 {
        d.push(public(e - Duration::days(2), "Velký pátek"));
    }
    d
}

/// Russia's days off beyond the fixed holidays, by year: the government's transfers (and,
/// before 2013, holidays moved off weekends); then the weekend days worked instead.
type Transfers = (i32, &'static [(u32, u32)], &'static [(u32, u32)]);
const RU_TRANSFERS: &[Transfers] = &[
    (2000, &[(1, 3), (1, 4), (5, 8), (11, 6), (12, 11)], &[(5, 6), (11, 4), (12, 9)]),
    (
        2001,
        &[(1, 8), (3, 9), (4, 30), (6, 11), (12, 31)],
        &[(3, 11), (4, 28), (6, 9), (12, 29)],
    ),
    (
        2002,
        &[(2, 25), (5, 3), (5, 10), (11, 8), (12, 13)],
        &[(4, 27), (5, 18), (11, 10), (12, 15)],
    ),
    (2003, &[(1, 3), (1, 6), (2, 24), (3, 10), (6, 13)], &[(1, 4), (1, 5), (6, 21)]),
    (2004, &[(5, 3), (5, 4), (5, 10), (6, 14), (11, 8), (12, 13)], &[]),
    (2005, &[(1, 6), (1, 10), (3, 7), (5, 2), (5, 10), (6, 13)], &[(3, 5), (5, 14)]),
    (2006, &[(1, 6), (1, 9), (2, 24), (5, 8), (11, 6)], &[(2, 26), (5, 6)]),
    (2007, &[(1, 8), (4, 30), (6, 11), (11, 5), (12, 31)], &[(4, 28), (6, 9), (12, 29)]),
    (
        2008,
        &[(1, 8), (2, 25), (3, 10), (5, 2), (6, 13), (11, 3)],
        &[(5, 4), (6, 7), (11, 1)],
    ),
    (2009, &[(1, 6), (1, 8), (1, 9), (3, 9), (5, 11)], &[(1, 11)]),
    (
        2010,
        &[(1, 6), (1, 8), (2, 22), (5, 3), (5, 10), (6, 14), (11, 5)],
        &[(2, 27), (11, 13)],
    ),
    (2011, &[(1, 6), (1, 10), (3, 7), (5, 2), (6, 13)], &[(3, 5)]),
    (
        2012,
        &[(1, 6), (1, 9), (3, 9), (4, 30), (5, 7), (5, 8), (6, 11), (11, 5), (12, 31)],
        &[(3, 11), (4, 28), (5, 5), (5, 12), (6, 9), (12, 29)],
    ),
    (2013, &[(5, 2), (5, 3), (5, 10)], &[]),
    (2014, &[(5, 2), (6, 13), (11, 3)], &[]),
    (2015, &[(1, 9), (3, 9), (5, 4), (5, 11)], &[]),
    (2016, &[(2, 22), (3, 7), (5, 2), (5, 3), (6, 13)], &[(2, 20)]),
    (2017, &[(2, 24), (5, 8), (11, 6)], &[]),
    (
        2018,
        &[(3, 9), (4, 30), (5, 2), (6, 11), (11, 5), (12, 31)],
        &[(4, 28), (6, 9), (12, 29)],
    ),
    (2019, &[(5, 2), (5, 3), (5, 10)], &[]),
    (2020, &[(2, 24), (3, 9), (5, 4), (5, 5), (5, 11)], &[]),
    (2021, &[(2, 22), (5, 3), (5, 10), (6, 14), (11, 5), (12, 31)], &[(2, 20)]),
    (2022, &[(3, 7), (5, 2), (5, 3), (5, 10), (6, 13)], &[(3, 5)]),
    (2023, &[(2, 24), (5, 8), (11, 6)], &[]),
    (
        2024,
        &[(4, 29), (4, 30), (5, 10), (12, 30), (12, 31)],
        &[(4, 27), (11, 2), (12, 28)],
    ),
    (2025, &[(5, 2), (5, 8), (6, 13), (11, 3), (12, 31)], &[(11, 1)]),
    (2026, &[(1, 9), (3, 9), (5, 11), (12, 31)], &[]),
    (2027, &[(2, 22), (5, 3), (5, 10), (6, 14), (11, 5), (12, 31)], &[(2, 20)]),
];

fn russia(y: i32) -> Vec<Holiday> {
    let new_year: &[u32] = match y {
        ..=2004 => &[1, 2],
        2005..=2012 => &[1, 2, 3, 4, 5],
        _ => &[1, 2, 3, 4, 5, 6, 8],
    };
    let mut d: Vec<Holiday> = new_year.iter().map(|day| public(date(y, 1, *day), "Новогодние каникулы")).collect();
    d.push(public(date(y, 1, 7), "Рождество Христово"));
    if y >= 2002 {
        d.push(public(date(y, 2, 23), "День защитника Отечества"));
    }
    d.push(public(date(y, 3, 8), "Международный женский день"));
    d.push(public(date(y, 5, 1), "Праздник Весны и Труда"));
    if y <= 2004 {
        d.push(public(date(y, 5, 2), "Праздник Весны и Труда"));
    }
    d.push(public(date(y, 5, 9), "День Победы"));
    d.push(public(date(y, 6, 12), "День России"));
    if y <= 2004 {
        d.push(public(date(y, 11, 7), "День согласия и примирения"));
        d.push(public(date(y, 12, 12), "День Конституции"));
    } else {
        d.push(public(date(y, 11, 4), "День народного единства"));
    }
    match RU_TRANSFERS.iter().find(|(year, ..)| *year == y) {
        Some((_, off, _)) => {
            for (m, day) in *off {
                d.push(transferred(date(y, *m, *day)));
            }
        }
        None if y > 2027 => {
            // No decree yet: the Labour Code moves a holiday off a weekend to the next working
            // day (the New Year holidays' weekend days are moved only by decree).
            let fixed: Vec<NaiveDate> = d.iter().map(|h| h.date).collect();
            let mut taken = fixed.clone();
            for day in fixed {
                if day.month() == 1 && day.day() <= 8 || !is_weekend(day) {
                    continue;
                }
                let mut next = day + Duration::days(1);
                while is_weekend(next) || taken.contains(&next) {
                    next += Duration::days(1);
                }
                taken.push(next);
                d.push(transferred(next));
            }
        }
        None => {}
    }
    d
}

fn transferred(date: NaiveDate) -> Holiday {
    Holiday {
        date,
        name: "Выходной день (перенос)",
        kind: HolidayKind::Transferred,
    }
}

/// Weekend days that are working days by a transfer (Russia).
pub fn worked_weekend_days(country: &str, year: i32) -> Vec<NaiveDate> {
    if !country.eq_ignore_ascii_case("RU") {
        return Vec::new();
    }
    RU_TRANSFERS
        .iter()
        .find(|(y, ..)| *y == year)
        .map(|(_, _, work)| work.iter().map(|(m, d)| date(year, *m, *d)).collect())
        .unwrap_or_default()
}

fn brazil(y: i32) -> Vec<Holiday> {
    let e = easter(y);
    let mut d = vec![
        public(date(y, 1, 1), "Confraternização Universal"),
        public(e - Duration::days(2), "Sexta-feira Santa"),
        public(date(y, 4, 21), "Tiradentes"),
        public(date(y, 5, 1), "Dia do Trabalhador"),
        public(date(y, 9, 7), "Independência do Brasil"),
        public(date(y, 10, 12), "Nossa Senhora Aparecida"),
        public(date(y, 11, 2), "Finados"),
        public(date(y, 11, 15), "Proclamação da República"),
        public(date(y, 12, 25), "Natal"),
    ];
    // A national holiday since Law 14,759 of 2023.
    if y >= 2024 {
        d.push(public(date(y, 11, 20), "Dia Nacional de Zumbi e da Consciência Negra"));
    }
    d
}

/// Whether `day` is a working day in `country`: not a weekend day (unless worked by a
/// transfer) and not a holiday, by law or by custom.
pub fn is_working_day(country: &str, day: NaiveDate) -> bool {
    if holidays(country, day.year()).iter().any(|h| h.date == day) {
        return false;
    }
    !is_weekend(day) || worked_weekend_days(country, day.year()).contains(&day)
}

/// The working day `n` working days after `day` (n = 0: `day` itself if it is one, else the
/// next).
pub fn add_working_days(country: &str, day: NaiveDate, n: u32) -> NaiveDate {
    let mut current = day;
    while !is_working_day(country, current) {
        current += Duration::days(1);
    }
    for _ in 0..n {
        current += Duration::days(1);
        while !is_working_day(country, current) {
            current += Duration::days(1);
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates() {
        for (y, m, d) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2025, 4, 20),
            (2038, 4, 25),
        ] {
            assert_eq!(easter(y), date(y, m, d), "{y}");
        }
    }

    #[test]
    fn swedish_midsummer_and_all_saints() {
        let se = holidays("SE", 2025);
        let named = |name: &str| se.iter().find(|h| h.name == name).map(|h| h.date);
        assert_eq!(named("Midsommarafton"), Some(date(2025, 6, 20)));
        assert_eq!(named("Midsommardagen"), Some(date(2025, 6, 21)));
        assert_eq!(named("Alla helgons dag"), Some(date(2025, 11, 1)));
        assert_eq!(named("Annandag pingst"), None);
        assert!(holidays("SE", 2004).iter().any(|h| h.name == "Annandag pingst"));
    }

    #[test]
    fn working_days_skip_weekends_holidays_and_follow_transfers() {
        // Thursday before Midsummer Eve 2025: the next working day is Monday.
        assert_eq!(add_working_days("SE", date(2025, 6, 19), 1), date(2025, 6, 23));
        // Christmas in Prague: from Tuesday the 23rd, the next working day is Monday the 29th.
        assert_eq!(add_working_days("CZ", date(2025, 12, 23), 1), date(2025, 12, 29));
        // Russia, 1 November 2025 is a Saturday worked for the 3rd.
        assert!(is_working_day("RU", date(2025, 11, 1)));
        assert!(!is_working_day("RU", date(2025, 11, 3)));
        // Unknown countries have weekends only.
        assert_eq!(add_working_days("XX", date(2025, 12, 24), 1), date(2025, 12, 25));
        assert_eq!(add_working_days("SE", date(2025, 12, 27), 0), date(2025, 12, 29));
    }

    #[test]
    fn russian_holidays_move_off_weekends_without_a_decree() {
        // 2028: 23 February is a Wednesday, 8 March a Wednesday, 12 June a Monday,
        // 4 November a Saturday -> Monday 6 November.
        let ru = holidays("RU", 2028);
        assert!(ru.iter().any(|h| h.date == date(2028, 11, 6)));
        assert!(!ru.iter().any(|h| h.date == date(2028, 6, 13)));
    }
}
