//! Saved reports: `.sql` files whose header comment gives a name and a description.
//!
//! ```sql
//! -- name: avg_check_by_month
//! -- description: Средний чек по месяцам закрытия выигранных сделок.
//! -- description.en: Average check by month of closing of won deals.
//! SELECT ...
//! ```
//!
//! A report is found by path, or by name in the report folders (`--queries`, then `./queries`),
//! and finally among the reports built into the binary.

use std::path::{Path, PathBuf};

use crmsql_i18n::Lang;

use crate::error::{EngineError, HeaderProblem};
use crate::params::ParamSpec;

/// Reports shipped with crmsql, compiled in so that `crmsql run NAME` works from any folder.
const BUILTIN_REPORTS: &[(&str, &str)] = &[
    (
        "avg_check_by_channel.sql",
        include_str!("../../../queries/avg_check_by_channel.sql"),
    ),
    (
        "avg_check_by_month.sql",
        include_str!("../../../queries/avg_check_by_month.sql"),
    ),
    (
        "avg_check_by_product.sql",
        include_str!("../../../queries/avg_check_by_product.sql"),
    ),
    (
        "budget_reallocation.sql",
        include_str!("../../../queries/budget_reallocation.sql"),
    ),
    (
        "channel_roi.sql",
        include_str!("../../../queries/channel_roi.sql"),
    ),
    (
        "customer_segments.sql",
        include_str!("../../../queries/customer_segments.sql"),
    ),
    (
        "customers_by_manager.sql",
        include_str!("../../../queries/customers_by_manager.sql"),
    ),
    (
        "end_to_end_fit.sql",
        include_str!("../../../queries/end_to_end_fit.sql"),
    ),
    (
        "full_profitability.sql",
        include_str!("../../../queries/full_profitability.sql"),
    ),
    (
        "loss_reasons.sql",
        include_str!("../../../queries/loss_reasons.sql"),
    ),
    (
        "pipeline_stages.sql",
        include_str!("../../../queries/pipeline_stages.sql"),
    ),
    (
        "product_economics.sql",
        include_str!("../../../queries/product_economics.sql"),
    ),
    (
        "purchase_rfm_segments.sql",
        include_str!("../../../queries/purchase_rfm_segments.sql"),
    ),
    (
        "purchase_segments.sql",
        include_str!("../../../queries/purchase_segments.sql"),
    ),
    (
        "rfm_segments.sql",
        include_str!("../../../queries/rfm_segments.sql"),
    ),
    (
        "sales_by_manager.sql",
        include_str!("../../../queries/sales_by_manager.sql"),
    ),
    (
        "sales_forecast.sql",
        include_str!("../../../queries/sales_forecast.sql"),
    ),
    (
        "sales_overview.sql",
        include_str!("../../../queries/sales_overview.sql"),
    ),
    (
        "transaction_rfm_segments.sql",
        include_str!("../../../queries/transaction_rfm_segments.sql"),
    ),
    (
        "win_rate.sql",
        include_str!("../../../queries/win_rate.sql"),
    ),
];

/// Location a report was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOrigin {
    File(PathBuf),
    Builtin(&'static str),
}

impl ReportOrigin {
    fn display_path(&self) -> PathBuf {
        match self {
            ReportOrigin::File(path) => path.clone(),
            ReportOrigin::Builtin(file) => PathBuf::from(format!("<builtin>/{file}")),
        }
    }
}

/// Returns whether a report's text has anything besides comments and blank lines.
fn has_query(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with("--") && line != ";"
    })
}

/// A condition the parameter values of a run must meet, with the message that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCheck {
    /// A SQL expression over the parameters; false stops the run, NULL lets it go.
    pub expression: String,
    pub message_ru: String,
    pub message_en: Option<String>,
}

/// A saved report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub name: String,
    pub description_ru: String,
    pub description_en: Option<String>,
    /// Parameters declared by `-- param:` lines, in their order.
    pub params: Vec<ParamSpec>,
    /// The chart of `-- chart: bar|line LABEL_COLUMN VALUE_COLUMN`, as written.
    pub chart: Option<String>,
    /// Conditions on the parameter values, `-- check: EXPRESSION | message`, checked before the
    /// report runs.
    pub checks: Vec<ReportCheck>,
    pub sql: String,
    pub origin: ReportOrigin,
}

impl Report {
    /// Parses a report from its text. `origin` is used in error messages.
    pub fn parse(text: &str, origin: ReportOrigin) -> Result<Report, EngineError> {
        let path = origin.display_path();
        let header_error = |line: usize, problem: HeaderProblem| EngineError::ReportHeader {
            path: path.clone(),
            line,
            problem,
        };
        let mut name = None;
        let mut description_ru = Vec::new();
        let mut description_en = Vec::new();
        let mut params = Vec::new();
        let mut chart = None;
        let mut checks = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let Some(comment) = trimmed.strip_prefix("--") else {
                break;
            };
            let Some((key, value)) = comment.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "name" => {
                    if name.is_some() {
                        return Err(header_error(index + 1, HeaderProblem::NameTwice));
                    }
                    let valid = !value.is_empty()
                        && value
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !valid {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::BadName(value.to_owned()),
                        ));
                    }
                    name = Some(value.to_owned());
                }
                "description" => description_ru.push(value.to_owned()),
                "check" => {
                    let Some((expression, message)) = value.split_once('|') else {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::BadCheck(value.to_owned()),
                        ));
                    };
                    checks.push(ReportCheck {
                        expression: expression.trim().to_owned(),
                        message_ru: message.trim().to_owned(),
                        message_en: None,
                    });
                }
                "check.en" => {
                    let Some(check) = checks.last_mut() else {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::BadCheck(value.to_owned()),
                        ));
                    };
                    check.message_en = Some(value.to_owned());
                }
                "chart" => {
                    let words: Vec<&str> = value.split_whitespace().collect();
                    let valid =
                        matches!(words.first(), Some(&("bar" | "line"))) && words.len() <= 3;
                    if !valid {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::BadChart(value.to_owned()),
                        ));
                    }
                    chart = Some(value.to_owned());
                }
                "description.en" => description_en.push(value.to_owned()),
                "param" => {
                    let spec = ParamSpec::parse(value)
                        .map_err(|problem| header_error(index + 1, problem))?;
                    if params.iter().any(|p: &ParamSpec| p.name == spec.name) {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::ParamTwice(spec.name),
                        ));
                    }
                    params.push(spec);
                }
                "param.en" => {
                    let (param, text) = value.split_once('|').unwrap_or((value, ""));
                    let Some(spec) = params.iter_mut().find(|p| p.name == param.trim()) else {
                        return Err(header_error(
                            index + 1,
                            HeaderProblem::UnknownParamEn(param.trim().to_owned()),
                        ));
                    };
                    spec.description_en = Some(text.trim().to_owned());
                }
                _ => {}
            }
        }
        let Some(name) = name else {
            return Err(header_error(1, HeaderProblem::NoName));
        };
        if description_ru.is_empty() {
            return Err(header_error(1, HeaderProblem::NoDescription));
        }
        if !has_query(text) {
            return Err(header_error(1, HeaderProblem::NoQuery));
        }
        Ok(Report {
            name,
            description_ru: description_ru.join(" "),
            description_en: (!description_en.is_empty()).then(|| description_en.join(" ")),
            params,
            chart,
            checks,
            sql: text.to_owned(),
            origin,
        })
    }

    pub fn load(path: &Path) -> Result<Report, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::ReportRead {
            path: path.to_owned(),
            source,
        })?;
        Report::parse(&text, ReportOrigin::File(path.to_owned()))
    }

    /// Reads a `.sql` file given by path to run it. Unlike a library report it may lack the
    /// header: then its name is the file name and its description is empty.
    pub fn load_file(path: &Path) -> Result<Report, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::ReportRead {
            path: path.to_owned(),
            source,
        })?;
        let has_name = text
            .lines()
            .take_while(|line| line.trim().is_empty() || line.trim_start().starts_with("--"))
            .any(|line| {
                line.trim_start()
                    .trim_start_matches('-')
                    .trim_start()
                    .starts_with("name:")
            });
        if has_name {
            return Report::parse(&text, ReportOrigin::File(path.to_owned()));
        }
        if !has_query(&text) {
            return Err(EngineError::ReportHeader {
                path: path.to_owned(),
                line: 1,
                problem: HeaderProblem::NoQuery,
            });
        }
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Report {
            name,
            description_ru: String::new(),
            description_en: None,
            params: Vec::new(),
            chart: None,
            checks: Vec::new(),
            sql: text,
            origin: ReportOrigin::File(path.to_owned()),
        })
    }

    /// Returns where the report comes from: its file, or `<builtin>/NAME.sql`.
    pub fn origin_text(&self) -> String {
        self.origin.display_path().display().to_string()
    }

    /// Returns the description in `lang`, falling back to Russian.
    pub fn description(&self, lang: Lang) -> &str {
        match (lang, &self.description_en) {
            (Lang::En, Some(english)) => english,
            _ => &self.description_ru,
        }
    }
}

/// Reads the `.sql` reports of a folder in name order. Files that cannot be read, and later files
/// that repeat a report name, go to `broken`.
fn read_folder(entries: std::fs::ReadDir, broken: &mut Vec<EngineError>) -> Vec<Report> {
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    paths.sort();
    let mut reports: Vec<Report> = Vec::new();
    for path in paths {
        match Report::load(&path) {
            Ok(report) => {
                let Some(at) = reports.iter().position(|r| r.name == report.name) else {
                    reports.push(report);
                    continue;
                };
                // Of two files with one report name, the one named after the report stays.
                let named = |report: &Report| match &report.origin {
                    ReportOrigin::File(path) => {
                        path.file_stem().and_then(|s| s.to_str()) == Some(report.name.as_str())
                    }
                    ReportOrigin::Builtin(_) => false,
                };
                let (kept, left) = if named(&report) && !named(&reports[at]) {
                    (report, reports.remove(at))
                } else {
                    let kept = reports.remove(at);
                    (kept, report)
                };
                broken.push(EngineError::DuplicateReport {
                    name: kept.name.clone(),
                    first: kept.origin.display_path(),
                    second: left.origin.display_path(),
                });
                reports.push(kept);
            }
            Err(error) => broken.push(error),
        }
    }
    reports
}

/// The reports available to a session: report folders first, then the built-in ones.
#[derive(Debug, Default)]
pub struct ReportLibrary {
    reports: Vec<Report>,
    /// Report files that could not be read, left out of the library.
    broken: Vec<EngineError>,
}

impl ReportLibrary {
    /// Loads every `.sql` report of `folders` (earlier folders win) and the built-in reports.
    ///
    /// A file that cannot be read, or that repeats a report name of its folder (which `run NAME`
    /// could not tell apart), is left out and listed by [`ReportLibrary::broken`], so one bad
    /// file does not stop the other reports.
    pub fn load(folders: &[PathBuf]) -> Result<ReportLibrary, EngineError> {
        let mut reports: Vec<Report> = Vec::new();
        let mut broken = Vec::new();
        for folder in folders {
            let Ok(entries) = std::fs::read_dir(folder) else {
                continue;
            };
            for report in read_folder(entries, &mut broken) {
                if !reports.iter().any(|r| r.name == report.name) {
                    reports.push(report);
                }
            }
        }
        for (file, text) in BUILTIN_REPORTS {
            let report = Report::parse(text, ReportOrigin::Builtin(file))?;
            if !reports.iter().any(|r| r.name == report.name) {
                reports.push(report);
            }
        }
        reports.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ReportLibrary { reports, broken })
    }

    /// Loads the `.sql` reports of one folder only, without the built-in ones, as a batch run
    /// of that folder needs.
    pub fn load_folder(folder: &Path) -> Result<ReportLibrary, EngineError> {
        let entries = std::fs::read_dir(folder).map_err(|source| EngineError::ReportRead {
            path: folder.to_owned(),
            source,
        })?;
        let mut broken = Vec::new();
        let mut reports = read_folder(entries, &mut broken);
        reports.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ReportLibrary { reports, broken })
    }

    /// Returns whether `name` is one of the reports built into crmsql.
    pub fn is_builtin(name: &str) -> bool {
        BUILTIN_REPORTS
            .iter()
            .any(|(file, _)| file.strip_suffix(".sql") == Some(name))
    }

    /// Returns the report files that could not be read, with what is wrong with each.
    pub fn broken(&self) -> &[EngineError] {
        &self.broken
    }

    /// Returns every report, sorted by name.
    pub fn reports(&self) -> &[Report] {
        &self.reports
    }

    /// Finds a report by name, or loads it when `name_or_path` is a path to a `.sql` file.
    pub fn resolve(&self, name_or_path: &str) -> Result<Report, EngineError> {
        let path = Path::new(name_or_path);
        let looks_like_path =
            name_or_path.ends_with(".sql") || name_or_path.contains(std::path::MAIN_SEPARATOR);
        if looks_like_path || path.is_file() {
            if path.is_file() {
                return Report::load_file(path);
            }
            // `run avg_check_by_month.sql` names a report, not a file in the current folder.
            if !name_or_path.contains(std::path::MAIN_SEPARATOR)
                && let Some(report) = path
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .and_then(|stem| self.reports.iter().find(|r| r.name == stem))
            {
                return Ok(report.clone());
            }
            return Err(EngineError::ReportRead {
                path: path.to_owned(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        if let Some(report) = self.reports.iter().find(|r| r.name == name_or_path) {
            return Ok(report.clone());
        }
        // A file named after the report that could not be read gives its own error.
        for error in &self.broken {
            if let EngineError::ReportHeader {
                path,
                line,
                problem,
            } = error
                && path.file_stem().and_then(|s| s.to_str()) == Some(name_or_path)
            {
                return Err(EngineError::ReportHeader {
                    path: path.clone(),
                    line: *line,
                    problem: problem.clone(),
                });
            }
        }
        Err(EngineError::ReportNotFound {
            name: name_or_path.to_owned(),
            available: self.reports.iter().map(|r| r.name.clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_header() -> Result<(), EngineError> {
        let text = "-- name: demo_report\n-- description: Первая строка.\n-- description: Вторая.\n-- description.en: English.\nSELECT 1;\n";
        let report = Report::parse(text, ReportOrigin::Builtin("demo.sql"))?;
        assert_eq!(report.name, "demo_report");
        assert_eq!(report.description(Lang::Ru), "Первая строка. Вторая.");
        assert_eq!(report.description(Lang::En), "English.");
        Ok(())
    }

    #[test]
    fn header_without_name_is_rejected() {
        let result = Report::parse(
            "-- description: x\nSELECT 1",
            ReportOrigin::Builtin("x.sql"),
        );
        assert!(matches!(result, Err(EngineError::ReportHeader { .. })));
    }

    #[test]
    fn builtin_reports_parse() -> Result<(), EngineError> {
        let library = ReportLibrary::load(&[])?;
        let names: Vec<&str> = library.reports().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "avg_check_by_channel",
                "avg_check_by_month",
                "avg_check_by_product",
                "budget_reallocation",
                "channel_roi",
                "customer_segments",
                "customers_by_manager",
                "end_to_end_fit",
                "full_profitability",
                "loss_reasons",
                "pipeline_stages",
                "product_economics",
                "purchase_rfm_segments",
                "purchase_segments",
                "rfm_segments",
                "sales_by_manager",
                "sales_forecast",
                "sales_overview",
                "transaction_rfm_segments",
                "win_rate"
            ]
        );
        Ok(())
    }

    #[test]
    fn bad_files_are_left_out_with_their_problem() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let files = [
            ("a.sql", "-- name: same\n-- description: a\nSELECT 1"),
            ("b.sql", "-- name: same\n-- description: b\nSELECT 2"),
            ("c.sql", "-- nme: typo\n-- description: c\nSELECT 3"),
            (
                "d.sql",
                "-- name: d\n-- description: d\n-- param: h int = abc\nSELECT 4",
            ),
            (
                "e.sql",
                "-- name: e\n-- description: e\n-- param: x colour\nSELECT 5",
            ),
            (
                "f.sql",
                "-- name: f\n-- description: f\n-- param: x int\n-- param: x text\nSELECT 6",
            ),
            ("g.sql", "-- name: g\n-- description: g\n"),
            ("h.sql", "-- name: h\nSELECT 7"),
            (
                "i.sql",
                "-- name: i\n-- description: i\n-- param.en: y | why\nSELECT 8",
            ),
            (
                "good.sql",
                "-- name: good\n-- description: хороший\nSELECT 9",
            ),
            (
                "a_dup.sql",
                "-- name: dup\n-- description: копия\nSELECT 10",
            ),
            (
                "dup.sql",
                "-- name: dup\n-- description: свой файл\nSELECT 11",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text)?;
        }
        let library = ReportLibrary::load(&[dir.path().to_owned()])?;
        // The good reports and every built-in one are there.
        assert_eq!(library.resolve("same")?.description_ru, "a");
        assert_eq!(library.resolve("good")?.description_ru, "хороший");
        assert!(library.resolve("win_rate").is_ok());
        // Of two files with one name, the one named after the report is used.
        assert_eq!(library.resolve("dup")?.description_ru, "свой файл");
        // A bad file named after the report gives its own error.
        assert!(matches!(
            library.resolve("d"),
            Err(EngineError::ReportHeader {
                problem: HeaderProblem::BadDefault { .. },
                ..
            })
        ));
        let problems: Vec<String> = library
            .broken()
            .iter()
            .map(|error| match error {
                EngineError::DuplicateReport { name, .. } => format!("duplicate {name}"),
                EngineError::ReportHeader { line, problem, .. } => format!("{line} {problem:?}"),
                other => format!("{other}"),
            })
            .collect();
        assert_eq!(
            problems,
            [
                "duplicate same",
                "1 NoName",
                "3 BadDefault { name: \"h\", kind: \"int\", default: \"abc\" }",
                "duplicate dup",
                "3 UnknownType { name: \"x\", kind: \"colour\" }",
                "4 ParamTwice(\"x\")",
                "1 NoQuery",
                "1 NoDescription",
                "3 UnknownParamEn(\"y\")",
            ]
        );
        Ok(())
    }

    #[test]
    fn folder_report_shadows_builtin() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("mine.sql"),
            "-- name: sales_by_manager\n-- description: своя версия\nSELECT 1",
        )?;
        let library = ReportLibrary::load(&[dir.path().to_owned()])?;
        assert_eq!(
            library.resolve("sales_by_manager")?.description_ru,
            "своя версия"
        );
        Ok(())
    }

    #[test]
    fn unknown_report_lists_available() -> Result<(), EngineError> {
        let library = ReportLibrary::load(&[])?;
        match library.resolve("no_such_report") {
            Err(EngineError::ReportNotFound { available, .. }) => assert_eq!(available.len(), 20),
            other => panic!("expected ReportNotFound, got {other:?}"),
        }
        Ok(())
    }
}
