//! On-disk layout of a warehouse, its snapshots and the locks that keep readers and writers apart.
//!
//! A warehouse is a folder of immutable Parquet files under `data/<table>/` and numbered snapshots
//! under `snapshots/`. A snapshot lists every table with its files and import metadata; the file
//! `CURRENT` names the snapshot that readers see. An import writes new files, then a new snapshot,
//! then replaces `CURRENT` with one rename, so a reader sees the old warehouse or the new one and
//! never a mix, whichever tables the import touched.
//!
//! Writers hold an exclusive lock on `.lock`, so a second import waits for the first. A reader
//! holds a shared lock on the snapshot it opened; files of older snapshots are deleted only once no
//! reader holds them. Rejected rows of the last import of a table are kept in
//! `_rejects/<table>.csv`.
//!
//! Warehouses written by earlier builds kept one folder per table with `_table.json`. Readers take
//! them as they are, and the next import lists their files in a snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crmsql_i18n::{Arg, Localize, Localizer, io_error_text};
use serde::{Deserialize, Serialize};

/// File name of a table's metadata inside its folder, in warehouses of earlier builds.
pub const META_FILE: &str = "_table.json";
/// Version of the snapshot layout written by this build.
pub const FORMAT_VERSION: u32 = 2;
const CURRENT_FILE: &str = "CURRENT";
const LOCK_FILE: &str = ".lock";
const SNAPSHOTS_DIR: &str = "snapshots";
const DATA_DIR: &str = "data";
const STAGING_DIR: &str = ".staging";
const REJECTS_DIR: &str = "_rejects";

/// Error while reading or changing a warehouse.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    #[error("{}", self.localize(Localizer::english()))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", self.localize(Localizer::english()))]
    Meta {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The snapshot was written by a newer build.
    #[error("{}", self.localize(Localizer::english()))]
    NewerFormat { path: PathBuf, version: u32 },
    /// `CURRENT` is missing or empty while snapshots exist.
    #[error("{}", self.localize(Localizer::english()))]
    CurrentMissing { path: PathBuf, newest: String },
    /// `CURRENT` names a snapshot that does not exist.
    #[error("{}", self.localize(Localizer::english()))]
    MissingSnapshot {
        path: PathBuf,
        name: String,
        /// Newest snapshot in the folder, which `CURRENT` can be pointed at.
        newest: Option<String>,
    },
}

impl Localize for WarehouseError {
    fn localize(&self, l: &Localizer) -> String {
        match self {
            WarehouseError::Io { path, source } => l.format(
                "warehouse-io",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("detail", Arg::from(io_error_text(source, l))),
                ],
            ),
            WarehouseError::Meta { path, source } => l.format(
                "warehouse-meta",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("detail", Arg::from(source.to_string())),
                ],
            ),
            WarehouseError::CurrentMissing { path, newest } => l.format(
                "warehouse-current-missing",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("newest", Arg::from(newest)),
                ],
            ),
            WarehouseError::MissingSnapshot { path, name, newest } => l.format(
                match newest {
                    Some(_) => "warehouse-missing-snapshot",
                    None => "warehouse-no-snapshots",
                },
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("name", Arg::from(name)),
                    ("newest", Arg::from(newest.clone().unwrap_or_default())),
                ],
            ),
            WarehouseError::NewerFormat { path, version } => l.format(
                "warehouse-newer-format",
                &[
                    ("path", Arg::from(path.display().to_string())),
                    ("version", Arg::from(u64::from(*version))),
                ],
            ),
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> WarehouseError + '_ {
    move |source| WarehouseError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Column of a source file and the table column it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMeta {
    pub name: String,
    pub label: String,
    pub position: usize,
}

/// One imported source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Path of the source as given to `import`.
    pub path: String,
    /// Format the file was read as: `csv`, `text`, `xlsx`, `json`.
    #[serde(default)]
    pub format: String,
    pub encoding: String,
    pub delimiter: String,
    /// Rows of the file that reached the table (new or updating an existing row).
    pub rows: u64,
    pub rejected: u64,
    pub columns: Vec<ColumnMeta>,
    /// Size and content hash of the file, to recognize a file imported before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Sheet read from a spreadsheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

/// Parquet file of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the warehouse folder.
    pub path: String,
    pub rows: u64,
}

/// Metadata of one table in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMeta {
    pub format_version: u32,
    pub table: String,
    /// IANA time zone of the account, in which export wall times were read.
    pub timezone: String,
    /// ISO code of the currency of money columns, when the source named it.
    pub currency: Option<String>,
    /// Time of the last import that changed the table, RFC 3339.
    pub imported_at: String,
    /// Whether the table was built from the bundled demo export.
    #[serde(default)]
    pub demo: bool,
    pub rows: u64,
    /// Rows rejected by the last import that changed the table.
    pub rejected: u64,
    /// Columns that identify a row; a newer import replaces rows with the same key.
    #[serde(default)]
    pub key: Vec<String>,
    /// Column whose larger value marks the newer copy of a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_column: Option<String>,
    /// Stage names the user declared won or lost (besides amoCRM's own), kept so that later
    /// imports of the table read outcomes the same way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub won_stages: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost_stages: Vec<String>,
    #[serde(default)]
    pub files: Vec<DataFile>,
    /// Every source imported into the table, oldest first.
    pub sources: Vec<SourceMeta>,
}

/// Contents of a snapshot file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SnapshotFile {
    format_version: u32,
    id: u64,
    tables: BTreeMap<String, TableMeta>,
}

/// The tables of a warehouse as one import left them.
///
/// A snapshot opened for reading holds a shared lock on its file for as long as it (or a clone) is
/// alive, so an import does not delete the files it lists.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub id: u64,
    pub tables: BTreeMap<String, TableMeta>,
    _guard: Option<Arc<File>>,
}

impl Snapshot {
    /// Returns the metadata of `table`.
    pub fn table(&self, table: &str) -> Option<&TableMeta> {
        self.tables.get(table)
    }
}

/// A warehouse folder.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

/// Open import: the writer lock, the snapshot it started from and the files written so far.
///
/// Nothing a transaction writes is visible until [`Transaction::commit`]. Dropping it without a
/// commit removes its files.
#[derive(Debug)]
pub struct Transaction {
    root: PathBuf,
    lock: File,
    base: Snapshot,
    tables: BTreeMap<String, TableMeta>,
    written: Vec<PathBuf>,
    rejects: BTreeMap<String, PathBuf>,
    committed: bool,
    counter: u64,
}

impl Warehouse {
    pub fn new(root: impl Into<PathBuf>) -> Warehouse {
        Warehouse { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns the rejects file of `table`.
    pub fn rejects_path(&self, table: &str) -> PathBuf {
        self.root.join(REJECTS_DIR).join(format!("{table}.csv"))
    }

    /// Returns the absolute path of a data file listed in a snapshot.
    pub fn file_path(&self, file: &DataFile) -> PathBuf {
        self.root.join(&file.path)
    }

    /// Opens the current snapshot for reading and keeps its files until the snapshot is dropped.
    pub fn snapshot(&self) -> Result<Snapshot, WarehouseError> {
        // An import may replace CURRENT and delete the snapshot it named between the read of
        // CURRENT and the lock; then the name is read again.
        let mut missing = String::new();
        for _ in 0..100 {
            let name = match self.current_name()? {
                Some(name) if !name.is_empty() => name,
                // Snapshots without CURRENT mean a damaged folder, not an old layout: reading it
                // as empty would let the next import drop every table.
                current => match self.newest_snapshot() {
                    Some(newest) => {
                        return Err(WarehouseError::CurrentMissing {
                            path: self.root.join(CURRENT_FILE),
                            newest,
                        });
                    }
                    None if current.is_none() => return self.legacy_snapshot(),
                    None => return Ok(Snapshot::default()),
                },
            };
            missing.clone_from(&name);
            let path = self.root.join(SNAPSHOTS_DIR).join(&name);
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(io_error(&path)(error)),
            };
            file.lock_shared().map_err(io_error(&path))?;
            if !path.exists() {
                continue;
            }
            let contents = read_snapshot_file(&path)?;
            return Ok(Snapshot {
                id: contents.id,
                tables: contents.tables,
                _guard: Some(Arc::new(file)),
            });
        }
        // CURRENT kept naming a snapshot that is not there: the folder was damaged.
        Err(WarehouseError::MissingSnapshot {
            path: self.root.join(CURRENT_FILE),
            name: missing,
            newest: self.newest_snapshot(),
        })
    }

    /// Returns the file name of the newest snapshot in the folder, if any.
    fn newest_snapshot(&self) -> Option<String> {
        std::fs::read_dir(self.root.join(SNAPSHOTS_DIR))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| snapshot_id(name).is_some())
            .max()
    }

    /// Lists the tables, sorted by name.
    pub fn tables(&self) -> Result<Vec<String>, WarehouseError> {
        Ok(self.snapshot()?.tables.into_keys().collect())
    }

    /// Reads the metadata of `table` in the current snapshot.
    pub fn read_meta(&self, table: &str) -> Result<Option<TableMeta>, WarehouseError> {
        Ok(self.snapshot()?.tables.remove(table))
    }

    /// Starts an import. When another process is importing, `on_wait` is called once and the
    /// call blocks until that import ends.
    pub fn begin(&self, on_wait: &dyn Fn()) -> Result<Transaction, WarehouseError> {
        std::fs::create_dir_all(&self.root).map_err(io_error(&self.root))?;
        let lock_path = self.root.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait();
                lock.lock().map_err(io_error(&lock_path))?;
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(io_error(&lock_path)(error)),
        }
        recover_legacy(&self.root)?;
        let base = self.snapshot()?;
        let transaction = Transaction {
            root: self.root.clone(),
            lock,
            tables: base.tables.clone(),
            base,
            written: Vec::new(),
            rejects: BTreeMap::new(),
            committed: false,
            counter: 0,
        };
        transaction.collect_garbage()?;
        Ok(transaction)
    }

    fn current_name(&self) -> Result<Option<String>, WarehouseError> {
        let path = self.root.join(CURRENT_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text.trim().to_owned())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io_error(&path)(error)),
        }
    }

    /// Reads a warehouse of an earlier build: one folder per table with `_table.json`.
    fn legacy_snapshot(&self) -> Result<Snapshot, WarehouseError> {
        recover_legacy(&self.root)?;
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Snapshot::default());
            }
            Err(error) => return Err(io_error(&self.root)(error)),
        };
        let mut tables = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(['.', '_']) || name == DATA_DIR || name == SNAPSHOTS_DIR {
                continue;
            }
            let meta_path = entry.path().join(META_FILE);
            if !meta_path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&meta_path).map_err(io_error(&meta_path))?;
            let mut meta: TableMeta =
                serde_json::from_str(&text).map_err(|source| WarehouseError::Meta {
                    path: meta_path.clone(),
                    source,
                })?;
            let mut files = Vec::new();
            let dir = entry.path();
            for file in std::fs::read_dir(&dir).map_err(io_error(&dir))? {
                let file = file.map_err(io_error(&dir))?;
                let file_name = file.file_name().to_string_lossy().into_owned();
                if file_name.ends_with(".parquet") {
                    files.push(DataFile {
                        path: format!("{name}/{file_name}"),
                        rows: 0,
                    });
                }
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            if let [only] = files.as_mut_slice() {
                only.rows = meta.rows;
            }
            meta.files = files;
            if meta.table == "deals" && meta.key.is_empty() {
                meta.key = vec!["id".to_owned()];
            }
            tables.insert(name, meta);
        }
        Ok(Snapshot {
            id: 0,
            tables,
            _guard: None,
        })
    }
}

impl Transaction {
    /// Snapshot the import started from.
    pub fn base(&self) -> &Snapshot {
        &self.base
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns the table as it will be after the commit, with the changes made so far.
    pub fn table(&self, table: &str) -> Option<&TableMeta> {
        self.tables.get(table)
    }

    /// Returns a new path for a Parquet file of `table` and remembers it, so an aborted import
    /// removes it. The path is relative to the warehouse folder.
    pub fn new_file(&mut self, table: &str) -> Result<(String, PathBuf), WarehouseError> {
        let dir = self.root.join(DATA_DIR).join(table);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        self.counter += 1;
        let name = format!(
            "{}-{}-{:04}.parquet",
            unique_stamp(),
            std::process::id(),
            self.counter
        );
        let relative = format!("{DATA_DIR}/{table}/{name}");
        let path = dir.join(name);
        self.written.push(path.clone());
        Ok((relative, path))
    }

    /// Returns the file to write rejected rows of `table` into; it replaces the table's rejects
    /// file on commit.
    pub fn rejects_path(&mut self, table: &str) -> Result<PathBuf, WarehouseError> {
        let dir = self.root.join(STAGING_DIR);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let path = dir.join(format!("{table}.{}.rejects.csv", std::process::id()));
        self.rejects.insert(table.to_owned(), path.clone());
        Ok(path)
    }

    /// Sets the new version of a table. Files of the old version that `meta` no longer lists are
    /// deleted once no reader has a snapshot with them open.
    pub fn put_table(&mut self, meta: TableMeta) {
        self.tables.insert(meta.table.clone(), meta);
    }

    /// Drops a table from the snapshot to commit. Its files are deleted like replaced ones.
    pub fn remove_table(&mut self, table: &str) -> Option<TableMeta> {
        self.tables.remove(table)
    }

    /// Names of the tables as they will be after the commit.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// Returns the tables as they will be after the commit, by name.
    pub fn tables(&self) -> &BTreeMap<String, TableMeta> {
        &self.tables
    }

    /// Makes the changes visible: writes a snapshot and points `CURRENT` at it.
    pub fn commit(mut self) -> Result<u64, WarehouseError> {
        for path in &self.written {
            if path.exists() {
                sync_file(path)?;
            }
        }
        let id = self.next_snapshot_id()?;
        let snapshots = self.root.join(SNAPSHOTS_DIR);
        std::fs::create_dir_all(&snapshots).map_err(io_error(&snapshots))?;
        let contents = SnapshotFile {
            format_version: FORMAT_VERSION,
            id,
            tables: self.tables.clone(),
        };
        let name = format!("{id:08}.json");
        let path = snapshots.join(&name);
        let text =
            serde_json::to_string_pretty(&contents).map_err(|source| WarehouseError::Meta {
                path: path.clone(),
                source,
            })?;
        write_durably(&path, text.as_bytes())?;
        sync_dir(&snapshots)?;
        write_durably(
            &self.root.join(CURRENT_FILE),
            format!("{name}\n").as_bytes(),
        )?;
        sync_dir(&self.root)?;
        self.committed = true;

        let rejects_dir = self.root.join(REJECTS_DIR);
        for (table, staged) in std::mem::take(&mut self.rejects) {
            let live = rejects_dir.join(format!("{table}.csv"));
            if staged.exists() {
                std::fs::create_dir_all(&rejects_dir).map_err(io_error(&rejects_dir))?;
                std::fs::rename(&staged, &live).map_err(io_error(&staged))?;
            } else if live.exists() {
                std::fs::remove_file(&live).map_err(io_error(&live))?;
            }
        }
        // The snapshot the import started from is no longer current; drop this process's hold.
        self.base = Snapshot::default();
        self.collect_garbage()?;
        Ok(id)
    }

    fn next_snapshot_id(&self) -> Result<u64, WarehouseError> {
        let mut id = self.base.id;
        let dir = self.root.join(SNAPSHOTS_DIR);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries {
                let entry = entry.map_err(io_error(&dir))?;
                if let Some(n) = snapshot_id(&entry.file_name().to_string_lossy()) {
                    id = id.max(n);
                }
            }
        }
        Ok(id + 1)
    }

    /// Deletes snapshots that are neither current nor held by a reader, and files that no
    /// remaining snapshot lists. Runs under the writer lock, so no import is writing files.
    fn collect_garbage(&self) -> Result<(), WarehouseError> {
        let warehouse = Warehouse::new(&self.root);
        let current = warehouse.current_name()?;
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        for meta in self.tables.values().chain(self.base.tables.values()) {
            referenced.extend(meta.files.iter().map(|f| f.path.clone()));
        }
        let snapshots = self.root.join(SNAPSHOTS_DIR);
        if let Ok(entries) = std::fs::read_dir(&snapshots) {
            for entry in entries {
                let entry = entry.map_err(io_error(&snapshots))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if snapshot_id(&name).is_none() {
                    continue;
                }
                let path = entry.path();
                let keep = if current.as_deref() == Some(name.as_str()) {
                    true
                } else {
                    match File::open(&path) {
                        // Held by a reader: keep it and its files.
                        Ok(file) => match file.try_lock() {
                            Ok(()) => {
                                std::fs::remove_file(&path).map_err(io_error(&path))?;
                                false
                            }
                            Err(_) => true,
                        },
                        Err(_) => false,
                    }
                };
                if keep && let Ok(contents) = read_snapshot_file(&path) {
                    for meta in contents.tables.values() {
                        referenced.extend(meta.files.iter().map(|f| f.path.clone()));
                    }
                }
            }
        }
        let written: BTreeSet<&PathBuf> = if self.committed {
            BTreeSet::new()
        } else {
            self.written.iter().collect()
        };
        let data = self.root.join(DATA_DIR);
        if let Ok(tables) = std::fs::read_dir(&data) {
            for table in tables {
                let table = table.map_err(io_error(&data))?;
                let table_name = table.file_name().to_string_lossy().into_owned();
                let Ok(files) = std::fs::read_dir(table.path()) else {
                    continue;
                };
                for file in files {
                    let file = file.map_err(io_error(&data))?;
                    let relative = format!(
                        "{DATA_DIR}/{table_name}/{}",
                        file.file_name().to_string_lossy()
                    );
                    if !referenced.contains(&relative) && !written.contains(&file.path()) {
                        let path = file.path();
                        std::fs::remove_file(&path).map_err(io_error(&path))?;
                    }
                }
                let _ = std::fs::remove_dir(table.path());
            }
        }
        // Table folders of an earlier build that no snapshot lists any more.
        if current.is_some()
            && let Ok(entries) = std::fs::read_dir(&self.root)
        {
            for entry in entries {
                let entry = entry.map_err(io_error(&self.root))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = entry.path();
                if name.starts_with(['.', '_']) || !path.join(META_FILE).is_file() {
                    continue;
                }
                let prefix = format!("{name}/");
                if !referenced.iter().any(|f| f.starts_with(&prefix)) {
                    std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
                }
            }
        }
        // Rejects files of imports that died before their commit.
        let staging = self.root.join(STAGING_DIR);
        if let Ok(entries) = std::fs::read_dir(&staging) {
            for entry in entries {
                let entry = entry.map_err(io_error(&staging))?;
                if !self.rejects.values().any(|p| *p == entry.path()) {
                    let path = entry.path();
                    if path.is_dir() {
                        std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
                    } else {
                        std::fs::remove_file(&path).map_err(io_error(&path))?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.committed {
            for path in &self.written {
                let _ = std::fs::remove_file(path);
            }
            for path in self.rejects.values() {
                let _ = std::fs::remove_file(path);
            }
            // Removing a folder fails when it is not empty, so only folders left empty by this
            // import go.
            for path in &self.written {
                if let Some(table_dir) = path.parent() {
                    let _ = std::fs::remove_dir(table_dir);
                }
            }
            let _ = std::fs::remove_dir(self.root.join(DATA_DIR));
            let _ = std::fs::remove_dir(self.root.join(STAGING_DIR));
        }
        let _ = self.lock.unlock();
    }
}

fn read_snapshot_file(path: &Path) -> Result<SnapshotFile, WarehouseError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let contents: SnapshotFile =
        serde_json::from_str(&text).map_err(|source| WarehouseError::Meta {
            path: path.to_owned(),
            source,
        })?;
    if contents.format_version > FORMAT_VERSION {
        return Err(WarehouseError::NewerFormat {
            path: path.to_owned(),
            version: contents.format_version,
        });
    }
    Ok(contents)
}

fn snapshot_id(name: &str) -> Option<u64> {
    name.strip_suffix(".json")?.parse().ok()
}

fn unique_stamp() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}")
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk and renames it over
/// `path`, so `path` has either its old or its new contents after a crash.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), WarehouseError> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = File::create(&temporary).map_err(io_error(&temporary))?;
    file.write_all(bytes).map_err(io_error(&temporary))?;
    file.sync_all().map_err(io_error(&temporary))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io_error(path))
}

fn sync_file(path: &Path) -> Result<(), WarehouseError> {
    File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(io_error(path))
}

fn sync_dir(path: &Path) -> Result<(), WarehouseError> {
    // Directories cannot be opened for syncing on every platform; a failure here is not fatal.
    if let Ok(dir) = File::open(path) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Puts back a table folder of an earlier build whose swap was interrupted, and removes
/// half-written table folders of such builds.
fn recover_legacy(root: &Path) -> Result<(), WarehouseError> {
    let staging = root.join(STAGING_DIR);
    let Ok(entries) = std::fs::read_dir(&staging) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry.map_err(io_error(&staging))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut parts = name.split('.');
        let (Some(table), Some(pid), Some(_), Some(kind), None) = (
            parts.next(),
            parts.next().and_then(|p| p.parse::<u32>().ok()),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            continue;
        };
        if process_is_running(pid) {
            continue;
        }
        let path = entry.path();
        let table_dir = root.join(table);
        if kind == "old" && !table_dir.exists() {
            std::fs::rename(&path, &table_dir).map_err(io_error(&path))?;
        } else if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}

fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = Path::new("/proc");
    !proc_root.is_dir() || proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(table: &str, rows: u64, files: Vec<DataFile>) -> TableMeta {
        TableMeta {
            format_version: FORMAT_VERSION,
            table: table.to_owned(),
            timezone: "Europe/Moscow".to_owned(),
            currency: None,
            imported_at: "2025-01-01T00:00:00Z".to_owned(),
            demo: false,
            rows,
            rejected: 0,
            key: Vec::new(),
            version_column: None,
            won_stages: Vec::new(),
            lost_stages: Vec::new(),
            files,
            sources: Vec::new(),
        }
    }

    fn write_table(
        warehouse: &Warehouse,
        table: &str,
        contents: &[u8],
    ) -> Result<String, WarehouseError> {
        let mut transaction = warehouse.begin(&|| {})?;
        let (relative, path) = transaction.new_file(table)?;
        std::fs::write(&path, contents).map_err(io_error(&path))?;
        transaction.put_table(meta(
            table,
            1,
            vec![DataFile {
                path: relative.clone(),
                rows: 1,
            }],
        ));
        transaction.commit()?;
        Ok(relative)
    }

    #[test]
    fn commit_replaces_table_and_deletes_unused_files() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        let first = write_table(&warehouse, "deals", b"1")?;
        let second = write_table(&warehouse, "deals", b"2")?;

        assert_eq!(warehouse.tables()?, ["deals"]);
        let snapshot = warehouse.snapshot()?;
        assert_eq!(snapshot.id, 2);
        let files = &snapshot.tables["deals"].files;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, second);
        assert!(!root.path().join(&first).exists());
        Ok(())
    }

    #[test]
    fn damaged_current_names_newest_snapshot() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        write_table(&warehouse, "deals", b"1")?;
        write_table(&warehouse, "deals", b"2")?;
        let current = root.path().join(CURRENT_FILE);
        std::fs::write(&current, "garbage\n").map_err(io_error(&current))?;

        match warehouse.snapshot() {
            Err(WarehouseError::MissingSnapshot { name, newest, .. }) => {
                assert_eq!(name, "garbage");
                assert_eq!(newest.as_deref(), Some("00000002.json"));
            }
            other => panic!("expected a missing snapshot, got {other:?}"),
        }
        Ok(())
    }

    #[test]
    fn missing_current_is_not_an_empty_warehouse() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        write_table(&warehouse, "deals", b"1")?;
        let current = root.path().join(CURRENT_FILE);
        for damage in ["", "missing"] {
            match damage {
                "" => std::fs::write(&current, "").map_err(io_error(&current))?,
                _ => std::fs::remove_file(&current).map_err(io_error(&current))?,
            }
            match warehouse.begin(&|| {}) {
                Err(WarehouseError::CurrentMissing { newest, .. }) => {
                    assert_eq!(newest, "00000001.json");
                }
                other => panic!("expected a missing CURRENT, got {other:?}"),
            }
        }
        assert!(
            root.path()
                .join(SNAPSHOTS_DIR)
                .join("00000001.json")
                .exists()
        );
        Ok(())
    }

    #[test]
    fn reader_keeps_its_snapshot_files() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        let first = write_table(&warehouse, "deals", b"1")?;
        let reader = warehouse.snapshot()?;
        let second = write_table(&warehouse, "deals", b"2")?;
        // The reader still sees its files, and a new reader sees the new ones.
        assert_eq!(reader.tables["deals"].files[0].path, first);
        assert!(root.path().join(&first).exists());
        assert_eq!(warehouse.snapshot()?.tables["deals"].files[0].path, second);
        drop(reader);
        // The next import removes what the reader no longer holds.
        write_table(&warehouse, "contacts", b"3")?;
        assert!(!root.path().join(&first).exists());
        assert!(root.path().join(&second).exists());
        Ok(())
    }

    #[test]
    fn dropped_transaction_leaves_warehouse_unchanged() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        let first = write_table(&warehouse, "deals", b"1")?;
        {
            let mut transaction = warehouse.begin(&|| {})?;
            let (_, path) = transaction.new_file("deals")?;
            std::fs::write(&path, b"half").map_err(io_error(&path))?;
            let (_, new_table) = transaction.new_file("contacts")?;
            std::fs::write(&new_table, b"half").map_err(io_error(&new_table))?;
            transaction.put_table(meta("deals", 5, Vec::new()));
            assert!(path.exists());
        }
        // The folder of a table the import started is gone; the one of an existing table stays.
        assert!(!root.path().join("data/contacts").exists());
        let snapshot = warehouse.snapshot()?;
        assert_eq!(snapshot.tables["deals"].files[0].path, first);
        let left: Vec<_> = std::fs::read_dir(root.path().join("data/deals"))
            .map_err(io_error(root.path()))?
            .collect();
        assert_eq!(left.len(), 1);
        Ok(())
    }

    #[test]
    fn legacy_table_folders_are_read_and_taken_over() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let dir = root.path().join("deals");
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        std::fs::write(dir.join("part-00001.parquet"), b"x").map_err(io_error(&dir))?;
        let mut legacy = meta("deals", 7, Vec::new());
        legacy.format_version = 1;
        let text = serde_json::to_string(&legacy).map_err(|source| WarehouseError::Meta {
            path: dir.clone(),
            source,
        })?;
        std::fs::write(dir.join(META_FILE), text).map_err(io_error(&dir))?;

        let warehouse = Warehouse::new(root.path());
        let snapshot = warehouse.snapshot()?;
        assert_eq!(
            snapshot.tables["deals"].files[0].path,
            "deals/part-00001.parquet"
        );
        assert_eq!(snapshot.tables["deals"].key, ["id"]);
        drop(snapshot);

        // An import of another table keeps the legacy table listed.
        write_table(&warehouse, "contacts", b"c")?;
        assert!(dir.join("part-00001.parquet").exists());
        assert_eq!(warehouse.tables()?, ["contacts", "deals"]);
        // Replacing it removes the old folder.
        write_table(&warehouse, "deals", b"d")?;
        assert!(!dir.exists());
        Ok(())
    }
}
