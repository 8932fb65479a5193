//! Building sparse span/bucket lists and checking their structure.

use super::{FloatHistogram, HistogramError, Span};

/// Appends buckets in ascending index order and cuts spans at gaps wider than `max_gap`
/// (gaps up to `max_gap` are filled with explicit empty buckets).
#[derive(Debug, Default)]
pub(super) struct SparseBuilder {
    pub(super) spans: Vec<Span>,
    pub(super) buckets: Vec<f64>,
    last: Option<i64>,
}

/// Converts an index difference to a span offset, saturating at the `i32` range.
fn to_offset(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

impl SparseBuilder {
    /// Appends bucket `idx` (greater than every index pushed before) with `count`.
    pub(super) fn push(&mut self, idx: i64, count: f64, max_gap: usize) {
        let gap = self.last.map(|last| idx.saturating_sub(last).saturating_sub(1));
        match (gap, self.spans.last_mut()) {
            (Some(gap), Some(span)) if gap >= 0 && gap <= i64::try_from(max_gap).unwrap_or(i64::MAX) => {
                let gap_len = u32::try_from(gap).unwrap_or(0);
                self.buckets.extend(std::iter::repeat_n(0.0, gap_len as usize));
                span.length = span.length.saturating_add(gap_len + 1);
            }
            (Some(gap), _) => self.spans.push(Span {
                offset: to_offset(gap),
                length: 1,
            }),
            (None, _) => self.spans.push(Span {
                offset: to_offset(idx),
                length: 1,
            }),
        }
        self.buckets.push(count);
        self.last = Some(idx);
    }

    /// Finishes the lists.
    pub(super) fn finish(self) -> (Vec<Span>, Vec<f64>) {
        (self.spans, self.buckets)
    }
}

/// Checks that `spans` describe exactly `num_buckets` buckets and that no span but the first
/// (or, with `first_too`, none at all) has a negative offset.
pub(super) fn check_spans(spans: &[Span], num_buckets: usize, first_too: bool) -> Result<(), HistogramError> {
    let mut needed = 0usize;
    for (n, span) in spans.iter().enumerate() {
        if (n > 0 || first_too) && span.offset < 0 {
            return Err(HistogramError::SpanNegativeOffset {
                span: n + 1,
                offset: span.offset,
            });
        }
        needed = needed.saturating_add(span.length as usize);
    }
    if needed != num_buckets {
        return Err(HistogramError::SpansBucketsMismatch {
            needed,
            have: num_buckets,
        });
    }
    Ok(())
}

/// Re-buckets `spans`/`buckets` of schema `origin` into the lower-resolution `target`
/// (Prometheus's `reduceResolution` for absolute counts), checking the structure first.
pub(super) fn reduce_side(
    spans: &[Span],
    buckets: &[f64],
    origin: i32,
    target: i32,
) -> Result<(Vec<Span>, Vec<f64>), HistogramError> {
    check_spans(spans, buckets.len(), false)?;
    let mut out = SparseBuilder::default();
    for (idx, count) in super::iter::ReducedIter::new(spans, buckets, origin, target) {
        out.push(idx, count, 0);
    }
    Ok(out.finish())
}

impl FloatHistogram {
    /// Checks what arithmetic relies on: a valid schema, consistent spans, a usable zero
    /// threshold. Bucket values are not checked (Prometheus's arithmetic does not either).
    pub(super) fn check_operand(&self) -> Result<(), HistogramError> {
        if !super::schema::is_valid_schema(self.schema) {
            return Err(HistogramError::InvalidSchema(self.schema));
        }
        let custom = self.uses_custom_buckets();
        check_spans(&self.positive_spans, self.positive_buckets.len(), custom)?;
        check_spans(&self.negative_spans, self.negative_buckets.len(), false)?;
        if self.zero_threshold.is_nan() || self.zero_threshold < 0.0 {
            return Err(HistogramError::InvalidZeroThreshold(self.zero_threshold));
        }
        Ok(())
    }

    /// Number of stored buckets of both signs.
    pub(super) fn bucket_len(&self) -> usize {
        self.positive_buckets.len() + self.negative_buckets.len()
    }
}

/// Whether two span lists describe the same bucket layout (same indexes in the same order),
/// however they are split into spans (Prometheus's `spansMatch`).
pub(super) fn spans_match(a: &[Span], b: &[Span]) -> bool {
    layout(a).eq(layout(b))
}

/// The bucket indexes a span list describes.
fn layout(spans: &[Span]) -> impl Iterator<Item = i64> + '_ {
    let mut next = 0i64;
    spans.iter().flat_map(move |s| {
        let start = next.saturating_add(i64::from(s.offset));
        next = start.saturating_add(i64::from(s.length));
        start..next
    })
}
