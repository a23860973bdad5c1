//! Detection of a CSV file's text encoding and delimiter from its first bytes.

use std::fmt;

/// Text encoding of an export file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark, which the reader skips.
    Utf8Bom,
    Windows1251,
    /// KOI8-R, the older Russian encoding of Unix systems and some 1C exports.
    Koi8R,
    /// UTF-16 with a byte-order mark, little-endian (what Excel's «Unicode text» writes).
    Utf16Le,
    /// UTF-16 with a byte-order mark, big-endian.
    Utf16Be,
}

impl Encoding {
    /// Parses a name given on the command line (`utf-8`, `cp1251`, `windows-1251`).
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "utf-8-sig" | "utf-8-bom" => Some(Encoding::Utf8Bom),
            "cp1251" | "windows-1251" | "win-1251" | "1251" => Some(Encoding::Windows1251),
            "koi8-r" | "koi8r" | "koi8" => Some(Encoding::Koi8R),
            "utf-16" | "utf-16le" | "utf16" => Some(Encoding::Utf16Le),
            "utf-16be" => Some(Encoding::Utf16Be),
            _ => None,
        }
    }

    /// Reports whether the reader transcodes the file to UTF-8 before parsing, so that cells
    /// arrive as UTF-8 bytes.
    pub fn is_transcoded(self) -> bool {
        matches!(self, Encoding::Utf16Le | Encoding::Utf16Be)
    }

    /// Decodes the bytes of a parsed cell for display, replacing what is not valid.
    pub fn decode_lossy(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Windows1251 => encoding_rs::WINDOWS_1251
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            Encoding::Koi8R => encoding_rs::KOI8_R
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            Encoding::Utf8 | Encoding::Utf8Bom | Encoding::Utf16Le | Encoding::Utf16Be => {
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8 (BOM)",
            Encoding::Windows1251 => "windows-1251",
            Encoding::Koi8R => "koi8-r",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        })
    }
}

/// Bytes read from the start of a file to detect its encoding and delimiter.
pub(crate) const SAMPLE_BYTES: usize = 1 << 20;

/// The start of a text file: its encoding, the length of its byte-order mark, and the sample
/// after the mark as UTF-8 (for UTF-16) or as it is, for finding the delimiter.
pub(crate) struct Sniffed {
    pub encoding: Encoding,
    pub bom: usize,
    pub text: Vec<u8>,
}

/// Reads the start of a file and detects its encoding, or uses `forced`. Returns `None` for a
/// spreadsheet, which is read as one, and an error for other files that are not text.
pub(crate) fn sniff(
    path: &std::path::Path,
    forced: Option<Encoding>,
) -> Result<Option<Sniffed>, crate::error::ImportError> {
    use std::io::Read;
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    std::fs::File::open(path)
        .and_then(|file| file.take(SAMPLE_BYTES as u64).read_to_end(&mut sample))
        .map_err(|source| crate::error::ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
    if crate::sheet::is_spreadsheet(&sample) {
        return Ok(None);
    }
    let whole_file = sample.len() < SAMPLE_BYTES;
    let encoding = forced.unwrap_or_else(|| detect_encoding(&sample, whole_file));
    if let Some(kind) = detect_not_csv(&sample, encoding) {
        return Err(crate::error::ImportError::NotCsv {
            path: path.to_owned(),
            kind,
        });
    }
    // Skip a byte-order mark even when the encoding was given, so it never ends up in a label,
    // and only when the file has one.
    let bom = match encoding {
        _ if sample.starts_with(&[0xEF, 0xBB, 0xBF]) => 3,
        Encoding::Utf16Le if sample.starts_with(&[0xFF, 0xFE]) => 2,
        Encoding::Utf16Be if sample.starts_with(&[0xFE, 0xFF]) => 2,
        _ => 0,
    };
    let after_bom = &sample[bom.min(sample.len())..];
    let text = match encoding {
        Encoding::Utf16Le | Encoding::Utf16Be => encoding.decode_lossy(after_bom).into_bytes(),
        _ => after_bom.to_vec(),
    };
    Ok(Some(Sniffed {
        encoding,
        bom,
        text,
    }))
}

/// Detects the encoding from the first bytes of a file: a UTF-8 or UTF-16 byte-order mark, else
/// valid UTF-8, else windows-1251 (the legacy encoding of Russian exports) or KOI8-R.
pub fn detect_encoding(sample: &[u8], sample_is_whole_file: bool) -> Encoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Bom;
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return Encoding::Utf16Le;
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16Be;
    }
    if let Some(utf16) = utf16_without_bom(sample) {
        return utf16;
    }
    // Valid UTF-8 is decided by the bulk of the sample, so one broken character (a cut emoji,
    // a stray windows-1251 byte pasted into a note) does not turn a UTF-8 file into mojibake.
    // Such a row is rejected later. windows-1251 Cyrillic almost never forms valid multi-byte
    // UTF-8 sequences, so it has few valid characters and many invalid bytes.
    let mut valid_non_ascii = 0usize;
    let mut invalid = 0usize;
    let mut chunks = sample.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        valid_non_ascii += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        let is_last = chunks.peek().is_none();
        // A sample cut in the middle of a character ends with an incomplete sequence, which is
        // not evidence against UTF-8.
        let cut_at_end = is_last && !sample_is_whole_file && chunk.invalid().len() < 4;
        if !chunk.invalid().is_empty() && !cut_at_end {
            invalid += 1;
        }
    }
    if invalid == 0 || valid_non_ascii >= 4 * invalid {
        Encoding::Utf8
    } else {
        single_byte_cyrillic(sample)
    }
}

/// Recognizes UTF-16 text without a byte-order mark by its zero bytes: in text of Latin letters,
/// digits and punctuation, every second byte is zero, at odd positions for little-endian.
fn utf16_without_bom(sample: &[u8]) -> Option<Encoding> {
    let pairs = sample.len().min(4096) / 2;
    if pairs < 4 {
        return None;
    }
    let zero_at = |parity: usize| {
        (0..pairs)
            .filter(|pair| sample[pair * 2 + parity] == 0)
            .count()
    };
    let (even, odd) = (zero_at(0), zero_at(1));
    let (encoding, units): (Encoding, Vec<u16>) = match () {
        _ if odd * 10 >= pairs * 3 && even * 20 < pairs => (
            Encoding::Utf16Le,
            (0..pairs)
                .map(|p| u16::from_le_bytes([sample[p * 2], sample[p * 2 + 1]]))
                .collect(),
        ),
        _ if even * 10 >= pairs * 3 && odd * 20 < pairs => (
            Encoding::Utf16Be,
            (0..pairs)
                .map(|p| u16::from_be_bytes([sample[p * 2], sample[p * 2 + 1]]))
                .collect(),
        ),
        _ => return None,
    };
    // Text has no control characters but line ends and tabs; binary data does.
    let text = char::decode_utf16(units)
        .all(|c| c.map_or(true, |c| !c.is_control() || matches!(c, '\t' | '\r' | '\n')));
    text.then_some(encoding)
}

/// Tells windows-1251 from KOI8-R by the case of the letters. Both put Cyrillic letters in the
/// upper half, but with the cases swapped: 0xC0–0xDF are capitals in windows-1251 and small
/// letters in KOI8-R, 0xE0–0xFF the other way round. Russian text is mostly small letters.
fn single_byte_cyrillic(sample: &[u8]) -> Encoding {
    let low_half = sample.iter().filter(|b| (0xC0..=0xDF).contains(*b)).count();
    let high_half = sample.iter().filter(|b| **b >= 0xE0).count();
    // A few bytes prove little, and windows-1251 is by far the more common of the two.
    if low_half >= 4 && low_half > 2 * high_half {
        Encoding::Koi8R
    } else {
        Encoding::Windows1251
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

/// File format recognized from its first bytes that is not CSV text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCsv {
    /// A ZIP container: `.xlsx`, `.ods` and other office files.
    Zip,
    /// The old binary Excel format (`.xls`).
    Ole,
    /// Bytes that are not text: NUL bytes outside UTF-16.
    Binary,
}

/// Recognizes files that are not CSV text from their first bytes.
pub fn detect_not_csv(sample: &[u8], encoding: Encoding) -> Option<NotCsv> {
    if sample.starts_with(b"PK\x03\x04") {
        return Some(NotCsv::Zip);
    }
    if sample.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(NotCsv::Ole);
    }
    if !encoding.is_transcoded() && sample.contains(&0) {
        return Some(NotCsv::Binary);
    }
    None
}

/// Shows a delimiter the way a user would type it.
pub fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "\\t".to_owned(),
        other => char::from(other).to_string(),
    }
}

/// Returns whether a cell of a windows-1251 or KOI8-R file is UTF-8 Cyrillic text, as when rows
/// from two files in different encodings were pasted together. Single-byte Cyrillic text is
/// almost never valid UTF-8, because its letters are all bytes of 0xC0 and above.
pub(crate) fn utf8_in_single_byte(bytes: &[u8]) -> bool {
    if bytes.is_ascii() {
        return false;
    }
    std::str::from_utf8(bytes)
        .is_ok_and(|text| text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)))
}

#[cfg(test)]
mod tests {

    #[test]
    fn utf8_cell_in_cp1251_file() {
        assert!(utf8_in_single_byte("Вторая сделка".as_bytes()));
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Вторая сделка «ТЕХНОПАРК»");
        assert!(!utf8_in_single_byte(&cp1251));
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("Успешно реализовано");
        assert!(!utf8_in_single_byte(&koi8));
        assert!(!utf8_in_single_byte(b"plain ascii"));
        // Valid UTF-8 without Cyrillic (a cp1251 capital before a closing quote) is not flagged.
        assert!(!utf8_in_single_byte(&[0xCA, 0xBB]));
    }

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
        // "Бюджет сделки" in KOI8-R.
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("ID;Бюджет сделки");
        assert_eq!(detect_encoding(&koi8, true), Encoding::Koi8R);
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("ID;Бюджет сделки");
        assert_eq!(detect_encoding(&cp1251, true), Encoding::Windows1251);
        // A UTF-8 sample cut after the first byte of "Б".
        assert_eq!(detect_encoding(b"ID,\xd0", false), Encoding::Utf8);
        assert_eq!(detect_encoding(b"ID,\xd0", true), Encoding::Windows1251);
        // A windows-1251 word in a short UTF-8 file stays UTF-8.
        let mut short = "ID,Название сделки,Бюджет\n1,".as_bytes().to_vec();
        short.extend_from_slice(b"\xce\xea,100\n");
        assert_eq!(detect_encoding(&short, true), Encoding::Utf8);
        // UTF-16 without a byte-order mark.
        let text = "ID;Бюджет;Этап сделки\n1;100;Новая\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(detect_encoding(&le, true), Encoding::Utf16Le);
        assert_eq!(detect_encoding(&be, true), Encoding::Utf16Be);
        // One broken character among plenty of valid Cyrillic stays UTF-8.
        let mut text = "Название сделки,Бюджет,Ответственный,Андрей Петров\n"
            .repeat(3)
            .into_bytes();
        text.extend_from_slice(b"\xF0\x9F\x98,x\n");
        assert_eq!(detect_encoding(&text, true), Encoding::Utf8);
    }

    #[test]
    fn delimiter_detection() {
        assert_eq!(detect_delimiter(b"ID;Name;\"a,b,c,d\"\n1;2;3"), b';');
        assert_eq!(detect_delimiter(b"ID,Name,Budget\n"), b',');
        assert_eq!(detect_delimiter(b"ID\tName\n"), b'\t');
        assert_eq!(detect_delimiter(b"ID\n"), b',');
    }

    #[test]
    fn utf16_and_binary_detection() {
        assert_eq!(
            detect_encoding(b"\xFF\xFEI\x00D\x00", true),
            Encoding::Utf16Le
        );
        assert_eq!(
            detect_encoding(b"\xFE\xFF\x00I\x00D", true),
            Encoding::Utf16Be
        );
        assert_eq!(
            detect_not_csv(b"PK\x03\x04rest", Encoding::Windows1251),
            Some(NotCsv::Zip)
        );
        assert_eq!(
            detect_not_csv(b"ID,\x00\x01", Encoding::Windows1251),
            Some(NotCsv::Binary)
        );
        assert_eq!(
            detect_not_csv(b"\xFF\xFEI\x00D\x00", Encoding::Utf16Le),
            None
        );
        assert_eq!(detect_not_csv(b"ID,Name\n", Encoding::Utf8), None);
    }

    #[test]
    fn encoding_names() {
        assert_eq!(Encoding::parse("CP1251"), Some(Encoding::Windows1251));
        assert_eq!(Encoding::parse("utf8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("koi8"), Some(Encoding::Koi8R));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}
