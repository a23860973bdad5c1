//! The import of a deals export into a new warehouse: splitting records, reading values and
//! writing Parquet, for exports of 10,000 and 100,000 rows as the demo generator makes them.
//! The large-file comparison with DuckDB is `tests/bench/vs_duckdb.sh`.
//!
//! `cargo bench -p crmsql-import` runs it.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crmsql_i18n::{Lang, Localizer};
use crmsql_import::{ImportOptions, import};
use crmsql_schema::Warehouse;

fn export(folder: &std::path::Path, rows: u64, delimiter: u8, kopecks: bool) -> PathBuf {
    let config = crmsql_demo::DemoConfig {
        rows,
        delimiter,
        kopecks,
        ..Default::default()
    };
    let path = folder.join(format!(
        "amocrm_export_leads_{rows}_{}.csv",
        delimiter as char
    ));
    let mut bytes = Vec::new();
    crmsql_demo::generate(&config, &mut bytes).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn import_exports(c: &mut Criterion) {
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let l = Localizer::get(Lang::En);
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    for rows in [10_000u64, 100_000] {
        // As amoCRM writes it, and as Excel saves it again: `;` and decimal commas.
        for (name, delimiter, kopecks) in [("comma", b',', false), ("semicolon", b';', true)] {
            let file = export(folder.path(), rows, delimiter, kopecks);
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            group.throughput(Throughput::Bytes(size));
            let mut run = 0u32;
            group.bench_function(BenchmarkId::new(name, rows), |b| {
                b.iter(|| {
                    run += 1;
                    let root = folder.path().join(format!("wh-{name}-{rows}-{run}"));
                    let warehouse = Warehouse::new(&root);
                    let report = import(
                        &warehouse,
                        std::slice::from_ref(&file),
                        &ImportOptions::default(),
                        l,
                        &|| {},
                    )
                    .unwrap_or_else(|e| panic!("{e:?}"));
                    let _ = std::fs::remove_dir_all(&root);
                    report
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, import_exports);
criterion_main!(benches);
