//! The interactive shell: multi-line statements that end at `;`, backslash commands, history kept
//! between runs, and Ctrl-C that cancels the running query rather than the session.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;

use crmsql_engine::{Engine, ReportLibrary};
use crmsql_i18n::{Arg, Localizer};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Completer, Editor, Helper, Highlighter, Hinter};

use crate::app::{Settings, data_folder, demo_now_note, run_sql_text};
use crate::failure::{Failure, from_engine, from_io};
use crate::print::write_query_result;

/// Backslash commands, for `\?` and for suggestions after a typo.
const COMMANDS: &[&str] = &["\\q", "\\?", "\\d", "\\reports", "\\run", "\\save"];

/// Accepts a line when it is a backslash command or the statement ends with `;`.
#[derive(Completer, Helper, Highlighter, Hinter)]
struct StatementValidator;

impl Validator for StatementValidator {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if statement_complete(ctx.input()) {
            ValidationResult::Valid(None)
        } else {
            ValidationResult::Incomplete
        })
    }
}

/// Reports whether the input is ready to run: empty, a backslash command, or SQL whose last
/// character outside comments and quotes is `;`.
fn statement_complete(input: &str) -> bool {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.starts_with('\\') {
        return true;
    }
    let mut last = None;
    let mut chars = trimmed.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                last = Some(c);
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    last = Some(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    // A line comment runs to the end of the line.
                    for next in chars.by_ref() {
                        if next == '\n' {
                            break;
                        }
                    }
                }
                c if c.is_whitespace() => {}
                c => last = Some(c),
            },
        }
    }
    quote.is_none() && last == Some(';')
}

fn history_path(settings: &Settings) -> PathBuf {
    settings
        .history_file
        .clone()
        .unwrap_or_else(|| data_folder().join("history.txt"))
}

/// Runs the REPL until `\q` or end of input.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
    l: &Localizer,
) -> Result<(), Failure> {
    let config = rustyline::Config::builder()
        .auto_add_history(false)
        .max_history_size(10_000)
        .map_err(|e| Failure::Internal(e.to_string()))?
        .build();
    let mut editor: Editor<StatementValidator, FileHistory> =
        Editor::with_config(config).map_err(|e| Failure::Internal(e.to_string()))?;
    editor.set_helper(Some(StatementValidator));

    let history = history_path(settings);
    if let Some(parent) = history.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    // A missing history file is normal on the first run.
    let _ = editor.load_history(&history);

    let mut stderr = std::io::stderr();
    let _ = writeln!(
        stderr,
        "{}",
        l.format(
            "repl-welcome",
            &[("version", Arg::from(env!("CARGO_PKG_VERSION")))]
        )
    );
    if engine.is_demo() {
        let _ = writeln!(stderr, "{}", demo_now_note(l));
    }

    // The last query that ran, for `\save`.
    let mut last_query: Option<String> = None;
    loop {
        let line = match editor.readline("crmsql> ") {
            Ok(line) => line,
            // Ctrl-C at the prompt drops the line being typed, as in psql.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(Failure::Internal(error.to_string())),
        };
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input);
        if let Err(error) = editor.save_history(&history) {
            tracing::warn!(path = %history.display(), %error, "failed to save the REPL history");
        }

        if let Some(name) = input
            .strip_prefix("\\save")
            .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            let name = name.trim().trim_end_matches(';').trim();
            match save_report(&mut editor, settings, name, last_query.as_deref(), l) {
                Ok(message) => {
                    let _ = writeln!(stderr, "{message}");
                }
                Err(failure) => print_failure(&failure, l),
            }
            continue;
        }
        if input.starts_with('\\') {
            match run_command(runtime, engine, settings, input, l) {
                Ok(Flow::Quit) => break,
                Ok(Flow::Continue) => {}
                Err(failure) => print_failure(&failure, l),
            }
            continue;
        }

        let outcome = runtime.block_on(async {
            tokio::select! {
                result = run_sql_text(engine, input, settings.format, l) => Some(result),
                _ = tokio::signal::ctrl_c() => None,
            }
        });
        match outcome {
            Some(Ok(())) => last_query = Some(input.to_owned()),
            Some(Err(Failure::BrokenPipe)) => {}
            Some(Err(failure)) => print_failure(&failure, l),
            None => {
                let _ = writeln!(stderr, "{}", l.text("repl-cancelled"));
            }
        }
    }
    Ok(())
}

/// Saves the last query as a report `NAME.sql` in the first report folder, asking for its
/// description. Returns the message with its path and the command that runs it.
fn save_report<I: rustyline::history::History>(
    editor: &mut Editor<StatementValidator, I>,
    settings: &Settings,
    name: &str,
    query: Option<&str>,
    l: &Localizer,
) -> Result<String, Failure> {
    // Replies typed at these prompts are plain text, not statements that wait for `;`.
    editor.set_helper(None);
    let saved = save_report_asking(editor, settings, name, query, l);
    editor.set_helper(Some(StatementValidator));
    saved
}

fn save_report_asking<I: rustyline::history::History>(
    editor: &mut Editor<StatementValidator, I>,
    settings: &Settings,
    name: &str,
    query: Option<&str>,
    l: &Localizer,
) -> Result<String, Failure> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(Failure::User(
            l.format("repl-save-name", &[("name", Arg::from(name))]),
        ));
    }
    let Some(query) = query else {
        return Err(Failure::User(l.text("repl-save-nothing")));
    };
    let folder = settings
        .report_folders
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("queries"));
    let path = folder.join(format!("{name}.sql"));
    let cancelled = || Failure::User(l.text("repl-save-cancelled"));
    if path.exists() {
        let answer = editor
            .readline(&l.format(
                "repl-save-replace",
                &[("path", Arg::from(path.display().to_string()))],
            ))
            .map_err(|_| cancelled())?;
        let yes = matches!(
            answer.trim().to_lowercase().as_str(),
            "да" | "д" | "yes" | "y"
        );
        if !yes {
            return Err(cancelled());
        }
    }
    let description = editor
        .readline(&l.text("repl-save-description"))
        .map_err(|_| cancelled())?;
    let description = description.trim();
    if description.is_empty() {
        return Err(Failure::User(l.text("repl-save-no-description")));
    }
    let text = format!(
        "-- name: {name}\n-- description: {description}\n{}\n",
        query.trim_end()
    );
    std::fs::create_dir_all(&folder)
        .and_then(|()| std::fs::write(&path, &text))
        .map_err(|e| crate::failure::from_io(e, &path.display().to_string(), l))?;
    Ok(l.format(
        "repl-saved",
        &[
            ("name", Arg::from(name)),
            ("path", Arg::from(path.display().to_string())),
        ],
    ))
}

fn print_failure(failure: &Failure, l: &Localizer) {
    let (prefix, message) = match failure {
        Failure::User(message) => (l.text("error-prefix"), message),
        Failure::Internal(message) => (l.text("internal-error-prefix"), message),
        Failure::BrokenPipe => return,
    };
    let _ = writeln!(std::io::stderr(), "{prefix}: {message}");
}

pub enum Flow {
    Continue,
    Quit,
}

pub fn run_command(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
    input: &str,
    l: &Localizer,
) -> Result<Flow, Failure> {
    let input = input.trim_end_matches(';').trim();
    let (command, argument) = match input.split_once(char::is_whitespace) {
        Some((command, rest)) => (command, rest.trim()),
        None => (input, ""),
    };
    let mut out = crate::failure::Stdout;
    let io = |e| from_io(e, "<stdout>", l);
    match command {
        "\\q" => return Ok(Flow::Quit),
        "\\?" => writeln!(out, "{}", l.text("repl-help")).map_err(io)?,
        "\\d" if argument.is_empty() => {
            for table in engine.tables() {
                let rows = l.format("rows", &[("count", Arg::from(table.rows))]);
                let demo = if table.demo {
                    l.text("repl-demo-mark")
                } else {
                    String::new()
                };
                writeln!(out, "{:<20} {rows}{demo}", table.name).map_err(io)?;
            }
            let views: Vec<String> = engine
                .table_names()
                .into_iter()
                .filter(|name| !engine.tables().iter().any(|t| &t.name == name))
                .collect();
            for view in views {
                writeln!(out, "{view}").map_err(io)?;
            }
        }
        "\\d" => {
            let columns = runtime
                .block_on(engine.describe(argument, settings.lang))
                .map_err(|e| from_engine(&e, l))?;
            let width = columns
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0);
            let type_width = columns
                .iter()
                .map(|c| c.data_type.chars().count())
                .max()
                .unwrap_or(0);
            for column in columns {
                let description: Cow<'_, str> = match (&column.description, &column.label) {
                    (Some(description), _) => Cow::Owned(description.clone()),
                    (None, Some(label)) => Cow::Owned(
                        l.format("repl-column-from-label", &[("label", Arg::from(label))]),
                    ),
                    (None, None) => Cow::Borrowed(""),
                };
                writeln!(
                    out,
                    "{:<width$}  {:<type_width$}  {description}",
                    column.name, column.data_type
                )
                .map_err(io)?;
            }
        }
        "\\reports" => crate::app::list_reports(settings, l)?,
        "\\save" => return Err(Failure::User(l.text("repl-save-shell-only"))),
        "\\run" => {
            let library =
                ReportLibrary::load(&settings.report_folders).map_err(|e| from_engine(&e, l))?;
            let report = library.resolve(argument).map_err(|e| from_engine(&e, l))?;
            let results = runtime.block_on(async {
                tokio::select! {
                    results = engine.run_report(&report, &[]) => Some(results),
                    _ = tokio::signal::ctrl_c() => None,
                }
            });
            match results {
                None => writeln!(std::io::stderr(), "{}", l.text("repl-cancelled")).map_err(io)?,
                Some(results) => {
                    for result in results.map_err(|e| from_engine(&e, l))? {
                        write_query_result(&mut out, &result, settings.format, l)
                            .map_err(|e| from_engine(&e, l))?;
                    }
                }
            }
        }
        _ => {
            let near = nearest_commands(command);
            let message = l.format(
                "repl-unknown-command",
                &[
                    ("command", Arg::from(command)),
                    ("near", Arg::from(near.join(", "))),
                ],
            );
            return Err(Failure::User(message));
        }
    }
    Ok(Flow::Continue)
}

/// Lists the commands closest to a mistyped one, or all commands when none is close.
fn nearest_commands(command: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &str)> = COMMANDS
        .iter()
        .map(|c| (edit_distance(command, c), *c))
        .collect();
    scored.sort();
    let near: Vec<&str> = scored
        .iter()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, c)| *c)
        .collect();
    if near.is_empty() {
        COMMANDS.to_vec()
    } else {
        near
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_ends_at_semicolon() {
        assert!(statement_complete("select 1;"));
        assert!(statement_complete("select 1;  -- done"));
        assert!(!statement_complete("select 1"));
        assert!(!statement_complete("select ';'"));
        assert!(statement_complete("select ';';"));
        assert!(!statement_complete("select 1 -- ;"));
        assert!(statement_complete("\\d deals"));
        assert!(statement_complete(""));
    }

    #[test]
    fn near_commands_for_typo() {
        assert_eq!(nearest_commands("\\dd"), ["\\d", "\\?", "\\q"]);
        assert_eq!(nearest_commands("\\reprots")[0], "\\reports");
    }
}
