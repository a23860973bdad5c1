//! Charts of a result: bars or a line drawn in the terminal, an SVG image, and a self-contained
//! HTML page with the chart above the table.
//!
//! The chart takes labels from one column and numbers from another: by default the first column
//! that is not a number and the first that is. A line suits months and days, bars the rest.

use crmsql_engine::QueryResult;
use crmsql_i18n::Lang;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use unicode_width::UnicodeWidthStr;

use crate::table::{localize_number, text_cells};

/// The kind of chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bar,
    Line,
}

impl ChartKind {
    pub fn parse(text: &str) -> Option<ChartKind> {
        match text.to_ascii_lowercase().as_str() {
            "bar" | "bars" => Some(ChartKind::Bar),
            "line" => Some(ChartKind::Line),
            _ => None,
        }
    }
}

/// The reason a result cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartProblem {
    NoRows,
    /// No column has numbers.
    NoNumbers,
    UnknownColumn(String),
    /// The column named for the values does not hold numbers.
    NotNumbers(String),
}

/// Labels and values to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label_name: String,
    pub value_name: String,
    pub labels: Vec<String>,
    /// NULL values are gaps.
    pub values: Vec<Option<f64>>,
    /// Whether the labels are dates or months, which a line suits.
    pub in_time: bool,
}

impl Series {
    /// Returns the chart kind the data suits: a line over time, bars otherwise.
    pub fn natural_kind(&self) -> ChartKind {
        if self.in_time {
            ChartKind::Line
        } else {
            ChartKind::Bar
        }
    }
}

fn is_number(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

/// Returns whether a text looks like a date or a month: `2025-07`, `2025-07-01`, `01.07.2025`.
fn looks_like_time(text: &str) -> bool {
    let digits_and = |separator: char| {
        !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == separator)
            && text.contains(separator)
    };
    digits_and('-') || digits_and('.')
}

/// Picks the labels and values of `result`: the columns named `x` and `y`, or the first column
/// that is not a number and the first that is.
pub fn series(
    result: &QueryResult,
    x: Option<&str>,
    y: Option<&str>,
    lang: Lang,
) -> Result<Series, ChartProblem> {
    let fields = result.schema.fields();
    let find = |name: &str| {
        fields
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| ChartProblem::UnknownColumn(name.to_owned()))
    };
    let value_index = match y {
        Some(name) => {
            let index = find(name)?;
            if !is_number(fields[index].data_type()) {
                return Err(ChartProblem::NotNumbers(name.to_owned()));
            }
            index
        }
        None => fields
            .iter()
            .position(|f| is_number(f.data_type()))
            .ok_or(ChartProblem::NoNumbers)?,
    };
    let label_index = match x {
        Some(name) => Some(find(name)?),
        None => fields
            .iter()
            .position(|f| !is_number(f.data_type()))
            .or_else(|| (value_index != 0).then_some(0)),
    };
    if result.row_count() == 0 {
        return Err(ChartProblem::NoRows);
    }
    let cells = text_cells(result, lang);
    let mut labels: Vec<String> = match label_index {
        Some(index) => cells.rows.iter().map(|row| row[index].clone()).collect(),
        None => (1..=cells.rows.len()).map(|n| n.to_string()).collect(),
    };
    // Months and days kept as timestamps read better without their midnight.
    if labels.iter().all(|label| label.ends_with(" 00:00:00")) {
        for label in &mut labels {
            label.truncate(label.len() - " 00:00:00".len());
        }
    }
    let mut values = Vec::with_capacity(labels.len());
    for batch in &result.batches {
        let column = cast(batch.column(value_index), &DataType::Float64)
            .map_err(|_| ChartProblem::NotNumbers(fields[value_index].name().clone()))?;
        let column = column.as_primitive::<Float64Type>();
        for row in 0..column.len() {
            values.push(
                (!column.is_null(row))
                    .then(|| column.value(row))
                    .filter(|v| v.is_finite()),
            );
        }
    }
    let in_time = label_index.is_some_and(|index| {
        matches!(
            fields[index].data_type(),
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(_, _)
        ) || labels.iter().all(|label| looks_like_time(label))
    });
    Ok(Series {
        label_name: label_index.map_or_else(String::new, |i| fields[i].name().clone()),
        value_name: fields[value_index].name().clone(),
        labels,
        values,
        in_time,
    })
}

/// Writes a number for a chart: grouped, with at most two decimals.
fn number(value: f64, lang: Lang) -> String {
    let text = if value.fract() == 0.0 || value.abs() >= 1000.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    };
    localize_number(&text, lang)
}

/// Draws bars in the terminal, one line each: label, bar, value.
pub fn terminal_chart(series: &Series, kind: ChartKind, width: usize, lang: Lang) -> String {
    match kind {
        ChartKind::Bar => terminal_bars(series, width, lang),
        ChartKind::Line => terminal_line(series, width, lang),
    }
}

fn terminal_bars(series: &Series, width: usize, lang: Lang) -> String {
    let label_width = series
        .labels
        .iter()
        .map(|l| l.width())
        .max()
        .unwrap_or(0)
        .min(30);
    let texts: Vec<String> = series
        .values
        .iter()
        .map(|v| v.map_or_else(|| "NULL".to_owned(), |v| number(v, lang)))
        .collect();
    let value_width = texts.iter().map(|t| t.width()).max().unwrap_or(0);
    let room = width.saturating_sub(label_width + value_width + 5).max(10);
    let present = || series.values.iter().flatten().copied();
    let high = present().fold(0.0_f64, f64::max);
    let low = present().fold(0.0_f64, f64::min);
    let span = (high - low).max(f64::EPSILON);
    // Negative values grow left of the axis, positive ones right of it.
    let left = ((-low / span) * room as f64).round() as usize;
    let right = room - left;
    let mut out = format!("{}\n", series.value_name);
    for ((label, value), text) in series.labels.iter().zip(&series.values).zip(&texts) {
        let length = |share: f64, cells: usize| (share * cells as f64 * 8.0).round() as usize;
        let (negative, positive) = match value {
            Some(v) if *v < 0.0 => (length(-v / -low.min(-f64::EPSILON), left), 0),
            Some(v) => (0, length(v / high.max(f64::EPSILON), right)),
            None => (0, 0),
        };
        let mut bar = String::new();
        // The left side fills whole cells, ending at the axis.
        let whole = negative.div_ceil(8).min(left);
        bar.push_str(&" ".repeat(left - whole));
        bar.push_str(&"█".repeat(whole));
        bar.push('│');
        bar.push_str(&"█".repeat(positive / 8));
        if !positive.is_multiple_of(8) {
            bar.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][positive % 8 - 1]);
        }
        let label: String = clip(label, label_width);
        out.push_str(&format!(
            "{label}{} {bar}{} {text}\n",
            " ".repeat(label_width.saturating_sub(label.width())),
            " ".repeat((room + 1).saturating_sub(bar.chars().count())),
        ));
    }
    out
}

fn clip(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + 2 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// Draws a line as columns of block characters, twelve rows high, with the scale on the left
/// and the first and last labels below.
fn terminal_line(series: &Series, width: usize, lang: Lang) -> String {
    const ROWS: usize = 12;
    let values: Vec<f64> = series.values.iter().map(|v| v.unwrap_or(0.0)).collect();
    let low = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = (high - low).max(f64::EPSILON);
    let top_text = number(high, lang);
    let low_text = number(low, lang);
    let scale_width = top_text.width().max(low_text.width());
    // Each value gets a column; a long series is averaged into the width.
    let room = width.saturating_sub(scale_width + 3).max(10);
    let columns = values.len().min(room);
    // A short series spreads over the width.
    let repeat = (room / columns.max(1)).clamp(1, 4);
    let column_value = |column: usize| -> f64 {
        let from = column * values.len() / columns;
        let to = ((column + 1) * values.len() / columns).max(from + 1);
        values[from..to].iter().sum::<f64>() / (to - from) as f64
    };
    let heights: Vec<usize> = (0..columns)
        .map(|c| ((((column_value(c) - low) / span) * (ROWS * 8) as f64).round() as usize).max(1))
        .collect();
    let mut out = format!("{}\n", series.value_name);
    for row in (0..ROWS).rev() {
        let scale = match row {
            r if r == ROWS - 1 => top_text.clone(),
            0 => low_text.clone(),
            _ => String::new(),
        };
        out.push_str(&format!("{scale:>scale_width$} │"));
        for height in &heights {
            // Only the cell where the value lies is marked, so the marks trace a line.
            let top_row = (height - 1) / 8;
            let mark = if row == top_row {
                ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'][(height - 1) % 8]
            } else {
                ' '
            };
            for _ in 0..repeat {
                out.push(mark);
            }
        }
        out.push('\n');
    }
    let first = series.labels.first().cloned().unwrap_or_default();
    let last = series.labels.last().cloned().unwrap_or_default();
    let drawn = columns * repeat;
    let gap = drawn.saturating_sub(first.width() + last.width()).max(1);
    out.push_str(&format!(
        "{} └{}\n{} {first}{}{last}\n",
        " ".repeat(scale_width),
        "─".repeat(drawn),
        " ".repeat(scale_width + 1),
        " ".repeat(gap)
    ));
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Returns a round step for about five ticks between 0 and `span`.
fn tick_step(span: f64) -> f64 {
    if span <= 0.0 {
        return 1.0;
    }
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let unit = raw / power;
    let nice = if unit <= 1.0 {
        1.0
    } else if unit <= 2.0 {
        2.0
    } else if unit <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// Draws the series as an SVG image.
pub fn svg(series: &Series, kind: ChartKind, title: &str, lang: Lang) -> String {
    const WIDTH: f64 = 900.0;
    const HEIGHT: f64 = 440.0;
    const LEFT: f64 = 110.0;
    const RIGHT: f64 = 20.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 110.0;
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let present: Vec<f64> = series.values.iter().flatten().copied().collect();
    let low = present.iter().copied().fold(0.0_f64, f64::min);
    let high = present.iter().copied().fold(0.0_f64, f64::max);
    let step = tick_step(high - low);
    let low = (low / step).floor() * step;
    let high = ((high / step).ceil() * step).max(low + step);
    let y = |value: f64| TOP + plot_height * (1.0 - (value - low) / (high - low));
    let count = series.labels.len().max(1);
    let band = plot_width / count as f64;
    let x = |index: usize| LEFT + band * (index as f64 + 0.5);

    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n<title>{}</title>\n",
        escape(title)
    );
    out.push_str(&format!(
        "<text x=\"{LEFT}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n",
        escape(title)
    ));
    // Grid lines and the scale.
    let mut tick = low;
    while tick <= high + step / 2.0 {
        let at = y(tick);
        out.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{at:.1}\" y2=\"{at:.1}\" stroke=\"#ddd\"/>\n<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#555\">{}</text>\n",
            WIDTH - RIGHT,
            LEFT - 8.0,
            at + 4.0,
            escape(&number(tick, lang))
        ));
        tick += step;
    }
    // Every label when they fit, else every n-th.
    let every = (count as f64 / (plot_width / 18.0)).ceil().max(1.0) as usize;
    for (index, label) in series.labels.iter().enumerate() {
        if index % every != 0 {
            continue;
        }
        let at = x(index);
        let base = TOP + plot_height + 14.0;
        out.push_str(&format!(
            "<text x=\"{at:.1}\" y=\"{base:.1}\" text-anchor=\"end\" fill=\"#333\" transform=\"rotate(-40 {at:.1} {base:.1})\">{}</text>\n",
            escape(&clip(label, 24))
        ));
    }
    let zero = y(0.0_f64.clamp(low, high));
    match kind {
        ChartKind::Bar => {
            for (index, value) in series.values.iter().enumerate() {
                let Some(value) = value else { continue };
                let top = y(*value).min(zero);
                let height = (y(*value) - zero).abs();
                out.push_str(&format!(
                    "<rect class=\"bar\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#3b6fb6\"><title>{}: {}</title></rect>\n",
                    x(index) - band * 0.35,
                    band * 0.7,
                    escape(&series.labels[index]),
                    escape(&number(*value, lang))
                ));
            }
        }
        ChartKind::Line => {
            let points: Vec<String> = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
                .collect();
            out.push_str(&format!(
                "<polyline class=\"line\" points=\"{}\" fill=\"none\" stroke=\"#3b6fb6\" stroke-width=\"2\"/>\n",
                points.join(" ")
            ));
            for (index, value) in series.values.iter().enumerate() {
                let Some(value) = value else { continue };
                out.push_str(&format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#3b6fb6\"><title>{}: {}</title></circle>\n",
                    x(index),
                    y(*value),
                    escape(&series.labels[index]),
                    escape(&number(*value, lang))
                ));
            }
        }
    }
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\" stroke=\"#333\"/>\n</svg>\n",
        WIDTH - RIGHT
    ));
    out
}

/// Draws an image with the title and a note in place of a chart, for a result without rows.
pub fn empty_svg(title: &str, note: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 140\" width=\"900\" height=\"140\" role=\"img\" font-family=\"sans-serif\" font-size=\"14\">\n<title>{}</title>\n<text x=\"20\" y=\"30\" font-size=\"15\" font-weight=\"bold\">{}</text>\n<text x=\"20\" y=\"80\" fill=\"#777\">{}</text>\n</svg>\n",
        escape(title),
        escape(title),
        escape(note)
    )
}

/// Writes a self-contained HTML page: a heading, the description, the chart (when the result
/// has something to draw) and the table.
pub fn html(
    result: &QueryResult,
    title: &str,
    description: &str,
    chart: Option<&str>,
    lang: Lang,
) -> String {
    let cells = text_cells(result, lang);
    let code = match lang {
        Lang::Ru => "ru",
        Lang::En => "en",
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; color: #222; }}\ntable {{ border-collapse: collapse; margin-top: 1em; }}\nth, td {{ border: 1px solid #ccc; padding: 4px 8px; }}\nth {{ background: #f2f2f2; text-align: left; }}\ntd.number {{ text-align: right; white-space: nowrap; }}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    if !description.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", escape(description)));
    }
    if let Some(chart) = chart {
        out.push_str("<figure>\n");
        out.push_str(chart);
        out.push_str("</figure>\n");
    }
    out.push_str("<table>\n<thead><tr>");
    for name in &cells.names {
        out.push_str(&format!("<th>{}</th>", escape(name)));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &cells.rows {
        out.push_str("<tr>");
        for (cell, numeric) in row.iter().zip(&cells.numeric) {
            if *numeric {
                out.push_str(&format!("<td class=\"number\">{}</td>", escape(cell)));
            } else {
                out.push_str(&format!("<td>{}</td>", escape(cell)));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    // The page marks that its chart was laid out, for a check in a browser.
    out.push_str("<script>\nconst chart = document.querySelector('svg');\ndocument.documentElement.dataset.chart = chart && chart.getBBox().width > 0 ? 'drawn' : 'none';\n</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn result(labels: &[&str], values: &[Option<f64>]) -> QueryResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("month", DataType::Utf8, false),
            Field::new("revenue", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(labels.to_vec())),
                Arc::new(Float64Array::from(values.to_vec())),
            ],
        )
        .unwrap();
        QueryResult {
            schema,
            batches: vec![batch],
        }
    }

    #[test]
    fn picks_labels_and_numbers() {
        let data = result(&["2025-01", "2025-02"], &[Some(10.0), None]);
        let series = series(&data, None, None, Lang::Ru).unwrap();
        assert_eq!(series.labels, ["2025-01", "2025-02"]);
        assert_eq!(series.values, [Some(10.0), None]);
        assert_eq!(series.natural_kind(), ChartKind::Line);
        assert_eq!(
            super::series(&data, Some("month"), Some("month"), Lang::Ru),
            Err(ChartProblem::NotNumbers("month".to_owned()))
        );
        assert_eq!(
            super::series(&data, Some("nosuch"), None, Lang::Ru),
            Err(ChartProblem::UnknownColumn("nosuch".to_owned()))
        );
        let empty = result(&[], &[]);
        assert_eq!(
            super::series(&empty, None, None, Lang::Ru),
            Err(ChartProblem::NoRows)
        );
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let data = result(&["А", "Б"], &[Some(100.0), Some(50.0)]);
        let series = series(&data, None, None, Lang::Ru).unwrap();
        assert_eq!(series.natural_kind(), ChartKind::Bar);
        let text = terminal_chart(&series, ChartKind::Bar, 40, Lang::Ru);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "revenue");
        let full = lines[1].matches('█').count();
        let half = lines[2].matches('█').count();
        assert_eq!(full, 31);
        assert!(full.abs_diff(2 * half) <= 1, "{text}");
        assert!(lines[1].ends_with(" 100"), "{text}");
    }

    #[test]
    fn negative_bars_grow_left() {
        let data = result(&["плюс", "минус"], &[Some(100.0), Some(-50.0)]);
        let series = series(&data, None, None, Lang::Ru).unwrap();
        let text = terminal_chart(&series, ChartKind::Bar, 60, Lang::Ru);
        let lines: Vec<&str> = text.lines().collect();
        let axis = |line: &str| line.chars().position(|c| c == '│').unwrap();
        assert_eq!(axis(lines[1]), axis(lines[2]), "{text}");
        let plus: String = lines[1].chars().skip(axis(lines[1]) + 1).collect();
        let minus: String = lines[2].chars().take(axis(lines[2])).collect();
        let (plus, minus) = (plus.matches('█').count(), minus.matches('█').count());
        assert!(plus.abs_diff(2 * minus) <= 1, "{text}");
        assert!(lines[2].ends_with(" -50"), "{text}");
    }

    #[test]
    fn svg_has_a_shape_per_value() {
        let data = result(&["А", "Б", "В"], &[Some(1.5), Some(-2.0), None]);
        let series = series(&data, None, None, Lang::Ru).unwrap();
        let image = svg(&series, ChartKind::Bar, "Выручка <по> каналам", Lang::Ru);
        assert_eq!(image.matches("<rect class=\"bar\"").count(), 2);
        assert!(image.contains("Выручка &lt;по&gt; каналам"));
        assert!(image.contains("<title>А: 1,50</title>"));
        let line = svg(&series, ChartKind::Line, "t", Lang::En);
        assert_eq!(line.matches("<circle").count(), 2);
        assert!(line.contains("<polyline class=\"line\""));
    }

    #[test]
    fn round_ticks() {
        assert_eq!(tick_step(100.0), 20.0);
        assert_eq!(tick_step(7_000_000.0), 2_000_000.0);
        assert_eq!(tick_step(0.9), 0.2);
    }
}
