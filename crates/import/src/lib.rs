//! Conversion of amoCRM exports into warehouse tables.
//!
//! The import reads export files row by row, writes Parquet into a staging folder and swaps the
//! finished table into the warehouse. Rows it cannot read go to the table's rejects file with the
//! file, line, column and reason; they never stop the import. This crate does not print: it
//! returns an [`ImportReport`] for the caller to show.

pub mod detect;
pub mod generic;
pub mod output;
pub mod values;

mod api;
mod contacts;
mod deals;
mod error;
mod lines;
mod merge;
mod pipeline;
mod rejects;
mod sheet;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use crmsql_i18n::Localizer;

use crate::lines::LineLocator;
use crmsql_schema::deals::HeaderPlan;
use crmsql_schema::warehouse::{
    DataFile, FORMAT_VERSION, SourceMeta, TableMeta, Transaction, Warehouse,
};

pub use crate::detect::Encoding;
pub use crate::error::ImportError;
pub use crate::generic::{ColumnMapping, ColumnType};
pub use crate::output::LABEL_METADATA_KEY;
pub use crate::pipeline::Progress;
pub use crate::rejects::{REJECTS_HEADER, Reject};

/// Default account time zone: most amoCRM accounts of Russian-speaking teams keep Moscow time.
pub const DEFAULT_TIMEZONE: &str = "Europe/Moscow";

/// Settings of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Time zone of the account, in which export wall times are read.
    pub timezone: Tz,
    /// Whether the user gave the zone. Without it, an import into a warehouse that has tables
    /// already reads times in their zone.
    pub timezone_given: bool,
    /// Encoding to use instead of detecting it.
    pub encoding: Option<Encoding>,
    /// Delimiter to use instead of detecting it.
    pub delimiter: Option<u8>,
    /// Extra stage names that mean a won deal (for accounts that renamed the stage).
    pub won_stages: Vec<String>,
    /// Extra stage names that mean a lost deal.
    pub lost_stages: Vec<String>,
    /// Whether the files are the bundled demo export.
    pub demo: bool,
    /// Table to import into; without it, deals exports go to `deals` and ad spend and expenses
    /// reports are recognized by their headers.
    pub table: Option<String>,
    /// Column names and types given on the command line, by header label.
    pub mappings: Vec<ColumnMapping>,
    /// Key columns of a table other than `deals`.
    pub key: Vec<String>,
    /// Report what would be imported and write nothing.
    pub dry_run: bool,
    /// Fail, leaving the warehouse unchanged, when any row is rejected.
    pub strict: bool,
    /// Replace the table instead of merging into it.
    pub replace: bool,
    /// Sheet of a spreadsheet to read instead of the first.
    pub sheet: Option<String>,
    /// Counters for a progress display.
    pub progress: Option<std::sync::Arc<Progress>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            timezone: chrono_tz::Europe::Moscow,
            timezone_given: false,
            encoding: None,
            delimiter: None,
            won_stages: Vec::new(),
            lost_stages: Vec::new(),
            demo: false,
            table: None,
            mappings: Vec::new(),
            key: Vec::new(),
            dry_run: false,
            strict: false,
            replace: false,
            sheet: None,
            progress: None,
        }
    }
}

/// Parses an IANA time zone name such as `Europe/Moscow`, ignoring case.
/// Returns whether `table` has columns of its own, from amoCRM's exports or API, so that
/// `--column` does not apply to it.
pub fn has_fixed_columns(table: &str) -> bool {
    matches!(table, "deals" | "contacts" | "companies") || api::is_api_table(table)
}

pub fn parse_timezone(name: &str) -> Result<Tz, ImportError> {
    Tz::from_str_insensitive(name.trim()).map_err(|_| ImportError::UnknownTimezone {
        value: name.to_owned(),
    })
}

/// Parses a delimiter given on the command line: one character, or `tab` / `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, ImportError> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        // A quote or a line break cannot separate fields: they have meanings of their own.
        "\"" | "\n" | "\r" => Err(ImportError::InvalidDelimiter {
            value: text.to_owned(),
        }),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(ImportError::InvalidDelimiter {
            value: text.to_owned(),
        }),
    }
}

/// Parses an encoding name given on the command line.
pub fn parse_encoding(text: &str) -> Result<Encoding, ImportError> {
    Encoding::parse(text).ok_or_else(|| ImportError::UnknownEncoding {
        value: text.to_owned(),
    })
}

/// File found in a folder but not imported, with the reason.
#[derive(Debug)]
pub struct SkippedFile {
    pub path: PathBuf,
    /// Error that importing the file on its own would have returned.
    pub reason: ImportError,
}

/// Result of importing into one table. Every row read is accounted for:
/// `read == added + updated + superseded + rejected`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: String,
    /// Rows in the table after the import.
    pub rows: u64,
    /// Data rows read from the files.
    pub read: u64,
    /// Rows with a key the table did not have.
    pub added: u64,
    /// Rows that replaced an older copy of the same row.
    pub updated: u64,
    /// Rows not kept because the table or a later file had a newer copy.
    pub superseded: u64,
    pub rejected: u64,
    /// Files imported in this call.
    pub sources: Vec<SourceMeta>,
    /// Files skipped because the same content was imported into the table before.
    pub already_imported: Vec<PathBuf>,
    /// Rejects file, when at least one row was rejected.
    pub rejects_path: Option<PathBuf>,
    pub first_reject: Option<Reject>,
}

/// Result of an import.
#[derive(Debug)]
pub struct ImportReport {
    pub tables: Vec<TableReport>,
    pub skipped: Vec<SkippedFile>,
    /// Findings of a dry run, file by file.
    pub detections: Vec<Detection>,
    /// Tables of demo data that the import took out of the warehouse.
    pub removed_demo: Vec<String>,
}

/// Lists the files to import: files as given, and the files of each folder sorted by name, each
/// with a flag that marks it as found in a folder (such a file is skipped, not fatal, when it is not
/// a deals export).
fn expand_paths(
    paths: &[PathBuf],
    skipped: &mut Vec<SkippedFile>,
) -> Result<Vec<(PathBuf, bool)>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        if !metadata.is_dir() {
            files.push((path.clone(), false));
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ImportError::Io {
                path: path.clone(),
                source,
            })?;
            let entry_path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden && entry_path.is_file() {
                found.push(entry_path);
            } else if !hidden && entry_path.is_dir() {
                skipped.push(SkippedFile {
                    path: entry_path.clone(),
                    reason: ImportError::NestedFolder { path: entry_path },
                });
            }
        }
        if found.is_empty() {
            return Err(ImportError::NoExportFiles {
                path: path.clone(),
                first_skipped: None,
            });
        }
        found.sort();
        files.extend(found.into_iter().map(|p| (p, true)));
    }
    // A file named twice, or named and also found in a folder, is read once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(path, _)| seen.insert(std::fs::canonicalize(path).unwrap_or(path.clone())));
    Ok(files)
}

/// Opens an export file, detects its encoding and delimiter and reads the header row.
fn open_source(path: &Path, options: &ImportOptions) -> Result<deals::OpenedSource, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let Some(sniffed) = detect::sniff(path, options.encoding)? else {
        return open_sheet(path, options);
    };
    let (encoding, bom) = (sniffed.encoding, sniffed.bom);
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| detect::detect_delimiter(&sniffed.text));
    let mut file = File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(bom as u64)).map_err(io)?;

    let source: Box<dyn Read + Send> = match encoding {
        // UTF-16 is transcoded to UTF-8 while reading, so the CSV parser gets ASCII delimiters.
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let transcoding = if encoding == Encoding::Utf16Le {
                encoding_rs::UTF_16LE
            } else {
                encoding_rs::UTF_16BE
            };
            Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(transcoding))
                    .build(BufReader::with_capacity(1 << 20, file)),
            )
        }
        _ => Box::new(BufReader::with_capacity(1 << 20, file)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(source);
    let mut header = csv::ByteRecord::new();
    let has_header = reader
        .read_byte_record(&mut header)
        .map_err(|error| io(std::io::Error::other(error)))?;
    if !has_header {
        return Err(ImportError::EmptyFile {
            path: path.to_owned(),
        });
    }
    let labels = header
        .iter()
        .map(|field| encoding.decode_lossy(field))
        .collect();
    Ok(deals::OpenedSource {
        path: path.to_owned(),
        encoding,
        delimiter,
        bom: bom as u64,
        reader,
        labels,
        sheet: None,
    })
}

/// Opens a sheet of a spreadsheet as a CSV export.
fn open_sheet(path: &Path, options: &ImportOptions) -> Result<deals::OpenedSource, ImportError> {
    let text = sheet::read_sheet(path, options.sheet.as_deref())?;
    let source: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(text.csv));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(source);
    let mut header = csv::ByteRecord::new();
    let has_header =
        reader
            .read_byte_record(&mut header)
            .map_err(|error| ImportError::Spreadsheet {
                path: path.to_owned(),
                detail: error.to_string(),
            })?;
    if !has_header {
        return Err(ImportError::EmptyFile {
            path: path.to_owned(),
        });
    }
    let labels = header
        .iter()
        .map(|field| String::from_utf8_lossy(field).into_owned())
        .collect();
    Ok(deals::OpenedSource {
        path: path.to_owned(),
        encoding: Encoding::Utf8,
        delimiter: b',',
        bom: 0,
        reader,
        labels,
        sheet: Some(text.sheet),
    })
}

/// The first labels of a header for a message, each cut to a readable length, so that a file
/// read in the wrong encoding does not flood the screen.
fn header_preview(labels: &[String]) -> String {
    const LABEL_CHARS: usize = 40;
    let mut preview: Vec<String> = labels
        .iter()
        .take(5)
        .map(|label| match label.char_indices().nth(LABEL_CHARS) {
            Some((end, _)) => format!("{}…", &label[..end]),
            None => label.clone(),
        })
        .collect();
    if labels.len() > 5 {
        preview.push("…".to_owned());
    }
    preview.join(", ")
}

/// Findings of a dry run about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    pub path: PathBuf,
    pub table: String,
    pub format: String,
    pub encoding: String,
    pub delimiter: String,
    /// Header label, column name and SQL type of each column.
    pub columns: Vec<(String, String, String)>,
    /// Labels that matched no known column and are kept under a name made from the label.
    pub unknown: Vec<String>,
    pub rows: u64,
    /// Sheet read, for a spreadsheet.
    pub sheet: Option<String>,
}

/// Target table and reader of one file.
enum Job {
    Deals(deals::OpenedSource),
    /// API v4 JSON: pages, arrays of entities or JSON Lines.
    Api(PathBuf),
    /// A contacts or companies export; its rows go to both tables.
    Contacts {
        source: generic::TextSource,
        entity: contacts::Entity,
    },
    Text {
        table: String,
        shape: generic::Shape,
        source: generic::TextSource,
    },
}

impl Job {
    fn path(&self) -> &Path {
        match self {
            Job::Deals(source) => &source.path,
            Job::Api(path) => path,
            Job::Contacts { source, .. } => &source.path,
            Job::Text { source, .. } => &source.path,
        }
    }

    fn table(&self) -> &str {
        match self {
            Job::Deals(_) => "deals",
            Job::Api(_) => API_TABLES,
            // Both tables of contact exports are written together, under one name.
            Job::Contacts { .. } => "contacts",
            Job::Text { table, .. } => table,
        }
    }
}

/// Name under which API files are grouped: they feed many tables at once.
const API_TABLES: &str = "<api>";

/// Reports whether a file starts like JSON.
fn is_json_file(path: &Path) -> Result<bool, ImportError> {
    let mut sample = Vec::with_capacity(4096);
    File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut sample))
        .map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(api::looks_like_json(&sample))
}

/// Decides where a file goes: a deals export, a table named with `--table`, or an ad spend or
/// expenses report recognized by its header.
fn classify(path: &Path, options: &ImportOptions) -> Result<Job, ImportError> {
    let json_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl"));
    if json_name || is_json_file(path)? {
        if api::first_entity(path)?.is_none() {
            return Err(ImportError::NoApiRecords {
                path: path.to_owned(),
            });
        }
        return Ok(Job::Api(path.to_owned()));
    }
    if let Some(table) = options
        .table
        .as_deref()
        .filter(|t| !matches!(*t, "deals" | "contacts" | "companies"))
    {
        let source = generic::open(path, options)?;
        let shape = generic::shape_of_table(table);
        return Ok(Job::Text {
            table: table.to_owned(),
            shape,
            source,
        });
    }
    let source = open_source(path, options)?;
    if HeaderPlan::from_labels(&source.labels).is_deals_export() {
        return Ok(Job::Deals(source));
    }
    if let Some(entity) = contacts::detect(&source.labels) {
        let text = generic::open(path, options)?;
        return Ok(Job::Contacts {
            source: text,
            entity,
        });
    }
    if options.table.is_none() {
        let text = generic::open(path, options)?;
        let shape = generic::detect_shape(&text.labels);
        let table = match shape {
            generic::Shape::AdSpend => Some("ad_spend"),
            generic::Shape::Expenses => Some("expenses"),
            generic::Shape::ProductCosts => Some("product_costs"),
            generic::Shape::Purchases | generic::Shape::Other => None,
        };
        if let Some(table) = table {
            return Ok(Job::Text {
                table: table.to_owned(),
                shape,
                source: text,
            });
        }
    }
    Err(ImportError::NotDealsExport {
        path: path.to_owned(),
        header: header_preview(&source.labels),
        forced: options.encoding.is_some() || options.delimiter.is_some(),
        deals_named: options.table.as_deref() == Some("deals"),
    })
}

/// Size and content hash of a file, to recognize one imported before.
fn fingerprint(path: &Path) -> Result<String, ImportError> {
    use std::hash::Hasher;
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let mut hasher = std::hash::DefaultHasher::new();
    let mut size = 0u64;
    loop {
        let buffer = std::io::BufRead::fill_buf(&mut file).map_err(io)?;
        if buffer.is_empty() {
            break;
        }
        hasher.write(buffer);
        let length = buffer.len();
        size += length as u64;
        std::io::BufRead::consume(&mut file, length);
    }
    Ok(format!("{size}:{:016x}", hasher.finish()))
}

/// Types of the columns of a table already in the warehouse, from its first file.
fn existing_kinds(transaction: &Transaction, table: &str) -> Vec<(String, output::Kind)> {
    match transaction.table(table) {
        Some(meta) => kinds_of(transaction.root(), meta),
        None => Vec::new(),
    }
}

/// Types of the columns of a table, from its first file under the warehouse folder `root`.
fn kinds_of(root: &Path, meta: &TableMeta) -> Vec<(String, output::Kind)> {
    let Some(file) = meta.files.first() else {
        return Vec::new();
    };
    let path = root.join(&file.path);
    let Ok(handle) = File::open(&path) else {
        return Vec::new();
    };
    let Ok(builder) =
        datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(handle)
    else {
        return Vec::new();
    };
    builder
        .schema()
        .fields()
        .iter()
        .filter_map(|f| output::Kind::of(f.data_type()).map(|k| (f.name().clone(), k)))
        .collect()
}

/// Imports files (or every file in the given folders) into `warehouse`.
///
/// Rows join their tables by key: a row whose id the table has already replaces the older copy,
/// and a file imported before into a table without a key is skipped. Nothing is visible to
/// readers until every table of the call is written. `l` sets the language of the reasons in the
/// rejects files; `on_wait` is called when another import has the warehouse locked.
pub fn import(
    warehouse: &Warehouse,
    paths: &[PathBuf],
    options: &ImportOptions,
    l: &Localizer,
    on_wait: &dyn Fn(),
) -> Result<ImportReport, ImportError> {
    let mut skipped = Vec::new();
    let files = expand_paths(paths, &mut skipped)?;
    let mut jobs = Vec::new();
    for (path, from_folder) in files {
        match classify(&path, options) {
            Ok(job) => jobs.push(job),
            Err(
                reason @ (ImportError::NotDealsExport { .. }
                | ImportError::NotCsv { .. }
                | ImportError::Spreadsheet { .. }
                | ImportError::SheetNotFound { .. }
                | ImportError::InvalidJson { .. }
                | ImportError::NoApiRecords { .. }
                | ImportError::UnterminatedQuote { .. }
                | ImportError::EmptyFile { .. }),
            ) if from_folder => skipped.push(SkippedFile { path, reason }),
            Err(error) => return Err(error),
        }
    }
    if jobs.is_empty() {
        let path = paths.first().cloned().unwrap_or_default();
        let first_skipped = skipped
            .into_iter()
            .next()
            .map(|skipped| Box::new(skipped.reason));
        return Err(ImportError::NoExportFiles {
            path,
            first_skipped,
        });
    }
    if options.dry_run {
        // A dry run stops where the import would: on a time zone or key that the warehouse's
        // tables do not have.
        let snapshot = warehouse.snapshot()?;
        let mut checked: Vec<&str> = Vec::new();
        for job in &jobs {
            // The files of one table share the checks.
            if checked.contains(&job.table()) {
                continue;
            }
            checked.push(job.table());
            let targets = match job.table() {
                API_TABLES => api_targets(&jobs)?,
                "contacts" => vec!["contacts".to_owned(), "companies".to_owned()],
                other => vec![other.to_owned()],
            };
            settle_timezone(warehouse.root(), &snapshot.tables, &targets, options)?;
            if let (Job::Text { table, .. }, false) = (job, options.key.is_empty())
                && let Some(previous) = snapshot.table(table)
                && !options.replace
                && !previous.demo
                && !previous.files.is_empty()
                && previous.key != options.key
            {
                return Err(ImportError::KeyChanged {
                    table: table.clone(),
                    old: previous.key.join(", "),
                    new: options.key.join(", "),
                });
            }
        }
        let detections = jobs
            .iter()
            .map(|job| detect_job(job, options))
            .collect::<Result<_, _>>()?;
        return Ok(ImportReport {
            tables: Vec::new(),
            skipped,
            detections,
            removed_demo: Vec::new(),
        });
    }

    if let Some(progress) = &options.progress {
        let total: u64 = jobs
            .iter()
            .filter_map(|job| std::fs::metadata(job.path()).ok())
            .map(|metadata| metadata.len())
            .sum();
        progress
            .total_bytes
            .store(total, std::sync::atomic::Ordering::Relaxed);
    }
    let mut transaction = warehouse.begin(on_wait)?;
    // The first import of the user's own files takes the demo data out, so that reports do not
    // mix the two.
    let mut removed_demo = Vec::new();
    if !options.demo {
        for table in transaction.table_names() {
            if transaction.table(&table).is_some_and(|meta| meta.demo) {
                transaction.remove_table(&table);
                removed_demo.push(table);
            }
        }
    }
    let mut tables: Vec<String> = Vec::new();
    for job in &jobs {
        if !tables.iter().any(|t| t == job.table()) {
            tables.push(job.table().to_owned());
        }
    }
    let mut reports = Vec::new();
    let mut jobs: Vec<Option<Job>> = jobs.into_iter().map(Some).collect();
    for table in tables {
        let targets = match table.as_str() {
            API_TABLES => api_targets(jobs.iter().flatten())?,
            "contacts" => vec!["contacts".to_owned(), "companies".to_owned()],
            other => vec![other.to_owned()],
        };
        let mut settled =
            settle_timezone(warehouse.root(), transaction.tables(), &targets, options)?;
        if matches!(table.as_str(), "deals" | API_TABLES) {
            remember_stages(transaction.tables(), &mut settled);
        }
        let options = &settled;
        let mine: Vec<Job> = jobs
            .iter_mut()
            .filter(|job| job.as_ref().is_some_and(|j| j.table() == table))
            .filter_map(Option::take)
            .collect();
        reports.extend(import_table(
            &mut transaction,
            warehouse,
            &table,
            mine,
            options,
            l,
        )?);
    }
    if options.strict
        && let Some(report) = reports.iter().find(|r| r.rejected > 0)
    {
        return Err(ImportError::StrictRejected {
            table: report.table.clone(),
            rejected: report.rejected,
            first: Box::new(report.first_reject.clone().unwrap_or_else(|| Reject {
                file: PathBuf::new(),
                line: 0,
                column: String::new(),
                value: String::new(),
                reason_code: "",
                reason: String::new(),
                record: String::new(),
            })),
        });
    }
    transaction.commit()?;
    Ok(ImportReport {
        tables: reports,
        skipped,
        detections: Vec::new(),
        removed_demo,
    })
}

/// Lists the tables the API files among `jobs` fill, whose time zone the import must keep.
fn api_targets<'a>(jobs: impl IntoIterator<Item = &'a Job>) -> Result<Vec<String>, ImportError> {
    let mut targets: Vec<String> = Vec::new();
    for job in jobs {
        if let Job::Api(path) = job {
            for (table, _) in api::count_records(path)? {
                if table != "?" && !targets.iter().any(|t| t == table) {
                    targets.push(table.to_owned());
                }
            }
        }
    }
    Ok(targets)
}

/// Adds the won and lost stage names that earlier imports of the deals table declared, unless the
/// import replaces the table: a routine import of a newer export then reads outcomes as the
/// first one did.
fn remember_stages(tables: &BTreeMap<String, TableMeta>, options: &mut ImportOptions) {
    if options.replace {
        return;
    }
    let Some(meta) = tables.get("deals").filter(|meta| !meta.demo) else {
        return;
    };
    for (kept, given) in [
        (&meta.won_stages, &mut options.won_stages),
        (&meta.lost_stages, &mut options.lost_stages),
    ] {
        for name in kept {
            if !given.contains(name) {
                given.push(name.clone());
            }
        }
    }
}

/// Returns the options with the time zone to read times in: the one the user gave, else the
/// zone of the target tables, else that of any table with times, since an account's tables
/// share it. A given zone that differs from a target table's zone is an error unless the import
/// replaces the table. Tables without times, such as ad spend by date, have no zone to keep.
fn settle_timezone(
    root: &Path,
    tables: &BTreeMap<String, TableMeta>,
    targets: &[String],
    options: &ImportOptions,
) -> Result<ImportOptions, ImportError> {
    let zoned = |name: &str| {
        tables
            .get(name)
            .filter(|meta| !meta.files.is_empty() && !meta.demo)
            .filter(|meta| {
                kinds_of(root, meta)
                    .iter()
                    .any(|(_, kind)| *kind == output::Kind::Time)
            })
    };
    let target = targets.iter().find_map(|name| zoned(name));
    let mut names: Vec<&String> = tables.keys().collect();
    // The deals table speaks for the account when there is one.
    names.sort_by_key(|name| *name != "deals");
    let account = target.or_else(|| names.iter().find_map(|name| zoned(name)));
    let zone_of = |meta: &TableMeta| meta.timezone.parse::<Tz>().ok();
    match (options.timezone_given, target, account) {
        (false, _, Some(meta)) => Ok(ImportOptions {
            timezone: zone_of(meta).unwrap_or(options.timezone),
            ..options.clone()
        }),
        (true, Some(meta), _)
            if zone_of(meta).is_some_and(|zone| zone != options.timezone) && !options.replace =>
        {
            Err(ImportError::TimezoneChanged {
                table: meta.table.clone(),
                old: meta.timezone.clone(),
                new: options.timezone.name().to_owned(),
            })
        }
        _ => Ok(options.clone()),
    }
}

fn detect_job(job: &Job, options: &ImportOptions) -> Result<Detection, ImportError> {
    match job {
        Job::Deals(source) => {
            let plan = HeaderPlan::from_labels(&source.labels);
            let path = source.path.clone();
            let mut reopened = open_source(&path, options)?;
            let mut rows = 0u64;
            let mut record = csv::ByteRecord::new();
            while reopened
                .reader
                .read_byte_record(&mut record)
                .map_err(|error| ImportError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(error),
                })?
            {
                if !record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    rows += 1;
                }
            }
            Ok(Detection {
                path,
                table: "deals".to_owned(),
                format: if source.sheet.is_some() {
                    "xlsx"
                } else {
                    "csv"
                }
                .to_owned(),
                sheet: source.sheet.clone(),
                encoding: source.encoding.to_string(),
                delimiter: detect::delimiter_name(source.delimiter),
                columns: plan
                    .columns
                    .iter()
                    .map(|c| {
                        (
                            c.label.clone(),
                            c.name.clone(),
                            deals::kind_sql_name(c.kind).to_owned(),
                        )
                    })
                    .collect(),
                unknown: plan
                    .columns
                    .iter()
                    .filter(|c| {
                        crmsql_schema::deals::known_column(&c.name).is_none()
                            && !c.name.starts_with("note_")
                    })
                    .map(|c| c.label.clone())
                    .collect(),
                rows,
            })
        }
        Job::Api(path) => {
            let counts = api::count_records(path)?;
            // Records that cannot be read are counted in the rows but have no table.
            let tables: Vec<&str> = counts
                .iter()
                .map(|(t, _)| *t)
                .filter(|t| *t != "?")
                .collect();
            Ok(Detection {
                path: path.clone(),
                table: tables.join(", "),
                format: "json".to_owned(),
                encoding: "utf-8".to_owned(),
                delimiter: String::new(),
                // A file that fills several tables names the table of each column.
                columns: {
                    let several = tables.len() > 1;
                    tables
                        .iter()
                        .flat_map(|t| {
                            api::describe(t)
                                .into_iter()
                                .map(move |(label, name, kind)| {
                                    let name = if several { format!("{t}.{name}") } else { name };
                                    (label, name, kind)
                                })
                        })
                        .collect()
                },
                unknown: Vec::new(),
                rows: counts.iter().map(|(_, n)| n).sum(),
                sheet: None,
            })
        }
        Job::Contacts { source, entity } => Ok(Detection {
            path: source.path.clone(),
            table: match entity {
                contacts::Entity::Contact => "contacts, companies".to_owned(),
                contacts::Entity::Company => "companies".to_owned(),
            },
            format: source.format().to_owned(),
            sheet: source.sheet.clone(),
            encoding: source.encoding.to_string(),
            delimiter: source.layout.name(),
            columns: contacts::describe(&source.labels, *entity),
            unknown: contacts::unknown_labels(&source.labels, *entity),
            rows: generic::count_records(source)?,
        }),
        Job::Text {
            table,
            shape,
            source,
        } => {
            let input = generic::GenericPlanInput {
                shape: *shape,
                mappings: &options.mappings,
                existing: &[],
            };
            let columns = generic::plan(source, &input)?;
            let standard: Vec<String> = match shape {
                generic::Shape::Other => Vec::new(),
                _ => columns
                    .iter()
                    .filter(|c| generic::standard_names(*shape).contains(&c.def.name.as_str()))
                    .map(|c| c.def.name.clone())
                    .collect(),
            };
            Ok(Detection {
                path: source.path.clone(),
                table: table.clone(),
                format: source.format().to_owned(),
                sheet: source.sheet.clone(),
                encoding: source.encoding.to_string(),
                delimiter: source.layout.name(),
                columns: columns
                    .iter()
                    .map(|c| {
                        (
                            c.def.label.clone().unwrap_or_default(),
                            c.def.name.clone(),
                            output::kind_sql_name(c.def.kind).to_owned(),
                        )
                    })
                    .collect(),
                unknown: if *shape == generic::Shape::Other {
                    Vec::new()
                } else {
                    columns
                        .iter()
                        .filter(|c| !standard.contains(&c.def.name))
                        .filter_map(|c| c.def.label.clone())
                        .collect()
                },
                rows: generic::count_records(source)?,
            })
        }
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Rows of one table written by an import, before they are merged into the table.
struct Staged {
    files: Vec<DataFile>,
    sources: Vec<SourceMeta>,
    key: Vec<String>,
    version: Option<&'static str>,
    currency: Option<String>,
    /// Files skipped because the table has them already.
    already: Vec<PathBuf>,
    mode: merge::KeyMode,
    /// Whether the new files are known to have no repeated key.
    unique: bool,
}

fn import_table(
    transaction: &mut Transaction,
    warehouse: &Warehouse,
    table: &str,
    jobs: Vec<Job>,
    options: &ImportOptions,
    l: &Localizer,
) -> Result<Vec<TableReport>, ImportError> {
    if matches!(jobs.first(), Some(Job::Contacts { .. })) {
        return import_contact_tables(transaction, warehouse, jobs, options, l);
    }
    if matches!(jobs.first(), Some(Job::Api(_))) {
        return import_api_tables(transaction, warehouse, jobs, options, l);
    }
    let rejects_path = transaction.rejects_path(table)?;
    let mut rejects = rejects::RejectsWriter::new(&rejects_path);
    let staged = if table == "deals" {
        let mut sources: Vec<deals::OpenedSource> = jobs
            .into_iter()
            .filter_map(|job| match job {
                Job::Deals(source) => Some(source),
                _ => None,
            })
            .collect();
        let progress = options.progress.clone().unwrap_or_default();
        let written = import_deals(
            transaction,
            &mut sources,
            options,
            l,
            &mut rejects,
            &progress,
        )?;
        Staged {
            files: written.files,
            sources: written.sources,
            key: vec!["id".to_owned()],
            version: Some("updated_at"),
            currency: written.currency,
            already: Vec::new(),
            mode: merge::KeyMode::Row,
            unique: written.unique,
        }
    } else {
        stage_text_table(transaction, table, jobs, options, l, &mut rejects)?
    };
    let report = finish_table(transaction, warehouse, table, staged, rejects, options)?;
    Ok(vec![report])
}

/// Writes text table files (`--table`, ad spend, expenses) into new files of `table`.
fn stage_text_table(
    transaction: &mut Transaction,
    table: &str,
    jobs: Vec<Job>,
    options: &ImportOptions,
    l: &Localizer,
    rejects: &mut rejects::RejectsWriter,
) -> Result<Staged, ImportError> {
    let previous = transaction.table(table).cloned();
    let mut already = Vec::new();
    let mut text_sources = Vec::new();
    let mut shape = generic::Shape::Other;
    let key = if options.key.is_empty() {
        previous.as_ref().map(|m| m.key.clone()).unwrap_or_default()
    } else {
        options.key.clone()
    };
    let mut fingerprints = Vec::new();
    for job in jobs {
        if let Job::Text {
            shape: job_shape,
            source,
            ..
        } = job
        {
            shape = job_shape;
            // A file imported before into a table without a key would add its rows twice.
            let print = fingerprint(&source.path)?;
            let seen = previous.as_ref().is_some_and(|meta| {
                !options.replace
                    && meta
                        .sources
                        .iter()
                        .any(|s| s.fingerprint.as_deref() == Some(print.as_str()))
            }) || fingerprints.contains(&print);
            if seen && key.is_empty() && generic::shape_key(shape).is_empty() {
                already.push(source.path.clone());
                continue;
            }
            fingerprints.push(print);
            text_sources.push(source);
        }
    }
    let key = if key.is_empty() {
        generic::shape_key(shape)
    } else {
        key
    };
    let existing = if options.replace {
        Vec::new()
    } else {
        existing_kinds(transaction, table)
    };
    let input = generic::GenericPlanInput {
        shape,
        mappings: &options.mappings,
        existing: &existing,
    };
    let written = generic::import_files(
        transaction,
        table,
        &text_sources,
        &input,
        &key,
        rejects,
        options.timezone,
        l,
    )?;
    let mut sources = written.sources;
    for (meta, print) in sources.iter_mut().zip(fingerprints) {
        meta.fingerprint = Some(print);
    }
    // A key column the files lack would leave every row unmatched and duplicate re-imports.
    for meta in &sources {
        if let Some(missing) = key
            .iter()
            .find(|k| !meta.columns.iter().any(|c| &c.name == *k))
        {
            return Err(ImportError::KeyColumnMissing {
                path: PathBuf::from(&meta.path),
                table: table.to_owned(),
                from_option: !options.key.is_empty(),
                column: missing.clone(),
                columns: meta
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(Staged {
        files: written.files,
        sources,
        key,
        version: None,
        currency: None,
        already,
        mode: merge::KeyMode::Row,
        unique: false,
    })
}

/// Imports API JSON files into the tables of their entities.
fn import_api_tables(
    transaction: &mut Transaction,
    warehouse: &Warehouse,
    jobs: Vec<Job>,
    options: &ImportOptions,
    l: &Localizer,
) -> Result<Vec<TableReport>, ImportError> {
    let paths: Vec<PathBuf> = jobs
        .into_iter()
        .filter_map(|job| match job {
            Job::Api(path) => Some(path),
            _ => None,
        })
        .collect();
    let written = api::import_files(transaction, &paths, options.timezone, l)?;
    let mut reports = Vec::new();
    for table in written.tables {
        let staged = Staged {
            files: table.files,
            sources: table.sources,
            key: table.key,
            version: table.version,
            currency: None,
            already: Vec::new(),
            mode: table.mode,
            unique: false,
        };
        reports.push(finish_table(
            transaction,
            warehouse,
            table.table,
            staged,
            table.rejects,
            options,
        )?);
    }
    if reports.is_empty() {
        return Err(ImportError::NoRows {
            path: paths.into_iter().next().unwrap_or_default(),
            table: String::new(),
        });
    }
    Ok(reports)
}

/// Imports contacts and companies exports into the `contacts` and `companies` tables.
fn import_contact_tables(
    transaction: &mut Transaction,
    warehouse: &Warehouse,
    jobs: Vec<Job>,
    options: &ImportOptions,
    l: &Localizer,
) -> Result<Vec<TableReport>, ImportError> {
    let sources: Vec<(generic::TextSource, contacts::Entity)> = jobs
        .into_iter()
        .filter_map(|job| match job {
            Job::Contacts { source, entity } => Some((source, entity)),
            _ => None,
        })
        .collect();
    let entities = [contacts::Entity::Contact, contacts::Entity::Company];
    let mut rejects = std::collections::HashMap::new();
    for entity in entities {
        let path = transaction.rejects_path(entity.table())?;
        rejects.insert(entity, rejects::RejectsWriter::new(&path));
    }
    let context = contacts::Context {
        zone: options.timezone,
        l,
    };
    let mut written = contacts::import_files(transaction, &sources, &mut rejects, &context)?;
    // When one of the two tables gets rows, the other may lose all of its rows to rejects
    // without stopping the import: they are reported and kept like any rejected row.
    let any_rows = written.files.values().flatten().any(|file| file.rows > 0);
    let mut reports = Vec::new();
    for entity in entities {
        let Some(mut entity_rejects) = rejects.remove(&entity) else {
            continue;
        };
        let entity_sources = written.sources.remove(&entity).unwrap_or_default();
        if entity_sources.is_empty() {
            continue;
        }
        let files = written.files.remove(&entity).unwrap_or_default();
        if any_rows && files.iter().all(|file| file.rows == 0) {
            entity_rejects.finish()?;
            let rejected = entity_rejects.count();
            if rejected > 0 {
                reports.push(TableReport {
                    table: entity.table().to_owned(),
                    rows: transaction
                        .table(entity.table())
                        .map_or(0, |meta| meta.rows),
                    read: rejected,
                    added: 0,
                    updated: 0,
                    superseded: 0,
                    rejected,
                    sources: entity_sources,
                    already_imported: Vec::new(),
                    rejects_path: Some(warehouse.rejects_path(entity.table())),
                    first_reject: entity_rejects.first().cloned(),
                });
            }
            continue;
        }
        let staged = Staged {
            files,
            sources: entity_sources,
            key: vec!["id".to_owned()],
            version: Some("updated_at"),
            currency: None,
            already: Vec::new(),
            mode: merge::KeyMode::Row,
            unique: false,
        };
        reports.push(finish_table(
            transaction,
            warehouse,
            entity.table(),
            staged,
            entity_rejects,
            options,
        )?);
    }
    if reports.is_empty() {
        let path = contacts::paths(&sources)
            .into_iter()
            .next()
            .unwrap_or_default();
        return Err(ImportError::NoRows {
            path,
            table: "contacts".to_owned(),
        });
    }
    Ok(reports)
}

/// Merges staged rows into `table` and sets the table's new metadata in the transaction.
fn finish_table(
    transaction: &mut Transaction,
    warehouse: &Warehouse,
    table: &str,
    staged: Staged,
    mut rejects: rejects::RejectsWriter,
    options: &ImportOptions,
) -> Result<TableReport, ImportError> {
    let previous = transaction.table(table).cloned();
    let replace = options.replace;
    if let Some(previous) = &previous
        && !replace
        && !previous.files.is_empty()
        && previous.key != staged.key
    {
        let list = |key: &[String]| key.join(", ");
        return Err(ImportError::KeyChanged {
            table: table.to_owned(),
            old: list(&previous.key),
            new: list(&staged.key),
        });
    }
    rejects.finish()?;
    let rejected = rejects.count();
    let sources = staged.sources;
    let read: u64 = sources.iter().map(|s| s.rows + s.rejected).sum();
    let new_rows: u64 = staged.files.iter().map(|f| f.rows).sum();

    if sources.is_empty() && !staged.already.is_empty() {
        // Every file was imported before: the table stays as it is.
        return Ok(TableReport {
            table: table.to_owned(),
            rows: previous.as_ref().map_or(0, |m| m.rows),
            read: 0,
            added: 0,
            updated: 0,
            superseded: 0,
            rejected: 0,
            sources: Vec::new(),
            already_imported: staged.already,
            rejects_path: None,
            first_reject: None,
        });
    }
    if new_rows == 0 {
        if let Some(first) = rejects.first() {
            // The table stays as it was, but the rejected rows are kept where the user looks
            // for them.
            let live = warehouse.rejects_path(table);
            if let Some(dir) = live.parent() {
                std::fs::create_dir_all(dir).map_err(|source| ImportError::Io {
                    path: dir.to_owned(),
                    source,
                })?;
            }
            std::fs::copy(rejects.path(), &live).map_err(|source| ImportError::Io {
                path: live.clone(),
                source,
            })?;
            return Err(ImportError::NothingImported {
                rejected,
                first: Box::new(first.clone()),
                rejects: live,
            });
        }
        // A file with a header and no rows would leave the table as it was, which a user who
        // exported a filtered list by mistake should hear about.
        let path = sources
            .first()
            .map(|s| PathBuf::from(&s.path))
            .unwrap_or_default();
        return Err(ImportError::NoRows {
            path,
            table: table.to_owned(),
        });
    }

    if replace && let Some(mut meta) = previous.clone() {
        meta.files.clear();
        transaction.put_table(meta);
    }
    let (files, counts) = merge::merge(
        transaction,
        table,
        staged.files,
        &staged.key,
        staged.version,
        staged.mode,
        staged.unique,
    )?;
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let mut all_sources = match &previous {
        Some(meta) if !replace => meta.sources.clone(),
        _ => Vec::new(),
    };
    all_sources.extend(sources.iter().cloned());
    let meta = TableMeta {
        format_version: FORMAT_VERSION,
        table: table.to_owned(),
        timezone: options.timezone.name().to_owned(),
        currency: staged
            .currency
            .or_else(|| previous.as_ref().and_then(|m| m.currency.clone())),
        imported_at: now_rfc3339(),
        demo: options.demo,
        rows,
        rejected,
        key: staged.key,
        version_column: staged.version.map(str::to_owned),
        won_stages: match table {
            "deals" => options.won_stages.clone(),
            _ => Vec::new(),
        },
        lost_stages: match table {
            "deals" => options.lost_stages.clone(),
            _ => Vec::new(),
        },
        files,
        sources: all_sources,
    };
    transaction.put_table(meta);
    Ok(TableReport {
        table: table.to_owned(),
        rows,
        read,
        added: counts.added,
        updated: counts.updated,
        superseded: counts.superseded,
        rejected,
        sources,
        already_imported: staged.already,
        rejects_path: (rejected > 0).then(|| warehouse.rejects_path(table)),
        first_reject: rejects.first().cloned(),
    })
}

/// Files written by the deals importer, before the merge.
struct DealsWritten {
    files: Vec<DataFile>,
    sources: Vec<SourceMeta>,
    currency: Option<String>,
    /// Whether no deal id repeats among the files.
    unique: bool,
}

/// Writes the deals files and returns their data files, source metadata and currency.
fn import_deals(
    transaction: &mut Transaction,
    sources: &mut [deals::OpenedSource],
    options: &ImportOptions,
    l: &Localizer,
    rejects: &mut rejects::RejectsWriter,
    progress: &pipeline::Progress,
) -> Result<DealsWritten, ImportError> {
    let mut context = deals::DealsContext {
        zone: options.timezone,
        stages: deals::StageNames::new(&options.won_stages, &options.lost_stages),
        l,
        locators: sources
            .iter()
            .map(|s| {
                (!s.encoding.is_transcoded() && s.sheet.is_none())
                    .then(|| RefCell::new(LineLocator::new(&s.path, s.bom)))
            })
            .collect(),
    };
    let mut metas = Vec::with_capacity(sources.len());
    let mut currency = None;
    // Files are read last to first. When exports overlap, the copy of a deal from the file
    // listed last is kept and older copies go to the rejects file. In a folder that is the
    // last file by name, which for amoCRM's dated file names is the newest export.
    let mut ids: Vec<i64> = Vec::new();
    let mut all_ids_known = true;
    let mut files_of: Vec<Vec<DataFile>> = vec![Vec::new(); sources.len()];
    for (index, source) in sources.iter_mut().enumerate().rev() {
        if currency.is_none() {
            currency = HeaderPlan::from_labels(&source.labels).currency;
        }
        let meta = if source.sheet.is_none() && !source.encoding.is_transcoded() {
            let data_start = source.bom + source.reader.position().byte();
            let parallel = pipeline::ParallelSource {
                path: &source.path,
                encoding: source.encoding,
                delimiter: source.delimiter,
                data_start,
                first_line: 1 + pipeline::count_lines(&source.path, data_start)?,
                sheet: None,
            };
            let plan = deals::DealPlan::new(
                &source.labels,
                source.encoding,
                options.timezone,
                context.stages.clone(),
            );
            let mut new_file = || transaction.new_file("deals").map_err(ImportError::from);
            let output = pipeline::convert(
                &parallel,
                &plan,
                &mut new_file,
                rejects,
                options.timezone,
                l,
                progress,
            )?;
            ids.extend(output.ids);
            files_of[index] = output.files;
            output.meta
        } else {
            all_ids_known = false;
            let target = transaction.new_file("deals")?;
            let (meta, file) = deals::import_file(source, index, target, &mut context, rejects)?;
            if file.rows > 0 {
                files_of[index] = vec![file];
            }
            meta
        };
        tracing::info!(path = %source.path.display(), rows = meta.rows, rejected = meta.rejected, "imported deals file");
        metas.push(meta);
    }
    metas.reverse();
    let files: Vec<DataFile> = files_of.into_iter().flatten().collect();
    // Repeated ids are merged later; without them, a new table needs no merge at all.
    let unique = all_ids_known && {
        ids.sort_unstable();
        ids.windows(2).all(|pair| pair[0] != pair[1])
    };
    Ok(DealsWritten {
        files,
        sources: metas,
        currency,
        unique,
    })
}
