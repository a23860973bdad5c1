//! Errors that stop an import. Row-level problems are not errors: they go to the rejects file.

use std::path::PathBuf;

use crmsql_i18n::{Arg, Localize, Localizer, io_error_text};
use crmsql_schema::WarehouseError;

use crate::detect::NotCsv;
use crate::rejects::Reject;

/// Error that stops an import; the warehouse is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", self.localize(Localizer::english()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", self.localize(Localizer::english()))]
    NoExportFiles {
        path: PathBuf,
        /// Reason the first file found there was not imported.
        first_skipped: Option<Box<ImportError>>,
    },
    #[error("{}", self.localize(Localizer::english()))]
    EmptyFile { path: PathBuf },
    /// A folder inside a folder given to import; only the files of the given folder are read.
    #[error("{}", self.localize(Localizer::english()))]
    NestedFolder { path: PathBuf },
    #[error("{}", self.localize(Localizer::english()))]
    NotDealsExport {
        path: PathBuf,
        header: String,
        /// Whether `--encoding` or `--delimiter` was given, which may be the cause.
        forced: bool,
        /// Whether `--table deals` was given, which only takes deals exports.
        deals_named: bool,
    },
    #[error("{}", self.localize(Localizer::english()))]
    NotCsv { path: PathBuf, kind: NotCsv },
    #[error("{}", self.localize(Localizer::english()))]
    NoRows {
        path: PathBuf,
        /// Table the file was meant for; empty when several were.
        table: String,
    },
    #[error("{}", self.localize(Localizer::english()))]
    UnterminatedQuote {
        path: PathBuf,
        line: u64,
        lines: u64,
    },
    #[error("{}", self.localize(Localizer::english()))]
    UnknownTimezone { value: String },
    #[error("{}", self.localize(Localizer::english()))]
    UnknownEncoding { value: String },
    #[error("{}", self.localize(Localizer::english()))]
    InvalidDelimiter { value: String },
    #[error("{}", self.localize(Localizer::english()))]
    NothingImported {
        rejected: u64,
        first: Box<Reject>,
        /// File that keeps every rejected row.
        rejects: PathBuf,
    },
    #[error("{}", self.localize(Localizer::english()))]
    Parquet {
        path: PathBuf,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error("{}", self.localize(Localizer::english()))]
    Arrow {
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    /// `--strict` was given and rows were rejected.
    #[error("{}", self.localize(Localizer::english()))]
    StrictRejected {
        table: String,
        rejected: u64,
        first: Box<Reject>,
    },
    /// A `--column` mapping names a label that the header does not have.
    #[error("{}", self.localize(Localizer::english()))]
    MappingLabelMissing {
        path: PathBuf,
        label: String,
        header: String,
    },
    /// A JSON file that is neither one JSON value nor JSON Lines.
    #[error("{}", self.localize(Localizer::english()))]
    InvalidJson {
        path: PathBuf,
        line: u64,
        column: u64,
        detail: String,
    },
    /// A spreadsheet that could not be opened or read.
    #[error("{}", self.localize(Localizer::english()))]
    Spreadsheet { path: PathBuf, detail: String },
    /// `--sheet` names a sheet the workbook does not have.
    #[error("{}", self.localize(Localizer::english()))]
    SheetNotFound {
        path: PathBuf,
        sheet: String,
        available: String,
    },
    /// `--key` names a column that the file does not have.
    #[error("{}", self.localize(Localizer::english()))]
    KeyColumnMissing {
        path: PathBuf,
        table: String,
        /// Whether the key came from `--key` rather than the table's standard shape.
        from_option: bool,
        column: String,
        columns: String,
    },
    /// A JSON file without a record of any API entity crmsql reads.
    #[error("{}", self.localize(Localizer::english()))]
    NoApiRecords { path: PathBuf },
    /// Two columns of a file would get one name.
    #[error("{}", self.localize(Localizer::english()))]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        first: String,
        second: String,
    },
    /// The table is keyed by other columns than this import gives.
    #[error("{}", self.localize(Localizer::english()))]
    KeyChanged {
        table: String,
        old: String,
        new: String,
    },
    /// `--timezone` differs from the zone of the tables already imported.
    #[error("{}", self.localize(Localizer::english()))]
    TimezoneChanged {
        table: String,
        old: String,
        new: String,
    },
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
}

/// Names the cell of a rejected row, or nothing when the whole row is at fault.
fn cell_text(reject: &Reject, l: &Localizer) -> String {
    if reject.column.is_empty() {
        return String::new();
    }
    l.format(
        "reject-cell",
        &[
            ("column", Arg::from(&reject.column)),
            ("value", Arg::from(&reject.value)),
        ],
    )
}

fn path_arg(path: &std::path::Path) -> Arg {
    Arg::from(path.display().to_string())
}

impl Localize for ImportError {
    fn localize(&self, l: &Localizer) -> String {
        match self {
            ImportError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                l.format("import-not-found", &[("path", path_arg(path))])
            }
            ImportError::Io { path, source } => l.format(
                "import-io",
                &[
                    ("path", path_arg(path)),
                    ("detail", Arg::from(io_error_text(source, l))),
                ],
            ),
            ImportError::NoExportFiles {
                path,
                first_skipped,
            } => {
                let message = l.format("import-no-export-files", &[("path", path_arg(path))]);
                match first_skipped {
                    Some(reason) => format!("{message}\n{}", reason.localize(l)),
                    None => message,
                }
            }
            ImportError::EmptyFile { path } => {
                l.format("import-empty-file", &[("path", path_arg(path))])
            }
            ImportError::NestedFolder { path } => {
                l.format("import-nested-folder", &[("path", path_arg(path))])
            }
            ImportError::NotDealsExport {
                path,
                header,
                forced,
                deals_named,
            } => l.format(
                if *forced {
                    "import-not-deals-export-forced"
                } else if *deals_named {
                    "import-not-deals-export-named"
                } else {
                    "import-not-deals-export"
                },
                &[("path", path_arg(path)), ("header", Arg::from(header))],
            ),
            ImportError::NotCsv { path, kind } => {
                let id = match kind {
                    NotCsv::Zip => "import-not-csv-zip",
                    NotCsv::Ole => "import-not-csv-xls",
                    NotCsv::Binary => "import-not-csv-binary",
                };
                l.format(id, &[("path", path_arg(path))])
            }
            ImportError::UnterminatedQuote { path, line, lines } => l.format(
                "import-unterminated-quote",
                &[
                    ("path", path_arg(path)),
                    ("line", Arg::from(*line)),
                    ("lines", Arg::from(*lines)),
                ],
            ),
            ImportError::NoRows { path, table } => l.format(
                if table == "deals" {
                    "import-no-rows"
                } else {
                    "import-no-table-rows"
                },
                &[("path", path_arg(path))],
            ),
            ImportError::UnknownTimezone { value } => {
                l.format("import-unknown-timezone", &[("value", Arg::from(value))])
            }
            ImportError::UnknownEncoding { value } => {
                l.format("import-unknown-encoding", &[("value", Arg::from(value))])
            }
            ImportError::InvalidDelimiter { value } => {
                l.format("import-invalid-delimiter", &[("value", Arg::from(value))])
            }
            ImportError::NothingImported {
                rejected,
                first,
                rejects,
            } => l.format(
                "import-nothing-imported",
                &[
                    ("rejected", Arg::from(*rejected)),
                    ("file", path_arg(&first.file)),
                    ("line", Arg::from(first.line)),
                    ("cell", Arg::from(cell_text(first, l))),
                    ("reason", Arg::from(&first.reason)),
                    ("rejects", path_arg(rejects)),
                ],
            ),
            ImportError::Parquet { path, source } => l.format(
                "import-parquet",
                &[
                    ("path", path_arg(path)),
                    ("detail", Arg::from(source.to_string())),
                ],
            ),
            ImportError::Arrow { source } => {
                l.format("import-arrow", &[("detail", Arg::from(source.to_string()))])
            }
            ImportError::StrictRejected {
                table,
                rejected,
                first,
            } => l.format(
                "import-strict-rejected",
                &[
                    ("table", Arg::from(table)),
                    ("rejected", Arg::from(*rejected)),
                    ("file", path_arg(&first.file)),
                    ("line", Arg::from(first.line)),
                    ("cell", Arg::from(cell_text(first, l))),
                    ("reason", Arg::from(&first.reason)),
                ],
            ),
            ImportError::MappingLabelMissing {
                path,
                label,
                header,
            } => l.format(
                "import-mapping-label-missing",
                &[
                    ("path", path_arg(path)),
                    ("label", Arg::from(label)),
                    ("header", Arg::from(header)),
                ],
            ),
            ImportError::InvalidJson {
                path,
                line,
                column,
                detail,
            } => l.format(
                "import-invalid-json",
                &[
                    ("path", path_arg(path)),
                    ("line", Arg::from(*line)),
                    ("column", Arg::from(*column)),
                    ("detail", Arg::from(l.text(detail))),
                ],
            ),
            ImportError::Spreadsheet { path, detail } => l.format(
                "import-spreadsheet",
                &[("path", path_arg(path)), ("detail", Arg::from(detail))],
            ),
            ImportError::SheetNotFound {
                path,
                sheet,
                available,
            } => l.format(
                "import-sheet-not-found",
                &[
                    ("path", path_arg(path)),
                    ("sheet", Arg::from(sheet)),
                    ("available", Arg::from(available)),
                ],
            ),
            ImportError::KeyColumnMissing {
                path,
                table,
                from_option,
                column,
                columns,
            } => l.format(
                if *from_option {
                    "import-key-column-missing"
                } else {
                    "import-standard-key-missing"
                },
                &[
                    ("path", path_arg(path)),
                    ("table", Arg::from(table)),
                    ("column", Arg::from(column)),
                    ("columns", Arg::from(columns)),
                ],
            ),
            ImportError::NoApiRecords { path } => {
                l.format("import-no-api-records", &[("path", path_arg(path))])
            }
            ImportError::DuplicateColumn {
                path,
                name,
                first,
                second,
            } => l.format(
                "import-duplicate-column",
                &[
                    ("path", path_arg(path)),
                    ("name", Arg::from(name)),
                    ("first", Arg::from(first)),
                    ("second", Arg::from(second)),
                ],
            ),
            ImportError::KeyChanged { table, old, new } => l.format(
                match (old.is_empty(), new.is_empty()) {
                    (true, _) => "import-key-added",
                    (_, true) => "import-key-dropped",
                    _ => "import-key-changed",
                },
                &[
                    ("table", Arg::from(table)),
                    ("old", Arg::from(old)),
                    ("new", Arg::from(new)),
                ],
            ),
            ImportError::TimezoneChanged { table, old, new } => l.format(
                "import-timezone-changed",
                &[
                    ("table", Arg::from(table)),
                    ("old", Arg::from(old)),
                    ("new", Arg::from(new)),
                ],
            ),
            ImportError::Warehouse(error) => error.localize(l),
        }
    }
}
