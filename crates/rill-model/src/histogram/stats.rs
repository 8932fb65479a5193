//! Statistics estimated from a histogram: quantile, fraction, mean, variance.
//!
//! As in Prometheus 3.x, values inside exponential buckets are interpolated exponentially
//! (linearly in log space), values inside the zero bucket and inside custom buckets linearly.
//! If a histogram has only positive buckets, the zero bucket is taken to start at 0 (only
//! negative ones: to end at 0).

use super::FloatHistogram;
use super::iter::Bucket;
use crate::go_math;
use crate::kahan::kahan_inc;

impl FloatHistogram {
    /// Narrows a bucket straddling zero to `[0, upper]` or `[lower, 0]` when the histogram has
    /// only positive or only negative buckets.
    fn natural_zero_bounds(&self, b: &mut Bucket) {
        if self.negative_buckets.is_empty() && !self.positive_buckets.is_empty() {
            b.lower = 0.0;
        } else if self.positive_buckets.is_empty() && !self.negative_buckets.is_empty() {
            b.upper = 0.0;
        }
    }

    /// The `q`-quantile estimated from the buckets (Prometheus's `HistogramQuantile`).
    ///
    /// `q < 0` gives `-Inf`, `q > 1` gives `+Inf`, `q` NaN or a zero count gives `NaN`.
    /// Custom buckets: a quantile in the first bucket (lower bound `-Inf`) returns its upper
    /// bound if that is `≤ 0` and otherwise interpolates from 0; in the `+Inf` bucket it returns
    /// the bucket's lower bound. If the buckets hold fewer observations than `count` (NaN
    /// observations, detected by a NaN sum), the upper bound of the last bucket is returned.
    pub fn quantile(&self, q: f64) -> f64 {
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        if self.count == 0.0 || q.is_nan() {
            return f64::NAN;
        }
        let forward = self.sum.is_nan() || q < 0.5;
        let mut rank = if forward {
            q * self.count
        } else {
            (1.0 - q) * self.count
        };
        let buckets: Box<dyn Iterator<Item = Bucket> + '_> = if forward {
            Box::new(self.all_buckets())
        } else {
            Box::new(self.all_buckets_rev())
        };
        let mut bucket = Bucket {
            lower: 0.0,
            upper: 0.0,
            lower_inclusive: false,
            upper_inclusive: false,
            count: 0.0,
            index: 0,
        };
        let mut count = 0.0;
        for b in buckets.filter(|b| b.count != 0.0) {
            bucket = b;
            count += b.count;
            if count >= rank {
                break;
            }
        }
        if !self.uses_custom_buckets() && bucket.lower < 0.0 && bucket.upper > 0.0 {
            self.natural_zero_bounds(&mut bucket);
        } else if self.uses_custom_buckets() {
            if bucket.lower == f64::NEG_INFINITY {
                if bucket.upper <= 0.0 {
                    return bucket.upper;
                }
                bucket.lower = 0.0;
            } else if bucket.upper == f64::INFINITY {
                return bucket.lower;
            }
        }
        count = count.min(self.count);
        if count < rank {
            return bucket.upper;
        }
        if forward {
            rank -= count - bucket.count;
        } else {
            rank = count - rank;
        }
        let fraction = rank / bucket.count;
        if self.uses_custom_buckets() || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
            return bucket.lower + (bucket.upper - bucket.lower) * fraction;
        }
        // Go's Log2/Exp2, as Prometheus interpolates (libm's differ in the last bit).
        let log_lower = go_math::log2(bucket.lower.abs());
        let log_upper = go_math::log2(bucket.upper.abs());
        if bucket.lower > 0.0 {
            go_math::exp2(log_lower + (log_upper - log_lower) * fraction)
        } else {
            -go_math::exp2(log_upper + (log_lower - log_upper) * (1.0 - fraction))
        }
    }

    /// The estimated fraction of observations in `[lower, upper]` (Prometheus's
    /// `HistogramFraction`): `NaN` for a zero count or a NaN bound, `0` if `lower >= upper`.
    /// Use `-Inf`/`+Inf` for open ends.
    pub fn fraction(&self, lower: f64, upper: f64) -> f64 {
        if self.count == 0.0 || lower.is_nan() || upper.is_nan() {
            return f64::NAN;
        }
        if lower >= upper {
            return 0.0;
        }
        let (mut rank, mut lower_rank, mut upper_rank) = (0.0, None, None);
        for mut b in self.all_buckets() {
            let zero_bucket = b.lower <= 0.0 && b.upper >= 0.0;
            if zero_bucket {
                self.natural_zero_bounds(&mut b);
            }
            let linear = self.uses_custom_buckets() || zero_bucket;
            let interpolate = |v: f64| {
                if b.lower == f64::NEG_INFINITY {
                    // A bucket of infinite width (the first custom bucket) cannot be
                    // interpolated: all of it counts as below `v`, as Prometheus does.
                    return rank + b.count;
                }
                if linear {
                    return rank + b.count * (v - b.lower) / (b.upper - b.lower);
                }
                let log2 = go_math::log2;
                let (log_lower, log_upper, log_v) = (log2(b.lower.abs()), log2(b.upper.abs()), log2(v.abs()));
                let fraction = if v > 0.0 {
                    (log_v - log_lower) / (log_upper - log_lower)
                } else {
                    1.0 - ((log_v - log_upper) / (log_lower - log_upper))
                };
                rank + b.count * fraction
            };
            if lower_rank.is_none() && b.lower >= lower {
                lower_rank = Some(rank);
            }
            if upper_rank.is_none() && b.lower >= upper {
                upper_rank = Some(rank);
            }
            if lower_rank.is_some() && upper_rank.is_some() {
                break;
            }
            if lower_rank.is_none() && b.lower < lower && b.upper > lower {
                lower_rank = Some(interpolate(lower));
            }
            if upper_rank.is_none() && b.lower < upper && b.upper > upper {
                upper_rank = Some(interpolate(upper));
            }
            if lower_rank.is_some() && upper_rank.is_some() {
                break;
            }
            rank += b.count;
        }
        let clamp = |r: Option<f64>| {
            r.filter(|r| r.partial_cmp(&self.count) != Some(std::cmp::Ordering::Greater))
                .unwrap_or(self.count)
        };
        (clamp(upper_rank) - clamp(lower_rank)) / self.count
    }

    /// The mean observation, `sum / count` (`histogram_avg`).
    pub fn avg(&self) -> f64 {
        self.sum / self.count
    }

    /// The estimated variance of the observations (`histogram_stdvar`): each bucket's
    /// observations sit at its geometric mean (exponential buckets, sign kept), at 0 (zero
    /// bucket) or at its arithmetic mean (custom buckets); deviations from `sum / count` are
    /// summed with Kahan summation. `NaN` for a zero count.
    pub fn stdvar(&self) -> f64 {
        let mean = self.sum / self.count;
        let (mut variance, mut c) = (0.0, 0.0);
        for b in self.all_buckets().filter(|b| b.count != 0.0) {
            let val = if self.uses_custom_buckets() {
                (b.upper + b.lower) / 2.0
            } else if b.lower <= 0.0 && b.upper >= 0.0 {
                0.0
            } else {
                let g = (b.upper * b.lower).sqrt();
                if b.upper < 0.0 { -g } else { g }
            };
            let delta = val - mean;
            (variance, c) = kahan_inc(b.count * delta * delta, variance, c);
        }
        (variance + c) / self.count
    }

    /// The estimated standard deviation (`histogram_stddev`): the square root of
    /// [`FloatHistogram::stdvar`].
    pub fn stddev(&self) -> f64 {
        self.stdvar().sqrt()
    }
}
