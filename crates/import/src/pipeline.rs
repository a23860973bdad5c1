//! Parallel conversion of a large deals export.
//!
//! One thread reads the file in blocks and cuts each block after the last line break that ends
//! a record. Worker threads, one per core, parse their blocks, build Arrow arrays and encode them
//! into Parquet row groups, one per year of the deals' creation. This thread puts the row groups
//! into one file per year, in the order of the blocks, and writes the rejected rows. Blocks in
//! flight are bounded, so memory does not grow with the size of the file.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::TimeZone;
use chrono_tz::Tz;
use crmsql_i18n::Localizer;
use crmsql_schema::warehouse::{DataFile, SourceMeta};
use datafusion::arrow::array::{
    Array, ListArray, StringArray, TimestampMicrosecondArray, UInt32Array,
};
use datafusion::arrow::buffer::ScalarBuffer;
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowRowGroupWriterFactory, compute_leaves,
};
use datafusion::parquet::file::writer::SerializedFileWriter;
use datafusion::parquet::schema::types::ColumnPath;

use crate::deals::{DealPlan, RowReject, record_text};
use crate::detect::Encoding;
use crate::error::ImportError;
use crate::output::{Distinct, writer_properties_with_plain};
use crate::rejects::{Reject, RejectsWriter};

/// Bytes of a block handed to a worker; each block becomes one row group.
const BLOCK_BYTES: usize = 16 << 20;
/// A record longer than this without a line break outside quotes means a quote that is never
/// closed.
const MAX_RECORD_BYTES: usize = 256 << 20;

/// Counters that a progress display reads while an import runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of the current file read so far.
    pub bytes: AtomicU64,
    /// Size of the files being imported.
    pub total_bytes: AtomicU64,
    /// Rows converted so far.
    pub rows: AtomicU64,
}

/// A part of the file that ends at a record boundary.
struct Block {
    seq: u64,
    data: Vec<u8>,
    /// Line of the file on which the block starts.
    first_line: u64,
}

/// Rows of a block created in one year, encoded as a row group.
struct Part {
    year: Option<i32>,
    chunks: Vec<ArrowColumnChunk>,
    rows: u64,
}

/// A block converted by a worker.
struct Converted {
    seq: u64,
    parts: Vec<Part>,
    rows: u64,
    ids: Vec<i64>,
    rejects: Vec<Reject>,
    /// Line and span of the block's last record when it looks like an unclosed quote.
    open_quote: Option<(u64, u64)>,
}

/// Tracks whether a byte position of the file is inside a quoted field, the way the CSV parser
/// reads quotes. A quote opens a field only at the field's start. Inside a quoted field every
/// quote toggles the state, so an escaped `""` leaves it unchanged.
pub(crate) struct QuoteState {
    delimiter: u8,
    in_quotes: bool,
    previous: u8,
}

/// Result of scanning a piece of the file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scan {
    /// End of the last complete record, if any.
    pub boundary: Option<usize>,
    /// Line breaks before `boundary`.
    pub lines_to_boundary: u64,
    /// Line breaks in the whole piece.
    pub lines: u64,
}

impl QuoteState {
    /// State at the start of a file.
    pub(crate) fn new(delimiter: u8) -> QuoteState {
        QuoteState {
            delimiter,
            in_quotes: false,
            previous: b'\n',
        }
    }

    /// Reports whether the bytes scanned so far end inside a quoted field.
    pub(crate) fn in_quotes(&self) -> bool {
        self.in_quotes
    }

    /// Scans `bytes` for the end of the last complete record in them and counts line breaks.
    pub(crate) fn scan(&mut self, bytes: &[u8]) -> Scan {
        let mut scan = Scan {
            boundary: None,
            lines_to_boundary: 0,
            lines: 0,
        };
        for position in memchr::memchr2_iter(b'"', b'\n', bytes) {
            let previous = if position == 0 {
                self.previous
            } else {
                bytes[position - 1]
            };
            if bytes[position] == b'\n' {
                scan.lines += 1;
                if !self.in_quotes {
                    scan.boundary = Some(position + 1);
                    scan.lines_to_boundary = scan.lines;
                }
            } else if self.in_quotes
                || previous == self.delimiter
                || previous == b'\n'
                || previous == b'\r'
            {
                self.in_quotes = !self.in_quotes;
            }
        }
        if let Some(last) = bytes.last() {
            self.previous = *last;
        }
        scan
    }
}

/// Buffers of blocks that workers have finished with, reused by the reader so that each block
/// does not cost fresh pages from the system.
#[derive(Debug, Default)]
struct Buffers {
    free: Mutex<Vec<Vec<u8>>>,
}

impl Buffers {
    fn take(&self) -> Vec<u8> {
        let recycled = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut buffer = recycled.unwrap_or_else(|| Vec::with_capacity(2 * BLOCK_BYTES));
        buffer.clear();
        buffer
    }

    fn give(&self, buffer: Vec<u8>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(buffer);
        }
    }
}

/// Reads the file from `start` and sends blocks that end at record boundaries.
fn read_blocks(
    path: &Path,
    start: u64,
    first_line: u64,
    delimiter: u8,
    blocks: SyncSender<Block>,
    buffers: &Buffers,
    progress: &Progress,
) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut state = QuoteState {
        delimiter,
        in_quotes: false,
        previous: b'\n',
    };
    let mut pending = buffers.take();
    // End of the last complete record in `pending`, and the line breaks before it.
    let mut boundary: Option<(usize, u64)> = None;
    // Line breaks in `pending`.
    let mut pending_lines = 0u64;
    let mut seq = 0u64;
    let mut line = first_line;
    loop {
        let old_len = pending.len();
        let read = (&mut file)
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut pending)
            .map_err(io)?;
        progress.bytes.fetch_add(read as u64, Ordering::Relaxed);
        let at_end = read == 0;
        let scan = state.scan(&pending[old_len..]);
        if let Some(end) = scan.boundary {
            boundary = Some((old_len + end, pending_lines + scan.lines_to_boundary));
        }
        pending_lines += scan.lines;
        let (cut, lines) = match boundary {
            _ if at_end => (pending.len(), pending_lines),
            Some(end) if pending.len() >= BLOCK_BYTES => end,
            None if pending.len() > MAX_RECORD_BYTES => {
                return Err(ImportError::UnterminatedQuote {
                    path: path.to_owned(),
                    line,
                    lines: pending_lines,
                });
            }
            _ => continue,
        };
        boundary = None;
        pending_lines -= lines;
        let mut rest = buffers.take();
        rest.extend_from_slice(&pending[cut..]);
        pending.truncate(cut);
        let block = Block {
            seq,
            data: std::mem::replace(&mut pending, rest),
            first_line: line,
        };
        line += lines;
        if block.data.is_empty() {
            buffers.give(block.data);
        } else {
            seq += 1;
            if blocks.send(block).is_err() {
                // The workers stopped because of an error, which the caller reports.
                return Ok(());
            }
        }
        if at_end {
            return Ok(());
        }
    }
}

/// Counts the line breaks in the first `bytes` bytes of a file: the header and a byte-order mark.
pub(crate) fn count_lines(path: &Path, bytes: u64) -> Result<u64, ImportError> {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|file| file.take(bytes).read_to_end(&mut head))
        .map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(memchr::memchr_iter(b'\n', &head).count() as u64)
}

/// Finds the line of a byte offset of a block, moving forward from the last lookup.
struct LineCursor {
    offset: usize,
    line: u64,
}

impl LineCursor {
    fn line_at(&mut self, data: &[u8], offset: usize) -> u64 {
        // After a CRLF line end the parser places the next record at the line feed.
        let mut offset = offset;
        while offset < data.len() && matches!(data[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        let end = offset.min(data.len());
        self.line += memchr::memchr_iter(b'\n', &data[self.offset..end]).count() as u64;
        self.offset = end;
        self.line
    }
}

/// Start of each calendar year in the account's zone, to split rows by the year of their
/// creation without a time zone lookup per row.
struct YearStarts {
    starts: Vec<(i64, i32)>,
}

impl YearStarts {
    fn new(zone: Tz) -> YearStarts {
        let starts = (1900..=2200)
            .filter_map(|year| {
                let midnight = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?;
                let start = zone.from_local_datetime(&midnight).earliest()?;
                Some((start.timestamp_micros(), year))
            })
            .collect();
        YearStarts { starts }
    }

    /// Returns the year of an instant in microseconds, or `None` outside 1900–2200.
    fn year(&self, micros: i64) -> Option<i32> {
        let after = self.starts.partition_point(|(start, _)| *start <= micros);
        if after == 0 || after == self.starts.len() {
            return None;
        }
        Some(self.starts[after - 1].1)
    }
}

/// Settings of a worker.
struct Worker<'a> {
    plan: &'a DealPlan,
    factory: &'a ArrowRowGroupWriterFactory,
    years: &'a YearStarts,
    /// Position of `created_at` in the table's columns, which splits rows by year.
    created: Option<usize>,
    path: &'a Path,
    delimiter: u8,
    encoding: Encoding,
    zone: Tz,
    l: &'a Localizer,
}

impl Worker<'_> {
    /// Splits a batch by the year of `created_at`: rows of one year go to one file of the
    /// table, so a filter on a period skips whole files. Rows without a date form their own part.
    fn split_by_year(
        &self,
        batch: RecordBatch,
    ) -> Result<Vec<(Option<i32>, RecordBatch)>, ImportError> {
        let Some(created) = self.created.and_then(|i| {
            batch
                .column(i)
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
        }) else {
            return Ok(vec![(None, batch)]);
        };
        let years: Vec<Option<i32>> = (0..created.len())
            .map(|row| {
                created
                    .is_valid(row)
                    .then(|| self.years.year(created.value(row)))
                    .flatten()
            })
            .collect();
        if years.windows(2).all(|pair| pair[0] == pair[1]) {
            let year = years.first().copied().flatten();
            return Ok(vec![(year, batch)]);
        }
        let mut rows_of: BTreeMap<Option<i32>, Vec<u32>> = BTreeMap::new();
        for (row, year) in years.iter().enumerate() {
            rows_of.entry(*year).or_default().push(row as u32);
        }
        rows_of
            .into_iter()
            .map(|(year, rows)| {
                take_record_batch(&batch, &UInt32Array::from(rows))
                    .map(|part| (year, part))
                    .map_err(|source| ImportError::Arrow { source })
            })
            .collect()
    }

    /// Encodes a batch into the column chunks of one row group.
    fn encode(&self, batch: &RecordBatch, seq: u64) -> Result<Vec<ArrowColumnChunk>, ImportError> {
        let parquet_error = |source| ImportError::Parquet {
            path: self.path.to_owned(),
            source,
        };
        let mut writers = self
            .factory
            .create_column_writers(seq as usize)
            .map_err(parquet_error)?;
        let mut next = writers.iter_mut();
        for (field, array) in self.plan.schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, array).map_err(parquet_error)? {
                if let Some(writer) = next.next() {
                    writer.write(&leaf).map_err(parquet_error)?;
                }
            }
        }
        writers
            .into_iter()
            .map(|w| w.close())
            .collect::<Result<Vec<_>, _>>()
            .map_err(parquet_error)
    }

    /// Converts a block. `room` holds the sizes of the previous block's columns, to allocate
    /// the builders once.
    fn convert(
        &self,
        block: &Block,
        room: &mut Vec<crate::deals::Room>,
    ) -> Result<Converted, ImportError> {
        let fresh = |room: &[crate::deals::Room]| {
            if room.is_empty() {
                self.plan.builders()
            } else {
                self.plan.builders_with_room(room)
            }
        };
        let mut builders = fresh(room)?;
        let mut ids = Vec::new();
        let mut rejects = Vec::new();
        let mut open_quote = None;
        // UTF-8 blocks of well-formed records are split here without copying cells; any other
        // block goes through the CSV parser.
        let split = matches!(self.encoding, Encoding::Utf8 | Encoding::Utf8Bom)
            && simdutf8::basic::from_utf8(&block.data)
                .ok()
                .is_some_and(|text| {
                    self.split_text(block, text, &mut builders, &mut ids, &mut rejects)
                });
        if !split {
            builders = fresh(room)?;
            ids.clear();
            rejects.clear();
            self.parse_csv(
                block,
                &mut builders,
                &mut ids,
                &mut rejects,
                &mut open_quote,
            )?;
        }
        *room = crate::deals::room_of(&mut builders);
        self.finish_block(block, &mut builders, ids, rejects, open_quote)
    }

    /// Splits the records of a UTF-8 block into cells and appends them. Returns `false`, having
    /// appended rows that the caller must drop, when a record is not plain RFC 4180: a quote
    /// that is never closed, or text after a closing quote.
    fn split_text(
        &self,
        block: &Block,
        text: &str,
        builders: &mut [crate::deals::Builder],
        ids: &mut Vec<i64>,
        rejects: &mut Vec<Reject>,
    ) -> bool {
        let bytes = text.as_bytes();
        // The CSV parser also ends a record at a lone carriage return; leave such blocks to it.
        if memchr::memchr_iter(b'\r', bytes).any(|at| bytes.get(at + 1) != Some(&b'\n')) {
            return false;
        }
        let delimiter = self.delimiter;
        let mut scratch = crate::deals::Scratch::default();
        let mut cells: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(self.plan.width());
        let mut position = 0usize;
        let mut line = block.first_line;
        while position < bytes.len() {
            let record_start = position;
            let record_line = line;
            let mut multiline = false;
            cells.clear();
            let record_end = loop {
                if bytes.get(position) == Some(&b'"') {
                    let mut start = position + 1;
                    let mut search = start;
                    let mut owned: Option<String> = None;
                    let value = loop {
                        let Some(found) = memchr::memchr(b'"', &bytes[search..]) else {
                            return false;
                        };
                        let quote = search + found;
                        if bytes.get(quote + 1) == Some(&b'"') {
                            owned
                                .get_or_insert_with(String::new)
                                .push_str(&text[start..=quote]);
                            start = quote + 2;
                            search = start;
                            continue;
                        }
                        let tail = &text[start..quote];
                        let breaks = memchr::memchr_iter(b'\n', &bytes[position..quote]).count();
                        multiline |= breaks > 0;
                        line += breaks as u64;
                        position = quote + 1;
                        break match owned.take() {
                            Some(mut value) => {
                                value.push_str(tail);
                                std::borrow::Cow::Owned(value)
                            }
                            None => std::borrow::Cow::Borrowed(tail),
                        };
                    };
                    cells.push(value);
                    match bytes.get(position) {
                        None => break position,
                        Some(&b) if b == delimiter => position += 1,
                        Some(b'\n') => {
                            position += 1;
                            line += 1;
                            break position - 1;
                        }
                        Some(b'\r') if bytes.get(position + 1) == Some(&b'\n') => {
                            position += 2;
                            line += 1;
                            break position - 2;
                        }
                        Some(_) => return false,
                    }
                } else {
                    match memchr::memchr2(delimiter, b'\n', &bytes[position..]) {
                        None => {
                            cells.push(text[position..].trim_end_matches('\r').into());
                            position = bytes.len();
                            break position;
                        }
                        Some(found) => {
                            let end = position + found;
                            if bytes[end] == b'\n' {
                                cells.push(text[position..end].trim_end_matches('\r').into());
                                position = end + 1;
                                line += 1;
                                break end;
                            }
                            cells.push(text[position..end].into());
                            position = end + 1;
                        }
                    }
                }
            };
            // A blank line, or a line of empty cells as Excel writes for formatted blank rows,
            // is not a row.
            if cells.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            let result = if cells.len() == self.plan.width() {
                self.plan
                    .push_cells(&cells, multiline, builders, &mut scratch)
            } else {
                Err(RowReject {
                    column: String::new(),
                    value: String::new(),
                    cause: crate::deals::Cause::FieldCount {
                        expected: self.plan.width(),
                        actual: cells.len(),
                    },
                    spans_lines: None,
                })
            };
            match result {
                Ok(id) => ids.push(id),
                Err(rejected) => rejects.push(Reject {
                    file: self.path.to_owned(),
                    line: record_line,
                    column: rejected.column,
                    value: rejected.value,
                    reason_code: rejected.cause.code(),
                    reason: rejected.cause.reason(self.l, self.zone),
                    record: text[record_start..record_end]
                        .trim_end_matches('\r')
                        .to_owned(),
                }),
            }
        }
        true
    }

    /// Parses a block with the CSV parser and appends its rows.
    fn parse_csv(
        &self,
        block: &Block,
        builders: &mut [crate::deals::Builder],
        ids: &mut Vec<i64>,
        rejects: &mut Vec<Reject>,
        open_quote: &mut Option<(u64, u64)>,
    ) -> Result<(), ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(block.data.as_slice());
        let mut record = csv::ByteRecord::new();
        let mut cursor = LineCursor { offset: 0, line: 0 };
        let mut scratch = crate::deals::Scratch::default();
        loop {
            let more = reader
                .read_byte_record(&mut record)
                .map_err(|error| ImportError::Io {
                    path: self.path.to_owned(),
                    source: std::io::Error::other(error),
                })?;
            if !more {
                break;
            }
            *open_quote = None;
            match self.plan.push(&record, builders, &mut scratch) {
                Ok(None) => {}
                Ok(Some(id)) => ids.push(id),
                Err(RowReject {
                    column,
                    value,
                    cause,
                    spans_lines,
                }) => {
                    let offset = record.position().map_or(0, |p| p.byte()) as usize;
                    let line = block.first_line + cursor.line_at(&block.data, offset);
                    if let Some(lines) = spans_lines {
                        *open_quote = Some((line, lines));
                    }
                    rejects.push(Reject {
                        file: self.path.to_owned(),
                        line,
                        column,
                        value,
                        reason_code: cause.code(),
                        reason: cause.reason(self.l, self.zone),
                        record: record_text(&record, self.delimiter, self.encoding),
                    });
                }
            }
        }
        Ok(())
    }

    /// Encodes the rows of a block into row groups, one per year.
    fn finish_block(
        &self,
        block: &Block,
        builders: &mut [crate::deals::Builder],
        ids: Vec<i64>,
        rejects: Vec<Reject>,
        open_quote: Option<(u64, u64)>,
    ) -> Result<Converted, ImportError> {
        let batch = self.plan.finish(builders)?;
        let rows = batch.num_rows() as u64;
        let mut parts = Vec::new();
        for (year, part) in self.split_by_year(batch)? {
            let rows = part.num_rows() as u64;
            if rows > 0 {
                parts.push(Part {
                    year,
                    chunks: self.encode(&part, block.seq)?,
                    rows,
                });
            }
        }
        Ok(Converted {
            seq: block.seq,
            parts,
            rows,
            ids,
            rejects,
            open_quote,
        })
    }
}

/// A deals export to convert in parallel: a file in a byte-compatible encoding, with its
/// header already read.
pub(crate) struct ParallelSource<'a> {
    pub path: &'a Path,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Byte offset of the first record after the header.
    pub data_start: u64,
    /// Line of the first record.
    pub first_line: u64,
    pub sheet: Option<String>,
}

/// Result of converting one file.
pub(crate) struct ParallelOutput {
    pub meta: SourceMeta,
    /// One file per year of creation, oldest first.
    pub files: Vec<DataFile>,
    /// Deal ids in file order, to find repeated ids without reading the files back.
    pub ids: Vec<i64>,
}

/// Parquet file of one year being written.
struct YearFile {
    writer: SerializedFileWriter<File>,
    file: DataFile,
    path: PathBuf,
}

/// Converts a deals export into Parquet files, one per year of creation, using every core.
/// `new_file` gives the relative and absolute path of each new file.
#[allow(clippy::too_many_arguments)]
pub(crate) fn convert(
    source: &ParallelSource<'_>,
    plan: &DealPlan,
    new_file: &mut dyn FnMut() -> Result<(String, PathBuf), ImportError>,
    rejects: &mut RejectsWriter,
    zone: Tz,
    l: &Localizer,
    progress: &Progress,
) -> Result<ParallelOutput, ImportError> {
    let parquet_error = |path: &Path| {
        let path = path.to_owned();
        move |error| ImportError::Parquet {
            path: path.clone(),
            source: error,
        }
    };
    let properties = writer_properties_with_plain(&mostly_distinct_columns(source, plan)?);
    // Column writers depend only on the schema and the settings, so one factory serves every
    // year's file.
    let (_, factory) = ArrowWriter::try_new(
        std::io::sink(),
        plan.schema.clone(),
        Some(properties.clone()),
    )
    .and_then(ArrowWriter::into_serialized_writer)
    .map_err(parquet_error(source.path))?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 8);
    let years = YearStarts::new(zone);
    let rejected_before = rejects.count();
    let mut rows = 0u64;
    let mut ids = Vec::new();
    let mut open_quote = None;
    let mut files: BTreeMap<Option<i32>, YearFile> = BTreeMap::new();

    let buffers = Buffers::default();
    let worker = Worker {
        plan,
        factory: &factory,
        years: &years,
        created: plan.schema.index_of("created_at").ok(),
        path: source.path,
        delimiter: source.delimiter,
        encoding: source.encoding,
        zone,
        l,
    };
    let worker = &worker;
    std::thread::scope(|scope| -> Result<(), ImportError> {
        let (block_sender, block_receiver) = sync_channel::<Block>(workers);
        let (done_sender, done_receiver) = sync_channel::<Result<Converted, ImportError>>(workers);
        let block_receiver = Arc::new(Mutex::new(block_receiver));
        let reader = scope.spawn(|| {
            read_blocks(
                source.path,
                source.data_start,
                source.first_line,
                source.delimiter,
                block_sender,
                &buffers,
                progress,
            )
        });
        for _ in 0..workers {
            let receiver = Arc::clone(&block_receiver);
            let sender = done_sender.clone();
            let buffers = &buffers;
            scope.spawn(move || work(worker, &receiver, &sender, buffers));
        }
        drop(done_sender);

        let mut waiting: BTreeMap<u64, Converted> = BTreeMap::new();
        let mut next_seq = 0u64;
        let mut failure = None;
        for converted in &done_receiver {
            let converted = match converted {
                Ok(converted) => converted,
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            };
            waiting.insert(converted.seq, converted);
            while let Some(converted) = waiting.remove(&next_seq) {
                next_seq += 1;
                open_quote = converted.open_quote;
                for reject in converted.rejects {
                    rejects.write(reject)?;
                }
                for part in converted.parts {
                    let target = match files.entry(part.year) {
                        std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
                        std::collections::btree_map::Entry::Vacant(entry) => {
                            let (relative, path) = new_file()?;
                            let file = File::create(&path).map_err(|error| ImportError::Io {
                                path: path.clone(),
                                source: error,
                            })?;
                            let (writer, _) = ArrowWriter::try_new(
                                file,
                                plan.schema.clone(),
                                Some(properties.clone()),
                            )
                            .and_then(ArrowWriter::into_serialized_writer)
                            .map_err(parquet_error(&path))?;
                            entry.insert(YearFile {
                                writer,
                                file: DataFile {
                                    path: relative,
                                    rows: 0,
                                },
                                path,
                            })
                        }
                    };
                    let mut group = target
                        .writer
                        .next_row_group()
                        .map_err(parquet_error(&target.path))?;
                    for chunk in part.chunks {
                        chunk
                            .append_to_row_group(&mut group)
                            .map_err(parquet_error(&target.path))?;
                    }
                    group.close().map_err(parquet_error(&target.path))?;
                    target.file.rows += part.rows;
                }
                rows += converted.rows;
                progress.rows.fetch_add(converted.rows, Ordering::Relaxed);
                ids.extend(converted.ids);
            }
        }
        // Stop the reader and the workers before reporting an error.
        drop(done_receiver);
        drop(block_receiver);
        let read = reader.join().unwrap_or(Ok(()));
        if let Some(error) = failure {
            return Err(error);
        }
        read
    })?;

    if let Some((line, lines)) = open_quote {
        return Err(ImportError::UnterminatedQuote {
            path: source.path.to_owned(),
            line,
            lines,
        });
    }
    let mut written = Vec::with_capacity(files.len());
    for (_, year_file) in files {
        year_file
            .writer
            .close()
            .map_err(parquet_error(&year_file.path))?;
        written.push(year_file.file);
    }
    let meta = plan.source_meta(
        source.path,
        source.delimiter,
        source.sheet.clone(),
        rows,
        rejects.count() - rejected_before,
    );
    Ok(ParallelOutput {
        meta,
        files: written,
        ids,
    })
}

/// Bytes from the start of the records read to tell text columns of mostly distinct values
/// from those of a few repeated ones.
const SAMPLE_BYTES: u64 = 4 << 20;

/// Returns the text and number columns whose values in the first records are mostly distinct
/// (each value appears fewer than four times on average), and the text columns of a few names.
fn mostly_distinct_columns(
    source: &ParallelSource<'_>,
    plan: &DealPlan,
) -> Result<Vec<(ColumnPath, Distinct)>, ImportError> {
    let mut sample = Vec::new();
    File::open(source.path)
        .and_then(|mut file| {
            file.seek(SeekFrom::Start(source.data_start))?;
            file.take(SAMPLE_BYTES).read_to_end(&mut sample)
        })
        .map_err(|error| ImportError::Io {
            path: source.path.to_owned(),
            source: error,
        })?;
    let mut state = QuoteState {
        delimiter: source.delimiter,
        in_quotes: false,
        previous: b'\n',
    };
    let Some(end) = state.scan(&sample).boundary else {
        return Ok(Vec::new());
    };

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(source.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(&sample[..end]);
    let mut builders = plan.builders()?;
    let mut scratch = crate::deals::Scratch::default();
    let mut record = csv::ByteRecord::new();
    // A record the parser cannot read is left to the conversion, which reports it.
    while reader.read_byte_record(&mut record).unwrap_or(false) {
        let _ = plan.push(&record, &mut builders, &mut scratch);
    }
    let batch = plan.finish(&mut builders)?;

    let mut plain = Vec::new();
    for (field, column) in plan.schema.fields().iter().zip(batch.columns()) {
        let (texts, path) = if let (Some(list), DataType::List(item)) = (
            column.as_any().downcast_ref::<ListArray>(),
            field.data_type(),
        ) {
            // Parquet names the leaf of a list `<column>.list.<item>`.
            (
                list.values().as_any().downcast_ref::<StringArray>(),
                ColumnPath::new(vec![
                    field.name().clone(),
                    "list".to_owned(),
                    item.name().clone(),
                ]),
            )
        } else {
            (
                column.as_any().downcast_ref::<StringArray>(),
                ColumnPath::from(field.name().as_str()),
            )
        };
        if let Some(texts) = texts {
            let mut distinct: HashSet<&str, ahash::RandomState> = HashSet::default();
            distinct.extend(texts.iter().flatten());
            if mostly_distinct(distinct.len(), texts.len() - texts.null_count()) {
                plain.push((path, Distinct::Text));
            } else if distinct.len() <= FEW_VALUES {
                plain.push((path, Distinct::Few));
            }
        } else if matches!(
            column.data_type(),
            DataType::Int64 | DataType::Timestamp(TimeUnit::Microsecond, _)
        ) {
            // IDs and times: a dictionary of mostly distinct numbers only costs time.
            let data = column.to_data();
            let numbers =
                ScalarBuffer::<i64>::new(data.buffers()[0].clone(), data.offset(), data.len());
            let mut distinct: HashSet<i64, ahash::RandomState> = HashSet::default();
            distinct.extend(
                numbers
                    .iter()
                    .enumerate()
                    .filter(|(row, _)| column.is_valid(*row))
                    .map(|(_, value)| *value),
            );
            if mostly_distinct(distinct.len(), column.len() - column.null_count()) {
                plain.push((path, Distinct::Number));
            }
        }
    }
    Ok(plain)
}

/// Most distinct values a text column of names such as stages and managers has in the sample.
const FEW_VALUES: usize = 256;

/// Returns whether values repeat fewer than four times on average.
fn mostly_distinct(distinct: usize, values: usize) -> bool {
    values > 0 && distinct * 4 > values
}

fn work(
    worker: &Worker<'_>,
    blocks: &Mutex<Receiver<Block>>,
    done: &SyncSender<Result<Converted, ImportError>>,
    buffers: &Buffers,
) {
    let mut room = Vec::new();
    loop {
        let block = match blocks.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(block) = block else {
            return;
        };
        let result = worker.convert(&block, &mut room);
        buffers.give(block.data);
        let failed = result.is_err();
        if done.send(result).is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_skip_quoted_line_breaks() {
        let mut state = QuoteState {
            delimiter: b',',
            in_quotes: false,
            previous: b'\n',
        };
        let text = b"1,\"two\nlines\",x\n2,a\"b,y\n3,\"open\n";
        // The last boundary is after the record of line 3; the quote in a\"b is literal, and the
        // quote on the last line is still open.
        assert_eq!(
            state.scan(text),
            Scan {
                boundary: Some(24),
                lines_to_boundary: 3,
                lines: 4
            }
        );
        assert!(state.in_quotes);
        // The open quote closes in the next piece.
        assert_eq!(
            state.scan(b"end\",z\n4,q\n"),
            Scan {
                boundary: Some(11),
                lines_to_boundary: 2,
                lines: 2
            }
        );
        assert!(!state.in_quotes);
    }
}
