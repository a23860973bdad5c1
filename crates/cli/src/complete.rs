//! The shell's line editor helper: completion that looks at the cursor's place in the statement,
//! syntax colours, hints from history and statements that run only once they end with `;`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rustyline::Context;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hinter, HistoryHinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};

/// SQL keywords offered by completion and coloured by the highlighter.
const KEYWORDS: &[&str] = &[
    "ALL",
    "AND",
    "ANALYZE",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CREATE",
    "CROSS",
    "DATE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FILTER",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INNER",
    "INTERSECT",
    "INTERVAL",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "RIGHT",
    "SELECT",
    "SET",
    "SHOW",
    "TABLE",
    "THEN",
    "TIMESTAMP",
    "TRUE",
    "UNION",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Keywords after which a table name comes.
const BEFORE_TABLE: &[&str] = &["FROM", "JOIN", "TABLE", "DESCRIBE", "INTO", "VIEW"];

/// Names the completion offers, read from the warehouse when the shell starts.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Tables and views, with their columns.
    pub tables: BTreeMap<String, Vec<String>>,
    /// crmsql's and DataFusion's functions.
    pub functions: Vec<String>,
    /// crmsql's own functions, coloured apart from the others.
    pub crm_functions: Vec<String>,
    /// Saved and built-in reports.
    pub reports: Vec<String>,
    /// Backslash commands.
    pub commands: Vec<String>,
}

/// The line editor helper of the shell.
pub struct ShellHelper {
    names: Names,
    colour: bool,
    files: FilenameCompleter,
    history: HistoryHinter,
    /// Set while the shell puts a question (`\save`): the reply is plain text, not SQL.
    asking: std::cell::Cell<bool>,
}

impl ShellHelper {
    pub fn new(names: Names, colour: bool) -> ShellHelper {
        ShellHelper {
            names,
            colour,
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
            asking: std::cell::Cell::new(false),
        }
    }

    /// Turns completion, colours and the wait for `;` off while the shell puts a question.
    pub fn set_asking(&self, asking: bool) {
        self.asking.set(asking);
    }

    /// Returns the completions of the text before `pos` and where the replaced word starts.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '\\'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[start..];
        let trimmed = before.trim_start();

        // Backslash commands and their arguments.
        if trimmed.starts_with('\\') {
            let Some((command, _)) = trimmed.split_once(char::is_whitespace) else {
                return (start, matching(&self.names.commands, word));
            };
            let names: Vec<String> = match command {
                "\\run" | "\\save" => self.names.reports.clone(),
                "\\d" => self.names.tables.keys().cloned().collect(),
                "\\df" => self.names.crm_functions.clone(),
                "\\format" => ["table", "csv", "json", "markdown"]
                    .map(str::to_owned)
                    .to_vec(),
                "\\timing" | "\\x" => ["on", "off"].map(str::to_owned).to_vec(),
                _ => Vec::new(),
            };
            return (start, matching(&names, word));
        }

        // `table.` or `alias.` gives that table's columns.
        if let Some((qualifier, partial)) = word.rsplit_once('.') {
            let table = resolve_alias(line, qualifier, &self.names.tables);
            let columns = table
                .and_then(|table| self.names.tables.get(&table))
                .cloned()
                .unwrap_or_default();
            let offset = start + qualifier.len() + 1;
            return (offset, matching(&columns, partial));
        }

        let previous = previous_word(&before[..start]).to_ascii_uppercase();
        if BEFORE_TABLE.contains(&previous.as_str()) {
            let tables: Vec<String> = self.names.tables.keys().cloned().collect();
            return (start, matching(&tables, word));
        }
        if word.is_empty() {
            return (start, Vec::new());
        }
        // Columns of the tables the statement names, or of every table when it names none.
        let named: Vec<&String> = self
            .names
            .tables
            .keys()
            .filter(|table| mentions(line, table))
            .collect();
        let mut pool: Vec<String> = Vec::new();
        for (table, columns) in &self.names.tables {
            if named.is_empty() || named.contains(&table) {
                pool.extend(columns.iter().cloned());
            }
        }
        pool.extend(self.names.tables.keys().cloned());
        pool.extend(self.names.functions.iter().cloned());
        let lower = word.chars().all(|c| !c.is_uppercase());
        pool.extend(KEYWORDS.iter().map(|k| {
            if lower {
                k.to_lowercase()
            } else {
                (*k).to_owned()
            }
        }));
        (start, matching(&pool, word))
    }
}

/// Returns the names that start with `prefix`, without regard to case, sorted and unique.
fn matching(names: &[String], prefix: &str) -> Vec<String> {
    let prefix = prefix.to_lowercase();
    let mut found: Vec<String> = names
        .iter()
        .filter(|name| name.to_lowercase().starts_with(&prefix))
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Returns the word before the text, skipping spaces.
fn previous_word(text: &str) -> &str {
    let text = text.trim_end();
    let start = text
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &text[start..]
}

/// Returns whether the statement names `table` as a word.
fn mentions(line: &str, table: &str) -> bool {
    words(line).any(|word| word.eq_ignore_ascii_case(table))
}

fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

/// Finds the table a qualifier stands for: a table's own name, or an alias given to a table in
/// the statement (`FROM deals d`, `JOIN ad_spend AS s`).
fn resolve_alias(
    line: &str,
    qualifier: &str,
    tables: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    if let Some(table) = tables.keys().find(|t| t.eq_ignore_ascii_case(qualifier)) {
        return Some(table.clone());
    }
    let words: Vec<&str> = words(line).collect();
    for (index, word) in words.iter().enumerate() {
        let Some(table) = tables.keys().find(|t| t.eq_ignore_ascii_case(word)) else {
            continue;
        };
        let mut next = words.get(index + 1);
        if next.is_some_and(|w| w.eq_ignore_ascii_case("as")) {
            next = words.get(index + 2);
        }
        if next.is_some_and(|w| w.eq_ignore_ascii_case(qualifier)) {
            return Some(table.clone());
        }
    }
    None
}

/// Returns whether the cursor is inside a single-quoted string.
fn in_quotes(before: &str) -> bool {
    before.chars().filter(|c| *c == '\'').count() % 2 == 1
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if self.asking.get() {
            return Ok((pos, Vec::new()));
        }
        let before = &line[..pos];
        let trimmed = before.trim_start();
        // Paths: inside quotes, and after `\i` and `\o`.
        if in_quotes(before) || trimmed.starts_with("\\i ") || trimmed.starts_with("\\o ") {
            return self.files.complete_path(line, pos);
        }
        let (start, names) = self.candidates(line, pos);
        let pairs = names
            .into_iter()
            .map(|name| Pair {
                display: name.clone(),
                replacement: name,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        if self.asking.get() {
            return None;
        }
        self.history.hint(line, pos, ctx)
    }
}

const RESET: &str = "\x1b[0m";
const KEYWORD: &str = "\x1b[1;34m";
const STRING: &str = "\x1b[32m";
const NUMBER: &str = "\x1b[36m";
const COMMENT: &str = "\x1b[90m";
const FUNCTION: &str = "\x1b[35m";
const COMMAND: &str = "\x1b[1m";

impl ShellHelper {
    /// Colours a statement: keywords, strings, numbers, comments, crmsql's functions and a
    /// leading backslash command.
    pub fn colour_line(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len() * 2);
        if line.trim_start().starts_with('\\') {
            out.push_str(COMMAND);
            out.push_str(line);
            out.push_str(RESET);
            return out;
        }
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut index = 0;
        let text = |from: usize, to: usize| -> &str {
            let start = chars.get(from).map_or(line.len(), |c| c.0);
            let end = chars.get(to).map_or(line.len(), |c| c.0);
            &line[start..end]
        };
        while index < chars.len() {
            let c = chars[index].1;
            let start = index;
            if c == '-' && chars.get(index + 1).is_some_and(|n| n.1 == '-') {
                while index < chars.len() && chars[index].1 != '\n' {
                    index += 1;
                }
                out.push_str(COMMENT);
                out.push_str(text(start, index));
                out.push_str(RESET);
            } else if c == '\'' {
                index += 1;
                while index < chars.len() && chars[index].1 != '\'' {
                    index += 1;
                }
                index = (index + 1).min(chars.len());
                out.push_str(STRING);
                out.push_str(text(start, index));
                out.push_str(RESET);
            } else if c.is_ascii_digit() {
                while index < chars.len()
                    && (chars[index].1.is_ascii_digit() || chars[index].1 == '.')
                {
                    index += 1;
                }
                out.push_str(NUMBER);
                out.push_str(text(start, index));
                out.push_str(RESET);
            } else if c.is_alphabetic() || c == '_' {
                while index < chars.len()
                    && (chars[index].1.is_alphanumeric() || chars[index].1 == '_')
                {
                    index += 1;
                }
                let word = text(start, index);
                let upper = word.to_ascii_uppercase();
                let colour = if KEYWORDS.contains(&upper.as_str()) {
                    Some(KEYWORD)
                } else if self.names.crm_functions.iter().any(|f| f == word) {
                    Some(FUNCTION)
                } else {
                    None
                };
                match colour {
                    Some(colour) => {
                        out.push_str(colour);
                        out.push_str(word);
                        out.push_str(RESET);
                    }
                    None => out.push_str(word),
                }
            } else {
                index += 1;
                out.push_str(text(start, index));
            }
        }
        out
    }
}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if self.colour && !self.asking.get() {
            Cow::Owned(self.colour_line(line))
        } else {
            Cow::Borrowed(line)
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("{COMMENT}{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.colour && kind != CmdKind::MoveCursor
    }
}

impl Validator for ShellHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(
            if self.asking.get() || crate::repl::statement_complete(ctx.input()) {
                ValidationResult::Valid(None)
            } else {
                ValidationResult::Incomplete
            },
        )
    }
}

impl rustyline::Helper for ShellHelper {}

/// Returns whether the shell may colour its input: on a terminal, unless `NO_COLOR` is set or the
/// terminal is `dumb`.
pub fn colour_wanted() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |term| term != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> ShellHelper {
        let mut tables = BTreeMap::new();
        tables.insert(
            "deals".to_owned(),
            ["id", "budget", "manager", "created_at"]
                .map(str::to_owned)
                .to_vec(),
        );
        tables.insert(
            "ad_spend".to_owned(),
            ["date", "channel", "spend"].map(str::to_owned).to_vec(),
        );
        ShellHelper::new(
            Names {
                tables,
                functions: ["avg_check", "avg", "roi", "round"]
                    .map(str::to_owned)
                    .to_vec(),
                crm_functions: ["avg_check", "roi"].map(str::to_owned).to_vec(),
                reports: ["sales_overview", "sales_by_manager", "win_rate"]
                    .map(str::to_owned)
                    .to_vec(),
                commands: ["\\d", "\\df", "\\run", "\\reports"]
                    .map(str::to_owned)
                    .to_vec(),
            },
            false,
        )
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        helper().candidates(line, line.len())
    }

    #[test]
    fn tables_after_from_and_join() {
        assert_eq!(complete("SELECT * FROM de"), (14, vec!["deals".to_owned()]));
        assert_eq!(complete("select * from deals d join a").1, ["ad_spend"]);
    }

    #[test]
    fn columns_of_the_named_table_and_aliases() {
        // Only the columns of the table the statement names.
        assert_eq!(helper().candidates("SELECT bu FROM deals", 9).1, ["budget"]);
        assert_eq!(
            helper().candidates("SELECT ch FROM deals", 9).1,
            Vec::<String>::new()
        );
        assert_eq!(
            helper().candidates("SELECT ch FROM ad_spend", 9).1,
            ["channel"]
        );
        assert_eq!(
            helper().candidates("SELECT ch FROM ad_spend", 9).1,
            ["channel"]
        );
        assert_eq!(
            complete("SELECT deals.ma"),
            (13, vec!["manager".to_owned()]),
            "a table's own name"
        );
        let line = "SELECT s.sp FROM deals d JOIN ad_spend AS s ON true";
        assert_eq!(helper().candidates(line, 11), (9, vec!["spend".to_owned()]));
    }

    #[test]
    fn functions_and_keywords_follow_case() {
        assert_eq!(complete("SELECT avg").1, ["avg", "avg_check"]);
        assert_eq!(complete("SELECT ro").1, ["roi", "round"]);
        assert_eq!(complete("sel").1, ["select"]);
        assert_eq!(complete("SEL").1, ["SELECT"]);
    }

    #[test]
    fn commands_and_reports() {
        assert_eq!(complete("\\r").1, ["\\reports", "\\run"]);
        assert_eq!(
            complete("\\run sales_b"),
            (5, vec!["sales_by_manager".to_owned()])
        );
        assert_eq!(complete("\\d ad").1, ["ad_spend"]);
    }

    #[test]
    fn colours_keep_the_text() {
        let helper = helper();
        let line = "SELECT roi(1, 2), 'text' -- note";
        let coloured = helper.colour_line(line);
        let plain: String = strip_ansi(&coloured);
        assert_eq!(plain, line);
        assert!(coloured.contains(&format!("{KEYWORD}SELECT{RESET}")));
        assert!(coloured.contains(&format!("{FUNCTION}roi{RESET}")));
        assert!(coloured.contains(&format!("{STRING}'text'{RESET}")));
        assert!(coloured.contains(&format!("{COMMENT}-- note{RESET}")));
        assert!(coloured.contains(&format!("{NUMBER}1{RESET}")));
    }

    fn strip_ansi(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for next in chars.by_ref() {
                    if next == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
