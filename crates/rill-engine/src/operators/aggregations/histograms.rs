//! Native-histogram accumulation shared by `sum` and `avg`: the running sum of one group at
//! one step (every count and the sum Kahan-compensated by [`KahanHistogramSum`], so `1e100`
//! and `-1e100` cancel without absorbing small values, as current Prometheus does), the
//! counter-reset hints seen, and whether incompatible histograms (exponential mixed with
//! custom buckets, invalid layouts) made the step's result undefined. `avg` divides the sum
//! by the count at the end, unless the sum would overflow: then, like the float mean, it
//! continues with an incremental mean (`mean += h/n - mean/n`, still compensated).
//! Annotations follow Prometheus's `aggregation()`.

use rill_model::histogram::{HistogramError, KahanHistogramSum};
use rill_model::{CounterResetHint, FloatHistogram};

use super::grouped::Notes;

/// The histogram part of one group's state at one step.
#[derive(Clone, Debug, Default)]
pub(super) struct HistogramAcc {
    /// The running compensated sum (or mean); `None` when the group started with a float.
    value: Option<Box<KahanHistogramSum>>,
    /// An operation failed: the step has no result.
    pub(super) incompatible: bool,
    /// `value` holds the mean (not the sum) since an addition would have overflowed.
    incremental: bool,
    reset_seen: bool,
    not_reset_seen: bool,
}

impl HistogramAcc {
    /// State for a group whose first sample at this step is `h`.
    pub(super) fn starting_with(h: &FloatHistogram) -> Self {
        let mut acc = HistogramAcc {
            value: Some(Box::new(KahanHistogramSum::new(h))),
            ..HistogramAcc::default()
        };
        acc.track_hint(h);
        acc
    }

    /// Adds `h` (when the group started with a histogram; otherwise the step is a mix of
    /// floats and histograms and has no result anyway).
    pub(super) fn add(&mut self, h: &FloatHistogram, notes: &mut Notes<'_>) {
        let Some(mut acc) = self.value.take() else { return };
        self.track_hint(h);
        let result = acc.add(h);
        self.check(result, notes);
        self.value = Some(acc);
    }

    /// Adds `h` as the `n`-th sample of a mean: to the sum while it does not overflow, to the
    /// incremental mean afterwards.
    pub(super) fn add_to_mean(&mut self, h: &FloatHistogram, n: f64, notes: &mut Notes<'_>) {
        let Some(mut mean) = self.value.take() else { return };
        if !self.incremental && !would_overflow(mean.uncompensated(), h) {
            self.value = Some(mean);
            self.add(h, notes);
            return;
        }
        self.track_hint(h);
        if !self.incremental {
            self.incremental = true;
            mean.div(n - 1.0);
        }
        let mut delta = h.clone();
        delta.div(n);
        let mut old = mean.value();
        old.div(n);
        if self.check(delta.sub(&old), notes) {
            let result = mean.add(&delta);
            self.check(result, notes);
        }
        self.value = Some(mean);
    }

    /// Remembers `h`'s counter-reset hint, for the collision warning.
    fn track_hint(&mut self, h: &FloatHistogram) {
        match h.counter_reset_hint {
            CounterResetHint::CounterReset => self.reset_seen = true,
            CounterResetHint::NotCounterReset => self.not_reset_seen = true,
            _ => {}
        }
    }

    /// Applies `result` of a histogram operation: reports reconciled custom buckets, or marks
    /// the step incompatible (with a warning for mixed schemas). Returns whether it succeeded.
    fn check(
        &mut self,
        result: Result<rill_model::histogram::CombineInfo, HistogramError>,
        notes: &mut Notes<'_>,
    ) -> bool {
        match result {
            Ok(info) => {
                if info.nhcb_bounds_reconciled {
                    notes.info_at_inner("mismatched custom buckets were reconciled during aggregation");
                }
                true
            }
            Err(e) => {
                if matches!(e, HistogramError::IncompatibleSchema) {
                    notes.mixed_histogram_schemas();
                }
                self.incompatible = true;
                false
            }
        }
    }

    /// The step's sum divided by `divisor` (1 for `sum`, the count for `avg`; the incremental
    /// mean is not divided), compacted; warns about conflicting counter-reset hints.
    pub(super) fn result(&self, divisor: f64, notes: &mut Notes<'_>) -> Option<FloatHistogram> {
        let mut h = self.value.as_ref()?.value();
        if divisor != 1.0 && !self.incremental {
            h.div(divisor);
        }
        h.compact(0);
        if self.reset_seen && self.not_reset_seen {
            notes.warning_at_inner("conflicting counter resets during histogram aggregation");
        }
        Some(h)
    }
}

/// Whether `a + b` would overflow a count or the sum (an estimate that needs no copy).
fn would_overflow(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    let max_bucket = |h: &FloatHistogram| {
        h.positive_buckets
            .iter()
            .chain(h.negative_buckets.iter())
            .fold(0.0f64, |m, &v| m.max(v.abs()))
    };
    [
        a.count + b.count,
        a.sum + b.sum,
        a.zero_count + b.zero_count,
        max_bucket(a) + max_bucket(b),
    ]
    .iter()
    .any(|v| v.is_infinite())
}
