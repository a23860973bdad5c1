//! The `crmsql` binary: argument parsing, the choice of language and exit codes. The work is
//! done by the library crates; this crate only wires them to the terminal.

mod app;
mod args;
mod chart;
mod complete;
mod failure;
mod functions;
mod pager;
mod print;
mod progress;
mod repl;
mod sql_error;
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;
use crmsql_i18n::{Lang, Localizer};

use crate::failure::Failure;

/// Finds `--lang X` or `--lang=X` anywhere in the arguments, before clap runs, so that help and
/// argument errors are already in that language.
fn language_from_args() -> Option<Lang> {
    let args: Vec<String> = std::env::args().collect();
    for (index, arg) in args.iter().enumerate() {
        if let Some(value) = arg.strip_prefix("--lang=") {
            return Lang::parse(value);
        }
        if arg == "--lang" {
            return args.get(index + 1).and_then(|value| Lang::parse(value));
        }
    }
    None
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CRMSQL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .without_time()
        .try_init();
}

fn main() -> ExitCode {
    let lang = language_from_args().unwrap_or_else(Lang::from_env);
    let l = Localizer::get(lang);

    let matches = match args::localized_command(l).try_get_matches() {
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
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(1);
        }
    };
    if let Some(value) = &cli.lang
        && Lang::parse(value).is_none()
    {
        let message = l.format("unknown-lang", &[("value", value.into())]);
        report(&Failure::User(message), l);
        return ExitCode::from(1);
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
    };
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{prefix}: {message}");
}
