//! Go's bit-level float helpers (`Frexp`, `Ldexp`, `Modf`) and the float-to-integer
//! conversions of amd64 (`CVTSD2SL`, `CVTTSD2SQ`), whose out-of-range answers differ from
//! Rust's saturating `as`.

const SHIFT: u32 = 52;
const MASK: u64 = 0x7FF;
const BIAS: i64 = 1023;
const SMALLEST_NORMAL: f64 = 2.2250738585072014e-308;

/// The biased exponent field of `bits`.
#[inline]
fn exponent_field(bits: u64) -> i64 {
    ((bits >> SHIFT) & MASK) as i64
}

/// Go's `normalize`: a subnormal scaled into the normal range, and the exponent correction.
#[inline]
fn normalize(x: f64) -> (f64, i64) {
    if x.abs() < SMALLEST_NORMAL {
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    }
}

/// Go's `math.Frexp`: `f == frac × 2^exp` with `|frac|` in [0.5, 1); zero, infinities and NaN
/// are returned unchanged with exponent 0. Subnormals are handled.
#[inline]
pub fn frexp(f: f64) -> (f64, i64) {
    if f == 0.0 || !f.is_finite() {
        return (f, 0);
    }
    let (f, e) = normalize(f);
    let bits = f.to_bits();
    let exp = e + exponent_field(bits) - BIAS + 1;
    let frac = (bits & !(MASK << SHIFT)) | (((BIAS - 1) as u64) << SHIFT);
    (f64::from_bits(frac), exp)
}

/// Go's `math.Ldexp`: `frac × 2^exp`, rounding into subnormals like Go (one final multiply by
/// 2^-53) and saturating to ±0 / ±Inf.
#[inline]
pub fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = normalize(frac);
    let bits = frac.to_bits();
    let mut exp = exp.saturating_add(e).saturating_add(exponent_field(bits) - BIAS);
    if exp < -1075 {
        return 0f64.copysign(frac);
    }
    if exp > 1023 {
        return f64::INFINITY.copysign(frac);
    }
    let mut m = 1.0;
    if exp < -1022 {
        exp += 53;
        m = 1.0 / (1u64 << 53) as f64;
    }
    let bits = (bits & !(MASK << SHIFT)) | (((exp + BIAS) as u64) << SHIFT);
    m * f64::from_bits(bits)
}

/// Go's `math.Modf` (pure Go on amd64): integer and fractional parts with the sign of `f`;
/// `Modf(±Inf) = (±Inf, NaN)`.
#[inline]
pub fn modf(f: f64) -> (f64, f64) {
    if f < 1.0 {
        if f < 0.0 {
            let (int, frac) = modf(-f);
            return (-int, -frac);
        }
        if f == 0.0 {
            return (f, f);
        }
        return (0.0, f);
    }
    let mut bits = f.to_bits();
    let e = exponent_field(bits) - BIAS;
    if e < 52 {
        bits &= !((1u64 << (52 - e)) - 1);
    }
    let int = f64::from_bits(bits);
    (int, f - int)
}

/// Go's `int64(f)` on amd64 (`CVTTSD2SQ`): truncation, and `i64::MIN` for NaN and values out
/// of range (Rust's `as` saturates instead).
#[inline]
pub(super) fn go_f64_to_i64(f: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if (-LIMIT..LIMIT).contains(&f) {
        f as i64
    } else {
        i64::MIN
    }
}

/// amd64's `CVTSD2SL` under the default rounding mode: round half to even into an `i32`,
/// `i32::MIN` for NaN and values out of range.
#[inline]
pub(super) fn cvtsd2sl(f: f64) -> i32 {
    let r = f.round_ties_even();
    if (-2_147_483_648.0..=2_147_483_647.0).contains(&r) {
        r as i32
    } else {
        i32::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_ldexp_round_trip_including_subnormals() {
        assert_eq!(frexp(8.0), (0.5, 4));
        assert_eq!(frexp(f64::from_bits(1)), (0.5, -1073));
        assert_eq!(ldexp(0.5, -1073), f64::from_bits(1));
        assert_eq!(ldexp(0.75, -1074), f64::from_bits(1), "rounds to nearest at the bottom");
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(-1.0, -2000).to_bits(), (-0f64).to_bits());
        assert_eq!(frexp(-0.0).0.to_bits(), (-0f64).to_bits());
    }

    #[test]
    fn modf_and_conversions() {
        assert_eq!(modf(-3.25), (-3.0, -0.25));
        assert_eq!(modf(1e300), (1e300, 0.0));
        assert!(modf(f64::INFINITY).1.is_nan());
        assert_eq!(go_f64_to_i64(1e300), i64::MIN);
        assert_eq!(go_f64_to_i64(-3.9), -3);
        assert_eq!(cvtsd2sl(2.5), 2);
        assert_eq!(cvtsd2sl(-1e10), i32::MIN);
    }
}
