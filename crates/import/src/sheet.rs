//! Spreadsheets (`.xlsx`, `.xls`, `.ods`): a sheet is turned into CSV text and read as a CSV
//! export, so every rule for exports applies to it too.
//!
//! amoCRM writes dates and numbers as text, but a file re-saved by Excel may hold real date cells
//! and numbers. Date cells become `dd.mm.yyyy hh:mm:ss`, as the export writes them. Whole numbers
//! are written with all their digits, so a phone that Excel turned into a number (`7,9E+10` on
//! screen) keeps its digits. A leading `+` or `0` that Excel dropped cannot be recovered.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::error::ImportError;

/// Reports whether a file's first bytes are those of a spreadsheet: a ZIP container (`.xlsx`,
/// `.ods`) or the old binary Excel format (`.xls`).
pub(crate) fn is_spreadsheet(sample: &[u8]) -> bool {
    sample.starts_with(b"PK\x03\x04")
        || sample.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// CSV text of one sheet, with its name.
pub(crate) struct SheetText {
    pub sheet: String,
    pub csv: Vec<u8>,
}

/// Reads the sheet `name`, or the first sheet, as CSV text.
pub(crate) fn read_sheet(path: &Path, name: Option<&str>) -> Result<SheetText, ImportError> {
    let failed = |detail: String| ImportError::Spreadsheet {
        path: path.to_owned(),
        detail,
    };
    let mut workbook = open_workbook_auto(path).map_err(|e| failed(e.to_string()))?;
    let names = workbook.sheet_names();
    let sheet = match name {
        Some(wanted) => names
            .iter()
            .find(|n| n.trim().to_lowercase() == wanted.trim().to_lowercase())
            .cloned()
            .ok_or_else(|| ImportError::SheetNotFound {
                path: path.to_owned(),
                sheet: wanted.to_owned(),
                available: names.join(", "),
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| failed("the workbook has no sheets".to_owned()))?,
    };
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| failed(e.to_string()))?;
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    // Rows above the used range are blank; keep them so row numbers match the sheet.
    let first_row = range.start().map_or(0, |(row, _)| row);
    let first_column = range.start().map_or(0, |(_, column)| column) as usize;
    for _ in 0..first_row {
        writer
            .write_record([""])
            .map_err(|e| failed(e.to_string()))?;
    }
    for row in range.rows() {
        let mut cells: Vec<String> = vec![String::new(); first_column];
        cells.extend(row.iter().map(cell_text));
        writer
            .write_record(&cells)
            .map_err(|e| failed(e.to_string()))?;
    }
    let csv = writer.into_inner().map_err(|e| failed(e.to_string()))?;
    Ok(SheetText { sheet, csv })
}

/// Writes a cell the way a CSV export would hold it.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) => number_text(*value),
        Data::Bool(true) => "Да".to_owned(),
        Data::Bool(false) => "Нет".to_owned(),
        Data::DateTime(value) if value.is_datetime() => {
            let (year, month, day, hour, minute, second, milli) = value.to_ymd_hms_milli();
            // Excel stores times as fractions of a day; round to the nearest second.
            let second = if milli >= 500 { second + 1 } else { second };
            if (hour, minute, second) == (0, 0, 0) {
                format!("{day:02}.{month:02}.{year:04}")
            } else if second >= 60 {
                format!("{day:02}.{month:02}.{year:04} {hour:02}:{minute:02}:59")
            } else {
                format!("{day:02}.{month:02}.{year:04} {hour:02}:{minute:02}:{second:02}")
            }
        }
        Data::DateTime(value) => number_text(value.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => format!("#{error:?}"),
    }
}

/// Writes a number without an exponent: whole numbers with every digit, fractions in their
/// shortest form.
fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e17 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_digits() {
        assert_eq!(number_text(79_001_112_233.0), "79001112233");
        assert_eq!(number_text(42_000.5), "42000.5");
        assert_eq!(number_text(-3.0), "-3");
    }
}
