//! The calendar date of an instant in its time zone.
//!
//! Reports cut times to days with `CAST(closed_at AS DATE)`. For a time with a zone, Arrow's
//! cast looks up the zone's offset for every row, which costs more than the rest of a filter.
//! [`LocalDate`] gives the same dates and looks the offset up once per day of data, and
//! [`LocalDateRule`] puts it in place of such casts when a query is planned. [`DateTrunc`] does
//! the same for `date_trunc('month', closed_at)` and the other calendar units.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    ArrowTimestampType, DataType, FieldRef, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::expr::BinaryExpr;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    Cast, ColumnarValue, DocSection, Documentation, Expr, ExprSchemable, LogicalPlan, Operator,
    ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};
use datafusion::optimizer::{ApplyOrder, OptimizerConfig, OptimizerRule};

const SECONDS_PER_DAY: i64 = 86_400;

/// `local_date(time)`: the date of a time in the time's own zone, the same as
/// `CAST(time AS DATE)`. A time without a zone is read as UTC.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LocalDate {
    signature: Signature,
}

impl LocalDate {
    pub fn new() -> Self {
        LocalDate {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for LocalDate {
    fn default() -> Self {
        Self::new()
    }
}

/// Offsets of a zone from UTC, in seconds, looked up once per UTC day. A day in which the offset
/// changes is marked with `None`, and its times are looked up one by one.
struct DayOffsets<'a> {
    zone: Option<&'a Tz>,
    days: HashMap<i64, Option<i32>, ahash::RandomState>,
    last: Option<(i64, Option<i32>)>,
}

impl<'a> DayOffsets<'a> {
    fn new(zone: Option<&'a Tz>) -> Self {
        DayOffsets {
            zone,
            days: HashMap::default(),
            last: None,
        }
    }

    fn offset_at(zone: &Tz, seconds: i64) -> Option<i32> {
        let utc = DateTime::from_timestamp(seconds, 0)?.naive_utc();
        Some(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc())
    }

    /// Returns the local date, in days since 1970-01-01, of a time in seconds since the epoch.
    fn date(&mut self, seconds: i64) -> Option<i32> {
        let Some(zone) = self.zone else {
            return i32::try_from(seconds.div_euclid(SECONDS_PER_DAY)).ok();
        };
        let day = seconds.div_euclid(SECONDS_PER_DAY);
        let whole_day = match self.last {
            Some((known, offset)) if known == day => offset,
            _ => {
                let offset = *self.days.entry(day).or_insert_with(|| {
                    let start = day * SECONDS_PER_DAY;
                    let first = Self::offset_at(zone, start)?;
                    let last = Self::offset_at(zone, start + SECONDS_PER_DAY - 1)?;
                    (first == last).then_some(first)
                });
                self.last = Some((day, offset));
                offset
            }
        };
        let offset = match whole_day {
            Some(offset) => offset,
            None => Self::offset_at(zone, seconds)?,
        };
        i32::try_from((seconds + i64::from(offset)).div_euclid(SECONDS_PER_DAY)).ok()
    }
}

/// Converts the times of `array`, in units of which `per_second` make a second, to dates.
fn dates_of<T: ArrowTimestampType>(
    array: &dyn Array,
    zone: Option<&Tz>,
    per_second: i64,
) -> Date32Array {
    let times: &PrimitiveArray<T> = array.as_primitive();
    let mut offsets = DayOffsets::new(zone);
    let mut valid = Vec::with_capacity(times.len());
    let mut dates = Vec::with_capacity(times.len());
    for (row, time) in times.values().iter().enumerate() {
        let date = if times.is_valid(row) {
            offsets.date(time.div_euclid(per_second))
        } else {
            None
        };
        valid.push(date.is_some());
        dates.push(date.unwrap_or_default());
    }
    Date32Array::new(dates.into(), Some(NullBuffer::from(valid)))
}

impl ScalarUDFImpl for LocalDate {
    fn name(&self) -> &str {
        "local_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&Documentation> {
        static DOCUMENTATION: OnceLock<Documentation> = OnceLock::new();
        Some(DOCUMENTATION.get_or_init(|| {
            Documentation::builder(
                DocSection {
                    include: true,
                    label: "Time and Date Functions",
                    description: None,
                },
                "The date of a time in the time's own zone, the same as CAST(time AS DATE).",
                "local_date(time)",
            )
            .build()
        }))
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [time @ DataType::Timestamp(_, _)] => Ok(vec![time.clone()]),
            [DataType::Null] => Ok(vec![DataType::Timestamp(TimeUnit::Microsecond, None)]),
            _ => plan_err!("local_date expects one time, such as local_date(closed_at)"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [times] = arrays.as_slice() else {
            return exec_err!("local_date expects one argument, got {}", arrays.len());
        };
        let DataType::Timestamp(unit, zone) = times.data_type() else {
            return exec_err!("local_date expects a time, got {}", times.data_type());
        };
        let zone = match zone.as_deref().map(Tz::from_str).transpose() {
            Ok(zone) => zone,
            Err(error) => return exec_err!("local_date: {error}"),
        };
        let zone = zone.as_ref();
        let dates = match unit {
            TimeUnit::Second => dates_of::<TimestampSecondType>(times, zone, 1),
            TimeUnit::Millisecond => dates_of::<TimestampMillisecondType>(times, zone, 1_000),
            TimeUnit::Microsecond => dates_of::<TimestampMicrosecondType>(times, zone, 1_000_000),
            TimeUnit::Nanosecond => dates_of::<TimestampNanosecondType>(times, zone, 1_000_000_000),
        };
        crate::columnar(Arc::new(dates) as ArrayRef, &args.args)
    }
}

/// `date_trunc(unit, time)` in place of DataFusion's own, with the same results. For a time with a
/// zone cut to a day, week, month, quarter or year, the result depends only on the local date
/// and the unit. So each row's local date is found with the offsets of its day, and DataFusion's
/// function runs once per distinct result instead of once a row.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DateTrunc {
    signature: Signature,
}

impl DateTrunc {
    pub fn new() -> Self {
        DateTrunc {
            signature: builtin_date_trunc().signature().clone(),
        }
    }
}

impl Default for DateTrunc {
    fn default() -> Self {
        Self::new()
    }
}

fn builtin_date_trunc() -> Arc<ScalarUDF> {
    datafusion::functions::datetime::date_trunc()
}

/// Calendar units whose truncation depends only on the local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CalendarUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl CalendarUnit {
    fn parse(text: &str) -> Option<CalendarUnit> {
        Some(match text.to_ascii_lowercase().as_str() {
            "day" => CalendarUnit::Day,
            "week" => CalendarUnit::Week,
            "month" => CalendarUnit::Month,
            "quarter" => CalendarUnit::Quarter,
            "year" => CalendarUnit::Year,
            _ => return None,
        })
    }

    /// Returns a number that is the same for two local dates exactly when the unit cuts both
    /// to the same start.
    fn key(self, days: i32) -> i64 {
        use chrono::Datelike;
        let days = i64::from(days);
        match self {
            CalendarUnit::Day => days,
            // 1970-01-01 was a Thursday; ISO weeks start on Monday.
            CalendarUnit::Week => (days + 3).div_euclid(7),
            CalendarUnit::Month | CalendarUnit::Quarter | CalendarUnit::Year => {
                let date = chrono::NaiveDate::from_num_days_from_ce_opt(
                    i32::try_from(days + 719_163).unwrap_or(i32::MAX),
                );
                let Some(date) = date else {
                    return i64::MIN;
                };
                let months = i64::from(date.year()) * 12 + i64::from(date.month0());
                match self {
                    CalendarUnit::Month => months,
                    CalendarUnit::Quarter => months.div_euclid(3),
                    _ => i64::from(date.year()),
                }
            }
        }
    }
}

/// Truncates the times of `array` with the builtin function once per distinct result.
fn truncate_times<T: ArrowTimestampType>(
    array: &ArrayRef,
    zone: &Tz,
    per_second: i64,
    unit: CalendarUnit,
    granularity: &ColumnarValue,
    args: &ScalarFunctionArgs,
) -> Result<ArrayRef> {
    let times: &PrimitiveArray<T> = array.as_primitive();
    let builtin = builtin_date_trunc();
    let mut offsets = DayOffsets::new(Some(zone));
    let mut known: HashMap<i64, Option<i64>, ahash::RandomState> = HashMap::default();
    let mut last: Option<(i64, Option<i64>)> = None;
    let mut out = Vec::with_capacity(times.len());
    let mut valid = Vec::with_capacity(times.len());
    for (row, time) in times.values().iter().enumerate() {
        if times.is_null(row) {
            out.push(0);
            valid.push(false);
            continue;
        }
        // A time whose date cannot be read goes to the builtin function on its own.
        let key = offsets
            .date(time.div_euclid(per_second))
            .map(|d| unit.key(d));
        let value = match (key, last) {
            (Some(key), Some((seen, value))) if key == seen => value,
            _ => {
                let compute = || -> Result<Option<i64>> {
                    let one = ScalarFunctionArgs {
                        args: vec![
                            granularity.clone(),
                            ColumnarValue::Array(Arc::new(times.slice(row, 1))),
                        ],
                        arg_fields: args.arg_fields.clone(),
                        number_rows: 1,
                        return_field: Arc::clone(&args.return_field),
                        config_options: Arc::clone(&args.config_options),
                    };
                    let result = builtin.invoke_with_args(one)?.into_array(1)?;
                    let result: &PrimitiveArray<T> = result.as_primitive();
                    Ok(result.is_valid(0).then(|| result.value(0)))
                };
                match key {
                    Some(key) => {
                        let value = match known.get(&key) {
                            Some(value) => *value,
                            None => {
                                let value = compute()?;
                                known.insert(key, value);
                                value
                            }
                        };
                        last = Some((key, value));
                        value
                    }
                    None => compute()?,
                }
            }
        };
        out.push(value.unwrap_or_default());
        valid.push(value.is_some());
    }
    let result = PrimitiveArray::<T>::new(out.into(), Some(NullBuffer::from(valid)))
        .with_data_type(array.data_type().clone());
    Ok(Arc::new(result))
}

impl ScalarUDFImpl for DateTrunc {
    fn name(&self) -> &str {
        "date_trunc"
    }

    fn aliases(&self) -> &[String] {
        static ALIASES: OnceLock<Vec<String>> = OnceLock::new();
        ALIASES.get_or_init(|| builtin_date_trunc().aliases().to_vec())
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn documentation(&self) -> Option<&Documentation> {
        static DOCUMENTATION: OnceLock<Option<Documentation>> = OnceLock::new();
        DOCUMENTATION
            .get_or_init(|| builtin_date_trunc().documentation().cloned())
            .as_ref()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        builtin_date_trunc().inner().return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        builtin_date_trunc().return_field_from_args(args)
    }

    fn output_ordering(&self, input: &[ExprProperties]) -> Result<SortProperties> {
        builtin_date_trunc().output_ordering(input)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let unit = match args.args.first() {
            Some(ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(text))
                | ScalarValue::Utf8View(Some(text))
                | ScalarValue::LargeUtf8(Some(text)),
            )) => CalendarUnit::parse(text),
            _ => None,
        };
        let (Some(unit), [granularity, ColumnarValue::Array(array)]) = (unit, args.args.as_slice())
        else {
            return builtin_date_trunc().invoke_with_args(args);
        };
        let DataType::Timestamp(time_unit, Some(zone)) = array.data_type() else {
            return builtin_date_trunc().invoke_with_args(args);
        };
        let Ok(zone) = Tz::from_str(zone) else {
            return builtin_date_trunc().invoke_with_args(args);
        };
        let result = match time_unit {
            TimeUnit::Second => {
                truncate_times::<TimestampSecondType>(array, &zone, 1, unit, granularity, &args)
            }
            TimeUnit::Millisecond => truncate_times::<TimestampMillisecondType>(
                array,
                &zone,
                1_000,
                unit,
                granularity,
                &args,
            ),
            TimeUnit::Microsecond => truncate_times::<TimestampMicrosecondType>(
                array,
                &zone,
                1_000_000,
                unit,
                granularity,
                &args,
            ),
            TimeUnit::Nanosecond => truncate_times::<TimestampNanosecondType>(
                array,
                &zone,
                1_000_000_000,
                unit,
                granularity,
                &args,
            ),
        }?;
        Ok(ColumnarValue::Array(result))
    }
}

/// Replaces `CAST(time AS DATE)` of a time with a zone by [`LocalDate`], keeping the
/// expression's name so that the plan's columns stay the same.
/// A comparison of such a cast with a date becomes bounds on the time itself, which Parquet
/// pruning can read against the files' statistics.
#[derive(Debug)]
pub struct LocalDateRule {
    function: Arc<ScalarUDF>,
}

impl LocalDateRule {
    pub fn new() -> Self {
        LocalDateRule {
            function: Arc::new(ScalarUDF::new_from_impl(LocalDate::new())),
        }
    }
}

impl Default for LocalDateRule {
    fn default() -> Self {
        Self::new()
    }
}

impl OptimizerRule for LocalDateRule {
    fn name(&self) -> &str {
        "crmsql_local_date"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        // Expressions read the columns of the node's inputs. The filters pushed into a scan read
        // the table's own columns.
        let schema = match &plan {
            LogicalPlan::TableScan(scan) => {
                DFSchema::try_from_qualified_schema(scan.table_name.clone(), &scan.source.schema())?
            }
            _ => merge_schema(&plan.inputs()),
        };
        let names = NamePreserver::new(&plan);
        plan.map_expressions(|expr| {
            let name = names.save(&expr);
            let rewritten = expr.transform_up(|expr| match expr {
                Expr::Cast(Cast { expr: time, field })
                    if field.data_type() == &DataType::Date32
                        && matches!(
                            time.get_type(&schema),
                            Ok(DataType::Timestamp(_, Some(_)))
                        ) =>
                {
                    Ok(Transformed::yes(Expr::ScalarFunction(
                        ScalarFunction::new_udf(Arc::clone(&self.function), vec![*time]),
                    )))
                }
                Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                    match compare_time(&left, op, &right, &schema, &self.function) {
                        Some(bounds) => Ok(Transformed::yes(bounds)),
                        None => Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                            left,
                            op,
                            right,
                        }))),
                    }
                }
                other => Ok(Transformed::no(other)),
            })?;
            Ok(if rewritten.transformed {
                Transformed::yes(name.restore(rewritten.data))
            } else {
                rewritten
            })
        })
    }
}

/// Rewrites `local_date(time) <op> DATE 'd'` (either side) into bounds on the time itself, which
/// Parquet pruning can read. Returns `None` when the expression has another shape, or when the
/// zone changes its offset within 30 hours of a bound, where the local date might not grow
/// with the time.
fn compare_time(
    left: &Expr,
    op: Operator,
    right: &Expr,
    schema: &DFSchema,
    function: &Arc<ScalarUDF>,
) -> Option<Expr> {
    let (call, op, day) = match (left, right) {
        (Expr::ScalarFunction(call), Expr::Literal(ScalarValue::Date32(Some(day)), _)) => {
            (call, op, *day)
        }
        (Expr::Literal(ScalarValue::Date32(Some(day)), _), Expr::ScalarFunction(call)) => {
            (call, op.swap()?, *day)
        }
        _ => return None,
    };
    if call.func.name() != function.name() {
        return None;
    }
    let [time] = call.args.as_slice() else {
        return None;
    };
    let Ok(DataType::Timestamp(unit, Some(zone_name))) = time.get_type(schema) else {
        return None;
    };
    let zone = Tz::from_str(&zone_name).ok()?;
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    // The first instant of a local day, in the column's unit.
    let start = |day: i32| -> Option<ScalarValue> {
        let midnight = i64::from(day) * SECONDS_PER_DAY;
        let margin = 30 * 3600;
        let offset = DayOffsets::offset_at(&zone, midnight - margin)?;
        if DayOffsets::offset_at(&zone, midnight + margin)? != offset {
            return None;
        }
        let value = (midnight - i64::from(offset)).checked_mul(per_second)?;
        let zone = Some(Arc::clone(&zone_name));
        Some(match unit {
            TimeUnit::Second => ScalarValue::TimestampSecond(Some(value), zone),
            TimeUnit::Millisecond => ScalarValue::TimestampMillisecond(Some(value), zone),
            TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(Some(value), zone),
            TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(Some(value), zone),
        })
    };
    let next = day.checked_add(1)?;
    let time = time.clone();
    Some(match op {
        Operator::GtEq => time.gt_eq(lit(start(day)?)),
        Operator::Gt => time.gt_eq(lit(start(next)?)),
        Operator::Lt => time.lt(lit(start(day)?)),
        Operator::LtEq => time.lt(lit(start(next)?)),
        Operator::Eq => {
            let (low, high) = (start(day)?, start(next)?);
            time.clone().gt_eq(lit(low)).and(time.lt(lit(high)))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Compares the date of a time every quarter of an hour of a span with chrono's own.
    fn check_hours(zone: &str, from: NaiveDate, days: i64) {
        let tz = Tz::from_str(zone).unwrap();
        let mut offsets = DayOffsets::new(Some(&tz));
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let start = from.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
        for step in 0..days * 24 * 4 {
            // Every quarter of an hour, plus a second, to catch transitions on the hour.
            let seconds = start + step * 900 + 1;
            let expected = DateTime::from_timestamp(seconds, 0)
                .unwrap()
                .with_timezone(&tz)
                .date_naive();
            let got = offsets
                .date(seconds)
                .map(|d| epoch + chrono::Duration::days(d.into()));
            assert_eq!(got, Some(expected), "{zone} at {seconds}");
        }
    }

    #[test]
    fn dates_match_the_zone_across_transitions() {
        let cases = [
            // Moscow moved from UTC+3 to UTC+4 in 2011 and back in 2014, and had summer time
            // before.
            ("Europe/Moscow", (2010, 1, 1), 5 * 366),
            // Summer time at 2:00 local in March and October, and a zone west of UTC.
            ("Europe/Berlin", (2024, 3, 1), 250),
            ("America/New_York", (2024, 3, 1), 250),
            // Half-hour offsets, and Samoa skipping 30 December 2011 across the date line.
            ("Asia/Kolkata", (2024, 1, 1), 10),
            ("Pacific/Apia", (2011, 12, 20), 20),
            ("+05:30", (2024, 1, 1), 3),
        ];
        for (zone, (year, month, day), days) in cases {
            let from = NaiveDate::from_ymd_opt(year, month, day).unwrap();
            check_hours(zone, from, days);
        }
    }

    /// Returns a one-partition session with the CRM functions, so results keep their order.
    fn session() -> datafusion::prelude::SessionContext {
        use datafusion::prelude::{SessionConfig, SessionContext};
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        crate::register_all(&ctx, "Europe/Moscow");
        ctx
    }

    /// Returns a query of `count + 1` times in Berlin's zone, `step` seconds apart from the
    /// start of 2012.
    fn berlin_times(step: i64, count: i64) -> String {
        format!(
            "SELECT arrow_cast(1325376000 + v * {step}, 'Timestamp(Second, Some(\"Europe/Berlin\"))') \
             AS t FROM generate_series(0, {count}) AS s(v)"
        )
    }

    /// Returns the optimized logical plan of a query as indented text.
    fn optimized_plan(frame: &datafusion::dataframe::DataFrame) -> String {
        let plan = frame.clone().into_optimized_plan().unwrap();
        plan.display_indent().to_string()
    }

    /// Casts in SQL become `local_date`, keep their column names and give Arrow's dates.
    #[tokio::test]
    async fn casts_are_planned_as_local_date() {
        use datafusion::arrow::compute::{cast, concat};

        let ctx = session();
        // Every 37 minutes over six years, in Berlin's zone with its summer time.
        let times = berlin_times(2220, 85_000);
        let sql = format!(
            "SELECT CAST(t AS DATE), t AS time FROM ({times}) WHERE CAST(t AS DATE) >= DATE '2012-01-02'"
        );
        let frame = ctx.sql(&sql).await.unwrap();
        let plan = optimized_plan(&frame);
        assert!(plan.contains("local_date(t)"), "{plan}");
        assert!(!plan.contains("CAST(t AS Date32) >="), "{plan}");
        let batches = frame.collect().await.unwrap();
        assert_eq!(batches[0].schema().field(0).name(), "t");
        let column = |index: usize| {
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.column(index).as_ref()).collect();
            concat(&parts).unwrap()
        };
        let (dates, times) = (column(0), column(1));
        assert!(dates.len() > 80_000, "{}", dates.len());
        let expected = cast(&times, &DataType::Date32).unwrap();
        assert_eq!(dates.as_ref(), expected.as_ref());
    }

    /// A comparison of a cast with a date becomes bounds on the time, away from a change of
    /// offset, and returns the cast's results on both sides of every bound.
    #[tokio::test]
    async fn date_comparisons_become_time_bounds() {
        use datafusion::arrow::compute::{cast, concat};

        let ctx = session();
        // Every 7 minutes over 2012 and 2013 in Berlin, whose clocks moved on 25 March 2012.
        let times = berlin_times(420, 150_000);
        let all = ctx.sql(&times).await.unwrap().collect().await.unwrap();
        let parts: Vec<&dyn Array> = all.iter().map(|b| b.column(0).as_ref()).collect();
        let dates = cast(&concat(&parts).unwrap(), &DataType::Date32).unwrap();
        let dates: &PrimitiveArray<datafusion::arrow::datatypes::Date32Type> = dates.as_primitive();
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for (day, rewritten) in [("2013-06-15", true), ("2012-03-25", false)] {
            let bound = (chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap() - epoch)
                .num_days() as i32;
            for (op, holds) in [
                (">=", (|d: i32, b: i32| d >= b) as fn(i32, i32) -> bool),
                (">", |d, b| d > b),
                ("<", |d, b| d < b),
                ("<=", |d, b| d <= b),
                ("=", |d, b| d == b),
            ] {
                let sql = format!(
                    "SELECT count(*) AS n FROM ({times}) WHERE CAST(t AS DATE) {op} DATE '{day}'"
                );
                let frame = ctx.sql(&sql).await.unwrap();
                let plan = optimized_plan(&frame);
                assert_eq!(
                    !plan.contains("local_date"),
                    rewritten,
                    "{day} {op}: {plan}"
                );
                let batches = frame.collect().await.unwrap();
                let got = batches[0]
                    .column(0)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .value(0);
                let expected = dates.values().iter().filter(|d| holds(**d, bound)).count() as i64;
                assert!(expected > 0, "{day} {op}");
                assert_eq!(got, expected, "{day} {op}");
            }
        }
    }

    /// `date_trunc` gives DataFusion's results for every calendar unit, zone and time unit,
    /// with nulls, across changes of offset.
    #[tokio::test]
    async fn date_trunc_matches_the_builtin() {
        use datafusion::prelude::{SessionConfig, SessionContext};

        let ours = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        crate::register_all(&ours, "Europe/Moscow");
        let theirs =
            SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        let mut compared = 0;
        for zone in [
            "Europe/Moscow",
            "America/New_York",
            "Asia/Kolkata",
            "+05:00",
        ] {
            for (unit, step) in [("Second", 7_777i64), ("Microsecond", 7_777_000_000)] {
                for part in ["day", "WEEK", "month", "quarter", "year", "hour"] {
                    // Every 7,777 seconds (about 2 hours 10 minutes) from 2010 on, across
                    // Moscow's changes of 2011 and 2014. Every tenth time is NULL.
                    let sql = format!(
                        "SELECT date_trunc('{part}', t) AS cut FROM (SELECT CASE WHEN v % 10 = 3 \
                         THEN NULL ELSE arrow_cast(1262304000 * {scale} + v * {step}, \
                         'Timestamp({unit}, Some(\"{zone}\"))') END AS t \
                         FROM generate_series(0, 30000) AS s(v))",
                        scale = step / 7_777,
                    );
                    let run = |ctx: &SessionContext| {
                        let sql = sql.clone();
                        let ctx = ctx.clone();
                        async move { ctx.sql(&sql).await.unwrap().collect().await.unwrap() }
                    };
                    let (got, expected) = (run(&ours).await, run(&theirs).await);
                    assert_eq!(got, expected, "{zone} {unit} {part}");
                    compared += got.iter().map(|b| b.num_rows()).sum::<usize>();
                }
            }
        }
        assert_eq!(compared, 4 * 2 * 6 * 30_001);
        // The session runs this function, not the builtin it was compared with.
        let registered = ours.state().scalar_functions()["date_trunc"].clone();
        assert!(registered.inner().downcast_ref::<DateTrunc>().is_some());
    }

    #[test]
    fn times_before_1970_and_nulls() {
        let zone = Tz::from_str("Europe/Moscow").unwrap();
        // 1969-12-31 23:30 UTC is 1970-01-01 02:30 in Moscow, and 1969-12-31 20:00 UTC is 23:00 there.
        let times =
            PrimitiveArray::<TimestampSecondType>::from(vec![Some(-1_800), Some(-14_400), None]);
        let dates = dates_of::<TimestampSecondType>(&times, Some(&zone), 1);
        assert_eq!(
            dates.iter().collect::<Vec<_>>(),
            vec![Some(0), Some(-1), None]
        );
        let utc = dates_of::<TimestampSecondType>(&times, None, 1);
        assert_eq!(
            utc.iter().collect::<Vec<_>>(),
            vec![Some(-1), Some(-1), None]
        );
    }
}
