//! Errors of the query engine.

use std::path::PathBuf;

use crmsql_i18n::{Arg, Localize, Localizer, io_error_text};
use crmsql_schema::WarehouseError;
use datafusion::error::DataFusionError;

/// Error while planning or running a query, or loading a report.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{}", self.localize(Localizer::english()))]
    Sql {
        #[source]
        source: DataFusionError,
    },
    #[error("{}", self.localize(Localizer::english()))]
    TableNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error("{}", self.localize(Localizer::english()))]
    ReportNotFound {
        name: String,
        available: Vec<String>,
    },
    #[error("{}", self.localize(Localizer::english()))]
    ReportRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", self.localize(Localizer::english()))]
    ReportHeader {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("{}", self.localize(Localizer::english()))]
    DuplicateReport {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}", self.localize(Localizer::english()))]
    Output {
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    /// A run gave a report parameters it cannot take; found before any query runs.
    #[error("{}", self.localize(Localizer::english()))]
    Param {
        report: String,
        problem: crate::params::ParamProblem,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

impl From<DataFusionError> for EngineError {
    fn from(source: DataFusionError) -> Self {
        EngineError::Sql { source }
    }
}

fn path_arg(path: &std::path::Path) -> Arg {
    Arg::from(path.display().to_string())
}

impl Localize for EngineError {
    fn localize(&self, l: &Localizer) -> String {
        match self {
            EngineError::Sql { source } => {
                // DataFusion's own text is kept as the detail; only the frame is translated.
                let detail = source.to_string();
                l.format("sql-error", &[("detail", Arg::from(detail))])
            }
            EngineError::TableNotFound { name, available } => l.format(
                "table-not-found",
                &[
                    ("name", Arg::from(name)),
                    ("available", Arg::from(available.join(", "))),
                ],
            ),
            EngineError::ReportNotFound { name, available } => l.format(
                "report-not-found",
                &[
                    ("name", Arg::from(name)),
                    ("available", Arg::from(available.join(", "))),
                ],
            ),
            EngineError::ReportRead { path, source } => l.format(
                "report-read",
                &[
                    ("path", path_arg(path)),
                    ("detail", Arg::from(io_error_text(source, l))),
                ],
            ),
            EngineError::ReportHeader { path, line, detail } => l.format(
                "report-header",
                &[
                    ("path", path_arg(path)),
                    ("line", Arg::from(*line)),
                    ("detail", Arg::from(detail)),
                ],
            ),
            EngineError::DuplicateReport {
                name,
                first,
                second,
            } => l.format(
                "report-duplicate",
                &[
                    ("name", Arg::from(name)),
                    ("first", path_arg(first)),
                    ("second", path_arg(second)),
                ],
            ),
            EngineError::Output { source } => {
                l.format("output-error", &[("detail", Arg::from(source.to_string()))])
            }
            EngineError::Param { report, problem } => {
                use crate::params::ParamProblem;
                let report = Arg::from(report);
                match problem {
                    ParamProblem::Unknown { name, known } => l.format(
                        "param-unknown",
                        &[
                            ("report", report),
                            ("name", Arg::from(name)),
                            (
                                "known",
                                Arg::from(if known.is_empty() {
                                    l.text("param-none")
                                } else {
                                    known.join(", ")
                                }),
                            ),
                        ],
                    ),
                    ParamProblem::Invalid { name, kind, value } => l.format(
                        "param-invalid",
                        &[
                            ("report", report),
                            ("name", Arg::from(name)),
                            ("value", Arg::from(value)),
                            ("type", Arg::from(l.text(kind.message_id()))),
                        ],
                    ),
                    ParamProblem::Missing { name } => l.format(
                        "param-missing",
                        &[("report", report), ("name", Arg::from(name))],
                    ),
                    ParamProblem::Undeclared { name } => l.format(
                        "param-undeclared",
                        &[("report", report), ("name", Arg::from(name))],
                    ),
                    ParamProblem::UnclosedClause => {
                        l.format("param-unclosed", &[("report", report)])
                    }
                }
            }
            EngineError::Warehouse(error) => error.localize(l),
        }
    }
}
