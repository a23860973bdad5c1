//! Result tables for people. Numbers are grouped by thousands with the reader's decimal mark and
//! aligned right, and dates follow the reader's order. A long result is cut to its first and last
//! rows, and a long cell to a width. Wide rows can be shown one record per block.

use std::io::Write;

use crmsql_engine::QueryResult;
use crmsql_i18n::Lang;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use unicode_width::UnicodeWidthStr;

/// The layout of a table.
#[derive(Debug, Clone)]
pub struct TableStyle {
    /// Language whose number and date conventions apply.
    pub lang: Lang,
    /// Rows shown at most; a longer result shows its first and last rows.
    pub max_rows: Option<usize>,
    /// Characters shown of a cell at most; a longer cell ends with `…`.
    pub max_cell_width: Option<usize>,
    /// One block per record, a line per column, instead of one line per record.
    pub expanded: bool,
}

impl TableStyle {
    /// Shows every row and every cell whole.
    pub fn whole(lang: Lang) -> TableStyle {
        TableStyle {
            lang,
            max_rows: None,
            max_cell_width: None,
            expanded: false,
        }
    }
}

/// Rows of a result and how many of them a table showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsShown {
    pub rows: usize,
    pub shown: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A column's cells as text, ready to lay out.
struct Column {
    name: String,
    align: Align,
    cells: Vec<String>,
}

/// Writes `result` as a table and returns how many rows it showed. `record` names a record in
/// the expanded layout (`запись`, `record`).
pub fn write_table(
    out: &mut dyn Write,
    result: &QueryResult,
    style: &TableStyle,
    record: &str,
) -> std::io::Result<RowsShown> {
    let rows = result.row_count();
    let picked = pick_rows(rows, style.max_rows);
    let columns = render_columns(result, &picked, style);
    let shown = picked.iter().filter(|row| row.is_some()).count();
    if style.expanded {
        write_expanded(out, &columns, &picked, record)?;
    } else {
        write_grid(out, &columns, &picked)?;
    }
    Ok(RowsShown { rows, shown })
}

/// A result's cells as the reader sees them, whole: column names, whether each column is a
/// number (aligned right), and the rows.
pub struct TextCells {
    pub names: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

/// Returns every cell of `result` written in `lang`'s convention, for pages and charts.
pub fn text_cells(result: &QueryResult, lang: Lang) -> TextCells {
    let rows = result.row_count();
    let picked: Vec<Option<usize>> = (0..rows).map(Some).collect();
    let columns = render_columns(result, &picked, &TableStyle::whole(lang));
    TextCells {
        names: columns.iter().map(|c| c.name.clone()).collect(),
        numeric: columns.iter().map(|c| c.align == Align::Right).collect(),
        rows: (0..rows)
            .map(|row| columns.iter().map(|c| c.cells[row].clone()).collect())
            .collect(),
    }
}

/// Chooses the rows to show: all of them, or the first and last halves of `max` with `None`
/// where the rest are left out.
fn pick_rows(rows: usize, max: Option<usize>) -> Vec<Option<usize>> {
    match max {
        Some(max) if rows > max => {
            let head = max.div_ceil(2);
            let tail = max - head;
            (0..head)
                .map(Some)
                .chain(std::iter::once(None))
                .chain((rows - tail..rows).map(Some))
                .collect()
        }
        _ => (0..rows).map(Some).collect(),
    }
}

fn render_columns(
    result: &QueryResult,
    picked: &[Option<usize>],
    style: &TableStyle,
) -> Vec<Column> {
    // Where each row lives: its batch and its index in the batch.
    let mut starts = Vec::with_capacity(result.batches.len());
    let mut total = 0;
    for batch in &result.batches {
        starts.push(total);
        total += batch.num_rows();
    }
    let locate = |row: usize| -> (usize, usize) {
        let batch = starts.partition_point(|&start| start <= row) - 1;
        (batch, row - starts[batch])
    };
    let options = FormatOptions::default().with_null("NULL");
    result
        .schema
        .fields()
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let kind = ValueKind::of(field.data_type(), field.name());
            let formatters: Vec<Option<ArrayFormatter<'_>>> = result
                .batches
                .iter()
                .map(|batch: &RecordBatch| {
                    ArrayFormatter::try_new(batch.column(index), &options).ok()
                })
                .collect();
            let raws: Vec<Option<String>> = picked
                .iter()
                .flatten()
                .map(|&row| {
                    let (batch, at) = locate(row);
                    let array = result.batches[batch].column(index);
                    let raw = match &formatters[batch] {
                        Some(formatter) => formatter.value(at).to_string(),
                        None => String::new(),
                    };
                    (!array.is_null(at)).then_some(raw)
                })
                .collect();
            // A column with five-digit numbers groups its four-digit ones too, so it lines up.
            let group_four = kind == ValueKind::Number
                && raws.iter().flatten().any(|raw| {
                    raw.trim_start_matches('-')
                        .split('.')
                        .next()
                        .is_some_and(|whole| {
                            whole.len() > 4 && whole.bytes().all(|b| b.is_ascii_digit())
                        })
                });
            let cells: Vec<String> = raws
                .into_iter()
                .map(|raw| {
                    let text = match raw {
                        None => "NULL".to_owned(),
                        Some(raw) if group_four => group_number(&raw, style.lang, 4),
                        Some(raw) => kind.localize(&raw, style.lang),
                    };
                    clip(&text, style.max_cell_width)
                })
                .collect();
            let cells = if matches!(
                field.data_type(),
                DataType::Float16 | DataType::Float32 | DataType::Float64
            ) {
                same_decimals(cells, style.lang)
            } else {
                cells
            };
            Column {
                name: field.name().clone(),
                align: if kind.is_number() {
                    Align::Right
                } else {
                    Align::Left
                },
                cells,
            }
        })
        .collect()
}

/// Gives the numbers of a floating-point column the same number of decimals, up to four, so
/// that they line up: `33,5` and `185,71` become `33,50` and `185,71`. A negative zero loses its
/// sign.
fn same_decimals(cells: Vec<String>, lang: Lang) -> Vec<String> {
    let mark = match lang {
        Lang::Ru => ',',
        Lang::En => '.',
    };
    let decimals = |cell: &str| cell.split_once(mark).map_or(0, |(_, f)| f.chars().count());
    let plain = |cell: &str| {
        cell.chars()
            .all(|c| c.is_ascii_digit() || c == mark || c == '-' || c == '\u{202F}' || c == ',')
    };
    let wanted = cells
        .iter()
        .filter(|cell| plain(cell))
        .map(|cell| decimals(cell))
        .max()
        .unwrap_or(0)
        .min(4);
    cells
        .into_iter()
        .map(|cell| {
            if !plain(&cell) {
                return cell;
            }
            let has = decimals(&cell);
            let mut cell = if has > wanted {
                cell
            } else if has == 0 && wanted > 0 {
                format!("{cell}{mark}{}", "0".repeat(wanted))
            } else {
                format!("{cell}{}", "0".repeat(wanted - has))
            };
            if cell.starts_with('-') && cell[1..].chars().all(|c| c == '0' || c == mark) {
                cell.remove(0);
            }
            cell
        })
        .collect()
}

/// The kind of value a column holds, which decides how its values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueKind {
    /// A quantity: grouped by thousands.
    Number,
    /// A number that names something (`id`, `lead_id`): written whole, aligned right.
    Identifier,
    Date,
    Timestamp,
    Boolean,
    Other,
}

impl ValueKind {
    fn of(data_type: &DataType, name: &str) -> ValueKind {
        let lower = name.to_ascii_lowercase();
        let identifier = lower == "id" || lower.ends_with("_id");
        match data_type {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
                if identifier =>
            {
                ValueKind::Identifier
            }
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64
            | DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => ValueKind::Number,
            DataType::Date32 | DataType::Date64 => ValueKind::Date,
            DataType::Timestamp(_, _) => ValueKind::Timestamp,
            DataType::Boolean => ValueKind::Boolean,
            DataType::Dictionary(_, value) => ValueKind::of(value, name),
            _ => ValueKind::Other,
        }
    }

    fn is_number(self) -> bool {
        matches!(self, ValueKind::Number | ValueKind::Identifier)
    }

    /// Rewrites arrow's text of a value in the reader's convention.
    fn localize(self, raw: &str, lang: Lang) -> String {
        match self {
            ValueKind::Number => localize_number(raw, lang),
            ValueKind::Date => localize_date(raw, lang).unwrap_or_else(|| raw.to_owned()),
            ValueKind::Timestamp => localize_timestamp(raw, lang).unwrap_or_else(|| raw.to_owned()),
            ValueKind::Boolean => match (lang, raw) {
                (Lang::Ru, "true") => "да".to_owned(),
                (Lang::Ru, "false") => "нет".to_owned(),
                _ => raw.to_owned(),
            },
            ValueKind::Identifier | ValueKind::Other => raw.to_owned(),
        }
    }
}

/// Groups the digits of a number by thousands and sets its decimal mark: `1234567.5` becomes
/// `1 234 567,5` in Russian (with narrow no-break spaces) and `1,234,567.5` in English. Numbers
/// of four digits or fewer before the mark stay whole, as years do. Text that is not a plain
/// decimal number, such as `NaN` or `1e300`, only gets the decimal mark.
pub fn localize_number(raw: &str, lang: Lang) -> String {
    group_number(raw, lang, 5)
}

/// Writes a number like [`localize_number`], grouping the digits of numbers with at least
/// `from` digits before the mark.
fn group_number(raw: &str, lang: Lang, from: usize) -> String {
    crmsql_i18n::group_digits(raw, lang, from)
}

/// Writes an ISO date `2025-12-01` as `01.12.2025` in Russian and leaves it in English.
fn localize_date(raw: &str, lang: Lang) -> Option<String> {
    match lang {
        Lang::En => Some(raw.to_owned()),
        Lang::Ru => {
            let (year, rest) = raw.split_once('-')?;
            let (month, day) = rest.split_once('-')?;
            Some(format!("{day}.{month}.{year}"))
        }
    }
}

/// Writes arrow's timestamp text, `2026-01-12T09:00:00.5+03:00`, as the wall time it holds:
/// `12.01.2026 09:00:00,5` in Russian and `2026-01-12 09:00:00.5` in English. The offset is
/// dropped, since a column's values share one time zone.
fn localize_timestamp(raw: &str, lang: Lang) -> Option<String> {
    let (date, time) = raw.split_once('T')?;
    let time = time.trim_end_matches('Z');
    // The offset starts at the first sign after the seconds.
    let time = match time.find(['+', '-']) {
        Some(at) => &time[..at],
        None => time,
    };
    Some(match lang {
        Lang::En => format!("{date} {time}"),
        Lang::Ru => format!("{} {}", localize_date(date, lang)?, time.replace('.', ",")),
    })
}

/// Cuts a cell to `max` characters, ending it with `…`, and keeps it on one line.
fn clip(text: &str, max: Option<usize>) -> String {
    // Line breaks become spaces, and other control characters, which could steer the
    // terminal, become `�`.
    let one_line: String = if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if c.is_control() => '\u{FFFD}',
                c => c,
            })
            .collect()
    } else {
        text.to_owned()
    };
    match max {
        Some(max) if one_line.chars().count() > max => {
            let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => one_line,
    }
}

fn pad(text: &str, width: usize, align: Align) -> String {
    let fill = width.saturating_sub(text.width());
    match align {
        Align::Left => format!("{text}{}", " ".repeat(fill)),
        Align::Right => format!("{}{text}", " ".repeat(fill)),
    }
}

fn write_grid(
    out: &mut dyn Write,
    columns: &[Column],
    picked: &[Option<usize>],
) -> std::io::Result<()> {
    let widths: Vec<usize> = columns
        .iter()
        .map(|column| {
            column
                .cells
                .iter()
                .map(|cell| cell.width())
                .chain(std::iter::once(column.name.width()))
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    let rule = |left: &str, middle: &str, right: &str| -> String {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        format!("{left}{}{right}", parts.join(middle))
    };
    writeln!(out, "{}", rule("┌", "┬", "┐"))?;
    let header: Vec<String> = columns
        .iter()
        .zip(&widths)
        .map(|(column, &width)| pad(&column.name, width, Align::Left))
        .collect();
    writeln!(out, "│ {} │", header.join(" │ "))?;
    writeln!(out, "{}", rule("├", "┼", "┤"))?;
    let mut cell = 0;
    for row in picked {
        let line: Vec<String> = match row {
            Some(_) => {
                let line = columns
                    .iter()
                    .zip(&widths)
                    .map(|(column, &width)| pad(&column.cells[cell], width, column.align))
                    .collect();
                cell += 1;
                line
            }
            None => widths
                .iter()
                .zip(columns)
                .map(|(&width, column)| pad("…", width, column.align))
                .collect(),
        };
        writeln!(out, "│ {} │", line.join(" │ "))?;
    }
    writeln!(out, "{}", rule("└", "┴", "┘"))
}

fn write_expanded(
    out: &mut dyn Write,
    columns: &[Column],
    picked: &[Option<usize>],
    record: &str,
) -> std::io::Result<()> {
    let name_width = columns.iter().map(|c| c.name.width()).max().unwrap_or(0);
    let mut cell = 0;
    for row in picked {
        match row {
            Some(row) => {
                writeln!(out, "─[ {record} {} ]─", row + 1)?;
                for column in columns {
                    writeln!(
                        out,
                        "{} │ {}",
                        pad(&column.name, name_width, Align::Left),
                        column.cells[cell]
                    )?;
                }
                cell += 1;
            }
            None => writeln!(out, "…")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray, TimestampSecondArray,
    };
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    const NNBSP: char = '\u{202F}';

    #[test]
    fn numbers_follow_the_reader() {
        assert_eq!(
            localize_number("1234567.5", Lang::Ru),
            format!("1{NNBSP}234{NNBSP}567,5")
        );
        assert_eq!(localize_number("1234567.5", Lang::En), "1,234,567.5");
        assert_eq!(
            localize_number("-98765", Lang::Ru),
            format!("-98{NNBSP}765")
        );
        assert_eq!(localize_number("2025", Lang::Ru), "2025");
        assert_eq!(localize_number("0.25", Lang::Ru), "0,25");
        assert_eq!(localize_number("NaN", Lang::Ru), "NaN");
        assert_eq!(localize_number("1.5e300", Lang::Ru), "1,5e300");
        assert_eq!(localize_number("100000", Lang::En), "100,000");
    }

    #[test]
    fn dates_and_times_follow_the_reader() {
        assert_eq!(localize_date("2025-12-01", Lang::Ru).unwrap(), "01.12.2025");
        assert_eq!(localize_date("2025-12-01", Lang::En).unwrap(), "2025-12-01");
        assert_eq!(
            localize_timestamp("2026-01-12T09:00:00.5+03:00", Lang::Ru).unwrap(),
            "12.01.2026 09:00:00,5"
        );
        assert_eq!(
            localize_timestamp("2026-01-12T09:00:00Z", Lang::En).unwrap(),
            "2026-01-12 09:00:00"
        );
        assert_eq!(
            localize_timestamp("2026-01-12T09:00:00-05:00", Lang::Ru).unwrap(),
            "12.01.2026 09:00:00"
        );
    }

    fn sample(rows: usize) -> QueryResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("manager", DataType::Utf8, true),
            Field::new("revenue", DataType::Decimal128(18, 2), true),
            Field::new("share", DataType::Float64, true),
            Field::new("day", DataType::Date32, true),
            Field::new(
                "at",
                DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Second, None),
                true,
            ),
        ]));
        let ids: Vec<i64> = (0..rows as i64).map(|i| 31_000_000 + i).collect();
        let managers: Vec<Option<String>> = (0..rows)
            .map(|i| (i % 3 != 2).then(|| format!("Менеджер {i}")))
            .collect();
        let revenue: Vec<Option<i128>> = (0..rows)
            .map(|i| Some(123_456_789 * (i as i128 + 1)))
            .collect();
        let share: Vec<Option<f64>> = (0..rows).map(|i| Some(i as f64 / 4.0)).collect();
        let days: Vec<i32> = (0..rows as i32).map(|i| 20_000 + i).collect();
        let times: Vec<i64> = (0..rows as i64).map(|i| 1_768_208_400 + i * 3600).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(managers)),
                Arc::new(
                    Decimal128Array::from(revenue)
                        .with_precision_and_scale(18, 2)
                        .unwrap(),
                ),
                Arc::new(Float64Array::from(share)),
                Arc::new(Date32Array::from(days)),
                Arc::new(TimestampSecondArray::from(times)),
            ],
        )
        .unwrap();
        QueryResult {
            schema,
            batches: vec![
                batch.slice(0, rows / 2),
                batch.slice(rows / 2, rows - rows / 2),
            ],
        }
    }

    fn render(result: &QueryResult, style: &TableStyle) -> (String, RowsShown) {
        let mut out = Vec::new();
        let shown = write_table(&mut out, result, style, "запись").unwrap();
        (String::from_utf8(out).unwrap(), shown)
    }

    #[test]
    fn table_aligns_and_localizes() {
        let (text, shown) = render(&sample(3), &TableStyle::whole(Lang::Ru));
        assert_eq!(shown, RowsShown { rows: 3, shown: 3 });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 7, "{text}");
        assert!(
            lines[1].starts_with("│ id       │ manager    │ revenue "),
            "{text}"
        );
        // Numbers align right with grouped digits and a decimal comma; identifiers stay whole.
        assert!(
            lines[3].contains(&format!(
                "│ 31000000 │ Менеджер 0 │ 1{NNBSP}234{NNBSP}567,89 │  0,00 │ 04.10.2024 │ 12.01.2026 09:00:00 │"
            )),
            "{text}"
        );
        assert!(lines[5].contains("│ 31000002 │ NULL       │"), "{text}");
        assert!(
            lines[5].contains(&format!("3{NNBSP}703{NNBSP}703,67 │  0,50 │")),
            "{text}"
        );
    }

    #[test]
    fn long_results_show_their_ends() {
        let style = TableStyle {
            max_rows: Some(4),
            ..TableStyle::whole(Lang::En)
        };
        let (text, shown) = render(&sample(10), &style);
        assert_eq!(shown, RowsShown { rows: 10, shown: 4 });
        let ids: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("│"))
            .map(|line| line.split('│').next().unwrap().trim())
            .collect();
        assert_eq!(
            ids,
            ["id", "31000000", "31000001", "…", "31000008", "31000009"]
        );
        assert!(text.contains("1,234,567.89"), "{text}");
        assert!(text.contains("2026-01-12 09:00:00"), "{text}");
    }

    #[test]
    fn expanded_records_and_clipped_cells() {
        let style = TableStyle {
            expanded: true,
            max_cell_width: Some(6),
            ..TableStyle::whole(Lang::Ru)
        };
        let (text, _) = render(&sample(2), &style);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "─[ запись 1 ]─");
        assert_eq!(
            lines[1],
            "id      │ 31000000".replacen("31000000", "31000…", 1)
        );
        assert_eq!(lines[2], "manager │ Менед…");
        assert_eq!(lines[7], "─[ запись 2 ]─");
    }

    #[test]
    fn floats_line_up() {
        let cells = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            same_decimals(cells(&["33,5", "185,71", "0,0", "-0,0", "NULL"]), Lang::Ru),
            cells(&["33,50", "185,71", "0,00", "0,00", "NULL"])
        );
        assert_eq!(
            same_decimals(cells(&["1,234.5", "2.25"]), Lang::En),
            cells(&["1,234.50", "2.25"])
        );
    }

    #[test]
    fn columns_group_alike() {
        assert_eq!(group_number("8900.00", Lang::Ru, 4), "8\u{202F}900,00");
        assert_eq!(localize_number("8900.00", Lang::Ru), "8900,00");
        assert_eq!(clip("a\u{1b}[31mb", None), "a\u{FFFD}[31mb");
    }

    #[test]
    fn booleans_read_as_words() {
        assert_eq!(ValueKind::Boolean.localize("true", Lang::Ru), "да");
        assert_eq!(ValueKind::Boolean.localize("false", Lang::Ru), "нет");
        assert_eq!(ValueKind::Boolean.localize("true", Lang::En), "true");
    }

    #[test]
    fn pick_rows_keeps_head_and_tail() {
        assert_eq!(pick_rows(3, Some(5)), [Some(0), Some(1), Some(2)]);
        assert_eq!(pick_rows(6, Some(3)), [Some(0), Some(1), None, Some(5)]);
        assert_eq!(pick_rows(6, None).len(), 6);
    }
}
