//! Go's `math.Pow` (`pow.go`, pure Go on amd64), PromQL's `^` operator: special cases, then
//! `x^yi` by repeated squaring on `Frexp` parts with a separate exponent, times
//! `Exp(yf·Log(x))` for the fractional part of `y`, scaled by `Ldexp`.

use super::GO_NAN;
use super::exp::exp;
use super::float_bits::{frexp, go_f64_to_i64, ldexp, modf};
use super::log::log;

/// Go's `isOddInt`, including its `int64` conversion (huge values count as even).
#[inline]
fn is_odd_int(x: f64) -> bool {
    let (xi, xf) = modf(x);
    xf == 0.0 && go_f64_to_i64(xi) & 1 == 1
}

/// Go's `math.Pow(x, y)`.
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if y == 1.0 {
        return x;
    }
    if x.is_nan() || y.is_nan() {
        return GO_NAN;
    }
    if x == 0.0 {
        let odd = is_odd_int(y);
        return match (y < 0.0, odd) {
            (true, true) => f64::INFINITY.copysign(x),
            (true, false) => f64::INFINITY,
            (false, true) => x,
            (false, false) => 0.0,
        };
    }
    if y.is_infinite() {
        return huge_power(x, y);
    }
    if x.is_infinite() {
        if x < 0.0 {
            return pow(1.0 / x, -y);
        }
        return if y < 0.0 { 0.0 } else { f64::INFINITY };
    }
    if y == 0.5 {
        return x.sqrt();
    }
    if y == -0.5 {
        return 1.0 / x.sqrt();
    }
    let (mut yi, mut yf) = modf(y.abs());
    if yf != 0.0 && x < 0.0 {
        return GO_NAN;
    }
    if yi >= 9_223_372_036_854_775_808.0 {
        return huge_power(x, y);
    }
    let mut a1 = 1.0;
    let mut ae: i64 = 0;
    if yf != 0.0 {
        if yf > 0.5 {
            yf -= 1.0;
            yi += 1.0;
        }
        a1 = exp(yf * log(x));
    }
    let (mut x1, mut xe) = frexp(x);
    let mut i = yi as i64;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    if y < 0.0 {
        a1 = 1.0 / a1;
        ae = -ae;
    }
    ldexp(a1, ae)
}

/// `x^y` for an infinite `y` or one beyond int64 (Go treats both alike): 1 for `x = -1`, else
/// 0 or +Inf by whether `|x| < 1` goes with a positive `y`.
fn huge_power(x: f64, y: f64) -> f64 {
    if x == -1.0 {
        1.0
    } else if (x.abs() < 1.0) == (y > 0.0) {
        0.0
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_cases_follow_go() {
        assert_eq!(pow(1.0, f64::NAN), 1.0);
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(-0.0, -3.0), f64::NEG_INFINITY);
        assert_eq!(pow(-0.0, 1e300), 0.0, "1e300 is even for Go's int64 conversion");
        assert_eq!(pow(-1.0, f64::INFINITY), 1.0);
        assert_eq!(pow(f64::NEG_INFINITY, 3.0), f64::NEG_INFINITY);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(2.0, -1074.0), f64::from_bits(1));
        assert_eq!(pow(10.0, 2.0), 100.0);
    }
}
