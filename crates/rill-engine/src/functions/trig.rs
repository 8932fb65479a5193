//! Element-wise trigonometric functions (`sin cos tan asin acos atan sinh cosh tanh asinh
//! acosh atanh`), computed by the ports of Go's `math` in [`go_math`] so the results are
//! bit-identical to Prometheus's (libm differs from Go in the last bit for many inputs).

use super::go_math;
use crate::registry::FunctionDef;

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    type Float1 = fn(f64) -> f64;
    let fns: [(&str, Float1); 12] = [
        ("sin", go_math::sin),
        ("cos", go_math::cos),
        ("tan", go_math::tan),
        ("asin", go_math::asin),
        ("acos", go_math::acos),
        ("atan", go_math::atan),
        ("sinh", go_math::sinh),
        ("cosh", go_math::cosh),
        ("tanh", go_math::tanh),
        ("asinh", go_math::asinh),
        ("acosh", go_math::acosh),
        ("atanh", go_math::atanh),
    ];
    fns.into_iter().map(|(n, f)| FunctionDef::elementwise(n, f)).collect()
}
