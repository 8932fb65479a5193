//! Statistical `*_over_time` functions: `stddev`, `stdvar`, `quantile`, `mad`, which look at
//! the float samples of a window only (histograms are ignored with an info).

use crate::error::Result;
use crate::functions::common::go_format_g;
use crate::functions::kahan::kahan_inc;
use crate::functions::over_time::floats_only;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::operator::{RangeStep, Window};
use crate::types::FPoint;

/// The warning for a quantile outside `[0, 1]`.
pub(crate) fn invalid_quantile_warning(q: f64) -> String {
    format!("quantile value should be between 0 and 1, got {}", go_format_g(q))
}

/// `stddev_over_time` (`sqrt`) and `stdvar_over_time`.
pub struct Variance {
    /// Return the standard deviation instead of the variance.
    pub sqrt: bool,
}

impl RangeFunction for Variance {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        floats_only(w, cx, |f, _| {
            let v = variance(f);
            Some(if self.sqrt { v.sqrt() } else { v })
        })
    }
}

/// Population variance with Welford's method and Kahan-compensated accumulators.
pub fn variance(floats: Window<'_, FPoint>) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in floats.iter() {
        count += 1.0;
        let delta = p.f - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (p.f - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

/// `quantile_over_time(q, m)`.
pub struct QuantileOverTime;

impl RangeFunction for QuantileOverTime {
    fn scalar_args(&self) -> usize {
        1
    }

    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let q = cx.args.first().copied().unwrap_or(f64::NAN);
        if w.floats.is_empty() {
            return Ok(None);
        }
        if q.is_nan() || !(0.0..=1.0).contains(&q) {
            cx.warn(invalid_quantile_warning(q));
        }
        floats_only(w, cx, |f, cx| {
            cx.scratch.clear();
            cx.scratch.extend(f.iter().map(|p| p.f));
            Some(quantile(q, cx.scratch))
        })
    }
}

/// `mad_over_time`: the median of absolute deviations from the median.
pub struct MadOverTime;

impl RangeFunction for MadOverTime {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        floats_only(w, cx, |f, cx| {
            if f.iter().any(|p| p.f.is_nan()) {
                // A NaN sample makes the deviation undefined (Prometheus returns NaN).
                return Some(f64::NAN);
            }
            cx.scratch.clear();
            cx.scratch.extend(f.iter().map(|p| p.f));
            let median = quantile(0.5, cx.scratch);
            cx.scratch.clear();
            cx.scratch.extend(f.iter().map(|p| (p.f - median).abs()));
            Some(quantile(0.5, cx.scratch))
        })
    }
}

/// The `q`-quantile of `values` (sorted in place, NaN first) with linear interpolation
/// between the closest ranks, as Prometheus's `quantile`; NaN for no values or NaN `q`,
/// ∓Inf for `q` below 0 / above 1.
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.total_cmp(b),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    let at = |i: f64| values.get(i as usize).copied().unwrap_or(f64::NAN);
    at(lower) * (1.0 - weight) + at(upper) * weight
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::{float, points, run};

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(0.5, &mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(quantile(0.0, &mut [4.0, 1.0]), 1.0);
        assert_eq!(quantile(1.5, &mut [4.0]), f64::INFINITY);
        assert!(quantile(0.5, &mut []).is_nan());
    }

    #[test]
    fn quantile_over_time_warns_on_bad_q() {
        let (out, ann) = run(&QuantileOverTime, &points(&[(1, 1.0), (2, 2.0)]), 2, 2, &[1.5]);
        assert_eq!(out.ok().flatten(), Some(StepValue::Float(f64::INFINITY)));
        let msgs: Vec<_> = ann.iter().map(|a| a.msg.clone()).collect();
        assert_eq!(msgs, ["quantile value should be between 0 and 1, got 1.5"]);
    }

    #[test]
    fn variance_and_mad() {
        let s = [
            (1, 2.0),
            (2, 4.0),
            (3, 4.0),
            (4, 4.0),
            (5, 5.0),
            (6, 5.0),
            (7, 7.0),
            (8, 9.0),
        ];
        assert!((float(&Variance { sqrt: false }, &s, 8, 8, &[]) - 4.0).abs() < 1e-12);
        assert!((float(&Variance { sqrt: true }, &s, 8, 8, &[]) - 2.0).abs() < 1e-12);
        assert_eq!(float(&MadOverTime, &s, 8, 8, &[]), 0.5);
    }
}
