//! CRM functions for SQL: average check, ROI and the functions later added beside them.
//!
//! Every session registers them with [`register_all`], so saved reports, the REPL and a cluster
//! all resolve the same names. This crate only defines functions; it reads no data.

mod avg_check;
mod roi;

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

pub use avg_check::AvgCheck;
pub use roi::Roi;

/// Returns the scalar CRM functions.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(ScalarUDF::new_from_impl(Roi::new()))]
}

/// Returns the aggregate CRM functions.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::new_from_impl(AvgCheck::new()))]
}

/// Registers every CRM function in `ctx`.
pub fn register_all(ctx: &SessionContext) {
    for function in scalar_functions() {
        ctx.register_udf(function.as_ref().clone());
    }
    for function in aggregate_functions() {
        ctx.register_udaf(function.as_ref().clone());
    }
}
