//! Customer lifetime value. `ltv` estimates it from the average check, how often a customer buys
//! and for how long. `ltv_observed` sums what a customer has actually paid.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, ColumnarValue, GroupsAccumulator, ReversedUDAF,
    ScalarFunctionArgs, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

/// `ltv(avg_check, purchases_per_period, periods [, margin_pct])`: the expected value of a
/// customer, `avg_check * purchases_per_period * periods`, times `margin_pct / 100` when the
/// margin is given. NULL when any argument is NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Ltv {
    signature: Signature,
}

impl Ltv {
    pub fn new() -> Self {
        Ltv {
            signature: Signature::one_of(
                vec![
                    TypeSignature::Uniform(3, vec![DataType::Float64]),
                    TypeSignature::Uniform(4, vec![DataType::Float64]),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

impl Default for Ltv {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for Ltv {
    fn name(&self) -> &str {
        "ltv"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let columns = arrays
            .iter()
            .map(|a| cast(a, &DataType::Float64))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let columns: Vec<&Float64Array> = columns
            .iter()
            .map(|c| c.as_any().downcast_ref::<Float64Array>())
            .collect::<Option<_>>()
            .unwrap_or_default();
        let rows = columns.first().map_or(0, |c| c.len());
        let result: Float64Array = (0..rows)
            .map(|row| {
                let mut value = 1.0;
                for (index, column) in columns.iter().enumerate() {
                    if column.is_null(row) {
                        return None;
                    }
                    let factor = column.value(row);
                    value *= if index == 3 { factor / 100.0 } else { factor };
                }
                value.is_finite().then_some(value)
            })
            .collect();
        crate::columnar(Arc::new(result), &args.args)
    }
}

/// `ltv_observed(amount)`: what a customer has paid so far, the sum of the non-NULL purchase
/// amounts; grouped by customer it is each customer's observed lifetime value.
///
/// It has the arithmetic of SQL `SUM` and reuses its accumulators; the name says what a report
/// computes.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LtvObserved {
    inner: Sum,
}

impl LtvObserved {
    pub fn new() -> Self {
        LtvObserved { inner: Sum::new() }
    }
}

impl Default for LtvObserved {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregateUDFImpl for LtvObserved {
    fn name(&self) -> &str {
        "ltv_observed"
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(args)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.inner.create_groups_accumulator(args)
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.create_sliding_accumulator(args)
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }
}
