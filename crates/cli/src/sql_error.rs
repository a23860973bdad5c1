//! SQL errors for people: a message in the user's language, the line of the statement with a
//! caret under the fault, a hint where one helps (the nearest column, table or function name),
//! and DataFusion's own words as the detail.

use crmsql_engine::EngineError;
use crmsql_i18n::{Arg, Localize, Localizer};
use datafusion::common::{SchemaError, Span};
use datafusion::error::DataFusionError;
use unicode_width::UnicodeWidthStr;

use crate::repl::edit_distance;

/// The message of an error and its place.
struct Explained {
    message: String,
    span: Option<Span>,
    hints: Vec<String>,
    detail: Option<String>,
}

/// Describes an error of the statements in `sql`, whose spans count lines and columns of `sql`.
pub fn explain(error: &EngineError, sql: &str, l: &Localizer) -> String {
    let explained = match error {
        EngineError::Sql { source } => explain_datafusion(source, sql, l),
        EngineError::TableNotFound {
            name,
            available,
            span,
        } => Explained {
            message: error.localize(l),
            span: *span,
            hints: nearest(name, available.iter().map(String::as_str))
                .map(|near| l.format("sql-did-you-mean", &[("name", Arg::from(near))]))
                .into_iter()
                .collect(),
            detail: None,
        },
        other => {
            return other.localize(l);
        }
    };
    render(&explained, sql, l)
}

fn explain_datafusion(source: &DataFusionError, sql: &str, l: &Localizer) -> Explained {
    let diagnostic = source.diagnostic();
    let mut span = diagnostic.and_then(|d| d.span);
    let root = source.find_root();
    // A CRM function's own mistake is named in the user's language.
    if let DataFusionError::External(inner) = root
        && let Some(crm) = inner.downcast_ref::<crmsql_functions::CrmError>()
    {
        return Explained {
            message: crmsql_engine::crm_message(crm, l),
            span,
            hints: Vec::new(),
            detail: None,
        };
    }
    // DataFusion's first line; the ones after it list every column of the tables. A memory
    // error is the exception: its lines after the first name the operators that used the memory.
    let full = root.to_string();
    let detail = if matches!(root, DataFusionError::ResourcesExhausted(_)) {
        let lines: Vec<&str> = full
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Some(lines.join(" ")).filter(|text| !text.is_empty())
    } else {
        full.lines().next().map(str::to_owned)
    };
    let mut hints = Vec::new();
    if let DataFusionError::SchemaError(error, _) = root
        && let SchemaError::FieldNotFound {
            field,
            valid_fields,
        } = error.as_ref()
    {
        // Under a join, `a.x` is looked for in `a` alone, and a name both tables have is listed
        // once.
        let mut seen = std::collections::HashSet::new();
        let names: Vec<&str> = valid_fields
            .iter()
            .filter(|c| {
                field.relation.is_none() || c.relation.is_none() || c.relation == field.relation
            })
            .map(|c| c.name.as_str())
            .filter(|name| seen.insert(*name))
            .collect();
        match nearest(&field.name, names.iter().copied()) {
            Some(near) => hints.push(l.format("sql-did-you-mean", &[("name", Arg::from(near))])),
            None if !names.is_empty() => hints.push(l.format(
                "sql-columns-are",
                &[("columns", Arg::from(names.join(", ")))],
            )),
            None => {}
        }
        return Explained {
            message: l.format("sql-column-not-found", &[("name", Arg::from(&field.name))]),
            span,
            hints,
            detail,
        };
    }
    let message = match root {
        DataFusionError::Plan(text) if text.starts_with("Invalid function '") => {
            let name = quoted(text).unwrap_or_default();
            if let Some(near) = text
                .split("Did you mean '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
            {
                hints.push(l.format("sql-did-you-mean", &[("name", Arg::from(near))]));
            }
            hints.push(l.text("sql-functions-hint"));
            l.format("sql-function-not-found", &[("name", Arg::from(name))])
        }
        DataFusionError::SQL(parser, _) => {
            let text = parser.to_string();
            if span.is_none() {
                span = parser_span(&text, sql);
            }
            l.text("sql-syntax")
        }
        // Frequent mistakes get a message and a hint of their own; DataFusion's words follow.
        other if known_mistake(&other.to_string()).is_some() => {
            let text = other.to_string();
            let (key, hint) = known_mistake(&text).unwrap_or_default();
            if !hint.is_empty() {
                hints.push(l.text(hint));
            }
            // The memory pool names its size, which is the limit the query hit.
            let limit = text
                .split("pool_size: ")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
                .unwrap_or_default();
            l.format(key, &[("limit", Arg::from(limit))])
        }
        _ => {
            // No message of our own: DataFusion's words are the message.
            return Explained {
                message: l.format("sql-error", &[("detail", Arg::from(root.to_string()))]),
                span,
                hints,
                detail: None,
            };
        }
    };
    Explained {
        message,
        span,
        hints,
        detail,
    }
}

/// Recognizes a frequent mistake by DataFusion's words and returns the message and hint ids.
fn known_mistake(text: &str) -> Option<(&'static str, &'static str)> {
    const MISTAKES: &[(&str, &str, &str)] = &[
        (
            "must be in GROUP BY or an aggregate function",
            "sql-group-by",
            "sql-group-by-hint",
        ),
        (
            "Divide by zero",
            "sql-divide-by-zero",
            "sql-divide-by-zero-hint",
        ),
        ("Resources exhausted", "sql-memory", "sql-memory-hint"),
        ("Ambiguous reference", "sql-ambiguous", "sql-ambiguous-hint"),
        (
            "not allowed in the WHERE clause",
            "sql-aggregate-in-where",
            "sql-aggregate-in-where-hint",
        ),
        ("Cannot coerce", "sql-types", "sql-types-hint"),
        ("Cannot cast", "sql-cast", "sql-cast-hint"),
    ];
    MISTAKES
        .iter()
        .find(|(words, _, _)| text.contains(words))
        .map(|(_, message, hint)| (*message, *hint))
}

/// Returns the first text between single quotes.
fn quoted(text: &str) -> Option<&str> {
    text.split('\'').nth(1)
}

/// Reads the place of a parser error, `… found: TOKEN at Line: L, Column: C`, or puts it at
/// the end of the text when the statement ended too early.
fn parser_span(text: &str, sql: &str) -> Option<Span> {
    use datafusion::common::Location;
    if let Some((before, place)) = text.rsplit_once(" at Line: ") {
        let (line, column) = place.split_once(", Column: ")?;
        let line: u64 = line.trim().parse().ok()?;
        let column: u64 = column.trim().parse().ok()?;
        let token = before
            .rsplit_once("found: ")
            .map_or(1, |(_, token)| token.chars().count().max(1) as u64);
        return Some(Span::new(
            Location { line, column },
            Location {
                line,
                column: column + token,
            },
        ));
    }
    if text.contains("found: EOF") {
        let trimmed = sql.trim_end();
        let line = trimmed.lines().count().max(1) as u64;
        let column = trimmed.lines().last().map_or(0, |l| l.chars().count()) as u64 + 1;
        return Some(Span::new(
            Location { line, column },
            Location {
                line,
                column: column + 1,
            },
        ));
    }
    None
}

/// Finds the name closest to a mistyped one, if one is close enough to be the meant one.
fn nearest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).clamp(1, 3);
    names
        .map(|candidate| (edit_distance(&lower, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

fn render(explained: &Explained, sql: &str, l: &Localizer) -> String {
    // The place goes on the message's first line; lines after it (hints) follow the frame.
    let (first, rest) = match explained.message.split_once('\n') {
        Some((first, rest)) => (first.to_owned(), Some(rest.to_owned())),
        None => (explained.message.clone(), None),
    };
    let mut text = first;
    if let Some(span) = explained.span.filter(|span| span.start.line > 0)
        && let Some(line) = sql.lines().nth(span.start.line as usize - 1)
    {
        text.push('\n');
        text.push_str(&l.format(
            "sql-at",
            &[
                ("line", Arg::from(span.start.line)),
                ("column", Arg::from(span.start.column)),
            ],
        ));
        let column = (span.start.column as usize).saturating_sub(1);
        let before: String = line.chars().take(column).collect();
        let length = if span.end.line == span.start.line && span.end.column > span.start.column {
            (span.end.column - span.start.column) as usize
        } else {
            1
        };
        let marked: String = line.chars().skip(column).take(length).collect();
        let carets = "^".repeat(marked.width().max(1));
        text.push_str(&format!(
            "\n    {}\n    {}{carets}",
            line.replace('\t', " "),
            " ".repeat(before.replace('\t', " ").width())
        ));
    }
    if let Some(rest) = rest {
        text.push('\n');
        text.push_str(&rest);
    }
    for hint in &explained.hints {
        text.push('\n');
        text.push_str(hint);
    }
    if let Some(detail) = &explained.detail {
        text.push('\n');
        text.push_str(&l.format("sql-detail", &[("detail", Arg::from(detail.trim()))]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_names() {
        let names = ["manager", "budget", "closed_at", "created_at"];
        assert_eq!(nearest("manger", names.into_iter()), Some("manager"));
        assert_eq!(nearest("BUDGT", names.into_iter()), Some("budget"));
        assert_eq!(nearest("revenue", names.into_iter()), None);
        assert_eq!(nearest("x", names.into_iter()), None);
    }

    #[test]
    fn frequent_mistakes_are_known() {
        assert_eq!(
            known_mistake("Arrow error: Divide by zero error"),
            Some(("sql-divide-by-zero", "sql-divide-by-zero-hint"))
        );
        assert_eq!(
            known_mistake("Error during planning: Column in SELECT must be in GROUP BY or an aggregate function: x")
                .map(|(message, _)| message),
            Some("sql-group-by")
        );
        assert_eq!(known_mistake("something else"), None);
    }

    #[test]
    fn parser_places() {
        let span = parser_span(
            "sql parser error: Expected: an SQL statement, found: SELEC at Line: 2, Column: 3",
            "",
        )
        .unwrap();
        assert_eq!(
            (span.start.line, span.start.column, span.end.column),
            (2, 3, 8)
        );
        let span = parser_span("Expected: an expression, found: EOF", "SELECT 1 +\n  ").unwrap();
        assert_eq!((span.start.line, span.start.column), (1, 11));
    }
}
