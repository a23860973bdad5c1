//! Period presets: `period_start`, `period_end` and `in_period` resolve names such as
//! `'last_month'` to half-open ranges `[start, end)` of the account's local days.
//!
//! "Now" is the time the query starts, or the `crmsql.now` setting. With constant arguments the
//! functions fold into constants when the query is planned, so `in_period(created_at,
//! 'last_month')` becomes two comparisons that Parquet statistics can prune with.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility, lit,
};

use crate::options::CrmOptions;

/// The shift from a period to the previous one of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Days(i64),
    Months(u32),
}

/// A half-open range of local days `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
    step: Step,
}

fn month_start(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn months(start: NaiveDate, count: u32) -> Option<Period> {
    Some(Period {
        start,
        end: start.checked_add_months(Months::new(count))?,
        step: Step::Months(count),
    })
}

fn days(start: NaiveDate, count: i64, step: i64) -> Option<Period> {
    Some(Period {
        start,
        end: start.checked_add_signed(Duration::days(count))?,
        step: Step::Days(step),
    })
}

/// Names of the presets, for messages.
pub const PRESETS: &str = "today, yesterday, this_week, last_week, this_month, last_month, \
this_quarter, last_quarter, this_year, last_year, last_N_days, YYYY, YYYY-MM, YYYY-QN, \
YYYY-MM-DD..YYYY-MM-DD";

impl Period {
    /// Resolves a preset name on the local date `today`. Names are case-insensitive, and
    /// `current_…` is the same as `this_…`.
    pub fn parse(preset: &str, today: NaiveDate) -> Option<Period> {
        let name = preset.trim().to_ascii_lowercase();
        let name = name.replace("current_", "this_");
        let month = month_start(today.year(), today.month())?;
        let quarter = month_start(today.year(), (today.month0() / 3) * 3 + 1)?;
        let year = month_start(today.year(), 1)?;
        let week = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        match name.as_str() {
            "today" => return days(today, 1, 1),
            "yesterday" => return days(today - Duration::days(1), 1, 1),
            "this_week" => return days(week, 7, 7),
            "last_week" => return days(week - Duration::days(7), 7, 7),
            "this_month" => return months(month, 1),
            "last_month" => return months(month.checked_sub_months(Months::new(1))?, 1),
            "this_quarter" => return months(quarter, 3),
            "last_quarter" => return months(quarter.checked_sub_months(Months::new(3))?, 3),
            "this_year" => return months(year, 12),
            "last_year" => return months(year.checked_sub_months(Months::new(12))?, 12),
            _ => {}
        }
        if let Some(count) = name
            .strip_prefix("last_")
            .and_then(|rest| rest.strip_suffix("_days"))
        {
            let count: i64 = count.parse().ok().filter(|n| (1..=36_600).contains(n))?;
            return days(today - Duration::days(count), count, count);
        }
        if let Some((from, to)) = name.split_once("..") {
            let from = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").ok()?;
            let to = NaiveDate::parse_from_str(to.trim(), "%Y-%m-%d").ok()?;
            let length = (to - from).num_days() + 1;
            if length < 1 {
                return None;
            }
            return days(from, length, length);
        }
        if let Some((year, quarter)) = name.split_once("-q") {
            let year: i32 = year.parse().ok()?;
            let quarter: u32 = quarter.parse().ok().filter(|q| (1..=4).contains(q))?;
            return months(month_start(year, (quarter - 1) * 3 + 1)?, 3);
        }
        if let Some((year, month)) = name.split_once('-') {
            let year: i32 = year.parse().ok().filter(|_| year.len() == 4)?;
            let month: u32 = month.parse().ok()?;
            return months(month_start(year, month)?, 1);
        }
        if name.len() == 4 {
            return months(month_start(name.parse().ok()?, 1)?, 12);
        }
        None
    }

    /// Returns the period to compare with. `previous` is the period of the same kind just before:
    /// the previous calendar month for a month, the same number of days before a range of days.
    /// `year` is the same dates a year earlier.
    pub fn compared(self, how: &str) -> Option<Period> {
        match how.trim().to_ascii_lowercase().as_str() {
            "previous" => match self.step {
                Step::Days(n) => Some(Period {
                    start: self.start - Duration::days(n),
                    end: self.end - Duration::days(n),
                    step: self.step,
                }),
                Step::Months(n) => Some(Period {
                    start: self.start.checked_sub_months(Months::new(n))?,
                    end: self.end.checked_sub_months(Months::new(n))?,
                    step: self.step,
                }),
            },
            "year" => Some(Period {
                start: self.start.checked_sub_months(Months::new(12))?,
                end: self.end.checked_sub_months(Months::new(12))?,
                step: self.step,
            }),
            _ => None,
        }
    }
}

/// Time zone and current time that presets are resolved with.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    zone: Tz,
    now: DateTime<Utc>,
}

impl Clock {
    /// Reads the zone from `datafusion.execution.time_zone` and "now" from `crmsql.now`, falling
    /// back to `start` (the query's start time) and then to the system clock.
    pub fn from_config(config: &ConfigOptions, start: Option<DateTime<Utc>>) -> Result<Clock> {
        let zone_name = config.execution.time_zone.clone().unwrap_or_default();
        let zone: Tz = match zone_name.parse() {
            Ok(zone) => zone,
            Err(_) if zone_name.is_empty() || zone_name == "+00:00" => Tz::UTC,
            Err(_) => {
                return plan_err!(
                    "period functions need a named time zone such as Europe/Moscow, not '{zone_name}'"
                );
            }
        };
        let options = CrmOptions::of(config);
        let now = if options.now.trim().is_empty() {
            start.unwrap_or_else(Utc::now)
        } else {
            let text = options.now.trim();
            let wall = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
                .or_else(|_| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|d| d.and_time(Default::default()))
                });
            let Ok(wall) = wall else {
                return Err(crate::crm_error(
                    "bad-now",
                    vec![("value", text.to_owned())],
                    format!(
                        "crmsql.now is '{text}'; give a local time such as '2025-07-15 10:00:00' or leave it empty"
                    ),
                ));
            };
            zone.from_local_datetime(&wall)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&wall))
        };
        Ok(Clock { zone, now })
    }

    fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone).date_naive()
    }

    /// Returns the instant, in microseconds, at which a local day starts.
    fn midnight(&self, day: NaiveDate) -> i64 {
        let wall = day.and_time(Default::default());
        match self.zone.from_local_datetime(&wall).earliest() {
            Some(instant) => instant.timestamp_micros(),
            // A day whose midnight was skipped by a clock change starts an hour later.
            None => (wall + Duration::hours(1))
                .and_local_timezone(self.zone)
                .earliest()
                .map_or_else(
                    || wall.and_utc().timestamp_micros(),
                    |t| t.timestamp_micros(),
                ),
        }
    }

    /// Resolves a preset and an optional comparison.
    fn period(&self, preset: &str, compare: Option<&str>) -> Result<Period> {
        let Some(period) = Period::parse(preset, self.today()) else {
            return Err(crate::crm_error(
                "unknown-period",
                vec![
                    ("preset", preset.to_owned()),
                    ("presets", PRESETS.to_owned()),
                ],
                format!("unknown period '{preset}'; use one of: {PRESETS}"),
            ));
        };
        match compare {
            None => Ok(period),
            Some(how) => match period.compared(how) {
                Some(period) => Ok(period),
                None => Err(crate::crm_error(
                    "unknown-comparison",
                    vec![("how", how.to_owned())],
                    format!("unknown comparison '{how}'; use 'previous' or 'year'"),
                )),
            },
        }
    }
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null
    )
}

/// Reads a constant text argument, if it is one.
fn literal_text(expr: &Expr) -> Option<Option<String>> {
    match expr {
        Expr::Literal(value, _) => match value {
            ScalarValue::Utf8(text)
            | ScalarValue::LargeUtf8(text)
            | ScalarValue::Utf8View(text) => Some(text.clone()),
            ScalarValue::Null => Some(None),
            _ => None,
        },
        _ => None,
    }
}

/// The bound a [`PeriodBound`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    Start,
    End,
}

/// `period_start(preset [, compare])` and `period_end(preset [, compare])`: the first instant of
/// a period and the first instant after it, as `TIMESTAMP WITH TIME ZONE` in the account's zone.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PeriodBound {
    bound: Bound,
    zone: String,
    signature: Signature,
}

impl PeriodBound {
    /// A bound function whose result carries the time zone `zone`, the account's.
    pub fn new(bound: Bound, zone: &str) -> Self {
        PeriodBound {
            bound,
            zone: zone.to_owned(),
            signature: Signature::user_defined(Volatility::Stable),
        }
    }

    fn result_type(&self) -> DataType {
        DataType::Timestamp(TimeUnit::Microsecond, Some(self.zone.as_str().into()))
    }

    fn resolve(&self, clock: &Clock, preset: &str, compare: Option<&str>) -> Result<i64> {
        let period = clock.period(preset, compare)?;
        Ok(clock.midnight(match self.bound {
            Bound::Start => period.start,
            Bound::End => period.end,
        }))
    }
}

impl ScalarUDFImpl for PeriodBound {
    fn name(&self) -> &str {
        match self.bound {
            Bound::Start => "period_start",
            Bound::End => "period_end",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(1..=2).contains(&arg_types.len()) || !arg_types.iter().all(is_text) {
            return plan_err!(
                "{} expects a period name and an optional comparison, such as ('last_month') or ('last_month', 'previous')",
                self.name()
            );
        }
        Ok(vec![DataType::Utf8; arg_types.len()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.result_type())
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let texts: Option<Vec<Option<String>>> = args.iter().map(literal_text).collect();
        let Some(texts) = texts else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let Some(preset) = texts[0].as_deref() else {
            return Ok(ExprSimplifyResult::Simplified(lit(
                ScalarValue::TimestampMicrosecond(None, Some(self.zone.as_str().into())),
            )));
        };
        let clock = Clock::from_config(info.config_options(), info.query_execution_start_time())?;
        let compare = texts.get(1).cloned().flatten();
        let micros = self.resolve(&clock, preset, compare.as_deref())?;
        Ok(ExprSimplifyResult::Simplified(lit(
            ScalarValue::TimestampMicrosecond(Some(micros), Some(self.zone.as_str().into())),
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let clock = Clock::from_config(&args.config_options, None)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let presets = cast(&arrays[0], &DataType::Utf8)?;
        let presets = presets.as_string::<i32>();
        let compares = match arrays.get(1) {
            Some(array) => Some(cast(array, &DataType::Utf8)?),
            None => None,
        };
        let compares = compares.as_ref().map(|c| c.as_string::<i32>());
        let mut out = Vec::with_capacity(presets.len());
        for row in 0..presets.len() {
            if presets.is_null(row) || compares.is_some_and(|c| c.is_null(row)) {
                out.push(None);
                continue;
            }
            let compare = compares.map(|c| c.value(row));
            out.push(Some(self.resolve(&clock, presets.value(row), compare)?));
        }
        // The planned type gives the zone: on a cluster's executor, the function may have been
        // registered with another one.
        let zone = match args.return_field.data_type() {
            DataType::Timestamp(_, Some(zone)) => zone.to_string(),
            _ => self.zone.clone(),
        };
        let result: ArrayRef = Arc::new(TimestampMicrosecondArray::from(out).with_timezone(zone));
        crate::columnar(result, &args.args)
    }
}

/// `in_period(time, preset [, compare])`: whether a time or date falls in a period. A NULL time
/// gives NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InPeriod {
    zone: String,
    signature: Signature,
}

impl InPeriod {
    pub fn new(zone: &str) -> Self {
        InPeriod {
            zone: zone.to_owned(),
            signature: Signature::user_defined(Volatility::Stable),
        }
    }
}

impl ScalarUDFImpl for InPeriod {
    fn name(&self) -> &str {
        "in_period"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let usage = "in_period expects a time or date, a period name and an optional comparison, such as (created_at, 'last_month')";
        if !(2..=3).contains(&arg_types.len()) || !arg_types[1..].iter().all(is_text) {
            return plan_err!("{usage}");
        }
        let time = match &arg_types[0] {
            DataType::Date32 | DataType::Date64 => DataType::Date32,
            DataType::Timestamp(_, _) | DataType::Null => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(self.zone.as_str().into()))
            }
            other => return plan_err!("{usage}; got {other} as the time"),
        };
        let mut coerced = vec![time];
        coerced.extend(std::iter::repeat_n(DataType::Utf8, arg_types.len() - 1));
        Ok(coerced)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let texts: Option<Vec<Option<String>>> = args[1..].iter().map(literal_text).collect();
        let Some(texts) = texts else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let Some(preset) = texts[0].as_deref() else {
            return Ok(ExprSimplifyResult::Simplified(lit(ScalarValue::Boolean(
                None,
            ))));
        };
        let clock = Clock::from_config(info.config_options(), info.query_execution_start_time())?;
        let compare = texts.get(1).cloned().flatten();
        let period = clock.period(preset, compare.as_deref())?;
        let time = args[0].clone();
        // A date column compares with dates, so the zone cannot move a day across the bound.
        let is_date = matches!(
            info.get_data_type(&time)?,
            DataType::Date32 | DataType::Date64
        );
        let (low, high) = if is_date {
            let day = |d: NaiveDate| {
                ScalarValue::Date32(Some(
                    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32,
                ))
            };
            (day(period.start), day(period.end))
        } else {
            let zone = Some(self.zone.as_str().into());
            (
                ScalarValue::TimestampMicrosecond(Some(clock.midnight(period.start)), zone.clone()),
                ScalarValue::TimestampMicrosecond(Some(clock.midnight(period.end)), zone),
            )
        };
        Ok(ExprSimplifyResult::Simplified(
            time.clone().gt_eq(lit(low)).and(time.lt(lit(high))),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let clock = Clock::from_config(&args.config_options, None)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let presets = cast(&arrays[1], &DataType::Utf8)?;
        let presets = presets.as_string::<i32>();
        let compares = match arrays.get(2) {
            Some(array) => Some(cast(array, &DataType::Utf8)?),
            None => None,
        };
        let compares = compares.as_ref().map(|c| c.as_string::<i32>());
        let is_date = matches!(arrays[0].data_type(), DataType::Date32);
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        let mut out = Vec::with_capacity(presets.len());
        for row in 0..presets.len() {
            if arrays[0].is_null(row)
                || presets.is_null(row)
                || compares.is_some_and(|c| c.is_null(row))
            {
                out.push(None);
                continue;
            }
            let period = clock.period(presets.value(row), compares.map(|c| c.value(row)))?;
            let inside = if is_date {
                let day = arrays[0].as_primitive::<Date32Type>().value(row);
                let start = (period.start - epoch).num_days() as i32;
                let end = (period.end - epoch).num_days() as i32;
                start <= day && day < end
            } else {
                let time = arrays[0]
                    .as_primitive::<TimestampMicrosecondType>()
                    .value(row);
                clock.midnight(period.start) <= time && time < clock.midnight(period.end)
            };
            out.push(Some(inside));
        }
        let result: ArrayRef = Arc::new(BooleanArray::from(out));
        crate::columnar(result, &args.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn range(preset: &str, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let p = Period::parse(preset, today).unwrap();
        (p.start, p.end)
    }

    #[test]
    fn presets_at_month_quarter_year_edges() {
        let jan1 = date(2025, 1, 1);
        assert_eq!(range("last_month", jan1), (date(2024, 12, 1), jan1));
        assert_eq!(range("this_month", jan1), (jan1, date(2025, 2, 1)));
        assert_eq!(range("last_quarter", jan1), (date(2024, 10, 1), jan1));
        assert_eq!(range("last_year", jan1), (date(2024, 1, 1), jan1));
        assert_eq!(range("yesterday", jan1), (date(2024, 12, 31), jan1));
        let mar31 = date(2025, 3, 31);
        assert_eq!(range("this_quarter", mar31), (jan1, date(2025, 4, 1)));
        assert_eq!(
            range("CURRENT_MONTH", mar31),
            (date(2025, 3, 1), date(2025, 4, 1))
        );
        // 2025-03-31 is a Monday; ISO weeks start on Monday.
        assert_eq!(range("this_week", mar31), (mar31, date(2025, 4, 7)));
        assert_eq!(
            range("last_week", date(2025, 3, 30)),
            (date(2025, 3, 17), date(2025, 3, 24))
        );
        assert_eq!(range("last_7_days", mar31), (date(2025, 3, 24), mar31));
        assert_eq!(
            range("2025-07-01..2025-07-31", mar31),
            (date(2025, 7, 1), date(2025, 8, 1))
        );
        assert_eq!(
            range("2024-02", mar31),
            (date(2024, 2, 1), date(2024, 3, 1))
        );
        assert_eq!(range("2024-q4", mar31), (date(2024, 10, 1), jan1));
        assert_eq!(range("2024", mar31), (date(2024, 1, 1), jan1));
        for bad in [
            "last_fortnight",
            "last_0_days",
            "2025-13",
            "2025-q5",
            "2025-07-31..2025-07-01",
        ] {
            assert!(Period::parse(bad, mar31).is_none(), "{bad}");
        }
    }

    #[test]
    fn comparisons() {
        let mar31 = date(2025, 3, 31);
        let compared = |preset: &str, how: &str| {
            let p = Period::parse(preset, mar31).unwrap().compared(how).unwrap();
            (p.start, p.end)
        };
        // The previous calendar month, not the previous 28 days.
        assert_eq!(
            compared("this_month", "previous"),
            (date(2025, 2, 1), date(2025, 3, 1))
        );
        assert_eq!(
            compared("last_quarter", "previous"),
            (date(2024, 7, 1), date(2024, 10, 1))
        );
        assert_eq!(
            compared("last_7_days", "previous"),
            (date(2025, 3, 17), date(2025, 3, 24))
        );
        assert_eq!(
            compared("2025-07-01..2025-07-31", "previous"),
            (date(2025, 5, 31), date(2025, 7, 1))
        );
        assert_eq!(
            compared("last_month", "year"),
            (date(2024, 2, 1), date(2024, 3, 1))
        );
        assert!(
            Period::parse("today", mar31)
                .unwrap()
                .compared("week")
                .is_none()
        );
    }
}
