//! Histogram arithmetic: `+`, `-`, scaling, negation, schema reduction.
//!
//! Addition follows Prometheus's `FloatHistogram.Add`: the result takes the lower of the two
//! schemas (the receiver is reduced if needed), the larger zero threshold (buckets that fall
//! into the widened zero bucket are merged into it), and the union of both bucket layouts.
//! Custom-bucket histograms with different bounds are mapped onto the intersection of their
//! bounds ("reconciled"), which the engine reports as an info annotation.

use std::cmp::Ordering;

use super::iter::{ReducedIter, SparseIter};
use super::schema::{exponential_bound, is_exponential_schema};
use super::sparse::{SparseBuilder, reduce_side};
use super::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, HistogramError, Span};

/// What an addition or subtraction had to paper over; the engine turns these into annotations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CombineInfo {
    /// One operand said `CounterReset`, the other `NotCounterReset` (the result's hint is
    /// then `Unknown`); Prometheus warns about this in aggregations.
    pub counter_reset_collision: bool,
    /// Custom-bucket operands had different bounds and were mapped to the intersection of
    /// their bounds (`mismatched custom buckets were reconciled during ...`).
    pub nhcb_bounds_reconciled: bool,
}

impl FloatHistogram {
    /// Adds `other` to `self` in place (Prometheus's `Add`).
    ///
    /// - Exponential + custom buckets fails with [`HistogramError::IncompatibleSchema`];
    ///   invalid schemas, inconsistent spans or a NaN/negative zero threshold fail too. On
    ///   error `self` is unchanged.
    /// - The result has `min(self.schema, other.schema)` and the larger zero threshold,
    ///   widened further until it does not cut through a populated bucket of either operand.
    /// - Custom buckets with different bounds are mapped to the intersection of the bounds
    ///   (buckets between common bounds go to the next common bound; empty results dropped),
    ///   reported in [`CombineInfo::nhcb_bounds_reconciled`].
    /// - The counter-reset hint is combined by [`CounterResetHint::combine`].
    /// - The result may hold empty buckets; call [`FloatHistogram::compact`] to normalise.
    pub fn add(&mut self, other: &FloatHistogram) -> Result<CombineInfo, HistogramError> {
        self.combine(other, false)
    }

    /// Subtracts `other` from `self` in place; same rules as [`FloatHistogram::add`]. For the
    /// PromQL `-` operator the caller must set the hint to `Gauge` afterwards, as Prometheus does.
    pub fn sub(&mut self, other: &FloatHistogram) -> Result<CombineInfo, HistogramError> {
        self.combine(other, true)
    }

    fn combine(&mut self, other: &FloatHistogram, negate: bool) -> Result<CombineInfo, HistogramError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(HistogramError::IncompatibleSchema);
        }
        self.check_operand()?;
        other.check_operand()?;
        let sign = if negate { -1.0 } else { 1.0 };
        let (hint, counter_reset_collision) = self.counter_reset_hint.combine(other.counter_reset_hint);
        let mut info = CombineInfo {
            counter_reset_collision,
            nhcb_bounds_reconciled: false,
        };

        if self.uses_custom_buckets() {
            self.counter_reset_hint = hint;
            self.count += sign * other.count;
            self.sum += sign * other.sum;
            if self.custom_values == other.custom_values {
                let (spans, buckets) = merge_sides(
                    SparseIter::new(&self.positive_spans, &self.positive_buckets),
                    SparseIter::new(&other.positive_spans, &other.positive_buckets).map(|(i, c)| (i, sign * c)),
                );
                self.positive_spans = spans;
                self.positive_buckets = buckets;
            } else {
                info.nhcb_bounds_reconciled = true;
                self.add_mismatched_custom(other, sign);
            }
            return Ok(info);
        }

        let other_zero_count = self.reconcile_zero_buckets(other)?;
        self.counter_reset_hint = hint;
        self.zero_count += sign * other_zero_count;
        self.count += sign * other.count;
        self.sum += sign * other.sum;
        if other.schema < self.schema {
            let (ps, pb) = reduce_side(&self.positive_spans, &self.positive_buckets, self.schema, other.schema)?;
            let (ns, nb) = reduce_side(&self.negative_spans, &self.negative_buckets, self.schema, other.schema)?;
            (self.positive_spans, self.positive_buckets) = (ps, pb);
            (self.negative_spans, self.negative_buckets) = (ns, nb);
            self.schema = other.schema;
        }
        for positive in [true, false] {
            let (schema, threshold) = (self.schema, self.zero_threshold);
            let (a_spans, a_buckets) = self.side(positive);
            let (b_spans, b_buckets) = other.side(positive);
            let b = ReducedIter::new(b_spans, b_buckets, other.schema, schema)
                .skip_while(|&(idx, _)| is_exponential_schema(schema) && exponential_bound(idx, schema) <= threshold)
                .map(|(i, c)| (i, sign * c));
            let merged = merge_sides(SparseIter::new(a_spans, a_buckets), b);
            if positive {
                (self.positive_spans, self.positive_buckets) = merged;
            } else {
                (self.negative_spans, self.negative_buckets) = merged;
            }
        }
        Ok(info)
    }

    /// Adds custom buckets with other bounds by mapping both onto the common bounds.
    fn add_mismatched_custom(&mut self, other: &FloatHistogram, sign: f64) {
        let common = intersect_bounds(&self.custom_values, &other.custom_values);
        let mut target = vec![0.0; common.len() + 1];
        map_custom(
            &mut target,
            &common,
            &self.positive_spans,
            &self.positive_buckets,
            &self.custom_values,
            1.0,
        );
        map_custom(
            &mut target,
            &common,
            &other.positive_spans,
            &other.positive_buckets,
            &other.custom_values,
            sign,
        );
        let mut out = SparseBuilder::default();
        for (idx, &count) in (0i64..).zip(target.iter()) {
            if count != 0.0 {
                out.push(idx, count, 0);
            }
        }
        (self.positive_spans, self.positive_buckets) = out.finish();
        self.custom_values = common;
    }

    /// Multiplies every count and the sum by `factor` (Prometheus's `Mul`). A negative factor
    /// makes the result a gauge histogram. Bucket layout is unchanged.
    pub fn mul(&mut self, factor: f64) {
        self.scale(|v| v * factor);
        if factor < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
    }

    /// Divides every count and the sum by `divisor` (Prometheus's `Div`). Division by zero
    /// (either sign) removes all buckets and leaves count, sum and zero count as `±Inf`/`NaN`
    /// (the hint is then unchanged); a negative divisor makes the result a gauge histogram.
    pub fn div(&mut self, divisor: f64) {
        if divisor == 0.0 {
            self.zero_count /= divisor;
            self.count /= divisor;
            self.sum /= divisor;
            self.positive_spans.clear();
            self.negative_spans.clear();
            self.positive_buckets.clear();
            self.negative_buckets.clear();
            return;
        }
        self.scale(|v| v / divisor);
        if divisor < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
    }

    /// Unary minus as Prometheus evaluates it: `mul(-1)`, so the result is a gauge histogram.
    pub fn negate(&mut self) {
        self.mul(-1.0);
    }

    fn scale(&mut self, f: impl Fn(f64) -> f64) {
        self.zero_count = f(self.zero_count);
        self.count = f(self.count);
        self.sum = f(self.sum);
        for b in self.positive_buckets.iter_mut().chain(self.negative_buckets.iter_mut()) {
            *b = f(*b);
        }
    }

    /// Reduces the resolution in place to `target` (< the current schema), merging buckets
    /// (Prometheus's `ReduceResolution`). Fails for custom buckets, a custom target, a target
    /// not below the current schema, or inconsistent spans.
    pub fn reduce_resolution(&mut self, target: i32) -> Result<(), HistogramError> {
        self.check_reducible(target)?;
        if target >= self.schema {
            return Err(HistogramError::ReduceResolution(format!(
                "cannot reduce resolution from schema {} to {target}",
                self.schema
            )));
        }
        let (ps, pb) = reduce_side(&self.positive_spans, &self.positive_buckets, self.schema, target)?;
        let (ns, nb) = reduce_side(&self.negative_spans, &self.negative_buckets, self.schema, target)?;
        (self.positive_spans, self.positive_buckets) = (ps, pb);
        (self.negative_spans, self.negative_buckets) = (ns, nb);
        self.schema = target;
        Ok(())
    }

    /// A copy with schema `target` (≤ the current one), as Prometheus's `CopyToSchema`: for a
    /// lower target the copy carries only schema, zero bucket, count, sum and buckets (its
    /// counter-reset hint is `Unknown`). Same schema returns a plain clone.
    pub fn copy_to_schema(&self, target: i32) -> Result<FloatHistogram, HistogramError> {
        if target == self.schema {
            return Ok(self.clone());
        }
        self.check_reducible(target)?;
        if target > self.schema {
            return Err(HistogramError::ReduceResolution(format!(
                "cannot copy from schema {} to {target}",
                self.schema
            )));
        }
        let (positive_spans, positive_buckets) =
            reduce_side(&self.positive_spans, &self.positive_buckets, self.schema, target)?;
        let (negative_spans, negative_buckets) =
            reduce_side(&self.negative_spans, &self.negative_buckets, self.schema, target)?;
        Ok(FloatHistogram {
            schema: target,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count,
            count: self.count,
            sum: self.sum,
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            ..FloatHistogram::default()
        })
    }

    fn check_reducible(&self, target: i32) -> Result<(), HistogramError> {
        if self.uses_custom_buckets() {
            return Err(HistogramError::ReduceResolution(
                "cannot reduce resolution when there are custom buckets".into(),
            ));
        }
        if target == CUSTOM_BUCKETS_SCHEMA {
            return Err(HistogramError::ReduceResolution(
                "cannot reduce resolution to custom buckets schema".into(),
            ));
        }
        Ok(())
    }
}

/// Merges two ascending `(index, count)` walks, summing counts at equal indexes and keeping
/// every bucket of both (empty ones too), as Prometheus's `addBuckets` does.
fn merge_sides(a: impl Iterator<Item = (i64, f64)>, b: impl Iterator<Item = (i64, f64)>) -> (Vec<Span>, Vec<f64>) {
    let mut out = SparseBuilder::default();
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let next = match (a.peek().copied(), b.peek().copied()) {
            (None, None) => break,
            (Some(x), None) => a.next().map(|_| x),
            (None, Some(y)) => b.next().map(|_| y),
            (Some(x), Some(y)) if x.0 < y.0 => a.next().map(|_| x),
            (Some(x), Some(y)) if y.0 < x.0 => b.next().map(|_| y),
            (Some(x), Some(y)) => {
                a.next();
                b.next();
                Some((x.0, x.1 + y.1))
            }
        };
        if let Some((idx, count)) = next {
            out.push(idx, count, 0);
        }
    }
    out.finish()
}

/// The bounds present in both ascending lists (Prometheus's `intersectCustomBucketBounds`).
pub(super) fn intersect_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if x == y {
            out.push(x);
            i += 1;
            j += 1;
        } else if x < y {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Adds `sign ×` each custom bucket into `target`, indexed by the first common bound at or
/// above the bucket's own upper bound (the `+Inf` bucket when there is none).
fn map_custom(target: &mut [f64], common: &[f64], spans: &[Span], buckets: &[f64], bounds: &[f64], sign: f64) {
    let inf_idx = common.len();
    let mut k = 0usize;
    for (idx, count) in SparseIter::new(spans, buckets) {
        let own = usize::try_from(idx).ok().and_then(|i| bounds.get(i));
        let t = match own {
            Some(&bound) => {
                while common
                    .get(k)
                    .is_some_and(|&c| matches!(c.partial_cmp(&bound), Some(Ordering::Less) | None))
                {
                    k += 1;
                }
                k.min(inf_idx)
            }
            None => inf_idx,
        };
        if let Some(slot) = target.get_mut(t) {
            *slot += sign * count;
        }
    }
}
