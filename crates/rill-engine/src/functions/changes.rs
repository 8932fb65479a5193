//! `changes` and `resets`: count value changes / counter resets between consecutive samples
//! of a window, floats and histograms merged in time order.

use rill_model::FloatHistogram;

use crate::error::Result;
use crate::functions::range_function::{RangeFunction, StepContext, StepValue};
use crate::operator::RangeStep;

/// `changes` (`resets: false`) and `resets` (`resets: true`).
pub struct Changes {
    /// Count counter resets instead of changes.
    pub resets: bool,
}

/// One sample of a window, float or histogram.
enum Sample<'a> {
    Float(f64),
    Histogram(&'a FloatHistogram),
}

impl RangeFunction for Changes {
    fn step(&self, w: &RangeStep<'_>, _cx: &mut StepContext<'_>) -> Result<Option<StepValue>> {
        let (mut fi, mut hi) = (w.floats.iter().peekable(), w.histograms.iter().peekable());
        let mut prev: Option<Sample<'_>> = None;
        let mut count = 0usize;
        loop {
            let cur = match (fi.peek(), hi.peek()) {
                (Some(f), Some(h)) if f.t < h.t => fi.next().map(|p| Sample::Float(p.f)),
                (Some(f), Some(h)) if f.t > h.t => hi.next().map(|p| Sample::Histogram(&p.h)),
                (Some(_), Some(_)) => {
                    // A float and a histogram at the same time: Prometheus takes neither first;
                    // consume both so the loop ends.
                    fi.next();
                    hi.next();
                    continue;
                }
                (Some(_), None) => fi.next().map(|p| Sample::Float(p.f)),
                (None, Some(_)) => hi.next().map(|p| Sample::Histogram(&p.h)),
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

impl Changes {
    fn counts(&self, prev: &Sample<'_>, cur: &Sample<'_>) -> bool {
        match (prev, cur) {
            (Sample::Float(a), Sample::Float(b)) => {
                if self.resets {
                    b < a
                } else {
                    a != b && !(a.is_nan() && b.is_nan())
                }
            }
            (Sample::Histogram(a), Sample::Histogram(b)) => {
                if self.resets {
                    histogram_reset(a, b)
                } else {
                    a != b
                }
            }
            _ => true,
        }
    }
}

/// A simplified counter-reset test for native histograms: an explicit reset hint or a
/// decrease of the count or the zero bucket.
fn histogram_reset(prev: &FloatHistogram, cur: &FloatHistogram) -> bool {
    cur.counter_reset_hint == rill_model::CounterResetHint::CounterReset
        || cur.count < prev.count
        || cur.zero_count < prev.zero_count
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
        assert_eq!(float(&Changes { resets: false }, &s, 7, 7, &[]), 4.0);
        assert_eq!(float(&Changes { resets: true }, &s, 7, 7, &[]), 1.0);
    }
}
