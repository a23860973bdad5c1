//! Result formats: an aligned table and Markdown for people, CSV, JSON and Parquet for programs,
//! and an Excel workbook for analysts who go on in a spreadsheet.

use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches_with_schema;

use crate::error::EngineError;
use crate::session::QueryResult;

/// Format of written results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Aligned text table.
    #[default]
    Table,
    /// CSV with a header row, comma-separated, UTF-8.
    Csv,
    /// One JSON array of objects per result, on its own line; NULL values are written as
    /// `null`.
    Json,
    /// A Markdown table, for notes and messages; numbers align right.
    Markdown,
    /// A Parquet file with the result's types, for another tool to read.
    Parquet,
    /// An Excel workbook with a sheet of the result: numbers, dates and times as real cells.
    Xlsx,
    /// A self-contained HTML page with a chart and the table; written by the command line.
    Html,
    /// The chart alone, as an SVG image; written by the command line.
    Svg,
}

impl OutputFormat {
    /// Parses `table`, `csv`, `json`, `markdown`, `parquet` or `xlsx`.
    pub fn parse(text: &str) -> Option<OutputFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "table" => Some(OutputFormat::Table),
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "markdown" | "md" => Some(OutputFormat::Markdown),
            "parquet" => Some(OutputFormat::Parquet),
            "xlsx" => Some(OutputFormat::Xlsx),
            "html" => Some(OutputFormat::Html),
            "svg" => Some(OutputFormat::Svg),
            _ => None,
        }
    }

    /// Returns whether the format is binary, so that it goes to a file rather than a terminal.
    pub fn is_binary(self) -> bool {
        matches!(self, OutputFormat::Parquet | OutputFormat::Xlsx)
    }

    /// Returns the format a file name's extension stands for: `.csv`, `.json`, `.md`,
    /// `.parquet` or `.xlsx`. Other names, `.txt` among them, give none.
    pub fn from_file_name(path: &std::path::Path) -> Option<OutputFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(OutputFormat::Csv),
            "json" => Some(OutputFormat::Json),
            "md" | "markdown" => Some(OutputFormat::Markdown),
            "parquet" => Some(OutputFormat::Parquet),
            "xlsx" => Some(OutputFormat::Xlsx),
            "html" | "htm" => Some(OutputFormat::Html),
            "svg" => Some(OutputFormat::Svg),
            _ => None,
        }
    }

    /// Returns the usual file extension of the format, for files a batch run names itself.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Table => "txt",
            OutputFormat::Csv => "csv",
            OutputFormat::Json => "json",
            OutputFormat::Markdown => "md",
            OutputFormat::Parquet => "parquet",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Html => "html",
            OutputFormat::Svg => "svg",
        }
    }
}

fn output_error(source: ArrowError) -> EngineError {
    EngineError::Output { source }
}

fn io_error(error: std::io::Error) -> EngineError {
    output_error(ArrowError::IoError(error.to_string(), error))
}

/// Writes `result` to `out` in `format`. Tables end without a row-count footer; the caller adds
/// one in the user's language.
pub fn write_result(
    out: &mut dyn Write,
    result: &QueryResult,
    format: OutputFormat,
) -> Result<(), EngineError> {
    match format {
        OutputFormat::Table => {
            let table = pretty_format_batches_with_schema(result.schema.clone(), &result.batches)
                .map_err(output_error)?;
            writeln!(out, "{table}")
                .map_err(|e| output_error(ArrowError::IoError(e.to_string(), e)))?;
        }
        OutputFormat::Csv => {
            let (schema, batches) = flatten_lists(result)?;
            if result.row_count() == 0 {
                // arrow's writer ends a header-only output without a line break.
                let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                let mut writer = csv::Writer::from_writer(&mut *out);
                writer
                    .write_record(&names)
                    .map_err(|e| io_error(std::io::Error::other(e)))?;
                writer.flush().map_err(io_error)?;
                return Ok(());
            }
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for batch in &batches {
                writer.write(batch).map_err(output_error)?;
            }
        }
        OutputFormat::Json => {
            // Every row has every key, with `null` for NULL, so rows can be read as records.
            let mut writer = datafusion::arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, datafusion::arrow::json::writer::JsonArray>(&mut *out);
            let batches: Vec<&RecordBatch> = result.batches.iter().collect();
            writer.write_batches(&batches).map_err(output_error)?;
            writer.finish().map_err(output_error)?;
            writeln!(out).map_err(io_error)?;
        }
        OutputFormat::Markdown => write_markdown(out, result)?,
        OutputFormat::Xlsx => {
            let bytes = xlsx_bytes(result)?;
            out.write_all(&bytes).map_err(io_error)?;
        }
        OutputFormat::Parquet => {
            // The writer needs an owned sink; report results are small enough to buffer.
            let mut buffer = Vec::new();
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(
                &mut buffer,
                result.schema.clone(),
                None,
            )
            .map_err(|e| output_error(ArrowError::ExternalError(Box::new(e))))?;
            for batch in &result.batches {
                writer
                    .write(batch)
                    .map_err(|e| output_error(ArrowError::ExternalError(Box::new(e))))?;
            }
            writer
                .close()
                .map_err(|e| output_error(ArrowError::ExternalError(Box::new(e))))?;
            out.write_all(&buffer).map_err(io_error)?;
        }
        OutputFormat::Html | OutputFormat::Svg => {
            // Pages and charts are drawn by the command line, because it has the report's title
            // and the reader's language.
            return Err(output_error(ArrowError::NotYetImplemented(format!(
                "{} output is written by the command line",
                format.extension()
            ))));
        }
    }
    Ok(())
}

/// Writes a Markdown table: a header, an alignment row (numbers right), and a row per record.
/// A `|` in a value is escaped and a line break becomes `<br>`, so every record stays one row.
fn write_markdown(out: &mut dyn Write, result: &QueryResult) -> Result<(), EngineError> {
    let (schema, batches) = flatten_lists(result)?;
    let cell = |text: &str| {
        text.replace('|', "\\|")
            .replace("\r\n", "<br>")
            .replace('\n', "<br>")
    };
    let names: Vec<String> = schema.fields().iter().map(|f| cell(f.name())).collect();
    writeln!(out, "| {} |", names.join(" | ")).map_err(io_error)?;
    let aligns: Vec<&str> = schema
        .fields()
        .iter()
        .map(|f| {
            if f.data_type().is_numeric() {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    writeln!(out, "|{}|", aligns.join("|")).map_err(io_error)?;
    let options = FormatOptions::default();
    for batch in &batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(output_error)?;
        for row in 0..batch.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| cell(&f.value(row).to_string()))
                .collect();
            writeln!(out, "| {} |", cells.join(" | ")).map_err(io_error)?;
        }
    }
    Ok(())
}

/// CSV has no lists: turn each list column (tags) into text with items joined by `, `, the way
/// amoCRM writes tags in its own export.
fn flatten_lists(result: &QueryResult) -> Result<(SchemaRef, Vec<RecordBatch>), EngineError> {
    let has_lists = result
        .schema
        .fields()
        .iter()
        .any(|f| matches!(f.data_type(), DataType::List(_) | DataType::LargeList(_)));
    if !has_lists {
        return Ok((result.schema.clone(), result.batches.clone()));
    }
    let fields: Vec<Field> = result
        .schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::List(_) | DataType::LargeList(_) => {
                Field::new(f.name(), DataType::Utf8, true)
            }
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let options = FormatOptions::default();
    let mut batches = Vec::with_capacity(result.batches.len());
    for batch in &result.batches {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|column| -> Result<ArrayRef, EngineError> {
                let DataType::List(_) = column.data_type() else {
                    return Ok(column.clone());
                };
                let list = column.as_list::<i32>();
                let mut builder = StringBuilder::new();
                for row in 0..list.len() {
                    if list.is_null(row) {
                        builder.append_null();
                        continue;
                    }
                    let items = list.value(row);
                    let formatter =
                        ArrayFormatter::try_new(items.as_ref(), &options).map_err(output_error)?;
                    let joined: Vec<String> = (0..items.len())
                        .map(|i| formatter.value(i).to_string())
                        .collect();
                    builder.append_value(joined.join(", "));
                }
                Ok(Arc::new(builder.finish()))
            })
            .collect::<Result<_, _>>()?;
        batches.push(RecordBatch::try_new(schema.clone(), columns).map_err(output_error)?);
    }
    Ok((schema, batches))
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> EngineError {
    output_error(ArrowError::ExternalError(Box::new(error)))
}

/// Builds an Excel workbook of one sheet: a bold header row, then the rows. Numbers and decimals
/// become number cells, dates and times date cells in the wall time of their zone, and other
/// values (text, lists) text cells. NULL leaves the cell empty.
fn xlsx_bytes(result: &QueryResult) -> Result<Vec<u8>, EngineError> {
    use datafusion::arrow::array::timezone::Tz;
    use datafusion::arrow::datatypes::{
        Date32Type, Float64Type, TimeUnit, TimestampMicrosecondType,
    };
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let day_format = Format::new().set_num_format("yyyy-mm-dd");
    let time_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (col, field) in result.schema.fields().iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, field.name(), &bold)
            .map_err(xlsx_error)?;
    }
    let options = FormatOptions::default();
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let excel_time = |t: chrono::NaiveDateTime| -> Result<ExcelDateTime, EngineError> {
        use chrono::{Datelike, Timelike};
        ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
            .and_then(|d| d.and_hms(t.hour() as u16, t.minute() as u8, t.second()))
            .map_err(xlsx_error)
    };
    let mut row = 1u32;
    for batch in &result.batches {
        for (col, column) in batch.columns().iter().enumerate() {
            let col = col as u16;
            let data_type = column.data_type().clone();
            match data_type {
                ref t if t.is_numeric() => {
                    let numbers = datafusion::arrow::compute::cast(column, &DataType::Float64)
                        .map_err(output_error)?;
                    let numbers = numbers.as_primitive::<Float64Type>();
                    let is_decimal =
                        matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..));
                    for i in 0..numbers.len() {
                        if numbers.is_null(i) {
                            continue;
                        }
                        let at = row + i as u32;
                        if is_decimal {
                            sheet.write_number_with_format(at, col, numbers.value(i), &money)
                        } else {
                            sheet.write_number(at, col, numbers.value(i))
                        }
                        .map_err(xlsx_error)?;
                    }
                }
                DataType::Boolean => {
                    let flags = column.as_boolean();
                    for i in 0..flags.len() {
                        if flags.is_valid(i) {
                            sheet
                                .write_boolean(row + i as u32, col, flags.value(i))
                                .map_err(xlsx_error)?;
                        }
                    }
                }
                DataType::Date32 => {
                    let days = column.as_primitive::<Date32Type>();
                    for i in 0..days.len() {
                        if days.is_null(i) {
                            continue;
                        }
                        let day = epoch + chrono::Duration::days(i64::from(days.value(i)));
                        let cell = excel_time(day.and_time(chrono::NaiveTime::MIN))?;
                        sheet
                            .write_datetime_with_format(row + i as u32, col, &cell, &day_format)
                            .map_err(xlsx_error)?;
                    }
                }
                DataType::Timestamp(_, zone) => {
                    let target = DataType::Timestamp(TimeUnit::Microsecond, zone.clone());
                    let times =
                        datafusion::arrow::compute::cast(column, &target).map_err(output_error)?;
                    let times = times.as_primitive::<TimestampMicrosecondType>();
                    let zone: Option<Tz> = zone.as_deref().and_then(|z| z.parse().ok());
                    for i in 0..times.len() {
                        if times.is_null(i) {
                            continue;
                        }
                        let micros = times.value(i);
                        let wall = match &zone {
                            Some(zone) => datafusion::arrow::array::temporal_conversions::as_datetime_with_timezone::<
                                TimestampMicrosecondType,
                            >(micros, *zone)
                            .map(|t| t.naive_local()),
                            None => datafusion::arrow::array::temporal_conversions::as_datetime::<
                                TimestampMicrosecondType,
                            >(micros),
                        };
                        let Some(wall) = wall else { continue };
                        let cell = excel_time(wall)?;
                        sheet
                            .write_datetime_with_format(row + i as u32, col, &cell, &time_format)
                            .map_err(xlsx_error)?;
                    }
                }
                _ => {
                    let formatter =
                        ArrayFormatter::try_new(column.as_ref(), &options).map_err(output_error)?;
                    for i in 0..column.len() {
                        if column.is_null(i) {
                            continue;
                        }
                        sheet
                            .write_string(row + i as u32, col, formatter.value(i).to_string())
                            .map_err(xlsx_error)?;
                    }
                }
            }
        }
        row += batch.num_rows() as u32;
    }
    sheet.autofit();
    workbook.save_to_buffer().map_err(xlsx_error)
}
