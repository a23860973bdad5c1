//! Tables from any delimited or whitespace-aligned text file: ad spend, expenses, purchase
//! histories and whatever else an analyst joins with the CRM data.
//!
//! The header gives the column names; the types are sniffed from the first rows and can be set
//! with an explicit mapping. Ad spend and expenses have standard shapes that the ROI and
//! profitability reports rely on: their columns are recognized by the usual Russian and English
//! header names.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crmsql_i18n::{Arg, Localizer};
use crmsql_schema::naming::{normalize_label, snake_case};
use crmsql_schema::warehouse::{ColumnMeta, DataFile, SourceMeta, Transaction};

use crate::detect::{self, Encoding, delimiter_name};
use crate::error::ImportError;
use crate::output::{Cell, ColumnDef, Kind, TableWriter};
use crate::rejects::{Reject, RejectsWriter};
use crate::values::{
    ValueError, parse_bool, parse_date, parse_float, parse_integer, parse_money, parse_month,
    parse_wall_time, split_tags, wall_time_to_micros,
};

/// Rows read to sniff column types.
const SNIFF_ROWS: usize = 20_000;

/// Field separation of a text table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A delimiter with RFC 4180 quoting.
    Delimited(u8),
    /// Runs of spaces or tabs, as in fixed-width reports and plain-text dumps.
    Aligned,
}

impl Layout {
    pub fn name(self) -> String {
        match self {
            Layout::Delimited(byte) => delimiter_name(byte),
            Layout::Aligned => "whitespace".to_owned(),
        }
    }
}

/// A column mapping given on the command line: `LABEL=NAME[:TYPE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    pub label: String,
    pub name: String,
    pub kind: Option<ColumnType>,
}

/// Column type a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Kind(Kind),
    /// A month, stored as the DATE of its first day.
    Month,
}

impl ColumnType {
    pub fn parse(text: &str) -> Option<ColumnType> {
        Some(ColumnType::Kind(
            match text.trim().to_lowercase().as_str() {
                "int" | "integer" | "bigint" => Kind::Int,
                "money" | "decimal" | "numeric" => Kind::Money,
                "float" | "double" | "real" => Kind::Float,
                "bool" | "boolean" => Kind::Bool,
                "date" => Kind::Date,
                "timestamp" | "datetime" | "time" => Kind::Time,
                "text" | "string" | "varchar" => Kind::Text,
                "list" | "tags" => Kind::List,
                "month" => return Some(ColumnType::Month),
                _ => return None,
            },
        ))
    }

    fn kind(self) -> Kind {
        match self {
            ColumnType::Kind(kind) => kind,
            ColumnType::Month => Kind::Date,
        }
    }
}

impl ColumnMapping {
    /// Parses `LABEL=NAME[:TYPE]`, `LABEL=:TYPE` or `LABEL:TYPE`.
    pub fn parse(text: &str) -> Option<ColumnMapping> {
        let (label, target) = match text.split_once('=') {
            Some((label, target)) => (label, target),
            None => {
                let (label, kind) = text.rsplit_once(':')?;
                return Some(ColumnMapping {
                    label: label.trim().to_owned(),
                    name: String::new(),
                    kind: Some(ColumnType::parse(kind)?),
                });
            }
        };
        let (name, kind) = match target.rsplit_once(':') {
            Some((name, kind)) => (name, Some(ColumnType::parse(kind)?)),
            None => (target, None),
        };
        Some(ColumnMapping {
            label: label.trim().to_owned(),
            name: name.trim().to_owned(),
            kind,
        })
    }
}

/// Standard table shapes the reports join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    AdSpend,
    Expenses,
    /// Purchases of customers from another system, given with `--table purchases`.
    Purchases,
    /// Cost of each product as a share of its price, given with `--table product_costs`.
    ProductCosts,
    Other,
}

struct StandardColumn {
    name: &'static str,
    kind: ColumnType,
    labels: &'static [&'static str],
}

const AD_SPEND: &[StandardColumn] = &[
    StandardColumn {
        name: "date",
        kind: ColumnType::Kind(Kind::Date),
        labels: &["date", "дата", "day", "день"],
    },
    StandardColumn {
        name: "channel",
        kind: ColumnType::Kind(Kind::Text),
        labels: &[
            "channel",
            "канал",
            "source",
            "источник",
            "utm_source",
            "площадка",
            "platform",
        ],
    },
    StandardColumn {
        name: "campaign",
        kind: ColumnType::Kind(Kind::Text),
        labels: &[
            "campaign",
            "кампания",
            "campaign_name",
            "название кампании",
            "utm_campaign",
        ],
    },
    StandardColumn {
        name: "spend",
        kind: ColumnType::Kind(Kind::Money),
        labels: &[
            "spend",
            "cost",
            "расход",
            "расходы",
            "затраты",
            "стоимость",
            "бюджет",
            "amount",
            "сумма",
        ],
    },
    StandardColumn {
        name: "clicks",
        kind: ColumnType::Kind(Kind::Int),
        labels: &["clicks", "клики", "переходы"],
    },
    StandardColumn {
        name: "impressions",
        kind: ColumnType::Kind(Kind::Int),
        labels: &["impressions", "показы", "views"],
    },
];

const EXPENSES: &[StandardColumn] = &[
    StandardColumn {
        name: "month",
        kind: ColumnType::Month,
        labels: &["month", "месяц", "период", "period"],
    },
    StandardColumn {
        name: "category",
        kind: ColumnType::Kind(Kind::Text),
        labels: &["category", "категория", "статья", "статья расходов", "item"],
    },
    StandardColumn {
        name: "amount",
        kind: ColumnType::Kind(Kind::Money),
        labels: &["amount", "сумма", "расход", "расходы", "затраты", "cost"],
    },
];

const PURCHASES: &[StandardColumn] = &[
    StandardColumn {
        name: "customer_id",
        kind: ColumnType::Kind(Kind::Text),
        labels: &[
            "customer_id",
            "customer",
            "client_id",
            "клиент",
            "id клиента",
            "покупатель",
        ],
    },
    StandardColumn {
        name: "date",
        kind: ColumnType::Kind(Kind::Date),
        labels: &[
            "date",
            "дата",
            "дата покупки",
            "purchase_date",
            "order_date",
        ],
    },
    StandardColumn {
        name: "quantity",
        kind: ColumnType::Kind(Kind::Int),
        labels: &[
            "quantity",
            "qty",
            "количество",
            "кол-во",
            "number_of_cds",
            "items",
        ],
    },
    StandardColumn {
        name: "amount",
        kind: ColumnType::Kind(Kind::Money),
        labels: &[
            "amount",
            "сумма",
            "сумма покупки",
            "revenue",
            "выручка",
            "dollar_value",
            "total",
            "price",
        ],
    },
];

const PRODUCT_COSTS: &[StandardColumn] = &[
    StandardColumn {
        name: "product",
        kind: ColumnType::Kind(Kind::Text),
        labels: &["product", "товар", "продукт", "услуга", "товар или услуга"],
    },
    StandardColumn {
        name: "cost_pct",
        kind: ColumnType::Kind(Kind::Float),
        labels: &[
            "cost_pct",
            "себестоимость",
            "себестоимость %",
            "себестоимость, %",
            "доля себестоимости",
            "cost share",
        ],
    },
];

fn standard_columns(shape: Shape) -> &'static [StandardColumn] {
    match shape {
        Shape::AdSpend => AD_SPEND,
        Shape::Expenses => EXPENSES,
        Shape::Purchases => PURCHASES,
        Shape::ProductCosts => PRODUCT_COSTS,
        Shape::Other => &[],
    }
}

/// Names of the standard columns of a shape.
pub(crate) fn standard_names(shape: Shape) -> Vec<&'static str> {
    standard_columns(shape).iter().map(|c| c.name).collect()
}

/// Key columns of a standard shape: a re-imported report replaces its rows.
pub fn shape_key(shape: Shape) -> Vec<String> {
    match shape {
        Shape::AdSpend => vec!["date".into(), "channel".into(), "campaign".into()],
        Shape::Expenses => vec!["month".into(), "category".into()],
        Shape::ProductCosts => vec!["product".into()],
        Shape::Purchases | Shape::Other => Vec::new(),
    }
}

/// Finds the standard column a header label stands for.
fn standard_match(shape: Shape, label: &str) -> Option<&'static StandardColumn> {
    let normalized = normalize_label(label);
    // A unit may follow the name: `Расход, руб.`, `Spend ($)`.
    let base = normalized
        .split([',', '('])
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    standard_columns(shape).iter().find(|c| {
        [&normalized, &base]
            .iter()
            .any(|l| c.labels.contains(&l.as_str()) || c.name == l.as_str())
    })
}

/// Recognizes a standard shape from the header: every required column must be present.
pub fn detect_shape(labels: &[String]) -> Shape {
    for shape in [Shape::AdSpend, Shape::Expenses, Shape::ProductCosts] {
        let required: &[&str] = match shape {
            Shape::AdSpend => &["date", "channel", "spend"],
            Shape::Expenses => &["month", "category", "amount"],
            _ => &["product", "cost_pct"],
        };
        let found = required.iter().all(|name| {
            labels
                .iter()
                .any(|l| standard_match(shape, l).is_some_and(|c| c.name == *name))
        });
        if found {
            return shape;
        }
    }
    Shape::Other
}

/// Returns the standard shape of a table name given with `--table`.
pub fn shape_of_table(table: &str) -> Shape {
    match table {
        "ad_spend" => Shape::AdSpend,
        "expenses" => Shape::Expenses,
        "purchases" => Shape::Purchases,
        "product_costs" => Shape::ProductCosts,
        _ => Shape::Other,
    }
}

/// A text table file opened for reading, with its header read.
pub(crate) struct TextSource {
    pub path: PathBuf,
    pub encoding: Encoding,
    pub layout: Layout,
    pub bom: u64,
    pub labels: Vec<String>,
    /// Sheet name and its CSV text, for a spreadsheet.
    pub sheet: Option<String>,
    pub data: Option<std::sync::Arc<Vec<u8>>>,
}

impl TextSource {
    /// Writes a record back as one line of the file's layout, for the rejects file.
    pub(crate) fn record_text(&self, fields: &[String]) -> String {
        match self.layout {
            Layout::Delimited(delimiter) => {
                let mut out = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .from_writer(Vec::new());
                let _ = out.write_record(fields);
                let bytes = out.into_inner().unwrap_or_default();
                String::from_utf8_lossy(&bytes)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned()
            }
            Layout::Aligned => fields.join(" "),
        }
    }

    /// Names the format the file was read as.
    pub(crate) fn format(&self) -> &'static str {
        match (&self.sheet, self.layout) {
            (Some(_), _) => "xlsx",
            (None, Layout::Delimited(_)) => "csv",
            (None, Layout::Aligned) => "text",
        }
    }
}

/// Record reader over a text table.
pub(crate) enum Records {
    Delimited {
        reader: csv::Reader<QuoteTracker<Box<dyn Read + Send>>>,
        /// Number records as sheet rows instead of file lines.
        by_record: bool,
    },
    Aligned {
        reader: Box<dyn BufRead + Send>,
        line: u64,
    },
}

/// One data record: its line and its fields, decoded.
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<String>,
    /// Set when a field was not valid in the file's encoding.
    pub bad_encoding: Option<usize>,
}

/// Passes a text through and follows its quotes, to tell a file that ends inside a quoted
/// field, which the CSV parser would read as one long last field.
pub(crate) struct QuoteTracker<R> {
    inner: R,
    state: crate::pipeline::QuoteState,
    /// Line breaks read so far.
    lines: u64,
    /// Line breaks before the start of the last record.
    record_lines: u64,
    at_end: bool,
}

impl<R: Read> QuoteTracker<R> {
    fn new(inner: R, delimiter: u8) -> QuoteTracker<R> {
        QuoteTracker {
            inner,
            state: crate::pipeline::QuoteState::new(delimiter),
            lines: 0,
            record_lines: 0,
            at_end: false,
        }
    }

    /// Once the whole text is read and a quote is still open: the line where the record with
    /// the open quote starts and the lines it takes.
    fn open_quote(&self) -> Option<(u64, u64)> {
        (self.at_end && self.state.in_quotes()).then(|| {
            (
                self.record_lines + 1,
                (self.lines - self.record_lines).max(1),
            )
        })
    }
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        if read == 0 && !buffer.is_empty() {
            self.at_end = true;
        }
        let scan = self.state.scan(&buffer[..read]);
        if scan.boundary.is_some() {
            self.record_lines = self.lines + scan.lines_to_boundary;
        }
        self.lines += scan.lines;
        Ok(read)
    }
}

fn open_reader(
    path: &Path,
    encoding: Encoding,
    bom: u64,
) -> Result<Box<dyn Read + Send>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(bom)).map_err(io)?;
    let reader = BufReader::with_capacity(1 << 20, file);
    Ok(match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let transcoding = if encoding == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(transcoding))
                    .build(reader),
            )
        }
        _ => Box::new(reader),
    })
}

fn decode(bytes: &[u8], encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Windows1251 | Encoding::Koi8R if crate::detect::utf8_in_single_byte(bytes) => {
            None
        }
        Encoding::Windows1251 | Encoding::Koi8R => Some(encoding.decode_lossy(bytes)),
        _ => std::str::from_utf8(bytes).ok().map(str::to_owned),
    }
}

impl Records {
    fn open(source: &TextSource) -> Result<Records, ImportError> {
        let reader: Box<dyn Read + Send> = match &source.data {
            Some(data) => Box::new(std::io::Cursor::new(SharedBytes(data.clone()))),
            None => open_reader(&source.path, source.encoding, source.bom)?,
        };
        Ok(match source.layout {
            // Records end at a line feed only, so the parser numbers the lines of CRLF files
            // right. The carriage return is then cut off the last field.
            Layout::Delimited(delimiter) => Records::Delimited {
                reader: csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .terminator(csv::Terminator::Any(b'\n'))
                    .buffer_capacity(1 << 20)
                    .from_reader(QuoteTracker::new(reader, delimiter)),
                by_record: source.sheet.is_some(),
            },
            Layout::Aligned => Records::Aligned {
                reader: Box::new(BufReader::new(reader)),
                line: 0,
            },
        })
    }

    /// Reads the next record that is not blank.
    pub(crate) fn next(
        &mut self,
        path: &Path,
        encoding: Encoding,
    ) -> Result<Option<Record>, ImportError> {
        let io = |error: std::io::Error| ImportError::Io {
            path: path.to_owned(),
            source: error,
        };
        loop {
            match self {
                Records::Delimited { reader, by_record } => {
                    let mut record = csv::ByteRecord::new();
                    let more = reader
                        .read_byte_record(&mut record)
                        .map_err(|e| io(std::io::Error::other(e)))?;
                    if let Some((line, lines)) = reader.get_ref().open_quote() {
                        return Err(ImportError::UnterminatedQuote {
                            path: path.to_owned(),
                            line,
                            lines,
                        });
                    }
                    if !more {
                        return Ok(None);
                    }
                    trim_carriage_return(&mut record);
                    if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                        continue;
                    }
                    let line = match by_record {
                        true => record.position().map_or(0, |p| p.record() + 1),
                        false => record.position().map_or(0, |p| p.line()),
                    };
                    let mut fields = Vec::with_capacity(record.len());
                    let mut bad_encoding = None;
                    for (i, field) in record.iter().enumerate() {
                        match decode(field, encoding) {
                            Some(text) => fields.push(text),
                            None => {
                                bad_encoding.get_or_insert(i);
                                fields.push(String::from_utf8_lossy(field).into_owned());
                            }
                        }
                    }
                    return Ok(Some(Record {
                        line,
                        fields,
                        bad_encoding,
                    }));
                }
                Records::Aligned { reader, line } => {
                    let mut bytes = Vec::new();
                    let read = reader.read_until(b'\n', &mut bytes).map_err(io)?;
                    if read == 0 {
                        return Ok(None);
                    }
                    *line += 1;
                    let (text, bad_encoding) = match decode(&bytes, encoding) {
                        Some(text) => (text, None),
                        None => (String::from_utf8_lossy(&bytes).into_owned(), Some(0)),
                    };
                    let fields: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
                    if fields.is_empty() {
                        continue;
                    }
                    return Ok(Some(Record {
                        line: *line,
                        fields,
                        bad_encoding,
                    }));
                }
            }
        }
    }
}

/// Cuts the carriage return of a CRLF line end off the last field of a record.
fn trim_carriage_return(record: &mut csv::ByteRecord) {
    let Some(last) = record.len().checked_sub(1) else {
        return;
    };
    if record.get(last).is_some_and(|field| field.ends_with(b"\r")) {
        let fields: Vec<Vec<u8>> = record
            .iter()
            .enumerate()
            .map(|(i, field)| match i == last {
                true => field[..field.len() - 1].to_vec(),
                false => field.to_vec(),
            })
            .collect();
        let position = record.position().cloned();
        *record = csv::ByteRecord::from(fields);
        record.set_position(position);
    }
}

/// Opens the records of a text table after its header.
pub(crate) fn records(source: &TextSource) -> Result<Records, ImportError> {
    let mut records = Records::open(source)?;
    let _header = records.next(&source.path, source.encoding)?;
    Ok(records)
}

/// Decides whether the text is aligned by whitespace: no delimiter in the header, and the
/// header and nearly all of the first lines split on runs of spaces into the same number of
/// fields, at least two. A line of another width is a row to reject, not a sign of another
/// layout.
fn is_aligned(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return false;
    };
    if header.contains([',', ';', '\t', '"']) {
        return false;
    }
    let width = header.split_whitespace().count();
    if width < 2 {
        return false;
    }
    let rest: Vec<&str> = lines.take(200).collect();
    // The sample may end in the middle of a line.
    let complete = &rest[..rest.len().saturating_sub(1).max(1).min(rest.len())];
    let same = complete
        .iter()
        .filter(|l| l.split_whitespace().count() == width)
        .count();
    same * 10 >= complete.len() * 9
}

/// Bytes shared between the readers of one spreadsheet sheet.
struct SharedBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Reads a sheet of a spreadsheet as a comma-separated text table.
fn open_sheet(path: &Path, options: &crate::ImportOptions) -> Result<TextSource, ImportError> {
    let text = crate::sheet::read_sheet(path, options.sheet.as_deref())?;
    let mut source = TextSource {
        path: path.to_owned(),
        encoding: Encoding::Utf8,
        layout: Layout::Delimited(b','),
        bom: 0,
        labels: Vec::new(),
        sheet: Some(text.sheet),
        data: Some(std::sync::Arc::new(text.csv)),
    };
    let mut records = Records::open(&source)?;
    let Some(header) = records.next(path, Encoding::Utf8)? else {
        return Err(ImportError::EmptyFile {
            path: path.to_owned(),
        });
    };
    source.labels = header.fields.iter().map(|l| l.trim().to_owned()).collect();
    Ok(source)
}

/// Opens a text table: detects encoding and layout and reads the header. A spreadsheet's sheet
/// is read as CSV text.
pub(crate) fn open(path: &Path, options: &crate::ImportOptions) -> Result<TextSource, ImportError> {
    let Some(sniffed) = detect::sniff(path, options.encoding)? else {
        return open_sheet(path, options);
    };
    let (encoding, bom, text_sample) = (sniffed.encoding, sniffed.bom, sniffed.text);
    let layout = match options.delimiter {
        Some(delimiter) => Layout::Delimited(delimiter),
        None if is_aligned(&text_sample) => Layout::Aligned,
        None => Layout::Delimited(detect::detect_delimiter(&text_sample)),
    };
    let mut source = TextSource {
        path: path.to_owned(),
        encoding,
        layout,
        bom: bom as u64,
        labels: Vec::new(),
        sheet: None,
        data: None,
    };

    let mut records = Records::open(&source)?;
    let Some(header) = records.next(path, encoding)? else {
        return Err(ImportError::EmptyFile {
            path: path.to_owned(),
        });
    };
    source.labels = header.fields.iter().map(|l| l.trim().to_owned()).collect();
    Ok(source)
}

/// Plan of a column: where its values come from and how they are read.
#[derive(Debug, Clone)]
pub(crate) struct PlannedColumn {
    pub def: ColumnDef,
    pub position: usize,
    pub read_as: ColumnType,
}

/// Sniffs a column's type from sample values. Whole numbers with leading zeros stay text (codes
/// such as `00017` keep their digits); `yyyymmdd` numbers that are all valid dates are dates.
fn sniff(values: &[&str]) -> ColumnType {
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return ColumnType::Kind(Kind::Text);
    }

    let all = |test: &dyn Fn(&str) -> bool| values.iter().all(|v| test(v));
    let plain_digits = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };

    if all(&|v| {
        v.len() == 8
            && plain_digits(v)
            && matches!(parse_date(v), Ok(Some(d)) if (1900..2100).contains(&chrono::Datelike::year(&d)))
    }) {
        return ColumnType::Kind(Kind::Date);
    }

    if all(&|v| plain_digits(v)) {
        let padded = values.iter().any(|v| v.len() > 1 && v.starts_with('0'));
        return ColumnType::Kind(if padded { Kind::Text } else { Kind::Int });
    }

    let has_date_shape = |v: &str| {
        v.len() >= 8
            && (v.as_bytes()[2] == b'.' || v.as_bytes()[4] == b'-' || v.as_bytes()[2] == b'/')
    };

    if all(&|v| has_date_shape(v) && !v.contains([' ', 'T']) && parse_date(v).is_ok()) {
        return ColumnType::Kind(Kind::Date);
    }

    if all(&|v| has_date_shape(v) && parse_wall_time(&v.replace('/', ".")).is_ok()) {
        return ColumnType::Kind(Kind::Time);
    }

    if all(&|v| parse_bool(v).is_ok()) && values.iter().any(|v| !matches!(*v, "0" | "1")) {
        return ColumnType::Kind(Kind::Bool);
    }

    if all(&|v| v.chars().any(|c| c.is_ascii_digit()) && parse_money(v).is_ok()) {
        return ColumnType::Kind(Kind::Money);
    }

    if all(&|v| parse_float(v).is_ok()) {
        return ColumnType::Kind(Kind::Float);
    }
    ColumnType::Kind(Kind::Text)
}

/// Column names for the labels: snake_case, made unique by position.
fn column_names(labels: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(labels.len());
    for (i, label) in labels.iter().enumerate() {
        let mut base = snake_case(label);
        if base.is_empty() {
            base = format!("column_{}", i + 1);
        }
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}__{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// Settings of a generic import.
pub(crate) struct GenericPlanInput<'a> {
    pub shape: Shape,
    pub mappings: &'a [ColumnMapping],
    /// Types of the columns the table already has: new files are read into them.
    pub existing: &'a [(String, Kind)],
}

/// Plans the columns of a text table from its header and a sample of rows.
pub(crate) fn plan(
    source: &TextSource,
    input: &GenericPlanInput<'_>,
) -> Result<Vec<PlannedColumn>, ImportError> {
    let mut records = Records::open(source)?;
    let _header = records.next(&source.path, source.encoding)?;
    let mut samples: Vec<Vec<String>> = vec![Vec::new(); source.labels.len()];
    for _ in 0..SNIFF_ROWS {
        let Some(record) = records.next(&source.path, source.encoding)? else {
            break;
        };
        if record.fields.len() != source.labels.len() {
            continue;
        }
        for (sample, field) in samples.iter_mut().zip(record.fields) {
            sample.push(field);
        }
    }
    let renamed = |label: &str| {
        input
            .mappings
            .iter()
            .find(|m| normalize_label(&m.label) == normalize_label(label) && !m.name.is_empty())
    };
    // A name given with --column must not be one that another column gets on its own.
    for (position, label) in source.labels.iter().enumerate() {
        let Some(mapping) = renamed(label) else {
            continue;
        };
        let requested = snake_case(&mapping.name);
        if let Some(other) = source
            .labels
            .iter()
            .enumerate()
            .find(|(p, l)| *p != position && renamed(l).is_none() && snake_case(l) == requested)
        {
            return Err(ImportError::DuplicateColumn {
                path: source.path.clone(),
                name: requested,
                first: label.clone(),
                second: other.1.clone(),
            });
        }
    }
    // Repeated labels are numbered after the renames, so a renamed label frees its name.
    let naming: Vec<String> = source
        .labels
        .iter()
        .map(|label| renamed(label).map_or_else(|| label.clone(), |m| m.name.clone()))
        .collect();
    let names = column_names(&naming);
    let mut planned = Vec::with_capacity(source.labels.len());
    for (position, label) in source.labels.iter().enumerate() {
        let mapping = input
            .mappings
            .iter()
            .find(|m| normalize_label(&m.label) == normalize_label(label));
        let standard = standard_match(input.shape, label)
            .filter(|s| !planned.iter().any(|p: &PlannedColumn| p.def.name == s.name));
        let name = match (mapping, standard) {
            (Some(m), _) if !m.name.is_empty() => snake_case(&m.name),
            (_, Some(s)) => s.name.to_owned(),
            _ => names[position].clone(),
        };
        let existing = input
            .existing
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| ColumnType::Kind(*kind));
        let read_as = match (mapping.and_then(|m| m.kind), standard, existing) {
            (Some(kind), _, _) => kind,
            (None, Some(s), _) => s.kind,
            (None, None, Some(kind)) => kind,
            (None, None, None) => {
                let values: Vec<&str> = samples[position].iter().map(String::as_str).collect();
                sniff(&values)
            }
        };
        let read_as = match (existing, read_as) {
            // A month column of an existing table is a DATE; keep reading months.
            (Some(ColumnType::Kind(Kind::Date)), ColumnType::Month) => ColumnType::Month,
            (Some(kind), _) => kind,
            (None, kind) => kind,
        };
        if let Some(other) = planned.iter().find(|p| p.def.name == name) {
            return Err(ImportError::DuplicateColumn {
                path: source.path.clone(),
                name,
                first: source.labels[other.position].clone(),
                second: label.clone(),
            });
        }
        planned.push(PlannedColumn {
            def: ColumnDef::new(&name, read_as.kind()).labeled(label),
            position,
            read_as,
        });
    }
    for mapping in input.mappings {
        if !source
            .labels
            .iter()
            .any(|l| normalize_label(l) == normalize_label(&mapping.label))
        {
            return Err(ImportError::MappingLabelMissing {
                path: source.path.clone(),
                label: mapping.label.clone(),
                header: source.labels.join(", "),
            });
        }
    }
    Ok(planned)
}

fn parse_value(read_as: ColumnType, text: &str, zone: chrono_tz::Tz) -> Result<Cell, ValueError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Cell::Null);
    }
    Ok(match read_as {
        ColumnType::Month => parse_month(trimmed)?.map_or(Cell::Null, |d| Cell::Date(days(d))),
        ColumnType::Kind(kind) => match kind {
            Kind::Int => parse_integer(trimmed)?.map_or(Cell::Null, Cell::Int),
            Kind::Money => parse_money(trimmed)?.map_or(Cell::Null, Cell::Money),
            Kind::Float => parse_float(trimmed)?.map_or(Cell::Null, Cell::Float),
            Kind::Bool => parse_bool(trimmed)?.map_or(Cell::Null, Cell::Bool),
            Kind::Date => parse_date(trimmed)?.map_or(Cell::Null, |d| Cell::Date(days(d))),
            Kind::Time => match parse_wall_time(&trimmed.replace('/', "."))? {
                Some(wall) => Cell::Time(wall_time_to_micros(wall, zone)?),
                None => Cell::Null,
            },
            Kind::Text => Cell::Text(trimmed.to_owned()),
            Kind::List => Cell::List(split_tags(trimmed).map(str::to_owned).collect()),
            Kind::IntList => {
                let mut items = Vec::new();
                for item in split_tags(trimmed) {
                    items.extend(parse_integer(item)?);
                }
                Cell::IntList(items)
            }
        },
    })
}

/// Checks a cell of a standard table against the table's rules and returns the reason code of
/// the rule it breaks. The codes are `missing_value` for an empty cell the reports need,
/// `negative_value` for spend, clicks or impressions below zero, and `percent_out_of_range` for a
/// cost share outside 0–100.
fn standard_rule(shape: Shape, column: &str, cell: &Cell) -> Option<&'static str> {
    let required = match shape {
        Shape::AdSpend => matches!(column, "date" | "channel" | "spend"),
        Shape::Expenses => matches!(column, "month" | "category" | "amount"),
        Shape::ProductCosts => matches!(column, "product" | "cost_pct"),
        Shape::Purchases => matches!(column, "customer_id" | "date" | "amount"),
        Shape::Other => false,
    };
    let empty = match cell {
        Cell::Null => true,
        Cell::Text(text) => text.is_empty(),
        _ => false,
    };
    if required && empty {
        return Some("missing_value");
    }
    let negative = match cell {
        Cell::Int(n) => *n < 0,
        Cell::Money(n) => *n < 0,
        Cell::Float(n) => *n < 0.0,
        _ => false,
    };
    if shape == Shape::AdSpend && matches!(column, "spend" | "clicks" | "impressions") && negative {
        return Some("negative_value");
    }
    if shape == Shape::ProductCosts
        && column == "cost_pct"
        && let Cell::Float(share) = cell
        && !(0.0..=100.0).contains(share)
    {
        return Some("percent_out_of_range");
    }
    None
}

fn days(date: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    i32::try_from((date - epoch).num_days()).unwrap_or_default()
}

/// Writes the rows of one text table file into `writer`, rejected rows into `rejects`.
/// Keys of the rows of one file read so far into a keyed table, with the line of each, so that
/// a second row with the same key in the file is rejected instead of silently replacing the
/// first. A later file of the same import replaces rows by key, like a corrected report.
pub(crate) struct KeysSeen {
    key: Vec<String>,
    first: HashMap<String, u64>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn import_file(
    source: &TextSource,
    shape: Shape,
    columns: &[PlannedColumn],
    writer: &mut TableWriter,
    rejects: &mut RejectsWriter,
    keys: &mut KeysSeen,
    zone: chrono_tz::Tz,
    l: &Localizer,
) -> Result<SourceMeta, ImportError> {
    let key_positions: Option<Vec<usize>> = keys
        .key
        .iter()
        .map(|name| columns.iter().position(|c| c.def.name == *name))
        .collect();
    let key_positions = key_positions.filter(|positions| !positions.is_empty());
    keys.first.clear();
    let mut records = Records::open(source)?;
    let _header = records.next(&source.path, source.encoding)?;
    let rejected_before = rejects.count();
    let mut imported = 0u64;
    let expected = source.labels.len();
    let record_text = |fields: &[String]| source.record_text(fields);
    while let Some(record) = records.next(&source.path, source.encoding)? {
        let reject = |rejects: &mut RejectsWriter,
                      column: &str,
                      value: &str,
                      code: &'static str,
                      reason: String| {
            rejects.write(Reject {
                file: source.path.clone(),
                line: record.line,
                column: column.to_owned(),
                value: value.to_owned(),
                reason_code: code,
                reason,
                record: record_text(&record.fields),
            })
        };
        if record.fields.len() != expected {
            let reason = l.format(
                "reject-field-count",
                &[
                    ("expected", Arg::from(expected)),
                    ("actual", Arg::from(record.fields.len())),
                ],
            );
            reject(rejects, "", "", "wrong_field_count", reason)?;
            continue;
        }
        if let Some(position) = record.bad_encoding {
            let reason = l.format(
                "reject-invalid-encoding",
                &[("encoding", Arg::from(source.encoding.to_string()))],
            );
            let value = record.fields[position].clone();
            reject(
                rejects,
                &source.labels[position],
                &value,
                "invalid_encoding",
                reason,
            )?;
            continue;
        }
        let mut cells = Vec::with_capacity(columns.len());
        let mut failure = None;
        for column in columns {
            let text = &record.fields[column.position];
            // A cost share may carry its percent sign: `62 %`.
            let parsed = if shape == Shape::ProductCosts && column.def.name == "cost_pct" {
                parse_value(column.read_as, text.trim().trim_end_matches('%'), zone)
            } else {
                parse_value(column.read_as, text, zone)
            };
            match parsed {
                Ok(cell) => cells.push(cell),
                Err(error) => {
                    failure = Some((column, text.clone(), error));
                    break;
                }
            }
        }
        // The standard tables' own rules: what must be there, and what cannot be negative.
        let broken_rule = columns.iter().zip(&cells).find_map(|(column, cell)| {
            standard_rule(shape, &column.def.name, cell).map(|code| (column, code))
        });
        if let Some((column, code)) = broken_rule {
            let label = &source.labels[column.position];
            let reason = l.format(
                &format!("reject-{}", code.replace('_', "-")),
                &[("column", Arg::from(label))],
            );
            let value = record.fields[column.position].clone();
            reject(rejects, label, &value, code, reason)?;
            continue;
        }
        if let Some((column, value, error)) = failure {
            let reason = l.format(error.message_id(), &[("timezone", Arg::from(zone.name()))]);
            reject(
                rejects,
                &source.labels[column.position],
                &value,
                error.code(),
                reason,
            )?;
            continue;
        }
        if let Some(positions) = &key_positions {
            let text: Vec<String> = positions
                .iter()
                .map(|p| format!("{:?}", cells[*p]))
                .collect();
            let joined = text.join("\u{1f}");
            if let Some(line) = keys.first.get(&joined) {
                let reason = l.format(
                    "reject-duplicate-key",
                    &[
                        ("key", Arg::from(keys.key.join(", "))),
                        ("line", Arg::from(*line)),
                    ],
                );
                let value: Vec<&str> = positions
                    .iter()
                    .map(|p| record.fields[columns[*p].position].as_str())
                    .collect();
                reject(rejects, "", &value.join(", "), "duplicate_key", reason)?;
                continue;
            }
            keys.first.insert(joined, record.line);
        }
        writer.push_row(cells)?;
        imported += 1;
    }
    Ok(SourceMeta {
        path: source.path.display().to_string(),
        format: source.format().to_owned(),
        encoding: source.encoding.to_string(),
        delimiter: source.layout.name(),
        rows: imported,
        rejected: rejects.count() - rejected_before,
        columns: columns
            .iter()
            .map(|c| ColumnMeta {
                name: c.def.name.clone(),
                label: c.def.label.clone().unwrap_or_default(),
                position: c.position,
            })
            .collect(),
        fingerprint: None,
        sheet: source.sheet.clone(),
    })
}

/// Counts the data records of a text table, for a dry run.
pub(crate) fn count_records(source: &TextSource) -> Result<u64, ImportError> {
    let mut records = Records::open(source)?;
    let _header = records.next(&source.path, source.encoding)?;
    let mut count = 0;
    while records.next(&source.path, source.encoding)?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// Output of a generic import before the merge.
pub(crate) struct Written {
    pub files: Vec<DataFile>,
    pub sources: Vec<SourceMeta>,
}

/// Imports text table files into `table` in one writer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn import_files(
    transaction: &mut Transaction,
    table: &str,
    sources: &[TextSource],
    input: &GenericPlanInput<'_>,
    key: &[String],
    rejects: &mut RejectsWriter,
    zone: chrono_tz::Tz,
    l: &Localizer,
) -> Result<Written, ImportError> {
    let mut files = Vec::new();
    let mut metas = Vec::new();
    let mut keys = KeysSeen {
        key: key.to_vec(),
        first: HashMap::new(),
    };
    for source in sources {
        let columns = plan(source, input)?;
        let defs: Vec<ColumnDef> = columns.iter().map(|c| c.def.clone()).collect();
        let mut writer = TableWriter::create(transaction, table, &defs, zone.name())?;
        let meta = import_file(
            source,
            input.shape,
            &columns,
            &mut writer,
            rejects,
            &mut keys,
            zone,
            l,
        )?;
        files.extend(writer.finish()?);
        metas.push(meta);
    }
    Ok(Written {
        files,
        sources: metas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_text_short_row() {
        let mut text = String::from("id date n amount\n");
        for n in 0..30 {
            text.push_str(&format!("{n:05} 19970101 1 11.77\n"));
        }
        assert!(is_aligned(text.as_bytes()));
        // A row that lost a field near the top is a row to reject, not another layout.
        let short = text.replacen("00004 19970101 1 11.77", "00004 19970101 1", 1);
        assert!(is_aligned(short.as_bytes()));
        // Many rows of other widths are not aligned text.
        let ragged = text.replace(" 1 ", " ");
        assert!(!is_aligned(ragged.as_bytes()));
        assert!(!is_aligned(b"id,date\n1,2\n"));
    }
}
