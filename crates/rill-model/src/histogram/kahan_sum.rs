//! A Kahan-compensated running sum of whole histograms (Prometheus's `FloatHistogram.KahanAdd`):
//! every count, the zero count and the sum carry their own compensation, kept in a histogram
//! of the same layout as the sum. `sum`/`avg` aggregations and `sum_over_time`/`avg_over_time`
//! use it, so huge values that cancel (`1e100`, `-1e100`) do not absorb small ones.
//!
//! Each addition first adds the plain way (which picks the result's schema, zero threshold,
//! custom bounds and bucket layout), then maps both operands and the compensation onto that
//! layout and redoes the addition bucket by bucket with compensation.

use super::iter::SparseIter;
use super::{CombineInfo, FloatHistogram, HistogramError, Span};
use crate::kahan::kahan_inc;

/// A running histogram sum with Kahan compensation.
#[derive(Clone, Debug, PartialEq)]
pub struct KahanHistogramSum {
    sum: FloatHistogram,
    c: FloatHistogram,
}

impl KahanHistogramSum {
    /// A sum holding just `first`.
    pub fn new(first: &FloatHistogram) -> Self {
        KahanHistogramSum {
            sum: first.clone(),
            c: first.zeroed(),
        }
    }

    /// The running sum without its compensation (to test for overflow).
    pub fn uncompensated(&self) -> &FloatHistogram {
        &self.sum
    }

    /// Adds `h` with compensation; same rules and errors as [`FloatHistogram::add`] (on error
    /// nothing changes).
    pub fn add(&mut self, h: &FloatHistogram) -> Result<CombineInfo, HistogramError> {
        let mut result = self.sum.clone();
        let info = result.add(h)?;
        let blank = result.zeroed();
        let align = |x: &FloatHistogram| {
            let mut aligned = blank.clone();
            aligned.add(x).map(|_| aligned)
        };
        let (a, b, c) = (align(&self.sum)?, align(h)?, align(&self.c)?);
        let same_layout = |x: &FloatHistogram| {
            x.schema == result.schema
                && x.zero_threshold == result.zero_threshold
                && x.custom_values == result.custom_values
        };
        if !(same_layout(&a) && same_layout(&b) && same_layout(&c)) {
            // Cannot happen for valid operands; keep the plain sum rather than fail.
            self.c = blank;
            self.sum = result;
            return Ok(info);
        }
        let mut comp = blank;
        (result.count, comp.count) = kahan_inc(b.count, a.count, c.count);
        (result.sum, comp.sum) = kahan_inc(b.sum, a.sum, c.sum);
        (result.zero_count, comp.zero_count) = kahan_inc(b.zero_count, a.zero_count, c.zero_count);
        for positive in [true, false] {
            let (spans, sums, comps) = if positive {
                (
                    &result.positive_spans,
                    &mut result.positive_buckets,
                    &mut comp.positive_buckets,
                )
            } else {
                (
                    &result.negative_spans,
                    &mut result.negative_buckets,
                    &mut comp.negative_buckets,
                )
            };
            let (mut xa, mut xb, mut xc) = (
                Lookup::new(a.side(positive)),
                Lookup::new(b.side(positive)),
                Lookup::new(c.side(positive)),
            );
            let indexes: Vec<i64> = SparseIter::new(spans, sums).map(|(idx, _)| idx).collect();
            for (idx, (s, k)) in indexes.into_iter().zip(sums.iter_mut().zip(comps.iter_mut())) {
                (*s, *k) = kahan_inc(xb.at(idx), xa.at(idx), xc.at(idx));
            }
        }
        self.sum = result;
        self.c = comp;
        Ok(info)
    }

    /// Multiplies the sum and its compensation by `factor`.
    pub fn mul(&mut self, factor: f64) {
        self.sum.mul(factor);
        self.c.mul(factor);
    }

    /// Divides the sum and its compensation by `divisor`.
    pub fn div(&mut self, divisor: f64) {
        self.sum.div(divisor);
        self.c.div(divisor);
    }

    /// The compensated sum; its counter-reset hint is the running sum's.
    pub fn value(&self) -> FloatHistogram {
        let mut out = self.sum.clone();
        out.count += self.c.count;
        out.sum += self.c.sum;
        out.zero_count += self.c.zero_count;
        let buckets = out.positive_buckets.iter_mut().zip(&self.c.positive_buckets);
        for (v, c) in buckets.chain(out.negative_buckets.iter_mut().zip(&self.c.negative_buckets)) {
            *v += c;
        }
        out
    }
}

impl FloatHistogram {
    /// The same layout (schema, zero threshold, custom bounds, spans) with every count and
    /// the sum zero.
    fn zeroed(&self) -> FloatHistogram {
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            positive_spans: self.positive_spans.clone(),
            negative_spans: self.negative_spans.clone(),
            positive_buckets: vec![0.0; self.positive_buckets.len()],
            negative_buckets: vec![0.0; self.negative_buckets.len()],
            custom_values: self.custom_values.clone(),
            ..FloatHistogram::default()
        }
    }
}

/// Looks up bucket counts by ascending index (absent buckets count 0).
struct Lookup<'a> {
    iter: std::iter::Peekable<SparseIter<'a>>,
}

impl<'a> Lookup<'a> {
    fn new((spans, buckets): (&'a [Span], &'a [f64])) -> Self {
        Lookup {
            iter: SparseIter::new(spans, buckets).peekable(),
        }
    }

    /// The count at `idx`; calls must come with ascending indexes.
    fn at(&mut self, idx: i64) -> f64 {
        while self.iter.next_if(|&(i, _)| i < idx).is_some() {}
        self.iter.next_if(|&(i, _)| i == idx).map_or(0.0, |(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(count: f64, sum: f64, buckets: &[f64]) -> FloatHistogram {
        FloatHistogram {
            count,
            sum,
            positive_spans: vec![Span {
                offset: 0,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn huge_values_cancel_without_absorbing_small_ones() {
        let mut s = KahanHistogramSum::new(&h(1.0, 1.0, &[1.0]));
        for x in [
            h(1e100, 1e100, &[1e100]),
            h(1.0, 1.0, &[1.0, 5.0]),
            h(-1e100, -1e100, &[-1e100]),
        ] {
            s.add(&x).unwrap();
        }
        let v = s.value();
        assert_eq!((v.count, v.sum), (2.0, 2.0));
        assert_eq!(v.positive_buckets, [2.0, 5.0]);
        assert_eq!(s.uncompensated().sum, 0.0, "the plain sum lost the small values");
        s.div(2.0);
        assert_eq!(s.value().sum, 1.0);
    }

    #[test]
    fn layouts_merge_like_plain_addition() {
        let fine = FloatHistogram {
            schema: 1,
            ..h(3.0, 3.0, &[1.0, 1.0, 1.0])
        };
        let mut s = KahanHistogramSum::new(&h(2.0, 2.0, &[2.0]));
        s.add(&fine).unwrap();
        let mut plain = h(2.0, 2.0, &[2.0]);
        plain.add(&fine).unwrap();
        assert_eq!(s.value(), plain);
        let custom = FloatHistogram {
            schema: super::super::CUSTOM_BUCKETS_SCHEMA,
            custom_values: vec![1.0],
            ..h(1.0, 1.0, &[1.0])
        };
        assert_eq!(s.add(&custom), Err(HistogramError::IncompatibleSchema));
        assert_eq!(s.value(), plain, "unchanged on error");
    }
}
