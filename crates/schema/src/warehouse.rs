//! On-disk layout of a warehouse and the atomic replacement of its tables.
//!
//! A warehouse is a folder with one subfolder per table. A table folder contains Parquet files and
//! `_table.json`, which records where each file came from. An import writes the new table into
//! `.staging/` and then swaps folders, so readers see either the old table or the new one, never
//! a half-written table. Rejected rows of the last import of a table are kept in
//! `_rejects/<table>.csv`.

use std::path::{Path, PathBuf};

use crmsql_i18n::{Arg, Localize, Localizer, io_error_text};
use serde::{Deserialize, Serialize};

/// File name of a table's metadata inside its folder.
pub const META_FILE: &str = "_table.json";
/// Version of the metadata layout written by this build.
pub const FORMAT_VERSION: u32 = 1;
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

/// One imported export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Path of the export as given to `import`.
    pub path: String,
    /// Parquet file in the table folder that contains its rows.
    pub file: String,
    pub encoding: String,
    pub delimiter: String,
    pub rows: u64,
    pub rejected: u64,
    pub columns: Vec<ColumnMeta>,
}

/// Contents of `_table.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMeta {
    pub format_version: u32,
    pub table: String,
    /// IANA time zone of the account, in which export wall times were read.
    pub timezone: String,
    /// ISO code of the currency of money columns, when the export named it.
    pub currency: Option<String>,
    /// Import time, RFC 3339.
    pub imported_at: String,
    /// Whether the table was built from the bundled demo export.
    #[serde(default)]
    pub demo: bool,
    pub rows: u64,
    pub rejected: u64,
    pub sources: Vec<SourceMeta>,
}

/// A warehouse folder.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
}

/// New version of a table being written; it becomes visible only on [`StagedTable::commit`].
#[derive(Debug)]
pub struct StagedTable {
    table: String,
    dir: PathBuf,
    rejects: PathBuf,
    root: PathBuf,
}

impl Warehouse {
    pub fn new(root: impl Into<PathBuf>) -> Warehouse {
        Warehouse { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns the folder of `table`.
    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }

    /// Returns the rejects file of `table`.
    pub fn rejects_path(&self, table: &str) -> PathBuf {
        self.root.join(REJECTS_DIR).join(format!("{table}.csv"))
    }

    /// Lists the tables (folders with metadata), sorted by name.
    pub fn tables(&self) -> Result<Vec<String>, WarehouseError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(io_error(&self.root)(error)),
        };
        let mut tables = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&self.root))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(['.', '_']) {
                continue;
            }
            if entry.path().join(META_FILE).is_file() {
                tables.push(name);
            }
        }
        tables.sort();
        Ok(tables)
    }

    /// Reads the metadata of `table`.
    pub fn read_meta(&self, table: &str) -> Result<TableMeta, WarehouseError> {
        let path = self.table_dir(table).join(META_FILE);
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        serde_json::from_str(&text).map_err(|source| WarehouseError::Meta { path, source })
    }

    /// Restores a table whose swap was interrupted and removes staging folders of imports that
    /// are no longer running.
    pub fn recover(&self) -> Result<(), WarehouseError> {
        let staging = self.root.join(STAGING_DIR);
        let entries = match std::fs::read_dir(&staging) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(io_error(&staging)(error)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error(&staging))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((table, pid, kind)) = parse_staging_name(&name) else {
                continue;
            };
            if process_is_running(pid) {
                continue;
            }
            let path = entry.path();
            let table_dir = self.table_dir(table);
            if kind == "old" && !table_dir.exists() {
                std::fs::rename(&path, &table_dir).map_err(io_error(&path))?;
                tracing::warn!(
                    table,
                    "restored the previous table after an interrupted import"
                );
            } else {
                std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
            }
        }
        Ok(())
    }

    /// Starts writing a new version of `table`.
    pub fn stage(&self, table: &str) -> Result<StagedTable, WarehouseError> {
        let unique = staging_name(table, "new");
        let dir = self.root.join(STAGING_DIR).join(&unique);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let rejects = self
            .root
            .join(STAGING_DIR)
            .join(format!("{unique}.rejects.csv"));
        Ok(StagedTable {
            table: table.to_owned(),
            dir,
            rejects,
            root: self.root.clone(),
        })
    }
}

impl StagedTable {
    /// Folder to write the table's Parquet files into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// File to write rejected rows into.
    pub fn rejects_path(&self) -> &Path {
        &self.rejects
    }

    /// Writes the metadata and replaces the live table with this one.
    ///
    /// The old folder is first renamed aside and removed only after the new one is in place. If
    /// the process dies between the two renames, [`Warehouse::recover`] puts the old one back.
    pub fn commit(self, meta: &TableMeta) -> Result<(), WarehouseError> {
        let meta_path = self.dir.join(META_FILE);
        let text = serde_json::to_string_pretty(meta).map_err(|source| WarehouseError::Meta {
            path: meta_path.clone(),
            source,
        })?;
        std::fs::write(&meta_path, text).map_err(io_error(&meta_path))?;

        let warehouse = Warehouse::new(&self.root);
        let live = warehouse.table_dir(&self.table);
        let aside = self
            .root
            .join(STAGING_DIR)
            .join(staging_name(&self.table, "old"));
        let had_old = live.exists();
        if had_old {
            std::fs::rename(&live, &aside).map_err(io_error(&live))?;
        }
        if let Err(error) = std::fs::rename(&self.dir, &live) {
            if had_old {
                // Put the old table back so the warehouse stays as it was.
                let _ = std::fs::rename(&aside, &live);
            }
            return Err(io_error(&self.dir)(error));
        }

        let rejects_live = warehouse.rejects_path(&self.table);
        if self.rejects.exists() {
            let parent = self.root.join(REJECTS_DIR);
            std::fs::create_dir_all(&parent).map_err(io_error(&parent))?;
            std::fs::rename(&self.rejects, &rejects_live).map_err(io_error(&self.rejects))?;
        } else if rejects_live.exists() {
            std::fs::remove_file(&rejects_live).map_err(io_error(&rejects_live))?;
        }

        if had_old {
            std::fs::remove_dir_all(&aside).map_err(io_error(&aside))?;
        }
        // Leave no empty staging folder behind; another import may still be using it.
        let _ = std::fs::remove_dir(self.root.join(STAGING_DIR));
        Ok(())
    }

    /// Drops the staged files, leaving the live table untouched.
    pub fn abort(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.rejects);
    }
}

fn staging_name(table: &str, kind: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{table}.{}.{nanos}.{kind}", std::process::id())
}

/// Splits a staging entry name `table.pid.nanos.kind` (rejects files carry one more suffix).
fn parse_staging_name(name: &str) -> Option<(&str, u32, &str)> {
    let mut parts = name.split('.');
    let table = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    let _nanos = parts.next()?;
    let kind = parts.next()?;
    Some((table, pid, kind))
}

fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = Path::new("/proc");
    // Without /proc there is no cheap check, so keep the folder rather than delete live work.
    !proc_root.is_dir() || proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(table: &str, rows: u64) -> TableMeta {
        TableMeta {
            format_version: FORMAT_VERSION,
            table: table.to_owned(),
            timezone: "Europe/Moscow".to_owned(),
            currency: None,
            imported_at: "2025-01-01T00:00:00Z".to_owned(),
            demo: false,
            rows,
            rejected: 0,
            sources: Vec::new(),
        }
    }

    #[test]
    fn commit_replaces_table() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        let first = warehouse.stage("deals")?;
        std::fs::write(first.dir().join("a.parquet"), b"1").map_err(io_error(first.dir()))?;
        first.commit(&meta("deals", 1))?;

        let second = warehouse.stage("deals")?;
        std::fs::write(second.dir().join("b.parquet"), b"2").map_err(io_error(second.dir()))?;
        second.commit(&meta("deals", 2))?;

        assert_eq!(warehouse.tables()?, ["deals"]);
        assert_eq!(warehouse.read_meta("deals")?.rows, 2);
        assert!(!warehouse.table_dir("deals").join("a.parquet").exists());
        assert!(warehouse.table_dir("deals").join("b.parquet").exists());
        Ok(())
    }

    #[test]
    fn recover_restores_interrupted_swap() -> Result<(), WarehouseError> {
        let root = tempfile::tempdir().map_err(io_error(Path::new("tmp")))?;
        let warehouse = Warehouse::new(root.path());
        let staged = warehouse.stage("deals")?;
        staged.commit(&meta("deals", 1))?;

        // Simulate a crash after the live folder was moved aside by a process that has exited.
        let staging = root.path().join(STAGING_DIR);
        std::fs::create_dir_all(&staging).map_err(io_error(&staging))?;
        let aside = staging.join("deals.999999999.1.old");
        std::fs::rename(warehouse.table_dir("deals"), &aside).map_err(io_error(&aside))?;
        let half_written = root.path().join(STAGING_DIR).join("deals.999999999.2.new");
        std::fs::create_dir_all(&half_written).map_err(io_error(&half_written))?;

        warehouse.recover()?;
        assert_eq!(warehouse.read_meta("deals")?.rows, 1);
        assert!(!half_written.exists());
        Ok(())
    }
}
