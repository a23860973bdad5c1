//! Localized text for every screen, message and help line of crmsql.
//!
//! Messages live in Fluent files, one per language (`locales/ru.ftl`, `locales/en.ftl`), so each
//! string is written once and plural forms follow the CLDR rules of its language. This crate owns
//! the choice of language and the lookup; it does not print anything.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::{LanguageIdentifier, langid};

const RU_MESSAGES: &str = include_str!("../locales/ru.ftl");
const EN_MESSAGES: &str = include_str!("../locales/en.ftl");

/// Language of screens and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// Parses a language code such as `ru`, `en`, `en_US.UTF-8` or `ru-RU`.
    pub fn parse(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let primary = code.split(['_', '-', '.', '@']).next().unwrap_or_default();
        match primary {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the language from the environment: `CRMSQL_LANG`, then the locale variables.
    ///
    /// Russian is the default. English is chosen only when the locale is English.
    pub fn from_env() -> Lang {
        if let Some(lang) = std::env::var("CRMSQL_LANG")
            .ok()
            .and_then(|v| Lang::parse(&v))
        {
            return lang;
        }
        // LC_ALL overrides LC_MESSAGES, which overrides LANG (POSIX order).
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var) {
                if value.is_empty() {
                    continue;
                }
                return if Lang::parse(&value) == Some(Lang::En) {
                    Lang::En
                } else {
                    Lang::Ru
                };
            }
        }
        match sys_locale::get_locale().and_then(|l| Lang::parse(&l)) {
            Some(Lang::En) => Lang::En,
            _ => Lang::Ru,
        }
    }

    /// Returns the two-letter code of the language.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// Groups the digits of a number by thousands and sets its decimal mark: `1234567.5` becomes
/// `1 234 567,5` in Russian (with narrow no-break spaces) and `1,234,567.5` in English, when
/// the number has at least `from` digits before the mark. Text that is not a plain decimal
/// number, such as `NaN` or `1e300`, only gets the decimal mark.
pub fn group_digits(raw: &str, lang: Lang, from: usize) -> String {
    let (group, mark) = match lang {
        Lang::Ru => ('\u{202F}', ','),
        Lang::En => (',', '.'),
    };
    let (sign, digits) = match raw.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", raw),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    if !plain {
        return raw.replace('.', &mark.to_string());
    }
    let mut text = String::with_capacity(raw.len() + whole.len() / 3 * 3);
    text.push_str(sign);
    if whole.len() >= from {
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                text.push(group);
            }
            text.push(digit);
        }
    } else {
        text.push_str(whole);
    }
    if let Some(fraction) = fraction {
        text.push(mark);
        text.push_str(fraction);
    }
    text
}

/// Value of a message argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Arg::Text(value.clone())
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Number(value)
    }
}

impl From<usize> for Arg {
    fn from(value: usize) -> Self {
        Arg::Number(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<u64> for Arg {
    fn from(value: u64) -> Self {
        Arg::Number(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

/// Writes a whole number argument of a Russian message with its digits grouped.
fn grouped_ru<M>(value: &FluentValue, _: &M) -> Option<String> {
    grouped(value, Lang::Ru)
}

/// Writes a whole number argument of an English message with its digits grouped.
fn grouped_en<M>(value: &FluentValue, _: &M) -> Option<String> {
    grouped(value, Lang::En)
}

fn grouped(value: &FluentValue, lang: Lang) -> Option<String> {
    match value {
        FluentValue::Number(number) => Some(group_digits(&number.as_string(), lang, 5)),
        _ => None,
    }
}

/// Message catalog of one language.
pub struct Localizer {
    lang: Lang,
    bundle: FluentBundle<FluentResource>,
}

impl fmt::Debug for Localizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Localizer")
            .field("lang", &self.lang)
            .finish()
    }
}

static RU: OnceLock<Localizer> = OnceLock::new();
static EN: OnceLock<Localizer> = OnceLock::new();

impl Localizer {
    /// Returns the shared catalog of `lang`, loading it on first use.
    pub fn get(lang: Lang) -> &'static Localizer {
        match lang {
            Lang::Ru => RU.get_or_init(|| Localizer::load(Lang::Ru)),
            Lang::En => EN.get_or_init(|| Localizer::load(Lang::En)),
        }
    }

    /// Returns the English catalog, used for `Display` of errors and for logs.
    pub fn english() -> &'static Localizer {
        Localizer::get(Lang::En)
    }

    fn load(lang: Lang) -> Localizer {
        let (source, id): (&str, LanguageIdentifier) = match lang {
            Lang::Ru => (RU_MESSAGES, langid!("ru")),
            Lang::En => (EN_MESSAGES, langid!("en")),
        };
        // The files are compiled in and checked by the tests below, so a parse error here is a
        // build defect. The resource still loads every message that did parse.
        let resource = match FluentResource::try_new(source.to_owned()) {
            Ok(resource) => resource,
            Err((resource, _errors)) => resource,
        };
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Unicode isolation marks around arguments would end up in files and terminals.
        bundle.set_use_isolating(false);
        // Counts of five digits or more are grouped, as in result tables: 12 345 строк.
        bundle.set_formatter(Some(match lang {
            Lang::Ru => grouped_ru,
            Lang::En => grouped_en,
        }));
        // Duplicate ids are rejected by the tests; keep the first definition if one slips in.
        let _ = bundle.add_resource(resource);
        Localizer { lang, bundle }
    }

    /// Returns the language of this catalog.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Formats message `id` without arguments.
    pub fn text(&self, id: &str) -> String {
        self.format(id, &[])
    }

    /// Formats message `id` with named arguments.
    ///
    /// A missing message yields its id, so a gap in a catalog shows up on screen instead of
    /// hiding the output.
    pub fn format(&self, id: &str, args: &[(&str, Arg)]) -> String {
        let Some(message) = self.bundle.get_message(id) else {
            return id.to_owned();
        };
        let Some(pattern) = message.value() else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::String(Cow::Owned(text.clone())),
                Arg::Number(number) => FluentValue::from(*number),
            };
            fluent_args.set(*name, value);
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// Reports whether the catalog has message `id`.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }
}

/// Lists the message ids defined in a Fluent source, in file order.
pub fn message_ids(lang: Lang) -> Vec<String> {
    let source = match lang {
        Lang::Ru => RU_MESSAGES,
        Lang::En => EN_MESSAGES,
    };
    source
        .lines()
        .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_owned()))
        .collect()
}

/// Error or value that can be shown in the user's language.
pub trait Localize {
    /// Formats `self` with the catalog `l`.
    fn localize(&self, l: &Localizer) -> String;
}

/// Describes an I/O error in the user's language, keeping the system's own text as detail.
pub fn io_error_text(error: &std::io::Error, l: &Localizer) -> String {
    use std::io::ErrorKind;
    let id = match error.kind() {
        ErrorKind::NotFound => "io-not-found",
        ErrorKind::PermissionDenied => "io-permission-denied",
        ErrorKind::AlreadyExists => "io-already-exists",
        ErrorKind::StorageFull => "io-storage-full",
        ErrorKind::IsADirectory => "io-is-a-directory",
        ErrorKind::NotADirectory => "io-not-a-directory",
        ErrorKind::AddrInUse => "io-addr-in-use",
        ErrorKind::AddrNotAvailable => "io-addr-not-available",
        ErrorKind::ConnectionRefused => "io-connection-refused",
        _ => return error.to_string(),
    };
    l.text(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn large_counts_are_grouped() {
        let ru = Localizer::get(Lang::Ru);
        assert_eq!(
            ru.format("rows", &[("count", Arg::from(1234usize))]),
            "1234 строки"
        );
        assert_eq!(
            ru.format("rows", &[("count", Arg::from(1_000_000usize))]),
            "1\u{202f}000\u{202f}000 строк"
        );
        let en = Localizer::get(Lang::En);
        assert_eq!(
            en.format("rows", &[("count", Arg::from(12_345usize))]),
            "12,345 rows"
        );
    }

    #[test]
    fn catalogs_parse_without_errors() {
        for source in [RU_MESSAGES, EN_MESSAGES] {
            let parsed = FluentResource::try_new(source.to_owned());
            assert!(
                parsed.is_ok(),
                "{:?}",
                parsed.err().map(|(_, errors)| errors)
            );
        }
    }

    #[test]
    fn catalogs_have_same_ids() {
        let ru: BTreeSet<_> = message_ids(Lang::Ru).into_iter().collect();
        let en: BTreeSet<_> = message_ids(Lang::En).into_iter().collect();
        assert_eq!(
            ru.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in en"
        );
        assert_eq!(
            en.difference(&ru).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "missing in ru"
        );
        assert_eq!(
            ru.len(),
            message_ids(Lang::Ru).len(),
            "duplicate id in ru.ftl"
        );
        assert_eq!(
            en.len(),
            message_ids(Lang::En).len(),
            "duplicate id in en.ftl"
        );
    }

    #[test]
    fn russian_row_plurals() {
        let ru = Localizer::get(Lang::Ru);
        let cases = [
            (1, "1 строка"),
            (2, "2 строки"),
            (5, "5 строк"),
            (11, "11 строк"),
            (21, "21 строка"),
            (22, "22 строки"),
            (25, "25 строк"),
            (0, "0 строк"),
            (111, "111 строк"),
        ];
        for (count, expected) in cases {
            assert_eq!(
                ru.format("rows", &[("count", Arg::from(count as i64))]),
                expected
            );
        }
    }

    #[test]
    fn russian_verbs_agree_with_counts() {
        let ru = Localizer::get(Lang::Ru);
        let progress = |rows: i64| {
            ru.format(
                "query-progress",
                &[
                    ("rows", Arg::from(rows)),
                    ("shown", Arg::from(rows.to_string())),
                    ("megabytes", Arg::from("1,0")),
                    ("seconds", Arg::from("2,0")),
                ],
            )
        };
        for (count, words) in [
            (1, "прочитана 1 строка"),
            (2, "прочитаны 2 строки"),
            (5, "прочитано 5 строк"),
            (11, "прочитано 11 строк"),
            (21, "прочитана 21 строка"),
            (22, "прочитаны 22 строки"),
            (25, "прочитано 25 строк"),
        ] {
            assert!(progress(count).contains(words), "{}", progress(count));
        }
        let hidden = |shown: i64| {
            ru.format(
                "rows-hidden",
                &[("count", Arg::from(1000i64)), ("shown", Arg::from(shown))],
            )
        };
        for (shown, words) in [
            (1, "показана первая;"),
            (2, "показаны 2 "),
            (5, "показано 5 "),
            (11, "показано 11 "),
            (21, "показана 21 "),
            (22, "показаны 22 "),
            (25, "показано 25 "),
        ] {
            assert!(hidden(shown).contains(words), "{}", hidden(shown));
        }
    }

    #[test]
    fn english_row_plurals() {
        let en = Localizer::get(Lang::En);
        assert_eq!(en.format("rows", &[("count", Arg::from(1i64))]), "1 row");
        for count in [0i64, 2, 5, 11, 21, 22, 25] {
            assert_eq!(
                en.format("rows", &[("count", Arg::from(count))]),
                format!("{count} rows")
            );
        }
    }

    #[test]
    fn lang_parse_accepts_locales() {
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("ru-RU"), Some(Lang::Ru));
        assert_eq!(Lang::parse("RU"), Some(Lang::Ru));
        assert_eq!(Lang::parse("de_DE"), None);
    }

    #[test]
    fn missing_message_returns_id() {
        assert_eq!(
            Localizer::get(Lang::Ru).text("no-such-message"),
            "no-such-message"
        );
    }
}
