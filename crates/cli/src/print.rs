//! Writing query results and import summaries.

use std::io::Write;

use crmsql_engine::{EngineError, OutputFormat, QueryResult};
use crmsql_i18n::{Arg, Localize, Localizer};
use crmsql_import::ImportReport;
use crmsql_schema::deals::{KEY_COLUMNS, known_column};

use crate::chart;
use crate::pager::PagerMode;
use crate::table::{TableStyle, write_table};

/// The presentation of results: the format, and for tables their layout.
#[derive(Debug, Clone)]
pub struct View {
    pub format: OutputFormat,
    pub table: TableStyle,
    /// Whether results on a terminal go through the pager.
    pub pager: PagerMode,
    /// Heading and description of an HTML page or a chart: the report's name and description.
    pub title: String,
    pub description: String,
    /// The report's chart, `bar|line [LABEL_COLUMN [VALUE_COLUMN]]`.
    pub chart: Option<String>,
}

impl View {
    /// Shows every row and cell whole, as files get them.
    pub fn whole(format: OutputFormat, lang: crmsql_i18n::Lang) -> View {
        View {
            format,
            table: TableStyle::whole(lang),
            pager: PagerMode::Off,
            title: "crmsql".to_owned(),
            description: String::new(),
            chart: None,
        }
    }
}

/// Writes one result to standard output, through the pager when it does not fit the terminal.
pub fn print_query_result(
    result: &QueryResult,
    view: &View,
    l: &Localizer,
) -> Result<(), EngineError> {
    let mut buffer = Vec::new();
    write_query_result(&mut buffer, result, view, l)?;
    crate::pager::show(&buffer, view.pager).map_err(|source| EngineError::Output {
        source: datafusion::arrow::error::ArrowError::IoError(source.to_string(), source),
    })
}

/// Writes one result. Tables get a row-count footer that counts the rows left out, and
/// statements that return no columns (`CREATE VIEW`, `SET`) print nothing.
pub fn write_query_result(
    out: &mut dyn Write,
    result: &QueryResult,
    view: &View,
    l: &Localizer,
) -> Result<(), EngineError> {
    if result.schema.fields().is_empty() {
        return Ok(());
    }
    let io = |source: std::io::Error| EngineError::Output {
        source: datafusion::arrow::error::ArrowError::IoError(source.to_string(), source),
    };
    let lang = view.table.lang;
    match view.format {
        OutputFormat::Table => {}
        OutputFormat::Html => {
            // A page without a chart still shows its table; one row makes no chart.
            let image = if result.row_count() > 1 {
                drawn(result, view, l).ok()
            } else {
                None
            };
            let page = chart::html(
                result,
                &view.title,
                &view.description,
                image.as_deref(),
                lang,
            );
            return out.write_all(page.as_bytes()).map_err(io);
        }
        OutputFormat::Svg => {
            let image = drawn(result, view, l).map_err(|problem| EngineError::Render {
                message: chart_problem(&problem, l),
            })?;
            return out.write_all(image.as_bytes()).map_err(io);
        }
        other => return crmsql_engine::output::write_result(out, result, other),
    }
    let shown = write_table(out, result, &view.table, &l.text("table-record")).map_err(io)?;
    let footer = if shown.shown < shown.rows {
        l.format(
            "rows-hidden",
            &[
                ("count", Arg::from(shown.rows)),
                ("shown", Arg::from(shown.shown)),
            ],
        )
    } else {
        l.format("rows", &[("count", Arg::from(shown.rows))])
    };
    writeln!(out, "({footer})").map_err(io)
}

/// Draws the view's chart of a result as SVG: the report's own chart, or the natural one.
fn drawn(result: &QueryResult, view: &View, l: &Localizer) -> Result<String, chart::ChartProblem> {
    let words: Vec<&str> = view
        .chart
        .as_deref()
        .map(|spec| spec.split_whitespace().collect())
        .unwrap_or_default();
    let kind = words.first().and_then(|word| chart::ChartKind::parse(word));
    let series = match chart::series(
        result,
        words.get(1).copied(),
        words.get(2).copied(),
        view.table.lang,
    ) {
        // A period without data still gets an image with a note that there is no data.
        Err(chart::ChartProblem::NoRows) => {
            return Ok(chart::empty_svg(&view.title, &l.text("chart-empty")));
        }
        other => other?,
    };
    let kind = kind.unwrap_or(series.natural_kind());
    Ok(chart::svg(&series, kind, &view.title, view.table.lang))
}

/// Says why a result cannot be drawn.
pub fn chart_problem(problem: &chart::ChartProblem, l: &Localizer) -> String {
    match problem {
        chart::ChartProblem::NoRows => l.text("chart-no-rows"),
        chart::ChartProblem::NoNumbers => l.text("chart-no-numbers"),
        chart::ChartProblem::UnknownColumn(name) => {
            l.format("chart-unknown-column", &[("name", Arg::from(name))])
        }
        chart::ChartProblem::NotNumbers(name) => {
            l.format("chart-not-numbers", &[("name", Arg::from(name))])
        }
    }
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

/// Names a delimiter for the summary; fields aligned by spaces have no single delimiter.
fn delimiter_text(delimiter: &str, l: &Localizer) -> String {
    match delimiter {
        "whitespace" => l.text("delimiter-whitespace"),
        "\t" | "\\t" => l.text("delimiter-tab"),
        other => other.to_owned(),
    }
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
    if !report.removed_demo.is_empty() {
        lines.push(l.format(
            "import-demo-removed",
            &[("tables", Arg::from(report.removed_demo.join(", ")))],
        ));
    }
    for table in &report.tables {
        for source in &table.sources {
            if source.format.starts_with("json") {
                lines.push(l.format(
                    "import-source-json",
                    &[
                        ("path", Arg::from(&source.path)),
                        ("table", Arg::from(&table.table)),
                        ("rows", Arg::from(source.rows)),
                        ("rejected", Arg::from(source.rejected)),
                    ],
                ));
                continue;
            }
            if let Some(sheet) = &source.sheet {
                lines.push(l.format(
                    "import-source-sheet",
                    &[
                        ("path", Arg::from(&source.path)),
                        ("sheet", Arg::from(sheet)),
                        ("rows", Arg::from(source.rows)),
                        ("rejected", Arg::from(source.rejected)),
                    ],
                ));
                continue;
            }
            lines.push(l.format(
                "import-source",
                &[
                    ("path", Arg::from(&source.path)),
                    ("encoding", Arg::from(&source.encoding)),
                    ("delimiter", Arg::from(delimiter_text(&source.delimiter, l))),
                    ("rows", Arg::from(source.rows)),
                    ("rejected", Arg::from(source.rejected)),
                ],
            ));
            if table.table == "deals"
                && let Some(warning) = missing_columns_warning(source, l)
            {
                warnings.push(warning);
            }
        }
        for path in &table.already_imported {
            warnings.push(l.format(
                "import-already",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("table", Arg::from(&table.table)),
                ],
            ));
        }
        if table.sources.is_empty() {
            continue;
        }
        lines.push(l.format(
            "import-summary",
            &[
                ("table", Arg::from(&table.table)),
                ("rows", Arg::from(table.added + table.updated)),
                ("files", Arg::from(table.sources.len())),
            ],
        ));
        if table.updated + table.superseded > 0 || table.rows != table.added {
            lines.push(l.format(
                "import-merged",
                &[
                    ("table", Arg::from(&table.table)),
                    ("added", Arg::from(table.added)),
                    ("updated", Arg::from(table.updated)),
                    ("superseded", Arg::from(table.superseded)),
                    ("rows", Arg::from(table.rows)),
                ],
            ));
        }
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
        warnings.push(skipped_line(skipped, l));
    }
    (lines, warnings)
}

/// Lines of a dry run: for each file, where it would go, how it was read and its columns.
pub fn dry_run_summary(report: &ImportReport, l: &Localizer) -> Vec<String> {
    let mut lines = Vec::new();
    for detection in &report.detections {
        let delimiter = delimiter_text(&detection.delimiter, l);
        let id = match &detection.sheet {
            Some(_) => "dry-run-file-sheet",
            None if detection.delimiter.is_empty() => "dry-run-file-json",
            None => "dry-run-file",
        };
        lines.push(l.format(
            id,
            &[
                ("path", Arg::from(detection.path.display().to_string())),
                ("table", Arg::from(&detection.table)),
                ("format", Arg::from(&detection.format)),
                ("encoding", Arg::from(&detection.encoding)),
                ("delimiter", Arg::from(delimiter)),
                (
                    "sheet",
                    Arg::from(detection.sheet.clone().unwrap_or_default()),
                ),
                ("rows", Arg::from(detection.rows)),
            ],
        ));
        for (label, name, data_type) in &detection.columns {
            // A column filled from several labels, such as the phones of a contact, has none
            // of its own.
            let id = match label.is_empty() {
                true => "dry-run-column-combined",
                false => "dry-run-column",
            };
            lines.push(l.format(
                id,
                &[
                    ("label", Arg::from(label)),
                    ("name", Arg::from(name)),
                    ("type", Arg::from(data_type)),
                ],
            ));
        }
        if !detection.unknown.is_empty() {
            lines.push(l.format(
                "dry-run-unknown",
                &[("labels", Arg::from(detection.unknown.join(", ")))],
            ));
        }
    }
    for skipped in &report.skipped {
        lines.push(skipped_line(skipped, l));
    }
    lines.push(l.text("dry-run-nothing-written"));
    lines
}

/// Formats the warning for a skipped file or folder. A folder's reason names it already.
fn skipped_line(skipped: &crmsql_import::SkippedFile, l: &Localizer) -> String {
    if matches!(
        skipped.reason,
        crmsql_import::ImportError::NestedFolder { .. }
    ) {
        return skipped.reason.localize(l);
    }
    l.format(
        "import-skipped",
        &[
            ("path", Arg::from(skipped.path.display().to_string())),
            ("reason", Arg::from(skipped.reason.localize(l))),
        ],
    )
}
