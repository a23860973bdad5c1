//! Detection of a CSV file's text encoding and delimiter from its first bytes.

use std::fmt;

/// Text encoding of an export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark, which the reader skips.
    Utf8Bom,
    Windows1251,
}

impl Encoding {
    /// Parses a name given on the command line (`utf-8`, `cp1251`, `windows-1251`).
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "utf-8-sig" | "utf-8-bom" => Some(Encoding::Utf8Bom),
            "cp1251" | "windows-1251" | "win-1251" | "1251" => Some(Encoding::Windows1251),
            _ => None,
        }
    }

    /// Number of byte-order-mark bytes at the start of the file.
    pub fn bom_len(self) -> usize {
        match self {
            Encoding::Utf8Bom => 3,
            _ => 0,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8 (BOM)",
            Encoding::Windows1251 => "windows-1251",
        })
    }
}

/// Detects the encoding from the first bytes of a file: a UTF-8 byte-order mark, else valid
/// UTF-8, else windows-1251 (the legacy encoding of Russian exports).
pub fn detect_encoding(sample: &[u8], sample_is_whole_file: bool) -> Encoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Encoding::Utf8,
        // A sample cut in the middle of a character ends with an incomplete sequence, which is
        // not evidence against UTF-8.
        Err(error) if error.error_len().is_none() && !sample_is_whole_file => Encoding::Utf8,
        Err(_) => Encoding::Windows1251,
    }
}

/// Picks the delimiter that occurs most often outside quotes in the first line: `,`, `;` or a
/// tab. Ties and lines with none of them give `,`.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    for &byte in sample {
        match byte {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Shows a delimiter the way a user would type it.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "\\t".to_owned(),
        other => char::from(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_detection() {
        assert_eq!(
            detect_encoding(b"\xEF\xBB\xBFID;", false),
            Encoding::Utf8Bom
        );
        assert_eq!(
            detect_encoding("ID,Бюджет".as_bytes(), true),
            Encoding::Utf8
        );
        // "Бюджет" in windows-1251
        assert_eq!(
            detect_encoding(b"ID;\xc1\xfe\xe4\xe6\xe5\xf2", true),
            Encoding::Windows1251
        );
        // A UTF-8 sample cut after the first byte of "Б".
        assert_eq!(detect_encoding(b"ID,\xd0", false), Encoding::Utf8);
        assert_eq!(detect_encoding(b"ID,\xd0", true), Encoding::Windows1251);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter(b"ID;Name;\"a,b,c,d\"\n1;2;3"), b';');
        assert_eq!(detect_delimiter(b"ID,Name,Budget\n"), b',');
        assert_eq!(detect_delimiter(b"ID\tName\n"), b'\t');
        assert_eq!(detect_delimiter(b"ID\n"), b',');
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::parse("CP1251"), Some(Encoding::Windows1251));
        assert_eq!(Encoding::parse("utf8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("koi8"), None);
    }
}
