//! Element-wise math functions: `abs ceil floor round sqrt exp ln log2 log10 sgn deg rad`
//! and `clamp`, `clamp_min`, `clamp_max`. `exp`, `ln`, `log2` and `log10` are the ports of
//! Go's `math` in [`go_math`], bit-identical to Prometheus's; the others are exact in both.

use std::f64::consts::PI;
use std::sync::Arc;

use super::go_math;
use crate::registry::FunctionDef;

/// `sgn`: -1, 1, or the value itself for ±0 and NaN.
pub fn sgn(v: f64) -> f64 {
    if v < 0.0 {
        -1.0
    } else if v > 0.0 {
        1.0
    } else {
        v
    }
}

/// `round(v, to_nearest)`: ties round up; rounding uses the inverse of `to_nearest`, which is
/// what Prometheus does to limit floating-point error.
pub fn round(v: f64, to_nearest: f64) -> f64 {
    let inverse = 1.0 / to_nearest;
    (v * inverse + 0.5).floor() / inverse
}

/// `clamp`: no output when `min > max`; NaN anywhere gives NaN, as Go's `math.Min`/`Max` do.
pub fn clamp(v: f64, min: f64, max: f64) -> Option<f64> {
    if max < min {
        return None;
    }
    if v.is_nan() || min.is_nan() || max.is_nan() {
        // Go's math.Min/Max propagate NaN; Rust's f64::min/max would drop it.
        return Some(f64::NAN);
    }
    Some(min.max(max.min(v)))
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        FunctionDef::elementwise("abs", f64::abs),
        FunctionDef::elementwise("ceil", f64::ceil),
        FunctionDef::elementwise("floor", f64::floor),
        FunctionDef::elementwise("sqrt", f64::sqrt),
        FunctionDef::elementwise("exp", go_math::exp),
        FunctionDef::elementwise("ln", go_math::log),
        FunctionDef::elementwise("log2", go_math::log2),
        FunctionDef::elementwise("log10", go_math::log10),
        FunctionDef::elementwise("sgn", sgn),
        FunctionDef::elementwise("deg", |v| v * 180.0 / PI),
        FunctionDef::elementwise("rad", |v| v * PI / 180.0),
        FunctionDef::elementwise_with_args(
            "round",
            1,
            Arc::new(|v, args| Some(round(v, args.first().copied().unwrap_or(1.0)))),
        ),
        FunctionDef::elementwise_with_args(
            "clamp",
            2,
            Arc::new(|v, args| match args {
                [min, max] => clamp(v, *min, *max),
                _ => None,
            }),
        ),
        FunctionDef::elementwise_with_args(
            "clamp_min",
            1,
            Arc::new(|v, args| clamp(v, args.first().copied().unwrap_or(f64::NAN), f64::INFINITY)),
        ),
        FunctionDef::elementwise_with_args(
            "clamp_max",
            1,
            Arc::new(|v, args| clamp(v, f64::NEG_INFINITY, args.first().copied().unwrap_or(f64::NAN))),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_clamping() {
        assert_eq!(round(2.5, 1.0), 3.0);
        assert_eq!(round(-2.5, 1.0), -2.0);
        assert_eq!(round(5.3, 0.5), 5.5);
        assert_eq!(clamp(5.0, 0.0, 3.0), Some(3.0));
        assert_eq!(clamp(5.0, 3.0, 0.0), None);
        assert!(clamp(f64::NAN, 0.0, 1.0).is_some_and(f64::is_nan));
        assert_eq!(sgn(-3.0), -1.0);
        assert_eq!(sgn(0.0), 0.0);
    }
}
