//! `rate`, `increase`, `delta` (extrapolated over the window) and `irate`, `idelta` (last two
//! samples), following Prometheus's `extrapolatedRate` and `instantValue` for float samples.

use crate::error::Result;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::operator::{RangeStep, Window};
use crate::types::FPoint;

/// The warning for windows mixing floats and histograms.
pub(crate) fn mixed_warning(metric_name: &str) -> String {
    format!("encountered a mix of histograms and floats for metric name {metric_name:?}")
}

/// `rate` (`counter`, `per_second`), `increase` (`counter`) and `delta` (neither).
pub struct ExtrapolatedRate {
    /// Counter semantics: resets are compensated and extrapolation stops at zero.
    pub counter: bool,
    /// Divide by the range in seconds.
    pub per_second: bool,
}

impl RangeFunction for ExtrapolatedRate {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        if !w.floats.is_empty() && !w.histograms.is_empty() {
            cx.warn(mixed_warning(cx.metric_name));
            return Ok(None);
        }
        Ok(extrapolated_rate(
            w.floats,
            w.range_start,
            w.range_end,
            cx.range_ms,
            self.counter,
            self.per_second,
        )
        .map(StepValue::Float))
    }

    fn series_done(&self, produced_floats: bool, cx: &mut StepContext<'_>) {
        if self.counter && produced_floats && !cx.metric_name.is_empty() && !looks_like_counter(cx.metric_name) {
            cx.info(format!(
                "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {:?}",
                cx.metric_name
            ));
        }
    }
}

fn looks_like_counter(name: &str) -> bool {
    ["_total", "_sum", "_count", "_bucket"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The extrapolated increase (or rate) of float samples over `(range_start, range_end]`;
/// `None` with fewer than two samples.
pub fn extrapolated_rate(
    floats: Window<'_, FPoint>,
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    counter: bool,
    per_second: bool,
) -> Option<f64> {
    let (first, last) = (floats.first()?, floats.last()?);
    let n_minus_one = floats.len().checked_sub(1).filter(|&n| n > 0)?;
    let mut result = last.f - first.f;
    if counter {
        let mut prev = first.f;
        for p in floats.iter().skip(1) {
            if p.f < prev {
                result += prev;
            }
            prev = p.f;
        }
    }
    let mut to_start = (first.t - range_start) as f64 / 1000.0;
    let mut to_end = (range_end - last.t) as f64 / 1000.0;
    let sampled = (last.t - first.t) as f64 / 1000.0;
    let avg_gap = sampled / n_minus_one as f64;
    let threshold = avg_gap * 1.1;
    if to_start >= threshold {
        to_start = avg_gap / 2.0;
    }
    if counter && result > 0.0 && first.f >= 0.0 {
        // Counters start at zero: never extrapolate below it.
        let to_zero = sampled * (first.f / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg_gap / 2.0;
    }
    let mut factor = (sampled + to_start + to_end) / sampled;
    if per_second {
        factor /= range_ms as f64 / 1000.0;
    }
    Some(result * factor)
}

/// `irate` (`per_second`) and `idelta`: from the last two samples of the window.
pub struct InstantRate {
    /// Counter semantics and per-second result (`irate`).
    pub per_second: bool,
}

impl RangeFunction for InstantRate {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        if w.floats.len() + w.histograms.len() < 2 {
            return Ok(None);
        }
        // The last two samples by time decide: two floats are computed here, two histograms
        // are not supported yet (no output), a float and a histogram are a mix.
        let last_h = w.histograms.last().map(|h| h.t);
        let prev_h = w
            .histograms
            .len()
            .checked_sub(2)
            .and_then(|i| w.histograms.get(i))
            .map(|h| h.t);
        let b = w.floats.last();
        let a = w.floats.len().checked_sub(2).and_then(|i| w.floats.get(i));
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) if last_h.is_none_or(|th| th < a.t) => (*a, *b),
            (_, Some(b)) if last_h.is_some_and(|th| th > b.t) && prev_h.is_some_and(|th| th > b.t) => {
                return Ok(None);
            }
            (_, None) => return Ok(None),
            _ => {
                cx.warn(mixed_warning(cx.metric_name));
                return Ok(None);
            }
        };
        Ok(instant_value(a, b, self.per_second).map(StepValue::Float))
    }
}

/// `irate`/`idelta` of two consecutive float samples; `None` when they share a timestamp.
pub fn instant_value(a: FPoint, b: FPoint, per_second: bool) -> Option<f64> {
    let interval = b.t - a.t;
    if interval == 0 {
        return None;
    }
    let mut v = b.f;
    if !per_second || b.f >= a.f || b.f.is_nan() || a.f.is_nan() {
        v = b.f - a.f;
    }
    if per_second {
        v /= interval as f64 / 1000.0;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::{float, run};

    #[test]
    fn rate_extrapolates_to_window_edges() {
        // Samples every 10s from 10s to 290s, value = 10 * t/10; window (0, 300].
        let samples: Vec<(i64, f64)> = (1..30).map(|i| (i * 10, i as f64 * 10.0)).collect();
        let rate = ExtrapolatedRate {
            counter: true,
            per_second: true,
        };
        let v = float(&rate, &samples, 300, 300, &[]);
        // 280 over 280s sampled, extrapolated by 10s at each end (zero point limits the start).
        assert!((v - 1.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn increase_handles_counter_resets() {
        let inc = ExtrapolatedRate {
            counter: true,
            per_second: false,
        };
        // 0,10,20 then reset to 5,15: raw increase 15 + 20 = 35 over 40s sampled, window 40s wide.
        let samples = [(10, 0.0), (20, 10.0), (30, 20.0), (40, 5.0), (50, 15.0)];
        let v = float(&inc, &samples, 50, 40, &[]);
        // Starting at value 0 bounds extrapolation at the start (to_zero = 0).
        assert!((v - 35.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn delta_does_not_compensate_resets_and_goes_negative() {
        let delta = ExtrapolatedRate {
            counter: false,
            per_second: false,
        };
        let v = float(&delta, &[(10, 10.0), (20, 0.0)], 20, 20, &[]);
        // -10 over 10s sampled; the start (10s away) is within 1.1 gaps so it extrapolates fully: -20.
        assert!((v + 20.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn rate_needs_two_samples() {
        let rate = ExtrapolatedRate {
            counter: true,
            per_second: true,
        };
        let (out, _) = run(
            &rate,
            &crate::functions::range_function::testing::points(&[(1, 1.0)]),
            5,
            5,
            &[],
        );
        assert_eq!(out.ok().flatten(), None);
    }

    #[test]
    fn irate_and_idelta() {
        let a = FPoint { t: 0, f: 10.0 };
        let b = FPoint { t: 2000, f: 4.0 };
        assert_eq!(
            instant_value(a, b, true),
            Some(2.0),
            "reset: the new value counts from zero"
        );
        assert_eq!(instant_value(a, b, false), Some(-6.0));
        assert_eq!(instant_value(a, FPoint { t: 0, f: 1.0 }, true), None);
    }
}
