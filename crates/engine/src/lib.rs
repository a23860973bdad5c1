//! Query engine of crmsql: a DataFusion session over a warehouse, with the CRM functions, saved
//! reports and result formats.
//!
//! The engine plans and runs SQL and writes results to any `io::Write`; it never reads the
//! terminal. Cancelling a query is dropping its future.

mod cluster;
mod error;
pub mod output;
pub mod params;
pub mod report;
mod session;

pub use cluster::{ClusterProblem, cluster_problem, unreachable_reason};
pub use error::{EngineError, HeaderProblem, crm_message};
pub use output::OutputFormat;
pub use params::{ParamProblem, ParamSpec, ParamType};
pub use report::{Report, ReportLibrary};
pub use session::{ColumnInfo, Engine, EngineOptions, QueryResult, TableInfo};
