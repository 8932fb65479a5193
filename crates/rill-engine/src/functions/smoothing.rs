//! `double_exponential_smoothing(m, sf, tf)` (Holt's linear method) over a window's floats.

use crate::error::{Error, Result};
use crate::functions::over_time::histograms_ignored_info;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::operator::{RangeStep, Window};
use crate::types::FPoint;

/// `double_exponential_smoothing` with a smoothing and a trend factor, both in `(0, 1)`.
pub struct DoubleExponentialSmoothing;

impl RangeFunction for DoubleExponentialSmoothing {
    fn scalar_args(&self) -> usize {
        2
    }

    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let sf = cx.args.first().copied().unwrap_or(f64::NAN);
        let tf = cx.args.get(1).copied().unwrap_or(f64::NAN);
        if !(sf > 0.0 && sf < 1.0) {
            return Err(Error::exec(format!(
                "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
            )));
        }
        if !(tf > 0.0 && tf < 1.0) {
            return Err(Error::exec(format!(
                "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
            )));
        }
        if w.floats.len() < 2 {
            if w.floats.len() == 1 && !w.histograms.is_empty() {
                cx.info(histograms_ignored_info(cx.metric_name));
            }
            return Ok(None);
        }
        if !w.histograms.is_empty() {
            cx.info(histograms_ignored_info(cx.metric_name));
        }
        Ok(smooth(w.floats, sf, tf).map(StepValue::Float))
    }
}

/// The smoothed value after the last sample; `None` with fewer than two samples.
pub fn smooth(floats: Window<'_, FPoint>, sf: f64, tf: f64) -> Option<f64> {
    let first = floats.first()?.f;
    let second = floats.get(1)?.f;
    let (mut s0, mut s1, mut b) = (0.0, first, second - first);
    for (i, p) in floats.iter().enumerate().skip(1) {
        let x = sf * p.f;
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, x + y);
    }
    Some(s1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::{float, points, run};

    #[test]
    fn linear_input_is_followed_exactly() {
        let s = [(0, 0.0), (10, 10.0), (20, 20.0), (30, 30.0)];
        assert!((float(&DoubleExponentialSmoothing, &s, 30, 30, &[0.5, 0.5]) - 30.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_factors() {
        let (out, _) = run(
            &DoubleExponentialSmoothing,
            &points(&[(0, 1.0), (1, 2.0)]),
            1,
            1,
            &[1.0, 0.5],
        );
        let err = out.err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000")
        );
    }
}
