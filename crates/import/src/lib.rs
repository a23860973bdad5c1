//! Conversion of amoCRM exports into warehouse tables.
//!
//! The import reads export files row by row, writes Parquet into a staging folder and swaps the
//! finished table into the warehouse. Rows it cannot read go to the table's rejects file with the
//! file, line, column and reason; they never stop the import. This crate does not print: it
//! returns an [`ImportReport`] for the caller to show.

pub mod detect;
pub mod values;

mod deals;
mod error;
mod lines;
mod rejects;

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use crmsql_i18n::Localizer;

use crate::lines::LineLocator;
use crmsql_schema::deals::HeaderPlan;
use crmsql_schema::warehouse::{FORMAT_VERSION, SourceMeta, TableMeta, Warehouse};

pub use crate::deals::LABEL_METADATA_KEY;
pub use crate::detect::Encoding;
pub use crate::error::ImportError;
pub use crate::rejects::{REJECTS_HEADER, Reject};

/// Default account time zone: most amoCRM accounts of Russian-speaking teams keep Moscow time.
pub const DEFAULT_TIMEZONE: &str = "Europe/Moscow";
/// Bytes read from the start of a file to detect its encoding and delimiter.
const SAMPLE_BYTES: usize = 1 << 20;

/// Settings of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Time zone of the account, in which export wall times are read.
    pub timezone: Tz,
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
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            timezone: chrono_tz::Europe::Moscow,
            encoding: None,
            delimiter: None,
            won_stages: Vec::new(),
            lost_stages: Vec::new(),
            demo: false,
        }
    }
}

/// Parses an IANA time zone name such as `Europe/Moscow`, ignoring case.
pub fn parse_timezone(name: &str) -> Result<Tz, ImportError> {
    Tz::from_str_insensitive(name.trim()).map_err(|_| ImportError::UnknownTimezone {
        value: name.to_owned(),
    })
}

/// Parses a delimiter given on the command line: one character, or `tab` / `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, ImportError> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
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

/// Result of importing one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: String,
    pub rows: u64,
    pub rejected: u64,
    pub sources: Vec<SourceMeta>,
    /// Rejects file, when at least one row was rejected.
    pub rejects_path: Option<PathBuf>,
}

/// Result of an import.
#[derive(Debug)]
pub struct ImportReport {
    pub tables: Vec<TableReport>,
    pub skipped: Vec<SkippedFile>,
}

/// Lists the files to import: files as given, and the files of each folder sorted by name, each
/// with a flag that marks it as found in a folder (such a file is skipped, not fatal, when it is not
/// a deals export).
fn expand_paths(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, ImportError> {
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
    Ok(files)
}

/// Opens an export file, detects its encoding and delimiter and reads the header row.
fn open_source(path: &Path, options: &ImportOptions) -> Result<deals::OpenedSource, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    (&mut file)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(io)?;
    let whole_file = sample.len() < SAMPLE_BYTES;

    let encoding = options
        .encoding
        .unwrap_or_else(|| detect::detect_encoding(&sample, whole_file));
    if let Some(kind) = detect::detect_not_csv(&sample, encoding) {
        return Err(ImportError::NotCsv {
            path: path.to_owned(),
            kind,
        });
    }
    // Skip a byte-order mark even when the encoding was given, so it never ends up in a label.
    let bom = if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        encoding.bom_len()
    };
    let text_sample = match encoding {
        Encoding::Utf16Le => encoding_rs::UTF_16LE
            .decode_without_bom_handling(&sample[bom.min(sample.len())..])
            .0
            .into_owned()
            .into_bytes(),
        Encoding::Utf16Be => encoding_rs::UTF_16BE
            .decode_without_bom_handling(&sample[bom.min(sample.len())..])
            .0
            .into_owned()
            .into_bytes(),
        _ => sample[bom.min(sample.len())..].to_vec(),
    };
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| detect::detect_delimiter(&text_sample));
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
    })
}

fn header_preview(labels: &[String]) -> String {
    let mut preview: Vec<&str> = labels.iter().take(5).map(String::as_str).collect();
    if labels.len() > 5 {
        preview.push("…");
    }
    preview.join(", ")
}

/// Imports export files (or every CSV file in the given folders) into `warehouse`.
///
/// All deals files of one call become the new `deals` table, replacing the old one only when the
/// whole import succeeded. `l` sets the language of the reasons in the rejects file.
pub fn import(
    warehouse: &Warehouse,
    paths: &[PathBuf],
    options: &ImportOptions,
    l: &Localizer,
) -> Result<ImportReport, ImportError> {
    let files = expand_paths(paths)?;
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for (path, from_folder) in files {
        let opened = open_source(&path, options).and_then(|source| {
            if HeaderPlan::from_labels(&source.labels).is_deals_export() {
                Ok(source)
            } else {
                let header = header_preview(&source.labels);
                Err(ImportError::NotDealsExport {
                    path: path.clone(),
                    header,
                    forced: options.encoding.is_some() || options.delimiter.is_some(),
                })
            }
        });
        match opened {
            Ok(source) => sources.push(source),
            Err(
                reason @ (ImportError::NotDealsExport { .. }
                | ImportError::NotCsv { .. }
                | ImportError::EmptyFile { .. }),
            ) if from_folder => skipped.push(SkippedFile { path, reason }),
            Err(error) => return Err(error),
        }
    }
    if sources.is_empty() {
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

    warehouse.recover()?;
    let staged = warehouse.stage("deals")?;
    let result = import_deals(&staged, &mut sources, options, l);
    match result {
        Ok((meta, rejects_written)) => {
            let report = TableReport {
                table: meta.table.clone(),
                rows: meta.rows,
                rejected: meta.rejected,
                sources: meta.sources.clone(),
                rejects_path: rejects_written.then(|| warehouse.rejects_path("deals")),
            };
            staged.commit(&meta)?;
            Ok(ImportReport {
                tables: vec![report],
                skipped,
            })
        }
        Err(error) => {
            staged.abort();
            Err(error)
        }
    }
}

fn import_deals(
    staged: &crmsql_schema::warehouse::StagedTable,
    sources: &mut [deals::OpenedSource],
    options: &ImportOptions,
    l: &Localizer,
) -> Result<(TableMeta, bool), ImportError> {
    let mut rejects = rejects::RejectsWriter::new(staged.rejects_path());
    let mut context = deals::DealsContext {
        zone: options.timezone,
        stages: deals::StageNames::new(&options.won_stages, &options.lost_stages),
        l,
        seen_ids: Default::default(),
        locators: sources
            .iter()
            .map(|s| {
                (!s.encoding.is_transcoded())
                    .then(|| RefCell::new(LineLocator::new(&s.path, s.bom)))
            })
            .collect(),
        source_paths: sources.iter().map(|s| s.path.clone()).collect(),
    };
    let mut metas = Vec::with_capacity(sources.len());
    let mut currency = None;
    // Files are read last to first. When exports overlap, the copy of a deal from the file
    // listed last is kept and older copies go to the rejects file. In a folder that is the
    // last file by name, which for amoCRM's dated file names is the newest export.
    for (index, source) in sources.iter_mut().enumerate().rev() {
        let out_path = staged.dir().join(format!("part-{:05}.parquet", index + 1));
        if currency.is_none() {
            currency = HeaderPlan::from_labels(&source.labels).currency;
        }
        let meta = deals::import_file(source, index, &out_path, &mut context, &mut rejects)?;
        tracing::info!(path = %source.path.display(), rows = meta.rows, rejected = meta.rejected, "imported deals file");
        metas.push(meta);
    }
    rejects.finish()?;
    metas.reverse();

    let rows: u64 = metas.iter().map(|m| m.rows).sum();
    let rejected = rejects.count();
    if rows == 0
        && let Some(first) = rejects.first()
    {
        return Err(ImportError::NothingImported {
            rejected,
            first: Box::new(first.clone()),
        });
    }
    // Exports with a header and no deals would replace the table with an empty one, which is
    // never what a user who exported a filtered list by mistake wants.
    if rows == 0 {
        let path = sources.first().map(|s| s.path.clone()).unwrap_or_default();
        return Err(ImportError::NoRows { path });
    }
    let meta = TableMeta {
        format_version: FORMAT_VERSION,
        table: "deals".to_owned(),
        timezone: options.timezone.name().to_owned(),
        currency,
        imported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        demo: options.demo,
        rows,
        rejected,
        sources: metas,
    };
    Ok((meta, rejected > 0))
}
