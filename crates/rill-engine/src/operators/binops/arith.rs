//! The float arithmetic of binary operators, with Go's `math` semantics: `%` is `math.Mod`
//! (Rust's `%` is the same exact operation, NaN and infinities included), `^` is `math.Pow`
//! and `atan2` is `math.Atan2`, through the bit-exact ports in [`go_math`] (libm's `pow` and
//! `atan2` round differently from Go's in the last bit).

use rill_promql::BinaryOp;

use crate::functions::go_math;

/// `lhs op rhs` between two vector elements: the value and whether a comparison keeps the
/// element (comparisons return the left value). `None` for operators without float semantics
/// (set and trim operators).
pub fn float_binop(op: BinaryOp, lhs: f64, rhs: f64) -> Option<(f64, bool)> {
    use BinaryOp::*;
    Some(match op {
        Add => (lhs + rhs, true),
        Sub => (lhs - rhs, true),
        Mul => (lhs * rhs, true),
        Div => (lhs / rhs, true),
        Mod => (lhs % rhs, true),
        Pow => (go_math::pow(lhs, rhs), true),
        Atan2 => (go_math::atan2(lhs, rhs), true),
        Eql => (lhs, lhs == rhs),
        Neq => (lhs, lhs != rhs),
        Gtr => (lhs, lhs > rhs),
        Lss => (lhs, lhs < rhs),
        Gte => (lhs, lhs >= rhs),
        Lte => (lhs, lhs <= rhs),
        And | Or | Unless | TrimUpper | TrimLower => return None,
    })
}

/// `lhs op rhs` between two scalars; comparisons give 1 or 0.
pub fn scalar_binop(op: BinaryOp, lhs: f64, rhs: f64) -> Option<f64> {
    let (v, keep) = float_binop(op, lhs, rhs)?;
    Some(if op.is_comparison() {
        f64::from(u8::from(keep))
    } else {
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_semantics() {
        assert_eq!(scalar_binop(BinaryOp::Mod, -7.0, 3.0), Some(-1.0));
        assert!(scalar_binop(BinaryOp::Mod, 1.0, 0.0).unwrap().is_nan());
        assert_eq!(scalar_binop(BinaryOp::Pow, 1.0, f64::NAN), Some(1.0));
        assert_eq!(scalar_binop(BinaryOp::Gtr, 2.0, 1.0), Some(1.0));
        assert_eq!(float_binop(BinaryOp::Lss, 2.0, 1.0), Some((2.0, false)));
        assert_eq!(float_binop(BinaryOp::And, 2.0, 1.0), None);
    }
}
