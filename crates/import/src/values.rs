//! Parsers for the cell formats of amoCRM exports: ids, money, wall-clock dates, tag lists.
//!
//! Each parser returns `Ok(None)` for an empty cell and an error naming what is wrong otherwise;
//! the caller adds the file, line and column.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
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
    NotNumber,
    NotBool,
    NotMonth,
    /// A date outside the years that queries can compute with.
    DateOutOfRange,
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
            ValueError::NotNumber => "invalid_number",
            ValueError::NotBool => "invalid_boolean",
            ValueError::NotMonth => "invalid_month",
            ValueError::DateOutOfRange => "date_out_of_range",
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
            ValueError::NotNumber => "reject-invalid-number",
            ValueError::NotBool => "reject-invalid-boolean",
            ValueError::NotMonth => "reject-invalid-month",
            ValueError::DateOutOfRange => "reject-date-out-of-range",
        }
    }
}

/// Parses a whole number such as `27680693`; spaces used as thousands separators are allowed.
pub fn parse_integer(text: &str) -> Result<Option<i64>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    // Plain digits, as exports write ids, need no copy.
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map(Some).map_err(|_| ValueError::NotInteger);
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
    if let Some(cents) = plain_money(text.trim()) {
        return Ok(Some(cents));
    }
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
    // A typographic minus (U+2212), as word processors write it, is a minus.
    let compact: String = text
        .chars()
        .filter(|c| !is_group_space(*c))
        .map(|c| if c == '\u{2212}' { '-' } else { c })
        .collect();
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

/// Reads the common plain forms `185000`, `42000,5` and `42000.50` without a copy; anything else
/// is left to the full parser.
fn plain_money(text: &str) -> Option<i128> {
    let bytes = text.as_bytes();
    let (whole, fraction) = match bytes.iter().position(|b| matches!(b, b',' | b'.')) {
        Some(at) => (&bytes[..at], &bytes[at + 1..]),
        None => (bytes, &[][..]),
    };
    if whole.is_empty()
        || whole.len() > 16
        || fraction.len() > 2
        || (bytes.len() > whole.len() && fraction.is_empty())
        || !whole.iter().chain(fraction).all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut cents: i128 = 0;
    for digit in whole {
        cents = cents * 10 + i128::from(digit - b'0');
    }
    let mut fraction_cents = 0;
    for (i, digit) in fraction.iter().enumerate() {
        fraction_cents += i128::from(digit - b'0') * if i == 0 { 10 } else { 1 };
    }
    Some(cents * 100 + fraction_cents)
}

/// Trims white space like [`str::trim`], returning at once the usual cell that neither starts
/// nor ends with a space.
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    // ASCII other than space and control characters is not white space, and neither is a
    // Cyrillic letter (lead byte 0xD0 or 0xD1). That covers nearly every cell without decoding.
    let plain_start = |b: u8| (0x21..0x7F).contains(&b) || b == 0xD0 || b == 0xD1;
    let plain_end = match bytes {
        [] => return text,
        [.., lead, last] if (*lead == 0xD0 || *lead == 0xD1) && (0x80..0xC0).contains(last) => true,
        [.., last] => (0x21..0x7F).contains(last),
    };
    if plain_end && plain_start(bytes[0]) {
        return text;
    }
    match (text.chars().next(), text.chars().next_back()) {
        (Some(first), Some(last)) if !first.is_whitespace() && !last.is_whitespace() => text,
        _ => text.trim(),
    }
}

/// Reports whether a closing-date cell marks the deal as still open.
pub fn is_open_marker(text: &str) -> bool {
    let text = trim(text);
    // Every spelling starts with a Cyrillic letter of the first half of the alphabet, whose
    // UTF-8 lead byte is 0xD0; dates start with a digit.
    if text.as_bytes().first() != Some(&0xD0) {
        return false;
    }
    let folded = text.to_lowercase().replace('ё', "е");
    matches!(folded.as_str(), "не закрыта" | "не закрыто" | "не закрыт")
}

/// Parses a wall-clock date and time as amoCRM writes it: `dd.mm.yyyy hh:mm:ss`, also without
/// seconds, without the time, with one-digit day or month, or in ISO form `yyyy-mm-dd hh:mm:ss`.
pub fn parse_wall_time(text: &str) -> Result<Option<NaiveDateTime>, ValueError> {
    let wall = match fixed_wall_time(text.as_bytes()) {
        Some(wall) => Some(wall),
        None => any_wall_time(text)?,
    };
    match wall {
        Some(wall) if !SUPPORTED_YEARS.contains(&wall.year()) => Err(ValueError::DateOutOfRange),
        other => Ok(other),
    }
}

/// Years a date may have. Date functions of queries compute in nanoseconds, which reach only
/// from 1677 to 2262; a placeholder such as `31.12.9999` would make every report over the
/// column fail, so such a row is rejected with its reason.
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

fn any_wall_time(text: &str) -> Result<Option<NaiveDateTime>, ValueError> {
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

/// Reads the usual `dd.mm.yyyy hh:mm:ss`, `dd.mm.yyyy hh:mm` or `dd.mm.yyyy` without splitting
/// the text. Any other shape, or an impossible date, is left to the general parser, which
/// also reports the error.
fn fixed_wall_time(bytes: &[u8]) -> Option<NaiveDateTime> {
    let digits = |at: usize, len: usize| -> Option<u32> {
        let mut value = 0u32;
        for byte in bytes.get(at..at + len)? {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        Some(value)
    };
    let has = |at: usize, byte: u8| bytes.get(at) == Some(&byte);
    if !(has(2, b'.') && has(5, b'.')) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(digits(6, 4)?).ok()?,
        digits(3, 2)?,
        digits(0, 2)?,
    )?;
    let (hour, minute, second) = match bytes.len() {
        10 => (0, 0, 0),
        16 if has(10, b' ') && has(13, b':') => (digits(11, 2)?, digits(14, 2)?, 0),
        19 if has(10, b' ') && has(13, b':') && has(16, b':') => {
            (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?)
        }
        _ => return None,
    };
    date.and_hms_opt(hour, minute, second)
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

/// Parses a calendar date: `dd.mm.yyyy`, `yyyy-mm-dd`, `dd/mm/yyyy` or the compact `yyyymmdd`.
/// A time after the date (`01.01.2025 10:00:00`, `2025-01-01T10:00`, a date cell of Excel with a
/// time) is checked and dropped.
pub fn parse_date(text: &str) -> Result<Option<NaiveDate>, ValueError> {
    match parse_any_date(text)? {
        Some(date) if !SUPPORTED_YEARS.contains(&date.year()) => Err(ValueError::DateOutOfRange),
        other => Ok(other),
    }
}

fn parse_any_date(text: &str) -> Result<Option<NaiveDate>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    if let Some((date, time)) = text.split_once([' ', 'T']) {
        parse_time_part(time.trim())?;
        return parse_any_date(date);
    }
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let year = parse_number(&text[..4], 4)?;
        let month = parse_number(&text[4..6], 2)?;
        let day = parse_number(&text[6..], 2)?;
        let year = i32::try_from(year).map_err(|_| ValueError::NotDate)?;
        return NaiveDate::from_ymd_opt(year, month, day)
            .map(Some)
            .ok_or(ValueError::ImpossibleDate);
    }
    if text.contains('/') {
        return parse_date_part(&text.replace('/', ".")).map(Some);
    }
    parse_date_part(text).map(Some)
}

const MONTH_NAMES: [[&str; 3]; 12] = [
    ["январь", "января", "january"],
    ["февраль", "февраля", "february"],
    ["март", "марта", "march"],
    ["апрель", "апреля", "april"],
    ["май", "мая", "may"],
    ["июнь", "июня", "june"],
    ["июль", "июля", "july"],
    ["август", "августа", "august"],
    ["сентябрь", "сентября", "september"],
    ["октябрь", "октября", "october"],
    ["ноябрь", "ноября", "november"],
    ["декабрь", "декабря", "december"],
];

/// Parses a month into its first day: `2024-03`, `03.2024`, `2024.03`, `март 2024`, `March 2024`,
/// or a whole date, which stands for its month.
pub fn parse_month(text: &str) -> Result<Option<NaiveDate>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    let first_of = |year: u32, month: u32| {
        i32::try_from(year)
            .ok()
            .and_then(|year| NaiveDate::from_ymd_opt(year, month, 1))
            .ok_or(ValueError::NotMonth)
    };
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if let [name, year] = words.as_slice() {
        let name = name.trim_end_matches('.');
        if let Some(month) = MONTH_NAMES.iter().position(|forms| {
            forms
                .iter()
                .any(|form| *form == name || (name.len() >= 3 && form.starts_with(name)))
        }) {
            let year = parse_number(year.trim_end_matches(['г', '.']), 4)
                .map_err(|_| ValueError::NotMonth)?;
            return first_of(year, month as u32 + 1).map(Some);
        }
        return Err(ValueError::NotMonth);
    }
    let parts: Vec<&str> = text.split(['-', '.', '/']).collect();
    if let [a, b] = parts.as_slice() {
        let (year, month) = if a.len() == 4 { (a, b) } else { (b, a) };
        if year.len() != 4 {
            return Err(ValueError::NotMonth);
        }
        let year = parse_number(year, 4).map_err(|_| ValueError::NotMonth)?;
        let month = parse_number(month, 2).map_err(|_| ValueError::NotMonth)?;
        return first_of(year, month).map(Some);
    }
    match parse_date(text) {
        Ok(Some(date)) => first_of(
            u32::try_from(chrono::Datelike::year(&date)).map_err(|_| ValueError::NotMonth)?,
            chrono::Datelike::month(&date),
        )
        .map(Some),
        Ok(None) => Ok(None),
        Err(_) => Err(ValueError::NotMonth),
    }
}

/// Parses a number with a fractional part of any length: `3.75`, `3,75`, `1 234,5`, `-0.5`.
pub fn parse_float(text: &str) -> Result<Option<f64>, ValueError> {
    let text = text.trim().trim_start_matches('\'');
    if text.is_empty() {
        return Ok(None);
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !is_group_space(*c))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let value: f64 = cleaned.parse().map_err(|_| ValueError::NotNumber)?;
    if value.is_finite() {
        Ok(Some(value))
    } else {
        Err(ValueError::NotNumber)
    }
}

/// Parses a yes/no cell: `да`/`нет`, `yes`/`no`, `true`/`false`, `1`/`0`.
pub fn parse_bool(text: &str) -> Result<Option<bool>, ValueError> {
    let text = text.trim().to_lowercase();
    match text.as_str() {
        "" => Ok(None),
        "да" | "yes" | "true" | "1" | "y" | "д" | "истина" => Ok(Some(true)),
        "нет" | "no" | "false" | "0" | "n" | "н" | "ложь" => Ok(Some(false)),
        _ => Err(ValueError::NotBool),
    }
}

/// Splits a tags cell (`опт,повторный` or `опт, повторный`) into tags.
pub fn split_tags(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|tag| !tag.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_months_numbers() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_date("19970101"), Ok(date(1997, 1, 1)));
        assert_eq!(parse_date("03.06.2024"), Ok(date(2024, 6, 3)));
        assert_eq!(parse_date("2024-06-03"), Ok(date(2024, 6, 3)));
        assert_eq!(parse_date("03/06/2024"), Ok(date(2024, 6, 3)));
        assert_eq!(parse_date("19971301"), Err(ValueError::ImpossibleDate));
        assert_eq!(parse_date("вчера"), Err(ValueError::NotDate));
        // A time after the date is checked and dropped.
        assert_eq!(parse_date("2025-01-01 00:00:00"), Ok(date(2025, 1, 1)));
        assert_eq!(parse_date("02.01.2025 18:00:00"), Ok(date(2025, 1, 2)));
        assert_eq!(parse_date("2025-01-01T10:30"), Ok(date(2025, 1, 1)));
        assert_eq!(parse_date("02.01.2025 вечер"), Err(ValueError::NotDate));
        assert_eq!(
            parse_date("31.02.2025 10:00"),
            Err(ValueError::ImpossibleDate)
        );
        assert_eq!(parse_month("2024-03"), Ok(date(2024, 3, 1)));
        assert_eq!(parse_month("03.2024"), Ok(date(2024, 3, 1)));
        assert_eq!(parse_month("Март 2024"), Ok(date(2024, 3, 1)));
        assert_eq!(parse_month("сент. 2024"), Ok(date(2024, 9, 1)));
        assert_eq!(parse_month("March 2024"), Ok(date(2024, 3, 1)));
        assert_eq!(parse_month("15.03.2024"), Ok(date(2024, 3, 1)));
        assert_eq!(parse_month("2024-13"), Err(ValueError::NotMonth));
        assert_eq!(parse_float("1 234,5"), Ok(Some(1234.5)));
        assert_eq!(parse_float("abc"), Err(ValueError::NotNumber));
        assert_eq!(parse_bool("Да"), Ok(Some(true)));
        assert_eq!(parse_bool("нет"), Ok(Some(false)));
        assert_eq!(parse_bool("может"), Err(ValueError::NotBool));
    }

    #[test]
    fn money_formats() {
        let cases: &[(&str, i128)] = &[
            ("185000", 18_500_000),
            ("185 000", 18_500_000),
            ("185\u{a0}000", 18_500_000),
            ("185\u{202f}000", 18_500_000),
            ("42 000,50", 4_200_050),
            ("\u{2212}500", -50_000),
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
        // Placeholders far in the past or future are rejected, not stored.
        assert_eq!(
            parse_wall_time("31.12.9999 23:59:59"),
            Err(ValueError::DateOutOfRange)
        );
        assert_eq!(
            parse_wall_time("01.01.0001 00:00:00"),
            Err(ValueError::DateOutOfRange)
        );
        assert_eq!(parse_date("9999-12-31"), Err(ValueError::DateOutOfRange));
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
    fn fixed_wall_time_matches_general_parser() {
        let texts = [
            "21.06.2024 12:05:07",
            "29.02.2024 23:59:59",
            "01.01.2025 00:00",
            "31.12.2024",
            "29.02.2023 10:00:00",
            "21.06.2024 12:05:60",
            "21.06.2024 24:00:00",
            "21.13.2024 12:00:00",
            "00.06.2024",
            "1.6.2024",
            "21.06.2024T12:05:07",
            "21.06.2024 12:05:07 ",
            "2024-06-21 12:05:07",
            "21.06.202a 12:05:07",
        ];
        for text in texts {
            let general = any_wall_time(text);
            match fixed_wall_time(text.as_bytes()) {
                Some(wall) => assert_eq!(general, Ok(Some(wall)), "{text}"),
                None => assert_eq!(parse_wall_time(text), general, "{text}"),
            }
        }
        // The quick path takes the usual shapes.
        assert!(fixed_wall_time(b"21.06.2024 12:05:07").is_some());
        assert!(fixed_wall_time(b"21.06.2024 12:05").is_some());
        assert!(fixed_wall_time(b"21.06.2024").is_some());
    }

    #[test]
    fn trim_matches_std_trim() {
        for text in [
            "",
            " ",
            "Москва",
            " Москва",
            "Москва\u{a0}",
            "\u{2009}опт\u{3000}",
            "ъ",
            "a",
            "\t1\r",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn open_marker_variants() {
        assert!(is_open_marker("не закрыта"));
        assert!(is_open_marker(" Не закрыта "));
        assert!(is_open_marker("НЕ ЗАКРЫТО"));
        assert!(!is_open_marker("21.06.2024"));
        assert!(!is_open_marker("не знаю"));
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
