//! Every row of every sample file is accounted for: added, merged into an existing row, or
//! rejected, and the counts add up to the rows an independent CSV reading finds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use crmsql_i18n::Localizer;
use crmsql_import::{ImportOptions, import};
use crmsql_schema::Warehouse;

fn samples() -> PathBuf {
    let folder = std::env::var_os("CRMSQL_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples"));
    assert!(folder.is_dir(), "samples not found at {}", folder.display());
    folder
}

/// Counts data records that are not blank, decoding nothing: the delimiter is the one the file
/// uses most in its first line.
fn count_records(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
        .unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes.as_slice());
    reader
        .byte_records()
        .map(Result::unwrap)
        .filter(|r| !r.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)))
        .count() as u64
}

/// Returns the table an API page's list goes to and the number of entities in it.
fn count_entities(path: &Path) -> (&'static str, u64) {
    let page: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let embedded = page["_embedded"].as_object().unwrap();
    let (name, list) = embedded.iter().next().unwrap();
    let table = match name.as_str() {
        "leads" => "deals",
        "elements" => "catalog_elements",
        "events" => "lead_status_changes",
        "contacts" => "contacts",
        "customers" => "customers",
        "transactions" => "transactions",
        "users" => "users",
        "pipelines" => "pipelines",
        "custom_fields" => "custom_fields",
        other => panic!("unexpected list {other}"),
    };
    (table, list.as_array().unwrap().len() as u64)
}

#[test]
fn counts_add_up_on_every_sample() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv" || e == "json"))
        .collect();
    files.sort();
    let mut checked = 0;
    for path in &files {
        let dir = tempfile::tempdir().unwrap();
        let warehouse = Warehouse::new(dir.path());
        let report = match import(
            &warehouse,
            std::slice::from_ref(path),
            &ImportOptions::default(),
            Localizer::english(),
            &|| {},
        ) {
            Ok(report) => report,
            Err(error) => {
                eprintln!("{}: not imported yet: {error}", path.display());
                continue;
            }
        };
        for table in &report.tables {
            assert_eq!(
                table.read,
                table.added + table.updated + table.superseded + table.rejected,
                "{}: {table:?}",
                path.display()
            );
            assert_eq!(table.rows, table.added, "{}", path.display());
        }
        if path.extension().is_some_and(|e| e == "json") {
            // An API page feeds its entity's table and child tables (statuses, field values);
            // the entity's table reads every record of the list once.
            let (table, expected) = count_entities(path);
            let main = report.tables.iter().find(|t| t.table == table).unwrap();
            assert_eq!(main.read, expected, "{}", path.display());
        } else {
            // A contacts export feeds two tables; together they read every row once.
            let read: u64 = report.tables.iter().map(|t| t.read).sum();
            assert_eq!(read, count_records(path), "{}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} samples imported");
}
