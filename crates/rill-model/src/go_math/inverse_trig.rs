//! Go's `math.Asin`, `Acos` (`asin.go`), `Atan` (`atan.go`, Cephes) and `Atan2` (`atan2.go`).
//! All are pure Go on amd64.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

use super::GO_NAN;

/// Go's `xatan`: atan on [0, 0.66] by a rational approximation.
#[inline]
fn xatan(x: f64) -> f64 {
    const P: [f64; 5] = [
        -8.750608600031904122785e-01,
        -1.615753718733365076637e+01,
        -7.500855792314704667340e+01,
        -1.228866684490136173410e+02,
        -6.485021904942025371773e+01,
    ];
    const Q: [f64; 5] = [
        2.485846490142306297962e+01,
        1.650270098316988542046e+02,
        4.328810604912902668951e+02,
        4.853903996359136964868e+02,
        1.945506571482613964425e+02,
    ];
    let z = x * x;
    let num = (((P[0] * z + P[1]) * z + P[2]) * z + P[3]) * z + P[4];
    let den = ((((z + Q[0]) * z + Q[1]) * z + Q[2]) * z + Q[3]) * z + Q[4];
    let z = z * num / den;
    x * z + x
}

/// Go's `satan`: atan of a non-negative argument, reduced into [0, 0.66].
#[inline]
fn satan(x: f64) -> f64 {
    const MOREBITS: f64 = 6.123233995736765886130e-17;
    const TAN3PIO8: f64 = 2.41421356237309504880;
    if x <= 0.66 {
        return xatan(x);
    }
    if x > TAN3PIO8 {
        return FRAC_PI_2 - xatan(1.0 / x) + MOREBITS;
    }
    FRAC_PI_4 + xatan((x - 1.0) / (x + 1.0)) + 0.5 * MOREBITS
}

/// Go's `math.Asin` (PromQL `asin`).
pub fn asin(x: f64) -> f64 {
    if x == 0.0 {
        return x;
    }
    let a = x.abs();
    if a > 1.0 {
        return GO_NAN;
    }
    let temp = (1.0 - a * a).sqrt();
    let r = if a > 0.7 {
        FRAC_PI_2 - satan(temp / a)
    } else {
        satan(a / temp)
    };
    if x < 0.0 { -r } else { r }
}

/// Go's `math.Acos`: `Pi/2 - Asin(x)` (PromQL `acos`).
#[inline]
pub fn acos(x: f64) -> f64 {
    FRAC_PI_2 - asin(x)
}

/// Go's `math.Atan` (PromQL `atan`).
pub fn atan(x: f64) -> f64 {
    if x == 0.0 {
        return x;
    }
    if x > 0.0 { satan(x) } else { -satan(-x) }
}

/// Go's `math.Atan2(y, x)` (PromQL's `atan2` operator, `y atan2 x`).
pub fn atan2(y: f64, x: f64) -> f64 {
    if y.is_nan() || x.is_nan() {
        return GO_NAN;
    }
    if y == 0.0 {
        return if x >= 0.0 && !x.is_sign_negative() {
            0f64.copysign(y)
        } else {
            PI.copysign(y)
        };
    }
    if x == 0.0 {
        return FRAC_PI_2.copysign(y);
    }
    if x.is_infinite() {
        let r = match (x > 0.0, y.is_infinite()) {
            (true, true) => FRAC_PI_4,
            (true, false) => 0.0,
            (false, true) => THREE_PI_4,
            (false, false) => PI,
        };
        return r.copysign(y);
    }
    if y.is_infinite() {
        return FRAC_PI_2.copysign(y);
    }
    let q = atan(y / x);
    if x < 0.0 {
        return if q <= 0.0 { q + PI } else { q - PI };
    }
    q
}

/// Go's constant `3*Pi/4`, rounded once (`0x4002D97C7F3321D2`).
const THREE_PI_4: f64 = f64::from_bits(0x4002_D97C_7F33_21D2);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_values() {
        assert_eq!(asin(1.0), FRAC_PI_2);
        assert!(asin(1.5).is_nan() && acos(f64::NAN).is_nan());
        assert_eq!(acos(1.0), 0.0);
        assert_eq!(atan(f64::INFINITY), FRAC_PI_2);
        assert_eq!(atan2(0.0, -0.0), PI);
        assert_eq!(atan2(-0.0, 1.0).to_bits(), (-0f64).to_bits());
        assert_eq!(atan2(f64::INFINITY, f64::NEG_INFINITY), THREE_PI_4);
        assert_eq!(atan2(-1.0, 0.0), -FRAC_PI_2);
    }
}
