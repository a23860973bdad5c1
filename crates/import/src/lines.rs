//! Line numbers of records, for messages and the rejects file.
//!
//! The CSV parser's own line count is off by one after a record that ends in CRLF, because it
//! starts the next record before it has read the `\n`. Rejected rows are rare, so the true line is
//! found lazily: by counting `\n` bytes in the file up to the record's byte offset.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Finder of the line on which a byte offset lies, scanning forward from the previous request.
pub(crate) struct LineLocator {
    path: PathBuf,
    /// Offset in the file where the parser's byte offsets start (after a byte-order mark).
    start: u64,
    reader: Option<BufReader<File>>,
    /// Parser offset reached by the scan, and the line it is on.
    offset: u64,
    line: u64,
}

impl LineLocator {
    pub(crate) fn new(path: &Path, start: u64) -> LineLocator {
        LineLocator {
            path: path.to_owned(),
            start,
            reader: None,
            offset: 0,
            line: 1,
        }
    }

    /// Returns the line where the record at parser offset `byte` begins, or `None` when the file
    /// cannot be read again.
    pub(crate) fn line_at(&mut self, byte: u64) -> Option<u64> {
        if self.reader.is_none() || byte < self.offset {
            let mut file = File::open(&self.path).ok()?;
            file.seek(SeekFrom::Start(self.start)).ok()?;
            self.reader = Some(BufReader::with_capacity(1 << 16, file));
            self.offset = 0;
            self.line = 1;
        }
        let reader = self.reader.as_mut()?;
        while self.offset < byte {
            let buffer = reader.fill_buf().ok()?;
            if buffer.is_empty() {
                break;
            }
            let take = buffer
                .len()
                .min(usize::try_from(byte - self.offset).unwrap_or(usize::MAX));
            self.line += buffer[..take].iter().filter(|b| **b == b'\n').count() as u64;
            reader.consume(take);
            self.offset += take as u64;
        }
        // The parser may report a record as starting on the line break that ends the previous
        // one. A record never begins with a line break, so skip them.
        let mut line = self.line;
        if let Ok(buffer) = reader.fill_buf() {
            for byte in buffer {
                match byte {
                    b'\n' => line += 1,
                    b'\r' => {}
                    _ => break,
                }
            }
        }
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_found_in_crlf_file() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "h1,h2\r\na,b\r\n\r\nc,\"d\r\ne\"\r\nf,g\r\n")?;
        let mut locator = LineLocator::new(&path, 0);
        // Offsets as a parser might report them: at the `\n` of the previous CRLF.
        assert_eq!(locator.line_at(6), Some(2));
        assert_eq!(locator.line_at(13), Some(4));
        assert_eq!(locator.line_at(23), Some(6));
        // Going back rescans from the start.
        assert_eq!(locator.line_at(0), Some(1));
        Ok(())
    }
}
