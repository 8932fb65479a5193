//! Counter resets: detecting them between two samples and combining counter-reset hints.

use std::cmp::Ordering;

use super::arith::intersect_bounds;
use super::iter::BucketIter;
use super::{CounterResetHint, FloatHistogram};

impl CounterResetHint {
    /// Whether `self` and `other` contradict each other: one says `CounterReset`, the other
    /// `NotCounterReset` (Prometheus warns about this in `rate`-like functions and sums).
    pub fn conflicts_with(self, other: CounterResetHint) -> bool {
        matches!(
            (self, other),
            (CounterResetHint::CounterReset, CounterResetHint::NotCounterReset)
                | (CounterResetHint::NotCounterReset, CounterResetHint::CounterReset)
        )
    }

    /// The hint of `self + other` and whether the two collided (Prometheus's
    /// `adjustCounterReset`): equal hints stay; anything with a gauge is a gauge; anything
    /// with `Unknown` is `Unknown`; `CounterReset` with `NotCounterReset` is a collision and
    /// gives `Unknown`.
    pub fn combine(self, other: CounterResetHint) -> (CounterResetHint, bool) {
        use CounterResetHint::{Gauge, Unknown};
        match (self, other) {
            (a, b) if a == b => (a, false),
            (Gauge, _) | (_, Gauge) => (Gauge, false),
            (Unknown, _) | (_, Unknown) => (Unknown, false),
            _ => (Unknown, true),
        }
    }
}

impl FloatHistogram {
    /// Whether a counter reset happened between `previous` and `self` (Prometheus's
    /// `DetectReset`).
    ///
    /// A `CounterReset` hint on `self` answers `true`, `NotCounterReset` answers `false`;
    /// `Unknown` and `Gauge` compare the data: a smaller count, a switch to custom buckets,
    /// different custom bounds with a decrease in any bucket range both share, a higher
    /// schema, a smaller zero threshold, a zero threshold cutting a populated bucket of
    /// `previous`, a smaller zero count or any bucket that shrank or disappeared is a reset.
    /// `previous` is compared at `self`'s schema and zero threshold (merging its buckets as
    /// needed). The sum is ignored.
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            CounterResetHint::CounterReset => return true,
            CounterResetHint::NotCounterReset => return false,
            CounterResetHint::Unknown | CounterResetHint::Gauge => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if !previous.uses_custom_buckets() {
                return true;
            }
            if self.custom_values != previous.custom_values {
                return self.detect_reset_mismatched_custom(previous);
            }
        }
        if self.schema > previous.schema || self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (previous_zero_count, threshold) = previous.zero_count_for_larger_threshold(self.zero_threshold);
        if threshold != self.zero_threshold || self.zero_count < previous_zero_count {
            return true;
        }
        self.buckets_decreased(previous)
    }

    /// Whether any bucket of `previous`, compared at `self`'s schema and zero threshold, is
    /// populated but missing in `self`, or larger than in `self`.
    pub(crate) fn buckets_decreased(&self, previous: &FloatHistogram) -> bool {
        [true, false].into_iter().any(|positive| {
            buckets_reset(
                self.bucket_iter(positive, self.zero_threshold, self.schema),
                previous.bucket_iter(positive, self.zero_threshold, self.schema),
            )
        })
    }

    /// Reset check for custom buckets with different bounds: the counts between consecutive
    /// bounds common to both (and `+Inf`) must not decrease.
    fn detect_reset_mismatched_custom(&self, previous: &FloatHistogram) -> bool {
        let mut common = intersect_bounds(&self.custom_values, &previous.custom_values);
        common.push(f64::INFINITY);
        let current = self.sums_per_common_range(&common);
        let before = previous.sums_per_common_range(&common);
        current.iter().zip(before.iter()).any(|(c, p)| c < p)
    }

    /// Sums of positive bucket counts per range `(common[k-1], common[k]]`.
    fn sums_per_common_range(&self, common: &[f64]) -> Vec<f64> {
        let mut sums = vec![0.0; common.len()];
        let mut k = 0usize;
        for b in self.positive_buckets() {
            while k + 1 < common.len()
                && common
                    .get(k)
                    .is_some_and(|&c| matches!(b.upper.partial_cmp(&c), Some(Ordering::Greater) | None))
            {
                k += 1;
            }
            if let Some(s) = sums.get_mut(k) {
                *s += b.count;
            }
        }
        sums
    }
}

/// Whether any bucket of `prev` is populated but missing in `curr`, or larger than in `curr`
/// (Prometheus's `detectReset` over two iterators of the same schema).
fn buckets_reset(mut curr: BucketIter<'_>, mut prev: BucketIter<'_>) -> bool {
    let mut current = curr.next_stripped();
    while let Some((prev_idx, prev_count)) = prev.next_stripped() {
        while current.is_some_and(|(idx, _)| idx < prev_idx) {
            current = curr.next_stripped();
        }
        match current {
            Some((idx, count)) if idx == prev_idx => {
                if count < prev_count {
                    return true;
                }
            }
            _ => {
                if prev_count != 0.0 {
                    return true;
                }
            }
        }
    }
    false
}
