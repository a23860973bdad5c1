//! Parsers for the cell formats of amoCRM exports: ids, money, wall-clock dates, tag lists.
//!
//! Each parser returns `Ok(None)` for an empty cell and an error naming what is wrong otherwise;
//! the caller adds the file, line and column.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Reason a cell could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    NotInteger,
    NotMoney,
    TooManyDecimals,
    MoneyOutOfRange,
    NotDate,
    ImpossibleDate,
    NonexistentLocalTime,
}

impl ValueError {
    /// Stable code written to the rejects file.
    pub fn code(self) -> &'static str {
        match self {
            ValueError::NotInteger => "invalid_integer",
            ValueError::NotMoney => "invalid_money",
            ValueError::TooManyDecimals => "too_many_decimals",
            ValueError::MoneyOutOfRange => "money_out_of_range",
            ValueError::NotDate => "invalid_date",
            ValueError::ImpossibleDate => "impossible_date",
            ValueError::NonexistentLocalTime => "nonexistent_local_time",
        }
    }

    /// Id of the message that explains the error.
    pub fn message_id(self) -> &'static str {
        match self {
            ValueError::NotInteger => "reject-invalid-integer",
            ValueError::NotMoney => "reject-invalid-money",
            ValueError::TooManyDecimals => "reject-too-many-decimals",
            ValueError::MoneyOutOfRange => "reject-money-out-of-range",
            ValueError::NotDate => "reject-invalid-date",
            ValueError::ImpossibleDate => "reject-impossible-date",
            ValueError::NonexistentLocalTime => "reject-nonexistent-local-time",
        }
    }
}

/// Parses a whole number such as `27680693`; spaces used as thousands separators are allowed.
pub fn parse_integer(text: &str) -> Result<Option<i64>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    let digits: String = text.chars().filter(|c| !is_group_space(*c)).collect();
    digits.parse().map(Some).map_err(|_| ValueError::NotInteger)
}

fn is_group_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}')
}

/// Currency words and signs that may stand before or after an amount.
const CURRENCY_MARKS: &[&str] = &[
    "руб.",
    "руб",
    "р.",
    "₽",
    "rub",
    "$",
    "usd",
    "€",
    "eur",
    "₸",
    "тенге",
    "kzt",
    "₴",
    "грн.",
    "грн",
    "uah",
    "byn",
];

/// Largest number of kopecks that fits `DECIMAL(18, 2)`.
pub const MAX_MONEY_CENTS: i128 = 999_999_999_999_999_999;

/// Parses money into hundredths: `185000`, `185 000`, `185 000,50`, `42000.50`, `1,234,567.89`,
/// `-500`, `185 000 ₽`. More than two decimals is an error, because the column keeps kopecks
/// exactly.
pub fn parse_money(text: &str) -> Result<Option<i128>, ValueError> {
    let mut text = text.trim().trim_start_matches('\'').to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    // NOTE: a currency mark is dropped without comparing it with the column's currency, so
    // `$100` in a rouble column reads as 100.
    for mark in CURRENCY_MARKS {
        if let Some(rest) = text.strip_suffix(mark) {
            text = rest.trim_end().to_owned();
            break;
        }
        if let Some(rest) = text.strip_prefix(mark) {
            text = rest.trim_start().to_owned();
            break;
        }
    }
    let compact: String = text.chars().filter(|c| !is_group_space(*c)).collect();
    let (negative, unsigned) = match compact.as_bytes().first() {
        Some(b'-') => (true, &compact[1..]),
        Some(b'+') => (false, &compact[1..]),
        _ => (false, compact.as_str()),
    };
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return Err(ValueError::NotMoney);
    }

    let (integer, fraction) = split_decimal(unsigned)?;
    if integer.is_empty() && fraction.is_empty() {
        return Err(ValueError::NotMoney);
    }
    if fraction.len() > 2 {
        return Err(ValueError::TooManyDecimals);
    }
    if integer.len() > 16 {
        return Err(ValueError::MoneyOutOfRange);
    }
    let integer: i128 = if integer.is_empty() {
        0
    } else {
        integer.parse().map_err(|_| ValueError::NotMoney)?
    };
    let mut cents = integer * 100;
    if !fraction.is_empty() {
        let value: i128 = fraction.parse().map_err(|_| ValueError::NotMoney)?;
        cents += if fraction.len() == 1 {
            value * 10
        } else {
            value
        };
    }
    if cents > MAX_MONEY_CENTS {
        return Err(ValueError::MoneyOutOfRange);
    }
    Ok(Some(if negative { -cents } else { cents }))
}

/// Splits digits with `.` and `,` into integer digits and fraction digits.
///
/// When both separators occur, the last one is the decimal separator. A separator that occurs
/// once is decimal, so `5,123` has three decimals and is rejected rather than read as 5123: a
/// Russian export groups thousands with spaces, and guessing would misread `0,123`. A separator
/// that occurs more than once groups thousands and must be followed by three digits each time,
/// after a first group of one to three digits.
fn split_decimal(text: &str) -> Result<(String, String), ValueError> {
    let last_dot = text.rfind('.');
    let last_comma = text.rfind(',');
    let decimal_at = match (last_dot, last_comma) {
        (Some(dot), Some(comma)) => Some(dot.max(comma)),
        (Some(at), None) | (None, Some(at)) => {
            let separator = text.as_bytes()[at];
            let count = text.bytes().filter(|b| *b == separator).count();
            if count == 1 { Some(at) } else { None }
        }
        (None, None) => None,
    };
    let (integer_part, fraction) = match decimal_at {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    if fraction.contains(['.', ',']) {
        return Err(ValueError::NotMoney);
    }
    let groups: Vec<&str> = integer_part.split(['.', ',']).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err(ValueError::NotMoney);
    }
    Ok((groups.concat(), fraction.to_owned()))
}

/// Reports whether a closing-date cell marks the deal as still open.
pub fn is_open_marker(text: &str) -> bool {
    let folded = text.trim().to_lowercase().replace('ё', "е");
    matches!(folded.as_str(), "не закрыта" | "не закрыто" | "не закрыт")
}

/// Parses a wall-clock date and time as amoCRM writes it: `dd.mm.yyyy hh:mm:ss`, also without
/// seconds, without the time, with one-digit day or month, or in ISO form `yyyy-mm-dd hh:mm:ss`.
pub fn parse_wall_time(text: &str) -> Result<Option<NaiveDateTime>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    let (date_text, time_text) = match text.split_once([' ', 'T']) {
        Some((date, time)) => (date, Some(time.trim())),
        None => (text, None),
    };
    let date = parse_date_part(date_text)?;
    let time = match time_text {
        None | Some("") => NaiveTime::MIN,
        Some(time) => parse_time_part(time)?,
    };
    Ok(Some(date.and_time(time)))
}

fn parse_number(part: &str, max_len: usize) -> Result<u32, ValueError> {
    if part.is_empty() || part.len() > max_len || !part.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::NotDate);
    }
    part.parse().map_err(|_| ValueError::NotDate)
}

fn parse_date_part(text: &str) -> Result<NaiveDate, ValueError> {
    let (year, month, day) = if text.contains('.') {
        let mut parts = text.split('.');
        let day = parse_number(parts.next().unwrap_or_default(), 2)?;
        let month = parse_number(parts.next().unwrap_or_default(), 2)?;
        let year_text = parts.next().unwrap_or_default();
        if parts.next().is_some() || year_text.len() != 4 {
            return Err(ValueError::NotDate);
        }
        (parse_number(year_text, 4)?, month, day)
    } else if text.contains('-') {
        let mut parts = text.split('-');
        let year_text = parts.next().unwrap_or_default();
        let month = parse_number(parts.next().unwrap_or_default(), 2)?;
        let day = parse_number(parts.next().unwrap_or_default(), 2)?;
        if parts.next().is_some() || year_text.len() != 4 {
            return Err(ValueError::NotDate);
        }
        (parse_number(year_text, 4)?, month, day)
    } else {
        return Err(ValueError::NotDate);
    };
    let year = i32::try_from(year).map_err(|_| ValueError::NotDate)?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or(ValueError::ImpossibleDate)
}

fn parse_time_part(text: &str) -> Result<NaiveTime, ValueError> {
    let mut parts = text.split(':');
    let hour = parse_number(parts.next().unwrap_or_default(), 2)?;
    let minute = parse_number(parts.next().unwrap_or_default(), 2)?;
    let second = match parts.next() {
        Some(second) => parse_number(second, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return Err(ValueError::NotDate);
    }
    NaiveTime::from_hms_opt(hour, minute, second).ok_or(ValueError::ImpossibleDate)
}

/// Converts a wall time of `zone` to microseconds since the Unix epoch.
///
/// A wall time that occurs twice (clocks turned back) takes the earlier instant; one that never
/// occurs (clocks turned forward) is an error.
pub fn wall_time_to_micros(wall: NaiveDateTime, zone: Tz) -> Result<i64, ValueError> {
    let instant = zone
        .from_local_datetime(&wall)
        .earliest()
        .ok_or(ValueError::NonexistentLocalTime)?;
    Ok(instant.timestamp_micros())
}

/// Splits a tags cell (`опт,повторный` or `опт, повторный`) into tags.
pub fn split_tags(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|tag| !tag.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats() {
        let cases: &[(&str, i128)] = &[
            ("185000", 18_500_000),
            ("185 000", 18_500_000),
            ("185\u{a0}000", 18_500_000),
            ("185\u{202f}000", 18_500_000),
            ("42 000,50", 4_200_050),
            ("42000.50", 4_200_050),
            ("42000,5", 4_200_050),
            ("1,234,567.89", 123_456_789),
            ("1.234.567,89", 123_456_789),
            ("-500", -50_000),
            ("185 000 ₽", 18_500_000),
            ("185000 руб.", 18_500_000),
            ("0", 0),
            ("'1500", 150_000),
        ];
        for (text, cents) in cases {
            assert_eq!(parse_money(text), Ok(Some(*cents)), "{text}");
        }
        assert_eq!(parse_money(""), Ok(None));
        assert_eq!(parse_money("  "), Ok(None));
    }

    #[test]
    fn money_errors() {
        assert_eq!(parse_money("сто"), Err(ValueError::NotMoney));
        assert_eq!(parse_money("12-5"), Err(ValueError::NotMoney));
        assert_eq!(parse_money("1.5.0"), Err(ValueError::NotMoney));
        assert_eq!(parse_money("42000,505"), Err(ValueError::TooManyDecimals));
        assert_eq!(parse_money("0,123"), Err(ValueError::TooManyDecimals));
        assert_eq!(parse_money("5.125"), Err(ValueError::TooManyDecimals));
        assert_eq!(parse_money("1,23,456"), Err(ValueError::NotMoney));
        assert_eq!(parse_money("10.1234"), Err(ValueError::TooManyDecimals));
        assert_eq!(
            parse_money("99999999999999999"),
            Err(ValueError::MoneyOutOfRange)
        );
    }

    #[test]
    fn wall_time_formats() {
        let full = NaiveDate::from_ymd_opt(2024, 6, 21).and_then(|d| d.and_hms_opt(12, 5, 7));
        assert_eq!(parse_wall_time("21.06.2024 12:05:07"), Ok(full));
        assert_eq!(parse_wall_time("2024-06-21 12:05:07"), Ok(full));
        let minutes = NaiveDate::from_ymd_opt(2024, 6, 21).and_then(|d| d.and_hms_opt(12, 5, 0));
        assert_eq!(parse_wall_time("21.06.2024 12:05"), Ok(minutes));
        let midnight = NaiveDate::from_ymd_opt(2024, 6, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        assert_eq!(parse_wall_time("1.6.2024"), Ok(midnight));
        assert_eq!(parse_wall_time(""), Ok(None));
    }

    #[test]
    fn wall_time_errors() {
        assert_eq!(
            parse_wall_time("31.02.2024"),
            Err(ValueError::ImpossibleDate)
        );
        assert_eq!(
            parse_wall_time("21.06.2024 25:00"),
            Err(ValueError::ImpossibleDate)
        );
        assert_eq!(parse_wall_time("вчера"), Err(ValueError::NotDate));
        assert_eq!(parse_wall_time("21.06.24"), Err(ValueError::NotDate));
    }

    #[test]
    fn moscow_wall_time_to_utc() {
        let wall = NaiveDate::from_ymd_opt(2024, 7, 1).and_then(|d| d.and_hms_opt(0, 30, 0));
        let micros = wall.map(|w| wall_time_to_micros(w, chrono_tz::Europe::Moscow));
        // 2024-06-30T21:30:00Z
        assert_eq!(micros, Some(Ok(1_719_783_000_000_000)));
    }

    #[test]
    fn open_marker_variants() {
        assert!(is_open_marker("не закрыта"));
        assert!(is_open_marker(" Не закрыта "));
        assert!(!is_open_marker("21.06.2024"));
    }

    #[test]
    fn tags_split_and_trim() {
        assert_eq!(
            split_tags("опт, повторный,,").collect::<Vec<_>>(),
            ["опт", "повторный"]
        );
        assert_eq!(split_tags("").count(), 0);
    }
}
