//! Typed parameters of saved reports.
//!
//! A report declares each parameter in its header:
//!
//! ```sql
//! -- param: period period = last_month | Период отчёта
//! -- param: manager text | Менеджер; без него — все менеджеры
//! -- param.en: manager | Manager; all managers without it
//! SELECT ... WHERE in_period(closed_at, $period) [[AND manager = $manager]]
//! ```
//!
//! The query names a parameter as `$name`. Values are checked against the type before any query
//! runs and are bound to the plan as typed constants, never pasted into the SQL text, so no value
//! can change what the query does. A clause in `[[ ]]` drops out when a parameter it names has
//! no value.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::error::HeaderProblem;
use datafusion::common::ScalarValue;

/// Type of a report parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Text,
    Int,
    Number,
    Money,
    Date,
    Bool,
    /// A period preset such as `last_month`, as `in_period` takes it.
    Period,
    /// `previous` or `year`, the comparison period of the period functions.
    Compare,
}

impl ParamType {
    fn parse(word: &str) -> Option<ParamType> {
        Some(match word {
            "text" => ParamType::Text,
            "int" => ParamType::Int,
            "number" => ParamType::Number,
            "money" => ParamType::Money,
            "date" => ParamType::Date,
            "bool" => ParamType::Bool,
            "period" => ParamType::Period,
            "compare" => ParamType::Compare,
            _ => return None,
        })
    }

    /// Returns the type's name as reports write it.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::Text => "text",
            ParamType::Int => "int",
            ParamType::Number => "number",
            ParamType::Money => "money",
            ParamType::Date => "date",
            ParamType::Bool => "bool",
            ParamType::Period => "period",
            ParamType::Compare => "compare",
        }
    }

    /// Id of the message that describes the values the type takes.
    pub fn message_id(self) -> &'static str {
        match self {
            ParamType::Text => "param-type-text",
            ParamType::Int => "param-type-int",
            ParamType::Number => "param-type-number",
            ParamType::Money => "param-type-money",
            ParamType::Date => "param-type-date",
            ParamType::Bool => "param-type-bool",
            ParamType::Period => "param-type-period",
            ParamType::Compare => "param-type-compare",
        }
    }

    fn null(self) -> ScalarValue {
        match self {
            ParamType::Int => ScalarValue::Int64(None),
            ParamType::Number => ScalarValue::Float64(None),
            ParamType::Money => ScalarValue::Decimal128(None, 18, 2),
            ParamType::Date => ScalarValue::Date32(None),
            ParamType::Bool => ScalarValue::Boolean(None),
            ParamType::Text | ParamType::Period | ParamType::Compare => ScalarValue::Utf8(None),
        }
    }

    /// Reads a value written on the command line, or `None` when it is not of this type.
    pub fn value(self, text: &str) -> Option<ScalarValue> {
        let trimmed = text.trim();
        Some(match self {
            ParamType::Text => ScalarValue::Utf8(Some(text.to_owned())),
            ParamType::Int => {
                let digits: String = trimmed.chars().filter(|c| *c != ' ').collect();
                ScalarValue::Int64(Some(digits.parse().ok()?))
            }
            ParamType::Number => {
                let number: f64 = trimmed.replace(',', ".").replace(' ', "").parse().ok()?;
                if !number.is_finite() {
                    return None;
                }
                ScalarValue::Float64(Some(number))
            }
            ParamType::Money => ScalarValue::Decimal128(Some(cents(trimmed)?), 18, 2),
            ParamType::Date => {
                let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
                    .or_else(|_| NaiveDate::parse_from_str(trimmed, "%d.%m.%Y"))
                    .ok()
                    // The years the warehouse accepts in dates.
                    .filter(|date| (1900..=2200).contains(&date.year()))?;
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
                ScalarValue::Date32(Some(i32::try_from((date - epoch).num_days()).ok()?))
            }
            ParamType::Bool => ScalarValue::Boolean(Some(match trimmed.to_lowercase().as_str() {
                "true" | "yes" | "да" | "1" => true,
                "false" | "no" | "нет" | "0" => false,
                _ => return None,
            })),
            ParamType::Period => {
                // Any date checks the grammar; the period itself is resolved when the query runs.
                let today = NaiveDate::from_ymd_opt(2000, 1, 1)?;
                crmsql_functions::Period::parse(trimmed, today)?;
                ScalarValue::Utf8(Some(trimmed.to_owned()))
            }
            ParamType::Compare => match trimmed.to_lowercase().as_str() {
                word @ ("previous" | "year") => ScalarValue::Utf8(Some(word.to_owned())),
                _ => return None,
            },
        })
    }
}

/// Reads an amount such as `50000`, `50 000` or `1500,50` into kopecks.
fn cents(text: &str) -> Option<i128> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (negative, unsigned) = match compact.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    let unsigned = unsigned.replace(',', ".");
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((&unsigned, ""));
    if whole.is_empty()
        || whole.len() > 16
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let fraction: i128 = format!("{fraction:0<2}").parse().ok()?;
    let value = whole * 100 + fraction;
    Some(if negative { -value } else { value })
}

/// A parameter declared in a report's header.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub kind: ParamType,
    /// Value used when the run gives none.
    pub default: Option<String>,
    /// Whether a run must give a value. A parameter that is neither required nor defaulted is
    /// NULL when not given, and the `[[ ]]` clauses that name it drop out.
    pub required: bool,
    /// The smallest and largest value a number may take, both allowed (`int 1..24`).
    pub range: Option<(f64, f64)>,
    pub description_ru: String,
    pub description_en: Option<String>,
}

impl ParamSpec {
    /// Parses the text after `-- param:`: `NAME TYPE [MIN..MAX] [= DEFAULT] [required]
    /// [| description]`. A range is for `int`, `number` and `money`.
    pub fn parse(text: &str) -> Result<ParamSpec, HeaderProblem> {
        let (head, description) = match text.split_once('|') {
            Some((head, description)) => (head, description.trim()),
            None => (text, ""),
        };
        let (head, default) = match head.split_once('=') {
            Some((head, default)) => (head, Some(default.trim().to_owned())),
            None => (head, None),
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        let (name, kind, range, required) = match words.as_slice() {
            [name, kind] => (*name, *kind, None, false),
            [name, kind, "required"] => (*name, *kind, None, true),
            [name, kind, range] => (*name, *kind, Some(*range), false),
            [name, kind, range, "required"] => (*name, *kind, Some(*range), true),
            _ => return Err(HeaderProblem::BadParam(text.trim().to_owned())),
        };
        if !is_name(name) {
            return Err(HeaderProblem::BadParamName(name.to_owned()));
        }
        let Some(kind) = ParamType::parse(kind) else {
            return Err(HeaderProblem::UnknownType {
                name: name.to_owned(),
                kind: kind.to_owned(),
            });
        };
        let range = match range {
            None => None,
            Some(range) => {
                let bounds = range.split_once("..").and_then(|(low, high)| {
                    Some((
                        low.trim().parse::<f64>().ok()?,
                        high.trim().parse::<f64>().ok()?,
                    ))
                });
                match bounds {
                    Some((low, high))
                        if low <= high
                            && matches!(
                                kind,
                                ParamType::Int | ParamType::Number | ParamType::Money
                            ) =>
                    {
                        Some((low, high))
                    }
                    _ => return Err(HeaderProblem::BadParam(text.trim().to_owned())),
                }
            }
        };
        if let Some(default) = &default
            && (kind.value(default).is_none() || !in_range(kind, default, range))
        {
            return Err(HeaderProblem::BadDefault {
                name: name.to_owned(),
                kind: kind.name().to_owned(),
                default: default.clone(),
            });
        }
        Ok(ParamSpec {
            name: name.to_owned(),
            kind,
            default: default.filter(|d| !d.is_empty()),
            required,
            range,
            description_ru: description.to_owned(),
            description_en: None,
        })
    }
}

impl ParamSpec {
    /// Checks a value as a run gives it: its type and its range.
    pub fn check(&self, text: &str) -> Result<(), ParamProblem> {
        if text.trim().is_empty() {
            return Ok(());
        }
        if self.kind.value(text).is_none() {
            return Err(ParamProblem::Invalid {
                name: self.name.clone(),
                kind: self.kind,
                value: text.to_owned(),
            });
        }
        match self.range {
            Some((low, high)) if !in_range(self.kind, text, self.range) => {
                Err(ParamProblem::OutOfRange {
                    name: self.name.clone(),
                    value: text.to_owned(),
                    low,
                    high,
                })
            }
            _ => Ok(()),
        }
    }
}

/// Returns whether a number given as text lies in `range`; true without a range.
fn in_range(kind: ParamType, text: &str, range: Option<(f64, f64)>) -> bool {
    let Some((low, high)) = range else {
        return true;
    };
    let number = match kind.value(text) {
        Some(ScalarValue::Int64(Some(n))) => n as f64,
        Some(ScalarValue::Float64(Some(n))) => n,
        Some(ScalarValue::Decimal128(Some(cents), _, _)) => cents as f64 / 100.0,
        _ => return false,
    };
    (low..=high).contains(&number)
}

fn is_name(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A problem with the values a run gives, found before any query runs.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamProblem {
    /// The report has no parameter of this name.
    Unknown { name: String, known: Vec<String> },
    /// The value is not of the parameter's type.
    Invalid {
        name: String,
        kind: ParamType,
        value: String,
    },
    /// A required parameter has no value.
    Missing { name: String },
    /// A number outside the parameter's range.
    OutOfRange {
        name: String,
        value: String,
        low: f64,
        high: f64,
    },
    /// The query names `$name`, but the header declares no such parameter.
    Undeclared { name: String },
    /// A `[[` opens an optional clause that no `]]` closes.
    UnclosedClause,
    /// A `-- check:` of the report found the values inconsistent.
    Check {
        russian: String,
        english: Option<String>,
    },
}

/// SQL text with optional clauses settled, and the values to bind to its parameters.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sql: String,
    pub values: HashMap<String, ScalarValue>,
}

/// Checks the values given for a run, applies defaults and settles the optional clauses.
pub fn prepare(
    sql: &str,
    specs: &[ParamSpec],
    given: &[(String, String)],
) -> Result<Prepared, ParamProblem> {
    let mut values: HashMap<String, ScalarValue> = HashMap::new();
    for (name, text) in given {
        let Some(spec) = specs.iter().find(|s| s.name == *name) else {
            return Err(ParamProblem::Unknown {
                name: name.clone(),
                known: specs.iter().map(|s| s.name.clone()).collect(),
            });
        };
        // An empty value is no value: the default applies and optional clauses drop out.
        if text.trim().is_empty() {
            continue;
        }
        let Some(value) = spec.kind.value(text) else {
            return Err(ParamProblem::Invalid {
                name: name.clone(),
                kind: spec.kind,
                value: text.clone(),
            });
        };
        if let Some((low, high)) = spec.range
            && !in_range(spec.kind, text, spec.range)
        {
            return Err(ParamProblem::OutOfRange {
                name: name.clone(),
                value: text.clone(),
                low,
                high,
            });
        }
        values.insert(name.clone(), value);
    }
    for spec in specs {
        if values.contains_key(&spec.name) {
            continue;
        }
        if spec.required {
            return Err(ParamProblem::Missing {
                name: spec.name.clone(),
            });
        }
        let value = spec
            .default
            .as_deref()
            .and_then(|d| spec.kind.value(d))
            .unwrap_or_else(|| spec.kind.null());
        values.insert(spec.name.clone(), value);
    }

    let pieces = scan(sql);
    if pieces.last().is_some_and(|piece| piece.optional) {
        return Err(ParamProblem::UnclosedClause);
    }
    for piece in &pieces {
        for name in &piece.names {
            if !specs.iter().any(|s| s.name == *name) {
                return Err(ParamProblem::Undeclared { name: name.clone() });
            }
        }
    }
    let mut out = String::with_capacity(sql.len());
    for piece in pieces {
        let keep = !piece.optional
            || piece
                .names
                .iter()
                .all(|name| values.get(name).is_some_and(|v| !v.is_null()));
        // Brackets and dropped clauses become spaces, so that every place in the prepared SQL
        // is the same line and column as in the report file, for error carets.
        let blank = |text: &str| -> String {
            text.chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' })
                .collect()
        };
        match (piece.optional, keep) {
            (false, _) => out.push_str(&piece.text),
            (true, true) => {
                out.push_str("  ");
                out.push_str(&piece.text);
                out.push_str("  ");
            }
            (true, false) => {
                out.push_str("  ");
                out.push_str(&blank(&piece.text));
                out.push_str("  ");
            }
        }
    }
    // Only the parameters that the remaining SQL names are kept, and each statement binds those
    // it uses.
    let used: Vec<String> = scan(&out)
        .into_iter()
        .flat_map(|piece| piece.names)
        .collect();
    values.retain(|name, _| used.contains(name));
    Ok(Prepared { sql: out, values })
}

/// A stretch of report SQL: plain text, or the inside of a `[[ ]]` clause, with the parameters
/// it names.
#[derive(Debug, Default)]
struct Piece {
    text: String,
    optional: bool,
    names: Vec<String>,
}

/// Splits SQL into plain and optional stretches, skipping string literals, quoted names and
/// comments, so that `'$5'` or `-- [[` is text, not a parameter or a clause.
fn scan(sql: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut current = Piece::default();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match (c, next) {
            ('\'', _) | ('"', _) => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|x| *x == c)
                    .map_or(chars.len(), |p| i + 1 + p + 1);
                current.text.extend(&chars[i..end]);
                i = end;
            }
            ('-', Some('-')) => {
                let end = chars[i..]
                    .iter()
                    .position(|x| *x == '\n')
                    .map_or(chars.len(), |p| i + p);
                current.text.extend(&chars[i..end]);
                i = end;
            }
            ('/', Some('*')) => {
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                    .map_or(chars.len(), |j| j + 2);
                current.text.extend(&chars[i..end]);
                i = end;
            }
            ('[', Some('[')) if !current.optional => {
                let optional = Piece {
                    optional: true,
                    ..Piece::default()
                };
                pieces.push(std::mem::replace(&mut current, optional));
                i += 2;
            }
            (']', Some(']')) if current.optional => {
                pieces.push(std::mem::take(&mut current));
                i += 2;
            }
            ('$', Some(first)) if first.is_ascii_alphabetic() || first == '_' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|x| !(x.is_ascii_alphanumeric() || *x == '_'))
                    .map_or(chars.len(), |p| i + 1 + p);
                let name: String = chars[i + 1..end].iter().collect();
                current.text.extend(&chars[i..end]);
                if !current.names.contains(&name) {
                    current.names.push(name);
                }
                i = end;
            }
            _ => {
                current.text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(current);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<ParamSpec> {
        [
            "period period = last_month | Период",
            "manager text | Менеджер",
            "min_budget money = 0",
            "channel text required",
        ]
        .iter()
        .map(|line| ParamSpec::parse(line).unwrap())
        .collect()
    }

    #[test]
    fn declarations() {
        let specs = specs();
        assert_eq!(specs[0].kind, ParamType::Period);
        assert_eq!(specs[0].default.as_deref(), Some("last_month"));
        assert_eq!(specs[0].description_ru, "Период");
        assert!(specs[3].required);
        assert!(ParamSpec::parse("x money = много").is_err());
        assert!(ParamSpec::parse("x colour").is_err());
        assert!(ParamSpec::parse("1x text").is_err());
    }

    #[test]
    fn ranges_and_finite_numbers() {
        let horizon = ParamSpec::parse("horizon int 1..24 = 3 | Months").unwrap();
        assert_eq!(horizon.range, Some((1.0, 24.0)));
        let margin = ParamSpec::parse("margin number 0..100 required").unwrap();
        assert!(margin.required);
        let sql = "SELECT $horizon";
        let run = |value: &str| {
            prepare(
                sql,
                std::slice::from_ref(&horizon),
                &[("horizon".to_owned(), value.to_owned())],
            )
        };
        assert!(run("24").is_ok());
        assert!(matches!(
            run("25"),
            Err(ParamProblem::OutOfRange {
                low: 1.0,
                high: 24.0,
                ..
            })
        ));
        assert!(matches!(run("0"), Err(ParamProblem::OutOfRange { .. })));
        for bad in ["NaN", "inf", "1e400"] {
            assert_eq!(ParamType::Number.value(bad), None, "{bad}");
        }
        // A default outside the range, a range on text and a reversed range are header errors.
        assert!(ParamSpec::parse("h int 1..24 = 30").is_err());
        assert!(ParamSpec::parse("t text 1..2").is_err());
        assert!(ParamSpec::parse("h int 5..1").is_err());
    }

    #[test]
    fn optional_clause_drops_without_value() {
        let sql = "SELECT 1 FROM deals WHERE in_period(closed_at, $period) [[AND manager = $manager]] AND utm_source = $channel";
        let given = [("channel".to_owned(), "yandex".to_owned())];
        let prepared = prepare(sql, &specs(), &given).unwrap();
        // The dropped clause becomes spaces, so the rest keeps its columns for error carets.
        assert_eq!(
            prepared.sql,
            format!(
                "SELECT 1 FROM deals WHERE in_period(closed_at, $period) {} AND utm_source = $channel",
                " ".repeat("[[AND manager = $manager]]".len())
            )
        );
        assert_eq!(prepared.sql.len(), sql.len());
        assert!(!prepared.values.contains_key("manager"));
        assert_eq!(
            prepared.values["period"],
            ScalarValue::Utf8(Some("last_month".to_owned()))
        );

        let given = [
            ("channel".to_owned(), "yandex".to_owned()),
            ("manager".to_owned(), "Мария".to_owned()),
        ];
        let prepared = prepare(sql, &specs(), &given).unwrap();
        assert!(prepared.sql.contains("AND manager = $manager"));
        assert_eq!(
            prepared.values["manager"],
            ScalarValue::Utf8(Some("Мария".to_owned()))
        );
    }

    #[test]
    fn problems_found_before_running() {
        let sql = "SELECT $channel";
        let run = |given: &[(&str, &str)]| {
            let given: Vec<(String, String)> = given
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            prepare(sql, &specs(), &given)
        };
        assert!(matches!(run(&[]), Err(ParamProblem::Missing { name }) if name == "channel"));
        assert!(matches!(
            run(&[("channel", "a"), ("colour", "red")]),
            Err(ParamProblem::Unknown { name, .. }) if name == "colour"
        ));
        assert!(matches!(
            run(&[("channel", "a"), ("min_budget", "много")]),
            Err(ParamProblem::Invalid { name, .. }) if name == "min_budget"
        ));
        assert!(matches!(
            run(&[("channel", "a"), ("period", "last_fortnight")]),
            Err(ParamProblem::Invalid { name, .. }) if name == "period"
        ));
        assert!(matches!(
            prepare("SELECT $other", &specs(), &[("channel".to_owned(), "a".to_owned())]),
            Err(ParamProblem::Undeclared { name }) if name == "other"
        ));
    }

    #[test]
    fn unclosed_clause_refused() {
        let result = prepare(
            "SELECT 1 [[AND manager = $manager",
            &specs(),
            &[("channel".to_owned(), "a".to_owned())],
        );
        assert_eq!(result.err(), Some(ParamProblem::UnclosedClause));
    }

    #[test]
    fn strings_and_comments_are_not_parameters() {
        let pieces = scan("SELECT '$x [[', \"$y\" -- $z [[\n/* $w ]] */ $v");
        assert_eq!(pieces.len(), 1);
        assert_eq!(pieces[0].names, ["v"]);
    }

    #[test]
    fn typed_values() {
        assert_eq!(
            ParamType::Money.value("1 500,5"),
            Some(ScalarValue::Decimal128(Some(150_050), 18, 2))
        );
        assert_eq!(ParamType::Money.value("1.234"), None);
        assert_eq!(ParamType::Int.value("12a"), None);
        assert_eq!(
            ParamType::Date.value("01.07.2025"),
            ParamType::Date.value("2025-07-01")
        );
        assert_eq!(ParamType::Date.value("31.02.2025"), None);
        assert_eq!(
            ParamType::Bool.value("да"),
            Some(ScalarValue::Boolean(Some(true)))
        );
        assert_eq!(ParamType::Compare.value("week"), None);
        // Text is taken as it is, quotes and all: it is bound, never pasted into SQL.
        assert_eq!(
            ParamType::Text.value("x'; DROP TABLE deals; --"),
            Some(ScalarValue::Utf8(Some(
                "x'; DROP TABLE deals; --".to_owned()
            )))
        );
    }
}
