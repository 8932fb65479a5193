//! `min_of(a, b)` and `max_of(a, b)`: the smaller / larger of two scalars at every step,
//! NaN when either is NaN (Go's `math.Min` / `math.Max`, which also order −0 below +0).

use rill_promql::Call;

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::plan_scalar;
use crate::functions::custom;
use crate::operator::{Operator, ScalarOperator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::ScalarData;

/// Go's `math.Min`: NaN if either is NaN, and −0 is smaller than +0.
pub fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() { a } else { b }
    } else {
        a.min(b)
    }
}

/// Go's `math.Max`: NaN if either is NaN, and +0 is larger than −0.
pub fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_positive() { a } else { b }
    } else {
        a.max(b)
    }
}

/// Combines two scalar operators step by step.
struct PairwiseScalar {
    a: Box<dyn ScalarOperator>,
    b: Box<dyn ScalarOperator>,
    f: fn(f64, f64) -> f64,
}

impl ScalarOperator for PairwiseScalar {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let mut a = self.a.values(cx)?;
        let b = self.b.values(cx)?;
        for (x, y) in a.values.iter_mut().zip(b.values.iter()) {
            *x = (self.f)(*x, *y);
        }
        Ok(a)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.a.finalize(cx)?;
        self.b.finalize(cx)
    }
}

struct Factory(fn(f64, f64) -> f64);

impl FunctionFactory for Factory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let a = plan_scalar(call, 0, planner)?;
        let b = plan_scalar(call, 1, planner)?;
        Ok(Operator::Scalar(Box::new(PairwiseScalar { a, b, f: self.0 })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![custom("min_of", Factory(go_min)), custom("max_of", Factory(go_max))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_go_min_max() {
        assert_eq!(go_min(3.0, 5.0), 3.0);
        assert_eq!(go_max(-2.0, -5.0), -2.0);
        assert!(go_min(f64::NAN, 3.0).is_nan());
        assert!(go_max(3.0, f64::NAN).is_nan());
        assert!(go_min(0.0, -0.0).is_sign_negative());
        assert!(go_max(-0.0, 0.0).is_sign_positive());
    }
}
