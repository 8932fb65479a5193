//! Checks of an aggregation's scalar parameter over all steps, in Prometheus's order and with
//! its texts (`rangeEvalAgg`): `topk`/`bottomk`/`limitk` answer nothing when every k is below
//! 1 and fail on NaN or values outside int64; `limit_ratio` answers nothing when every ratio is
//! 0, fails on NaN and warns when capping; `quantile` warns about φ outside [0, 1].

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::error::{Error, Result};
use rill_model::histogram::format_g as go_g;
use rill_promql::PosRange;

/// Go's `math.Max`: NaN wins.
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// Go's `math.Min`: NaN wins.
fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// Extremes of the parameter as Prometheus's `fParams` tracks them (0 when there are none).
fn extremes(values: &[f64]) -> (f64, f64) {
    let mut it = values.iter().copied();
    let Some(first) = it.next() else { return (0.0, 0.0) };
    it.fold((first, first), |(lo, hi), v| (go_min(lo, v), go_max(hi, v)))
}

/// `float64(math.MaxInt64)`, i.e. 2^63.
const MAX_INT64: f64 = 9_223_372_036_854_775_808.0;

/// Validates the k of `topk`/`bottomk`/`limitk`; `Ok(false)` means the result is empty.
pub(super) fn check_k(values: &[f64]) -> Result<bool> {
    let (min, max) = extremes(values);
    if max < 1.0 {
        return Ok(false);
    }
    if values.iter().any(|v| v.is_nan()) {
        return Err(Error::exec("Parameter value is NaN"));
    }
    if min <= -MAX_INT64 {
        return Err(Error::exec(format!("Scalar value {} underflows int64", go_g(min))));
    }
    if max >= MAX_INT64 {
        return Err(Error::exec(format!("Scalar value {} overflows int64", go_g(max))));
    }
    Ok(true)
}

/// The k of one step (`None` when it selects nothing), capped at the number of input series.
pub(super) fn k_at(v: f64, inputs: usize) -> Option<usize> {
    let k = (v as i64).min(i64::try_from(inputs).unwrap_or(i64::MAX));
    (k >= 1).then_some(k as usize)
}

/// Validates `limit_ratio`'s ratio, adding the capping warnings; `Ok(false)` means empty.
pub(super) fn check_ratio(values: &[f64], pos: PosRange, cx: &mut QueryContext) -> Result<bool> {
    let (min, max) = extremes(values);
    if max == 0.0 && min == 0.0 {
        return Ok(false);
    }
    if values.iter().any(|v| v.is_nan()) {
        return Err(Error::exec("Ratio value is NaN"));
    }
    let warn = |got: f64, to: f64| {
        let msg = format!(
            "ratio value should be between -1 and 1, got {}, capping to {}",
            go_g(got),
            go_g(to)
        );
        Annotation::warning(msg, pos)
    };
    if max > 1.0 {
        cx.annotate(warn(max, 1.0));
    }
    if min < -1.0 {
        cx.annotate(warn(min, -1.0));
    }
    Ok(true)
}

/// The ratio of one step (`None` when it is 0), capped to [-1, 1].
pub(super) fn ratio_at(v: f64) -> Option<f64> {
    (v != 0.0).then(|| v.clamp(-1.0, 1.0))
}

/// Adds `quantile`'s warnings about φ outside [0, 1].
pub(super) fn quantile_param_warnings(values: &[f64], pos: PosRange, cx: &mut QueryContext) {
    let (min, max) = extremes(values);
    let warn = |q: f64| {
        Annotation::warning(
            format!("quantile value should be between 0 and 1, got {}", go_g(q)),
            pos,
        )
    };
    if values.iter().any(|v| v.is_nan()) {
        cx.annotate(warn(f64::NAN));
    }
    if max > 1.0 {
        cx.annotate(warn(max));
    }
    if min < 0.0 {
        cx.annotate(warn(min));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_checks_follow_prometheus_order() {
        assert!(!check_k(&[0.0, 0.5]).unwrap());
        assert_eq!(check_k(&[f64::NAN]).unwrap_err().to_string(), "Parameter value is NaN");
        assert_eq!(
            check_k(&[0.0, f64::NAN]).unwrap_err().to_string(),
            "Parameter value is NaN"
        );
        assert_eq!(
            check_k(&[1e19]).unwrap_err().to_string(),
            "Scalar value 1e+19 overflows int64"
        );
        assert_eq!(
            check_k(&[2.0, -1e19]).unwrap_err().to_string(),
            "Scalar value -1e+19 underflows int64"
        );
        assert!(check_k(&[9999999999.0]).unwrap());
        assert_eq!(k_at(2.9, 10), Some(2));
        assert_eq!(k_at(9999999999.0, 3), Some(3));
        assert_eq!(k_at(0.9, 3), None);
    }

    #[test]
    fn ratio_checks_warn_when_capping() {
        let mut cx = QueryContext::unlimited();
        let pos = PosRange::new(18, 21);
        assert!(!check_ratio(&[0.0], pos, &mut cx).unwrap());
        assert_eq!(
            check_ratio(&[f64::NAN], pos, &mut cx).unwrap_err().to_string(),
            "Ratio value is NaN"
        );
        assert!(check_ratio(&[1.1], pos, &mut cx).unwrap());
        let texts: Vec<_> = cx.annotations.iter().map(|a| a.msg.clone()).collect();
        assert_eq!(texts, ["ratio value should be between -1 and 1, got 1.1, capping to 1"]);
        assert_eq!(ratio_at(-1.5), Some(-1.0));
        assert_eq!(ratio_at(0.0), None);
    }
}
