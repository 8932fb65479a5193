//! Classic histograms: cumulative `le` buckets of `<name>_bucket` series, their quantile
//! (Prometheus's `BucketQuantile`, with monotonicity forcing) and fraction, and the parsing of
//! `le` values.

use rill_model::{FloatHistogram, Span};

/// One classic bucket: its upper bound and cumulative count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// `le`.
    pub upper: f64,
    /// Cumulative count.
    pub count: f64,
}

/// The `q`-quantile of classic buckets (any order), interpolating linearly inside the bucket,
/// and whether monotonicity had to be forced. NaN without a `+Inf` bucket, with fewer than two
/// buckets or no observations; ∓Inf for `q` out of range.
pub fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    buckets.sort_by(|a, b| a.upper.total_cmp(&b.upper));
    if !buckets.last().is_some_and(|b| b.upper == f64::INFINITY) {
        return (f64::NAN, false);
    }
    coalesce(buckets);
    correct_precision(buckets, 1e-12);
    let forced = ensure_monotonic(buckets);
    let n = buckets.len();
    if n < 2 {
        return (f64::NAN, false);
    }
    let observations = buckets.get(n - 1).map_or(0.0, |b| b.count);
    if observations == 0.0 {
        return (f64::NAN, false);
    }
    let mut rank = q * observations;
    let b = buckets
        .get(..n - 1)
        .map_or(0, |s| s.partition_point(|x| x.count < rank));
    let get = |i: usize| {
        buckets.get(i).copied().unwrap_or(Bucket {
            upper: f64::NAN,
            count: f64::NAN,
        })
    };
    if b == n - 1 {
        return (get(n - 2).upper, forced);
    }
    if b == 0 && get(0).upper <= 0.0 {
        return (get(0).upper, forced);
    }
    let end = get(b).upper;
    let mut count = get(b).count;
    let mut start = 0.0;
    if b > 0 {
        let prev = get(b - 1);
        start = prev.upper;
        count -= prev.count;
        rank -= prev.count;
    }
    (start + (end - start) * (rank / count), forced)
}

/// Removes tiny non-monotonic steps caused by float imprecision.
fn correct_precision(buckets: &mut [Bucket], tolerance: f64) {
    let mut prev = match buckets.first() {
        Some(b) => b.count,
        None => return,
    };
    for b in buckets.iter_mut().skip(1) {
        let delta = (b.count - prev).abs();
        if delta == 0.0 {
            continue;
        }
        if delta / b.count <= tolerance {
            b.count = prev;
        } else {
            prev = b.count;
        }
    }
}

/// Raises every bucket to at least the count of the buckets below it; true if any changed.
fn ensure_monotonic(buckets: &mut [Bucket]) -> bool {
    let mut forced = false;
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
            forced = true;
        }
    }
    forced
}

/// The estimated fraction of observations in `[lower, upper]` from classic buckets (any
/// order): NaN without a `+Inf` bucket; otherwise the buckets are read as the custom-bucket
/// histogram they describe, so the result equals `histogram_fraction` on the converted NHCB.
pub fn bucket_fraction(lower: f64, upper: f64, buckets: &mut Vec<Bucket>) -> f64 {
    buckets.sort_by(|a, b| a.upper.total_cmp(&b.upper));
    if !buckets.last().is_some_and(|b| b.upper == f64::INFINITY) {
        return f64::NAN;
    }
    coalesce(buckets);
    as_custom_histogram(buckets).fraction(lower, upper)
}

/// The custom-bucket histogram whose cumulative buckets are `buckets` (sorted, coalesced,
/// ending with `+Inf`).
fn as_custom_histogram(buckets: &[Bucket]) -> FloatHistogram {
    let mut h = FloatHistogram {
        schema: rill_model::histogram::CUSTOM_BUCKETS_SCHEMA,
        ..FloatHistogram::default()
    };
    let mut prev = 0.0;
    for b in buckets {
        if b.upper.is_finite() {
            h.custom_values.push(b.upper);
        }
        h.positive_buckets.push(b.count - prev);
        prev = b.count;
    }
    h.count = prev;
    h.positive_spans.push(Span {
        offset: 0,
        length: u32::try_from(h.positive_buckets.len()).unwrap_or(u32::MAX),
    });
    h
}

/// Merges buckets with equal bounds (sorted input).
fn coalesce(buckets: &mut Vec<Bucket>) {
    buckets.dedup_by(|b, a| {
        let same = a.upper == b.upper;
        if same {
            a.count += b.count;
        }
        same
    });
}

/// Why a string is not a float in Go's `strconv.ParseFloat` syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidFloat;

/// Parses a float with Go's `strconv.ParseFloat` syntax, as Prometheus parses `le` labels:
/// decimal (`1`, `.5`, `1e3`), `Inf`/`Infinity` with optional sign, `NaN` without sign (any
/// case), and hexadecimal floats with a mandatory `p` exponent (`0x1.8p1`), whose digits may
/// be separated by underscores (`0x_1p0`). Decimal numbers may not contain underscores.
pub fn parse_go_float(s: &str) -> Result<f64, InvalidFloat> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let value = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" {
        if body.len() != s.len() {
            return Err(InvalidFloat);
        }
        f64::NAN
    } else if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex(hex)?
    } else {
        if lower.is_empty()
            || lower.starts_with(['+', '-'])
            || !lower
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        {
            return Err(InvalidFloat);
        }
        lower.parse::<f64>().map_err(|_| InvalidFloat)?
    };
    Ok(if negative { -value } else { value })
}

/// The part of a Go hexadecimal float after `0x`: hex digits with at most one `.`,
/// underscores only between digits (or right after the prefix), then `p` and a decimal exponent.
fn parse_hex(s: &str) -> Result<f64, InvalidFloat> {
    let (mantissa, exponent) = s.split_once('p').ok_or(InvalidFloat)?;
    let exponent: i32 = match exponent.strip_prefix('+') {
        Some(e) if !e.starts_with(['+', '-']) => e.parse(),
        _ => exponent.parse(),
    }
    .map_err(|_| InvalidFloat)?;
    if !underscores_ok(mantissa) {
        return Err(InvalidFloat);
    }
    let (mut value, mut digits, mut frac_digits, mut seen_dot) = (0.0f64, 0, 0i32, false);
    for c in mantissa.chars() {
        match c {
            '_' => {}
            '.' if !seen_dot => seen_dot = true,
            _ => {
                let d = c.to_digit(16).ok_or(InvalidFloat)?;
                value = value * 16.0 + f64::from(d);
                digits += 1;
                if seen_dot {
                    frac_digits += 1;
                }
            }
        }
    }
    if digits == 0 {
        return Err(InvalidFloat);
    }
    Ok(value * 2f64.powi(exponent.saturating_sub(frac_digits.saturating_mul(4))))
}

/// Go's rule: every underscore sits between two digits, or right after the base prefix.
fn underscores_ok(mantissa: &str) -> bool {
    let b = mantissa.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        if c != b'_' {
            return true;
        }
        let before_ok = i == 0 || b.get(i - 1).is_some_and(u8::is_ascii_hexdigit);
        let after_ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit);
        before_ok && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(upper: f64, count: f64) -> Bucket {
        Bucket { upper, count }
    }

    #[test]
    fn interpolates_within_bucket() {
        let mut bs = vec![b(f64::INFINITY, 100.0), b(0.1, 50.0), b(0.2, 100.0)];
        assert_eq!(bucket_quantile(0.5, &mut bs), (0.1, false));
        let mut bs = vec![b(0.1, 50.0), b(0.2, 100.0), b(f64::INFINITY, 100.0)];
        let (v, _) = bucket_quantile(0.75, &mut bs);
        assert!((v - 0.15).abs() < 1e-12);
    }

    #[test]
    fn highest_bucket_and_special_cases() {
        let mut bs = vec![b(1.0, 10.0), b(f64::INFINITY, 20.0)];
        assert_eq!(bucket_quantile(0.99, &mut bs).0, 1.0);
        let mut no_inf = vec![b(1.0, 10.0), b(2.0, 20.0)];
        assert!(bucket_quantile(0.5, &mut no_inf).0.is_nan());
        assert_eq!(bucket_quantile(-1.0, &mut bs).0, f64::NEG_INFINITY);
    }

    #[test]
    fn forces_monotonicity() {
        let mut bs = vec![b(1.0, 10.0), b(2.0, 5.0), b(f64::INFINITY, 10.0)];
        let (v, forced) = bucket_quantile(0.5, &mut bs);
        assert!(forced);
        assert_eq!(v, 0.5);
    }

    #[test]
    fn fraction_matches_the_custom_bucket_reading() {
        let mut bs = vec![b(f64::INFINITY, 10.0), b(1.0, 4.0), b(2.0, 8.0)];
        // (0,1]: 4, (1,2]: 4, (2,+Inf): 2; half of (1,2] lies below 1.5.
        assert!((bucket_fraction(0.0, 1.5, &mut bs) - 0.6).abs() < 1e-12);
        let mut no_inf = vec![b(1.0, 10.0)];
        assert!(bucket_fraction(0.0, 1.0, &mut no_inf).is_nan());
    }

    #[test]
    fn parses_le_values() {
        assert_eq!(parse_go_float("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_go_float("-infinity"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_go_float("0.5"), Ok(0.5));
        assert_eq!(parse_go_float(".5e1"), Ok(5.0));
        assert_eq!(parse_go_float("0x1.8p1"), Ok(3.0));
        assert_eq!(parse_go_float("-0X_1p-2"), Ok(-0.25));
        assert!(parse_go_float("NaN").is_ok_and(f64::is_nan));
        for bad in [
            "", "x", "+NaN", "1_000", "0x1", "0x1__0p0", "0x1_p0", "1e", "--1", "0xp1",
        ] {
            assert_eq!(parse_go_float(bad), Err(InvalidFloat), "{bad}");
        }
    }
}
