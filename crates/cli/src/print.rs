//! Writing query results and import summaries.

use std::io::Write;

use crmsql_engine::{EngineError, OutputFormat, QueryResult};
use crmsql_i18n::{Arg, Localize, Localizer};
use crmsql_import::ImportReport;

/// Writes one result in `format`. Tables get a row-count footer; statements that return no
/// columns (`CREATE VIEW`, `SET`) print nothing.
pub fn write_query_result(
    out: &mut dyn Write,
    result: &QueryResult,
    format: OutputFormat,
    l: &Localizer,
) -> Result<(), EngineError> {
    if result.schema.fields().is_empty() {
        return Ok(());
    }
    crmsql_engine::output::write_result(out, result, format)?;
    if format == OutputFormat::Table {
        let footer = l.format("rows", &[("count", Arg::from(result.row_count()))]);
        writeln!(out, "({footer})").map_err(|source| EngineError::Output {
            source: datafusion::arrow::error::ArrowError::IoError(source.to_string(), source),
        })?;
    }
    Ok(())
}

/// Lines of the summary of an import: per table and source file, then skipped files.
pub fn import_summary(report: &ImportReport, l: &Localizer) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    for table in &report.tables {
        for source in &table.sources {
            lines.push(l.format(
                "import-source",
                &[
                    ("path", Arg::from(&source.path)),
                    ("encoding", Arg::from(&source.encoding)),
                    ("delimiter", Arg::from(&source.delimiter)),
                    ("rows", Arg::from(source.rows)),
                ],
            ));
        }
        lines.push(l.format(
            "import-summary",
            &[
                ("table", Arg::from(&table.table)),
                ("rows", Arg::from(table.rows)),
                ("files", Arg::from(table.sources.len())),
            ],
        ));
        if let Some(path) = &table.rejects_path {
            warnings.push(l.format(
                "import-summary-rejected",
                &[
                    ("table", Arg::from(&table.table)),
                    ("rejected", Arg::from(table.rejected)),
                    ("path", Arg::from(path.display().to_string())),
                ],
            ));
        }
    }
    for skipped in &report.skipped {
        warnings.push(l.format(
            "import-skipped",
            &[
                ("path", Arg::from(skipped.path.display().to_string())),
                ("reason", Arg::from(skipped.reason.localize(l))),
            ],
        ));
    }
    (lines, warnings)
}
