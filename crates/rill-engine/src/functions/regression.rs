//! `deriv` and `predict_linear`: least-squares linear regression over a window's floats.

use crate::error::Result;
use crate::functions::kahan::kahan_inc;
use crate::functions::over_time::histograms_ignored_info;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::operator::{RangeStep, Window};
use crate::types::FPoint;

/// `deriv(m)` (`predict: false`) and `predict_linear(m, t)` (`predict: true`).
pub struct LinearRegression {
    /// Predict the value `t` seconds after the step instead of returning the slope.
    pub predict: bool,
}

impl RangeFunction for LinearRegression {
    fn scalar_args(&self) -> usize {
        usize::from(self.predict)
    }

    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        if w.floats.len() < 2 {
            if w.floats.len() == 1 && !w.histograms.is_empty() {
                cx.info(histograms_ignored_info(cx.metric_name));
            }
            return Ok(None);
        }
        if !w.histograms.is_empty() {
            cx.info(histograms_ignored_info(cx.metric_name));
        }
        let v = if self.predict {
            // The intercept is taken at the step time, which keeps the x values small.
            let (slope, intercept) = linear_regression(w.floats, w.step_time);
            let duration = cx.args.first().copied().unwrap_or(f64::NAN);
            slope * duration + intercept
        } else {
            let t0 = w.floats.first().map_or(0, |p| p.t);
            linear_regression(w.floats, t0).0
        };
        Ok(Some(StepValue::Float(v)))
    }
}

/// Slope (per second) and the intercept at `intercept_time` (ms) of the least-squares line
/// through the points; a constant series has slope 0 (NaN when the constant is infinite).
pub fn linear_regression(floats: Window<'_, FPoint>, intercept_time: i64) -> (f64, f64) {
    let init_y = floats.first().map_or(f64::NAN, |p| p.f);
    let mut const_y = true;
    let (mut n, mut sx, mut cx, mut sy, mut cy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sxy, mut cxy, mut sx2, mut cx2) = (0.0, 0.0, 0.0, 0.0);
    for p in floats.iter() {
        if const_y && p.f != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_time) as f64 / 1e3;
        (sx, cx) = kahan_inc(x, sx, cx);
        (sy, cy) = kahan_inc(p.f, sy, cy);
        (sxy, cxy) = kahan_inc(x * p.f, sxy, cxy);
        (sx2, cx2) = kahan_inc(x * x, sx2, cx2);
    }
    if const_y {
        return if init_y.is_infinite() {
            (f64::NAN, f64::NAN)
        } else {
            (0.0, init_y)
        };
    }
    let (sx, sy, sxy, sx2) = (sx + cx, sy + cy, sxy + cxy, sx2 + cx2);
    let cov_xy = sxy - sx * sy / n;
    let var_x = sx2 - sx * sx / n;
    let slope = cov_xy / var_x;
    (slope, sy / n - slope * sx / n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::float;

    #[test]
    fn slope_and_prediction() {
        let s = [(0, 1.0), (10, 2.0), (20, 3.0)];
        assert!((float(&LinearRegression { predict: false }, &s, 20, 30, &[]) - 0.1).abs() < 1e-12);
        // At t=20s the line is 3; 100s later it is 13.
        let p = float(&LinearRegression { predict: true }, &s, 20, 30, &[100.0]);
        assert!((p - 13.0).abs() < 1e-9, "{p}");
    }

    #[test]
    fn constant_series() {
        let s = [(0, 5.0), (10, 5.0)];
        assert_eq!(float(&LinearRegression { predict: false }, &s, 10, 30, &[]), 0.0);
        let inf = [(0, f64::INFINITY), (10, f64::INFINITY)];
        assert!(float(&LinearRegression { predict: true }, &inf, 10, 30, &[1.0]).is_nan());
    }
}
