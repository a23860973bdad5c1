//! Errors of the query engine.

use std::path::PathBuf;

use crmsql_i18n::{Arg, Lang, Localize, Localizer, io_error_text};
use crmsql_schema::WarehouseError;
use datafusion::error::DataFusionError;

/// Error while planning or running a query, or loading a report.
/// A fault in a report's header comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The file has no query, only comments or nothing.
    NoQuery,
    NoName,
    NoDescription,
    NameTwice,
    BadName(String),
    /// A `-- param:` line that does not read as `NAME TYPE [= DEFAULT] [required] | text`.
    BadParam(String),
    BadParamName(String),
    UnknownType {
        name: String,
        kind: String,
    },
    BadDefault {
        name: String,
        kind: String,
        default: String,
    },
    ParamTwice(String),
    /// A `-- param.en:` line names no parameter declared above it.
    UnknownParamEn(String),
    /// A `-- chart:` line that is not `bar|line [LABEL_COLUMN [VALUE_COLUMN]]`.
    BadChart(String),
    /// A `-- check:` line without `| message`, or a `-- check.en:` line with no check above.
    BadCheck(String),
}

impl HeaderProblem {
    /// Returns the message key, the value at fault and one more argument where the message
    /// needs it.
    fn parts(&self) -> (&'static str, String, Option<(&'static str, String)>) {
        match self {
            HeaderProblem::NoQuery => ("report-no-query", String::new(), None),
            HeaderProblem::NoName => ("report-no-name", String::new(), None),
            HeaderProblem::NoDescription => ("report-no-description", String::new(), None),
            HeaderProblem::NameTwice => ("report-name-twice", String::new(), None),
            HeaderProblem::BadName(value) => ("report-bad-name", value.clone(), None),
            HeaderProblem::BadParam(value) => ("report-bad-param", value.clone(), None),
            HeaderProblem::BadParamName(value) => ("report-bad-param-name", value.clone(), None),
            HeaderProblem::UnknownType { name, kind } => (
                "report-unknown-type",
                kind.clone(),
                Some(("name", name.clone())),
            ),
            HeaderProblem::BadDefault {
                name,
                kind,
                default,
            } => (
                "report-bad-default",
                default.clone(),
                Some(("name", format!("{name} ({kind})"))),
            ),
            HeaderProblem::ParamTwice(value) => ("report-param-twice", value.clone(), None),
            HeaderProblem::UnknownParamEn(value) => {
                ("report-unknown-param-en", value.clone(), None)
            }
            HeaderProblem::BadChart(value) => ("report-bad-chart", value.clone(), None),
            HeaderProblem::BadCheck(value) => ("report-bad-check", value.clone(), None),
        }
    }
}

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
        /// The place where the statement names the table, when the error came from a statement.
        span: Option<datafusion::common::Span>,
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
        problem: HeaderProblem,
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
    /// A result cannot be shown in the chosen form, such as a chart of a result without numbers;
    /// the message is already in the user's language.
    #[error("{message}")]
    Render { message: String },
    /// A run gave a report parameters it cannot take; found before any query runs.
    #[error("{}", self.localize(Localizer::english()))]
    Param {
        report: String,
        problem: crate::params::ParamProblem,
    },
    /// A query on a cluster failed there: the scheduler could not be reached, or a node could not
    /// run the plan.
    #[error("{}", self.localize(Localizer::english()))]
    Cluster {
        url: String,
        problem: crate::ClusterProblem,
        /// The CRM functions the query uses.
        functions: Vec<String>,
        /// The cluster's own text.
        detail: String,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

impl From<DataFusionError> for EngineError {
    fn from(source: DataFusionError) -> Self {
        EngineError::Sql { source }
    }
}

/// Says a CRM function's mistake in the user's language. Whole numbers among its arguments stay
/// numbers, so that the words around them take the right plural form.
pub fn crm_message(crm: &crmsql_functions::CrmError, l: &Localizer) -> String {
    let args: Vec<(&str, Arg)> = crm
        .args
        .iter()
        .map(|(name, value)| (*name, crm_arg(value)))
        .collect();
    l.format(&format!("fn-error-{}", crm.id), &args)
}

/// Returns an argument of a CRM function's message: a number where the text is one, so that
/// the catalog can choose its plural form.
fn crm_arg(value: &str) -> Arg {
    value
        .parse::<i64>()
        .map_or_else(|_| Arg::from(value), Arg::from)
}

fn path_arg(path: &std::path::Path) -> Arg {
    Arg::from(path.display().to_string())
}

impl Localize for EngineError {
    fn localize(&self, l: &Localizer) -> String {
        match self {
            EngineError::Sql { source } => {
                // A CRM function's own mistake is written in the user's language.
                if let DataFusionError::External(inner) = source.find_root()
                    && let Some(crm) = inner.downcast_ref::<crmsql_functions::CrmError>()
                {
                    let detail = crm_message(crm, l);
                    return l.format("sql-error", &[("detail", Arg::from(detail))]);
                }
                // DataFusion's own text is kept as the detail; only the frame is translated.
                let detail = source.to_string();
                l.format("sql-error", &[("detail", Arg::from(detail))])
            }
            EngineError::TableNotFound {
                name, available, ..
            } => {
                let mut text = if available.is_empty() {
                    l.format("table-not-found-empty", &[("name", Arg::from(name))])
                } else {
                    l.format(
                        "table-not-found",
                        &[
                            ("name", Arg::from(name)),
                            ("available", Arg::from(available.join(", "))),
                        ],
                    )
                };
                // The standard tables come from files of their own, named in the hint.
                let hint = match name.as_str() {
                    "purchases" => Some("table-hint-purchases"),
                    "product_costs" => Some("table-hint-product-costs"),
                    "ad_spend" => Some("table-hint-ad-spend"),
                    "expenses" => Some("table-hint-expenses"),
                    "customers" | "transactions" | "transaction_items" => Some("table-hint-api"),
                    _ => None,
                };
                if let Some(hint) = hint {
                    text.push('\n');
                    text.push_str(&l.text(hint));
                }
                text
            }
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
            EngineError::ReportHeader {
                path,
                line,
                problem,
            } => {
                let (key, value, extra) = problem.parts();
                let mut args = vec![
                    ("path", path_arg(path)),
                    ("line", Arg::from(*line)),
                    ("value", Arg::from(value)),
                ];
                if let Some((name, text)) = extra {
                    args.push((name, Arg::from(text)));
                }
                l.format(key, &args)
            }
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
                    ParamProblem::OutOfRange {
                        name,
                        value,
                        low,
                        high,
                    } => l.format(
                        "param-out-of-range",
                        &[
                            ("report", report),
                            ("name", Arg::from(name)),
                            ("value", Arg::from(value)),
                            ("low", Arg::from(format!("{low}"))),
                            ("high", Arg::from(format!("{high}"))),
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
                    ParamProblem::Check { russian, english } => {
                        let message = match (l.lang(), english) {
                            (Lang::En, Some(english)) => english,
                            _ => russian,
                        };
                        l.format(
                            "param-check",
                            &[("report", report), ("message", Arg::from(message))],
                        )
                    }
                }
            }
            EngineError::Render { message } => message.clone(),
            EngineError::Cluster {
                url,
                problem,
                functions,
                detail,
            } => {
                use crate::ClusterProblem;
                let raw = detail.as_str();
                let detail = Arg::from(detail);
                match problem {
                    ClusterProblem::Unreachable => {
                        let reason = match crate::cluster::unreachable_reason(raw) {
                            Some(id) => Arg::from(l.text(id)),
                            None => detail,
                        };
                        l.format(
                            "cluster-unreachable",
                            &[("url", Arg::from(url)), ("detail", reason)],
                        )
                    }
                    ClusterProblem::NotScheduler(Some(answer)) => l.format(
                        "cluster-not-scheduler",
                        &[("url", Arg::from(url)), ("answer", Arg::from(answer))],
                    ),
                    ClusterProblem::NotScheduler(None) => {
                        l.format("cluster-not-scheduler-silent", &[("url", Arg::from(url))])
                    }
                    ClusterProblem::Lost => l.format("cluster-lost", &[("url", Arg::from(url))]),
                    ClusterProblem::ExecutorLost => l.text("cluster-executor-lost"),
                    ClusterProblem::InformationSchema => l.text("cluster-information-schema"),
                    ClusterProblem::Crm { id, args } if l.has(&format!("fn-error-{id}")) => {
                        let args: Vec<(&str, Arg)> = args
                            .iter()
                            .map(|(name, value)| (name.as_str(), crm_arg(value)))
                            .collect();
                        l.format(&format!("fn-error-{id}"), &args)
                    }
                    ClusterProblem::Crm { .. } => {
                        l.format("cluster-job-failed", &[("detail", detail)])
                    }
                    ClusterProblem::DivideByZero => l.text("cluster-divide-by-zero"),
                    ClusterProblem::Cast(words) => {
                        l.format("cluster-cast", &[("detail", Arg::from(words))])
                    }
                    ClusterProblem::Memory(Some(limit)) => {
                        l.format("cluster-memory", &[("limit", Arg::from(limit))])
                    }
                    ClusterProblem::Memory(None) => l.text("cluster-memory-unknown"),
                    ClusterProblem::ExplainUnion => l.text("cluster-explain-union"),
                    ClusterProblem::SessionTable => l.text("cluster-session-table"),
                    ClusterProblem::NoExecutors => {
                        l.format("cluster-no-executors", &[("url", Arg::from(url))])
                    }
                    ClusterProblem::MissingFunction(name) => {
                        l.format("cluster-missing-function", &[("function", Arg::from(name))])
                    }
                    ClusterProblem::TaskRejected if functions.is_empty() => {
                        l.text("cluster-task-rejected")
                    }
                    ClusterProblem::TaskRejected => l.format(
                        "cluster-task-rejected-functions",
                        &[("functions", Arg::from(functions.join(", ")))],
                    ),
                    ClusterProblem::FileUnreadable(path) => {
                        let missing = ["NotFound", "not found", "No such file"];
                        let reason = if missing.iter().any(|words| raw.contains(words)) {
                            Arg::from(l.text("cluster-file-missing"))
                        } else {
                            detail
                        };
                        l.format(
                            "cluster-file-unreadable",
                            &[("path", Arg::from(path)), ("detail", reason)],
                        )
                    }
                    ClusterProblem::CancelFailed(job) => l.format(
                        "cluster-cancel-failed",
                        &[
                            ("url", Arg::from(url)),
                            ("job", Arg::from(job)),
                            ("detail", detail),
                        ],
                    ),
                    ClusterProblem::Failed => l.format("cluster-job-failed", &[("detail", detail)]),
                }
            }
            EngineError::Warehouse(error) => error.localize(l),
        }
    }
}
