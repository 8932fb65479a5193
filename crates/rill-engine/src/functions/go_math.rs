//! Go's `math.Cosh` and `math.Sinh`, whose answers differ from Rust's libm: beyond |x| = 21
//! they are `exp(|x|) / 2`, so they overflow to `+Inf` where `exp` does (|x| > ~709.78) while
//! libm stays finite up to ~710.48, and in between `(e^x ± e^-x) / 2` rounds like Go.
//! Prometheus's functions are Go's, so Rill uses these shapes (found by the differential
//! fuzzer: `cosh(http_request_duration_seconds_sum)` was finite where Prometheus said `+Inf`).

/// Go's `math.Cosh`.
pub fn cosh(x: f64) -> f64 {
    let a = x.abs();
    if a > 21.0 {
        return a.exp() * 0.5;
    }
    let ex = a.exp();
    (ex + 1.0 / ex) * 0.5
}

/// Go's `math.Sinh` for |x| > 0.5 (below, both are a correctly rounding polynomial / libm).
pub fn sinh(x: f64) -> f64 {
    let a = x.abs();
    let t = if a > 21.0 {
        a.exp() * 0.5
    } else if a > 0.5 {
        let ex = a.exp();
        (ex - 1.0 / ex) * 0.5
    } else {
        return x.sinh();
    };
    if x < 0.0 { -t } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosh_and_sinh_overflow_where_go_does() {
        assert_eq!(cosh(710.0), f64::INFINITY);
        assert_eq!(sinh(710.0), f64::INFINITY);
        assert_eq!(sinh(-710.0), f64::NEG_INFINITY);
        assert!(710f64.cosh().is_finite(), "libm stays finite here");
        assert_eq!(cosh(0.0), 1.0);
        assert_eq!(sinh(0.25), 0.25f64.sinh());
        assert!((cosh(3.0) - 3f64.cosh()).abs() < 1e-12);
        assert!(cosh(f64::NAN).is_nan() && sinh(f64::NAN).is_nan());
    }
}
