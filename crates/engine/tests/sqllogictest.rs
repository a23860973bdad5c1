//! Runs the `.slt` files of `tests/slt/` against a crmsql session with the CRM functions.

use std::path::{Path, PathBuf};

use crmsql_engine::{Engine, EngineError};
use crmsql_schema::Warehouse;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use sqllogictest::{DBOutput, DefaultColumnType};

struct CrmDb {
    engine: Engine,
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for CrmDb {
    type Error = EngineError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, EngineError> {
        let mut results = self.engine.run_sql(sql).await?;
        let Some(result) = results.pop() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        if result.schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &result.batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|column| ArrayFormatter::try_new(column.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|source| EngineError::Output { source })?;
            for row in 0..batch.num_rows() {
                rows.push(
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                );
            }
        }
        let types = vec![DefaultColumnType::Any; result.schema.fields().len()];
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "crmsql"
    }
}

fn slt_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "slt"))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn slt_files_pass() {
    let files = slt_files();
    assert!(!files.is_empty(), "no .slt files found");
    let mut failures = Vec::new();
    for file in &files {
        let warehouse_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let warehouse = Warehouse::new(warehouse_dir.path());
        let mut runner = sqllogictest::Runner::new(|| {
            let warehouse = warehouse.clone();
            async move {
                Ok(CrmDb {
                    engine: Engine::open(&warehouse).await?,
                })
            }
        });
        if let Err(error) = runner.run_file_async(file).await {
            failures.push(format!("{}: {error}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
