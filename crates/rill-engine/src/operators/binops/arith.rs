//! The float arithmetic of binary operators, with Go's `math` semantics (`%` is `math.Mod`,
//! `^` is `math.Pow`; Rust's `%` and `powf` agree with them, including NaN and infinities).

use rill_promql::BinaryOp;

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
        Pow => (lhs.powf(rhs), true),
        Atan2 => (lhs.atan2(rhs), true),
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
