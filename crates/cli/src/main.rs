//! The `crmsql` binary: argument parsing, the choice of language and exit codes. The work is
//! done by the library crates; this crate only wires them to the terminal.

mod app;
mod args;
mod chart;
mod cluster;
mod complete;
mod config;
mod failure;
mod functions;
mod pager;
mod print;
mod progress;
mod repl;
mod sql_error;
mod table;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;
use crmsql_i18n::{Lang, Localizer};

use crate::failure::Failure;

/// Finds the last `--lang X` or `--lang=X` in the arguments, before clap runs, so that help and
/// argument errors are already in that language.
fn language_from_args(args: &[OsString]) -> Option<Lang> {
    let args: Vec<String> = args
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let mut lang = None;
    for (index, arg) in args.iter().enumerate() {
        if let Some(value) = arg.strip_prefix("--lang=") {
            lang = Lang::parse(value);
        } else if arg == "--lang" {
            lang = args.get(index + 1).and_then(|value| Lang::parse(value));
        }
    }
    lang
}

/// Puts the settings file's arguments between the program name and the typed arguments, less
/// the options whose environment variable is set. Returns the arguments, how many came from
/// the file, and the file's line of each of those.
fn with_config(config: Option<&config::Config>) -> (Vec<OsString>, usize, Vec<usize>) {
    let mut typed = std::env::args_os();
    let mut args: Vec<OsString> = typed.next().into_iter().collect();
    let mut lines = Vec::new();
    if let Some(config) = config {
        let command = <args::Cli as clap::CommandFactory>::command();
        let set: Vec<(String, bool)> = command
            .get_arguments()
            .filter(|arg| {
                arg.get_env()
                    .is_some_and(|name| std::env::var_os(name).is_some())
            })
            .filter_map(|arg| {
                let long = arg.get_long()?.to_owned();
                Some((long, arg.get_action().takes_values()))
            })
            .collect();
        for index in config::without_options(&config.args, &set) {
            args.push(config.args[index].clone());
            lines.push(config.lines.get(index).copied().unwrap_or_default());
        }
    }
    let from_file = args.len() - 1;
    args.extend(typed);
    (args, from_file, lines)
}

/// The maximum length of a log line shown without `-v`, in bytes. Ballista logs whole task statuses when it cannot
/// send them, tens of kilobytes on one line.
const LOG_LINE_LIMIT: usize = 1000;

/// Writes each log line to standard error, cutting lines longer than `limit` bytes.
struct ShortLines {
    limit: usize,
}

impl Write for ShortLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(cluster::line_stamp().as_bytes())?;
        if buf.len() <= self.limit {
            stderr.write_all(buf)?;
        } else {
            let text = String::from_utf8_lossy(buf);
            let mut end = self.limit;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let rest = buf.len() - end;
            writeln!(stderr, "{} … (+{rest} bytes; -v shows all)", &text[..end])?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Drops Ballista's error for a task status of a job that the scheduler no longer tracks. The
/// error follows every cancelled job, because its executors report the tasks they were running.
struct QuietCancelledJobs;

/// The text and target of a log event. Ballista logs through the `log` crate, whose records
/// carry their target in a field.
#[derive(Default)]
struct LogEvent {
    message: String,
    target: String,
}

impl tracing::field::Visit for LogEvent {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "log.target" {
            self.target = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for QuietCancelledJobs {
    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        if *event.metadata().level() != tracing::Level::ERROR {
            return true;
        }
        let mut seen = LogEvent::default();
        event.record(&mut seen);
        let target = if seen.target.is_empty() {
            event.metadata().target()
        } else {
            &seen.target
        };
        !(target == "ballista_scheduler::state::task_manager"
            && seen.message.starts_with("Fail to find job ")
            && seen.message.contains("active cache"))
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        // Ballista logs a failed job as an error before returning it, and crmsql then explains
        // the same failure. Stages under a union report no operator metrics, and the scheduler
        // would warn of that. An executor that loses its scheduler reports it in lines of its
        // own, where Ballista logs each failed heartbeat and its folder cleaning. A scheduler
        // reports executors that join and leave in its own lines, where Ballista logs each
        // failed call to a stopped executor, and an executor's cancelled tasks are expected.
        // An executor warns when a client or another executor stops reading its results, as
        // after a cancel; the reader reports a failed read itself.
        0 => {
            "warn,ballista_core::execution_plans::distributed_query=off,\
             ballista_scheduler::state::execution_stage=error,\
             ballista_scheduler::state::executor_manager=off,ballista_executor::executor=error,\
             ballista_executor::executor_server=off,ballista_executor::executor_process=off,\
             ballista_executor::flight_service=error"
        }
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRMSQL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || ShortLines {
            limit: if verbose == 0 {
                LOG_LINE_LIMIT
            } else {
                usize::MAX
            },
        })
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .without_time()
        .finish();
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = if verbose == 0 {
        subscriber.with(QuietCancelledJobs).try_init()
    } else {
        subscriber.try_init()
    };
}

/// Returns the error in the settings file's arguments, `args` after the program name, if they
/// do not parse on their own or hold an option of a single run.
fn file_problem(
    config: &config::Config,
    args: &[OsString],
    lines: &[usize],
    l: &Localizer,
) -> Option<String> {
    let parse = |count: usize| args::localized_command(l).try_get_matches_from(&args[..=count]);
    let last = args.len() - 1;
    // A command, also with its arguments on the same line, is no setting. It counts where the
    // arguments before it parse, so a value such as `--warehouse run` is not taken for one.
    let commands = <args::Cli as clap::CommandFactory>::command();
    for (index, arg) in args.iter().enumerate().skip(1) {
        let Some(word) = arg.to_str().and_then(|arg| arg.split_whitespace().next()) else {
            continue;
        };
        if commands.find_subcommand(word).is_some() && parse(index - 1).is_ok() {
            return Some(config_invalid(
                config,
                lines.get(index - 1).copied(),
                l.format("config-run-command", &[("command", word.into())]),
                l,
            ));
        }
    }
    let matches = match parse(last) {
        Ok(matches) => matches,
        // `--help` or `--version` in the file: the full parse prints them.
        Err(error) if !error.use_stderr() => return None,
        Err(error) => {
            // The mistake is on the line after the longest run of arguments that parses.
            let valid = (0..last).rev().find(|&count| parse(count).is_ok());
            let line = valid.and_then(|count| lines.get(count).copied());
            return Some(config_invalid(
                config,
                line,
                args::argument_error(&error, l),
                l,
            ));
        }
    };

    // What one run does, such as a query or its output file, is no setting. Commands were
    // found by the loop above.
    let from_file =
        |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    let option = [
        ("sql", "-c", "--command"),
        ("file", "-f", "--file"),
        ("output", "-o", "--output"),
    ]
    .into_iter()
    .find(|(id, _, _)| from_file(id))?;
    let (_, short, long) = option;

    let position = args[1..].iter().position(|arg| {
        is_option(arg, long) || arg.to_str().is_some_and(|arg| arg.starts_with(short))
    });
    let detail = l.format("config-run-option", &[("option", long.into())]);
    Some(config_invalid(
        config,
        position.and_then(|index| lines.get(index).copied()),
        detail,
        l,
    ))
}

/// Reports whether `arg` is the long option `option`, alone or with `=` and its value.
fn is_option(arg: &OsString, option: &str) -> bool {
    arg.to_str().is_some_and(|arg| {
        arg == option || arg.strip_prefix(option).is_some_and(|v| v.starts_with('='))
    })
}

/// Returns `detail`, an error in the settings file, with the file's path and, when known, the
/// line.
fn config_invalid(
    config: &config::Config,
    line: Option<usize>,
    detail: String,
    l: &Localizer,
) -> String {
    let path = config.path.display().to_string();
    match line {
        Some(line) => l.format(
            "config-invalid-line",
            &[
                ("path", path.into()),
                ("line", line.into()),
                ("detail", detail.into()),
            ],
        ),
        None => l.format(
            "config-invalid",
            &[("path", path.into()), ("detail", detail.into())],
        ),
    }
}

fn main() -> ExitCode {
    let config = config::load();
    let (all, from_file, file_lines) = with_config(config.as_ref().ok().and_then(Option::as_ref));
    let lang = language_from_args(&all).unwrap_or_else(Lang::from_env);
    let l = Localizer::get(lang);
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            let message = l.format(
                "config-unreadable",
                &[
                    ("path", error.path.display().to_string().into()),
                    (
                        "detail",
                        crmsql_i18n::io_error_text(&error.source, l).into(),
                    ),
                ],
            );
            report(&Failure::User(message), l);
            return ExitCode::from(1);
        }
    };

    // The file's arguments are read on their own first: an option there without its value
    // would otherwise take the first typed argument as one.
    if let Some(config) = &config
        && from_file > 0
        && let Some(message) = file_problem(config, &all[..=from_file], &file_lines, l)
    {
        report(&Failure::User(message), l);
        return ExitCode::from(1);
    }
    let matches = match args::localized_command(l).try_get_matches_from(&all) {
        Ok(matches) => matches,
        // Help and version go to standard output as clap writes them, in the user's language.
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            report(&Failure::User(args::argument_error(&error, l)), l);
            return ExitCode::from(1);
        }
    };
    // Whether an option was typed, rather than read from the settings file.
    let typed = |option: &str| {
        all[from_file + 1..]
            .iter()
            .any(|arg| is_option(arg, option))
    };
    // The cluster's nodes take the client's options only to keep them out of their help. One
    // typed for a node would do nothing, such as `executor --cluster` for `--scheduler`. The
    // settings file's client options are ignored there, as the variables are.
    if let Some((name, sub)) = matches.subcommand()
        && matches!(name, "scheduler" | "executor")
    {
        let command = <args::Cli as clap::CommandFactory>::command();
        for arg in command.get_arguments().filter(|arg| arg.is_global_set()) {
            let id = arg.get_id().as_str();
            let option = format!("--{}", arg.get_long().unwrap_or(id));
            let in_argv = sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
            if in_argv && typed(&option) && !args::node_option(name, id) {
                let key = if name == "executor" && id == "cluster" {
                    "node-option-unused-cluster"
                } else {
                    "node-option-unused"
                };
                let message = l.format(key, &[("option", option.into()), ("command", name.into())]);
                report(&Failure::User(message), l);
                return ExitCode::from(1);
            }
        }
    }
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(1);
        }
    };
    // The line of the settings file that set an option; the last one is the one that counts.
    let file_line = |option: &str| {
        all[1..=from_file]
            .iter()
            .rposition(|arg| is_option(arg, option))
            .and_then(|index| file_lines.get(index).copied())
    };
    let from_source =
        |option: &str, variable: &str, message: String, env_message: String| match &config {
            _ if typed(option) => message,
            _ if std::env::var_os(variable).is_some() => env_message,
            Some(config) => config_invalid(config, file_line(option), message, l),
            None => message,
        };
    // A scheduler keeps no query data, so a limit from the variable or the settings file does
    // not apply to it.
    let scheduler = matches!(cli.command, Some(args::Commands::Scheduler(_)));
    if let Some(value) = &cli.memory_limit
        && !scheduler
        && app::memory_limit(value).is_none()
    {
        let invalid = |key| l.format(key, &[("value", value.into())]);
        let message = from_source(
            "--memory-limit",
            "CRMSQL_MEMORY_LIMIT",
            invalid("memory-limit-invalid"),
            invalid("memory-limit-invalid-env"),
        );
        report(&Failure::User(message), l);
        return ExitCode::from(1);
    }
    // An empty address, as `--cluster=` typed over the settings file's, runs queries here. Only
    // the commands that run queries read the address.
    let runs_queries = matches!(
        cli.command,
        None | Some(args::Commands::Run(_)) | Some(args::Commands::RunAll(_))
    );
    if let Some(value) = cli
        .cluster
        .as_ref()
        .filter(|value| runs_queries && !value.trim().is_empty())
        && let Err(error) = crmsql_cluster::ClusterUrl::parse(value)
    {
        let reason = cluster::url_reason(&error, l);
        let invalid = |key| {
            l.format(
                key,
                &[("value", value.into()), ("reason", reason.clone().into())],
            )
        };
        let message = from_source(
            "--cluster",
            "CRMSQL_CLUSTER",
            invalid("cluster-invalid"),
            invalid("cluster-invalid-env"),
        );
        report(&Failure::User(message), l);
        return ExitCode::from(1);
    }
    // The hint that names where an option not typed came from: its variable or the file's line.
    let origin = |option: &str, variable: &str, key: &str| {
        if typed(option) {
            return None;
        }
        if std::env::var_os(variable).is_some() {
            return Some(l.format(&format!("{key}-env"), &[]));
        }
        let path = config.as_ref()?.path.display().to_string();
        let line = file_line(option)?;
        Some(l.format(
            &format!("{key}-file"),
            &[("path", path.into()), ("line", line.into())],
        ))
    };
    let mut cli = cli;
    if cli.cluster.is_some() {
        cli.cluster_origin = origin("--cluster", "CRMSQL_CLUSTER", "cluster-origin");
    }
    if cli.warehouse.is_some() {
        cli.warehouse_origin = origin("--warehouse", "CRMSQL_WAREHOUSE", "warehouse-origin");
    }
    if let Some(value) = &cli.lang
        && Lang::parse(value).is_none()
    {
        let message = l.format("unknown-lang", &[("value", value.into())]);
        let message = match &config {
            Some(config) if !typed("--lang") => {
                config_invalid(config, file_line("--lang"), message, l)
            }
            _ => message,
        };
        report(&Failure::User(message), l);
        return ExitCode::from(1);
    }
    if matches!(
        cli.command,
        Some(args::Commands::Scheduler(_) | args::Commands::Executor(_))
    ) {
        cluster::stamp_node_lines();
    }
    init_logging(cli.verbose);

    match app::run(cli, l) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure, l);
            ExitCode::from(failure.exit_code())
        }
    }
}

fn report(failure: &Failure, l: &Localizer) {
    let (prefix, message) = match failure {
        Failure::User(message) => (l.text("error-prefix"), message),
        Failure::Internal(message) => (l.text("internal-error-prefix"), message),
        Failure::BrokenPipe => return,
        Failure::Interrupted(message) => {
            let _ = writeln!(std::io::stderr(), "{message}");
            return;
        }
    };
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{prefix}: {message}");
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::QuietCancelledJobs;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn cancelled_job_error_dropped() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish()
            .with(QuietCancelledJobs);
        tracing::subscriber::with_default(subscriber, || {
            let manager = "ballista_scheduler::state::task_manager";
            // Ballista logs through the `log` crate, whose records carry the target as a field.
            tracing::error!(
                target: "log",
                { log.target = manager },
                "Fail to find job 038J7Y5E30000 in the active cache and it may not be curated by this scheduler"
            );
            tracing::error!(
                target: "ballista_scheduler::state::task_manager",
                "Fail to find job 038J7Y5E9W000 in the active cache and it may not be curated by this scheduler"
            );
            tracing::error!(target: "log", { log.target = manager }, "Failed to delete job 7: gone");
            tracing::error!(target: "other", "Fail to find job 8 in the active cache");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert!(!text.contains("038J7Y5E30000"), "{text}");
        assert!(!text.contains("038J7Y5E9W000"), "{text}");
        assert!(text.contains("Failed to delete job 7"), "{text}");
        assert!(text.contains("Fail to find job 8"), "{text}");
    }
}
