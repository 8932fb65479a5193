//! `rate`, `increase`, `delta` (extrapolated over the window) and `irate`, `idelta` (last two
//! samples), following Prometheus's `extrapolatedRate` and `instantValue`; histogram windows go
//! through [`crate::functions::histogram_rate`], `anchored` / `smoothed` ranges through
//! [`crate::functions::extended_rate`]. Start timestamps, when a window has them, mark
//! counter resets and, for counters, where the counter started: a first sample whose start
//! lies inside the window counts from zero at that start instead of being extrapolated.

use std::sync::Arc;

use rill_promql::RangeMode;

use crate::error::Result;
use crate::functions::extended_rate::ExtendedRate;
use crate::functions::histogram_rate::{histogram_increase, histogram_instant};
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::functions::start_time;
use crate::operator::{RangeStep, Window};
use crate::types::{FPoint, HPoint};

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
    /// How the range argument was selected: `anchored` / `smoothed` ranges are measured
    /// between their bounds instead of extrapolated.
    pub mode: RangeMode,
}

impl ExtrapolatedRate {
    /// The step of a classic range over histograms (with their start timestamps, if any).
    fn histograms(
        &self,
        w: &RangeStep<'_>,
        sts: Option<Window<'_, i64>>,
        cx: &mut StepContext<'_>,
    ) -> Option<StepValue> {
        let (first, last) = (w.histograms.first()?, w.histograms.last()?);
        let mut increase = if w.histograms.len() > 1 {
            Some(histogram_increase(w.histograms, sts, self.counter, cx)?)
        } else {
            None
        };
        let start = self
            .counter
            .then(|| counter_start(start_time::at(sts, 0), w.range_start, first.t))
            .flatten();
        if start.is_some() {
            // The counter was zero at its start: the first histogram is all increase.
            match increase.as_mut() {
                None => increase = Some((*first.h).clone()),
                Some(h) => {
                    if h.add(&first.h).is_err() {
                        cx.warn(crate::functions::histogram_annotations::mixed_exponential_custom(
                            cx.metric_name,
                        ));
                        return None;
                    }
                }
            }
        }
        let mut h = increase?;
        let span = Extrapolation {
            first_t: first.t,
            last_t: last.t,
            samples: w.histograms.len(),
            first_value: first.h.count,
            increase: h.count,
            start,
        };
        h.mul(span.factor(w.range_start, w.range_end, cx.range_ms, self.counter, self.per_second));
        Some(StepValue::Histogram(Arc::new(h)))
    }

    /// The step of an `anchored` / `smoothed` range.
    fn extended(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Option<StepValue> {
        let rate = ExtendedRate {
            smoothed: self.mode == RangeMode::Smoothed,
            counter: self.counter,
            per_second: self.per_second,
        };
        if w.histograms.is_empty() {
            rate.floats(&w.floats, w.range_start, w.range_end, cx.range_ms)
                .map(StepValue::Float)
        } else {
            rate.histograms(&w.histograms, w.range_start, w.range_end, cx.range_ms, cx)
                .map(|h| StepValue::Histogram(Arc::new(h)))
        }
    }
}

impl RangeFunction for ExtrapolatedRate {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        if !w.floats.is_empty() && !w.histograms.is_empty() {
            cx.warn(mixed_warning(cx.metric_name));
            return Ok(None);
        }
        if self.mode != RangeMode::Classic {
            return Ok(self.extended(w, cx));
        }
        let sts = w.start_timestamps;
        if !w.histograms.is_empty() {
            return Ok(self.histograms(w, sts.map(|s| s.histograms), cx));
        }
        let floats = sts.map(|s| s.floats);
        let (value, overlap) = extrapolated_rate_with_starts(
            w.floats,
            floats,
            w.range_start,
            w.range_end,
            cx.range_ms,
            self.counter,
            self.per_second,
        );
        if overlap {
            cx.warn(start_time::overlap_warning(cx.metric_name));
        }
        Ok(value.map(StepValue::Float))
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
    extrapolated_rate_with_starts(floats, None, range_start, range_end, range_ms, counter, per_second).0
}

/// [`extrapolated_rate`] with the samples' start timestamps, if any: for counters they also
/// mark resets, and a first sample starting inside the window counts from zero at its start
/// (then a single sample suffices). Also says whether some sample's start overlaps the
/// previous sample (worth a warning).
pub fn extrapolated_rate_with_starts(
    floats: Window<'_, FPoint>,
    sts: Option<Window<'_, i64>>,
    range_start: i64,
    range_end: i64,
    range_ms: i64,
    counter: bool,
    per_second: bool,
) -> (Option<f64>, bool) {
    let (Some(first), Some(last)) = (floats.first(), floats.last()) else {
        return (None, false);
    };
    let mut result = last.f - first.f;
    let mut overlap = false;
    let mut start = None;
    if counter {
        for (i, (prev, p)) in floats.iter().zip(floats.iter().skip(1)).enumerate() {
            let (prev_st, st) = (start_time::at(sts, i), start_time::at(sts, i + 1));
            overlap = overlap || start_time::overlaps(prev_st, prev.t, st);
            if p.f < prev.f || start_time::is_reset(prev_st, prev.t, st, p.t) {
                result += prev.f;
            }
        }
        start = counter_start(start_time::at(sts, 0), range_start, first.t);
        if start.is_some() {
            // The counter was zero at its start: the first value is all increase.
            result += first.f;
        }
    }
    if start.is_none() && floats.len() < 2 {
        return (None, overlap);
    }
    let span = Extrapolation {
        first_t: first.t,
        last_t: last.t,
        samples: floats.len(),
        first_value: first.f,
        increase: result,
        start,
    };
    (
        Some(result * span.factor(range_start, range_end, range_ms, counter, per_second)),
        overlap,
    )
}

/// The start timestamp `st` of a window's first sample (at `first_t`) when it lies inside
/// the window and before the sample, so the counter can be taken as zero there.
fn counter_start(st: i64, range_start: i64, first_t: i64) -> Option<i64> {
    (st != 0 && st > range_start && st < first_t).then_some(st)
}

/// What extrapolating a window's increase to the window's edges needs to know.
struct Extrapolation {
    first_t: i64,
    last_t: i64,
    /// Number of samples (at least two).
    samples: usize,
    /// The first sample's value (a histogram's count).
    first_value: f64,
    /// The increase between the first and last sample (a histogram's count).
    increase: f64,
    /// Where the counter started (zero) inside the window, from the first sample's start
    /// timestamp: the increase is measured from there instead of extrapolated to the start.
    start: Option<i64>,
}

impl Extrapolation {
    /// The factor to multiply the increase by: extrapolate to the edges when the samples are
    /// close enough to them (else by half an average gap), never below zero for counters, and
    /// per second when asked.
    fn factor(&self, range_start: i64, range_end: i64, range_ms: i64, counter: bool, per_second: bool) -> f64 {
        let mut to_start = (self.first_t - range_start) as f64 / 1000.0;
        let mut to_end = (range_end - self.last_t) as f64 / 1000.0;
        let mut sampled = (self.last_t - self.first_t) as f64 / 1000.0;
        let avg_gap = sampled / self.samples.saturating_sub(1).max(1) as f64;
        let threshold = avg_gap * 1.1;
        if let Some(start) = self.start {
            to_start = 0.0;
            sampled = (self.last_t - start) as f64 / 1000.0;
        } else {
            if to_start >= threshold {
                to_start = avg_gap / 2.0;
            }
            if counter && self.increase > 0.0 && self.first_value >= 0.0 {
                // Counters start at zero: never extrapolate below it.
                let to_zero = sampled * (self.first_value / self.increase);
                if to_zero < to_start {
                    to_start = to_zero;
                }
            }
        }
        if to_end >= threshold {
            to_end = avg_gap / 2.0;
        }
        let mut factor = if sampled != 0.0 {
            (sampled + to_start + to_end) / sampled
        } else {
            1.0
        };
        if per_second {
            factor /= range_ms as f64 / 1000.0;
        }
        factor
    }
}

/// `irate` (`per_second`) and `idelta`: from the last two samples of the window.
pub struct InstantRate {
    /// Counter semantics and per-second result (`irate`).
    pub per_second: bool,
}

/// One of the last two samples of a window.
#[derive(Clone, Copy)]
enum Last<'a> {
    Float(FPoint),
    Histogram(&'a HPoint),
}

impl Last<'_> {
    fn t(&self) -> i64 {
        match self {
            Last::Float(p) => p.t,
            Last::Histogram(p) => p.t,
        }
    }
}

/// The last two samples of a window by time, floats and histograms merged (older first),
/// each with its start timestamp (`0` when unknown).
fn last_two<'a>(w: &RangeStep<'a>) -> Option<((Last<'a>, i64), (Last<'a>, i64))> {
    let tail = |n: usize| n.saturating_sub(2)..n;
    let sts = w.start_timestamps;
    let floats = tail(w.floats.len()).filter_map(|i| {
        let st = start_time::at(sts.map(|s| s.floats), i);
        w.floats.get(i).map(|p| (Last::Float(*p), st))
    });
    let histograms = tail(w.histograms.len()).filter_map(|i| {
        let st = start_time::at(sts.map(|s| s.histograms), i);
        w.histograms.get(i).map(|p| (Last::Histogram(p), st))
    });
    let mut four: [Option<(Last<'a>, i64)>; 4] = [None; 4];
    for (slot, s) in four.iter_mut().zip(floats.chain(histograms)) {
        *slot = Some(s);
    }
    four.sort_by_key(|s| s.map(|(s, _)| s.t()));
    match four {
        [.., Some(a), Some(b)] => Some((a, b)),
        _ => None,
    }
}

impl RangeFunction for InstantRate {
    fn step(&self, w: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let Some(((a, a_st), (b, b_st))) = last_two(w) else {
            return Ok(None);
        };
        let interval = b.t() - a.t();
        if interval == 0 {
            return Ok(None);
        }
        let start_reset = start_time::is_reset(a_st, a.t(), b_st, b.t());
        Ok(match (a, b) {
            (Last::Float(a), Last::Float(b)) => instant_value(a, b, self.per_second, start_reset).map(StepValue::Float),
            (Last::Histogram(a), Last::Histogram(b)) => {
                histogram_instant(&a.h, &b.h, interval, self.per_second, start_reset, cx).map(StepValue::Histogram)
            }
            _ => {
                cx.warn(mixed_warning(cx.metric_name));
                None
            }
        })
    }
}

/// `irate`/`idelta` of two consecutive float samples; `None` when they share a timestamp.
/// `start_reset`: their start timestamps show a counter reset (for `irate`).
pub fn instant_value(a: FPoint, b: FPoint, per_second: bool, start_reset: bool) -> Option<f64> {
    let interval = b.t - a.t;
    if interval == 0 {
        return None;
    }
    let mut v = b.f;
    if !per_second || !(b.f < a.f || start_reset) {
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
    use crate::functions::range_function::testing::{float, points, run};

    #[test]
    fn rate_extrapolates_to_window_edges() {
        // Samples every 10s from 10s to 290s, value = 10 * t/10; window (0, 300].
        let samples: Vec<(i64, f64)> = (1..30).map(|i| (i * 10, i as f64 * 10.0)).collect();
        let rate = ExtrapolatedRate {
            counter: true,
            per_second: true,
            mode: RangeMode::Classic,
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
            mode: RangeMode::Classic,
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
            mode: RangeMode::Classic,
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
            mode: RangeMode::Classic,
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
    fn start_timestamps_mark_resets_and_counter_starts() {
        let floats = points(&[(60, 5.0), (120, 6.0)]);
        let w = Window::contiguous(&floats);
        // No start times: 1 over 60s sampled, extrapolated by 60s to each end (range 180s).
        let (plain, overlap) = extrapolated_rate_with_starts(w, None, 0, 180_000, 180_000, true, false);
        assert_eq!((plain, overlap), (Some(3.0), false));
        // The second sample restarted at 90s: its whole value is increase (5 + 6 = 11 in
        // 60s); the first started at 50s, inside the window: +5, measured from there (70s),
        // and still extrapolated by 60s to the end.
        let sts = [50_000, 90_000];
        let (v, overlap) =
            extrapolated_rate_with_starts(w, Some(Window::contiguous(&sts)), 0, 180_000, 180_000, true, false);
        let expected = 11.0 * (70.0 + 60.0) / 70.0;
        assert!((v.unwrap() - expected).abs() < 1e-9, "{v:?}");
        assert!(!overlap);
        // A start before the previous sample that is not its start: overlap.
        let sts = [50_000, 30_000];
        let (_, overlap) =
            extrapolated_rate_with_starts(w, Some(Window::contiguous(&sts)), 0, 180_000, 180_000, true, false);
        assert!(overlap);
        // One sample suffices when its start lies inside the window.
        let one = points(&[(120, 6.0)]);
        let (v, _) = extrapolated_rate_with_starts(
            Window::contiguous(&one),
            Some(Window::contiguous(&[60_000])),
            0,
            180_000,
            180_000,
            true,
            false,
        );
        assert_eq!(v, Some(6.0));
    }

    #[test]
    fn irate_and_idelta() {
        let a = FPoint { t: 0, f: 10.0 };
        let b = FPoint { t: 2000, f: 4.0 };
        assert_eq!(
            instant_value(a, b, true, false),
            Some(2.0),
            "reset: the new value counts from zero"
        );
        assert_eq!(instant_value(a, b, false, false), Some(-6.0));
        assert_eq!(instant_value(a, FPoint { t: 0, f: 1.0 }, true, false), None);
        let c = FPoint { t: 2000, f: 12.0 };
        assert_eq!(instant_value(a, c, true, false), Some(1.0));
        assert_eq!(instant_value(a, c, true, true), Some(6.0), "a start-time reset");
    }
}
