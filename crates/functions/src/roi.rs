//! `roi(revenue, spend)`: return on investment in percent, `(revenue - spend) / spend * 100`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// Revenue-based return on investment of ad spend, in percent.
///
/// NULL when either argument is NULL or the spend is zero: a channel without spend has no ROI,
/// and an infinity would poison sums and averages downstream.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Roi {
    signature: Signature,
}

impl Roi {
    pub fn new() -> Self {
        // Both arguments are coerced to DOUBLE: decimals and integers are accepted, text is not.
        Roi {
            signature: Signature::uniform(2, vec![DataType::Float64], Volatility::Immutable),
        }
    }
}

impl Default for Roi {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for Roi {
    fn name(&self) -> &str {
        "roi"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [revenue, spend] = arrays.as_slice() else {
            return exec_err!("roi expects 2 arguments, got {}", arrays.len());
        };
        let revenue = cast(revenue, &DataType::Float64)?;
        let spend = cast(spend, &DataType::Float64)?;
        let (Some(revenue), Some(spend)) = (
            revenue.as_any().downcast_ref::<Float64Array>(),
            spend.as_any().downcast_ref::<Float64Array>(),
        ) else {
            return exec_err!("roi arguments must be numeric");
        };
        let result: Float64Array = revenue
            .iter()
            .zip(spend.iter())
            .map(|(revenue, spend)| match (revenue, spend) {
                (Some(revenue), Some(spend)) if spend != 0.0 => {
                    Some((revenue - spend) / spend * 100.0)
                }
                _ => None,
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}
