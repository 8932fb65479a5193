//! Exact equality of histograms, as Prometheus's `Equals` (used by `changes()` and tests).

use super::FloatHistogram;
use super::sparse::spans_match;

impl FloatHistogram {
    /// Whether `self` and `other` hold exactly the same data (Prometheus's `Equals`).
    ///
    /// Count, sum, zero count and bucket values compare by bit pattern, so `NaN` sums are
    /// equal to themselves; the zero threshold and custom bounds compare by value. Bucket
    /// layouts must describe the same buckets (empty ones included), however they are split
    /// into spans. The counter-reset hint is ignored.
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        let same_bits = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let same_buckets =
            |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| same_bits(*x, *y));
        self.schema == other.schema
            && same_bits(self.count, other.count)
            && same_bits(self.sum, other.sum)
            && (!self.uses_custom_buckets() || self.custom_values == other.custom_values)
            && self.zero_threshold == other.zero_threshold
            && same_bits(self.zero_count, other.zero_count)
            && spans_match(&self.negative_spans, &other.negative_spans)
            && same_buckets(&self.negative_buckets, &other.negative_buckets)
            && spans_match(&self.positive_spans, &other.positive_spans)
            && same_buckets(&self.positive_buckets, &other.positive_buckets)
    }
}
