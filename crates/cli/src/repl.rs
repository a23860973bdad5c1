//! The interactive shell: multi-line statements that end at `;`, backslash commands, history kept
//! between runs, and Ctrl-C that cancels the running query rather than the session.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use crmsql_engine::{Engine, OutputFormat, QueryResult};
use crmsql_i18n::{Arg, Localize, Localizer};
use rustyline::Editor;
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;

use crate::app::{Settings, data_folder, demo_now_note};
use crate::complete::{Names, ShellHelper};
use crate::failure::{Failure, from_engine, from_io, from_sql};
use crate::pager::PagerMode;
use crate::print::{View, print_query_result, write_query_result};
use crate::table::TableStyle;

/// Backslash commands, for `\?` and for suggestions after a typo.
const COMMANDS: &[&str] = &[
    "\\q",
    "\\?",
    "\\d",
    "\\df",
    "\\reports",
    "\\run",
    "\\save",
    "\\i",
    "\\o",
    "\\format",
    "\\timing",
    "\\x",
    "\\pager",
    "\\chart",
    "\\last",
    "\\history",
];

/// The state the shell keeps between statements.
pub struct Shell {
    pub view: View,
    /// Whether each statement's time is shown.
    pub timing: bool,
    /// The file results go to instead of the screen (`\o FILE`).
    /// With the format the file's name calls for, when it names one.
    pub output: Option<(PathBuf, std::fs::File, Option<OutputFormat>)>,
    /// The last query that ran, for `\save`.
    pub last_query: Option<String>,
    /// Whether the last query failed, so that `\save` does not save an older one instead.
    pub last_failed: bool,
    /// The last result with columns, for `\last`.
    pub last_result: Option<QueryResult>,
    /// The chart the report behind the last result declares, for `\chart`.
    last_chart: Option<String>,
    /// The runtime statements run on. A cancelled statement's operator may keep its threads
    /// busy until it returns, so Ctrl-C leaves that runtime to finish alone and starts a new one.
    queries: Option<tokio::runtime::Runtime>,
    /// Whether the shell runs the text of `-f` or of standard input. A blank line then goes
    /// between two CSV or Markdown results on the screen, as between those of one `-c` text,
    /// and the first failure, also in a file of `\i`, ends the run.
    batch: bool,
    /// Whether a result with columns was printed on the screen.
    result_shown: bool,
    /// The files `\i` is running, one inside another, outermost first.
    including: Vec<PathBuf>,
    /// Whether the failure just returned came from inside a file of `\i` and already names
    /// its file and line.
    failure_located: bool,
}

/// Builds the runtime that statements run on.
fn query_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Internal(error.to_string()))
}

impl Shell {
    pub fn new(settings: &Settings) -> Result<Shell, Failure> {
        Ok(Shell {
            view: settings.view(),
            timing: false,
            output: None,
            last_query: None,
            last_failed: false,
            last_result: None,
            last_chart: None,
            queries: Some(query_runtime()?),
            batch: false,
            result_shown: false,
            including: Vec::new(),
            failure_located: false,
        })
    }

    /// Returns the shell's view with every row and cell whole, for `\last` and `\o` files.
    fn whole_view(&self) -> View {
        View {
            table: TableStyle {
                expanded: self.view.table.expanded,
                ..TableStyle::whole(self.view.table.lang)
            },
            ..self.view.clone()
        }
    }

    /// Leaves the statement runtime to a cancelled statement and starts a fresh one.
    fn renew_queries(&mut self) -> Result<(), Failure> {
        if let Some(old) = self.queries.replace(query_runtime()?) {
            old.shutdown_background();
        }
        Ok(())
    }

    /// Returns the handle statements are spawned on.
    fn queries(&self) -> Result<tokio::runtime::Handle, Failure> {
        self.queries
            .as_ref()
            .map(|runtime| runtime.handle().clone())
            .ok_or_else(|| Failure::Internal("the statement runtime is gone".to_owned()))
    }
}

impl Drop for Shell {
    /// Leaves any statement still running to end alone, so that the program does not wait.
    fn drop(&mut self) {
        if let Some(runtime) = self.queries.take() {
            runtime.shutdown_background();
        }
    }
}

/// How many files `\i` runs one inside another before it stops.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Reports whether `text` contains nothing but blanks and SQL comments (`-- …` and `/* … */`).
pub(crate) fn only_comments(text: &str) -> bool {
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, next)| next);
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.split_once("*/") {
                Some((_, next)) => rest = next,
                None => return true,
            }
        } else {
            return false;
        }
        rest = rest.trim_start();
    }
    true
}

/// Reports whether the input is ready to run: empty, a backslash command, or SQL whose last
/// character outside comments and quotes is `;`.
pub(crate) fn statement_complete(input: &str) -> bool {
    let trimmed = input.trim();
    // A backslash command on a line of its own runs at once, even inside an open statement.
    let last_line = trimmed.lines().last().unwrap_or_default().trim_start();
    if trimmed.is_empty() || trimmed.starts_with('\\') || last_line.starts_with('\\') {
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
    let mut editor: Editor<ShellHelper, FileHistory> =
        Editor::with_config(config).map_err(|e| Failure::Internal(e.to_string()))?;
    let names = completion_names(runtime, engine, settings);
    editor.set_helper(Some(ShellHelper::new(
        names,
        crate::complete::colour_wanted(),
    )));

    let history = history_path(settings);
    // Only the default folder is created. A history file given with --history-file is written
    // only when its folder exists.
    if settings.history_file.is_none()
        && let Some(parent) = history.parent()
    {
        let _ = std::fs::create_dir_all(parent);
    }
    // A missing history file is normal on the first run.
    let _ = editor.load_history(&history);

    let mut stderr = std::io::stderr();
    // History that cannot be saved is reported once, here, and not after every line.
    let folder_missing = history
        .parent()
        .is_some_and(|parent| !parent.as_os_str().is_empty() && !parent.is_dir());
    let mut save_history = !folder_missing;
    if folder_missing {
        let _ = writeln!(
            stderr,
            "{}",
            l.format(
                "repl-history-folder-missing",
                &[("path", Arg::from(history.display().to_string()))],
            )
        );
    }
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

    let mut shell = Shell::new(settings)?;
    run_startup(runtime, engine, settings, &mut shell, l)?;
    // The open statement a backslash command interrupted, given back at the next prompt.
    let mut pending = String::new();
    loop {
        let read = if pending.is_empty() {
            editor.readline("crmsql> ")
        } else {
            editor.readline_with_initial("crmsql> ", (&std::mem::take(&mut pending), ""))
        };
        let line = match read {
            Ok(line) => line,
            // Ctrl-C at the prompt drops the line being typed, as in psql.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => return Err(Failure::Internal(error.to_string())),
        };
        let mut input = line.trim();
        if input.is_empty() {
            continue;
        }
        // A command typed under an unfinished statement runs, and the statement waits.
        if let Some((statement, command)) = input.rsplit_once('\n')
            && command.trim_start().starts_with('\\')
            && !statement.trim_start().starts_with('\\')
        {
            pending = format!("{}\n", statement.trim_end());
            input = command.trim();
        }
        let _ = editor.add_history_entry(input);
        if save_history && let Err(error) = editor.save_history(&history) {
            tracing::warn!(path = %history.display(), %error, "failed to save the REPL history");
            save_history = false;
        }

        if let Some(name) = input
            .strip_prefix("\\save")
            .filter(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
        {
            let name = name.trim().trim_end_matches(';').trim();
            let query = if shell.last_failed {
                Err(Failure::User(l.text("repl-save-failed")))
            } else {
                Ok(shell.last_query.as_deref())
            };
            let saved = query.and_then(|query| save_report(&mut editor, settings, name, query, l));
            match saved {
                Ok(message) => {
                    let _ = writeln!(stderr, "{message}");
                }
                // Declining to save is the user's choice, not an error.
                Err(Failure::User(message)) if message == l.text("repl-save-cancelled") => {
                    let _ = writeln!(stderr, "{message}");
                }
                Err(failure) => print_failure(&failure, l),
            }
            continue;
        }
        if input.trim_end_matches(';').trim() == "\\history" {
            let mut out = crate::failure::Stdout;
            let entries: Vec<String> = editor
                .history()
                .iter()
                .map(|entry| entry.to_owned())
                .collect();
            for (number, entry) in entries.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:>5}  {}",
                    number + 1,
                    entry.replace('\n', "\n       ")
                );
            }
            continue;
        }
        if input.starts_with('\\') {
            match run_command(runtime, engine, settings, &mut shell, input, l) {
                Ok(Flow::Quit) => break,
                Ok(Flow::Continue) => {}
                Err(failure) => print_failure(&failure, l),
            }
            continue;
        }

        let outcome = run_cancellable(runtime, engine, &mut shell, input, l);
        shell.last_failed = !matches!(outcome, Some(Ok(())));
        match outcome {
            Some(Ok(())) => shell.last_query = Some(input.to_owned()),
            Some(Err(Failure::BrokenPipe)) => {}
            Some(Err(failure)) => print_failure(&failure, l),
            None => {
                let _ = writeln!(stderr, "{}", cancelled(runtime, engine, l));
            }
        }
    }
    Ok(())
}

/// Runs the startup file, `--init FILE` or `~/.crmsqlrc`, before the first prompt: backslash
/// commands line by line and SQL statements that end with `;`. A failing line is reported with
/// its place and the rest still runs; a missing `~/.crmsqlrc` is normal, a missing `--init` file
/// is an error.
fn run_startup(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
    shell: &mut Shell,
    l: &Localizer,
) -> Result<(), Failure> {
    let (path, given) = match &settings.init {
        Some(path) => (path.clone(), true),
        None => match dirs::home_dir() {
            Some(home) => (home.join(".crmsqlrc"), false),
            None => return Ok(()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if !given && error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(Failure::User(l.format(
                "read-failed",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("detail", Arg::from(crmsql_i18n::io_error_text(&error, l))),
                ],
            )));
        }
    };
    run_script(runtime, engine, settings, shell, &path, &text, l);
    Ok(())
}

/// Runs a script: backslash commands line by line and SQL statements up to their `;`. A failing
/// line is reported with the file and its line, and the rest still runs.
fn run_script(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
    shell: &mut Shell,
    path: &Path,
    text: &str,
    l: &Localizer,
) {
    let script = Script { path, text };
    let _ = script.run(runtime, engine, settings, shell, false, l);
}

/// Runs the text of `-f` or of standard input statement by statement, with shell commands such
/// as `\d deals` among them, up to the first failure, whose error names `source` and the line.
pub fn run_batch(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
    source: &Path,
    text: &str,
    l: &Localizer,
) -> Result<(), Failure> {
    let mut shell = Shell::new(settings)?;
    shell.batch = true;
    if let Ok(file) = std::fs::canonicalize(source) {
        shell.including.push(file);
    }
    let script = Script { path: source, text };
    script.run(runtime, engine, settings, &mut shell, true, l)
}

/// Returns the first backslash command of `text` at the start of a line outside a statement,
/// with its line number.
pub fn first_command(text: &str) -> Option<(usize, &str)> {
    let mut statement = String::new();
    for (index, line) in text.lines().enumerate() {
        if only_comments(&statement) && line.trim_start().starts_with('\\') {
            return Some((index + 1, line.trim()));
        }
        if statement.is_empty() && line.trim().is_empty() {
            continue;
        }
        statement.push_str(line);
        statement.push('\n');
        if statement_complete(&statement) {
            statement.clear();
        }
    }
    None
}

/// A script's text with the file it came from.
struct Script<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Script<'_> {
    /// Runs the script. With `stop`, the first failure ends it and comes back with the file and
    /// line, and Ctrl-C ends it as interrupted. Without `stop`, each failure is printed and the
    /// rest still runs.
    fn run(
        &self,
        runtime: &tokio::runtime::Runtime,
        engine: &Engine,
        settings: &Settings,
        shell: &mut Shell,
        stop: bool,
        l: &Localizer,
    ) -> Result<(), Failure> {
        let located = |line: usize, failure: Failure| match failure {
            Failure::User(message) => Failure::User(self.locate(line, &message, l)),
            Failure::Internal(message) => Failure::Internal(self.locate(line, &message, l)),
            other => other,
        };
        let fail = |line: usize, failure: Failure, known: bool| -> Result<(), Failure> {
            let failure = if known {
                failure
            } else {
                located(line, failure)
            };
            if stop {
                return Err(failure);
            }
            if let Failure::User(message) | Failure::Internal(message) = &failure {
                let _ = writeln!(std::io::stderr(), "{}: {message}", l.text("error-prefix"));
            }
            Ok(())
        };
        let interrupted = |message: String| -> Result<(), Failure> {
            if stop {
                return Err(Failure::Interrupted(message));
            }
            let _ = writeln!(std::io::stderr(), "{message}");
            Ok(())
        };
        let mut statement = String::new();
        let mut first_line = 0;
        for (index, line) in self.text.lines().enumerate() {
            // Comments before a command belong to no statement.
            if only_comments(&statement) && line.trim_start().starts_with('\\') {
                statement.clear();
                match run_command(runtime, engine, settings, shell, line.trim(), l) {
                    // `\q` ends the script.
                    Ok(Flow::Quit) => return Ok(()),
                    Ok(_) => {}
                    Err(failure) => {
                        let known = std::mem::take(&mut shell.failure_located);
                        fail(index + 1, failure, known)?;
                    }
                }
                continue;
            }
            if statement.is_empty() {
                if line.trim().is_empty() {
                    continue;
                }
                first_line = index + 1;
            }
            statement.push_str(line);
            statement.push('\n');
            if statement_complete(&statement) {
                // Blank lines before the statement put its errors on the file's lines.
                let placed = format!("{}{statement}", "\n".repeat(first_line.saturating_sub(1)));
                match run_cancellable(runtime, engine, shell, &placed, l) {
                    Some(Err(failure)) => fail(first_line, failure, false)?,
                    // Ctrl-C stops the whole script.
                    None => return interrupted(cancelled(runtime, engine, l)),
                    Some(Ok(())) => {}
                }
                statement.clear();
            }
        }
        if !only_comments(&statement) {
            let placed = format!("{}{statement}", "\n".repeat(first_line.saturating_sub(1)));
            match run_cancellable(runtime, engine, shell, &placed, l) {
                Some(Err(failure)) => fail(first_line, failure, false)?,
                None => return interrupted(cancelled(runtime, engine, l)),
                Some(Ok(())) => {}
            }
        }
        Ok(())
    }

    /// Returns `message` with the script's file and the line it is about.
    fn locate(&self, line: usize, message: &str, l: &Localizer) -> String {
        l.format(
            "repl-startup-failed",
            &[
                ("path", Arg::from(self.path.display().to_string())),
                ("line", Arg::from(line)),
                ("detail", Arg::from(message)),
            ],
        )
    }
}

/// After Ctrl-C, lets a statement on a cluster run on until the scheduler has named its job,
/// for at most 2 s, so that the job can be cancelled. The scheduler may start a job before its
/// response with the job's name reaches this program.
pub async fn until_job_named<F: std::future::Future>(engine: &Engine, work: std::pin::Pin<&mut F>) {
    if engine.cluster().is_none() {
        return;
    }
    let named = async {
        for _ in 0..100 {
            if engine.running_cluster_job().is_some() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = work => {}
        () = named => {}
    }
}

/// Says that a statement was cancelled, after stopping its job when it ran on a cluster: the
/// scheduler would otherwise keep the job running.
pub fn cancelled(runtime: &tokio::runtime::Runtime, engine: &Engine, l: &Localizer) -> String {
    match runtime.block_on(engine.cancel_cluster_job()) {
        Ok(None) => l.text("repl-cancelled"),
        Ok(Some(job)) => l.format("cluster-cancelled", &[("job", Arg::from(job))]),
        Err(error) => error.localize(l),
    }
}

/// Runs SQL until it ends or Ctrl-C cancels it; `None` when cancelled.
fn run_cancellable(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    shell: &mut Shell,
    sql: &str,
    l: &Localizer,
) -> Option<Result<(), Failure>> {
    let outcome = runtime.block_on(async {
        let work = run_statements(engine, shell, sql, l);
        tokio::pin!(work);
        let outcome = tokio::select! {
            result = &mut work => Some(result),
            _ = tokio::signal::ctrl_c() => None,
            () = crate::progress::query_ticker(engine, l) => None,
        };
        if outcome.is_none() {
            until_job_named(engine, work).await;
        }
        outcome
    });
    if outcome.is_none()
        && let Err(failure) = shell.renew_queries()
    {
        return Some(Err(failure));
    }
    outcome
}

/// A running statement's task, aborted when the shell stops waiting for it.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// Runs each statement of `sql`, shows its result on the screen or in the `\o` file, and keeps
/// the last result with columns.
async fn run_statements(
    engine: &Engine,
    shell: &mut Shell,
    sql: &str,
    l: &Localizer,
) -> Result<(), Failure> {
    if shell.view.format.is_binary() {
        return Err(Failure::User(l.format(
            "format-needs-file",
            &[("format", Arg::from(shell.view.format.extension()))],
        )));
    }
    let statements = engine.parse(sql).map_err(|e| from_sql(&e, sql, l))?;
    for statement in statements {
        let started = std::time::Instant::now();
        // The statement runs in a task of its own, so that Ctrl-C is heard even while an
        // operator computes for a long time without returning. Cancelling drops the task.
        let task = {
            let engine = engine.clone();
            AbortOnDrop(
                shell
                    .queries()?
                    .spawn(async move { engine.execute(statement).await }),
            )
        };
        let result = task
            .await
            .map_err(|error| Failure::Internal(error.to_string()))?
            .map_err(|e| from_sql(&e, sql, l))?;
        let elapsed = started.elapsed();
        show_result(shell, &result, l)?;
        if shell.timing {
            let seconds = crate::table::localize_number(
                &format!("{:.3}", elapsed.as_secs_f64()),
                shell.view.table.lang,
            );
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                l.format("repl-time", &[("seconds", Arg::from(seconds))])
            );
        }
        if !result.schema.fields().is_empty() {
            shell.last_result = Some(result);
            shell.last_chart = None;
        }
    }
    Ok(())
}

/// Writes a result to the `\o` file, whole, or to the screen.
fn show_result(shell: &mut Shell, result: &QueryResult, l: &Localizer) -> Result<(), Failure> {
    let whole = shell.whole_view();
    match &mut shell.output {
        Some((path, file, format)) => {
            let view = View {
                format: format.unwrap_or(whole.format),
                ..whole
            };
            write_query_result(file, result, &view, l).map_err(|e| from_engine(&e, l))?;
            file.flush()
                .map_err(|e| from_io(e, &path.display().to_string(), l))
        }
        None => {
            let tabular = matches!(
                shell.view.format,
                OutputFormat::Csv | OutputFormat::Markdown
            );
            let columns = !result.schema.fields().is_empty();
            if shell.batch && shell.result_shown && tabular && columns {
                writeln!(crate::failure::Stdout).map_err(|e| from_io(e, "<stdout>", l))?;
            }
            shell.result_shown |= columns;
            print_query_result(result, &shell.view, l).map_err(|e| from_engine(&e, l))
        }
    }
}

/// Reads the names completion offers: tables with their columns, functions, reports and
/// commands. A table that cannot be described still offers its name.
fn completion_names(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    settings: &Settings,
) -> Names {
    let mut names = Names::default();
    for table in engine.table_names() {
        let columns = runtime
            .block_on(engine.describe(&table, settings.lang))
            .map(|columns| columns.into_iter().map(|c| c.name).collect())
            .unwrap_or_default();
        names.tables.insert(table, columns);
    }
    names.crm_functions = crate::functions::CRM_FUNCTIONS
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    names.functions = crate::functions::builtin_functions(engine)
        .into_iter()
        .map(|(name, _)| name)
        .chain(names.crm_functions.iter().cloned())
        .collect();
    names.reports = crmsql_engine::ReportLibrary::load(&settings.report_folders)
        .map(|library| library.reports().iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    names.commands = COMMANDS.iter().map(|c| (*c).to_owned()).collect();
    names
}

/// Saves the last query as a report `NAME.sql` in the first report folder, asking for its
/// description. Returns the message with its path and the command that runs it.
fn save_report<I: rustyline::history::History>(
    editor: &mut Editor<ShellHelper, I>,
    settings: &Settings,
    name: &str,
    query: Option<&str>,
    l: &Localizer,
) -> Result<String, Failure> {
    // Replies typed at these prompts are plain text, not statements that wait for `;`.
    let asking = |editor: &mut Editor<ShellHelper, I>, on: bool| {
        if let Some(helper) = editor.helper_mut() {
            helper.set_asking(on);
        }
    };
    asking(editor, true);
    let saved = save_report_asking(editor, settings, name, query, l);
    asking(editor, false);
    saved
}

fn save_report_asking<I: rustyline::history::History>(
    editor: &mut Editor<ShellHelper, I>,
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
    let yes = |answer: &str| {
        matches!(
            answer.trim().to_lowercase().as_str(),
            "да" | "д" | "yes" | "y"
        )
    };
    // A saved report named like a built-in one takes its place in `crmsql run NAME`.
    if !path.exists() && crmsql_engine::ReportLibrary::is_builtin(name) {
        let answer = editor
            .readline(&l.format("repl-save-builtin", &[("name", Arg::from(name))]))
            .map_err(|_| cancelled())?;
        if !yes(&answer) {
            return Err(cancelled());
        }
    }
    if path.exists() {
        let answer = editor
            .readline(&l.format(
                "repl-save-replace",
                &[("path", Arg::from(path.display().to_string()))],
            ))
            .map_err(|_| cancelled())?;
        if !yes(&answer) {
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
    // The command that runs the report names its folder unless crmsql looks there anyway.
    let command = if folder == Path::new("queries") {
        format!("crmsql run {name}")
    } else {
        format!("crmsql --queries {} run {name}", folder.display())
    };
    Ok(l.format(
        "repl-saved",
        &[
            ("name", Arg::from(name)),
            ("path", Arg::from(path.display().to_string())),
            ("command", Arg::from(command)),
        ],
    ))
}

fn print_failure(failure: &Failure, l: &Localizer) {
    let (prefix, message) = match failure {
        Failure::User(message) => (l.text("error-prefix"), message),
        Failure::Internal(message) => (l.text("internal-error-prefix"), message),
        Failure::BrokenPipe => return,
        Failure::Interrupted(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return;
        }
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
    shell: &mut Shell,
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
    let note = |text: String| {
        let _ = writeln!(std::io::stderr(), "{text}");
    };
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
            // Table names are lower case; `\d Deals` means deals.
            let columns = runtime
                .block_on(engine.describe(&argument.to_lowercase(), settings.lang))
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
        "\\df" => {
            for line in crate::functions::list_functions(engine, argument, l) {
                writeln!(out, "{line}").map_err(io)?;
            }
        }
        "\\reports" => crate::app::list_reports(settings, l)?,
        "\\save" => return Err(Failure::User(l.text("repl-save-shell-only"))),
        "\\history" => return Err(Failure::User(l.text("repl-history-shell-only"))),
        "\\run" => {
            let words = split_words(argument);
            let mut words = words.iter().map(String::as_str);
            let Some(name) = words.next() else {
                // `\run` alone lists what it can run.
                crate::app::list_reports(settings, l)?;
                return Ok(Flow::Continue);
            };
            // `KEY=VALUE`, or the options of `crmsql run`: `--period P`, `--compare C`,
            // `--param KEY=VALUE`. A value with spaces goes in quotes: pipeline="Новые продажи".
            let mut params: Vec<String> = Vec::new();
            while let Some(word) = words.next() {
                match word {
                    "--param" | "--period" | "--compare" => {
                        let Some(value) = words.next() else {
                            return Err(Failure::User(
                                l.format("repl-run-value", &[("option", Arg::from(word))]),
                            ));
                        };
                        if word == "--param" {
                            params.push(value.to_owned());
                        } else {
                            params.push(format!("{}={value}", word.trim_start_matches('-')));
                        }
                    }
                    other => params.push(other.to_owned()),
                }
            }
            let given = crate::app::given_params(&None, &None, &params, l)?;
            let library = crate::app::load_reports(settings, l)?;
            let report = library.resolve(name).map_err(|e| from_engine(&e, l))?;
            let shown = report.clone();
            let task = {
                let engine = engine.clone();
                AbortOnDrop(
                    shell
                        .queries()?
                        .spawn(async move { engine.run_report(&report, &given).await }),
                )
            };
            let results = runtime.block_on(async {
                let mut task = task;
                let results = tokio::select! {
                    results = &mut task => Some(results),
                    _ = tokio::signal::ctrl_c() => None,
                    () = crate::progress::query_ticker(engine, l) => None,
                };
                if results.is_none() {
                    until_job_named(engine, std::pin::Pin::new(&mut task)).await;
                }
                results
            });
            if results.is_none() {
                shell.renew_queries()?;
            }
            match results {
                None => note(cancelled(runtime, engine, l)),
                Some(results) => {
                    let results = results.map_err(|error| Failure::Internal(error.to_string()))?;
                    for result in results.map_err(|e| crate::failure::from_report(&e, &shown, l))? {
                        show_result(shell, &result, l)?;
                        if !result.schema.fields().is_empty() {
                            shell.last_result = Some(result);
                            shell.last_chart.clone_from(&shown.chart);
                        }
                    }
                }
            }
        }
        "\\i" => {
            let path = unquote(argument);
            if path.is_empty() {
                return Err(Failure::User(l.text("repl-include-usage")));
            }
            // A file that includes itself would otherwise run until the stack overflowed.
            let file = std::fs::canonicalize(&path).unwrap_or_else(|_| PathBuf::from(&path));
            if shell.including.contains(&file) {
                return Err(Failure::User(l.format(
                    "repl-include-loop",
                    &[("path", Arg::from(path.as_str()))],
                )));
            }
            if shell.including.len() >= MAX_INCLUDE_DEPTH {
                return Err(Failure::User(l.format(
                    "repl-include-too-deep",
                    &[
                        ("path", Arg::from(path.as_str())),
                        ("depth", Arg::from(MAX_INCLUDE_DEPTH)),
                    ],
                )));
            }
            let sql = crate::app::read_sql_file(Path::new(&path), l)?;
            // A file runs as a script: its commands too, and past a failing statement unless
            // the shell runs a batch.
            shell.including.push(file);
            let script = Script {
                path: Path::new(&path),
                text: &sql,
            };
            let stop = shell.batch;
            let outcome = script.run(runtime, engine, settings, shell, stop, l);
            shell.including.pop();
            shell.failure_located = outcome.is_err();
            outcome?;
        }
        "\\o" => {
            let path = unquote(argument);
            if path.is_empty() {
                if shell.output.take().is_some() {
                    note(l.text("repl-output-screen"));
                }
            } else {
                // A `.csv`, `.json`, `.md` or `.html` file gets that format; Excel and Parquet
                // files hold one result and are written with -o.
                let format = OutputFormat::from_file_name(Path::new(&path));
                if format.is_some_and(|format| format.is_binary()) {
                    return Err(Failure::User(
                        l.format("repl-output-binary", &[("path", Arg::from(&path))]),
                    ));
                }
                let file = std::fs::File::create(&path).map_err(|e| from_io(e, &path, l))?;
                note(l.format("repl-output-file", &[("path", Arg::from(&path))]));
                shell.output = Some((PathBuf::from(path), file, format));
            }
        }
        "\\format" if argument.is_empty() => note(l.format(
            "repl-format-set",
            &[(
                "format",
                Arg::from(shell.view.format.extension().replace("txt", "table")),
            )],
        )),
        "\\format" => {
            let format = OutputFormat::parse(argument)
                .filter(|format| {
                    matches!(
                        format,
                        OutputFormat::Table
                            | OutputFormat::Csv
                            | OutputFormat::Json
                            | OutputFormat::Markdown
                    )
                })
                .ok_or_else(|| {
                    Failure::User(
                        l.format("repl-format-unknown", &[("value", Arg::from(argument))]),
                    )
                })?;
            shell.view.format = format;
            note(l.format(
                "repl-format-set",
                &[("format", Arg::from(argument.to_lowercase()))],
            ));
        }
        "\\timing" => {
            shell.timing = switch(argument, shell.timing, l)?;
            note(l.text(if shell.timing {
                "repl-timing-on"
            } else {
                "repl-timing-off"
            }));
        }
        "\\x" => {
            shell.view.table.expanded = switch(argument, shell.view.table.expanded, l)?;
            note(l.text(if shell.view.table.expanded {
                "repl-expanded-on"
            } else {
                "repl-expanded-off"
            }));
        }
        "\\pager" => {
            shell.view.pager = PagerMode::parse(argument).ok_or_else(|| {
                Failure::User(l.format("repl-pager-value", &[("value", Arg::from(argument))]))
            })?;
            note(l.format(
                "repl-pager-set",
                &[("mode", Arg::from(argument.trim().to_lowercase()))],
            ));
        }
        "\\chart" => {
            let Some(result) = &shell.last_result else {
                return Err(Failure::User(l.text("repl-last-nothing")));
            };
            // `\chart [bar|line] [X Y]`: the kind, then the label and value columns; without
            // them, the chart the report declares.
            let spec = match (argument.is_empty(), &shell.last_chart) {
                (true, Some(chart)) => chart.clone(),
                _ => argument.to_owned(),
            };
            let mut words: Vec<&str> = spec.split_whitespace().collect();
            let kind = words
                .first()
                .and_then(|w| crate::chart::ChartKind::parse(w));
            if kind.is_some() {
                words.remove(0);
            }
            let is_column = |name: &str| {
                result
                    .schema
                    .fields()
                    .iter()
                    .any(|f| f.name().eq_ignore_ascii_case(name))
            };
            if words.len() > 2 || (kind.is_none() && words.len() == 1 && !is_column(words[0])) {
                return Err(Failure::User(l.text("repl-chart-usage")));
            }
            let series = crate::chart::series(
                result,
                words.first().copied(),
                words.get(1).copied(),
                shell.view.table.lang,
            )
            .map_err(|problem| Failure::User(crate::print::chart_problem(&problem, l)))?;
            let width = terminal_size::terminal_size().map_or(80, |(w, _)| usize::from(w.0));
            let text = crate::chart::terminal_chart(
                &series,
                kind.unwrap_or(series.natural_kind()),
                width,
                shell.view.table.lang,
            );
            write!(out, "{text}").map_err(io)?;
        }
        "\\last" => match &shell.last_result {
            Some(result) => {
                print_query_result(result, &shell.whole_view(), l)
                    .map_err(|e| from_engine(&e, l))?;
            }
            None => return Err(Failure::User(l.text("repl-last-nothing"))),
        },
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

/// Reads `on`/`off` (or nothing, which flips `current`).
fn switch(argument: &str, current: bool, l: &Localizer) -> Result<bool, Failure> {
    match argument.to_lowercase().as_str() {
        "" => Ok(!current),
        "on" | "вкл" => Ok(true),
        "off" | "выкл" => Ok(false),
        other => Err(Failure::User(
            l.format("repl-switch-value", &[("value", Arg::from(other))]),
        )),
    }
}

/// Splits a command's arguments at spaces, keeping text in single or double quotes together
/// without its quotes: `pipeline="Новые продажи"` is one word.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                started = true;
            }
            None if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            None => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Takes the quotes off a path typed as `'my file.sql'` or `"my file.sql"`.
fn unquote(argument: &str) -> String {
    let argument = argument.trim();
    for quote in ['\'', '"'] {
        if let Some(inner) = argument
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner.to_owned();
        }
    }
    // Completion writes a space in a path as `\ `; `~/` is the home folder.
    let path = argument.replace("\\ ", " ");
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest).display().to_string(),
        _ => path,
    }
}

/// Lists the commands closest to a mistyped one, or all commands when none is close.
fn nearest_commands(command: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &str)> = COMMANDS
        .iter()
        .map(|c| (edit_distance(command, c), *c))
        .collect();
    scored.sort();
    // The closest commands, if they are close at all.
    let best = scored.first().map_or(0, |(d, _)| *d);
    let near: Vec<&str> = scored
        .iter()
        .filter(|(d, _)| *d <= 2 && *d == best)
        .map(|(_, c)| *c)
        .collect();
    if near.is_empty() {
        COMMANDS.to_vec()
    } else {
        near
    }
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
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
    fn comments_alone_are_no_statement() {
        assert!(only_comments(""));
        assert!(only_comments("  -- header\n\n/* a\nblock */ -- more\n"));
        assert!(only_comments("/* not closed"));
        assert!(!only_comments("-- header\nSELECT 1"));
        assert!(!only_comments("/* a */ SELECT 1"));
        assert!(!only_comments("- 1"));
    }

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
        assert_eq!(nearest_commands("\\dd"), ["\\d", "\\df"]);
        assert_eq!(nearest_commands("\\timng"), ["\\timing"]);
        assert_eq!(nearest_commands("\\reprots")[0], "\\reports");
    }
}
