//! `changes` and `resets`: count value changes / counter resets between consecutive samples
//! of a window, floats and histograms merged in time order. Over an `anchored` range the
//! count starts at the last sample at or before the window's nominal start, of either kind
//! (Prometheus's `pickFirstSampleIndices`). `resets` also counts the resets that start
//! timestamps show (see [`crate::functions::start_time`]).

use rill_model::FloatHistogram;

use crate::error::Result;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::functions::start_time;
use crate::operator::{RangeStep, Window};
use crate::operators::extended::search;
use crate::types::{FPoint, HPoint};

/// `changes` (`resets: false`) and `resets` (`resets: true`).
pub struct Changes {
    /// Count counter resets instead of changes.
    pub resets: bool,
    /// The range is `anchored`: its window reaches back before the nominal start.
    pub anchored: bool,
}

/// The indices of the first float and first histogram to count from in an anchored window:
/// the anchor is the latest sample at or before the nominal start, whatever its kind, and
/// earlier samples of both kinds are skipped. `None` when no sample lies after the start.
fn anchored_start(w: &RangeStep<'_>) -> Option<(usize, usize)> {
    let (floats, histograms) = (&w.floats, &w.histograms);
    let ft = |i: usize| floats.get(i).map_or(i64::MAX, |p| p.t);
    let ht = |i: usize| histograms.get(i).map_or(i64::MAX, |p| p.t);
    // How many samples of each kind lie at or before the start.
    let f_before = search(floats.len(), |i| ft(i) > w.range_start);
    let h_before = search(histograms.len(), |i| ht(i) > w.range_start);
    if f_before >= floats.len() && h_before >= histograms.len() {
        return None;
    }
    Some(match (f_before.checked_sub(1), h_before.checked_sub(1)) {
        (None, None) => (0, 0),
        (Some(f), None) => (f, h_before),
        (Some(f), Some(h)) if ft(f) >= ht(h) => (f, h_before),
        (_, Some(h)) => (f_before, h),
    })
}

/// One sample of a window, float or histogram, with its time and start timestamp.
struct Sample<'a> {
    t: i64,
    st: i64,
    v: Value<'a>,
}

/// A sample's value.
enum Value<'a> {
    Float(f64),
    Histogram(&'a FloatHistogram),
}

impl RangeFunction for Changes {
    fn step(&self, w: &RangeStep<'_>, _cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let (first_float, first_histogram) = if self.anchored {
            match anchored_start(w) {
                Some(start) => start,
                None => return Ok(None),
            }
        } else {
            (0, 0)
        };
        let sts = w.start_timestamps;
        let (float_sts, histogram_sts) = (sts.map(|s| s.floats), sts.map(|s| s.histograms));
        let float = |(i, p): (usize, &FPoint)| Sample {
            t: p.t,
            st: start_time::at(float_sts, i),
            v: Value::Float(p.f),
        };
        let histogram = |(i, p)| histogram_sample(histogram_sts, i, p);
        let mut fi = w.floats.iter().enumerate().skip(first_float).peekable();
        let mut hi = w.histograms.iter().enumerate().skip(first_histogram).peekable();
        let mut prev: Option<Sample<'_>> = None;
        let mut count = 0usize;
        loop {
            let cur = match (fi.peek(), hi.peek()) {
                (Some((_, f)), Some((_, h))) if f.t < h.t => fi.next().map(float),
                (Some((_, f)), Some((_, h))) if f.t > h.t => hi.next().map(histogram),
                (Some(_), Some(_)) => {
                    // A float and a histogram at the same time: Prometheus takes neither first;
                    // consume both so the loop ends.
                    fi.next();
                    hi.next();
                    continue;
                }
                (Some(_), None) => fi.next().map(float),
                (None, Some(_)) => hi.next().map(histogram),
                (None, None) => None,
            };
            let Some(cur) = cur else { break };
            if let Some(p) = &prev
                && self.counts(p, &cur)
            {
                count += 1;
            }
            prev = Some(cur);
        }
        Ok(Some(StepValue::Float(count as f64)))
    }
}

/// The `i`-th histogram of a window as a [`Sample`].
fn histogram_sample<'a>(sts: Option<Window<'_, i64>>, i: usize, p: &'a HPoint) -> Sample<'a> {
    Sample {
        t: p.t,
        st: start_time::at(sts, i),
        v: Value::Histogram(&p.h),
    }
}

impl Changes {
    fn counts(&self, prev: &Sample<'_>, cur: &Sample<'_>) -> bool {
        let start_reset = || start_time::is_reset(prev.st, prev.t, cur.st, cur.t);
        match (&prev.v, &cur.v) {
            (Value::Float(a), Value::Float(b)) => {
                if self.resets {
                    b < a || start_reset()
                } else {
                    a != b && !(a.is_nan() && b.is_nan())
                }
            }
            (Value::Histogram(a), Value::Histogram(b)) => {
                if self.resets {
                    start_reset() || b.detect_reset(a)
                } else {
                    !a.equals(b)
                }
            }
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::range_function::testing::float;

    #[test]
    fn counts_changes_and_resets() {
        let s = [
            (1, 1.0),
            (2, 1.0),
            (3, 2.0),
            (4, 0.0),
            (5, f64::NAN),
            (6, f64::NAN),
            (7, 3.0),
        ];
        let changes = Changes {
            resets: false,
            anchored: false,
        };
        let resets = Changes {
            resets: true,
            anchored: false,
        };
        assert_eq!(float(&changes, &s, 7, 7, &[]), 4.0);
        assert_eq!(float(&resets, &s, 7, 7, &[]), 1.0);
    }

    #[test]
    fn anchored_counts_from_the_last_sample_at_or_before_the_start() {
        let s = [(0, 3.0), (1, 2.0), (2, 1.0), (3, 0.0)];
        let resets = Changes {
            resets: true,
            anchored: true,
        };
        // Window (2s, 3s]: anchored at the 2s sample, one reset.
        assert_eq!(float(&resets, &s, 3, 1, &[]), 1.0);
        // Nothing after the start: no result.
        let (out, _) = crate::functions::range_function::testing::run(
            &resets,
            &crate::functions::range_function::testing::points(&s),
            4,
            1,
            &[],
        );
        assert_eq!(out.ok().flatten(), None);
    }
}
