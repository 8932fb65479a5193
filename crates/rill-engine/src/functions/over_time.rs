//! The simple `*_over_time` family: `sum`, `avg`, `count`, `min`, `max`, `last`, `first`,
//! `present`, and the `ts_of_*` variants, with Prometheus's float algorithms (Kahan sums,
//! the overflow-safe mean) and its handling of windows that also hold histograms.

use std::sync::Arc;

use crate::error::Result;
use crate::functions::histogram_over_time::histogram_sum_or_mean;
use crate::functions::kahan::kahan_inc;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::functions::rate::mixed_warning;
use crate::operator::{RangeStep, Window};
use crate::types::FPoint;

/// The info for functions that ignore histograms in a window that also holds floats.
pub(crate) fn histograms_ignored_info(metric_name: &str) -> String {
    format!("ignored histograms in a range containing both floats and histograms for metric name {metric_name:?}")
}

/// Calls `f` on the window's floats, adding Prometheus's info when histograms were ignored;
/// windows without floats give no output.
pub(crate) fn floats_only(
    w: &RangeStep<'_>,
    cx: &mut StepContext<'_>,
    f: impl FnOnce(Window<'_, FPoint>, &mut StepContext<'_>) -> Option<f64>,
) -> Result<Option<StepValue>> {
    if w.floats.is_empty() {
        return Ok(None);
    }
    if !w.histograms.is_empty() {
        cx.info(histograms_ignored_info(cx.metric_name));
    }
    Ok(f(w.floats, cx).map(StepValue::Float))
}

/// Which simple aggregation over a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverTime {
    /// `sum_over_time`.
    Sum,
    /// `avg_over_time`.
    Avg,
    /// `count_over_time` (floats and histograms).
    Count,
    /// `min_over_time`.
    Min,
    /// `max_over_time`.
    Max,
    /// `last_over_time` (keeps the name).
    Last,
    /// `first_over_time` (keeps the name).
    First,
    /// `present_over_time`.
    Present,
    /// `ts_of_min_over_time`: time of the last minimum.
    TsOfMin,
    /// `ts_of_max_over_time`: time of the last maximum.
    TsOfMax,
    /// `ts_of_first_over_time`.
    TsOfFirst,
    /// `ts_of_last_over_time`.
    TsOfLast,
}

impl RangeFunction for OverTime {
    fn keeps_name(&self) -> bool {
        matches!(self, OverTime::Last | OverTime::First)
    }

    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let float = |v: f64| Ok(Some(StepValue::Float(v)));
        match self {
            OverTime::Sum | OverTime::Avg => {
                if !w.histograms.is_empty() {
                    if !w.floats.is_empty() {
                        cx.warn(mixed_warning(cx.metric_name));
                        return Ok(None);
                    }
                    let h = histogram_sum_or_mean(w.histograms, *self == OverTime::Avg, cx);
                    return Ok(h.map(|h| StepValue::Histogram(Arc::new(h))));
                }
                let v = if *self == OverTime::Sum {
                    sum(w.floats)
                } else {
                    mean(w.floats)
                };
                float(v)
            }
            OverTime::Count => float((w.floats.len() + w.histograms.len()) as f64),
            OverTime::Present => float(1.0),
            OverTime::Min => floats_only(w, cx, |f, _| extreme(f, |cur, best| cur < best).map(|p| p.f)),
            OverTime::Max => floats_only(w, cx, |f, _| extreme(f, |cur, best| cur > best).map(|p| p.f)),
            OverTime::TsOfMin => floats_only(w, cx, |f, _| extreme(f, |cur, best| cur <= best).map(secs)),
            OverTime::TsOfMax => floats_only(w, cx, |f, _| extreme(f, |cur, best| cur >= best).map(secs)),
            OverTime::Last => {
                let (f, h) = (w.floats.last(), w.histograms.last());
                Ok(match (f, h) {
                    (Some(f), Some(h)) if h.t < f.t => Some(StepValue::Float(f.f)),
                    (_, Some(h)) => Some(StepValue::Histogram(h.h.clone())),
                    (Some(f), None) => Some(StepValue::Float(f.f)),
                    (None, None) => None,
                })
            }
            OverTime::First => {
                let (f, h) = (w.floats.first(), w.histograms.first());
                Ok(match (f, h) {
                    (Some(f), Some(h)) if f.t < h.t => Some(StepValue::Float(f.f)),
                    (_, Some(h)) => Some(StepValue::Histogram(h.h.clone())),
                    (Some(f), None) => Some(StepValue::Float(f.f)),
                    (None, None) => None,
                })
            }
            OverTime::TsOfFirst => {
                let tf = w.floats.first().map_or(i64::MAX, |p| p.t);
                let th = w.histograms.first().map_or(i64::MAX, |p| p.t);
                float(tf.min(th) as f64 / 1000.0)
            }
            OverTime::TsOfLast => {
                let tf = w.floats.last().map_or(0, |p| p.t);
                let th = w.histograms.last().map_or(0, |p| p.t);
                float(tf.max(th) as f64 / 1000.0)
            }
        }
    }
}

fn secs(p: FPoint) -> f64 {
    p.t as f64 / 1000.0
}

/// The sample that wins `better(candidate, best)` over the window; NaN never stays the best
/// once a number is seen, as in Prometheus's `compareOverTime`.
fn extreme(floats: Window<'_, FPoint>, better: impl Fn(f64, f64) -> bool) -> Option<FPoint> {
    let mut best = *floats.first()?;
    for p in floats.iter() {
        if better(p.f, best.f) || best.f.is_nan() {
            best = *p;
        }
    }
    Some(best)
}

/// Kahan sum of the window's floats.
pub fn sum(floats: Window<'_, FPoint>) -> f64 {
    let (mut s, mut c) = (0.0, 0.0);
    for p in floats.iter() {
        (s, c) = kahan_inc(p.f, s, c);
    }
    if s.is_infinite() { s } else { s + c }
}

/// Mean of the window's floats: a Kahan-compensated direct sum while it stays finite,
/// switching to an incremental mean on overflow (Prometheus's `avg_over_time`).
pub fn mean(floats: Window<'_, FPoint>) -> f64 {
    let mut it = floats.iter();
    let Some(first) = it.next() else {
        return f64::NAN;
    };
    let (mut sum, mut c, mut count) = (first.f, 0.0, 1.0);
    let (mut mean, mut incremental) = (0.0, false);
    for p in it {
        count += 1.0;
        if !incremental {
            let (s, nc) = kahan_inc(p.f, sum, c);
            if !s.is_infinite() {
                (sum, c) = (s, nc);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(p.f / count, q * mean, q * c);
    }
    if incremental { mean + c } else { sum / count + c / count }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::float;

    #[test]
    fn sums_and_means() {
        let s = [(1, 1.0), (2, 2.0), (3, 4.0)];
        assert_eq!(float(&OverTime::Sum, &s, 3, 3, &[]), 7.0);
        assert!((float(&OverTime::Avg, &s, 3, 3, &[]) - 7.0 / 3.0).abs() < 1e-15);
        assert_eq!(float(&OverTime::Count, &s, 3, 3, &[]), 3.0);
        assert_eq!(float(&OverTime::Last, &s, 3, 3, &[]), 4.0);
        assert_eq!(float(&OverTime::First, &s, 3, 3, &[]), 1.0);
    }

    #[test]
    fn mean_survives_overflow() {
        let s = [(1, f64::MAX), (2, f64::MAX), (3, f64::MAX)];
        let m = float(&OverTime::Avg, &s, 3, 3, &[]);
        assert!(m.is_finite() && (m / f64::MAX - 1.0).abs() < 1e-12, "{m}");
    }

    #[test]
    fn min_max_skip_nan_and_timestamps_pick_last_tie() {
        let s = [(1, f64::NAN), (2, 3.0), (3, 1.0), (4, 3.0)];
        assert_eq!(float(&OverTime::Max, &s, 4, 4, &[]), 3.0);
        assert_eq!(float(&OverTime::Min, &s, 4, 4, &[]), 1.0);
        assert_eq!(float(&OverTime::TsOfMax, &s, 4, 4, &[]), 4.0);
        assert_eq!(float(&OverTime::TsOfMin, &s, 4, 4, &[]), 3.0);
        assert_eq!(float(&OverTime::TsOfFirst, &s, 4, 4, &[]), 1.0);
    }
}
