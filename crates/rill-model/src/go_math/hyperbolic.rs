//! Go's hyperbolic functions `Sinh`, `Cosh` (`sinh.go`), `Tanh` (`tanh.go`) and their
//! inverses `Asinh`, `Acosh`, `Atanh` (FreeBSD algorithms on `Log`, `Log1p`, `Exp`).
//!
//! They inherit Go's `Exp`: beyond |x| = 21, `sinh`/`cosh` are `Exp(|x|)/2`, so they overflow
//! to `+Inf` where Go's amd64 `Exp` does (from |x| ≈ 709.44) while libm stays finite up to
//! ≈ 710.48 (found by the differential fuzzer: `cosh(...)` was finite where Prometheus said
//! `+Inf`).

use std::f64::consts::LN_2;

use super::GO_NAN;
use super::exp::exp;
use super::log::{log, log1p};

const LARGE: f64 = (1u64 << 28) as f64;
/// Go's `x < 0 { x = -x; sign = true }`: unlike `abs`, it keeps `-0` negative, so odd
/// functions answer `-0` for `-0` like Go.
#[inline]
fn split_sign(x: f64) -> (f64, bool) {
    if x < 0.0 { (-x, true) } else { (x, false) }
}

const NEAR_ZERO: f64 = 1.0 / LARGE;

/// Go's `math.Sinh` (PromQL `sinh`).
pub fn sinh(x: f64) -> f64 {
    const P: [f64; 4] = [
        -0.6307673640497716991184787251e+6,
        -0.8991272022039509355398013511e+5,
        -0.2894211355989563807284660366e+4,
        -0.2630563213397497062819489e+2,
    ];
    const Q: [f64; 3] = [
        -0.6307673640497716991212077277e+6,
        0.1521517378790019070696485176e+5,
        -0.173678953558233699533450911e+3,
    ];
    let (a, negative) = split_sign(x);
    let temp = if a > 21.0 {
        exp(a) * 0.5
    } else if a > 0.5 {
        let ex = exp(a);
        (ex - 1.0 / ex) * 0.5
    } else {
        let sq = a * a;
        let num = (((P[3] * sq + P[2]) * sq + P[1]) * sq + P[0]) * a;
        num / (((sq + Q[2]) * sq + Q[1]) * sq + Q[0])
    };
    if negative { -temp } else { temp }
}

/// Go's `math.Cosh` (PromQL `cosh`).
pub fn cosh(x: f64) -> f64 {
    let a = x.abs();
    if a > 21.0 {
        return exp(a) * 0.5;
    }
    let ex = exp(a);
    (ex + 1.0 / ex) * 0.5
}

/// Go's `math.Tanh` (PromQL `tanh`).
pub fn tanh(x: f64) -> f64 {
    const MAXLOG: f64 = 8.8029691931113054295988e+01;
    const P: [f64; 3] = [
        -9.64399179425052238628e-1,
        -9.92877231001918586564e1,
        -1.61468768441708447952e3,
    ];
    const Q: [f64; 3] = [
        1.12811678491632931402e2,
        2.23548839060100448583e3,
        4.84406305325125486048e3,
    ];
    let z = x.abs();
    if z > 0.5 * MAXLOG {
        return if x < 0.0 { -1.0 } else { 1.0 };
    }
    if z >= 0.625 {
        let s = exp(2.0 * z);
        let z = 1.0 - 2.0 / (s + 1.0);
        return if x < 0.0 { -z } else { z };
    }
    if x == 0.0 {
        return x;
    }
    let s = x * x;
    x + x * s * ((P[0] * s + P[1]) * s + P[2]) / (((s + Q[0]) * s + Q[1]) * s + Q[2])
}

/// Go's `math.Asinh` (PromQL `asinh`).
pub fn asinh(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let (a, negative) = split_sign(x);
    let temp = if a > LARGE {
        log(a) + LN_2
    } else if a > 2.0 {
        log(2.0 * a + 1.0 / ((a * a + 1.0).sqrt() + a))
    } else if a < NEAR_ZERO {
        a
    } else {
        log1p(a + a * a / (1.0 + (1.0 + a * a).sqrt()))
    };
    if negative { -temp } else { temp }
}

/// Go's `math.Acosh` (PromQL `acosh`).
pub fn acosh(x: f64) -> f64 {
    if x < 1.0 || x.is_nan() {
        return GO_NAN;
    }
    if x == 1.0 {
        return 0.0;
    }
    if x >= LARGE {
        return log(x) + LN_2;
    }
    if x > 2.0 {
        return log(2.0 * x - 1.0 / (x + (x * x - 1.0).sqrt()));
    }
    let t = x - 1.0;
    log1p(t + (2.0 * t + t * t).sqrt())
}

/// Go's `math.Atanh` (PromQL `atanh`).
pub fn atanh(x: f64) -> f64 {
    if !(-1.0..=1.0).contains(&x) {
        return GO_NAN;
    }
    if x == 1.0 || x == -1.0 {
        return f64::INFINITY.copysign(x);
    }
    let (a, negative) = split_sign(x);
    let temp = if a < NEAR_ZERO {
        a
    } else if a < 0.5 {
        let t = a + a;
        0.5 * log1p(t + t * a / (1.0 - a))
    } else {
        0.5 * log1p((a + a) / (1.0 - a))
    };
    if negative { -temp } else { temp }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosh_and_sinh_overflow_where_go_does() {
        assert_eq!(cosh(709.6), f64::INFINITY);
        assert_eq!(sinh(710.0), f64::INFINITY);
        assert_eq!(sinh(-710.0), f64::NEG_INFINITY);
        assert!(709.6f64.cosh().is_finite(), "libm stays finite here");
        assert_eq!(cosh(0.0), 1.0);
        assert!(cosh(f64::NAN).is_nan() && sinh(f64::NAN).is_nan());
    }

    #[test]
    fn inverse_special_values() {
        assert_eq!(atanh(-1.0), f64::NEG_INFINITY);
        assert!(atanh(1.5).is_nan() && acosh(0.5).is_nan());
        assert_eq!(acosh(1.0), 0.0);
        assert_eq!(asinh(f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(tanh(-0.0).to_bits(), (-0f64).to_bits());
        assert_eq!(tanh(50.0), 1.0);
    }
}
