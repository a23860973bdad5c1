//! The DataFusion session over a warehouse.

use std::sync::Arc;

use crmsql_i18n::Lang;
use crmsql_schema::Warehouse;
use crmsql_schema::deals::known_column;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::SessionConfig;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::error::EngineError;

/// Table of the warehouse with its row count from the import metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub rows: u64,
    pub demo: bool,
}

/// Column of a table, with the export label it came from and a short description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
    pub label: Option<String>,
    pub description: Option<String>,
}

/// Names an Arrow type the way SQL and the schema docs do (`TEXT`, `DECIMAL(18, 2)`), so `\d`
/// matches what a user writes in `CAST`.
pub fn sql_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => "TEXT".to_owned(),
        DataType::Int64 => "BIGINT".to_owned(),
        DataType::Int32 => "INT".to_owned(),
        DataType::Float64 => "DOUBLE".to_owned(),
        DataType::Boolean => "BOOLEAN".to_owned(),
        DataType::Date32 => "DATE".to_owned(),
        DataType::Decimal128(precision, scale) => format!("DECIMAL({precision}, {scale})"),
        DataType::Timestamp(_, Some(zone)) => format!("TIMESTAMP WITH TIME ZONE ({zone})"),
        DataType::Timestamp(_, None) => "TIMESTAMP".to_owned(),
        DataType::List(item) | DataType::LargeList(item) | DataType::ListView(item) => {
            format!("LIST of {}", sql_type_name(item.data_type()))
        }
        other => other.to_string(),
    }
}

/// Result of one statement.
#[derive(Debug, Clone)]
pub struct QueryResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// Returns the number of rows.
    pub fn row_count(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// A DataFusion session with the warehouse tables and CRM functions registered.
pub struct Engine {
    ctx: SessionContext,
    tables: Vec<TableInfo>,
    timezone: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("tables", &self.tables)
            .field("timezone", &self.timezone)
            .finish()
    }
}

impl Engine {
    /// Opens a session over `warehouse`, registering each of its tables.
    pub async fn open(warehouse: &Warehouse) -> Result<Engine, EngineError> {
        warehouse.recover()?;
        let names = warehouse.tables()?;
        let mut tables = Vec::with_capacity(names.len());
        let mut timezone = crmsql_import::DEFAULT_TIMEZONE.to_owned();
        for name in &names {
            let meta = warehouse.read_meta(name)?;
            if name == "deals" {
                timezone = meta.timezone.clone();
            }
            tables.push(TableInfo {
                name: name.clone(),
                rows: meta.rows,
                demo: meta.demo,
            });
        }

        let mut config = SessionConfig::new().with_information_schema(true);
        // `now()` and casts of text to timestamps then follow the account's clock.
        config.options_mut().execution.time_zone = Some(timezone.clone());
        let ctx = SessionContext::new_with_config(config);
        crmsql_functions::register_all(&ctx);

        for table in &tables {
            let dir = warehouse.table_dir(&table.name);
            let location = format!("{}/", dir.display());
            ctx.register_parquet(&table.name, &location, ParquetReadOptions::default())
                .await?;
        }
        Ok(Engine {
            ctx,
            tables,
            timezone,
        })
    }

    /// Returns the DataFusion session.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Returns the warehouse tables.
    pub fn tables(&self) -> &[TableInfo] {
        &self.tables
    }

    /// Returns the account time zone used for dates.
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// Splits SQL text into statements.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>, EngineError> {
        let statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})?;
        Ok(statements.into_iter().collect())
    }

    /// Plans and runs one statement, collecting its result.
    pub async fn execute(&self, statement: Statement) -> Result<QueryResult, EngineError> {
        let state = self.ctx.state();
        let plan = state.statement_to_plan(statement).await?;
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        Ok(QueryResult { schema, batches })
    }

    /// Runs every statement of `sql` in order and returns each result.
    pub async fn run_sql(&self, sql: &str) -> Result<Vec<QueryResult>, EngineError> {
        let mut results = Vec::new();
        for statement in self.parse(sql)? {
            results.push(self.execute(statement).await?);
        }
        Ok(results)
    }

    /// Lists the columns of `table` with their types and descriptions in `lang`.
    pub async fn describe(&self, table: &str, lang: Lang) -> Result<Vec<ColumnInfo>, EngineError> {
        let provider = match self.ctx.table_provider(table).await {
            Ok(provider) => provider,
            Err(_) => {
                let available = self.table_names();
                return Err(EngineError::TableNotFound {
                    name: table.to_owned(),
                    available,
                });
            }
        };
        let schema = provider.schema();
        let columns = schema
            .fields()
            .iter()
            .map(|field| {
                let known = (table == "deals")
                    .then(|| known_column(field.name()))
                    .flatten();
                let description = known.map(|k| match lang {
                    Lang::Ru => k.description_ru.to_owned(),
                    Lang::En => k.description_en.to_owned(),
                });
                ColumnInfo {
                    name: field.name().clone(),
                    data_type: sql_type_name(field.data_type()),
                    nullable: field.is_nullable(),
                    label: field
                        .metadata()
                        .get(crmsql_import::LABEL_METADATA_KEY)
                        .cloned(),
                    description,
                }
            })
            .collect();
        Ok(columns)
    }

    /// Returns the names of the tables that queries can use, warehouse tables and views alike.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .ctx
            .catalog("datafusion")
            .and_then(|catalog| catalog.schema("public"))
            .map(|schema| schema.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }
}
