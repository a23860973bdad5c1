//! Helpers shared by the end-to-end tests: an isolated `crmsql` command, sample files and CSV
//! parsing of query results.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Returns a folder of shared test data kept beside the repository, or the one `variable` names.
fn shared_folder(variable: &str, name: &str) -> PathBuf {
    let folder = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared").join(name));
    assert!(
        folder.is_dir(),
        "{name} not found at {}; set {variable}",
        folder.display()
    );
    folder
}

/// Sample exports shared by the team, kept beside the repository.
pub fn samples() -> PathBuf {
    shared_folder("CRMSQL_SAMPLES", "samples")
}

pub fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/fixtures").join(name)
}

/// Returns the demo account's folder: the deals export, ad spend, expenses and product costs.
pub fn demo_folder() -> PathBuf {
    workspace().join("data/demo")
}

pub fn demo_export() -> PathBuf {
    demo_folder().join("amocrm_export_leads_2026-01-12.csv")
}

/// Builds a `crmsql` command isolated from the user's settings: Russian, no warehouse or report
/// variables, and a data folder of its own.
pub fn crmsql(data_home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crmsql"));
    command
        .env_remove("CRMSQL_WAREHOUSE")
        .env_remove("CRMSQL_QUERIES")
        .env_remove("CRMSQL_LANG")
        .env_remove("CRMSQL_TIMEZONE")
        .env_remove("CRMSQL_MEMORY_LIMIT")
        .env_remove("CRMSQL_CONFIG")
        .env("XDG_CONFIG_HOME", data_home.join(".config"))
        .env("LANG", "ru_RU.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("XDG_DATA_HOME", data_home)
        .env("NO_COLOR", "1")
        .current_dir(data_home)
        .stdin(Stdio::null());
    command
}

pub fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap();
    eprintln!("stdout:\n{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}

/// Runs `command` with `input` on its standard input and collects its output.
pub fn run_with_input(command: &mut Command, input: &str) -> Output {
    use std::io::Write;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

pub fn import(home: &Path, warehouse: &Path, files: &[&Path]) -> Output {
    let mut command = crmsql(home);
    command
        .arg("import")
        .arg("--warehouse")
        .arg(warehouse)
        .args(files);
    run(&mut command)
}

/// Runs SQL with `--format csv` and returns the rows as maps from column to value.
pub fn query(home: &Path, warehouse: &Path, sql: &str) -> Vec<HashMap<String, String>> {
    let output = run(crmsql(home)
        .arg("--warehouse")
        .arg(warehouse)
        .args(["--format", "csv", "-c", sql]));
    assert!(output.status.success(), "query failed: {sql}");
    parse_csv(&stdout(&output))
}

pub fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .map(str::to_owned)
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Reads an export with the csv crate, independently of crmsql's importer.
pub fn read_export(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            headers
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Real public data sets shared by the team, kept beside the repository.
pub fn data_sets() -> PathBuf {
    shared_folder("CRMSQL_DATA", "data")
}

/// Runs `crmsql import` with extra arguments before the files.
pub fn import_with(home: &Path, warehouse: &Path, args: &[&str], files: &[&Path]) -> Output {
    let mut command = crmsql(home);
    command
        .arg("import")
        .arg("--warehouse")
        .arg(warehouse)
        .args(args)
        .args(files);
    run(&mut command)
}
