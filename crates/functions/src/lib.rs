//! CRM functions for SQL: money and efficiency ratios, average check, customer segments, RFM,
//! lifetime value and period presets.
//!
//! Every session registers them with [`register_all`], so saved reports, the REPL and a cluster
//! all resolve the same names. This crate only defines functions; it reads no data.

mod avg_check;
mod dates;
mod ltv;
mod options;
mod periods;
mod ratios;
mod segments;
mod text;

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ColumnarValue, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;

pub use avg_check::AvgCheck;
pub use dates::{DateTrunc, LocalDate, LocalDateRule};
pub use ltv::{Ltv, LtvObserved};
pub use options::CrmOptions;
pub use periods::{Bound, InPeriod, Period, PeriodBound};
pub use ratios::{Ratio, RatioKind};
pub use segments::{QuantileBucket, RfmScore, RfmSegment, SegmentBucket};
pub use text::Lower;

/// A mistake in the arguments of a CRM function. It carries a message id and its arguments, so
/// that the command line can write it in the user's language, and its English text for other
/// callers.
#[derive(Debug)]
pub struct CrmError {
    /// Message id, without the `fn-error-` prefix the catalogs give it.
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
    english: String,
}

impl std::fmt::Display for CrmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english)
    }
}

impl std::error::Error for CrmError {}

impl CrmError {
    /// Returns the error of message `id` with its arguments and English text.
    pub fn new(id: &'static str, args: Vec<(&'static str, String)>, english: String) -> Self {
        CrmError { id, args, english }
    }
}

/// Returns a CRM function's error with its message id, arguments and English text.
pub(crate) fn crm_error(
    id: &'static str,
    args: Vec<(&'static str, String)>,
    english: String,
) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::External(Box::new(CrmError::new(id, args, english)))
}

/// Returns a scalar function's result: one value when every argument was a single value, so
/// that a constant expression stays constant, else the whole array.
pub(crate) fn columnar(result: ArrayRef, args: &[ColumnarValue]) -> Result<ColumnarValue> {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &result, 0,
        )?));
    }
    Ok(ColumnarValue::Array(result))
}

/// Returns the scalar CRM functions. Period functions give times in `zone`, the account's.
pub fn scalar_functions(zone: &str) -> Vec<Arc<ScalarUDF>> {
    let mut functions: Vec<Arc<ScalarUDF>> = RatioKind::ALL
        .into_iter()
        .map(|kind| Arc::new(ScalarUDF::new_from_impl(Ratio::new(kind))))
        .collect();
    functions.push(Arc::new(ScalarUDF::new_from_impl(SegmentBucket::new())));
    functions.push(Arc::new(ScalarUDF::new_from_impl(RfmSegment::new())));
    functions.push(Arc::new(ScalarUDF::new_from_impl(Ltv::new())));
    for bound in [Bound::Start, Bound::End] {
        functions.push(Arc::new(ScalarUDF::new_from_impl(PeriodBound::new(
            bound, zone,
        ))));
    }
    functions.push(Arc::new(ScalarUDF::new_from_impl(InPeriod::new(zone))));
    functions
}

/// Returns the aggregate CRM functions.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![
        Arc::new(AggregateUDF::new_from_impl(AvgCheck::new())),
        Arc::new(AggregateUDF::new_from_impl(LtvObserved::new())),
    ]
}

/// Returns the window CRM functions.
pub fn window_functions() -> Vec<Arc<WindowUDF>> {
    vec![
        Arc::new(WindowUDF::new_from_impl(QuantileBucket::new())),
        Arc::new(WindowUDF::new_from_impl(RfmScore::new())),
    ]
}

/// Returns the names of the CRM functions: scalar, aggregate and window, without the
/// replacements of DataFusion's own.
pub fn function_names() -> Vec<String> {
    let scalar = scalar_functions("UTC")
        .into_iter()
        .map(|f| f.name().to_owned());
    let aggregate = aggregate_functions()
        .into_iter()
        .map(|f| f.name().to_owned());
    let window = window_functions().into_iter().map(|f| f.name().to_owned());
    scalar.chain(aggregate).chain(window).collect()
}

/// Returns every scalar function a session registers: the CRM functions, and the faster
/// `lower`, `date_trunc` and `local_date` that replace or back DataFusion's own.
pub fn session_scalar_functions(zone: &str) -> Vec<Arc<ScalarUDF>> {
    let mut functions = scalar_functions(zone);
    // Replaces DataFusion's `lower` with one that returns the same text faster.
    functions.push(Arc::new(ScalarUDF::new_from_impl(Lower::new())));
    // Dates of times with a zone, which `CAST(time AS DATE)` turns into when a query is planned.
    functions.push(Arc::new(ScalarUDF::new_from_impl(LocalDate::new())));
    // Replaces DataFusion's `date_trunc` with one that returns the same times faster.
    functions.push(Arc::new(ScalarUDF::new_from_impl(DateTrunc::new())));
    functions
}

/// Registers every CRM function in `ctx`, with period functions in the account's `zone`, and the
/// rule that plans `CAST(time AS DATE)` as `local_date`. The session should also carry
/// [`CrmOptions`] (see `SessionConfig::with_option_extension`) for `SET crmsql.…` to work;
/// without it the functions use the defaults.
pub fn register_all(ctx: &SessionContext, zone: &str) {
    for function in session_scalar_functions(zone) {
        ctx.register_udf(function.as_ref().clone());
    }
    for function in aggregate_functions() {
        ctx.register_udaf(function.as_ref().clone());
    }
    for function in window_functions() {
        ctx.register_udwf(function.as_ref().clone());
    }
    ctx.add_optimizer_rule(Arc::new(LocalDateRule::new()));
}

/// Registers every function of [`register_all`] in `registry`, such as a session state that a
/// cluster's scheduler builds, without the planning rule: plans arrive there already optimised.
pub fn register_functions(registry: &mut dyn FunctionRegistry, zone: &str) -> Result<()> {
    for function in session_scalar_functions(zone) {
        registry.register_udf(function)?;
    }
    for function in aggregate_functions() {
        registry.register_udaf(function)?;
    }
    for function in window_functions() {
        registry.register_udwf(function)?;
    }
    Ok(())
}
