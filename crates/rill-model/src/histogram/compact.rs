//! Compaction: dropping empty buckets and merging or splitting spans.

use super::iter::SparseIter;
use super::sparse::{SparseBuilder, check_spans};
use super::{FloatHistogram, Span};

impl FloatHistogram {
    /// Normalises the bucket layout in place (Prometheus's `Compact`): empty buckets at the
    /// start and end of spans are dropped, spans at most `max_empty_buckets` apart are merged
    /// (the gap becomes explicit empty buckets), and runs of more than `max_empty_buckets`
    /// empty buckets split a span. With `0`, no empty bucket remains. Counts, sum and zero
    /// bucket are untouched. A side whose spans do not match its bucket count is left as is.
    pub fn compact(&mut self, max_empty_buckets: usize) {
        compact_side(&mut self.positive_spans, &mut self.positive_buckets, max_empty_buckets);
        compact_side(&mut self.negative_spans, &mut self.negative_buckets, max_empty_buckets);
    }
}

fn compact_side(spans: &mut Vec<Span>, buckets: &mut Vec<f64>, max_empty: usize) {
    if check_spans(spans, buckets.len(), false).is_err() {
        return;
    }
    let max = i64::try_from(max_empty).unwrap_or(i64::MAX);
    let nothing_to_do =
        buckets.iter().all(|&b| b != 0.0) && spans.iter().all(|s| i64::from(s.offset) > max && s.length != 0);
    if nothing_to_do {
        return;
    }
    let mut out = SparseBuilder::default();
    for (idx, count) in SparseIter::new(spans, buckets) {
        if count != 0.0 {
            out.push(idx, count, max_empty);
        }
    }
    (*spans, *buckets) = out.finish();
}
