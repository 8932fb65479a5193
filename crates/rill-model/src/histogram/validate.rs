//! Structural validation of a histogram (Prometheus's `FloatHistogram.Validate`).

use super::sparse::check_spans;
use super::{FloatHistogram, HistogramError};

impl FloatHistogram {
    /// Checks that the histogram is well formed: a valid schema, spans matching the bucket
    /// counts (no negative offsets after the first span; none at all for custom buckets),
    /// no negative counts, and for custom buckets strictly increasing finite bounds covering
    /// the spans and no zero bucket or negative buckets. Count vs. bucket sum is not checked
    /// (float rounding makes that unreliable), as in Prometheus.
    pub fn validate(&self) -> Result<(), HistogramError> {
        if self.uses_custom_buckets() {
            self.validate_custom_bounds()?;
            if self.zero_count != 0.0
                || self.zero_threshold != 0.0
                || !self.negative_spans.is_empty()
                || !self.negative_buckets.is_empty()
            {
                return Err(HistogramError::CustomBucketsUnusedFields);
            }
        } else if super::schema::is_exponential_schema(self.schema) {
            check_spans(&self.positive_spans, self.positive_buckets.len(), false)?;
            check_spans(&self.negative_spans, self.negative_buckets.len(), false)?;
            if self.negative_buckets.iter().any(|&b| b < 0.0) || self.zero_count < 0.0 {
                return Err(HistogramError::NegativeCount);
            }
            if !self.custom_values.is_empty() {
                return Err(HistogramError::ExpSchemaCustomBounds);
            }
        } else {
            return Err(HistogramError::InvalidSchema(self.schema));
        }
        if self.count < 0.0 || self.positive_buckets.iter().any(|&b| b < 0.0) {
            return Err(HistogramError::NegativeCount);
        }
        Ok(())
    }

    fn validate_custom_bounds(&self) -> Result<(), HistogramError> {
        let mut prev = f64::NEG_INFINITY;
        for (i, &curr) in self.custom_values.iter().enumerate() {
            if curr.is_nan() {
                return Err(HistogramError::CustomBucketsNaN);
            }
            if i > 0 && curr <= prev {
                return Err(HistogramError::CustomBucketsInvalid { prev, curr });
            }
            prev = curr;
        }
        if prev == f64::INFINITY {
            return Err(HistogramError::CustomBucketsInfinite);
        }
        check_spans(&self.positive_spans, self.positive_buckets.len(), true)?;
        let span_length: i64 = self
            .positive_spans
            .iter()
            .map(|s| i64::from(s.offset) + i64::from(s.length))
            .sum();
        if i64::try_from(self.custom_values.len()).unwrap_or(i64::MAX) + 1 < span_length {
            return Err(HistogramError::CustomBucketsMismatch {
                bounds: self.custom_values.len(),
                span_length,
            });
        }
        Ok(())
    }
}
