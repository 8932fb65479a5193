//! Date functions on Unix seconds in UTC: `minute hour month year day_of_month day_of_week
//! day_of_year days_in_month`. Without an argument they apply to `vector(time())`.

use std::sync::Arc;

use rill_promql::Call;

use crate::error::Result;
use crate::functions::common::{ScalarArgs, plan_instant};
use crate::functions::custom;
use crate::functions::elementwise::ElementwiseOperator;
use crate::functions::scalar_fns::{TimeScalar, VectorOfScalar};
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};

/// A calendar date and time of day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day of month 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
    /// Day of year, 1-based.
    pub yday: u32,
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds from Go's absolute time zero to the Unix epoch (`unixToInternal -
/// absoluteToInternal` in Go's `time` package; a multiple of a day).
const UNIX_TO_ABSOLUTE: i64 = 9_223_372_028_715_321_600;

/// Go's `int64(f)` on amd64: truncation toward zero, and `i64::MIN` for NaN and values out of
/// range (Rust's `as` saturates instead, and gives 0 for NaN).
pub fn go_int64(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-TWO_63..TWO_63).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// The UTC calendar fields of Unix time `secs` as Go's `time.Unix(secs, 0).UTC()` has them:
/// Go counts unsigned seconds from its absolute zero, so times more than ~292 billion years
/// from now wrap around (`day_of_month(NaN)` is 4 in Prometheus). Days to date by Howard
/// Hinnant's algorithm.
pub fn civil(secs: i64) -> Civil {
    let abs = (secs as u64).wrapping_add(UNIX_TO_ABSOLUTE as u64);
    let days = (abs / 86_400) as i64 - UNIX_TO_ABSOLUTE / 86_400;
    let sod = (abs % 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let cumulative: u32 = (1..month).map(|m| days_in_month(year, m)).sum();
    Civil {
        year,
        month,
        day,
        hour: (sod / 3600) as u32,
        minute: (sod % 3600 / 60) as u32,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday: cumulative + day,
    }
}

/// Applies a date field to a sample value (Unix seconds, converted like Go's `int64(f)`).
fn date_fn(field: DateField) -> impl Fn(f64, &[f64]) -> Option<f64> + Send + Sync {
    move |v, _| Some(field(&civil(go_int64(v))))
}

/// Reads one field of a date as a float.
type DateField = fn(&Civil) -> f64;

struct DateFactory {
    field: DateField,
}

impl FunctionFactory for DateFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let range = planner.time_range();
        let input: Box<dyn InstantVectorOperator> = if call.args.is_empty() {
            Box::new(VectorOfScalar::new(Box::new(TimeScalar::new(range)), range))
        } else {
            plan_instant(call, 0, planner)?
        };
        Ok(Operator::Instant(Box::new(ElementwiseOperator::new(
            input,
            ScalarArgs::new(Vec::new()),
            Arc::new(date_fn(self.field)),
            range,
            planner.options().features.delayed_name_removal,
        ))))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    let fields: [(&str, DateField); 8] = [
        ("minute", |c| f64::from(c.minute)),
        ("hour", |c| f64::from(c.hour)),
        ("month", |c| f64::from(c.month)),
        ("year", |c| c.year as f64),
        ("day_of_month", |c| f64::from(c.day)),
        ("day_of_week", |c| f64::from(c.weekday)),
        ("day_of_year", |c| f64::from(c.yday)),
        ("days_in_month", |c| f64::from(days_in_month(c.year, c.month))),
    ];
    fields
        .into_iter()
        .map(|(name, field)| custom(name, DateFactory { field }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_fields() {
        let c = civil(0);
        assert_eq!((c.year, c.month, c.day, c.weekday, c.yday), (1970, 1, 1, 4, 1));
        // 2024-02-29T13:45:00Z, a Thursday, day 60 of a leap year.
        let c = civil(1_709_214_300);
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute), (2024, 2, 29, 13, 45));
        assert_eq!((c.weekday, c.yday, days_in_month(c.year, c.month)), (4, 60, 29));
        // 1969-12-31T23:59:59Z.
        let c = civil(-1);
        assert_eq!((c.year, c.month, c.day, c.hour, c.weekday), (1969, 12, 31, 23, 3));
        // 0001-01-01, a Monday.
        let c = civil(-62_135_596_800);
        assert_eq!((c.year, c.month, c.day, c.weekday, c.yday), (1, 1, 1, 1, 1));
    }

    #[test]
    fn out_of_range_times_wrap_as_in_go() {
        // Go's int64(NaN) and int64(±Inf) are math.MinInt64, whose date Go computes after
        // wrapping around its absolute zero: Prometheus 2.42 answers day_of_month(NaN) with 4.
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e19] {
            assert_eq!(go_int64(v), i64::MIN, "{v}");
        }
        assert_eq!((go_int64(-1.9), go_int64(1e18)), (-1, 1_000_000_000_000_000_000));
        let c = civil(i64::MIN);
        assert_eq!((c.year, c.month, c.day), (292_277_026_596, 12, 4));
        let c = civil(i64::MAX);
        assert_eq!((c.year, c.month, c.day), (292_277_026_596, 12, 4));
        let c = civil(1_000_000_000_000_000);
        assert_eq!((c.year, c.month, c.day), (31_690_708, 7, 5));
    }
}
