//! `sum_over_time` and `avg_over_time` of windows holding only native histograms, as
//! Prometheus's `funcSumOverTime` / `funcAvgOverTime` do them: every count and the sum are
//! Kahan-compensated ([`KahanHistogramSum`]), the mean switches to an incremental mean (still
//! compensated) once the running sum would overflow, and conflicting counter-reset hints,
//! reconciled custom buckets and mixed bucket kinds are reported.

use rill_model::histogram::KahanHistogramSum;
use rill_model::{CombineInfo, CounterResetHint, FloatHistogram, HistogramError};

use crate::functions::histogram_annotations as notes;
use crate::functions::range_function::StepContext;
use crate::operator::Window;
use crate::types::HPoint;

/// What the additions of one window saw.
#[derive(Default)]
struct Seen {
    reset: bool,
    not_reset: bool,
    reconciled: bool,
}

impl Seen {
    fn hint(&mut self, h: &FloatHistogram) {
        match h.counter_reset_hint {
            CounterResetHint::CounterReset => self.reset = true,
            CounterResetHint::NotCounterReset => self.not_reset = true,
            _ => {}
        }
    }

    /// Records an operation's outcome; false (with the mixed-schema warning) on failure.
    fn op(&mut self, res: Result<CombineInfo, HistogramError>, cx: &mut StepContext<'_>) -> bool {
        match res {
            Ok(info) => {
                self.reconciled |= info.nhcb_bounds_reconciled;
                true
            }
            Err(_) => {
                cx.warn(notes::mixed_exponential_custom(cx.metric_name));
                false
            }
        }
    }

    fn report(&self, cx: &mut StepContext<'_>) {
        if self.reset && self.not_reset {
            cx.warn(notes::counter_reset_collision("aggregation"));
        }
        if self.reconciled {
            cx.info(notes::reconciled_custom_buckets("aggregation"));
        }
    }
}

/// Whether any count or the sum became infinite.
fn overflowed(h: &FloatHistogram) -> bool {
    !h.count.is_finite() && !h.count.is_nan()
        || h.sum.is_infinite()
        || h.zero_count.is_infinite()
        || h.positive_buckets
            .iter()
            .chain(&h.negative_buckets)
            .any(|v| v.is_infinite())
}

/// The sum (`mean == false`) or mean of the window's histograms; `None` when they cannot be
/// combined.
pub fn histogram_sum_or_mean(
    points: Window<'_, HPoint>,
    mean: bool,
    cx: &mut StepContext<'_>,
) -> Option<FloatHistogram> {
    let first = points.first()?;
    let mut seen = Seen::default();
    seen.hint(&first.h);
    let mut acc = KahanHistogramSum::new(&first.h);
    let mut incremental = false;
    for (i, p) in points.iter().enumerate().skip(1) {
        seen.hint(&p.h);
        let n = (i + 1) as f64;
        if !incremental {
            let mut next = acc.clone();
            if !seen.op(next.add(&p.h), cx) {
                return None;
            }
            if !mean || !overflowed(next.uncompensated()) {
                acc = next;
                continue;
            }
            incremental = true;
            acc.div(n - 1.0);
        }
        // mean = mean * (n-1)/n + h/n, compensation scaled along.
        acc.mul((n - 1.0) / n);
        let mut part = (*p.h).clone();
        part.div(n);
        if !seen.op(acc.add(&part), cx) {
            return None;
        }
    }
    let mut acc = acc.value();
    if mean && !incremental {
        acc.div(points.len() as f64);
    }
    seen.report(cx);
    acc.compact(0);
    Some(acc)
}
