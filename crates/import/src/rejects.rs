//! The rejects file: every row an import could not read, with where and why.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::ImportError;

/// Columns of the rejects file.
pub const REJECTS_HEADER: [&str; 7] = [
    "file",
    "line",
    "column",
    "value",
    "reason_code",
    "reason",
    "record",
];

/// One rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub file: PathBuf,
    /// Line of the file where the row starts, counting from 1.
    pub line: u64,
    /// Header label of the offending column, empty when the row as a whole is wrong.
    pub column: String,
    pub value: String,
    pub reason_code: &'static str,
    pub reason: String,
    /// The row as read from the file, fields joined with the file's delimiter.
    pub record: String,
}

/// Writer of the rejects file, created on the first rejected row.
pub(crate) struct RejectsWriter {
    path: PathBuf,
    writer: Option<csv::Writer<BufWriter<File>>>,
    count: u64,
    first: Option<Reject>,
}

impl RejectsWriter {
    pub(crate) fn new(path: &Path) -> RejectsWriter {
        RejectsWriter {
            path: path.to_owned(),
            writer: None,
            count: 0,
            first: None,
        }
    }

    pub(crate) fn write(&mut self, reject: Reject) -> Result<(), ImportError> {
        let io = |source| ImportError::Io {
            path: self.path.clone(),
            source,
        };
        if self.writer.is_none() {
            let file = File::create(&self.path).map_err(io)?;
            let mut buffered = BufWriter::new(file);
            // A byte-order mark lets spreadsheet programs open the UTF-8 file with Cyrillic intact.
            buffered.write_all(b"\xEF\xBB\xBF").map_err(io)?;
            let mut writer = csv::Writer::from_writer(buffered);
            writer
                .write_record(REJECTS_HEADER)
                .map_err(|e| self.csv_error(e))?;
            self.writer = Some(writer);
        }
        let line = reject.line.to_string();
        let file = reject.file.display().to_string();
        if let Some(writer) = self.writer.as_mut() {
            let result = writer.write_record([
                file.as_str(),
                line.as_str(),
                reject.column.as_str(),
                reject.value.as_str(),
                reject.reason_code,
                reject.reason.as_str(),
                reject.record.as_str(),
            ]);
            if let Err(error) = result {
                return Err(self.csv_error(error));
            }
        }
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(reject);
        }
        Ok(())
    }

    fn csv_error(&self, error: csv::Error) -> ImportError {
        ImportError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(error),
        }
    }

    /// File the rows are written to.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn first(&self) -> Option<&Reject> {
        self.first.as_ref()
    }

    pub(crate) fn finish(&mut self) -> Result<(), ImportError> {
        if let Some(writer) = self.writer.as_mut() {
            writer.flush().map_err(|source| ImportError::Io {
                path: self.path.clone(),
                source,
            })?;
        }
        self.writer = None;
        Ok(())
    }
}
