//! Merging newly imported rows into a table by key.
//!
//! An import writes its rows into new Parquet files first. When the table has key columns, an old
//! row whose key reappears is replaced. The copy with the larger version column (`updated_at` for
//! amoCRM entities) wins. On a tie, or without a version, the newer import wins. Old files are never changed in place: a file that loses rows is rewritten into a
//! new file, and the old one stays readable for sessions that opened the previous snapshot.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use crmsql_schema::warehouse::{DataFile, Transaction};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::ImportError;
use crate::output::writer_properties;

/// Rows per batch when files are read back for merging.
const READ_BATCH_ROWS: usize = 64 * 1024;

/// Counts of the outcomes of an import's rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeCounts {
    /// Rows with a key the table did not have (or every row, for a table without a key).
    pub added: u64,
    /// Rows that replaced an older copy with the same key.
    pub updated: u64,
    /// Rows dropped because the table already held a newer copy, or because a later row of the
    /// same import had the same key.
    pub superseded: u64,
}

/// Mask of the rows of one file that stay.
struct FileMask {
    keep: Vec<bool>,
    dropped: u64,
}

fn parquet_error(
    path: &Path,
) -> impl FnOnce(datafusion::parquet::errors::ParquetError) -> ImportError + '_ {
    move |source| ImportError::Parquet {
        path: path.to_owned(),
        source,
    }
}

fn arrow_error(source: datafusion::arrow::error::ArrowError) -> ImportError {
    ImportError::Arrow { source }
}

/// Returns the number of rows of a Parquet file from its footer.
fn row_count(path: &Path) -> Result<u64, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error(path))?;
    Ok(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or_default())
}

/// Reads the key and version columns of a file, batch by batch.
fn read_keys(
    path: &Path,
    key: &[String],
    version: Option<&str>,
    mut each: impl FnMut(&[ArrayRef], Option<&TimestampMicrosecondArray>) -> Result<(), ImportError>,
) -> Result<bool, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error(path))?;
    let schema = builder.schema().clone();
    let mut indices = Vec::with_capacity(key.len() + 1);
    for name in key {
        match schema.index_of(name) {
            Ok(index) => indices.push(index),
            // A file without the key column cannot be matched by key; it is kept whole.
            Err(_) => return Ok(false),
        }
    }
    let version_index = version.and_then(|name| schema.index_of(name).ok());
    indices.extend(version_index);
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(parquet_error(path))?;
    for batch in reader {
        let batch = batch.map_err(arrow_error)?;
        let keys: Vec<ArrayRef> = key
            .iter()
            .map(|name| batch.column_by_name(name).cloned())
            .collect::<Option<_>>()
            .unwrap_or_default();
        let versions = match (version, version_index) {
            (Some(name), Some(_)) => match batch.column_by_name(name) {
                Some(column) => {
                    let column = cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None))
                        .map_err(arrow_error)?;
                    column
                        .as_any()
                        .downcast_ref::<TimestampMicrosecondArray>()
                        .cloned()
                }
                None => None,
            },
            _ => None,
        };
        each(&keys, versions.as_ref())?;
    }
    Ok(true)
}

fn converter_for(path: &Path, key: &[String]) -> Result<Option<RowConverter>, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error(path))?;
    let schema = builder.schema();
    let mut fields = Vec::with_capacity(key.len());
    for name in key {
        match schema.field_with_name(name) {
            Ok(field) => fields.push(SortField::new(field.data_type().clone())),
            Err(_) => return Ok(None),
        }
    }
    RowConverter::new(fields).map(Some).map_err(arrow_error)
}

/// Copy of a key seen in the new files: where it is and how new it is.
#[derive(Clone, Copy)]
struct NewRow {
    file: usize,
    row: usize,
    version: Option<i64>,
}

/// Relation of a table's rows to its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyMode {
    /// One row per key (a deal, a contact).
    Row,
    /// Several rows per key that are replaced together (the custom field values of an entity).
    Group,
}

/// Rows of the new files with one key.
struct Entry {
    first: NewRow,
    /// Further rows of the key, in group mode.
    more: Vec<NewRow>,
    version: Option<i64>,
    had_old: bool,
    old_wins: bool,
}

impl Entry {
    fn new(first: NewRow) -> Entry {
        Entry {
            first,
            more: Vec::new(),
            version: first.version,
            had_old: false,
            old_wins: false,
        }
    }
}

/// Keeps the old rows of keys whose old copy is newer than the imported one. In row mode one old
/// row meets one new row, so nothing of the old row was dropped. In group mode the scan
/// may have dropped old rows of the key before it met the newer one.
fn restore_winners(
    root: &Path,
    old_files: &[DataFile],
    old_masks: &mut [FileMask],
    key: &[String],
    version: Option<&str>,
    converter: &RowConverter,
    seen: &HashMap<Box<[u8]>, Entry>,
) -> Result<(), ImportError> {
    for (file, mask) in old_files.iter().zip(old_masks.iter_mut()) {
        let mut row = 0usize;
        read_keys(&root.join(&file.path), key, version, |keys, _| {
            let rows = converter.convert_columns(keys).map_err(arrow_error)?;
            for (i, encoded) in rows.iter().enumerate() {
                if seen.get(encoded.as_ref()).is_some_and(|e| e.old_wins) && !mask.keep[row + i] {
                    mask.keep[row + i] = true;
                    mask.dropped -= 1;
                }
            }
            row += rows.num_rows();
            Ok(())
        })?;
    }
    Ok(())
}

/// Merges `new_files` (just written by the import) into the table's files in the transaction, and
/// returns the table's new file list with the counts.
pub(crate) fn merge(
    transaction: &mut Transaction,
    table: &str,
    new_files: Vec<DataFile>,
    key: &[String],
    version: Option<&str>,
    mode: KeyMode,
    unique: bool,
) -> Result<(Vec<DataFile>, MergeCounts), ImportError> {
    let root = transaction.root().to_owned();
    let old_files: Vec<DataFile> = transaction
        .table(table)
        .map(|meta| meta.files.clone())
        .unwrap_or_default();
    let new_rows: u64 = new_files.iter().map(|f| f.rows).sum();
    // Nothing to match: every new row is added as it is.
    if key.is_empty() || (unique && old_files.is_empty()) {
        let mut files = old_files;
        files.extend(new_files);
        let counts = MergeCounts {
            added: new_rows,
            ..MergeCounts::default()
        };
        return Ok((files, counts));
    }

    let Some(first) = new_files.first() else {
        return Ok((old_files, MergeCounts::default()));
    };
    let Some(converter) = converter_for(&root.join(&first.path), key)? else {
        let mut files = old_files;
        files.extend(new_files);
        let counts = MergeCounts {
            added: new_rows,
            ..MergeCounts::default()
        };
        return Ok((files, counts));
    };

    // Keys of the new rows. In row mode a key repeated within the import keeps its newest copy.
    // In group mode the rows of the key's newest version stay together, and older versions go.
    let mut seen: HashMap<Box<[u8]>, Entry> = HashMap::new();
    let mut new_masks: Vec<FileMask> = new_files
        .iter()
        .map(|f| FileMask {
            keep: vec![true; f.rows as usize],
            dropped: 0,
        })
        .collect();
    let mut counts = MergeCounts::default();
    for (file_index, file) in new_files.iter().enumerate() {
        let mut row = 0usize;
        read_keys(&root.join(&file.path), key, version, |keys, versions| {
            let rows = converter.convert_columns(keys).map_err(arrow_error)?;
            for (i, encoded) in rows.iter().enumerate() {
                let copy = NewRow {
                    file: file_index,
                    row: row + i,
                    version: versions.and_then(|v| v.is_valid(i).then(|| v.value(i))),
                };
                let Some(entry) = seen.get_mut(encoded.as_ref()) else {
                    seen.insert(encoded.as_ref().into(), Entry::new(copy));
                    continue;
                };
                if mode == KeyMode::Group {
                    entry.version = entry.version.max(copy.version);
                    entry.more.push(copy);
                } else if newer(entry.first.version, copy.version) {
                    drop_row(&mut new_masks, copy);
                    counts.superseded += 1;
                } else {
                    drop_row(&mut new_masks, entry.first);
                    counts.superseded += 1;
                    entry.version = copy.version;
                    entry.first = copy;
                }
            }
            row += keys.first().map_or(0, |k| k.len());
            Ok(())
        })?;
    }

    if mode == KeyMode::Group {
        for entry in seen.values() {
            for copy in std::iter::once(&entry.first).chain(&entry.more) {
                if newer(entry.version, copy.version) {
                    drop_row(&mut new_masks, *copy);
                    counts.superseded += 1;
                }
            }
        }
    }

    // Old rows with the same key: the older copy goes.
    let mut old_masks = Vec::with_capacity(old_files.len());
    let mut old_files = old_files;
    for file in &mut old_files {
        // Files of warehouses from earlier builds may not record their row counts.
        file.rows = row_count(&root.join(&file.path))?;
        let mut mask = FileMask {
            keep: vec![true; file.rows as usize],
            dropped: 0,
        };
        let mut row = 0usize;
        let matched = read_keys(&root.join(&file.path), key, version, |keys, versions| {
            let rows = converter.convert_columns(keys).map_err(arrow_error)?;
            if mask.keep.len() < row + rows.num_rows() {
                mask.keep.resize(row + rows.num_rows(), true);
            }
            for (i, encoded) in rows.iter().enumerate() {
                let Some(entry) = seen.get_mut(encoded.as_ref()) else {
                    continue;
                };
                entry.had_old = true;
                let old_version = versions.and_then(|v| v.is_valid(i).then(|| v.value(i)));
                if newer(old_version, entry.version) {
                    entry.old_wins = true;
                } else {
                    mask.keep[row + i] = false;
                    mask.dropped += 1;
                }
            }
            row += rows.num_rows();
            Ok(())
        })?;
        if !matched {
            mask.dropped = 0;
        }
        old_masks.push(mask);
    }

    // Where an old copy won, put back the old rows of that key and drop the new ones.
    let mut restore = false;
    for entry in seen.values() {
        let rows = 1 + entry.more.len() as u64;
        if entry.old_wins {
            restore = true;
            for copy in std::iter::once(entry.first).chain(entry.more.iter().copied()) {
                drop_row(&mut new_masks, copy);
            }
            counts.superseded += rows;
        } else if entry.had_old {
            counts.updated += rows;
        } else {
            counts.added += rows;
        }
    }
    if restore {
        restore_winners(
            &root,
            &old_files,
            &mut old_masks,
            key,
            version,
            &converter,
            &seen,
        )?;
    }

    let mut files = Vec::with_capacity(old_files.len() + new_files.len());
    let mut emptied = Vec::new();
    for (file, mask) in old_files
        .into_iter()
        .zip(old_masks)
        .chain(new_files.into_iter().zip(new_masks))
    {
        if mask.dropped == 0 {
            files.push(file);
        } else if mask.dropped < file.rows {
            files.push(rewrite(
                transaction,
                table,
                &root.join(&file.path),
                &mask.keep,
            )?);
        } else {
            emptied.push(file);
        }
    }
    keep_columns(transaction, table, &mut files, emptied)?;
    Ok((files, counts))
}

/// Keeps the columns of files whose rows were all replaced. The table's columns are those of its
/// files, so when the newer rows come from a source without some columns (API pages replacing a
/// web export), an empty file with the old file's columns keeps them in the table.
fn keep_columns(
    transaction: &mut Transaction,
    table: &str,
    files: &mut Vec<DataFile>,
    emptied: Vec<DataFile>,
) -> Result<(), ImportError> {
    if emptied.is_empty() {
        return Ok(());
    }
    let root = transaction.root().to_owned();
    let mut present = std::collections::HashSet::new();
    for file in files.iter() {
        present.extend(column_names(&root.join(&file.path))?);
    }
    for file in emptied {
        let path = root.join(&file.path);
        let names = column_names(&path)?;
        if names.iter().all(|name| present.contains(name)) {
            continue;
        }
        files.push(rewrite(
            transaction,
            table,
            &path,
            &vec![false; file.rows as usize],
        )?);
        present.extend(names);
    }
    Ok(())
}

/// Returns the column names of a Parquet file, read from its footer.
fn column_names(path: &Path) -> Result<Vec<String>, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error(path))?;
    Ok(builder
        .schema()
        .fields()
        .iter()
        .map(|field| field.name().clone())
        .collect())
}

/// Whether a copy with version `a` beats a later-imported copy with version `b`: only when both
/// are known and `a` is strictly newer.
fn newer(a: Option<i64>, b: Option<i64>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a > b)
}

fn drop_row(masks: &mut [FileMask], row: NewRow) {
    let mask = &mut masks[row.file];
    if mask.keep[row.row] {
        mask.keep[row.row] = false;
        mask.dropped += 1;
    }
}

/// Writes the rows of `path` that `keep` marks into a new file of the table.
fn rewrite(
    transaction: &mut Transaction,
    table: &str,
    path: &Path,
    keep: &[bool],
) -> Result<DataFile, ImportError> {
    let file = File::open(path).map_err(|source| ImportError::Io {
        path: path.to_owned(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_error(path))?;
    let schema: SchemaRef = Arc::clone(builder.schema());
    let reader = builder
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(parquet_error(path))?;

    let (relative, out_path) = transaction.new_file(table)?;
    let out = File::create(&out_path).map_err(|source| ImportError::Io {
        path: out_path.clone(),
        source,
    })?;
    let mut writer = ArrowWriter::try_new(out, schema, Some(writer_properties()))
        .map_err(parquet_error(&out_path))?;

    let mut offset = 0usize;
    let mut rows = 0u64;
    for batch in reader {
        let batch: RecordBatch = batch.map_err(arrow_error)?;
        let end = offset + batch.num_rows();
        let predicate: BooleanArray = keep
            .get(offset..end)
            .map(|slice| slice.iter().map(|k| Some(*k)).collect())
            .unwrap_or_else(|| std::iter::repeat_n(Some(true), batch.num_rows()).collect());
        offset = end;
        let kept = filter_record_batch(&batch, &predicate).map_err(arrow_error)?;
        rows += kept.num_rows() as u64;
        writer.write(&kept).map_err(parquet_error(&out_path))?;
    }

    writer.close().map_err(parquet_error(&out_path))?;
    Ok(DataFile {
        path: relative,
        rows,
    })
}
