//! The scheduler's record of its executors, which cancels the running jobs when an executor
//! leaves.
//!
//! Ballista 55 reruns the work of a lost executor. When it rolls back a stage that some tasks
//! had already finished, their output reaches the next stage twice, and the query returns sums
//! and counts that are too large, with no error. A cancelled job instead makes the client
//! report the loss and advise running the query again, which the remaining executors then do
//! from the start.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ballista_core::JobId;
use ballista_core::error::Result;
use ballista_core::serde::protobuf::{ExecutorHeartbeat, job_status};
use ballista_core::serde::scheduler::{ExecutorData, ExecutorMetadata};
use ballista_scheduler::cluster::{
    BoundTask, ClusterState, ClusterStateEventStream, ExecutorSlot, JobState,
};
use ballista_scheduler::config::TaskDistributionPolicy;
use ballista_scheduler::state::task_manager::JobInfoCache;

use crate::{ClusterUrl, SchedulerEvent};

/// Ballista's in-memory executor record, with running jobs cancelled when an executor is
/// removed from it.
pub(crate) struct GuardedCluster {
    pub(crate) inner: Arc<dyn ClusterState>,
    pub(crate) jobs: Arc<dyn JobState>,
    /// This scheduler's own address, to send the cancellations to.
    pub(crate) scheduler: ClusterUrl,
    /// Called for each executor that joins or leaves and each job cancelled for a lost one.
    pub(crate) events: Arc<dyn Fn(SchedulerEvent) + Send + Sync>,
}

impl GuardedCluster {
    /// Returns the jobs that are queued or running.
    async fn running_jobs(&self) -> Vec<JobId> {
        let mut running = Vec::new();
        for job in self.jobs.get_all_jobs().await.unwrap_or_default() {
            let status = self.jobs.get_job_status(&job).await.ok().flatten();
            if matches!(
                status.and_then(|status| status.status),
                Some(job_status::Status::Queued(_) | job_status::Status::Running(_))
            ) {
                running.push(job);
            }
        }
        running
    }
}

#[async_trait::async_trait]
impl ClusterState for GuardedCluster {
    async fn init(&self) -> Result<()> {
        self.inner.init().await
    }

    async fn bind_schedulable_tasks(
        &self,
        distribution: TaskDistributionPolicy,
        active_jobs: Arc<HashMap<JobId, JobInfoCache>>,
        executors: Option<HashSet<String>>,
    ) -> Result<Vec<BoundTask>> {
        self.inner
            .bind_schedulable_tasks(distribution, active_jobs, executors)
            .await
    }

    async fn unbind_tasks(&self, executor_slots: Vec<ExecutorSlot>) -> Result<()> {
        self.inner.unbind_tasks(executor_slots).await
    }

    async fn register_executor(
        &self,
        metadata: ExecutorMetadata,
        spec: ExecutorData,
    ) -> Result<()> {
        let event = SchedulerEvent::ExecutorJoined {
            executor: metadata.id.clone(),
            address: format!("{}:{}", metadata.host, metadata.grpc_port),
        };
        self.inner.register_executor(metadata, spec).await?;
        (self.events)(event);
        Ok(())
    }

    async fn save_executor_metadata(&self, metadata: ExecutorMetadata) -> Result<()> {
        self.inner.save_executor_metadata(metadata).await
    }

    async fn get_executor_metadata(&self, executor_id: &str) -> Result<ExecutorMetadata> {
        self.inner.get_executor_metadata(executor_id).await
    }

    async fn registered_executor_metadata(&self) -> Vec<ExecutorMetadata> {
        self.inner.registered_executor_metadata().await
    }

    async fn save_executor_heartbeat(&self, heartbeat: ExecutorHeartbeat) -> Result<()> {
        self.inner.save_executor_heartbeat(heartbeat).await
    }

    async fn remove_executor(&self, executor_id: &str) -> Result<()> {
        let known = self.inner.get_executor_metadata(executor_id).await.ok();
        self.inner.remove_executor(executor_id).await?;
        let Some(metadata) = known else {
            return Ok(());
        };
        (self.events)(SchedulerEvent::ExecutorLeft {
            executor: executor_id.to_owned(),
            address: format!("{}:{}", metadata.host, metadata.grpc_port),
        });
        // Ballista reports the lost executor to the job manager after this returns, so the
        // cancellations are queued first and no stage gets rolled back.
        for job in self.running_jobs().await {
            let cancelled = crate::job::cancel_job(&self.scheduler, job.as_str()).await;
            (self.events)(SchedulerEvent::JobCancelled {
                executor: executor_id.to_owned(),
                job: job.as_str().to_owned(),
                error: cancelled.err().map(|error| error.to_string()),
            });
        }
        Ok(())
    }

    fn executor_heartbeats(&self) -> HashMap<String, ExecutorHeartbeat> {
        self.inner.executor_heartbeats()
    }

    fn get_executor_heartbeat(&self, executor_id: &str) -> Option<ExecutorHeartbeat> {
        self.inner.get_executor_heartbeat(executor_id)
    }

    async fn cluster_state_events(&self) -> Result<ClusterStateEventStream> {
        self.inner.cluster_state_events().await
    }
}
