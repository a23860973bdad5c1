//! Errors of a crmsql run, already in the user's language, with the exit code each one gets.

use std::error::Error as StdError;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crmsql_engine::EngineError;
use crmsql_i18n::{Localize, Localizer};
use crmsql_import::ImportError;
use crmsql_schema::WarehouseError;

/// Failure of a command. Exit code 1 is a problem with the user's input or files, 2 a defect or
/// an environment failure in crmsql itself.
#[derive(Debug)]
pub enum Failure {
    /// Bad SQL, a missing file, an invalid option value: exit code 1.
    User(String),
    /// Internal error: exit code 2.
    Internal(String),
    /// Standard output was closed by the reader (`crmsql ... | head`): end quietly.
    BrokenPipe,
    /// A query on a cluster stopped by Ctrl-C, with a message on what became of its job. Exit
    /// code 130, as a shell gives a program that SIGINT ended.
    Interrupted(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::User(_) => 1,
            Failure::Internal(_) => 2,
            Failure::BrokenPipe => 0,
            Failure::Interrupted(_) => 130,
        }
    }

    /// Returns the message for the user; a closed pipe has none.
    pub fn message(&self) -> &str {
        match self {
            Failure::User(message) | Failure::Internal(message) | Failure::Interrupted(message) => {
                message
            }
            Failure::BrokenPipe => "",
        }
    }
}

/// Set once a write to standard output failed because the reader closed the pipe. Some writers
/// (arrow's CSV writer) turn the I/O error into text, so the error chain alone cannot tell.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Standard output that remembers a closed pipe.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = std::io::stdout().lock().write(buf);
        note_closed(&result);
        result
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = std::io::stdout().lock().flush();
        note_closed(&result);
        result
    }
}

fn note_closed<T>(result: &std::io::Result<T>) {
    if let Err(error) = result
        && error.kind() == std::io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Reports whether an error chain contains a closed-pipe I/O error.
pub fn is_broken_pipe(error: &(dyn StdError + 'static)) -> bool {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        if let Some(datafusion::arrow::error::ArrowError::IoError(_, io)) =
            error.downcast_ref::<datafusion::arrow::error::ArrowError>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return true;
        }
        current = error.source();
    }
    false
}

pub fn from_engine(error: &EngineError, l: &Localizer) -> Failure {
    if is_broken_pipe(error) || STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Failure::BrokenPipe;
    }
    let message = error.localize(l);
    match error {
        EngineError::Sql {
            source: datafusion::error::DataFusionError::Internal(_),
        } => Failure::Internal(message),
        EngineError::Output { .. } => Failure::Internal(message),
        _ => Failure::User(message),
    }
}

/// Describes an error of the statements in `sql` with the line at fault, a caret under it and
/// a hint, for SQL the user typed.
pub fn from_sql(error: &EngineError, sql: &str, l: &Localizer) -> Failure {
    match from_engine(error, l) {
        Failure::User(_) => Failure::User(crate::sql_error::explain(error, sql, l)),
        other => other,
    }
}

/// Describes an error of a saved report, with the report's file, the line at fault and a caret
/// under it: the prepared SQL keeps the lines and columns of the report's text.
pub fn from_report(error: &EngineError, report: &crmsql_engine::Report, l: &Localizer) -> Failure {
    match from_sql(error, &report.sql, l) {
        Failure::User(message)
            if matches!(
                error,
                EngineError::Sql { .. }
                    | EngineError::TableNotFound { .. }
                    | EngineError::Cluster { .. }
            ) =>
        {
            Failure::User(l.format(
                "report-failed",
                &[
                    ("report", crmsql_i18n::Arg::from(&report.name)),
                    ("path", crmsql_i18n::Arg::from(report.origin_text())),
                    ("detail", crmsql_i18n::Arg::from(message)),
                ],
            ))
        }
        other => other,
    }
}

pub fn from_import(error: &ImportError, l: &Localizer) -> Failure {
    let message = error.localize(l);
    match error {
        ImportError::Arrow { .. } => Failure::Internal(message),
        _ => Failure::User(message),
    }
}

pub fn from_warehouse(error: &WarehouseError, l: &Localizer) -> Failure {
    Failure::User(error.localize(l))
}

/// Turns an error writing to standard output or a file into a failure.
pub fn from_io(error: std::io::Error, path: &str, l: &Localizer) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe || STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Failure::BrokenPipe;
    }
    // Creating a file in a folder that does not exist fails as "not found": name the folder.
    let folder = std::path::Path::new(path)
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty() && !parent.exists());
    if let (std::io::ErrorKind::NotFound, Some(folder)) = (error.kind(), folder) {
        return Failure::User(l.format(
            "write-no-folder",
            &[
                ("path", path.into()),
                ("folder", folder.display().to_string().into()),
            ],
        ));
    }
    Failure::User(l.format(
        "write-failed",
        &[
            ("path", path.into()),
            ("detail", crmsql_i18n::io_error_text(&error, l).into()),
        ],
    ))
}
