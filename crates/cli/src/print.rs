//! Writing query results and import summaries.

use std::io::Write;

use crmsql_engine::{EngineError, OutputFormat, QueryResult};
use crmsql_i18n::{Arg, Localize, Localizer};
use crmsql_import::ImportReport;
use crmsql_schema::deals::{KEY_COLUMNS, known_column};

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

/// Warns about key columns of the deals table that an export lacks, naming the header that
/// was expected, since reports over them would come out empty.
fn missing_columns_warning(
    source: &crmsql_schema::warehouse::SourceMeta,
    l: &Localizer,
) -> Option<String> {
    let missing: Vec<String> = KEY_COLUMNS
        .iter()
        .filter(|name| !source.columns.iter().any(|c| c.name == **name))
        .map(|name| {
            let label = match *name {
                "budget" => "Бюджет",
                other => known_column(other)
                    .and_then(|c| c.labels.first())
                    .copied()
                    .unwrap_or(other),
            };
            format!("{name} («{}»)", capitalize(label))
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(l.format(
        "import-missing-columns",
        &[
            ("path", Arg::from(&source.path)),
            ("columns", Arg::from(missing.join(", "))),
        ],
    ))
}

fn capitalize(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
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
                    ("rejected", Arg::from(source.rejected)),
                ],
            ));
            if let Some(warning) = missing_columns_warning(source, l) {
                warnings.push(warning);
            }
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
