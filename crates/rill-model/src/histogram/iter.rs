//! Bucket iteration: sparse `(index, count)` walks, schema reduction on the fly, bounds.
//!
//! Every walk is total: inconsistent spans (more buckets described than stored) end the walk
//! early instead of panicking, as Prometheus's iterators do.

use super::schema::{bucket_bound, exponential_bound, is_exponential_schema, target_idx};
use super::{CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Span};

/// One bucket with its bounds, as Prometheus's `histogram.Bucket`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Whether `lower` belongs to the bucket.
    pub lower_inclusive: bool,
    /// Whether `upper` belongs to the bucket.
    pub upper_inclusive: bool,
    /// Observations in the bucket (absolute, not cumulative).
    pub count: f64,
    /// Bucket index within its schema and sign (meaningless for the zero bucket).
    pub index: i64,
}

/// Walks sparse buckets as `(index, count)` in ascending index order.
#[derive(Clone, Debug)]
pub(super) struct SparseIter<'a> {
    spans: &'a [Span],
    buckets: &'a [f64],
    span: usize,
    in_span: u32,
    entered: bool,
    pos: usize,
    next_idx: i64,
}

impl<'a> SparseIter<'a> {
    /// Starts a walk over `spans`/`buckets`.
    pub(super) fn new(spans: &'a [Span], buckets: &'a [f64]) -> Self {
        SparseIter {
            spans,
            buckets,
            span: 0,
            in_span: 0,
            entered: false,
            pos: 0,
            next_idx: 0,
        }
    }
}

impl Iterator for SparseIter<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        loop {
            let span = self.spans.get(self.span)?;
            if !self.entered {
                self.next_idx = self.next_idx.saturating_add(i64::from(span.offset));
                self.entered = true;
            }
            if self.in_span >= span.length {
                self.span += 1;
                self.in_span = 0;
                self.entered = false;
                continue;
            }
            let count = *self.buckets.get(self.pos)?;
            let idx = self.next_idx;
            self.next_idx = self.next_idx.saturating_add(1);
            self.in_span += 1;
            self.pos += 1;
            return Some((idx, count));
        }
    }
}

/// Walks sparse buckets merged into a lower-resolution schema (`target ≤ origin`).
#[derive(Clone, Debug)]
pub(super) struct ReducedIter<'a> {
    inner: std::iter::Peekable<SparseIter<'a>>,
    origin: i32,
    target: i32,
}

impl<'a> ReducedIter<'a> {
    /// Walks `spans`/`buckets` of schema `origin` as buckets of schema `target`.
    pub(super) fn new(spans: &'a [Span], buckets: &'a [f64], origin: i32, target: i32) -> Self {
        ReducedIter {
            inner: SparseIter::new(spans, buckets).peekable(),
            origin,
            target,
        }
    }
}

impl Iterator for ReducedIter<'_> {
    type Item = (i64, f64);

    fn next(&mut self) -> Option<(i64, f64)> {
        let (idx, mut count) = self.inner.next()?;
        if self.origin == self.target {
            return Some((idx, count));
        }
        let target = target_idx(idx, self.origin, self.target);
        while let Some(&(next, c)) = self.inner.peek() {
            if target_idx(next, self.origin, self.target) != target {
                break;
            }
            count += c;
            self.inner.next();
        }
        Some((target, count))
    }
}

/// Builds the [`Bucket`] for index `idx` (Prometheus's `baseBucketIterator.at`).
pub(super) fn make_bucket(idx: i64, count: f64, schema: i32, positive: bool, custom_values: &[f64]) -> Bucket {
    let hi = bucket_bound(idx, schema, custom_values);
    let lo = bucket_bound(idx.saturating_sub(1), schema, custom_values);
    let (lower, upper) = if positive { (lo, hi) } else { (-hi, -lo) };
    let (lower_inclusive, upper_inclusive) = if schema == CUSTOM_BUCKETS_SCHEMA {
        (idx == 0, true)
    } else {
        (lower < 0.0, upper > 0.0)
    };
    Bucket {
        lower,
        upper,
        lower_inclusive,
        upper_inclusive,
        count,
        index: idx,
    }
}

/// Forward bucket iterator of one sign, possibly merged to a lower schema and skipping the
/// leading buckets whose absolute upper bound is `≤ start` (exponential schemas only).
#[derive(Clone, Debug)]
pub struct BucketIter<'a> {
    inner: ReducedIter<'a>,
    target: i32,
    positive: bool,
    custom_values: &'a [f64],
    start: f64,
    reached_start: bool,
}

impl<'a> BucketIter<'a> {
    /// Yields the next bucket as `(index, count)` without computing bounds.
    pub(super) fn next_stripped(&mut self) -> Option<(i64, f64)> {
        loop {
            let (idx, count) = self.inner.next()?;
            if !self.reached_start
                && is_exponential_schema(self.target)
                && exponential_bound(idx, self.target) <= self.start
            {
                continue;
            }
            self.reached_start = true;
            return Some((idx, count));
        }
    }
}

impl Iterator for BucketIter<'_> {
    type Item = Bucket;

    fn next(&mut self) -> Option<Bucket> {
        let (idx, count) = self.next_stripped()?;
        Some(make_bucket(idx, count, self.target, self.positive, self.custom_values))
    }
}

impl FloatHistogram {
    /// Low-level iterator (Prometheus's `floatBucketIterator`). `target_schema` must be
    /// `≤ self.schema` and of the same kind (callers check); otherwise no merging happens.
    pub(super) fn bucket_iter(&self, positive: bool, abs_start: f64, target_schema: i32) -> BucketIter<'_> {
        let (spans, buckets) = self.side(positive);
        let target = if target_schema <= self.schema {
            target_schema
        } else {
            self.schema
        };
        BucketIter {
            inner: ReducedIter::new(spans, buckets, self.schema, target),
            target,
            positive,
            custom_values: if positive { &self.custom_values } else { &[] },
            start: abs_start,
            reached_start: abs_start == 0.0,
        }
    }

    /// Spans and buckets of one sign.
    pub(super) fn side(&self, positive: bool) -> (&[Span], &[f64]) {
        if positive {
            (&self.positive_spans, &self.positive_buckets)
        } else {
            (&self.negative_spans, &self.negative_buckets)
        }
    }

    /// Positive buckets in ascending order, starting next to the zero bucket.
    pub fn positive_buckets(&self) -> BucketIter<'_> {
        self.bucket_iter(true, 0.0, self.schema)
    }

    /// Negative buckets starting next to the zero bucket and going down (ascending index).
    pub fn negative_buckets(&self) -> BucketIter<'_> {
        self.bucket_iter(false, 0.0, self.schema)
    }

    /// Positive buckets from the highest down to the zero bucket.
    pub fn positive_buckets_rev(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.positive_buckets().collect::<Vec<_>>().into_iter().rev()
    }

    /// Negative buckets from the lowest value up to the zero bucket.
    pub fn negative_buckets_rev(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.negative_buckets().collect::<Vec<_>>().into_iter().rev()
    }

    /// The zero bucket `[-zero_threshold, zero_threshold]`; `None` for custom buckets.
    pub fn zero_bucket(&self) -> Option<Bucket> {
        (!self.uses_custom_buckets()).then_some(Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        })
    }

    /// The zero bucket if it is populated (`zero_count > 0`), as the all-bucket walks show it.
    fn populated_zero_bucket(&self) -> Option<Bucket> {
        self.zero_bucket().filter(|b| b.count > 0.0)
    }

    /// Clamps a bucket overlapping the zero bucket to the zero threshold, as Prometheus does.
    fn clamp_to_zero_bucket(&self, mut b: Bucket) -> Bucket {
        let zt = self.zero_threshold;
        if b.upper < 0.0 && b.upper > -zt {
            b.upper = -zt;
        } else if b.lower > 0.0 && b.lower < zt {
            b.lower = zt;
        }
        b
    }

    /// All buckets in ascending value order: negative, zero (only if populated), positive
    /// (Prometheus's `AllBucketIterator`). Buckets overlapping the zero bucket are clamped to
    /// the zero threshold. Empty regular buckets are included.
    pub fn all_buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.negative_buckets_rev()
            .chain(self.populated_zero_bucket())
            .chain(self.positive_buckets())
            .map(|b| self.clamp_to_zero_bucket(b))
    }

    /// All buckets in descending value order (Prometheus's `AllReverseBucketIterator`).
    pub fn all_buckets_rev(&self) -> impl Iterator<Item = Bucket> + '_ {
        self.positive_buckets_rev()
            .chain(self.populated_zero_bucket())
            .chain(self.negative_buckets())
            .map(|b| self.clamp_to_zero_bucket(b))
    }
}
