//! Reading one amoCRM deals export into Arrow batches and a Parquet file.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use crmsql_i18n::{Arg, Localizer};
use crmsql_schema::deals::{HeaderPlan, REQUIRED_COLUMNS, ValueKind, known_column};
use crmsql_schema::naming::normalize_label;
use crmsql_schema::warehouse::{ColumnMeta, DataFile, SourceMeta};
use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;

use crate::detect::{Encoding, delimiter_name};
use crate::error::ImportError;
use crate::lines::LineLocator;
use crate::output::{BATCH_ROWS, LABEL_METADATA_KEY, writer_properties};
use crate::rejects::{Reject, RejectsWriter};
use crate::values::{
    ValueError, is_open_marker, parse_integer, parse_money, parse_wall_time, split_tags, trim,
    wall_time_to_micros,
};

/// Stage names that mean a won or lost deal, compared after normalization.
#[derive(Debug, Clone)]
pub(crate) struct StageNames {
    won: HashSet<String>,
    lost: HashSet<String>,
}

impl StageNames {
    pub(crate) fn new(extra_won: &[String], extra_lost: &[String]) -> StageNames {
        let mut won: HashSet<String> = ["успешно реализовано", "closed - won", "closed won", "won"]
            .map(String::from)
            .into();
        let mut lost: HashSet<String> = [
            "закрыто и не реализовано",
            "closed - lost",
            "closed lost",
            "lost",
        ]
        .map(String::from)
        .into();
        won.extend(extra_won.iter().map(|name| normalize_label(name)));
        lost.extend(extra_lost.iter().map(|name| normalize_label(name)));
        StageNames { won, lost }
    }

    /// Classifies a stage cell like [`StageNames::classify`], with the stage name and loss
    /// reason given as byte ranges of the cell, so the result can be cached by the cell's text.
    fn classify_ranges(&self, raw: &str) -> Classified {
        let (stage, outcome, reason) = self.classify(raw);
        let range = |part: &str| {
            let start = part.as_ptr() as usize - raw.as_ptr() as usize;
            (start, start + part.len())
        };
        Classified {
            stage: range(stage),
            outcome,
            reason: reason.map(range),
        }
    }

    /// Splits a stage cell into the stage name, the outcome and the loss reason.
    ///
    /// Lost deals may carry the reason in brackets: `Закрыто и не реализовано (Дорого)`.
    fn classify<'a>(&self, stage: &'a str) -> (&'a str, &'static str, Option<&'a str>) {
        let stage = stage.trim();
        let normalized = normalize_label(stage);
        if self.won.contains(&normalized) {
            return (stage, "won", None);
        }
        if self.lost.contains(&normalized) {
            return (stage, "lost", None);
        }
        // The reason runs from the bracket after the stage name to the last bracket, so it may
        // hold brackets itself: `Закрыто и не реализовано (Выбрали другого (дешевле))`.
        if stage.ends_with(')') {
            for (open, _) in stage.match_indices('(') {
                let base = stage[..open].trim_end();
                if self.lost.contains(&normalize_label(base)) {
                    let reason = stage[open + 1..stage.len() - 1].trim();
                    return (base, "lost", (!reason.is_empty()).then_some(reason));
                }
            }
        }
        (stage, "open", None)
    }
}

/// A stage cell classified: byte ranges of the stage name and the loss reason in the cell.
#[derive(Debug, Clone, Copy)]
struct Classified {
    stage: (usize, usize),
    outcome: &'static str,
    reason: Option<(usize, usize)>,
}

/// State of one thread that makes [`DealPlan::push`] cheaper per row: stage cells already
/// classified, the offset of the account's zone on each day without a clock change, and the
/// buffer of a row's values.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    stages: HashMap<Box<str>, Classified, ahash::RandomState>,
    offsets: HashMap<chrono::NaiveDate, Option<i64>, ahash::RandomState>,
    last_offset: Option<(chrono::NaiveDate, Option<i64>)>,
    values: Vec<Value>,
}

impl Scratch {
    fn classify(&mut self, stages: &StageNames, raw: &str) -> Classified {
        if let Some(classified) = self.stages.get(raw) {
            return *classified;
        }
        let classified = stages.classify_ranges(raw);
        self.stages.insert(raw.into(), classified);
        classified
    }

    /// Converts a wall time of `zone` to microseconds, looking the offset up once per day.
    fn micros(&mut self, wall: chrono::NaiveDateTime, zone: Tz) -> Result<i64, ValueError> {
        use chrono::Offset;
        use chrono::TimeZone;
        let date = wall.date();
        let offset = match self.last_offset {
            Some((day, offset)) if day == date => offset,
            _ => {
                let offset = *self.offsets.entry(date).or_insert_with(|| {
                    let at = |h, m, s| {
                        date.and_hms_opt(h, m, s)
                            .and_then(|t| zone.offset_from_local_datetime(&t).single())
                            .map(|o| o.fix().local_minus_utc())
                    };
                    match (at(0, 0, 0), at(23, 59, 59)) {
                        (Some(start), Some(end)) if start == end => Some(i64::from(start)),
                        _ => None,
                    }
                });
                self.last_offset = Some((date, offset));
                offset
            }
        };
        match offset {
            Some(seconds) => Ok(wall.and_utc().timestamp_micros() - seconds * 1_000_000),
            // The clocks change that day: convert exactly.
            None => wall_time_to_micros(wall, zone),
        }
    }
}

/// Settings shared by all files of one import.
pub(crate) struct DealsContext<'a> {
    pub zone: Tz,
    pub stages: StageNames,
    pub l: &'a Localizer,
    /// Line finders, one per source file. `None` for files transcoded while reading, whose
    /// parser offsets do not match the file's bytes, so the parser's line count is used.
    pub locators: Vec<Option<RefCell<LineLocator>>>,
}

/// An export file opened for reading, with its header already read.
pub(crate) struct OpenedSource {
    pub path: PathBuf,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Bytes of the byte-order mark skipped before parsing.
    pub bom: u64,
    pub reader: csv::Reader<Box<dyn Read + Send>>,
    pub labels: Vec<String>,
    /// Sheet name, for a spreadsheet read as CSV; its rows are numbered as in the sheet.
    pub sheet: Option<String>,
}

/// Source of a table column's values.
#[derive(Debug, Clone)]
enum ColumnSource {
    /// Export columns, first non-empty wins: the column itself, then repeats of its label.
    Cells(Vec<usize>),
    Outcome,
    LossReason,
    Missing,
}

struct OutputColumn {
    name: String,
    label: Option<String>,
    kind: ValueKind,
    source: ColumnSource,
    /// Notes keep their text as written; other text is trimmed.
    trim: bool,
    /// Whether the column is `stage`, filled from the classified stage cell.
    is_stage: bool,
    /// Whether a line break in the cell marks glued rows: true for named single-line columns.
    single_line: bool,
}

pub(crate) enum Builder {
    Id(Int64Builder),
    Text(StringBuilder),
    Money(Decimal128Builder),
    Time(TimestampMicrosecondBuilder),
    Tags(ListBuilder<StringBuilder>),
}

/// Parsed value of one cell, ready to append. Text is kept as a cell's position and a byte
/// range in it, so that the values of a row fit a buffer reused from row to row.
#[derive(Debug, Clone, Copy)]
enum Value {
    Null,
    Int(i64),
    Cell {
        cell: u32,
        start: u32,
        end: u32,
    },
    Fixed(&'static str),
    Money(i128),
    Time(i64),
    /// A cell of tags.
    Tags(u32),
    /// A cell of phones or e-mails joined by commas.
    Contacts(u32),
}

impl Value {
    /// Text of `part`, a slice of the cell at `cell`.
    fn part(cell: usize, text: &str, part: &str) -> Value {
        let start = part.as_ptr() as usize - text.as_ptr() as usize;
        Value::Cell {
            cell: cell as u32,
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    }
}

fn data_type(kind: ValueKind, zone: &str) -> DataType {
    match kind {
        ValueKind::Id => DataType::Int64,
        ValueKind::Text => DataType::Utf8,
        ValueKind::Money => DataType::Decimal128(18, 2),
        ValueKind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some(zone.into())),
        ValueKind::TagList | ValueKind::Phone | ValueKind::Email => {
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
        }
    }
}

fn plan_columns(plan: &HeaderPlan) -> Vec<OutputColumn> {
    let mut columns = Vec::with_capacity(plan.columns.len() + 2);
    let mut placed = HashSet::new();

    let sources_of = |name: &str| -> Vec<usize> {
        let mut positions: Vec<usize> = plan.column(name).map(|c| c.position).into_iter().collect();
        positions.extend(
            plan.columns
                .iter()
                .filter(|c| c.fills.as_deref() == Some(name))
                .map(|c| c.position),
        );
        positions
    };

    for name in REQUIRED_COLUMNS {
        let known = known_column(name);
        let kind = known.map_or(ValueKind::Text, |k| k.kind);
        let source = match *name {
            "outcome" => ColumnSource::Outcome,
            "loss_reason" => ColumnSource::LossReason,
            _ => {
                let positions = sources_of(name);
                if positions.is_empty() {
                    ColumnSource::Missing
                } else {
                    ColumnSource::Cells(positions)
                }
            }
        };
        let label = plan.column(name).map(|c| c.label.clone());
        columns.push(OutputColumn {
            name: (*name).to_owned(),
            label,
            kind,
            source,
            trim: true,
            is_stage: *name == "stage",
            single_line: known.is_some(),
        });
        placed.insert((*name).to_owned());
    }

    for column in &plan.columns {
        if placed.contains(&column.name) {
            continue;
        }
        let positions = if column.fills.is_none() && known_column(&column.name).is_some() {
            sources_of(&column.name)
        } else {
            vec![column.position]
        };
        let trim = !column.name.starts_with("note_");
        columns.push(OutputColumn {
            name: column.name.clone(),
            label: Some(column.label.clone()),
            kind: column.kind,
            source: ColumnSource::Cells(positions),
            trim,
            is_stage: column.name == "stage",
            single_line: trim && known_column(&column.name).is_some(),
        });
    }
    columns
}

fn schema_of(columns: &[OutputColumn], zone: &str) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|column| {
            let nullable = column.kind != ValueKind::Id;
            let field = Field::new(&column.name, data_type(column.kind, zone), nullable);
            match &column.label {
                Some(label) => field.with_metadata(HashMap::from([(
                    LABEL_METADATA_KEY.to_owned(),
                    label.clone(),
                )])),
                None => field,
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Room a column's builder needs: values (rows, or list items) and bytes of text.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Room {
    values: usize,
    bytes: usize,
}

fn new_builders(
    columns: &[OutputColumn],
    zone: &str,
    room: Option<&[Room]>,
) -> Result<Vec<Builder>, ImportError> {
    columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let room = room.and_then(|room| room.get(index)).copied();
            let values = room.map_or(BATCH_ROWS, |room| room.values);
            let bytes = room.map_or(BATCH_ROWS * 8, |room| room.bytes);
            Ok(match column.kind {
                ValueKind::Id => Builder::Id(Int64Builder::with_capacity(values)),
                ValueKind::Text => Builder::Text(StringBuilder::with_capacity(values, bytes)),
                ValueKind::Money => Builder::Money(
                    Decimal128Builder::with_capacity(values)
                        .with_precision_and_scale(18, 2)
                        .map_err(|source| ImportError::Arrow { source })?,
                ),
                ValueKind::Timestamp => Builder::Time(
                    TimestampMicrosecondBuilder::with_capacity(values).with_timezone(zone),
                ),
                ValueKind::TagList | ValueKind::Phone | ValueKind::Email => {
                    Builder::Tags(ListBuilder::with_capacity(
                        StringBuilder::with_capacity(values, bytes),
                        room.map_or(BATCH_ROWS, |_| values),
                    ))
                }
            })
        })
        .collect()
}

/// Returns the room each builder takes now, with a margin, to size the builders of the next
/// block of about the same size.
pub(crate) fn room_of(builders: &mut [Builder]) -> Vec<Room> {
    let margin = |n: usize| n + n / 8 + 64;
    builders
        .iter_mut()
        .map(|builder| {
            let (values, bytes) = match builder {
                Builder::Id(b) => (b.len(), 0),
                Builder::Money(b) => (b.len(), 0),
                Builder::Time(b) => (b.len(), 0),
                Builder::Text(b) => (b.len(), b.values_slice().len()),
                Builder::Tags(b) => {
                    let rows = b.len();
                    let items = b.values();
                    (rows.max(items.len()), items.values_slice().len())
                }
            };
            Room {
                values: margin(values),
                bytes: margin(bytes),
            }
        })
        .collect()
}

fn append(builder: &mut Builder, value: Value, cells: &[Cow<'_, str>]) {
    let cell = |index: u32| cells[index as usize].as_ref();
    match (builder, value) {
        (Builder::Id(b), Value::Int(v)) => b.append_value(v),
        (
            Builder::Text(b),
            Value::Cell {
                cell: at,
                start,
                end,
            },
        ) => {
            b.append_value(&cell(at)[start as usize..end as usize]);
        }
        (Builder::Text(b), Value::Fixed(v)) => b.append_value(v),
        (Builder::Money(b), Value::Money(v)) => b.append_value(v),
        (Builder::Time(b), Value::Time(v)) => b.append_value(v),
        (Builder::Tags(b), Value::Tags(at)) => {
            for tag in split_tags(cell(at)) {
                b.values().append_value(tag);
            }
            b.append(true);
        }
        // Tags of an empty cell are an empty list, not NULL, so `cardinality(tags)` is 0.
        (Builder::Tags(b), Value::Contacts(at)) => {
            for item in cell(at).split([',', ';']) {
                let item = item.trim().trim_start_matches('\'').trim();
                if !item.is_empty() {
                    b.values().append_value(item);
                }
            }
            b.append(true);
        }
        (Builder::Tags(b), _) => b.append(true),
        (Builder::Id(b), _) => b.append_null(),
        (Builder::Text(b), _) => b.append_null(),
        (Builder::Money(b), _) => b.append_null(),
        (Builder::Time(b), _) => b.append_null(),
    }
}

fn finish(builders: &mut [Builder]) -> Vec<ArrayRef> {
    builders
        .iter_mut()
        .map(|builder| -> ArrayRef {
            match builder {
                Builder::Id(b) => Arc::new(b.finish()),
                Builder::Text(b) => Arc::new(b.finish()),
                Builder::Money(b) => Arc::new(b.finish()),
                Builder::Time(b) => Arc::new(b.finish()),
                Builder::Tags(b) => Arc::new(b.finish()),
            }
        })
        .collect()
}

/// A cell that could not be parsed: which column, what value, why.
fn decode<'a>(bytes: &'a [u8], encoding: Encoding) -> Result<Cow<'a, str>, ()> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom | Encoding::Utf16Le | Encoding::Utf16Be => {
            simdutf8::basic::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| ())
        }
        Encoding::Windows1251 | Encoding::Koi8R if crate::detect::utf8_in_single_byte(bytes) => {
            Err(())
        }
        Encoding::Windows1251 => Ok(encoding_rs::WINDOWS_1251
            .decode_without_bom_handling(bytes)
            .0),
        Encoding::Koi8R => Ok(encoding_rs::KOI8_R.decode_without_bom_handling(bytes).0),
    }
}

/// Writes a record back as one line of the file's format, for the rejects file.
pub(crate) fn record_text(record: &csv::ByteRecord, delimiter: u8, encoding: Encoding) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    // A UTF-8 cell in a single-byte file is shown as written, so the rejects file reads right.
    let decoded: Vec<String> = record
        .iter()
        .map(|field| match crate::detect::utf8_in_single_byte(field) {
            true => String::from_utf8_lossy(field).into_owned(),
            false => encoding.decode_lossy(field),
        })
        .collect();
    if writer.write_record(&decoded).is_err() {
        return decoded.join(&char::from(delimiter).to_string());
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

/// Reason a record was rejected. The thread that writes the rejects file words it in the
/// user's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cause {
    FieldCount {
        expected: usize,
        actual: usize,
    },
    Encoding(Encoding),
    LineBreak {
        lines: usize,
    },
    Value(ValueError),
    MissingId,
    /// The header row again, as when two exports were joined into one file.
    RepeatedHeader,
}

impl Cause {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Cause::FieldCount { .. } => "wrong_field_count",
            Cause::Encoding(_) => "invalid_encoding",
            Cause::LineBreak { .. } => "line_break_in_cell",
            Cause::Value(error) => error.code(),
            Cause::MissingId => "missing_id",
            Cause::RepeatedHeader => "repeated_header",
        }
    }

    pub(crate) fn reason(&self, l: &Localizer, zone: Tz) -> String {
        match self {
            Cause::FieldCount { expected, actual } => l.format(
                "reject-field-count",
                &[
                    ("expected", Arg::from(*expected)),
                    ("actual", Arg::from(*actual)),
                ],
            ),
            Cause::Encoding(encoding) => l.format(
                "reject-invalid-encoding",
                &[("encoding", Arg::from(encoding.to_string()))],
            ),
            Cause::LineBreak { lines } => {
                l.format("reject-line-break", &[("lines", Arg::from(*lines))])
            }
            Cause::Value(error) => {
                l.format(error.message_id(), &[("timezone", Arg::from(zone.name()))])
            }
            Cause::MissingId => l.text("reject-missing-id"),
            Cause::RepeatedHeader => l.text("reject-repeated-header"),
        }
    }
}

/// A rejected record: the cell at fault and why.
#[derive(Debug, Clone)]
pub(crate) struct RowReject {
    pub column: String,
    pub value: String,
    pub cause: Cause,
    /// For a record with too few fields that spans several lines: how many. When it is the last
    /// record of the file, a quote was never closed.
    pub spans_lines: Option<u64>,
}

/// Plan that turns the records of one deals export into rows: the columns and their cells.
/// It is shared by the threads that convert parts of the file.
pub(crate) struct DealPlan {
    pub header: HeaderPlan,
    columns: Vec<OutputColumn>,
    pub schema: SchemaRef,
    labels: Vec<String>,
    stage_position: Option<usize>,
    loss_field_position: Option<usize>,
    id_label: String,
    encoding: Encoding,
    zone: Tz,
    stages: StageNames,
}

impl DealPlan {
    pub(crate) fn new(
        labels: &[String],
        encoding: Encoding,
        zone: Tz,
        stages: StageNames,
    ) -> DealPlan {
        let header = HeaderPlan::from_labels(labels);
        let columns = plan_columns(&header);
        let schema = schema_of(&columns, zone.name());
        DealPlan {
            stage_position: header.column("stage").map(|c| c.position),
            loss_field_position: header.column("loss_reason_field").map(|c| c.position),
            id_label: header
                .column("id")
                .map_or_else(|| "ID".to_owned(), |c| c.label.clone()),
            header,
            columns,
            schema,
            labels: labels.to_vec(),
            encoding,
            zone,
            stages,
        }
    }

    pub(crate) fn builders(&self) -> Result<Vec<Builder>, ImportError> {
        new_builders(&self.columns, self.zone.name(), None)
    }

    /// Builders with the room given by [`room_of`] for an earlier block.
    pub(crate) fn builders_with_room(&self, room: &[Room]) -> Result<Vec<Builder>, ImportError> {
        new_builders(&self.columns, self.zone.name(), Some(room))
    }

    /// Turns the rows appended so far into a batch and empties the builders.
    pub(crate) fn finish(&self, builders: &mut [Builder]) -> Result<RecordBatch, ImportError> {
        RecordBatch::try_new(self.schema.clone(), finish(builders))
            .map_err(|source| ImportError::Arrow { source })
    }

    /// Appends a record to the builders and returns its deal id, or `None` for a blank line.
    pub(crate) fn push(
        &self,
        record: &csv::ByteRecord,
        builders: &mut [Builder],
        scratch: &mut Scratch,
    ) -> Result<Option<i64>, RowReject> {
        let reject = |column: &str, value: &str, cause: Cause| RowReject {
            column: column.to_owned(),
            value: value.to_owned(),
            cause,
            spans_lines: None,
        };
        // A blank line, or a row of empty cells as Excel writes for formatted blank rows, is not
        // a row.
        if record
            .iter()
            .all(|field| field.iter().all(u8::is_ascii_whitespace))
        {
            return Ok(None);
        }
        let expected = self.labels.len();
        if record.len() != expected {
            // A quote that is never closed makes the parser read to the end of the file as one
            // record. The caller stops the import if that record turns out to be the last.
            let line_breaks: usize = record
                .iter()
                .map(|f| f.iter().filter(|b| **b == b'\n').count())
                .sum();
            let mut rejected = reject(
                "",
                "",
                Cause::FieldCount {
                    expected,
                    actual: record.len(),
                },
            );
            if record.len() < expected && line_breaks > 0 {
                // The file's last line break ends up inside the open quote too.
                let trailing = record
                    .iter()
                    .next_back()
                    .is_some_and(|f| f.ends_with(b"\n"));
                rejected.spans_lines = Some(line_breaks as u64 + 1 - u64::from(trailing));
            }
            return Err(rejected);
        }

        let mut cells: Vec<Cow<'_, str>> = Vec::with_capacity(record.len());
        for (position, field) in record.iter().enumerate() {
            match decode(field, self.encoding) {
                Ok(text) => cells.push(text),
                Err(()) => {
                    let value = String::from_utf8_lossy(field);
                    return Err(reject(
                        &self.labels[position],
                        &value,
                        Cause::Encoding(self.encoding),
                    ));
                }
            }
        }
        let multiline = memchr::memchr(b'\n', record.as_slice()).is_some();
        self.push_cells(&cells, multiline, builders, scratch)
            .map(Some)
    }

    /// Returns the number of columns of the export.
    pub(crate) fn width(&self) -> usize {
        self.labels.len()
    }

    /// Appends a record whose cells are already decoded and counted, and returns its deal id.
    /// `multiline` is true when some cell has a line break.
    pub(crate) fn push_cells(
        &self,
        cells: &[Cow<'_, str>],
        multiline: bool,
        builders: &mut [Builder],
        scratch: &mut Scratch,
    ) -> Result<i64, RowReject> {
        let reject = |column: &str, value: &str, cause: Cause| RowReject {
            column: column.to_owned(),
            value: value.to_owned(),
            cause,
            spans_lines: None,
        };

        let stage_position = self.stage_position.unwrap_or(0);
        let stage_raw = self.stage_position.map_or("", |p| cells[p].as_ref());
        let classified = scratch.classify(&self.stages, stage_raw);
        let in_stage_cell = |(start, end): (usize, usize)| Value::Cell {
            cell: stage_position as u32,
            start: start as u32,
            end: end as u32,
        };
        let stage = if classified.stage.0 == classified.stage.1 {
            Value::Null
        } else {
            in_stage_cell(classified.stage)
        };
        let outcome = classified.outcome;
        let loss_reason = match (outcome, classified.reason) {
            ("lost", Some(range)) => in_stage_cell(range),
            ("lost", None) => self.loss_field_position.map_or(Value::Null, |p| {
                let text = cells[p].as_ref();
                let reason = trim(text);
                if reason.is_empty() {
                    Value::Null
                } else {
                    Value::part(p, text, reason)
                }
            }),
            _ => Value::Null,
        };

        // A rejected row drops the buffer; the next row allocates a new one.
        let mut values = std::mem::take(&mut scratch.values);
        values.clear();
        for column in &self.columns {
            let value = match &column.source {
                ColumnSource::Missing => Value::Null,
                ColumnSource::Outcome => Value::Fixed(outcome),
                ColumnSource::LossReason => loss_reason,
                ColumnSource::Cells(_) if column.is_stage => stage,
                ColumnSource::Cells(positions) => {
                    let cell = positions
                        .iter()
                        .map(|p| (*p, cells[*p].as_ref()))
                        .find(|(_, text)| !trim(text).is_empty());
                    match cell {
                        None => Value::Null,
                        // Only notes and custom text fields hold several lines. A line break in
                        // a named single-line column means a stray quote glued rows together.
                        Some((position, text))
                            if multiline && column.single_line && text.contains('\n') =>
                        {
                            let lines = text.matches('\n').count() + 1;
                            return Err(reject(
                                &self.labels[position],
                                text,
                                Cause::LineBreak { lines },
                            ));
                        }
                        Some((position, text)) => {
                            match parse_cell(column, position, text, self.zone, scratch) {
                                Ok(value) => value,
                                Err(_)
                                    if column.kind == ValueKind::Id
                                        && normalize_label(text)
                                            == normalize_label(&self.labels[position]) =>
                                {
                                    return Err(reject(
                                        &self.labels[position],
                                        text,
                                        Cause::RepeatedHeader,
                                    ));
                                }
                                Err(error) => {
                                    return Err(reject(
                                        &self.labels[position],
                                        text,
                                        Cause::Value(error),
                                    ));
                                }
                            }
                        }
                    }
                }
            };
            values.push(value);
        }

        // Every row needs an id, because reports count deals by it and the merge matches rows
        // by it.
        let id = match values.first() {
            Some(Value::Int(id)) => *id,
            _ => return Err(reject(&self.id_label, "", Cause::MissingId)),
        };
        for (builder, value) in builders.iter_mut().zip(&values) {
            append(builder, *value, cells);
        }
        scratch.values = values;
        Ok(id)
    }

    /// Describes the source for the table's metadata.
    pub(crate) fn source_meta(
        &self,
        path: &Path,
        delimiter: u8,
        sheet: Option<String>,
        rows: u64,
        rejected: u64,
    ) -> SourceMeta {
        SourceMeta {
            path: path.display().to_string(),
            format: if sheet.is_some() { "xlsx" } else { "csv" }.to_owned(),
            fingerprint: None,
            sheet,
            encoding: self.encoding.to_string(),
            delimiter: delimiter_name(delimiter),
            rows,
            rejected,
            columns: self
                .header
                .columns
                .iter()
                .map(|c| ColumnMeta {
                    name: c.name.clone(),
                    label: c.label.clone(),
                    position: c.position,
                })
                .collect(),
        }
    }
}

/// Reads every row of `source` into `out_path` on this thread, sending unreadable rows to
/// `rejects`. Used for files that are transcoded while read (UTF-16, spreadsheets).
pub(crate) fn import_file(
    source: &mut OpenedSource,
    source_index: usize,
    (relative, out_path): (String, PathBuf),
    context: &mut DealsContext<'_>,
    rejects: &mut RejectsWriter,
) -> Result<(SourceMeta, DataFile), ImportError> {
    let out_path = out_path.as_path();
    let plan = DealPlan::new(
        &source.labels,
        source.encoding,
        context.zone,
        context.stages.clone(),
    );
    let mut builders = plan.builders()?;
    let parquet_error = |source| ImportError::Parquet {
        path: out_path.to_owned(),
        source,
    };
    let file = File::create(out_path).map_err(|source| ImportError::Io {
        path: out_path.to_owned(),
        source,
    })?;
    let mut writer = ArrowWriter::try_new(file, plan.schema.clone(), Some(writer_properties()))
        .map_err(parquet_error)?;

    let l = context.l;
    let mut record = csv::ByteRecord::new();
    let mut rows_in_batch = 0usize;
    let mut imported = 0u64;
    let rejected_before = rejects.count();
    let mut open_quote: Option<(u64, u64)> = None;
    let mut scratch = Scratch::default();
    loop {
        let more = source
            .reader
            .read_byte_record(&mut record)
            .map_err(|error| ImportError::Io {
                path: source.path.clone(),
                source: std::io::Error::other(error),
            })?;
        if !more {
            break;
        }
        open_quote = None;
        let parser_line = match &source.sheet {
            Some(_) => record.position().map_or(0, |p| p.record() + 1),
            None => record.position().map_or(0, |p| p.line()),
        };
        let byte = record.position().map_or(0, |p| p.byte());
        let line = context
            .locators
            .get(source_index)
            .and_then(Option::as_ref)
            .and_then(|locator| locator.borrow_mut().line_at(byte))
            .unwrap_or(parser_line);
        match plan.push(&record, &mut builders, &mut scratch) {
            Ok(None) => {}
            Ok(Some(_)) => {
                imported += 1;
                rows_in_batch += 1;
                if rows_in_batch == BATCH_ROWS {
                    writer
                        .write(&plan.finish(&mut builders)?)
                        .map_err(parquet_error)?;
                    rows_in_batch = 0;
                }
            }
            Err(rejected) => {
                if let Some(lines) = rejected.spans_lines {
                    open_quote = Some((line, lines));
                }
                rejects.write(Reject {
                    file: source.path.clone(),
                    line,
                    column: rejected.column,
                    value: rejected.value,
                    reason_code: rejected.cause.code(),
                    reason: rejected.cause.reason(l, context.zone),
                    record: record_text(&record, source.delimiter, source.encoding),
                })?;
            }
        }
    }
    if let Some((line, lines)) = open_quote {
        return Err(ImportError::UnterminatedQuote {
            path: source.path.clone(),
            line,
            lines,
        });
    }
    if rows_in_batch > 0 {
        writer
            .write(&plan.finish(&mut builders)?)
            .map_err(parquet_error)?;
    }
    writer.close().map_err(parquet_error)?;
    let meta = plan.source_meta(
        &source.path,
        source.delimiter,
        source.sheet.clone(),
        imported,
        rejects.count() - rejected_before,
    );
    let file = DataFile {
        path: relative,
        rows: imported,
    };
    Ok((meta, file))
}

/// SQL name of the type a value kind is stored as.
pub(crate) fn kind_sql_name(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Id => "BIGINT",
        ValueKind::Text => "TEXT",
        ValueKind::Phone | ValueKind::Email => "LIST of TEXT",
        ValueKind::Money => "DECIMAL(18, 2)",
        ValueKind::Timestamp => "TIMESTAMP WITH TIME ZONE",
        ValueKind::TagList => "LIST of TEXT",
    }
}

/// Parses the cell at `position`, whose text is `text`.
fn parse_cell(
    column: &OutputColumn,
    position: usize,
    text: &str,
    zone: Tz,
    scratch: &mut Scratch,
) -> Result<Value, ValueError> {
    Ok(match column.kind {
        ValueKind::Id => parse_integer(text)?.map_or(Value::Null, Value::Int),
        ValueKind::Money => parse_money(text)?.map_or(Value::Null, Value::Money),
        ValueKind::Timestamp => {
            if is_open_marker(text) {
                Value::Null
            } else {
                match parse_wall_time(text)? {
                    Some(wall) => Value::Time(scratch.micros(wall, zone)?),
                    None => Value::Null,
                }
            }
        }
        ValueKind::TagList => Value::Tags(position as u32),
        ValueKind::Phone | ValueKind::Email => Value::Contacts(position as u32),
        ValueKind::Text if column.trim => Value::part(position, text, trim(text)),
        ValueKind::Text => Value::part(position, text, text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_outcomes() {
        let stages = StageNames::new(&["Оплачено".to_owned()], &[]);
        assert_eq!(
            stages.classify("Успешно реализовано"),
            ("Успешно реализовано", "won", None)
        );
        assert_eq!(stages.classify("оплачено"), ("оплачено", "won", None));
        assert_eq!(
            stages.classify("Закрыто и не реализовано (Дорого)"),
            ("Закрыто и не реализовано", "lost", Some("Дорого"))
        );
        assert_eq!(
            stages.classify("Закрыто и не реализовано"),
            ("Закрыто и не реализовано", "lost", None)
        );
        assert_eq!(
            stages.classify("Переговоры (2 этап)"),
            ("Переговоры (2 этап)", "open", None)
        );
        assert_eq!(stages.classify(""), ("", "open", None));
        // A reason with brackets of its own.
        assert_eq!(
            stages.classify("Закрыто и не реализовано (Выбрали другого (дешевле))"),
            (
                "Закрыто и не реализовано",
                "lost",
                Some("Выбрали другого (дешевле)")
            )
        );
        assert_eq!(
            stages.classify("Закрыто и не реализовано (Дорого) (Очень)"),
            ("Закрыто и не реализовано", "lost", Some("Дорого) (Очень"))
        );
    }
}
