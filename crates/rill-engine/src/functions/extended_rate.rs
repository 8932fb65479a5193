//! `rate`, `increase` and `delta` over `anchored` / `smoothed` ranges (Prometheus's
//! `extendedRate` and `extendedHistogramRate`): instead of extrapolating, the result is the
//! difference between the values at the nominal bounds ([`crate::operators::extended`]),
//! corrected for the counter resets between them, and divided by the range for `rate`.
//!
//! ```text
//!   increase = right - left + Σ(value before each reset strictly inside the bounds)
//! ```
//! A reset that an interpolated bound already spans is not counted again.

use rill_model::{CounterResetHint, FloatHistogram, HistogramError};

use crate::functions::histogram_annotations as notes;
use crate::functions::histogram_rate::combined;
use crate::functions::range_function::StepContext;
use crate::operator::Window;
use crate::operators::extended::{Bounds, bounds, left_value, right_value};
use crate::types::{FPoint, HPoint};

/// What an extended rate computes.
#[derive(Clone, Copy, Debug)]
pub struct ExtendedRate {
    /// Interpolate at the bounds (`smoothed`) instead of picking samples (`anchored`).
    pub smoothed: bool,
    /// Counter semantics: resets are compensated.
    pub counter: bool,
    /// Divide by the range in seconds (`rate`).
    pub per_second: bool,
}

impl ExtendedRate {
    /// The result over float samples; `None` when the window has nothing to measure.
    pub fn floats(&self, w: &Window<'_, FPoint>, range_start: i64, range_end: i64, range_ms: i64) -> Option<f64> {
        let Bounds { mut first, mut last } = bounds(w, range_start, range_end, self.smoothed)?;
        let left = left_value(w, first, range_start, self.smoothed, self.counter)?;
        let right = right_value(w, last, range_end, self.smoothed, self.counter)?;
        let mut result = right - left;
        if self.counter {
            // Only samples strictly inside the bounds can add resets: the bound values
            // already account for resets between them and their neighbours.
            if w.get(first).is_some_and(|p| p.t <= range_start) {
                first += 1;
            }
            if w.get(last).is_some_and(|p| p.t >= range_end) {
                last = last.wrapping_sub(1);
            }
            let inner = (first..last.wrapping_add(1)).filter_map(|i| w.get(i)).map(|p| p.f);
            result += reset_correction(left, right, inner);
        }
        if self.per_second {
            result /= range_ms as f64 / 1000.0;
        }
        Some(result)
    }

    /// The result over histogram samples, as a gauge histogram; `None` (with a warning where
    /// Prometheus gives one) when the window has nothing to measure or the histograms cannot
    /// be combined.
    pub fn histograms(
        &self,
        w: &Window<'_, HPoint>,
        range_start: i64,
        range_end: i64,
        range_ms: i64,
        cx: &mut StepContext<'_>,
    ) -> Option<FloatHistogram> {
        let b = bounds(w, range_start, range_end, self.smoothed)?;
        if !self.validate(w, b, cx) {
            return None;
        }
        let left = self.bound_histogram(w, b.first, range_start, true, cx)?;
        let right = self.bound_histogram(w, b.last, range_end, false, cx)?;
        let is_gauge = |h: &FloatHistogram| h.counter_reset_hint == CounterResetHint::Gauge;
        if !self.counter && (!is_gauge(&left) || !is_gauge(&right)) {
            cx.warn(notes::not_gauge(cx.metric_name));
        }
        let mut result = right.clone();
        if !combined(result.sub(&left), "subtraction", cx) {
            return None;
        }
        if self.counter
            && let Some(correction) = self.histogram_correction(w, b, &left, &right, range_start, cx)?
            && !combined(result.add(&correction), "addition", cx)
        {
            return None;
        }
        if self.per_second {
            result.div(range_ms as f64 / 1000.0);
        }
        result.counter_reset_hint = CounterResetHint::Gauge;
        result.compact(0);
        Some(result)
    }

    /// Checks the histograms between the bounds: one bucket kind only (else a warning and
    /// false), and a warning for gauge histograms under a counter function.
    fn validate(&self, w: &Window<'_, HPoint>, b: Bounds, cx: &mut StepContext<'_>) -> bool {
        let Some(custom) = w.get(b.first).map(|p| p.h.uses_custom_buckets()) else {
            return false;
        };
        for p in (b.first..=b.last).filter_map(|i| w.get(i)) {
            if p.h.uses_custom_buckets() != custom {
                cx.warn(notes::mixed_exponential_custom(cx.metric_name));
                return false;
            }
            if self.counter && p.h.counter_reset_hint == CounterResetHint::Gauge {
                cx.warn(notes::not_counter(cx.metric_name));
            }
        }
        true
    }

    /// The histogram at a bound: the sample at `i`, interpolated at `t` with its neighbour
    /// (the next one for the start, the previous one for the end) when smoothed and the
    /// sample lies outside the nominal window.
    fn bound_histogram(
        &self,
        w: &Window<'_, HPoint>,
        i: usize,
        t: i64,
        start: bool,
        cx: &mut StepContext<'_>,
    ) -> Option<FloatHistogram> {
        let p = w.get(i)?;
        let neighbour = match start {
            true if self.smoothed && p.t < t => Some((p, w.get(i + 1)?)),
            false if self.smoothed && i > 0 && p.t > t => Some((w.get(i - 1)?, p)),
            _ => None,
        };
        let Some((a, b)) = neighbour else {
            return Some((*p.h).clone());
        };
        match interpolate_histograms(a, b, t, self.counter, cx) {
            Ok(h) => Some(h),
            Err(_) => {
                cx.warn(notes::mixed_exponential_custom(cx.metric_name));
                None
            }
        }
    }

    /// The sum of the histograms before each reset strictly between the bounds (`None`
    /// inside when there is none); the outer `None` when combining them failed.
    fn histogram_correction(
        &self,
        w: &Window<'_, HPoint>,
        b: Bounds,
        left: &FloatHistogram,
        right: &FloatHistogram,
        range_start: i64,
        cx: &mut StepContext<'_>,
    ) -> Option<Option<FloatHistogram>> {
        let mut first = b.first + 1;
        let mut prev = left;
        if self.smoothed
            && let (Some(a), Some(next)) = (w.get(b.first), w.get(b.first + 1))
            && a.t < range_start
            && next.h.detect_reset(&a.h)
        {
            // The interpolated start already spans this reset; the sample after it becomes
            // the reference for any reset that follows.
            prev = &next.h;
            first += 1;
        }
        // The last sample is always represented by `right` (a copy, or an interpolation that
        // inherits its reset hint), so it is compared through `right` only.
        if first > b.last {
            return Some(None);
        }
        let mut correction: Option<FloatHistogram> = None;
        let mut add = |h: &FloatHistogram, cx: &mut StepContext<'_>| match correction.as_mut() {
            None => {
                correction = Some(h.clone());
                true
            }
            Some(c) => combined(c.add(h), "addition", cx),
        };
        for p in (first..b.last).filter_map(|i| w.get(i)) {
            if p.h.detect_reset(prev) && !add(prev, cx) {
                return None;
            }
            prev = &p.h;
        }
        if right.detect_reset(prev) && !add(prev, cx) {
            return None;
        }
        Some(correction)
    }
}

/// The float correction for counter resets: the value before every decrease along
/// `left, inner..., right`.
fn reset_correction(left: f64, right: f64, inner: impl Iterator<Item = f64>) -> f64 {
    let mut correction = 0.0;
    let mut prev = left;
    for v in inner.chain(std::iter::once(right)) {
        if v < prev {
            correction += prev;
        }
        prev = v;
    }
    correction
}

/// The histogram between `a` and `b` at `t`: a counter reset between them is modelled as
/// restarting from zero; otherwise linear per bucket. Fails when the two mix exponential and
/// custom buckets.
fn interpolate_histograms(
    a: &HPoint,
    b: &HPoint,
    t: i64,
    counter: bool,
    cx: &mut StepContext<'_>,
) -> Result<FloatHistogram, HistogramError> {
    if t == a.t {
        return Ok((*a.h).clone());
    }
    if t == b.t {
        return Ok((*b.h).clone());
    }
    let fraction = (t - a.t) as f64 / (b.t - a.t) as f64;
    let mut h = (*b.h).clone();
    if counter && b.h.detect_reset(&a.h) {
        h.mul(fraction);
        return Ok(h);
    }
    if h.sub(&a.h)?.nhcb_bounds_reconciled {
        cx.info(notes::reconciled_custom_buckets("subtraction"));
    }
    h.mul(fraction);
    if h.add(&a.h)?.nhcb_bounds_reconciled {
        cx.info(notes::reconciled_custom_buckets("addition"));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(samples: &[(i64, f64)]) -> Vec<FPoint> {
        samples.iter().map(|&(t, f)| FPoint { t: t * 1000, f }).collect()
    }

    fn rate(smoothed: bool, counter: bool) -> ExtendedRate {
        ExtendedRate {
            smoothed,
            counter,
            per_second: false,
        }
    }

    #[test]
    fn anchored_increase_is_right_minus_anchor_plus_resets() {
        // 1m grid: 1 2 3 then a reset to 1 2; window (60s, 240s] anchored at the 60s sample.
        let s = pts(&[(0, 1.0), (60, 2.0), (120, 3.0), (180, 1.0), (240, 2.0)]);
        let w = Window::contiguous(&s);
        assert_eq!(rate(false, true).floats(&w, 60_000, 240_000, 180_000), Some(3.0));
        // delta ignores the reset.
        assert_eq!(rate(false, false).floats(&w, 60_000, 240_000, 180_000), Some(0.0));
    }

    #[test]
    fn smoothed_increase_interpolates_and_counts_inner_resets_once() {
        // Reset between 10s and 20s; window (5s, 15s]: left 7.5, right from zero 1.5.
        let s = pts(&[(0, 5.0), (10, 10.0), (20, 3.0)]);
        let w = Window::contiguous(&s);
        let v = rate(true, true).floats(&w, 5_000, 15_000, 10_000).unwrap();
        assert!((v - 4.0).abs() < 1e-12, "{v}");
    }

    #[test]
    fn nothing_after_the_start_has_no_result() {
        let s = pts(&[(0, 1.0), (60, 2.0)]);
        assert_eq!(
            rate(false, true).floats(&Window::contiguous(&s), 60_000, 120_000, 60_000),
            None
        );
    }

    #[test]
    fn reset_correction_adds_the_value_before_each_drop() {
        assert_eq!(reset_correction(5.0, 3.0, [10.0].into_iter()), 10.0);
        assert_eq!(reset_correction(5.0, 6.0, std::iter::empty()), 0.0);
        assert_eq!(reset_correction(5.0, 3.0, std::iter::empty()), 5.0);
    }
}
