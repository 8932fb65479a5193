//! The values at the nominal bounds of `anchored` and `smoothed` range windows (Prometheus's
//! experimental extended range selectors).
//!
//! Such a window holds the samples of `(start - lookback, end]` (smoothed: `end + lookback`),
//! while the nominal window is `(start, end]`. The value "at the start" is the last sample at
//! or before `start`; smoothed windows interpolate it between that sample and the next when
//! it lies before `start`, and likewise at the end.
//!
//! ```text
//!   samples:   a      b   |  c     d     e  |    f
//!                       start             end
//!   anchored:  left = b, right = e          smoothed: left = b..c at start, right = e..f at end
//! ```
//! These helpers serve `rate`/`increase`/`delta` ([`crate::functions::extended_rate`]) and the
//! top-level result of a bare `metric[1m] anchored` ([`boundary_points`]).

use crate::error::Result;
use crate::memory::PooledVec;
use crate::operator::Window;
use crate::types::{FPoint, HPoint};

/// Anything with a timestamp in a window.
pub trait Timed {
    /// The sample's timestamp (ms).
    fn t(&self) -> i64;
}

impl Timed for FPoint {
    fn t(&self) -> i64 {
        self.t
    }
}

impl Timed for HPoint {
    fn t(&self) -> i64 {
        self.t
    }
}

/// The smallest `i` in `[0, n)` for which `pred(i)` holds (`pred` must be monotonic), or `n`
/// (Go's `sort.Search`, which Prometheus's boundary choice is defined by).
pub fn search(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// The indices of the samples that stand for the bounds of an extended window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The last sample at or before the start (the first sample when there is none).
    pub first: usize,
    /// The last sample (smoothed: the first at or after the end, else the last).
    pub last: usize,
}

/// The bounds of window `w` over the nominal `(range_start, range_end]`; `None` when nothing
/// lies after the start (or, smoothed, nothing at or before the end).
pub fn bounds<T: Timed>(w: &Window<'_, T>, range_start: i64, range_end: i64, smoothed: bool) -> Option<Bounds> {
    let mut last = w.len().checked_sub(1)?;
    let time = |i: usize| w.get(i).map_or(i64::MAX, Timed::t);
    // Searching `[0, last)` (not the whole window) is Prometheus's choice; see its `extendedRate`.
    let first = search(last, |i| time(i) > range_start).saturating_sub(1);
    if smoothed {
        last = search(last, |i| time(i) >= range_end);
    }
    if time(last) <= range_start || (smoothed && time(first) > range_end) {
        return None;
    }
    Some(Bounds { first, last })
}

/// Linear interpolation between `p1` and `p2` at `t`; a counter that went down between them
/// is modelled as restarting from zero.
pub fn interpolate(p1: &FPoint, p2: &FPoint, t: i64, counter: bool) -> f64 {
    let y1 = if counter && p2.f < p1.f { 0.0 } else { p1.f };
    y1 + (p2.f - y1) * (t - p1.t) as f64 / (p2.t - p1.t) as f64
}

/// The value at the start: the sample at `first`, interpolated at `range_start` with the next
/// one when smoothed and it lies before the start.
pub fn left_value(
    w: &Window<'_, FPoint>,
    first: usize,
    range_start: i64,
    smoothed: bool,
    counter: bool,
) -> Option<f64> {
    let p = w.get(first)?;
    if smoothed && p.t < range_start {
        return Some(interpolate(p, w.get(first + 1)?, range_start, counter));
    }
    Some(p.f)
}

/// The value at the end: the sample at `last`, interpolated at `range_end` with the previous
/// one when smoothed and it lies after the end.
pub fn right_value(w: &Window<'_, FPoint>, last: usize, range_end: i64, smoothed: bool, counter: bool) -> Option<f64> {
    let p = w.get(last)?;
    if smoothed && last > 0 && p.t > range_end {
        return Some(interpolate(w.get(last - 1)?, p, range_end, counter));
    }
    Some(p.f)
}

/// The points a bare `metric[r] anchored` / `smoothed` returns (Prometheus's `extendFloats`):
/// the value at the start stamped `range_start`, the samples strictly inside the nominal
/// window, and the value at the end stamped `range_end`. Leaves `out` empty when the window
/// has no sample after the start.
pub fn boundary_points(
    w: &Window<'_, FPoint>,
    range_start: i64,
    range_end: i64,
    smoothed: bool,
    out: &mut PooledVec<FPoint>,
) -> Result<()> {
    let Some(Bounds { first, last }) = bounds(w, range_start, range_end, smoothed) else {
        return Ok(());
    };
    // Prometheus does not know here whether the series is a counter, so it interpolates plainly.
    let (Some(left), Some(right)) = (
        left_value(w, first, range_start, smoothed, false),
        right_value(w, last, range_end, smoothed, false),
    ) else {
        return Ok(());
    };
    let inner_start = first + usize::from(w.get(first).is_some_and(|p| p.t <= range_start));
    let inner_end = last + usize::from(w.get(last).is_some_and(|p| p.t < range_end));
    out.push(FPoint {
        t: range_start,
        f: left,
    })?;
    for i in inner_start..inner_end {
        if let Some(p) = w.get(i) {
            out.push(*p)?;
        }
    }
    out.push(FPoint { t: range_end, f: right })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryTracker;

    fn pts(samples: &[(i64, f64)]) -> Vec<FPoint> {
        samples.iter().map(|&(t, f)| FPoint { t, f }).collect()
    }

    #[test]
    fn search_is_go_sort_search() {
        let v = [1, 3, 5, 7];
        assert_eq!(search(v.len(), |i| v[i] > 4), 2);
        assert_eq!(search(v.len(), |i| v[i] > 9), 4);
        assert_eq!(search(0, |_| true), 0);
    }

    #[test]
    fn anchored_bounds_take_the_last_sample_at_or_before_the_start() {
        let s = pts(&[(0, 1.0), (60, 2.0), (120, 3.0), (150, 4.0)]);
        let w = Window::contiguous(&s);
        assert_eq!(bounds(&w, 60, 150, false), Some(Bounds { first: 1, last: 3 }));
        // Nothing after the start.
        assert_eq!(bounds(&w, 150, 200, false), None);
        assert_eq!(bounds(&Window::<FPoint>::contiguous(&[]), 0, 1, false), None);
    }

    #[test]
    fn smoothed_values_interpolate_at_the_bounds() {
        let s = pts(&[(0, 0.0), (100, 10.0), (200, 20.0)]);
        let w = Window::contiguous(&s);
        let b = bounds(&w, 50, 150, true).unwrap();
        assert_eq!(b, Bounds { first: 0, last: 2 });
        assert_eq!(left_value(&w, b.first, 50, true, true), Some(5.0));
        assert_eq!(right_value(&w, b.last, 150, true, true), Some(15.0));
        // A counter reset between the neighbours restarts from zero.
        let reset = pts(&[(0, 100.0), (100, 10.0)]);
        assert_eq!(interpolate(&reset[0], &reset[1], 50, true), 5.0);
        assert_eq!(interpolate(&reset[0], &reset[1], 50, false), 55.0);
    }

    #[test]
    fn boundary_points_replace_samples_on_the_bounds() {
        let tracker = MemoryTracker::new(usize::MAX);
        let s = pts(&[(0, 1.0), (60, 2.0), (90, 3.0), (120, 4.0)]);
        let mut out = PooledVec::with_capacity(4, &tracker).unwrap();
        boundary_points(&Window::contiguous(&s), 60, 120, false, &mut out).unwrap();
        assert_eq!(out.to_vec(), pts(&[(60, 2.0), (90, 3.0), (120, 4.0)]));
        let mut out = PooledVec::with_capacity(4, &tracker).unwrap();
        boundary_points(&Window::contiguous(&s), 30, 105, true, &mut out).unwrap();
        assert_eq!(out.to_vec(), pts(&[(30, 1.5), (60, 2.0), (90, 3.0), (105, 3.5)]));
    }
}
