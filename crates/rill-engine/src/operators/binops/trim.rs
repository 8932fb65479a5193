//! The experimental histogram trim operators: `h </ x` keeps the observations below `x`,
//! `h >/ x` those above it (Prometheus's native-histogram trim specification).
//!
//! Each populated bucket is kept, emptied, or, when `x` falls inside it, reduced to the
//! interpolated share on the kept side: logarithmic interpolation for exponential buckets,
//! linear for custom buckets and the zero bucket (whose effective bounds lean towards the
//! side that has buckets). Infinite buckets are kept or dropped whole unless a `(-Inf, u]`
//! bucket with `u > 0` can be read as `[0, u]`. When anything changed, count and sum are
//! recomputed from the surviving buckets, each observation counted at the midpoint of its
//! surviving interval; otherwise they are left exactly as they were.

use rill_model::{Bucket, FloatHistogram};

/// The representative value of the interval `[lo, hi]` of a bucket.
fn midpoint(lo: f64, hi: f64, linear: bool, positive: bool) -> f64 {
    match (lo.is_infinite(), hi.is_infinite()) {
        (true, true) => 0.0,
        (true, false) if hi > 0.0 => hi / 2.0,
        (true, false) => hi,
        (false, true) => lo,
        (false, false) if linear => (lo + hi) / 2.0,
        (false, false) if positive => (lo * hi).abs().sqrt(),
        (false, false) => -(lo * hi).abs().sqrt(),
    }
}

/// The share of `b` at or below `x` (`lower < x < upper`, finite bounds).
fn fraction_below(b: &Bucket, x: f64, linear: bool, positive: bool) -> f64 {
    if linear {
        return (x - b.lower) / (b.upper - b.lower);
    }
    // Go's `math.Log2`, as Prometheus computes it (libm's differs in the last bit).
    let log2 = crate::functions::go_math::log2;
    let (lo, hi, v) = (log2(b.lower.abs()), log2(b.upper.abs()), log2(x.abs()));
    if positive {
        (v - lo) / (hi - lo)
    } else {
        1.0 - (v - hi) / (lo - hi)
    }
}

/// The kept count of `b` and the midpoint of its kept part.
fn trim_bucket(b: &Bucket, x: f64, upper_trim: bool, linear: bool, positive: bool) -> (f64, f64) {
    let full = (b.count, midpoint(b.lower, b.upper, linear, positive));
    let (retained, discarded) = if upper_trim {
        (b.upper <= x, b.lower >= x)
    } else {
        (b.lower >= x, b.upper <= x)
    };
    if retained {
        return full;
    }
    if discarded {
        return (0.0, 0.0);
    }
    if b.lower == f64::NEG_INFINITY {
        let finite_positive = b.upper.is_finite() && b.upper > 0.0;
        return match upper_trim {
            true if finite_positive && x > 0.0 => (b.count * x / b.upper, x / 2.0),
            true if b.upper <= 0.0 => (b.count, x),
            false if finite_positive && x >= 0.0 => (b.count * (1.0 - x / b.upper), (x + b.upper) / 2.0),
            _ => (0.0, 0.0),
        };
    }
    if b.upper == f64::INFINITY {
        return if upper_trim { (0.0, 0.0) } else { (b.count, x) };
    }
    let below = b.count * fraction_below(b, x, linear, positive);
    if upper_trim {
        (below, midpoint(b.lower, x, linear, positive))
    } else {
        (b.count - below, midpoint(x, b.upper, linear, positive))
    }
}

/// The kept count of the zero bucket `[lo, hi]` holding `count`, and its kept midpoint.
fn trim_zero(count: f64, lo: f64, hi: f64, x: f64, upper_trim: bool) -> (f64, f64) {
    let whole = (count, (lo + hi) / 2.0);
    match upper_trim {
        true if x <= lo => (0.0, 0.0),
        true if x >= hi => whole,
        true => (count * (x - lo) / (hi - lo), (lo + x) / 2.0),
        false if x <= lo => whole,
        false if x >= hi => (0.0, 0.0),
        false => (count * (hi - x) / (hi - lo), (x + hi) / 2.0),
    }
}

/// `h </ x` (`upper_trim`) or `h >/ x`.
pub fn trim_histogram(h: &FloatHistogram, x: f64, upper_trim: bool) -> FloatHistogram {
    let mut out = h.clone();
    let linear = h.uses_custom_buckets();
    let (mut count, mut sum, mut changed) = (0.0, 0.0, false);
    let mut has_side = [false, false];
    for (side, positive) in [(0, true), (1, false)] {
        let buckets: Vec<Bucket> = if positive {
            h.positive_buckets()
        } else {
            h.negative_buckets()
        }
        .collect();
        let counts = if positive {
            &mut out.positive_buckets
        } else {
            &mut out.negative_buckets
        };
        for (i, b) in buckets.iter().enumerate() {
            if b.count == 0.0 {
                continue;
            }
            if let Some(s) = has_side.get_mut(side) {
                *s = true;
            }
            let (kept, mid) = trim_bucket(b, x, upper_trim, linear, positive);
            if kept != b.count {
                changed = true;
                if let Some(c) = counts.get_mut(i) {
                    *c = kept;
                }
            }
            count += kept;
            if kept != 0.0 {
                sum += kept * mid;
            }
        }
    }
    if h.zero_count != 0.0 && !linear {
        let zt = h.zero_threshold;
        let (lo, hi) = match has_side {
            [true, false] => (0.0, zt),
            [false, true] => (-zt, 0.0),
            _ => (-zt, zt),
        };
        let (kept, mid) = trim_zero(h.zero_count, lo, hi, x, upper_trim);
        if kept != h.zero_count {
            changed = true;
            out.zero_count = kept;
        }
        count += kept;
        if kept != 0.0 {
            sum += kept * mid;
        }
    }
    if changed {
        out.count = count;
        out.sum = sum;
    }
    out.compact(0);
    out
}

#[cfg(test)]
mod tests {
    use rill_model::Span;

    use super::*;

    #[test]
    fn trims_custom_buckets_linearly() {
        // Buckets (-Inf,1], (1,2], (2,4] with 1, 2, 4 observations.
        let h = FloatHistogram {
            schema: rill_model::histogram::CUSTOM_BUCKETS_SCHEMA,
            count: 7.0,
            sum: 12.0,
            positive_spans: vec![Span { offset: 0, length: 3 }],
            positive_buckets: vec![1.0, 2.0, 4.0],
            custom_values: vec![1.0, 2.0, 4.0],
            ..FloatHistogram::default()
        };
        let t = trim_histogram(&h, 3.0, true);
        // Keeps (-Inf,1] read as [0,1], (1,2], and half of (2,4].
        assert_eq!(t.count, 5.0);
        // 1 at 0.5, 2 at 1.5, 2 at 2.5.
        assert_eq!(t.sum, 8.5);
        let t = trim_histogram(&h, 2.0, false);
        assert_eq!((t.count, t.sum), (4.0, 12.0));
        let same = trim_histogram(&h, f64::INFINITY, true);
        assert_eq!((same.count, same.sum), (7.0, 12.0));
    }
}
