//! The job a query became on the scheduler: finding it in a running plan, asking for its state,
//! and stopping it.
//!
//! A client that stops waiting for a query only drops its side of it. The scheduler keeps the job,
//! and its executors keep working, until the job is cancelled.

use std::sync::Arc;
use std::time::Duration;

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::{CancelJobParams, GetJobStatusParams, job_status};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::protobuf::LogicalPlanNode;

use crate::ClusterUrl;

/// How long a cancellation or a status request may take.
const REQUEST_SECONDS: u64 = 5;

/// The state of a job on the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for planning or for an executor.
    Queued,
    Running,
    /// Failed or cancelled, with the scheduler's reason.
    Failed(String),
    Successful,
    /// The scheduler does not know the job, or has not decided its state yet.
    Unknown,
}

/// Returns the scheduler's id for the job that `plan` sent, or `None` when the plan runs no job
/// on a cluster or has not been accepted yet.
pub fn job_id(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
    let mut pending = vec![Arc::clone(plan)];
    while let Some(node) = pending.pop() {
        if let Some(query) = node.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>() {
            return query.job_id().map(String::from);
        }
        pending.extend(node.children().into_iter().cloned());
    }
    None
}

/// Asks the scheduler at `url` to cancel job `job_id`, which also stops its running tasks.
pub async fn cancel_job(url: &ClusterUrl, job_id: &str) -> Result<()> {
    let mut scheduler = scheduler(url).await?;
    let request = CancelJobParams {
        job_id: job_id.to_owned(),
    };
    within_time(scheduler.cancel_job(request)).await?;
    Ok(())
}

/// Returns the state of job `job_id` on the scheduler at `url`.
pub async fn job_state(url: &ClusterUrl, job_id: &str) -> Result<JobState> {
    let mut scheduler = scheduler(url).await?;
    let request = GetJobStatusParams {
        job_id: job_id.to_owned(),
    };
    let status = within_time(scheduler.get_job_status(request))
        .await?
        .into_inner()
        .status
        .and_then(|status| status.status);
    Ok(match status {
        Some(job_status::Status::Queued(_)) => JobState::Queued,
        Some(job_status::Status::Running(_)) => JobState::Running,
        Some(job_status::Status::Failed(failed)) => JobState::Failed(failed.error),
        Some(job_status::Status::Successful(_)) => JobState::Successful,
        None => JobState::Unknown,
    })
}

async fn scheduler(url: &ClusterUrl) -> Result<SchedulerGrpcClient<tonic::transport::Channel>> {
    let endpoint = format!("http://{}:{}", crate::bracketed(&url.host), url.port);
    let connect = SchedulerGrpcClient::connect(endpoint);
    match tokio::time::timeout(Duration::from_secs(REQUEST_SECONDS), connect).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => Err(DataFusionError::External(Box::new(error))),
        Err(elapsed) => Err(DataFusionError::External(Box::new(elapsed))),
    }
}

async fn within_time<T>(
    request: impl Future<Output = std::result::Result<T, tonic::Status>>,
) -> Result<T> {
    match tokio::time::timeout(Duration::from_secs(REQUEST_SECONDS), request).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(status)) => Err(DataFusionError::External(Box::new(status))),
        Err(elapsed) => Err(DataFusionError::External(Box::new(elapsed))),
    }
}
