//! `avg_check(amount)`: the average check, sum of the non-NULL amounts divided by their count.

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions_aggregate::average::Avg;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, GroupsAccumulator, ReversedUDAF, Signature, Volatility,
};

/// Average check of a set of deals or purchases.
///
/// It has the arithmetic of SQL `AVG` (NULL amounts are skipped, no rows give NULL, decimals stay
/// exact and gain four digits of scale, integers give `DOUBLE`), so it reuses DataFusion's `AVG`
/// accumulators, including the vectorized one used by `GROUP BY`. The separate name keeps reports
/// readable and lets the definition change in one place if an account counts checks differently.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AvgCheck {
    inner: Avg,
    /// One argument, checked by [`AggregateUDFImpl::coerce_types`] so that text gets a plain
    /// message instead of `AVG`'s list of signatures.
    signature: Signature,
}

impl AvgCheck {
    pub fn new() -> Self {
        AvgCheck {
            inner: Avg::new(),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for AvgCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregateUDFImpl for AvgCheck {
    fn name(&self) -> &str {
        "avg_check"
    }

    fn signature(&self) -> &Signature {
        &self.signature
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
        match arg_types {
            [kind] if kind.is_null() || kind.is_integer() || kind.is_floating() => {
                Ok(vec![DataType::Float64])
            }
            [kind @ (DataType::Decimal128(_, _) | DataType::Decimal256(_, _))] => {
                Ok(vec![kind.clone()])
            }
            [DataType::Dictionary(_, value)] => self.coerce_types(&[value.as_ref().clone()]),
            [kind] => {
                let what = match kind {
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text".to_owned(),
                    DataType::Boolean => "true or false".to_owned(),
                    other => other.to_string(),
                };
                plan_err!("avg_check takes an amount, a number such as budget, not {what}")
            }
            _ => plan_err!(
                "avg_check takes one amount, such as avg_check(budget); {} arguments were given",
                arg_types.len()
            ),
        }
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }
}
