//! Money and efficiency ratios: ROI in its two readings, ROMI, ROAS, ДРР, CPL, CAC, margin,
//! conversion and growth.
//!
//! They share one shape: a few numbers in, a DOUBLE out, NULL when an argument is NULL or the
//! denominator is zero. A zero denominator is common in CRM data (a channel with no spend yet, a
//! month with no revenue), and an infinity or an error there would break a whole report.

use std::sync::Arc;

use datafusion::arrow::array::{Array, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The formula a [`Ratio`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RatioKind {
    /// `roi(revenue, spend)`: `(revenue - spend) / spend * 100`.
    Roi,
    /// `roi_profit(revenue, cost, spend)`: `(revenue - cost - spend) / spend * 100`.
    RoiProfit,
    /// `romi(revenue, spend, margin_pct)`: `(revenue * margin_pct / 100 - spend) / spend * 100`.
    Romi,
    /// `roas(revenue, spend)`: `revenue / spend * 100`.
    Roas,
    /// `drr(spend, revenue)`: `spend / revenue * 100`.
    Drr,
    /// `cpl(spend, leads)`: `spend / leads`.
    Cpl,
    /// `cac(spend, customers)`: `spend / customers`.
    Cac,
    /// `margin(revenue, cost)`: `(revenue - cost) / revenue * 100`.
    Margin,
    /// `conversion(part, whole)`: `part / whole * 100`.
    Conversion,
    /// `growth(current, previous)`: `(current - previous) / |previous| * 100`.
    Growth,
}

impl RatioKind {
    /// Every ratio, in the order the documentation lists them.
    pub const ALL: [RatioKind; 10] = [
        RatioKind::Roi,
        RatioKind::RoiProfit,
        RatioKind::Romi,
        RatioKind::Roas,
        RatioKind::Drr,
        RatioKind::Cpl,
        RatioKind::Cac,
        RatioKind::Margin,
        RatioKind::Conversion,
        RatioKind::Growth,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RatioKind::Roi => "roi",
            RatioKind::RoiProfit => "roi_profit",
            RatioKind::Romi => "romi",
            RatioKind::Roas => "roas",
            RatioKind::Drr => "drr",
            RatioKind::Cpl => "cpl",
            RatioKind::Cac => "cac",
            RatioKind::Margin => "margin",
            RatioKind::Conversion => "conversion",
            RatioKind::Growth => "growth",
        }
    }

    fn arity(self) -> usize {
        match self {
            RatioKind::RoiProfit | RatioKind::Romi => 3,
            _ => 2,
        }
    }

    /// Computes the formula on one row whose arguments are all present. `None` is SQL NULL.
    fn compute(self, a: &[f64]) -> Option<f64> {
        // Divides and turns a zero or non-finite result into NULL.
        fn div(numerator: f64, denominator: f64) -> Option<f64> {
            if denominator == 0.0 {
                return None;
            }
            let value = numerator / denominator;
            value.is_finite().then_some(value)
        }
        match self {
            RatioKind::Roi => div(a[0] - a[1], a[1]).map(|r| r * 100.0),
            RatioKind::RoiProfit => div(a[0] - a[1] - a[2], a[2]).map(|r| r * 100.0),
            RatioKind::Romi => div(a[0] * a[2] / 100.0 - a[1], a[1]).map(|r| r * 100.0),
            RatioKind::Roas => div(a[0], a[1]).map(|r| r * 100.0),
            RatioKind::Drr => div(a[0], a[1]).map(|r| r * 100.0),
            RatioKind::Cpl | RatioKind::Cac => div(a[0], a[1]),
            RatioKind::Margin => div(a[0] - a[1], a[0]).map(|r| r * 100.0),
            RatioKind::Conversion => div(a[0], a[1]).map(|r| r * 100.0),
            RatioKind::Growth => div(a[0] - a[1], a[1].abs()).map(|r| r * 100.0),
        }
    }
}

/// One ratio function. Arguments of any numeric type (integers, decimals, doubles) are read as
/// DOUBLE; text is refused when the query is planned.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    kind: RatioKind,
    signature: Signature,
}

impl Ratio {
    pub fn new(kind: RatioKind) -> Self {
        Ratio {
            kind,
            signature: Signature::uniform(
                kind.arity(),
                vec![DataType::Float64],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for Ratio {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arity = self.kind.arity();
        if args.args.len() != arity {
            return exec_err!(
                "{} expects {arity} arguments, got {}",
                self.name(),
                args.args.len()
            );
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let mut columns = Vec::with_capacity(arity);
        for array in &arrays {
            let array = cast(array, &DataType::Float64)?;
            let Some(values) = array.as_any().downcast_ref::<Float64Array>() else {
                return exec_err!("{} arguments must be numeric", self.name());
            };
            columns.push(values.clone());
        }
        let rows = columns.first().map_or(0, Array::len);
        let mut row = [0.0; 3];
        let result: Float64Array = (0..rows)
            .map(|index| {
                for (slot, column) in row.iter_mut().zip(&columns) {
                    if column.is_null(index) {
                        return None;
                    }
                    *slot = column.value(index);
                }
                self.kind.compute(&row[..arity])
            })
            .collect();
        crate::columnar(Arc::new(result), &args.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas() {
        assert_eq!(RatioKind::Roi.compute(&[300.0, 100.0]), Some(200.0));
        assert_eq!(
            RatioKind::RoiProfit.compute(&[300.0, 120.0, 100.0]),
            Some(80.0)
        );
        assert_eq!(RatioKind::Romi.compute(&[300.0, 100.0, 50.0]), Some(50.0));
        assert_eq!(RatioKind::Roas.compute(&[300.0, 100.0]), Some(300.0));
        assert_eq!(RatioKind::Drr.compute(&[25.0, 100.0]), Some(25.0));
        assert_eq!(RatioKind::Cpl.compute(&[1000.0, 8.0]), Some(125.0));
        assert_eq!(RatioKind::Margin.compute(&[200.0, 150.0]), Some(25.0));
        assert_eq!(RatioKind::Conversion.compute(&[3.0, 12.0]), Some(25.0));
        assert_eq!(RatioKind::Growth.compute(&[-50.0, -100.0]), Some(50.0));
        for kind in RatioKind::ALL {
            let mut zeros = vec![1.0; kind.arity()];
            // The denominator is the last argument, except for margin (revenue) and romi (spend).
            let denominator = if kind == RatioKind::Margin {
                0
            } else if kind == RatioKind::Romi {
                1
            } else {
                kind.arity() - 1
            };
            zeros[denominator] = 0.0;
            assert_eq!(kind.compute(&zeros), None, "{}", kind.name());
        }
    }
}
