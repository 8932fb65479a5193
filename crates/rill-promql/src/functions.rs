//! How the parser learns function signatures.

use crate::ast::ValueType;

/// A function's PromQL signature, as Prometheus's `parser.Function` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    /// Argument types, in order.
    pub arg_types: Vec<ValueType>,
    /// `0`: exactly `arg_types.len()` arguments. `n > 0`: the last `n` argument types are
    /// optional. `-1`: the last argument type may repeat any number of times (`label_join`).
    pub variadic: i32,
    /// Type of the result.
    pub return_type: ValueType,
    /// Experimental functions are rejected unless the parser enables them.
    pub experimental: bool,
}

/// Looks up function signatures by name; implemented by the engine's function registry.
pub trait FunctionLookup {
    /// The signature of `name`, or `None` when no such function exists.
    fn signature(&self, name: &str) -> Option<Signature>;
}

/// Shorthands for the table below.
mod t {
    pub use crate::ast::ValueType::{Matrix as M, Scalar as S, String as Str, Vector as V};
}

/// `(name, argument types, variadic, return type, experimental)` of every function of
/// Prometheus 3.x's PromQL, as its parser declares them.
#[rustfmt::skip]
const STANDARD: &[(&str, &[ValueType], i32, ValueType, bool)] = {
    use t::*;
    &[
        ("abs", &[V], 0, V, false),
        ("absent", &[V], 0, V, false),
        ("absent_over_time", &[M], 0, V, false),
        ("acos", &[V], 0, V, false),
        ("acosh", &[V], 0, V, false),
        ("asin", &[V], 0, V, false),
        ("asinh", &[V], 0, V, false),
        ("atan", &[V], 0, V, false),
        ("atanh", &[V], 0, V, false),
        ("avg_over_time", &[M], 0, V, false),
        ("ceil", &[V], 0, V, false),
        ("changes", &[M], 0, V, false),
        ("clamp", &[V, S, S], 0, V, false),
        ("clamp_max", &[V, S], 0, V, false),
        ("clamp_min", &[V, S], 0, V, false),
        ("cos", &[V], 0, V, false),
        ("cosh", &[V], 0, V, false),
        ("count_over_time", &[M], 0, V, false),
        ("day_of_month", &[V], 1, V, false),
        ("day_of_week", &[V], 1, V, false),
        ("day_of_year", &[V], 1, V, false),
        ("days_in_month", &[V], 1, V, false),
        ("deg", &[V], 0, V, false),
        ("delta", &[M], 0, V, false),
        ("deriv", &[M], 0, V, false),
        ("double_exponential_smoothing", &[M, S, S], 0, V, true),
        ("end", &[], 0, S, true),
        ("exp", &[V], 0, V, false),
        ("first_over_time", &[M], 0, V, true),
        ("floor", &[V], 0, V, false),
        ("histogram_avg", &[V], 0, V, false),
        ("histogram_count", &[V], 0, V, false),
        ("histogram_fraction", &[S, S, V], 0, V, false),
        ("histogram_quantile", &[S, V], 0, V, false),
        ("histogram_quantiles", &[V, Str, S], -1, V, true),
        ("histogram_stddev", &[V], 0, V, false),
        ("histogram_stdvar", &[V], 0, V, false),
        ("histogram_sum", &[V], 0, V, false),
        ("hour", &[V], 1, V, false),
        ("idelta", &[M], 0, V, false),
        ("increase", &[M], 0, V, false),
        ("info", &[V, V], 1, V, true),
        ("irate", &[M], 0, V, false),
        ("label_join", &[V, Str, Str, Str], -1, V, false),
        ("label_replace", &[V, Str, Str, Str, Str], 0, V, false),
        ("last_over_time", &[M], 0, V, false),
        ("ln", &[V], 0, V, false),
        ("log10", &[V], 0, V, false),
        ("log2", &[V], 0, V, false),
        ("mad_over_time", &[M], 0, V, true),
        ("max_of", &[S, S], 0, S, true),
        ("max_over_time", &[M], 0, V, false),
        ("min_of", &[S, S], 0, S, true),
        ("min_over_time", &[M], 0, V, false),
        ("minute", &[V], 1, V, false),
        ("month", &[V], 1, V, false),
        ("pi", &[], 0, S, false),
        ("predict_linear", &[M, S], 0, V, false),
        ("present_over_time", &[M], 0, V, false),
        ("quantile_over_time", &[S, M], 0, V, false),
        ("rad", &[V], 0, V, false),
        ("range", &[], 0, S, true),
        ("rate", &[M], 0, V, false),
        ("resets", &[M], 0, V, false),
        ("round", &[V, S], 1, V, false),
        ("scalar", &[V], 0, S, false),
        ("sgn", &[V], 0, V, false),
        ("sin", &[V], 0, V, false),
        ("sinh", &[V], 0, V, false),
        ("sort", &[V], 0, V, false),
        ("sort_by_label", &[V, Str], -1, V, true),
        ("sort_by_label_desc", &[V, Str], -1, V, true),
        ("sort_desc", &[V], 0, V, false),
        ("sqrt", &[V], 0, V, false),
        ("start", &[], 0, S, true),
        ("start_timestamp", &[V], 0, V, true),
        ("step", &[], 0, S, true),
        ("stddev_over_time", &[M], 0, V, false),
        ("stdvar_over_time", &[M], 0, V, false),
        ("sum_over_time", &[M], 0, V, false),
        ("tan", &[V], 0, V, false),
        ("tanh", &[V], 0, V, false),
        ("time", &[], 0, S, false),
        ("timestamp", &[V], 0, V, false),
        ("ts_of_first_over_time", &[M], 0, V, true),
        ("ts_of_last_over_time", &[M], 0, V, true),
        ("ts_of_max_over_time", &[M], 0, V, true),
        ("ts_of_min_over_time", &[M], 0, V, true),
        ("vector", &[S], 0, V, false),
        ("year", &[V], 1, V, false),
    ]
};

/// The signature of a standard PromQL function, as Prometheus declares it.
///
/// The engine's function registry uses this to register built-ins; the parser itself never
/// consults this table directly, only a [`FunctionLookup`].
pub fn standard_signature(name: &str) -> Option<Signature> {
    STANDARD
        .iter()
        .find(|f| f.0 == name)
        .map(|&(_, args, variadic, ret, experimental)| Signature {
            arg_types: args.to_vec(),
            variadic,
            return_type: ret,
            experimental,
        })
}

/// Names of all standard PromQL functions.
pub fn standard_function_names() -> impl Iterator<Item = &'static str> {
    STANDARD.iter().map(|f| f.0)
}

/// A [`FunctionLookup`] over exactly the standard functions, for tools and tests that have no engine.
#[derive(Clone, Copy, Debug, Default)]
pub struct StandardFunctions;

impl FunctionLookup for StandardFunctions {
    fn signature(&self, name: &str) -> Option<Signature> {
        standard_signature(name)
    }
}
