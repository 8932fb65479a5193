//! Element-wise trigonometric functions (`sin cos tan asin acos atan sinh cosh tanh asinh
//! acosh atanh`).

use crate::registry::FunctionDef;

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    type Float1 = fn(f64) -> f64;
    let fns: [(&str, Float1); 12] = [
        ("sin", f64::sin),
        ("cos", f64::cos),
        ("tan", f64::tan),
        ("asin", f64::asin),
        ("acos", f64::acos),
        ("atan", f64::atan),
        ("sinh", super::go_math::sinh),
        ("cosh", super::go_math::cosh),
        ("tanh", f64::tanh),
        ("asinh", f64::asinh),
        ("acosh", f64::acosh),
        ("atanh", f64::atanh),
    ];
    fns.into_iter().map(|(n, f)| FunctionDef::elementwise(n, f)).collect()
}
