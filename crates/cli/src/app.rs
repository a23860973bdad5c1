//! The commands: import, SQL from arguments, files or standard input, saved reports, the demo
//! export and the REPL.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use crmsql_engine::{Engine, OutputFormat, ReportLibrary};
use crmsql_i18n::{Arg, Lang, Localize, Localizer};
use crmsql_import::{
    ColumnMapping, ImportOptions, parse_delimiter, parse_encoding, parse_timezone,
};
use crmsql_schema::Warehouse;

use crate::args::{
    Cli, Commands, DemoArgs, FormatArg, ImportArgs, PagerArg, ReportsAction, RunAllArgs, RunArgs,
};
use crate::failure::{Failure, from_engine, from_import, from_io, from_sql, from_warehouse};
use crate::pager::PagerMode;
use crate::print::{View, import_summary, print_query_result, write_query_result};
use crate::table::TableStyle;

/// Validated settings shared by all commands.
#[derive(Debug, Clone)]
pub struct Settings {
    pub warehouse: PathBuf,
    /// Whether the warehouse is the default one, which is filled with the demo export when empty.
    pub default_warehouse: bool,
    pub format: OutputFormat,
    /// Whether `--format` was given, rather than the format being the default.
    pub format_given: bool,
    pub report_folders: Vec<PathBuf>,
    pub history_file: Option<PathBuf>,
    /// The shell's startup file given with `--init`; without it `~/.crmsqlrc`, when it exists.
    pub init: Option<PathBuf>,
    pub lang: Lang,
    /// Rows a table shows on screen at most; `None` shows them all.
    pub max_rows: Option<usize>,
    /// Characters a table cell shows on screen at most.
    pub max_cell_width: Option<usize>,
    pub pager: PagerMode,
    /// Bytes of memory a query may hold before it spills to disk (`--memory-limit`).
    pub memory_limit: Option<usize>,
    /// The Ballista cluster that runs queries (`--cluster`); `None` runs them here.
    pub cluster: Option<crmsql_cluster::ClusterUrl>,
    /// The hint line that names the variable or settings file `cluster` came from, if it was
    /// not typed.
    pub cluster_origin: Option<String>,
    /// The hint line that names the variable or settings file `warehouse` came from, if it was
    /// not typed.
    pub warehouse_origin: Option<String>,
    /// The folder that local queries spill to, which the program removes when it ends.
    pub spill_dir: Option<PathBuf>,
}

/// The start of the name of a crmsql process's spill folder, which ends with the process id.
const SPILL_PREFIX: &str = "crmsql-spill-";

/// A spill folder of this process's own in the system's temporary folder. It is removed when
/// the program ends, also with the files of a query that failed or was cancelled: their tasks
/// still hold them when the program stops its runtime without waiting.
struct SpillFolder(Option<PathBuf>);

impl SpillFolder {
    fn create() -> SpillFolder {
        let temp = std::env::temp_dir();
        // A run that Ctrl-C stopped in the middle of a query left its folder behind.
        crmsql_cluster::remove_orphan_folders(&temp, SPILL_PREFIX);
        let path = temp.join(format!("{SPILL_PREFIX}{}", std::process::id()));
        match std::fs::create_dir_all(&path) {
            Ok(()) => SpillFolder(Some(path)),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "failed to create the spill folder");
                SpillFolder(None)
            }
        }
    }
}

impl Drop for SpillFolder {
    fn drop(&mut self) {
        if let Some(path) = &self.0
            && let Err(error) = std::fs::remove_dir_all(path)
        {
            tracing::warn!(path = %path.display(), %error, "failed to remove the spill folder");
        }
    }
}

/// Rows a table shows on a terminal unless `--maxrows` gives another limit.
const SCREEN_ROWS: usize = 40;
/// Characters of a cell a table shows on a terminal.
const SCREEN_CELL_WIDTH: usize = 60;

impl Settings {
    /// Returns how results are shown on standard output.
    pub fn view(&self) -> View {
        View {
            format: self.format,
            table: TableStyle {
                lang: self.lang,
                max_rows: self.max_rows,
                max_cell_width: self.max_cell_width,
                expanded: false,
            },
            pager: self.pager,
            title: "crmsql".to_owned(),
            description: String::new(),
            chart: None,
        }
    }
}

/// Returns crmsql's folder in the user's data folder (`~/.local/share/crmsql` on Linux).
pub fn data_folder() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("crmsql")
}

fn settings(cli: &Cli, l: &Localizer) -> Settings {
    let (warehouse, default_warehouse) = match &cli.warehouse {
        Some(path) => (path.clone(), false),
        None => (data_folder().join("warehouse"), true),
    };
    let format = match cli.format {
        Some(FormatArg::Csv) => OutputFormat::Csv,
        Some(FormatArg::Json) => OutputFormat::Json,
        Some(FormatArg::Markdown) => OutputFormat::Markdown,
        Some(FormatArg::Parquet) => OutputFormat::Parquet,
        Some(FormatArg::Xlsx) => OutputFormat::Xlsx,
        Some(FormatArg::Html) => OutputFormat::Html,
        Some(FormatArg::Svg) => OutputFormat::Svg,
        Some(FormatArg::Table) | None => OutputFormat::Table,
    };
    let mut report_folders = Vec::new();
    if let Some(folder) = &cli.queries {
        report_folders.push(folder.clone());
    }
    report_folders.push(PathBuf::from("queries"));
    // Long results are cut only for a person at a terminal; pipes and files get every row.
    let terminal = std::io::stdout().is_terminal();
    Settings {
        warehouse,
        default_warehouse,
        format,
        format_given: cli.format.is_some(),
        report_folders,
        history_file: cli.history_file.clone(),
        init: cli.init.clone(),
        lang: l.lang(),
        max_rows: match cli.maxrows {
            Some(0) => None,
            Some(rows) => Some(rows),
            None => terminal.then_some(SCREEN_ROWS),
        },
        max_cell_width: terminal.then_some(SCREEN_CELL_WIDTH),
        memory_limit: cli.memory_limit.as_deref().and_then(memory_limit),
        // `main` has rejected an address that does not read.
        cluster: cli
            .cluster
            .as_deref()
            .and_then(|url| crmsql_cluster::ClusterUrl::parse(url).ok()),
        cluster_origin: cli.cluster_origin.clone(),
        warehouse_origin: cli.warehouse_origin.clone(),
        spill_dir: None,
        pager: match cli.pager {
            Some(PagerArg::On) => PagerMode::On,
            Some(PagerArg::Off) => PagerMode::Off,
            Some(PagerArg::Auto) | None => PagerMode::Auto,
        },
    }
}

/// Runs the command given on the command line.
/// Reads a size such as `512M`, `1G`, `1.5GiB` or a number of bytes.
pub fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim().replace(',', ".");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" | "к" | "кб" => 1024.0,
        "m" | "mb" | "mib" | "м" | "мб" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" | "г" | "гб" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let bytes = number * scale;
    (bytes.is_finite() && bytes >= 1.0).then_some(bytes as usize)
}

/// Smallest memory limit: below it the engine cannot hold one batch of a query.
const MIN_MEMORY_LIMIT: usize = 1 << 20;

/// Reads the value of `--memory-limit`, at least 1 MiB.
pub fn memory_limit(text: &str) -> Option<usize> {
    parse_size(text).filter(|bytes| *bytes >= MIN_MEMORY_LIMIT)
}

pub fn run(cli: Cli, l: &Localizer) -> Result<(), Failure> {
    // `main` has rejected an invalid --memory-limit, naming where it came from.
    let mut settings = settings(&cli, l);
    let nodes = matches!(
        cli.command,
        Some(Commands::Scheduler(_)) | Some(Commands::Executor(_))
    );
    let spill = (!nodes).then(SpillFolder::create);
    settings.spill_dir = spill.as_ref().and_then(|spill| spill.0.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Internal(error.to_string()))?;

    if cli.command.is_some() && (!cli.sql.is_empty() || cli.file.is_some()) {
        return Err(Failure::User(l.text("sql-with-command")));
    }
    let outcome = run_command_line(&cli, &settings, &runtime, l);
    // A query cancelled in the shell may still hold a worker until its operator returns; the
    // program ends without waiting for it.
    runtime.shutdown_background();
    outcome
}

fn run_command_line(
    cli: &Cli,
    settings: &Settings,
    runtime: &tokio::runtime::Runtime,
    l: &Localizer,
) -> Result<(), Failure> {
    let settings = settings.clone();
    match &cli.command {
        Some(Commands::Import(args)) => import(&settings, args, l),
        Some(Commands::Demo(_)) if settings.format_given => {
            Err(Failure::User(l.text("demo-format")))
        }
        Some(Commands::Demo(args)) => demo(args, l),
        Some(Commands::Scheduler(args)) => runtime.block_on(crate::cluster::scheduler(args, l)),
        Some(Commands::Executor(args)) => {
            runtime.block_on(crate::cluster::executor(&settings, args, l))
        }
        Some(Commands::Reports(args)) => match &args.action {
            None => list_reports(&settings, l),
            Some(ReportsAction::Show(show)) => show_report(&settings, &show.report, l),
        },
        Some(Commands::Run(args)) => {
            // A missing report or a bad period is named before the warehouse, and a cluster that
            // may be down, are opened.
            load_reports(&settings, l)?
                .resolve(&args.report)
                .map_err(|e| from_engine(&e, l))?;
            given_params(&args.period, &args.compare, &args.params, l)?;
            let engine = runtime.block_on(open_engine(&settings, l))?;
            interruptible(runtime, &engine, l, run_report(&engine, &settings, args, l))
        }
        Some(Commands::RunAll(args)) => {
            // A scheduled run is read from its log, so a run that could not start or was
            // stopped between reports writes the reason there too.
            let engine = runtime
                .block_on(open_engine(&settings, l))
                .inspect_err(|failure| {
                    let line = l.format(
                        "run-all-not-started",
                        &[("detail", Arg::from(failure.message()))],
                    );
                    log_run_all_line(args, &settings, &line);
                })?;
            let current = std::cell::RefCell::new(None);
            let work = run_all(&engine, &settings, args, &current, l);
            interruptible(runtime, &engine, l, work).inspect_err(|failure| {
                if matches!(failure, Failure::Interrupted(_)) {
                    let detail = Arg::from(failure.message());
                    let line = match current.borrow().as_ref() {
                        Some(report) => l.format(
                            "run-all-interrupted-at",
                            &[("report", Arg::from(report)), ("detail", detail)],
                        ),
                        None => l.format("run-all-interrupted", &[("detail", detail)]),
                    };
                    log_run_all_line(args, &settings, &line);
                }
            })
        }
        None => {
            let engine = runtime.block_on(open_engine(&settings, l))?;
            if let Some(path) = &cli.output {
                let sql = match (&cli.sql, &cli.file) {
                    (sql, _) if !sql.is_empty() => sql.join(";\n"),
                    (_, Some(file)) => read_sql_file(file, l)?,
                    _ => return Err(Failure::User(l.text("output-needs-sql"))),
                };
                // Shell commands print to the screen, so the file would miss what they show.
                if let Some((line, command)) = crate::repl::first_command(&sql) {
                    let source = match &cli.file {
                        Some(file) if cli.sql.is_empty() => file.display().to_string(),
                        _ => "-c".to_owned(),
                    };
                    return Err(Failure::User(l.format(
                        "output-shell-command",
                        &[
                            ("command", Arg::from(command)),
                            ("source", Arg::from(source)),
                            ("line", Arg::from(line)),
                        ],
                    )));
                }
                return interruptible(
                    runtime,
                    &engine,
                    l,
                    sql_to_file(&engine, &settings, &sql, path, l),
                );
            }
            if !cli.sql.is_empty() {
                let mut shell = crate::repl::Shell::new(&settings)?;
                for sql in &cli.sql {
                    // `crmsql -c '\d deals'` runs a shell command, as `psql -c` does.
                    if sql.trim_start().starts_with('\\') {
                        let flow = crate::repl::run_command(
                            runtime,
                            &engine,
                            &settings,
                            &mut shell,
                            sql.trim(),
                            l,
                        )?;
                        // `\q` ends the run, as it ends a file of `-f`.
                        if matches!(flow, crate::repl::Flow::Quit) {
                            break;
                        }
                    } else {
                        interruptible(
                            runtime,
                            &engine,
                            l,
                            run_sql_text(&engine, sql, &shell.view, l),
                        )?;
                    }
                }
                Ok(())
            } else if let Some(file) = &cli.file {
                let sql = read_sql_file(file, l)?;
                crate::repl::run_batch(runtime, &engine, &settings, file, &sql, l)
            } else if !std::io::stdin().is_terminal() {
                let mut sql = String::new();
                std::io::stdin()
                    .read_to_string(&mut sql)
                    .map_err(|error| from_io(error, "<stdin>", l))?;
                crate::repl::run_batch(runtime, &engine, &settings, Path::new("<stdin>"), &sql, l)
            } else {
                crate::repl::run(runtime, &engine, &settings, l)
            }
        }
    }
}

/// Runs queries to their end. On a cluster, Ctrl-C stops them and also cancels the running job
/// there, which the scheduler would otherwise keep after this program ended.
fn interruptible<T>(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    l: &Localizer,
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    if engine.cluster().is_none() {
        return runtime.block_on(work);
    }
    let outcome = runtime.block_on(async {
        tokio::pin!(work);
        let outcome = tokio::select! {
            result = &mut work => Some(result),
            () = stop_signal() => None,
        };
        if outcome.is_none() {
            crate::repl::until_job_named(engine, work).await;
        }
        outcome
    });
    match outcome {
        Some(result) => result,
        None => Err(Failure::Interrupted(crate::repl::cancelled(
            runtime, engine, l,
        ))),
    }
}

/// Waits for Ctrl-C, or for SIGTERM, which `systemctl stop` and `timeout` send to a scheduled
/// run.
async fn stop_signal() {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Opens the engine; an empty default warehouse is first filled from the demo export.
pub async fn open_engine(settings: &Settings, l: &Localizer) -> Result<Engine, Failure> {
    let warehouse = Warehouse::new(&settings.warehouse);
    let path = Arg::from(warehouse.root().display().to_string());
    if !settings.default_warehouse && !warehouse.root().is_dir() {
        let mut message = l.format("warehouse-not-found", &[("path", path)]);
        if let Some(origin) = &settings.warehouse_origin {
            message.push('\n');
            message.push_str(origin);
        }
        return Err(Failure::User(message));
    }
    let tables = warehouse.tables().map_err(|e| from_warehouse(&e, l))?;
    if tables.is_empty() {
        if settings.default_warehouse {
            build_demo_warehouse(&warehouse, l)?;
        } else {
            let warning = l.format("warehouse-empty", &[("path", path)]);
            let _ = writeln!(std::io::stderr(), "{}: {warning}", l.text("warning-prefix"));
        }
    }
    let options = crmsql_engine::EngineOptions {
        memory_limit: settings.memory_limit,
        cluster: settings.cluster.clone(),
        spill_dir: settings.spill_dir.clone(),
    };
    let engine = Engine::open_with(&warehouse, &options)
        .await
        .map_err(|error| {
            // An address that does not lead to a scheduler may be an old one in the settings.
            let wrong_address = matches!(
                &error,
                crmsql_engine::EngineError::Cluster {
                    problem: crmsql_engine::ClusterProblem::Unreachable
                        | crmsql_engine::ClusterProblem::NotScheduler(_),
                    ..
                }
            );
            match (from_engine(&error, l), &settings.cluster_origin) {
                (Failure::User(message), Some(origin)) if wrong_address => {
                    Failure::User(format!("{message}\n{origin}"))
                }
                (failure, _) => failure,
            }
        })?;
    engine.set_language(l.lang());
    if engine.is_demo() {
        engine.set_now(
            &crmsql_demo::demo_now()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
        );
    }
    for (table, error) in engine.broken_tables() {
        let warning = l.format(
            "table-unreadable",
            &[
                ("table", Arg::from(table)),
                ("detail", Arg::from(error.localize(l))),
            ],
        );
        let _ = writeln!(std::io::stderr(), "{}: {warning}", l.text("warning-prefix"));
    }
    Ok(engine)
}

fn build_demo_warehouse(warehouse: &Warehouse, l: &Localizer) -> Result<(), Failure> {
    let demo_dir = warehouse.root().join("_demo");
    let account = crmsql_demo::generate_account(&crmsql_demo::DemoConfig::default())
        .map_err(|e| from_io(e, &demo_dir.display().to_string(), l))?;
    let paths = write_account(&account, &demo_dir, l)?;

    let options = ImportOptions {
        demo: true,
        ..ImportOptions::default()
    };
    crmsql_import::import(warehouse, &paths, &options, l, &|| {})
        .map_err(|e| from_import(&e, l))?;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "{}\n{}",
        l.format(
            "demo-warehouse-created",
            &[
                ("path", Arg::from(warehouse.root().display().to_string())),
                ("rows", Arg::from(account.deals)),
                ("export", Arg::from(paths[0].display().to_string())),
                ("folder", Arg::from(demo_dir.display().to_string())),
            ],
        ),
        demo_now_note(l)
    );
    Ok(())
}

/// Says which day period presets count from on demo data.
pub fn demo_now_note(l: &Localizer) -> String {
    l.format(
        "demo-now",
        &[(
            "day",
            Arg::from(
                crmsql_demo::demo_now()
                    .format(match l.lang() {
                        Lang::Ru => "%d.%m.%Y",
                        Lang::En => "%Y-%m-%d",
                    })
                    .to_string(),
            ),
        )],
    )
}

/// Writes the files of a demo account into `folder` and returns their paths, the export first.
fn write_account(
    account: &crmsql_demo::DemoAccount,
    folder: &Path,
    l: &Localizer,
) -> Result<Vec<PathBuf>, Failure> {
    std::fs::create_dir_all(folder).map_err(|e| from_io(e, &folder.display().to_string(), l))?;
    let mut paths = Vec::with_capacity(account.files.len());
    for file in &account.files {
        let path = folder.join(&file.name);
        std::fs::write(&path, &file.bytes)
            .map_err(|e| from_io(e, &path.display().to_string(), l))?;
        paths.push(path);
    }
    Ok(paths)
}

fn import(settings: &Settings, args: &ImportArgs, l: &Localizer) -> Result<(), Failure> {
    let timezone = parse_timezone(
        args.timezone
            .as_deref()
            .unwrap_or(crmsql_import::DEFAULT_TIMEZONE),
    )
    .map_err(|e| from_import(&e, l))?;
    let encoding = args
        .encoding
        .as_deref()
        .map(parse_encoding)
        .transpose()
        .map_err(|e| from_import(&e, l))?;
    let delimiter = args
        .delimiter
        .as_deref()
        .map(parse_delimiter)
        .transpose()
        .map_err(|e| from_import(&e, l))?;
    let mut mappings = Vec::with_capacity(args.columns.len());
    for text in &args.columns {
        let mapping = ColumnMapping::parse(text).ok_or_else(|| {
            Failure::User(l.format("import-invalid-mapping", &[("value", Arg::from(text))]))
        })?;
        mappings.push(mapping);
    }
    let table = args.table.as_deref().map(crmsql_schema::naming::snake_case);
    if let Some(given) = args
        .table
        .as_ref()
        .filter(|t| !t.chars().any(char::is_alphanumeric))
    {
        return Err(Failure::User(
            l.format("import-invalid-table", &[("value", Arg::from(given))]),
        ));
    }
    let options = ImportOptions {
        timezone,
        timezone_given: args.timezone.is_some(),
        encoding,
        delimiter,
        won_stages: args.won_stages.clone(),
        lost_stages: args.lost_stages.clone(),
        demo: false,
        table,
        mappings,
        key: args.key.iter().map(|k| k.trim().to_owned()).collect(),
        dry_run: args.dry_run,
        strict: args.strict,
        replace: args.replace,
        sheet: args.sheet.clone(),
        progress: None,
    };
    let warehouse = Warehouse::new(&settings.warehouse);
    if warehouse.root().exists() && !warehouse.root().is_dir() {
        return Err(Failure::User(l.format(
            "warehouse-not-a-folder",
            &[("path", Arg::from(warehouse.root().display().to_string()))],
        )));
    }
    if !args.dry_run {
        std::fs::create_dir_all(warehouse.root())
            .map_err(|e| from_io(e, &warehouse.root().display().to_string(), l))?;
    }
    let waiting = l.format(
        "import-waiting",
        &[("path", Arg::from(warehouse.root().display().to_string()))],
    );
    let on_wait = || {
        let _ = writeln!(std::io::stderr(), "{waiting}");
    };
    let progress = std::sync::Arc::new(crmsql_import::Progress::default());
    let options = ImportOptions {
        progress: Some(progress.clone()),
        ..options
    };
    let display = crate::progress::ProgressDisplay::start(progress, l);
    let result = crmsql_import::import(&warehouse, &args.paths, &options, l, &on_wait);
    display.stop();
    let report = result.map_err(|e| from_import(&e, l))?;
    if args.dry_run {
        let mut stdout = crate::failure::Stdout;
        for line in crate::print::dry_run_summary(&report, l) {
            writeln!(stdout, "{line}").map_err(|e| from_io(e, "<stdout>", l))?;
        }
        return Ok(());
    }

    if !report.removed_demo.is_empty() {
        // The demo export is no longer part of the warehouse.
        let _ = std::fs::remove_dir_all(warehouse.root().join("_demo"));
    }
    let (lines, mut warnings) = import_summary(&report, l);
    // Options that no file of the import used are named, so that a typo is not taken for
    // a setting that worked.
    let sources = || report.tables.iter().flat_map(|table| &table.sources);
    if args.sheet.is_some() && !sources().any(|source| source.sheet.is_some()) {
        warnings.push(l.text("import-sheet-unused"));
    }
    if !args.key.is_empty() && report.tables.iter().any(|table| table.table == "deals") {
        warnings.push(l.text("import-key-deals"));
    }
    if !args.columns.is_empty()
        && report
            .tables
            .iter()
            .all(|table| crmsql_import::has_fixed_columns(&table.table))
    {
        warnings.push(l.text("import-column-unused"));
    }
    let mut stdout = crate::failure::Stdout;
    for line in lines {
        writeln!(stdout, "{line}").map_err(|e| from_io(e, "<stdout>", l))?;
    }
    let done = l.format(
        "import-done",
        &[("path", Arg::from(warehouse.root().display().to_string()))],
    );
    writeln!(stdout, "{done}").map_err(|e| from_io(e, "<stdout>", l))?;
    let mut stderr = std::io::stderr().lock();
    for warning in warnings {
        let _ = writeln!(stderr, "{}: {warning}", l.text("warning-prefix"));
    }
    Ok(())
}

fn demo(args: &DemoArgs, l: &Localizer) -> Result<(), Failure> {
    let delimiter = parse_delimiter(&args.delimiter).map_err(|e| from_import(&e, l))?;
    let config = crmsql_demo::DemoConfig {
        rows: args.rows,
        seed: args.seed,
        delimiter,
        kopecks: args.kopecks,
        ..Default::default()
    };
    if let Some(folder) = &args.output_dir {
        // The export is streamed to its file, so an account of any size fits in memory.
        std::fs::create_dir_all(folder)
            .map_err(|e| from_io(e, &folder.display().to_string(), l))?;
        let export = folder.join(crmsql_demo::export_file_name(&config));
        let tally = write_export_file(&config, &export, l)?;
        let account = crmsql_demo::DemoAccount {
            deals: tally.deals(),
            files: crmsql_demo::side_files(&config, &tally),
        };
        let paths = write_account(&account, folder, l)?;
        let mut stdout = crate::failure::Stdout;
        for path in std::iter::once(&export).chain(&paths) {
            writeln!(stdout, "{}", path.display()).map_err(|e| from_io(e, "<stdout>", l))?;
        }
        return Ok(());
    }
    match &args.output {
        Some(path) => write_export_file(&config, path, l).map(|_| ()),
        None => {
            let mut stdout = std::io::BufWriter::new(crate::failure::Stdout);
            crmsql_demo::generate(&config, &mut stdout).map_err(|e| from_io(e, "<stdout>", l))?;
            stdout.flush().map_err(|e| from_io(e, "<stdout>", l))
        }
    }
}

/// Writes a generated deals export to `path` and returns its tally.
fn write_export_file(
    config: &crmsql_demo::DemoConfig,
    path: &Path,
    l: &Localizer,
) -> Result<crmsql_demo::Tally, Failure> {
    let name = path.display().to_string();
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| from_io(e, &name, l))?);
    let tally = crmsql_demo::generate(config, &mut file).map_err(|e| from_io(e, &name, l))?;
    file.flush().map_err(|e| from_io(e, &name, l))?;
    Ok(tally)
}

/// Loads the report library and warns about each report file left out of it.
pub fn load_reports(settings: &Settings, l: &Localizer) -> Result<ReportLibrary, Failure> {
    let library = ReportLibrary::load(&settings.report_folders).map_err(|e| from_engine(&e, l))?;
    let mut stderr = std::io::stderr().lock();
    for error in library.broken() {
        let _ = writeln!(
            stderr,
            "{}: {}",
            l.text("warning-prefix"),
            l.format(
                "report-skipped",
                &[("detail", Arg::from(error.localize(l)))]
            )
        );
    }
    Ok(library)
}

/// Prints the saved reports with their descriptions.
pub fn list_reports(settings: &Settings, l: &Localizer) -> Result<(), Failure> {
    let library = load_reports(settings, l)?;
    let mut stdout = crate::failure::Stdout;
    // On a terminal, text wraps between words under its column; pipes get whole lines.
    let width = std::io::stdout()
        .is_terminal()
        .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .flatten();
    for report in library.reports() {
        let lines = wrap(report.description(settings.lang), width, 25);
        for (index, line) in lines.iter().enumerate() {
            let name = if index == 0 { report.name.as_str() } else { "" };
            writeln!(stdout, "{name:<24} {line}").map_err(|e| from_io(e, "<stdout>", l))?;
        }
        for param in param_lines(report, settings.lang, l) {
            for line in wrap(&param, width, 27) {
                writeln!(stdout, "{:<24} {line}", "").map_err(|e| from_io(e, "<stdout>", l))?;
            }
        }
    }
    Ok(())
}

/// Cuts text into lines that fit `width` columns after an indent of `indent`, between words; a
/// word longer than the room stays whole. Without a width the text stays one line.
fn wrap(text: &str, width: Option<usize>, indent: usize) -> Vec<String> {
    let Some(room) = width.map(|w| w.saturating_sub(indent).max(20)) else {
        return vec![text.to_owned()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Describes each parameter of a report on one line: how to give it, its type, its default and
/// what it means.
fn param_lines(report: &crmsql_engine::Report, lang: Lang, l: &Localizer) -> Vec<String> {
    report
        .params
        .iter()
        .map(|param| {
            let option = match param.name.as_str() {
                "period" => "--period".to_owned(),
                "compare" => "--compare".to_owned(),
                name => format!("--param {name}"),
            };
            let description = match (lang, &param.description_en) {
                (Lang::En, Some(english)) => english.clone(),
                _ => param.description_ru.clone(),
            };
            let state = match (&param.default, param.required) {
                (Some(default), _) => l.format("param-default", &[("value", Arg::from(default))]),
                (None, true) => l.text("param-required"),
                (None, false) => l.text("param-optional"),
            };
            format!(
                "{option} ({}, {state}){}",
                match param.range {
                    Some((low, high)) => format!("{} {low}..{high}", param.kind.name()),
                    None => param.kind.name().to_owned(),
                },
                if description.is_empty() {
                    String::new()
                } else {
                    format!(": {description}")
                }
            )
        })
        .collect()
}

/// Prints one report: its name, description, parameters, origin and SQL.
fn show_report(settings: &Settings, name: &str, l: &Localizer) -> Result<(), Failure> {
    let library = load_reports(settings, l)?;
    let report = library.resolve(name).map_err(|e| from_engine(&e, l))?;
    let mut text = format!("{}\n{}\n", report.name, report.description(settings.lang));
    let params = param_lines(&report, settings.lang, l);
    if !params.is_empty() {
        text.push_str(&format!("\n{}\n", l.text("report-params-heading")));
        for line in params {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text.push_str(&format!(
        "\n{}\n\n{}",
        match &report.origin {
            crmsql_engine::report::ReportOrigin::Builtin(file) => l.format(
                "report-origin-builtin",
                &[("file", Arg::from(format!("queries/{file}")))]
            ),
            crmsql_engine::report::ReportOrigin::File(_) => l.format(
                "report-origin",
                &[("path", Arg::from(report.origin_text()))]
            ),
        },
        report.sql.trim_end()
    ));
    let mut stdout = crate::failure::Stdout;
    writeln!(stdout, "{text}").map_err(|e| from_io(e, "<stdout>", l))
}

/// Reads a file of SQL statements, naming the file when it cannot be read.
pub fn read_sql_file(file: &Path, l: &Localizer) -> Result<String, Failure> {
    std::fs::read_to_string(file).map_err(|error| {
        Failure::User(l.format(
            "read-failed",
            &[
                ("path", Arg::from(file.display().to_string())),
                ("detail", Arg::from(crmsql_i18n::io_error_text(&error, l))),
            ],
        ))
    })
}

/// Runs the statements of `-c` or `-f` and writes their results to one file, whole, in the
/// format of `--format` or of the file name. Parquet and Excel files hold one result.
async fn sql_to_file(
    engine: &Engine,
    settings: &Settings,
    sql: &str,
    path: &Path,
    l: &Localizer,
) -> Result<(), Failure> {
    let format = if settings.format_given {
        settings.format
    } else {
        OutputFormat::from_file_name(path).unwrap_or(settings.format)
    };
    let statements = engine.parse(sql).map_err(|e| from_sql(&e, sql, l))?;
    let mut results = Vec::new();
    for statement in statements {
        let result = engine
            .execute(statement)
            .await
            .map_err(|e| from_sql(&e, sql, l))?;
        if !result.schema.fields().is_empty() {
            results.push(result);
        }
    }
    if (format.is_binary() || format == OutputFormat::Svg) && results.len() > 1 {
        return Err(Failure::User(l.format(
            "format-one-statement",
            &[
                ("count", Arg::from(results.len())),
                ("format", Arg::from(format.extension())),
            ],
        )));
    }
    let view = View::whole(format, settings.lang);
    write_atomically(path, l, |out| {
        for (index, result) in results.iter().enumerate() {
            if index > 0 && matches!(format, OutputFormat::Csv | OutputFormat::Markdown) {
                writeln!(out).map_err(|e| from_io(e, &path.display().to_string(), l))?;
            }
            write_query_result(out, result, &view, l).map_err(|e| from_engine(&e, l))?;
        }
        Ok(())
    })
}

/// Runs every statement of `sql`, printing each result to standard output.
pub async fn run_sql_text(
    engine: &Engine,
    sql: &str,
    view: &View,
    l: &Localizer,
) -> Result<(), Failure> {
    if view.format.is_binary() {
        return Err(Failure::User(l.format(
            "format-needs-file",
            &[("format", Arg::from(view.format.extension()))],
        )));
    }
    let statements = engine.parse(sql).map_err(|e| from_sql(&e, sql, l))?;
    let mut shown = false;
    for statement in statements {
        let result = tokio::select! {
            result = engine.execute(statement) => result,
            () = crate::progress::query_ticker(engine, l) => continue,
        }
        .map_err(|e| from_sql(&e, sql, l))?;
        if result.schema.fields().is_empty() {
            continue;
        }
        // A blank line keeps two CSV or Markdown tables apart.
        if shown && matches!(view.format, OutputFormat::Csv | OutputFormat::Markdown) {
            writeln!(crate::failure::Stdout).map_err(|e| from_io(e, "<stdout>", l))?;
        }
        shown = true;
        print_query_result(&result, view, l).map_err(|e| from_engine(&e, l))?;
    }
    Ok(())
}

/// Prints the plans with metrics that `EXPLAIN ANALYZE` returns, as the indented text they are.
fn print_plans(results: &[crmsql_engine::QueryResult], l: &Localizer) -> Result<(), Failure> {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let mut stdout = crate::failure::Stdout;
    let options = FormatOptions::default();
    for batch in results.iter().flat_map(|result| &result.batches) {
        let Some(plan) = batch.column_by_name("plan") else {
            continue;
        };
        let plan = ArrayFormatter::try_new(plan.as_ref(), &options)
            .map_err(|e| from_engine(&crmsql_engine::EngineError::Output { source: e }, l))?;
        for row in 0..batch.num_rows() {
            let text = plan.value(row).to_string();
            writeln!(stdout, "{text}").map_err(|e| from_io(e, "<stdout>", l))?;
            let scans = scan_summary(&text);
            if !scans.is_empty() {
                writeln!(stdout, "\n{}", l.text("explain-scans"))
                    .map_err(|e| from_io(e, "<stdout>", l))?;
            }
            for scan in scans {
                let mut args = vec![
                    ("table", Arg::from(scan.table)),
                    ("files", Arg::from(scan.files.0)),
                    ("files_total", Arg::from(scan.files.1)),
                    ("groups", Arg::from(scan.row_groups.0)),
                    ("groups_total", Arg::from(scan.row_groups.1)),
                    ("rows", Arg::from(scan.rows)),
                ];
                let line = match scan.pages {
                    Some((pages, total)) => {
                        args.extend([
                            ("pages", Arg::from(pages)),
                            ("pages_total", Arg::from(total)),
                        ]);
                        l.format("explain-scan", &args)
                    }
                    None => l.format("explain-scan-no-pages", &args),
                };
                writeln!(stdout, "  {line}").map_err(|e| from_io(e, "<stdout>", l))?;
            }
        }
    }
    Ok(())
}

/// Counts of one Parquet scan of an analysed plan: matched and total file ranges, row groups and
/// pages after pruning by statistics, and the rows it passed on. `pages` is `None` when the scan
/// checked no page index.
#[derive(Debug, PartialEq, Eq)]
struct ScanSummary {
    table: String,
    files: (String, String),
    row_groups: (String, String),
    pages: Option<(String, String)>,
    rows: String,
}

/// Reads the scans of an EXPLAIN ANALYZE plan, one per Parquet `DataSourceExec` line.
fn scan_summary(plan: &str) -> Vec<ScanSummary> {
    // A pruning metric reads `name=12 total → 3 matched`, a count `name=3.06 K`.
    fn metric<'a>(line: &'a str, name: &str) -> Option<&'a str> {
        let key = format!("{name}=");
        // The name starts the metrics list or follows a comma and a space.
        let (at, _) = line
            .match_indices(&key)
            .find(|(at, _)| line[..*at].ends_with(' ') || line[..*at].ends_with('['))?;
        let rest = &line[at + key.len()..];
        let end = rest.find([',', ']']).unwrap_or(rest.len());
        Some(rest[..end].trim())
    }
    fn pruned(line: &str, name: &str) -> Option<(String, String)> {
        let value = metric(line, name)?;
        let (total, matched) = value.split_once(" total → ")?;
        let matched = matched.strip_suffix(" matched")?;
        Some((matched.to_owned(), total.to_owned()))
    }
    plan.lines()
        .filter(|line| line.trim_start().starts_with("DataSourceExec:"))
        .filter_map(|line| {
            // A table's files sit in `data/TABLE/` of the warehouse, and the warehouse's own
            // path may hold another `data` folder.
            let path = &line[..line.find(".parquet")?];
            let folder = &path[..path.rfind('/')?];
            let table = folder[folder.rfind(['/', '[']).map_or(0, |at| at + 1)..].to_owned();
            Some(ScanSummary {
                table,
                files: pruned(line, "files_ranges_pruned_statistics")?,
                row_groups: pruned(line, "row_groups_pruned_statistics")?,
                // Executors of a cluster report a page count of 0 of 0 where they did not read
                // the page index.
                pages: pruned(line, "page_index_pages_pruned").filter(|(_, total)| total != "0"),
                rows: metric(line, "output_rows")?.to_owned(),
            })
        })
        .collect()
}

async fn run_report(
    engine: &Engine,
    settings: &Settings,
    args: &RunArgs,
    l: &Localizer,
) -> Result<(), Failure> {
    let library = load_reports(settings, l)?;
    let report = library
        .resolve(&args.report)
        .map_err(|e| from_engine(&e, l))?;
    let given = given_params(&args.period, &args.compare, &args.params, l)?;
    // Without --format, a file named `.xlsx`, `.csv`… gets that format.
    let format = match &args.output {
        Some(path) if !settings.format_given => {
            OutputFormat::from_file_name(path).unwrap_or(settings.format)
        }
        _ => settings.format,
    };
    let settings = &Settings {
        format,
        ..settings.clone()
    };
    if settings.format.is_binary() && args.output.is_none() {
        return Err(Failure::User(l.format(
            "format-needs-file",
            &[("format", Arg::from(settings.format.extension()))],
        )));
    }
    let results = if args.explain {
        engine.explain_report(&report, &given).await
    } else {
        engine.run_report(&report, &given).await
    }
    .map_err(|e| crate::failure::from_report(&e, &report, l))?;
    if args.explain {
        return print_plans(&results, l);
    }
    let results: Vec<_> = results
        .into_iter()
        .filter(|result| !result.schema.fields().is_empty())
        .collect();
    if (settings.format.is_binary() || settings.format == OutputFormat::Svg) && results.len() > 1 {
        return Err(Failure::User(l.format(
            "format-one-result",
            &[
                ("report", Arg::from(&report.name)),
                ("count", Arg::from(results.len())),
                ("format", Arg::from(settings.format.extension())),
            ],
        )));
    }

    // Pages and charts are headed with the report's name and description.
    let titled = |view: View| View {
        title: report_title(&report, settings.lang),
        description: report.description(settings.lang).to_owned(),
        chart: report.chart.clone(),
        ..view
    };
    match &args.output {
        None => {
            let view = titled(settings.view());
            for result in &results {
                print_query_result(result, &view, l).map_err(|e| from_engine(&e, l))?;
            }
            Ok(())
        }
        Some(path) => write_atomically(path, l, |out| {
            for result in &results {
                write_query_result(
                    out,
                    result,
                    &titled(View::whole(settings.format, settings.lang)),
                    l,
                )
                .map_err(|e| from_engine(&e, l))?;
            }
            Ok(())
        }),
    }
}

/// Returns a report's title for a page: its description up to the first colon or full stop.
fn report_title(report: &crmsql_engine::Report, lang: Lang) -> String {
    let description = report.description(lang);
    let end = description.find([':', '.']).unwrap_or(description.len());
    let title = description[..end].trim();
    if title.is_empty() {
        report.name.clone()
    } else {
        title.to_owned()
    }
}

/// Collects the parameter values of a run: `--period`, `--compare` and each `--param KEY=VALUE`.
/// A key given twice is an error, since one of the values would be dropped unseen.
pub fn given_params(
    period: &Option<String>,
    compare: &Option<String>,
    params: &[String],
    l: &Localizer,
) -> Result<Vec<(String, String)>, Failure> {
    let mut given: Vec<(String, String)> = Vec::new();
    if let Some(period) = period {
        given.push(("period".to_owned(), period.clone()));
    }
    if let Some(compare) = compare {
        given.push(("compare".to_owned(), compare.clone()));
    }
    for param in params {
        let Some((key, value)) = param.split_once('=') else {
            return Err(Failure::User(
                l.format("param-syntax", &[("value", Arg::from(param))]),
            ));
        };
        let key = key.trim().to_owned();
        if let Some((_, earlier)) = given.iter().find(|(k, _)| *k == key) {
            return Err(Failure::User(l.format(
                "param-twice",
                &[
                    ("name", Arg::from(&key)),
                    ("first", Arg::from(earlier)),
                    ("second", Arg::from(value)),
                ],
            )));
        }
        given.push((key, value.to_owned()));
    }
    Ok(given)
}

/// Appends `line` to `run-all.log`, with the time in the account's zone as on the run's other
/// lines. The line gives the reason a run ended before its reports did: the warehouse or the
/// cluster could not be opened, or a signal stopped it.
fn log_run_all_line(args: &RunAllArgs, settings: &Settings, line: &str) {
    let path = args.output_dir.join("run-all.log");
    let zone = Warehouse::new(&settings.warehouse)
        .snapshot()
        .ok()
        .and_then(|snapshot| {
            snapshot
                .tables
                .get("deals")
                .map(|deals| deals.timezone.clone())
        })
        .unwrap_or_else(|| crmsql_import::DEFAULT_TIMEZONE.to_owned());
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let stamp = chrono::Utc::now()
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S");
    let text = line.replace('\n', "; ");
    let written = std::fs::create_dir_all(&args.output_dir).and_then(|()| {
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        writeln!(log, "{stamp} {text}")
    });
    if let Err(error) = written {
        tracing::warn!(path = %path.display(), %error, "failed to log the end of run-all");
    }
}

/// Runs every report into dated files of `--output-dir`, for scheduled runs. A failing report is
/// logged and the others still run, and the exit status shows whether any failed. Each log line
/// goes to standard error and to `run-all.log` in the output folder.
async fn run_all(
    engine: &Engine,
    settings: &Settings,
    args: &RunAllArgs,
    current: &std::cell::RefCell<Option<String>>,
    l: &Localizer,
) -> Result<(), Failure> {
    let library = match &args.dir {
        Some(dir) => ReportLibrary::load_folder(dir),
        None => ReportLibrary::load(&settings.report_folders),
    }
    .map_err(|e| from_engine(&e, l))?;
    // Values are checked once, before any report runs: a wrong period would fail them all.
    let all_given = given_params(&args.period, &args.compare, &args.params, l)?;
    for (name, value) in &all_given {
        let takers: Vec<(&crmsql_engine::Report, &crmsql_engine::ParamSpec)> = library
            .reports()
            .iter()
            .filter_map(|report| {
                report
                    .params
                    .iter()
                    .find(|param| &param.name == name)
                    .map(|param| (report, param))
            })
            .collect();
        if takers.is_empty() {
            return Err(Failure::User(
                l.format("run-all-param-unused", &[("name", Arg::from(name))]),
            ));
        }
        // Every report that takes the value must accept it, range included.
        for (report, param) in takers {
            if let Err(problem) = param.check(value) {
                let error = crmsql_engine::EngineError::Param {
                    report: report.name.clone(),
                    problem,
                };
                return Err(from_engine(&error, l));
            }
        }
    }
    let output_dir = args.output_dir.display().to_string();
    std::fs::create_dir_all(&args.output_dir).map_err(|e| from_io(e, &output_dir, l))?;
    // A batch run writes files for programs, so the table format becomes CSV.
    let format = match settings.format {
        OutputFormat::Table => OutputFormat::Csv,
        other => other,
    };
    let zone: chrono_tz::Tz = engine.timezone().parse().unwrap_or(chrono_tz::Tz::UTC);
    let stamp = || {
        chrono::Utc::now()
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let date = chrono::Utc::now()
        .with_timezone(&zone)
        .format("%Y-%m-%d")
        .to_string();
    let log_path = args.output_dir.join("run-all.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| from_io(e, &log_path.display().to_string(), l))?;

    let reports = library.reports();
    let mut failed = Vec::new();
    let mut skipped = Vec::new();
    let log = std::cell::RefCell::new(log);
    let log_line = |line: String| {
        let _ = writeln!(std::io::stderr(), "{line}");
        let _ = writeln!(log.borrow_mut(), "{} {line}", stamp());
    };
    let log_summary = |summary: &str| {
        let _ = writeln!(log.borrow_mut(), "{} {summary}", stamp());
    };
    // A report file that cannot be read is a failure of the run, named by its file.
    for error in library.broken() {
        failed.push(match error {
            crmsql_engine::EngineError::ReportHeader { path, .. }
            | crmsql_engine::EngineError::ReportRead { path, .. } => path.display().to_string(),
            crmsql_engine::EngineError::DuplicateReport { second, .. } => {
                second.display().to_string()
            }
            _ => String::new(),
        });
        log_line(l.format(
            "run-all-broken",
            &[("detail", Arg::from(error.localize(l)))],
        ));
    }
    for report in reports {
        // Each value goes to the reports that take it.
        let given: Vec<(String, String)> = all_given
            .iter()
            .filter(|(name, _)| report.params.iter().any(|p| &p.name == name))
            .cloned()
            .collect();
        // A report that needs a value the run does not give is left for runs that give it.
        if let Some(param) = report.params.iter().find(|p| {
            p.required && p.default.is_none() && !given.iter().any(|(name, _)| name == &p.name)
        }) {
            skipped.push(report.name.clone());
            log_line(l.format(
                "run-all-skipped-param",
                &[
                    ("report", Arg::from(&report.name)),
                    ("param", Arg::from(&param.name)),
                ],
            ));
            continue;
        }
        let path = args
            .output_dir
            .join(format!("{}_{date}.{}", report.name, format.extension()));
        *current.borrow_mut() = Some(report.name.clone());
        let outcome = match engine.run_report(report, &given).await {
            Ok(results) => {
                let results: Vec<_> = results
                    .into_iter()
                    .filter(|result| !result.schema.fields().is_empty())
                    .collect();
                // A Parquet file contains one result: the last, from the report's final SELECT.
                let keep = if format.is_binary() { 1 } else { results.len() };
                let results = &results[results.len() - keep.min(results.len())..];
                let rows: usize = results.iter().map(|r| r.row_count()).sum();
                write_atomically(&path, l, |out| {
                    for result in results {
                        let view = View {
                            title: report_title(report, settings.lang),
                            description: report.description(settings.lang).to_owned(),
                            chart: report.chart.clone(),
                            ..View::whole(format, settings.lang)
                        };
                        write_query_result(out, result, &view, l)
                            .map_err(|e| from_engine(&e, l))?;
                    }
                    Ok(())
                })
                .map(|()| rows)
            }
            // A report over a table this warehouse does not have is left out, not failed.
            Err(crmsql_engine::EngineError::TableNotFound { name, .. }) => {
                skipped.push(report.name.clone());
                log_line(l.format(
                    "run-all-skipped-table",
                    &[
                        ("report", Arg::from(&report.name)),
                        ("table", Arg::from(&name)),
                    ],
                ));
                continue;
            }
            // The log line names the report; the error shows its line in the report.
            Err(error) => Err(from_sql(&error, &report.sql, l)),
        };
        let line = match &outcome {
            Ok(rows) => l.format(
                "run-all-done",
                &[
                    ("report", Arg::from(&report.name)),
                    ("path", Arg::from(path.display().to_string())),
                    ("rows", Arg::from(*rows)),
                ],
            ),
            Err(failure) => {
                failed.push(report.name.clone());
                l.format(
                    "run-all-failed",
                    &[
                        ("report", Arg::from(&report.name)),
                        ("detail", Arg::from(failure.message())),
                    ],
                )
            }
        };
        log_line(line);
    }

    let total = reports.len() + library.broken().len();
    let mut summary = l.format(
        "run-all-summary",
        &[
            ("done", Arg::from(total - failed.len() - skipped.len())),
            ("total", Arg::from(total)),
        ],
    );
    if !skipped.is_empty() {
        summary = l.format(
            "run-all-summary-skipped",
            &[
                ("summary", Arg::from(summary)),
                ("count", Arg::from(skipped.len())),
                ("skipped", Arg::from(skipped.join(", "))),
            ],
        );
    }
    log_summary(&summary);
    if failed.is_empty() {
        let _ = writeln!(std::io::stderr(), "{summary}");
        return Ok(());
    }
    Err(Failure::User(l.format(
        "run-all-some-failed",
        &[
            ("summary", Arg::from(summary)),
            ("failed", Arg::from(failed.join(", "))),
        ],
    )))
}

/// Writes a file through a temporary file in the same folder, so a reader never sees it half
/// written, even when a scheduled run is interrupted.
fn write_atomically(
    path: &Path,
    l: &Localizer,
    write: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let name = path.display().to_string();
    // A link is written through: the file it points to gets the result, and the link stays.
    let target = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => match std::fs::read_link(path) {
            Ok(link) => path
                .parent()
                .map_or(link.clone(), |parent| parent.join(link)),
            Err(error) => return Err(from_io(error, &name, l)),
        },
        _ => path.to_owned(),
    };
    // A device, a pipe or a socket takes the result as it is written: it cannot be replaced.
    if let Ok(meta) = std::fs::metadata(&target)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .map_err(|e| from_io(e, &name, l))?;
        let mut buffered = std::io::BufWriter::new(file);
        write(&mut buffered)?;
        return buffered.flush().map_err(|e| from_io(e, &name, l));
    }
    let path = target.as_path();
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(&folder).map_err(|e| from_io(e, &name, l))?;
    {
        let mut buffered = std::io::BufWriter::new(temp.as_file_mut());
        write(&mut buffered)?;
        buffered.flush().map_err(|e| from_io(e, &name, l))?;
    }
    // Temporary files are private (0600); a report file gets the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = temp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    temp.persist(path).map_err(|e| from_io(e.error, &name, l))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_between_words() {
        assert_eq!(
            wrap("раз два три четыре", Some(36), 25),
            ["раз два три четыре"]
        );
        let text = "раз два три четыре пять шесть семь восемь девять десять";
        assert_eq!(
            wrap(text, Some(45), 25),
            [
                "раз два три четыре",
                "пять шесть семь",
                "восемь девять десять"
            ]
        );
        assert_eq!(wrap("a b", None, 25), ["a b"]);
    }

    #[test]
    fn explain_summary_reads_the_scans() {
        let plan = "ProjectionExec: expr=[a], metrics=[output_rows=3]\n  DataSourceExec: \
            file_groups={1 group: [[home/data/crmsql/warehouse/data/deals/x.parquet:0..10]]}, projection=[a], \
            metrics=[output_rows=3.06 K, files_ranges_pruned_statistics=4 total → 1 matched, \
            row_groups_pruned_statistics=1 total → 1 matched, page_index_pages_pruned=8 total → 2 matched]\n  \
            DataSourceExec: partitions=1, partition_sizes=[1], metrics=[]";
        assert_eq!(
            scan_summary(plan),
            vec![ScanSummary {
                table: "deals".to_owned(),
                files: ("1".to_owned(), "4".to_owned()),
                row_groups: ("1".to_owned(), "1".to_owned()),
                pages: Some(("2".to_owned(), "8".to_owned())),
                rows: "3.06 K".to_owned(),
            }]
        );
        let unchecked = plan.replace(
            "page_index_pages_pruned=8 total → 2 matched",
            "page_index_pages_pruned=0 total → 0 matched",
        );
        assert_eq!(scan_summary(&unchecked)[0].pages, None);
    }

    #[test]
    fn sizes_read_with_units() {
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("1,5GiB"), Some(3 << 29));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("64 мб"), Some(64 << 20));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("много"), None);
        assert_eq!(parse_size("5T"), None);
    }
}
