//! The zero bucket: widening its threshold and reconciling two histograms' zero buckets.

use super::{FloatHistogram, HistogramError};

impl FloatHistogram {
    /// The zero count this histogram would have with the zero threshold widened to `larger`
    /// (≥ the current one), and the threshold actually usable: if `larger` falls inside a
    /// populated bucket, it moves up to that bucket's upper bound (absolute values) and the
    /// bucket is counted too. Prometheus's `zeroCountForLargerThreshold`.
    pub fn zero_count_for_larger_threshold(&self, larger: f64) -> (f64, f64) {
        let mut larger = larger;
        if larger == self.zero_threshold {
            return (self.zero_count, larger);
        }
        'outer: loop {
            let mut count = self.zero_count;
            for b in self.positive_buckets() {
                if b.lower >= larger {
                    break;
                }
                count += b.count;
                if b.upper > larger {
                    if b.count != 0.0 {
                        larger = b.upper;
                    }
                    break;
                }
            }
            for b in self.negative_buckets() {
                if b.upper <= -larger {
                    break;
                }
                count += b.count;
                if b.lower < -larger {
                    if b.count != 0.0 {
                        // The positive side must be redone with the new threshold.
                        larger = -b.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (count, larger);
        }
    }

    /// Empties the buckets inside the zero bucket (their counts must already be in the zero
    /// count), then compacts, as Prometheus's `trimBucketsInZeroBucket`.
    fn trim_buckets_in_zero_bucket(&mut self) {
        let zt = self.zero_threshold;
        let inside = self.positive_buckets().take_while(|b| b.lower < zt).count();
        self.positive_buckets.iter_mut().take(inside).for_each(|b| *b = 0.0);
        let inside = self.negative_buckets().take_while(|b| b.upper > -zt).count();
        self.negative_buckets.iter_mut().take(inside).for_each(|b| *b = 0.0);
        self.compact(0);
    }

    /// Widens the zero bucket of `self` and (virtually) of `other` until both have the same
    /// threshold that cuts no populated bucket of either; `self` is changed, the zero count
    /// `other` would have is returned. Prometheus's `reconcileZeroBuckets`.
    pub(super) fn reconcile_zero_buckets(&mut self, other: &FloatHistogram) -> Result<f64, HistogramError> {
        let mut other_count = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        // Each round moves a threshold past at least one bucket, so this bound is never hit
        // for valid input; it only guards against looping forever.
        let mut rounds = self.bucket_len() + other.bucket_len() + 2;
        while other_threshold != self.zero_threshold {
            if rounds == 0 {
                return Err(HistogramError::InvalidZeroThreshold(other_threshold));
            }
            rounds -= 1;
            if self.zero_threshold > other_threshold {
                (other_count, other_threshold) = other.zero_count_for_larger_threshold(self.zero_threshold);
            }
            if other_threshold > self.zero_threshold {
                (self.zero_count, self.zero_threshold) = self.zero_count_for_larger_threshold(other_threshold);
                self.trim_buckets_in_zero_bucket();
            }
        }
        Ok(other_count)
    }
}
