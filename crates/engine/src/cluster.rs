//! The cause of a failed query on a cluster, read from the error Ballista passes back.
//!
//! Ballista returns the scheduler's and executors' errors as text, so the problem is recognised
//! by the words of that text. Any other error is shown as it came.

use std::collections::BTreeSet;

use datafusion::common::tree_node::TreeNode;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::expr::Expr;

/// A failure of a query on a cluster that the user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterProblem {
    /// The scheduler could not be reached.
    Unreachable,
    /// The connection to the scheduler broke while the query ran.
    Lost,
    /// The query reads `information_schema` together with warehouse tables.
    InformationSchema,
    /// A CRM function on an executor rejected its input: the message id, without the
    /// `fn-error-` prefix, and its arguments.
    Crm {
        id: String,
        args: Vec<(String, String)>,
    },
    /// An executor divided by zero.
    DivideByZero,
    /// An executor failed to cast a value: Arrow's message, which quotes the value.
    Cast(String),
    /// An executor's tasks needed more memory than its limit: the limit as the memory pool
    /// prints it, if found.
    Memory(Option<String>),
    /// `EXPLAIN ANALYZE` of a plan whose stages have a `UNION ALL`: their tasks report no
    /// operator metrics.
    ExplainUnion,
    /// The cluster stopped the job: an executor left while it ran, or another client cancelled
    /// it.
    ExecutorLost,
    /// Another server responds at the scheduler's address: the status line of its response, if
    /// any.
    NotScheduler(Option<String>),
    /// The scheduler or an executor does not know this function.
    MissingFunction(String),
    /// An executor refused a task, which it does when it cannot decode the plan.
    TaskRejected,
    /// A node could not open this warehouse file.
    FileUnreadable(String),
    /// The query reads a table made in this session, which only this process holds.
    SessionTable,
    /// The scheduler has no executor to run the query on.
    NoExecutors,
    /// The query was stopped here, but the scheduler did not take the cancellation of this job.
    CancelFailed(String),
    /// Another failure of the job.
    Failed,
}

/// Recognises the problem behind a cluster's error. `functions` are the CRM functions the
/// query uses, which a node may not know.
pub fn cluster_problem(error: &DataFusionError, functions: &BTreeSet<String>) -> ClusterProblem {
    let text = error.to_string();
    if let Some(name) = missing_function(&text) {
        return ClusterProblem::MissingFunction(name);
    }
    if text.contains("could not be prepared or was rejected") {
        return match functions.iter().next() {
            Some(name) if functions.len() == 1 => ClusterProblem::MissingFunction(name.clone()),
            _ => ClusterProblem::TaskRejected,
        };
    }
    if text.contains("Error serializing custom table") {
        return ClusterProblem::SessionTable;
    }
    if let Some(path) = missing_file(&text) {
        return ClusterProblem::FileUnreadable(path);
    }
    if text.contains("Ballista cannot run a query that reads information_schema") {
        return ClusterProblem::InformationSchema;
    }
    if let Some((id, args)) = crm_error_in(&text) {
        return ClusterProblem::Crm { id, args };
    }
    if text.contains("DivideByZero") {
        return ClusterProblem::DivideByZero;
    }
    if let Some(start) = text.find("Cannot cast ") {
        // The executor's error arrives as debug text, where the message ends at its quote.
        let rest = &text[start..];
        let end = rest.find("\")").unwrap_or(rest.len());
        return ClusterProblem::Cast(rest[..end].to_owned());
    }
    if text.contains("ResourcesExhausted") {
        let limit = text
            .split("pool_size: ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .map(str::to_owned);
        return ClusterProblem::Memory(limit);
    }
    if text.contains("Error serializing job metrics") {
        return ClusterProblem::ExplainUnion;
    }
    // The scheduler cancels the running jobs when an executor leaves, and a task that cannot
    // fetch a lost executor's output fails its stage at once.
    if text.ends_with("failed: Cancelled") || text.contains("has failed 1 times") {
        return ClusterProblem::ExecutorLost;
    }
    let lost = [
        "h2 protocol error",
        "error reading a body",
        "broken pipe",
        "connection reset",
        "stream closed",
    ];
    let lowered = text.to_lowercase();
    if lost.iter().any(|words| lowered.contains(words)) {
        return ClusterProblem::Lost;
    }
    let unreachable = [
        "Connection refused",
        "tcp connect error",
        "error trying to connect",
        "transport error",
        "Error connecting to Ballista scheduler",
    ];
    if unreachable.iter().any(|words| text.contains(words)) {
        return ClusterProblem::Unreachable;
    }
    ClusterProblem::Failed
}

/// Returns the message id of the usual reasons a scheduler cannot be reached, or `None` to show
/// the transport's own text.
pub fn unreachable_reason(detail: &str) -> Option<&'static str> {
    if detail.contains("Connection refused") || detail.contains("ConnectionRefused") {
        Some("cluster-refused")
    } else if detail.contains("timed out") || detail.contains("TimedOut") {
        Some("cluster-timed-out")
    } else if detail.contains("failed to lookup address")
        || detail.contains("Name or service not known")
    {
        Some("cluster-unknown-host")
    } else {
        None
    }
}

/// Finds the function named in "… is not provided for aggregate function avg_check" or
/// "Invalid function 'avg_check'".
fn missing_function(text: &str) -> Option<String> {
    let name_after = |marker: &str| -> Option<String> {
        let start = text.find(marker)? + marker.len();
        let name: String = text[start..]
            .trim_start_matches(['\'', '"', '`'])
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    };
    for kind in ["scalar", "aggregate", "window"] {
        if let Some(name) = name_after(&format!("is not provided for {kind} function ")) {
            return Some(name);
        }
    }
    name_after("Invalid function ")
}

/// Reads a CRM function's error from the debug text an executor sends back:
/// `CrmError { id: "…", args: [("name", "value"), …], english: "…" }`.
fn crm_error_in(text: &str) -> Option<(String, Vec<(String, String)>)> {
    const START: &str = "CrmError { id: ";
    let (id, mut rest) = debug_string(&text[text.find(START)? + START.len()..])?;
    rest = rest.strip_prefix(", args: [")?;
    let mut args = Vec::new();
    while !rest.starts_with(']') {
        rest = rest.strip_prefix(", ").unwrap_or(rest).strip_prefix('(')?;
        let (name, after) = debug_string(rest)?;
        let (value, after) = debug_string(after.strip_prefix(", ")?)?;
        rest = after.strip_prefix(')')?;
        args.push((name, value));
    }
    Some((id, args))
}

/// Reads a string literal as Rust's `Debug` writes it. Returns the string and the text after
/// its closing quote.
fn debug_string(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, &body[at + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                '0' => value.push('\0'),
                'u' => {
                    chars.next().filter(|(_, c)| *c == '{')?;
                    let hex: String = chars
                        .by_ref()
                        .map(|(_, c)| c)
                        .take_while(|c| *c != '}')
                        .collect();
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                escaped => value.push(escaped),
            },
            c => value.push(c),
        }
    }
    None
}

/// Finds the file named in object store's "Object at location PATH not found", or in its
/// `NotFound { path: "PATH", … }` when the scheduler passes the error on as debug text.
fn missing_file(text: &str) -> Option<String> {
    let between = |start_marker: &str, end_marker: &str| -> Option<&str> {
        let start = text.find(start_marker)? + start_marker.len();
        let end = text[start..].find(end_marker)? + start;
        Some(&text[start..end])
    };
    let location = between("Object at location ", " not found")
        .or_else(|| between("NotFound { path: \"", "\""))?;
    Some(if location.starts_with('/') {
        location.to_owned()
    } else {
        format!("/{location}")
    })
}

/// Returns the CRM functions a plan calls.
pub fn crm_functions_in(plan: &LogicalPlan) -> BTreeSet<String> {
    let known: BTreeSet<String> = crmsql_functions::function_names().into_iter().collect();
    let mut found = BTreeSet::new();
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                let name = match e {
                    Expr::ScalarFunction(f) => Some(f.func.name()),
                    Expr::AggregateFunction(f) => Some(f.func.name()),
                    Expr::WindowFunction(f) => Some(f.fun.name()),
                    _ => None,
                };
                if let Some(name) = name
                    && known.contains(name)
                {
                    found.insert(name.to_owned());
                }
                Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str, functions: &[&str]) -> ClusterProblem {
        let functions = functions.iter().map(|f| (*f).to_owned()).collect();
        cluster_problem(&DataFusionError::Execution(text.to_owned()), &functions)
    }

    #[test]
    fn reads_the_problem_from_the_text() {
        assert_eq!(
            problem(
                "Job failed: LogicalExtensionCodec is not provided for aggregate function avg_check",
                &[]
            ),
            ClusterProblem::MissingFunction("avg_check".to_owned())
        );
        assert_eq!(
            problem("Invalid function 'in_period'", &[]),
            ClusterProblem::MissingFunction("in_period".to_owned())
        );
        assert_eq!(
            problem(
                "task could not be prepared or was rejected by executor",
                &["roi"]
            ),
            ClusterProblem::MissingFunction("roi".to_owned())
        );
        assert_eq!(
            problem(
                "task could not be prepared or was rejected by executor",
                &["roi", "cpl"]
            ),
            ClusterProblem::TaskRejected
        );
        assert_eq!(
            problem(
                "Object at location data/w/deals.parquet not found: No such file or directory (os error 2)",
                &[]
            ),
            ClusterProblem::FileUnreadable("/data/w/deals.parquet".to_owned())
        );
        assert_eq!(
            problem(
                "Job 1 failed: Error planning job 1: DataFusionError(ObjectStore(NotFound { path: \"/w/t.parquet\", source: Kind(NotFound) }))",
                &[]
            ),
            ClusterProblem::FileUnreadable("/w/t.parquet".to_owned())
        );
        assert_eq!(
            problem("tonic: transport error: tcp connect error", &[]),
            ClusterProblem::Unreachable
        );
        assert_eq!(
            problem(
                "failed to serialize logical plan: Context(\"Error serializing custom table at x\", NotImplemented(\"LogicalExtensionCodec is not provided\"))",
                &[]
            ),
            ClusterProblem::SessionTable
        );
        assert_eq!(
            problem(
                "code: 'Unknown error', message: \"h2 protocol error: error reading a body from connection\"",
                &[]
            ),
            ClusterProblem::Lost
        );
        assert_eq!(
            problem("Execution error: Job 038J7J1DFR000 failed: Cancelled", &[]),
            ClusterProblem::ExecutorLost
        );
        assert_eq!(
            problem(
                "Job 1 failed: Stage 3 has failed 1 times, most recent failure reason: \"Error connecting to Ballista scheduler or executor at http://127.0.0.1:39023\"",
                &[]
            ),
            ClusterProblem::ExecutorLost
        );
        assert_eq!(
            problem(
                "Error serializing job metrics for job 1 stage 1: Internal(\"Missing metrics for operator ShuffleWriterExec at depth 0\")",
                &[]
            ),
            ClusterProblem::ExplainUnion
        );
        assert_eq!(
            problem(
                "Job 1 failed: Task failed due to runtime execution error: DataFusionError(Shared(External(ArrowError(DivideByZero))))",
                &[]
            ),
            ClusterProblem::DivideByZero
        );
        assert_eq!(
            problem(
                "Job 038J7ZJNSE000 failed: Job failed due to stage 1 failed: Task failed due to runtime execution error: DataFusionError(Shared(External(ArrowError(CastError(\"Cannot cast string 'Монтаж, ТД Альфа' to value of Int32 type\")))))",
                &[]
            ),
            ClusterProblem::Cast(
                "Cannot cast string 'Монтаж, ТД Альфа' to value of Int32 type".to_owned()
            )
        );
        assert_eq!(
            problem(
                "Job 1 failed: Task failed due to runtime execution error: DataFusionError(Shared(Context(\"Not enough memory to continue external sort.\", ResourcesExhausted(\"Failed to allocate additional 10.0 MB for ExternalSorterMerge[1] - 1024.0 KB remain available for the total memory pool: fair(pool_size: 1024.0 KB)\"))))",
                &[]
            ),
            ClusterProblem::Memory(Some("1024.0 KB".to_owned()))
        );
        let period = crmsql_functions::CrmError::new(
            "unknown-period",
            vec![("value", "Монтаж \"Юг\"\n\u{7}".to_owned())],
            "unknown period".to_owned(),
        );
        assert_eq!(
            problem(
                &format!(
                    "Job 1 failed: Task failed due to runtime execution error: DataFusionError(Shared(External({period:?})))"
                ),
                &[]
            ),
            ClusterProblem::Crm {
                id: "unknown-period".to_owned(),
                args: vec![("value".to_owned(), "Монтаж \"Юг\"\n\u{7}".to_owned())],
            }
        );
        assert_eq!(problem("division by zero", &[]), ClusterProblem::Failed);
    }
}
