//! The DataFusion session over a warehouse.

use std::path::PathBuf;
use std::sync::Arc;

use crmsql_i18n::Lang;
use crmsql_schema::Warehouse;
use crmsql_schema::deals::known_column;
use crmsql_schema::warehouse::Snapshot;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::context::SessionConfig;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use futures::{StreamExt, TryStreamExt};

use crate::error::EngineError;

/// Returns the runtime settings of a session that runs its queries in this process.
fn local_runtime(
    options: &EngineOptions,
    merge: Option<SortMerge>,
) -> datafusion::execution::runtime_env::RuntimeEnvBuilder {
    let mut builder = datafusion::execution::runtime_env::RuntimeEnvBuilder::new();
    if let Some(merge) = merge {
        builder = builder.with_max_spill_merge_fan_in(merge.fan_in);
    }
    match &options.spill_dir {
        Some(dir) => builder.with_temp_file_path(dir),
        None => builder,
    }
}

/// Settings of the merge that ends a spilled sort, sized to the memory limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SortMerge {
    /// Bytes each sort sets aside for its merge before it sorts.
    pub(crate) reservation: usize,
    /// Files one merge pass reads at once; more files take several passes.
    pub(crate) fan_in: usize,
}

/// DataFusion's own amount each sort sets aside for its merge.
const DEFAULT_MERGE_RESERVATION: usize = 10 * 1024 * 1024;

impl SortMerge {
    /// Sizes the merges of `partitions` parallel sorts under a pool of `limit` bytes.
    ///
    /// By default each sort sets aside 10 MiB for its merge and then reads as many spill files
    /// at once as the pool lets it. The memory a merge uses cannot be spilled, so under a limit
    /// of a few dozen MiB the first sort to merge took what the others needed, and they failed.
    /// Each sort here sets aside an eighth of its share of the pool and reads at most one file
    /// per 4 MiB of that share at once.
    pub(crate) fn for_limit(limit: usize, partitions: usize) -> SortMerge {
        let share = limit / partitions.max(1);
        SortMerge {
            reservation: (share / 8).min(DEFAULT_MERGE_RESERVATION),
            fan_in: (share / (4 * 1024 * 1024)).clamp(2, 64),
        }
    }
}

/// Settings of a session.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Bytes of memory queries may hold; beyond it, sorts and aggregations spill to disk.
    pub memory_limit: Option<usize>,
    /// The Ballista cluster that runs the queries; `None` runs them in this process.
    pub cluster: Option<crmsql_cluster::ClusterUrl>,
    /// The folder that local queries spill to; `None` spills to the system's temporary folder.
    pub spill_dir: Option<PathBuf>,
}

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

/// Builds a table over the given Parquet files. The schema is the union of the files' schemas, so
/// files written by imports with different columns read as one table, with NULL where a file
/// lacks a column.
///
/// Without `view_types`, text columns read as plain strings rather than string views. A batch of
/// string views can share the buffers of a whole page, and whatever sizes or sends a batch takes
/// all of them. On a cluster, Ballista sends every buffer a batch refers to: a query that
/// returned 300,000 rows of two columns took 2.9 GB in the client, against 87 MB with plain
/// strings.
pub async fn parquet_table(
    ctx: &SessionContext,
    paths: &[PathBuf],
    view_types: bool,
) -> Result<Arc<dyn TableProvider>, EngineError> {
    let state = ctx.state();
    let format = ParquetFormat::default().with_force_view_types(view_types);
    let options = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
    // Footers are read a few at a time, in the files' order, so a table of many monthly files
    // opens in the time of a few reads.
    let inferred: Vec<(ListingTableUrl, SchemaRef)> = futures::stream::iter(paths)
        .map(|path| {
            let (state, options) = (&state, &options);
            async move {
                let url = ListingTableUrl::parse(path.to_string_lossy())?;
                let schema = options.infer_schema(state, &url).await?;
                Ok::<_, EngineError>((url, schema))
            }
        })
        .buffered(SCHEMA_READS)
        .try_collect()
        .await?;
    let mut urls = Vec::with_capacity(paths.len());
    let mut fields: Vec<(Field, usize)> = Vec::new();
    for (url, schema) in inferred {
        // The first file that has a column gives its type and label; imports keep the types of
        // a table's columns the same across files.
        for field in schema.fields() {
            match fields.iter_mut().find(|(f, _)| f.name() == field.name()) {
                Some((known, seen)) => {
                    *seen += 1;
                    if field.is_nullable() {
                        known.set_nullable(true);
                    }
                    // Files may disagree on a column's type, as when an export's text column is
                    // named like a number column of the API. The column then reads as DOUBLE when
                    // both are numbers, else as text, which every plain type casts to.
                    if known.data_type() != field.data_type()
                        && !known.data_type().is_nested()
                        && !field.data_type().is_nested()
                    {
                        let both_numbers =
                            known.data_type().is_numeric() && field.data_type().is_numeric();
                        known.set_data_type(if both_numbers {
                            DataType::Float64
                        } else {
                            DataType::Utf8
                        });
                    }
                }
                None => fields.push((field.as_ref().clone(), 1)),
            }
        }
        urls.push(url);
    }
    // A column missing from some files reads as NULL there.
    let fields: Vec<Field> = fields
        .into_iter()
        .map(|(field, seen)| {
            let nullable = field.is_nullable() || seen < paths.len();
            field.with_nullable(nullable)
        })
        .collect();
    let schema = Schema::new(fields);
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(Arc::new(schema));
    // The session keeps each file's statistics, so later queries do not rebuild them from the
    // footers.
    let table = ListingTable::try_new(config)?
        .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
    Ok(Arc::new(table))
}

/// Returns whether the error is a CRM function's own mistake in its arguments.
fn is_crm_error(error: &datafusion::error::DataFusionError) -> bool {
    matches!(error.find_root(), datafusion::error::DataFusionError::External(inner)
        if inner.is::<crmsql_functions::CrmError>())
}

/// Footers a table reads at once when it opens.
const SCHEMA_READS: usize = 16;

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
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
    tables: Vec<TableInfo>,
    /// Tables whose files could not be opened, with the reason; the other tables still work.
    broken: Arc<Vec<(String, EngineError)>>,
    timezone: String,
    /// The cluster that runs the queries, if any.
    cluster: Option<crmsql_cluster::ClusterUrl>,
    /// The plan running now, for [`Engine::scan_progress`].
    running: Arc<std::sync::Mutex<Option<Arc<dyn ExecutionPlan>>>>,
    /// Keeps the files of the snapshot the session reads.
    _snapshot: Arc<Snapshot>,
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
    /// Opens a session over `warehouse`, registering each table of its current snapshot.
    ///
    /// The session keeps the snapshot open: an import that runs meanwhile does not change what the
    /// session reads, and the files it reads are kept until the session ends.
    pub async fn open(warehouse: &Warehouse) -> Result<Engine, EngineError> {
        Engine::open_with(warehouse, &EngineOptions::default()).await
    }

    /// Opens a session over the warehouse with `options`, such as a memory limit.
    pub async fn open_with(
        warehouse: &Warehouse,
        options: &EngineOptions,
    ) -> Result<Engine, EngineError> {
        let snapshot = warehouse.snapshot()?;
        let mut tables = Vec::with_capacity(snapshot.tables.len());
        let mut timezone = crmsql_import::DEFAULT_TIMEZONE.to_owned();
        for (name, meta) in &snapshot.tables {
            if name == "deals" {
                timezone = meta.timezone.clone();
            }
            tables.push(TableInfo {
                name: name.clone(),
                rows: meta.rows,
                demo: meta.demo,
            });
        }

        let mut config = SessionConfig::new()
            .with_information_schema(true)
            .with_option_extension(crmsql_functions::CrmOptions::default());
        // `now()` and casts of text to timestamps then follow the account's clock.
        config.options_mut().execution.time_zone = Some(timezone.clone());
        // Errors then carry where in the statement they are, for the caret under it.
        config.options_mut().sql_parser.collect_spans = true;
        if options.memory_limit.is_some() {
            // NOTE: under a memory limit, DataFusion 55's RepartitionExec can wait forever when
            // two of its inputs spill at once (apache/datafusion#24883, fixed after 55.2). With
            // a limit, aggregations therefore skip the hash repartition between their partial and
            // final steps; they still spill.
            config.options_mut().optimizer.repartition_aggregations = false;
        }
        let merge = options
            .memory_limit
            .map(|limit| SortMerge::for_limit(limit, config.target_partitions()));
        if let Some(merge) = merge {
            config.options_mut().execution.sort_spill_reservation_bytes = merge.reservation;
        }
        let ctx = match (&options.cluster, options.memory_limit) {
            // The client only plans; the executors run the plan, each within its own limit.
            (Some(url), _) => {
                use crmsql_cluster::ReadyError;
                let problem = match crmsql_cluster::ready_executors(url).await {
                    Ok(0) => Some((crate::ClusterProblem::NoExecutors, String::new())),
                    Ok(_) => None,
                    Err(error @ ReadyError::Connect(_)) => {
                        Some((crate::ClusterProblem::Unreachable, error.to_string()))
                    }
                    Err(ReadyError::NotScheduler(answer)) => {
                        Some((crate::ClusterProblem::NotScheduler(answer), String::new()))
                    }
                };
                if let Some((problem, detail)) = problem {
                    return Err(EngineError::Cluster {
                        url: url.to_string(),
                        problem,
                        functions: Vec::new(),
                        detail,
                    });
                }
                crmsql_cluster::connect(url, config, &timezone).await?
            }
            // Sorts and aggregations that would pass the limit spill to the temporary folder;
            // the pool names its largest users when a query still cannot fit.
            (None, Some(limit)) => {
                let pool = datafusion::execution::memory_pool::TrackConsumersPool::new(
                    datafusion::execution::memory_pool::FairSpillPool::new(limit),
                    std::num::NonZeroUsize::new(3).unwrap_or(std::num::NonZeroUsize::MIN),
                );
                let runtime = local_runtime(options, merge)
                    .with_memory_pool(Arc::new(pool))
                    .build_arc()?;
                let ctx = SessionContext::new_with_config_rt(config, runtime);
                crmsql_functions::register_all(&ctx, &timezone);
                ctx
            }
            (None, None) => {
                let ctx = SessionContext::new_with_config_rt(
                    config,
                    local_runtime(options, None).build_arc()?,
                );
                crmsql_functions::register_all(&ctx, &timezone);
                ctx
            }
        };

        let mut broken = Vec::new();
        for (name, meta) in &snapshot.tables {
            let paths: Vec<PathBuf> = meta.files.iter().map(|f| warehouse.file_path(f)).collect();
            // Under a memory limit too: DataFusion counts all the buffers a batch of string
            // views refers to, so sorts of text asked for many times the memory they used.
            let view_types = options.cluster.is_none() && options.memory_limit.is_none();
            match parquet_table(&ctx, &paths, view_types).await {
                Ok(provider) => {
                    ctx.register_table(name.as_str(), provider)?;
                }
                Err(error) => broken.push((name.clone(), error)),
            }
        }
        tables.retain(|table| !broken.iter().any(|(name, _)| *name == table.name));
        Ok(Engine {
            ctx,
            tables,
            broken: Arc::new(broken),
            timezone,
            cluster: options.cluster.clone(),
            running: Arc::new(std::sync::Mutex::new(None)),
            _snapshot: Arc::new(snapshot),
        })
    }

    /// Sets the language of the names that CRM functions return, such as RFM segments.
    pub fn set_language(&self, lang: Lang) {
        self.update_options(|options| {
            options.lang = match lang {
                Lang::Ru => "ru",
                Lang::En => "en",
            }
            .to_owned();
        });
    }

    /// Fixes "now" for period presets, as `YYYY-MM-DD HH:MM:SS` in the account's time zone.
    pub fn set_now(&self, now: &str) {
        self.update_options(|options| options.now = now.to_owned());
    }

    /// Returns the scheduler's address when queries run on a cluster.
    pub fn cluster(&self) -> Option<&crmsql_cluster::ClusterUrl> {
        self.cluster.as_ref()
    }

    /// Returns whether every table contains demo data.
    pub fn is_demo(&self) -> bool {
        !self.tables.is_empty() && self.tables.iter().all(|table| table.demo)
    }

    fn update_options(&self, change: impl FnOnce(&mut crmsql_functions::CrmOptions)) {
        let state = self.ctx.state_ref();
        let mut state = state.write();
        if let Some(options) = state
            .config_mut()
            .options_mut()
            .extensions
            .get_mut::<crmsql_functions::CrmOptions>()
        {
            change(options);
        }
    }

    /// Returns the DataFusion session.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Returns the warehouse tables.
    pub fn tables(&self) -> &[TableInfo] {
        &self.tables
    }

    /// Returns the tables left out because their files could not be read, with the reason.
    pub fn broken_tables(&self) -> &[(String, EngineError)] {
        &self.broken
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
        let plan = self.plan(statement).await?;
        self.run_plan(plan).await
    }

    /// Plans one statement. A table the warehouse lacks is named with the tables it has.
    async fn plan(&self, statement: Statement) -> Result<LogicalPlan, EngineError> {
        let state = self.ctx.state();
        state
            .statement_to_plan(statement)
            .await
            .map_err(|error| match missing_table(&error) {
                Some(name) => EngineError::TableNotFound {
                    name,
                    available: self.table_names(),
                    span: error.diagnostic().and_then(|d| d.span),
                },
                None => EngineError::from(error),
            })
    }

    /// Runs a planned statement, collecting its result.
    async fn run_plan(&self, plan: LogicalPlan) -> Result<QueryResult, EngineError> {
        let functions = match &self.cluster {
            Some(_) => crate::cluster::crm_functions_in(&plan),
            None => Default::default(),
        };
        let frame = self.ctx.execute_logical_plan(plan).await?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        let task = Arc::new(frame.task_ctx());
        let physical = match (frame.create_physical_plan().await, &self.cluster) {
            (Ok(physical), _) => physical,
            // Ballista refuses some plans while it plans them, before any job exists.
            (Err(error), Some(url))
                if crate::cluster::cluster_problem(&error, &functions)
                    == crate::ClusterProblem::InformationSchema =>
            {
                return Err(EngineError::Cluster {
                    url: url.to_string(),
                    problem: crate::ClusterProblem::InformationSchema,
                    functions: Vec::new(),
                    detail: error.to_string(),
                });
            }
            (Err(error), _) => return Err(error.into()),
        };
        self.set_running(Some(physical.clone()));
        let batches = datafusion::physical_plan::collect(Arc::clone(&physical), task).await;
        self.set_running(None);
        let batches = match (batches, &self.cluster) {
            (Ok(batches), _) => batches,
            (Err(error), Some(url)) if !is_crm_error(&error) => {
                let mut problem = crate::cluster::cluster_problem(&error, &functions);
                // A scheduler that accepted the job and then stopped responding went away
                // mid-query.
                if problem == crate::ClusterProblem::Unreachable
                    && crmsql_cluster::job_id(&physical).is_some()
                {
                    problem = crate::ClusterProblem::Lost;
                }
                return Err(EngineError::Cluster {
                    url: url.to_string(),
                    problem,
                    functions: functions.into_iter().collect(),
                    detail: error.to_string(),
                });
            }
            (Err(error), _) => return Err(error.into()),
        };
        Ok(QueryResult { schema, batches })
    }

    fn set_running(&self, plan: Option<Arc<dyn ExecutionPlan>>) {
        if let Ok(mut running) = self.running.lock() {
            *running = plan;
        }
    }

    /// Returns the scheduler's name of the running statement's cluster job, once the scheduler
    /// has accepted it.
    pub fn running_cluster_job(&self) -> Option<String> {
        self.cluster.as_ref()?;
        let plan = self.running.lock().ok()?.clone()?;
        crmsql_cluster::job_id(&plan)
    }

    /// Stops the cluster job of the statement the caller stopped waiting for, such as after
    /// Ctrl-C. Dropping a statement only stops this process's side: the scheduler would keep the
    /// job and its executors would go on working. Returns the id of the cancelled job, or `None`
    /// when no job was running on a cluster.
    pub async fn cancel_cluster_job(&self) -> Result<Option<String>, EngineError> {
        let Some(url) = &self.cluster else {
            return Ok(None);
        };
        let plan = self
            .running
            .lock()
            .ok()
            .and_then(|mut running| running.take());
        let Some(job) = plan.as_ref().and_then(crmsql_cluster::job_id) else {
            return Ok(None);
        };
        crmsql_cluster::cancel_job(url, &job)
            .await
            .map_err(|error| EngineError::Cluster {
                url: url.to_string(),
                problem: crate::ClusterProblem::CancelFailed(job.clone()),
                functions: Vec::new(),
                detail: error.to_string(),
            })?;
        Ok(Some(job))
    }

    /// Returns the rows and bytes the running statement has read from its tables so far, or
    /// `None` when no statement runs.
    pub fn scan_progress(&self) -> Option<(u64, u64)> {
        // On a cluster the scans run on the executors, which report their rows only at the end.
        if self.cluster.is_some() {
            return None;
        }
        let plan = self.running.lock().ok()?.clone()?;
        let mut rows = 0u64;
        let mut bytes = 0u64;
        let mut pending = vec![plan];
        while let Some(node) = pending.pop() {
            let children = node.children();
            if children.is_empty() {
                if let Some(metrics) = node.metrics() {
                    rows += metrics.output_rows().unwrap_or(0) as u64;
                    bytes += metrics
                        .sum_by_name("bytes_scanned")
                        .map_or(0, |value| value.as_usize() as u64);
                }
            } else {
                pending.extend(children.into_iter().cloned());
            }
        }
        Some((rows, bytes))
    }

    /// Runs a saved report with the parameter values a run gives (`name`, text as typed). The
    /// values are checked before any statement runs and bound to each statement as constants.
    pub async fn run_report(
        &self,
        report: &crate::Report,
        given: &[(String, String)],
    ) -> Result<Vec<QueryResult>, EngineError> {
        self.run_report_as(report, given, false).await
    }

    /// Runs a saved report as [`Engine::run_report`] does, but returns for each statement its
    /// plan with the metrics of the run (`EXPLAIN ANALYZE`): rows and time per operator, and
    /// the files, row groups and pages that statistics let the scans skip.
    pub async fn explain_report(
        &self,
        report: &crate::Report,
        given: &[(String, String)],
    ) -> Result<Vec<QueryResult>, EngineError> {
        self.run_report_as(report, given, true).await
    }

    async fn run_report_as(
        &self,
        report: &crate::Report,
        given: &[(String, String)],
        analyze: bool,
    ) -> Result<Vec<QueryResult>, EngineError> {
        let prepared =
            crate::params::prepare(&report.sql, &report.params, given).map_err(|problem| {
                EngineError::Param {
                    report: report.name.clone(),
                    problem,
                }
            })?;
        // The report's own conditions on the values come first.
        for check in &report.checks {
            let statements = self.parse(&format!("SELECT ({}) AS ok", check.expression))?;
            for statement in statements {
                let plan = self.plan(statement).await?;
                let mut values = prepared.values.clone();
                let used = plan.get_parameter_types()?;
                values.retain(|name, _| used.contains_key(&format!("${name}")));
                let result = self.run_plan(plan.with_param_values(values)?).await?;
                let failed = result.batches.iter().any(|batch| {
                    batch
                        .column(0)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::BooleanArray>()
                        .is_some_and(|column| column.iter().any(|ok| ok == Some(false)))
                });
                if failed {
                    return Err(EngineError::Param {
                        report: report.name.clone(),
                        problem: crate::params::ParamProblem::Check {
                            russian: check.message_ru.clone(),
                            english: check.message_en.clone(),
                        },
                    });
                }
            }
        }
        let statements = self.parse(&prepared.sql)?;
        let mut results = Vec::new();
        for statement in statements {
            let plan = self.plan(statement).await?;
            let plan = if prepared.values.is_empty() {
                plan
            } else {
                // A statement uses some of the parameters; bind those it names.
                let mut values = prepared.values.clone();
                let used = plan.get_parameter_types()?;
                values.retain(|name, _| used.contains_key(&format!("${name}")));
                plan.with_param_values(values)?
            };
            let plan = if analyze {
                LogicalPlanBuilder::from(plan)
                    .explain(false, true)?
                    .build()?
            } else {
                plan
            };
            results.push(self.run_plan(plan).await?);
        }
        Ok(results)
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
                    span: None,
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
                let description = known
                    .map(|k| match lang {
                        Lang::Ru => k.description_ru.to_owned(),
                        Lang::En => k.description_en.to_owned(),
                    })
                    .or_else(|| {
                        // The standard tables' columns are described in the message catalogs.
                        let l = crmsql_i18n::Localizer::get(lang);
                        let id = format!("column-{table}-{}", field.name());
                        l.has(&id).then(|| l.text(&id))
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

/// Returns the table that a planning error names as missing, without its catalog and schema.
fn missing_table(error: &datafusion::error::DataFusionError) -> Option<String> {
    let text = error.find_root().to_string();
    let start = text.find("table '")? + "table '".len();
    let end = start + text[start..].find("' not found")?;
    let name = &text[start..end];
    Some(name.rsplit('.').next().unwrap_or(name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    #[test]
    fn sort_merge_scales_with_core_share() {
        // 16 MiB a core: 2 MiB set aside, four files a pass.
        assert_eq!(
            SortMerge::for_limit(32 * MIB, 2),
            SortMerge {
                reservation: 2 * MIB,
                fan_in: 4
            }
        );
        // A small share still merges two files at a time.
        assert_eq!(SortMerge::for_limit(8 * MIB, 2).fan_in, 2);
        assert_eq!(SortMerge::for_limit(MIB, 8).fan_in, 2);
        assert_eq!(SortMerge::for_limit(MIB, 0).reservation, MIB / 8);
        // A large one keeps DataFusion's 10 MiB and reads up to 64 files a pass.
        assert_eq!(
            SortMerge::for_limit(16 * 1024 * MIB, 2),
            SortMerge {
                reservation: DEFAULT_MERGE_RESERVATION,
                fan_in: 64
            }
        );
    }
}
