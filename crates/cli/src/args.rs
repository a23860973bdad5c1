//! Command-line arguments. Help texts come from the message catalogs, so `--help` follows
//! `--lang` and the locale; the clap types carry no text of their own.

use std::path::PathBuf;

use clap::{ArgAction, Args, Command, CommandFactory, Parser, Subcommand, ValueEnum};
use crmsql_i18n::{Arg, Localizer};

#[derive(Debug, Parser)]
#[command(
    name = "crmsql",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[arg(long, global = true, env = "CRMSQL_WAREHOUSE", value_name = "DIR")]
    pub warehouse: Option<PathBuf>,

    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        conflicts_with = "file",
        allow_hyphen_values = true
    )]
    pub sql: Vec<String>,

    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,

    #[arg(long, global = true, value_name = "ru|en")]
    pub lang: Option<String>,

    #[arg(long, global = true, value_name = "N", allow_negative_numbers = true)]
    pub maxrows: Option<usize>,

    #[arg(long, global = true, value_enum, value_name = "auto|on|off")]
    pub pager: Option<PagerArg>,

    #[arg(
        long = "memory-limit",
        global = true,
        // A negative size such as `-1G` then reaches the size check, which explains the mistake.
        allow_hyphen_values = true,
        env = "CRMSQL_MEMORY_LIMIT",
        value_name = "SIZE"
    )]
    pub memory_limit: Option<String>,

    /// The hint line, in the user's language, that names the variable or settings file line
    /// `warehouse` came from when it was not typed.
    #[arg(skip)]
    pub warehouse_origin: Option<String>,

    #[arg(long, global = true, env = "CRMSQL_CLUSTER", value_name = "URL")]
    pub cluster: Option<String>,

    /// The hint line, in the user's language, that names the variable or settings file
    /// `cluster` came from when it was not typed.
    #[arg(skip)]
    pub cluster_origin: Option<String>,

    #[arg(long, global = true, env = "CRMSQL_QUERIES", value_name = "DIR")]
    pub queries: Option<PathBuf>,

    #[arg(long = "history-file", value_name = "FILE")]
    pub history_file: Option<PathBuf>,

    #[arg(long = "init", value_name = "FILE")]
    pub init: Option<PathBuf>,

    #[arg(short = 'v', long = "verbose", action = ArgAction::Count, global = true)]
    pub verbose: u8,

    #[arg(short = 'h', long = "help", action = ArgAction::Help, global = true)]
    pub help: Option<bool>,

    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Csv,
    Json,
    Markdown,
    Parquet,
    Xlsx,
    Html,
    Svg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PagerArg {
    Auto,
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    Import(ImportArgs),
    Run(RunArgs),
    #[command(name = "run-all")]
    RunAll(RunAllArgs),
    Reports(ReportsArgs),
    Demo(DemoArgs),
    Scheduler(SchedulerArgs),
    Executor(ExecutorArgs),
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    #[arg(long, default_value = crmsql_cluster::DEFAULT_HOST, value_name = "HOST")]
    pub bind: String,

    #[arg(long, default_value_t = crmsql_cluster::DEFAULT_SCHEDULER_PORT, value_name = "PORT", allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    #[arg(long = "external-host", value_name = "HOST")]
    pub external_host: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExecutorArgs {
    #[arg(long, default_value = "df://127.0.0.1:50050", value_name = "URL")]
    pub scheduler: String,

    #[arg(long, default_value = crmsql_cluster::DEFAULT_HOST, value_name = "HOST")]
    pub bind: String,

    #[arg(long, default_value_t = crmsql_cluster::DEFAULT_FLIGHT_PORT, value_name = "PORT", allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    #[arg(long = "grpc-port", default_value_t = crmsql_cluster::DEFAULT_GRPC_PORT, value_name = "PORT", allow_negative_numbers = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub grpc_port: u16,

    #[arg(long = "external-host", value_name = "HOST")]
    pub external_host: Option<String>,

    #[arg(
        long,
        default_value_t = 0,
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub concurrency: usize,

    #[arg(long = "work-dir", value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunAllArgs {
    #[arg(value_name = "REPORT_DIR")]
    pub dir: Option<PathBuf>,

    #[arg(long = "output-dir", value_name = "DIR", required = true)]
    pub output_dir: PathBuf,

    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,

    #[arg(long, value_name = "previous|year")]
    pub compare: Option<String>,

    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReportsArgs {
    #[command(subcommand)]
    pub action: Option<ReportsAction>,
}

#[derive(Debug, Subcommand)]
pub enum ReportsAction {
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(value_name = "REPORT")]
    pub report: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[arg(long, env = "CRMSQL_TIMEZONE", value_name = "ZONE")]
    pub timezone: Option<String>,

    #[arg(long, value_name = "ENCODING")]
    pub encoding: Option<String>,

    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    #[arg(long = "won-stage", value_name = "STAGE")]
    pub won_stages: Vec<String>,

    #[arg(long = "lost-stage", value_name = "STAGE")]
    pub lost_stages: Vec<String>,

    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,

    #[arg(long = "column", value_name = "LABEL=NAME:TYPE")]
    pub columns: Vec<String>,

    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub key: Vec<String>,

    #[arg(long)]
    pub dry_run: bool,

    #[arg(long)]
    pub strict: bool,

    #[arg(long)]
    pub replace: bool,

    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[arg(value_name = "REPORT")]
    pub report: String,

    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,

    #[arg(long, value_name = "previous|year")]
    pub compare: Option<String>,

    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = crmsql_demo::DEFAULT_ROWS, value_name = "N")]
    pub rows: u64,

    #[arg(long, default_value_t = crmsql_demo::DEFAULT_SEED, value_name = "N")]
    pub seed: u64,

    #[arg(long, default_value = ",", value_name = "CHAR")]
    pub delimiter: String,

    #[arg(long)]
    pub kopecks: bool,

    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub output_dir: Option<PathBuf>,
}

/// Builds the clap command with help texts, headings and usage from the catalog `l`.
pub fn localized_command(l: &Localizer) -> Command {
    let command = Cli::command();
    localize(command, "", l)
}

/// Returns a placeholder in the user's language: `FILE` is `ФАЙЛ` in Russian.
fn value_name(name: &str, l: &Localizer) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let id = format!("value-{id}");
    if l.has(&id) {
        l.text(&id)
    } else {
        name.to_owned()
    }
}

fn localize(mut command: Command, prefix: &str, l: &Localizer) -> Command {
    let key = if prefix.is_empty() {
        "crmsql".to_owned()
    } else {
        prefix.to_owned()
    };
    command = command
        .about(l.text(&format!("help-{key}")))
        .help_template(format!(
            "{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
            l.text("help-usage-heading")
        ))
        // An option typed on the command line replaces the same option from the settings file.
        .args_override_self(true)
        .subcommand_help_heading(l.text("help-commands-heading"))
        .subcommand_value_name(l.text("help-command-value"));
    let usage = format!("help-usage-{key}");
    if l.has(&usage) {
        command = command.override_usage(l.text(&usage));
    }
    if prefix.is_empty() {
        command = command.after_help(l.text("help-crmsql-after"));
    }

    let ids: Vec<String> = command
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect();
    for id in ids {
        let help_id = match id.as_str() {
            "help" | "version" | "warehouse" | "format" | "lang" | "maxrows" | "pager"
            | "memory_limit" | "queries" | "verbose" | "cluster" => {
                format!("help-arg-{id}")
            }
            _ => format!("help-{key}-{id}"),
        };
        let text = l.text(&help_id);
        let positional_heading = l.text("help-arguments-heading");
        let options_heading = l.text("help-options-heading");
        command = command.mut_arg(id.as_str(), |arg| {
            let heading = if arg.is_positional() {
                positional_heading
            } else {
                options_heading
            };
            let arg = arg.help(text).help_heading(heading);
            if !arg.get_action().takes_values() {
                return arg;
            }
            // Placeholders such as FILE and DIR read in the user's language.
            let names: Vec<String> = arg
                .get_value_names()
                .map(|names| names.iter().map(|name| value_name(name, l)).collect())
                .unwrap_or_default();
            let arg = if names.is_empty() {
                arg
            } else {
                arg.value_names(names)
            };
            // The help texts name variables, values and defaults in the user's language.
            arg.hide_env(true)
                .hide_possible_values(true)
                .hide_default_value(true)
        });
    }

    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        command = command.mut_subcommand(name.as_str(), |mut sub| {
            // A subcommand that has an option of the same name keeps its own, so the hidden
            // copies keep the client's options out of the nodes' help.
            for arg in &globals {
                if !node_option(&name, arg.get_id().as_str()) {
                    sub = sub.arg(arg.clone().global(false).hide(true));
                }
            }
            localize(sub, &name, l)
        });
    }
    command
}

/// Returns whether the global option `id` applies to the subcommand `name`. The cluster's nodes
/// run no query of their own, so only the language, the log level and an executor's memory
/// limit apply to them.
pub fn node_option(name: &str, id: &str) -> bool {
    match name {
        "scheduler" => matches!(id, "help" | "lang" | "verbose"),
        "executor" => matches!(id, "help" | "lang" | "verbose" | "memory_limit"),
        _ => true,
    }
}

/// Describes a command-line mistake in the user's language, with the nearest right option where
/// clap has one and the help command to read.
pub fn argument_error(error: &clap::Error, l: &Localizer) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind: ContextKind| -> String {
        match error.get(kind) {
            Some(ContextValue::String(text)) => text.clone(),
            Some(ContextValue::Strings(texts)) => texts.join(", "),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    };
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    let message = match error.kind() {
        ErrorKind::InvalidValue if !context(ContextKind::ValidValue).is_empty() => l.format(
            "arg-invalid-choice",
            &[
                ("arg", Arg::from(&arg)),
                ("value", Arg::from(&value)),
                ("valid", Arg::from(context(ContextKind::ValidValue))),
            ],
        ),
        ErrorKind::InvalidValue if value.is_empty() => {
            l.format("arg-missing-value", &[("arg", Arg::from(&arg))])
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => l.format(
            "arg-invalid-value",
            &[("arg", Arg::from(&arg)), ("value", Arg::from(&value))],
        ),
        ErrorKind::UnknownArgument => l.format("arg-unknown", &[("arg", Arg::from(&arg))]),
        ErrorKind::InvalidSubcommand => l.format(
            "arg-unknown-command",
            &[(
                "command",
                Arg::from(context(ContextKind::InvalidSubcommand)),
            )],
        ),
        ErrorKind::MissingRequiredArgument => l.format("arg-missing", &[("arg", Arg::from(&arg))]),
        ErrorKind::ArgumentConflict => {
            let prior = context(ContextKind::PriorArg);
            if prior.is_empty() || prior == arg {
                l.format("arg-twice", &[("arg", Arg::from(&arg))])
            } else {
                l.format(
                    "arg-conflict",
                    &[("arg", Arg::from(&arg)), ("prior", Arg::from(prior))],
                )
            }
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues => {
            l.format("arg-too-many", &[("arg", Arg::from(&arg))])
        }
        _ => error.kind().to_string(),
    };
    let mut text = message;
    let suggested = context(ContextKind::SuggestedArg);
    let suggested = if suggested.is_empty() {
        context(ContextKind::SuggestedSubcommand)
    } else {
        suggested
    };
    if !suggested.is_empty() {
        text.push('\n');
        text.push_str(&l.format("arg-did-you-mean", &[("suggested", Arg::from(suggested))]));
    }
    text.push('\n');
    text.push_str(&l.text("arg-see-help"));
    text
}
