//! The executor's engine for a stage's tasks: Ballista's own, without reporting per-operator
//! metrics to the scheduler for a task under a `UNION ALL`.
//!
//! The scheduler merges each task's operator metrics into its stage and expects every task of a
//! stage to report the same operators. Under a `UNION ALL`, the scheduler gives each task only
//! the arms it reads and replaces the others with empty plans, so tasks report different
//! operators. Ballista 55's scheduler then rejects the task's status and never records the task
//! as done, and the job waits forever. The scheduler skips the merge for a task that reports no
//! metrics, so a task under a union reports none. Every task of a stage has the stage's unions,
//! so a stage's tasks all report metrics or all report none. Results, shuffle data and the
//! statistics that adaptive planning uses are passed on unchanged.

use std::fmt;
use std::sync::Arc;

use ballista_core::JobId;
use ballista_core::serde::protobuf::{
    RuntimeStatsReport, ShuffleWritePartition, TaskColumnStats, WindowStateReport,
};
use ballista_executor::execution_engine::{
    DefaultExecutionEngine, ExecutionEngine, QueryStageExecutor,
};
use datafusion::error::Result;
use datafusion::execution::context::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::MetricsSet;
use datafusion::physical_plan::union::UnionExec;
use datafusion::prelude::SessionConfig;

/// Creates stage tasks as Ballista does, and hides the operator metrics of tasks under a union
/// from the scheduler.
#[derive(Default)]
pub(crate) struct StageEngine {
    inner: DefaultExecutionEngine,
}

impl ExecutionEngine for StageEngine {
    fn create_query_stage_exec(
        &self,
        job_id: JobId,
        stage_id: usize,
        task_id: usize,
        global_output_partition_ids: Vec<usize>,
        plan: Arc<dyn ExecutionPlan>,
        work_dir: &str,
        config: &SessionConfig,
    ) -> Result<Arc<dyn QueryStageExecutor>> {
        let has_union = has_union(&plan);
        let inner = self.inner.create_query_stage_exec(
            job_id,
            stage_id,
            task_id,
            global_output_partition_ids,
            plan,
            work_dir,
            config,
        )?;
        if has_union {
            Ok(Arc::new(StageTask { inner }))
        } else {
            Ok(inner)
        }
    }
}

fn has_union(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let mut pending = vec![Arc::clone(plan)];
    while let Some(node) = pending.pop() {
        if node.is::<UnionExec>() {
            return true;
        }
        pending.extend(node.children().into_iter().cloned());
    }
    false
}

/// One task of a stage with a union, which reports no operator metrics.
struct StageTask {
    inner: Arc<dyn QueryStageExecutor>,
}

#[async_trait::async_trait]
impl QueryStageExecutor for StageTask {
    async fn execute_query_stage(
        &self,
        task_id: usize,
        context: Arc<TaskContext>,
    ) -> Result<Vec<ShuffleWritePartition>> {
        self.inner.execute_query_stage(task_id, context).await
    }

    fn collect_plan_metrics(&self) -> Vec<MetricsSet> {
        Vec::new()
    }

    fn collect_runtime_stats_reports(&self) -> Vec<RuntimeStatsReport> {
        self.inner.collect_runtime_stats_reports()
    }

    fn collect_window_state_reports(&self) -> Result<Vec<WindowStateReport>> {
        self.inner.collect_window_state_reports()
    }

    fn collect_column_stats(&self) -> Vec<TaskColumnStats> {
        self.inner.collect_column_stats()
    }
}

impl fmt::Debug for StageTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for StageTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}
