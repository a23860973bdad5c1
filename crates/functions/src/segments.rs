//! Customer segments: fixed breaks (`segment_bucket`), quantile buckets (`quantile_bucket`), RFM
//! scores (`rfm_score`) and the named RFM segments (`rfm_segment`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, ListArray, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    ColumnarValue, PartitionEvaluator, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
    WindowUDFImpl,
};
use datafusion::physical_expr::expressions::Literal;

use crate::options::CrmOptions;

fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric() || data_type.is_null()
}

fn float_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Float64, true)))
}

fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// `segment_bucket(value, thresholds [, labels])`: the segment of `value` among fixed breaks.
///
/// With breaks `[t1, t2, …, tk]` the segments are `value < t1`, `t1 <= value < t2`, …,
/// `value >= tk`. Without labels the result is the segment's number, 1 to k + 1; with k + 1
/// labels it is the segment's label.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SegmentBucket {
    signature: Signature,
}

impl SegmentBucket {
    pub fn new() -> Self {
        SegmentBucket {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for SegmentBucket {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks one row's breaks and labels; returns the breaks.
fn checked_breaks<'a>(breaks: &'a Float64Array, labels: Option<&StringArray>) -> Result<&'a [f64]> {
    if breaks.null_count() > 0 {
        return Err(crate::crm_error(
            "null-threshold",
            Vec::new(),
            "segment_bucket: a threshold is NULL; give numbers only".to_owned(),
        ));
    }
    let values = breaks.values().as_ref();
    if let Some(pair) = values.windows(2).find(|pair| pair[0] >= pair[1]) {
        return Err(crate::crm_error(
            "thresholds-order",
            vec![
                ("first", pair[0].to_string()),
                ("second", pair[1].to_string()),
            ],
            format!(
                "segment_bucket: thresholds must ascend, but {} comes before {}",
                pair[0], pair[1]
            ),
        ));
    }
    if let Some(labels) = labels
        && labels.len() != values.len() + 1
    {
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        return Err(crate::crm_error(
            "label-count",
            vec![
                ("thresholds", values.len().to_string()),
                ("segments", (values.len() + 1).to_string()),
                ("labels", labels.len().to_string()),
            ],
            format!(
                "segment_bucket: {} {}, but {} given",
                count(values.len(), "threshold makes", "thresholds make"),
                count(values.len() + 1, "segment", "segments"),
                count(labels.len(), "label is", "labels are")
            ),
        ));
    }
    Ok(values)
}

impl ScalarUDFImpl for SegmentBucket {
    fn name(&self) -> &str {
        "segment_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(2..=3).contains(&arg_types.len()) {
            return plan_err!(
                "segment_bucket expects (value, thresholds) or (value, thresholds, labels), got {} arguments",
                arg_types.len()
            );
        }
        if !is_numeric(&arg_types[0]) {
            return plan_err!(
                "segment_bucket: the value must be a number, not {}",
                arg_types[0]
            );
        }
        let list_of = |data_type: &DataType| match data_type {
            DataType::List(field)
            | DataType::LargeList(field)
            | DataType::FixedSizeList(field, _) => Some(field.data_type().clone()),
            _ => None,
        };
        match list_of(&arg_types[1]) {
            Some(item) if is_numeric(&item) => {}
            _ => {
                return plan_err!(
                    "segment_bucket: thresholds must be a list of numbers such as [10000, 50000], not {}",
                    arg_types[1]
                );
            }
        }
        let mut coerced = vec![DataType::Float64, float_list()];
        if let Some(labels) = arg_types.get(2) {
            match list_of(labels) {
                Some(
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null,
                ) => {}
                _ => {
                    return plan_err!(
                        "segment_bucket: labels must be a list of text such as ['малые', 'крупные'], not {labels}"
                    );
                }
            }
            coerced.push(text_list());
        }
        Ok(coerced)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(if arg_types.len() == 3 {
            DataType::Utf8
        } else {
            DataType::Int64
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if let [ColumnarValue::Array(values), rest @ ..] = args.args.as_slice()
            && rest.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            return constant_breaks(values, rest).map(ColumnarValue::Array);
        }
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let values = cast(&arrays[0], &DataType::Float64)?;
        let values = values.as_primitive::<Float64Type>();
        let breaks = cast(&arrays[1], &float_list())?;
        let breaks: &ListArray = breaks.as_list();
        let labels = match arrays.get(2) {
            Some(labels) => Some(cast(labels, &text_list())?),
            None => None,
        };
        let labels: Option<&ListArray> = labels.as_ref().map(|l| l.as_list());

        let result: ArrayRef = match labels {
            None => {
                let mut out = Vec::with_capacity(values.len());
                for row in 0..values.len() {
                    if values.is_null(row) || breaks.is_null(row) {
                        out.push(None);
                        continue;
                    }
                    let row_breaks = breaks.value(row);
                    let row_breaks = checked_breaks(row_breaks.as_primitive(), None)?;
                    let segment = row_breaks.partition_point(|t| *t <= values.value(row));
                    out.push(Some(segment as i64 + 1));
                }
                Arc::new(Int64Array::from(out))
            }
            Some(labels) => {
                let mut out: Vec<Option<String>> = Vec::with_capacity(values.len());
                for row in 0..values.len() {
                    if values.is_null(row) || breaks.is_null(row) || labels.is_null(row) {
                        out.push(None);
                        continue;
                    }
                    let row_labels = labels.value(row);
                    let row_labels = row_labels.as_string::<i32>();
                    let row_breaks = breaks.value(row);
                    let row_breaks = checked_breaks(row_breaks.as_primitive(), Some(row_labels))?;
                    let segment = row_breaks.partition_point(|t| *t <= values.value(row));
                    out.push(
                        row_labels
                            .is_valid(segment)
                            .then(|| row_labels.value(segment).to_owned()),
                    );
                }
                Arc::new(StringArray::from(out))
            }
        };
        crate::columnar(result, &args.args)
    }
}

/// Computes `segment_bucket` for a column of values with constant breaks and labels, the usual
/// case: the breaks are read and checked once instead of once a row.
fn constant_breaks(values: &ArrayRef, constants: &[ColumnarValue]) -> Result<ArrayRef> {
    let values = cast(values, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>();
    let breaks = cast(&constants[0].to_array(1)?, &float_list())?;
    let breaks: &ListArray = breaks.as_list();
    let labels = match constants.get(1) {
        Some(labels) => Some(cast(&labels.to_array(1)?, &text_list())?),
        None => None,
    };
    let labels: Option<&ListArray> = labels.as_ref().map(|l| l.as_list());
    let Some(labels) = labels else {
        if breaks.is_null(0) {
            return Ok(Arc::new(Int64Array::new_null(values.len())));
        }
        let row_breaks = breaks.value(0);
        let row_breaks = checked_breaks(row_breaks.as_primitive(), None)?;
        let out: Int64Array = values
            .iter()
            .map(|value| value.map(|v| row_breaks.partition_point(|t| *t <= v) as i64 + 1))
            .collect();
        return Ok(Arc::new(out));
    };
    if breaks.is_null(0) || labels.is_null(0) {
        return Ok(Arc::new(StringArray::new_null(values.len())));
    }
    let row_labels = labels.value(0);
    let row_labels = row_labels.as_string::<i32>();
    let row_breaks = breaks.value(0);
    let row_breaks = checked_breaks(row_breaks.as_primitive(), Some(row_labels))?;
    let out: StringArray = values
        .iter()
        .map(|value| {
            let value = value?;
            let segment = row_breaks.partition_point(|t| *t <= value);
            row_labels
                .is_valid(segment)
                .then(|| row_labels.value(segment))
        })
        .collect();
    Ok(Arc::new(out))
}

/// The non-NULL values of a partition, sorted, to find how many are below a given value.
struct Ranks {
    sorted: Vec<f64>,
}

impl Ranks {
    fn new(values: &Float64Array, keep: impl Fn(usize) -> bool) -> Ranks {
        let mut sorted: Vec<f64> = (0..values.len())
            .filter(|&row| keep(row))
            .map(|row| values.value(row))
            .collect();
        sorted.sort_by(f64::total_cmp);
        Ranks { sorted }
    }

    /// Returns the bucket, 1 to `n`, of `value`: the share of values strictly below it, cut into `n`
    /// equal parts. Equal values always share a bucket.
    fn bucket(&self, value: f64, n: u64) -> u64 {
        let below = self.sorted.partition_point(|v| v.total_cmp(&value).is_lt()) as u64;
        below * n / self.sorted.len() as u64 + 1
    }
}

/// Reads the constant bucket count of `quantile_bucket`.
fn constant_count(args: &PartitionEvaluatorArgs) -> Result<u64> {
    let literal = args
        .input_exprs()
        .get(1)
        .and_then(|e| e.downcast_ref::<Literal>());
    let Some(literal) = literal else {
        return Err(crate::crm_error(
            "buckets-constant",
            Vec::new(),
            "quantile_bucket: the number of buckets must be a constant such as 5".to_owned(),
        ));
    };
    match literal.value().cast_to(&DataType::Int64)? {
        ScalarValue::Int64(Some(n)) if (1..=1000).contains(&n) => Ok(n as u64),
        other => Err(crate::crm_error(
            "buckets-range",
            vec![("value", other.to_string())],
            format!("quantile_bucket: the number of buckets must be from 1 to 1000, got {other}"),
        )),
    }
}

/// `quantile_bucket(value, n) OVER (...)`: the quantile bucket, 1 to `n`, of each row's value
/// within its window partition. Unlike `ntile`, equal values always land in the same bucket, so a
/// bucket can hold more or fewer rows than `count / n`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct QuantileBucket {
    signature: Signature,
}

impl QuantileBucket {
    pub fn new() -> Self {
        QuantileBucket {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for QuantileBucket {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowUDFImpl for QuantileBucket {
    fn name(&self) -> &str {
        "quantile_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [value, n] if is_numeric(value) && n.is_integer() => {
                Ok(vec![DataType::Float64, DataType::Int64])
            }
            [value, _] if !is_numeric(value) => {
                plan_err!("quantile_bucket: the value must be a number, not {value}")
            }
            [_, n] => {
                plan_err!("quantile_bucket: the number of buckets must be an integer, not {n}")
            }
            _ => plan_err!(
                "quantile_bucket expects (value, number of buckets), got {} arguments",
                arg_types.len()
            ),
        }
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(QuantileEvaluator {
            n: constant_count(&args)?,
        }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Int64,
            true,
        )))
    }
}

#[derive(Debug)]
struct QuantileEvaluator {
    n: u64,
}

impl PartitionEvaluator for QuantileEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], _num_rows: usize) -> Result<ArrayRef> {
        let column = values[0].as_primitive::<Float64Type>();
        let ranks = Ranks::new(column, |row| column.is_valid(row));
        let result: Int64Array = (0..column.len())
            .map(|row| {
                column
                    .is_valid(row)
                    .then(|| ranks.bucket(column.value(row), self.n) as i64)
            })
            .collect();
        Ok(Arc::new(result))
    }
}

/// `rfm_score(recency_days, frequency, monetary) OVER (...)`: the RFM score of each customer in
/// its window partition, as three digits such as `'545'`.
///
/// Each measure is cut into quintiles as `quantile_bucket(x, 5)` does. Frequency and monetary
/// score 5 for the highest values; recency scores 5 for the fewest days since the last purchase.
/// A row with any NULL measure gets NULL and does not count in the quintiles of the others.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RfmScore {
    signature: Signature,
}

impl RfmScore {
    pub fn new() -> Self {
        RfmScore {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for RfmScore {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowUDFImpl for RfmScore {
    fn name(&self) -> &str {
        "rfm_score"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 3 {
            return plan_err!(
                "rfm_score expects (recency_days, frequency, monetary), got {} arguments",
                arg_types.len()
            );
        }
        if let Some(bad) = arg_types.iter().find(|t| !is_numeric(t)) {
            return plan_err!("rfm_score: every argument must be a number, not {bad}");
        }
        Ok(vec![DataType::Float64; 3])
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(RfmEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Utf8,
            true,
        )))
    }
}

#[derive(Debug)]
struct RfmEvaluator;

impl PartitionEvaluator for RfmEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        let columns: Vec<&Float64Array> = values.iter().map(|v| v.as_primitive()).collect();
        let complete = |row: usize| columns.iter().all(|c| c.is_valid(row));
        let ranks: Vec<Ranks> = columns.iter().map(|c| Ranks::new(c, complete)).collect();
        let result: StringArray = (0..num_rows)
            .map(|row| {
                if !complete(row) {
                    return None;
                }
                let r = 6 - ranks[0].bucket(columns[0].value(row), 5);
                let f = ranks[1].bucket(columns[1].value(row), 5);
                let m = ranks[2].bucket(columns[2].value(row), 5);
                Some(format!("{r}{f}{m}"))
            })
            .collect();
        Ok(Arc::new(result))
    }
}

/// Named RFM segments by recency and frequency score. Monetary does not change the name.
fn segment_name(r: u8, f: u8, english: bool) -> &'static str {
    let (ru, en) = match (r, f) {
        (5, 4 | 5) => ("Чемпионы", "Champions"),
        (3 | 4, 4 | 5) => ("Лояльные", "Loyal"),
        (4 | 5, 2 | 3) => ("Потенциально лояльные", "Potential loyalists"),
        (5, 1) => ("Новички", "New customers"),
        (4, 1) => ("Перспективные", "Promising"),
        (3, 3) => ("Требуют внимания", "Need attention"),
        (3, _) => ("Засыпающие", "About to sleep"),
        (_, 5) => ("Нельзя потерять", "Cannot lose them"),
        (_, 3 | 4) => ("В зоне риска", "At risk"),
        (1, 1) => ("Потерянные", "Lost"),
        _ => ("Спящие", "Hibernating"),
    };
    if english { en } else { ru }
}

/// `rfm_segment(score)`: the named segment of an RFM score such as `'545'`, in the session's
/// language (`crmsql.lang`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RfmSegment {
    signature: Signature,
}

impl RfmSegment {
    pub fn new() -> Self {
        RfmSegment {
            signature: Signature::uniform(1, vec![DataType::Utf8], Volatility::Stable),
        }
    }
}

impl Default for RfmSegment {
    fn default() -> Self {
        Self::new()
    }
}

impl ScalarUDFImpl for RfmSegment {
    fn name(&self) -> &str {
        "rfm_segment"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let english = CrmOptions::of(&args.config_options).english();
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let scores = cast(&arrays[0], &DataType::Utf8)?;
        let scores = scores.as_string::<i32>();
        let mut out: Vec<Option<&'static str>> = Vec::with_capacity(scores.len());
        for score in scores.iter() {
            let Some(score) = score else {
                out.push(None);
                continue;
            };
            let digits: Vec<u8> = score.bytes().map(|b| b.wrapping_sub(b'0')).collect();
            match digits.as_slice() {
                [r @ 1..=5, f @ 1..=5, 1..=5] => out.push(Some(segment_name(*r, *f, english))),
                _ => {
                    return Err(crate::crm_error(
                        "rfm-score",
                        vec![("value", score.to_string())],
                        format!(
                            "rfm_segment: '{score}' is not an RFM score; give three digits from 1 to 5 such as '545', as rfm_score returns"
                        ),
                    ));
                }
            }
        }
        let result: ArrayRef = Arc::new(StringArray::from(out));
        crate::columnar(result, &args.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_score_has_a_segment() {
        let mut seen = std::collections::BTreeSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                seen.insert(segment_name(r, f, false));
            }
        }
        assert_eq!(seen.len(), 11);
        assert_eq!(segment_name(1, 1, true), "Lost");
        assert_eq!(segment_name(2, 1, false), "Спящие");
        assert_eq!(segment_name(1, 5, false), "Нельзя потерять");
    }

    #[test]
    fn ties_share_a_bucket() {
        let values = Float64Array::from(vec![1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        let ranks = Ranks::new(&values, |_| true);
        let buckets: Vec<u64> = values
            .values()
            .iter()
            .map(|v| ranks.bucket(*v, 5))
            .collect();
        assert_eq!(buckets, [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]);
    }
}
