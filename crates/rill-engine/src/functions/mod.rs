//! Rill's built-in PromQL functions, registered in a [`FunctionRegistry`] exactly as
//! WebAssembly UDFs are.
//!
//! Most functions have one of two shapes and are one-liners here:
//! - **element-wise** ([`FunctionDef::elementwise`]): a float in, a float out, same series,
//!   name dropped (`abs`, `sin`, `clamp`, `hour(v)`, ...), see [`elementwise`];
//! - **range-window** ([`FunctionDef::range_window`]): one value per series and step from the
//!   window of samples at that step, through the small [`RangeFunction`] trait (`rate`,
//!   `*_over_time`, `deriv`, ...), see [`range_function`].
//!
//! Functions with their own shape have their own file and factory: `absent`, `sort`,
//! `label_replace`/`label_join`, `histogram_quantile`, `scalar`/`vector`/`time`, dates,
//! `timestamp`. Signatures always come from [`rill_promql::standard_signature`].

pub mod absent;
pub mod batch;
pub mod changes;
pub mod classic_buckets;
pub mod common;
pub mod date;
pub mod elementwise;
pub mod extended_rate;
/// Go's `math` functions, bit for bit (in rill-model, whose histogram maths uses them too).
pub use rill_model::go_math;
pub mod histogram_annotations;
pub mod histogram_over_time;
pub mod histogram_quantile;
pub mod histogram_rate;
pub mod histogram_stats;
pub mod info;
pub mod kahan;
pub mod label;
pub mod math;
pub mod min_max_of;
pub mod over_time;
pub mod over_time_stats;
pub mod query_time;
pub mod range_function;
pub mod range_mode;
pub mod rate;
pub mod regression;
pub mod scalar_fns;
pub mod smoothing;
pub mod sort;
pub mod start_time;
pub mod timestamp;
pub mod trig;

use std::sync::Arc;

use rill_promql::{RangeMode, standard_signature};

use crate::registry::{FunctionDef, FunctionFactory, FunctionRegistry};

pub use range_function::{RangeFunction, RangeFunctionOperator, StepContext, StepValue};

use changes::Changes;
use over_time::OverTime;
use over_time_stats::{MadOverTime, QuantileOverTime, Variance};
use rate::{ExtrapolatedRate, InstantRate};
use regression::LinearRegression;
use smoothing::DoubleExponentialSmoothing;

/// Every built-in function, with Prometheus's standard signatures.
pub fn builtin_registry() -> FunctionRegistry {
    let mut registry = FunctionRegistry::empty();
    for def in all_definitions() {
        registry.register(with_standard_signature(def));
    }
    registry
}

/// A function with its own factory (its signature is the standard one).
pub(crate) fn custom(name: &str, factory: impl FunctionFactory + 'static) -> FunctionDef {
    FunctionDef {
        name: name.to_string(),
        signature: standard_signature(name).unwrap_or(rill_promql::Signature {
            arg_types: Vec::new(),
            variadic: 0,
            return_type: rill_promql::ValueType::Vector,
            experimental: false,
        }),
        factory: Arc::new(factory),
    }
}

/// Replaces a helper-derived signature with the standard one (optional and experimental
/// arguments, argument order).
fn with_standard_signature(mut def: FunctionDef) -> FunctionDef {
    if let Some(sig) = standard_signature(&def.name) {
        def.signature = sig;
    }
    def
}

fn range_definitions() -> Vec<FunctionDef> {
    let rate = |name: &str, counter: bool, per_second: bool| {
        FunctionDef::range_window_by_mode(name, move |mode| ExtrapolatedRate {
            counter,
            per_second,
            mode,
        })
    };
    let changes = |name: &str, resets: bool| {
        FunctionDef::range_window_by_mode(name, move |mode| Changes {
            resets,
            anchored: mode == RangeMode::Anchored,
        })
    };
    vec![
        rate("rate", true, true),
        rate("increase", true, false),
        rate("delta", false, false),
        FunctionDef::range_window("irate", InstantRate { per_second: true }),
        FunctionDef::range_window("idelta", InstantRate { per_second: false }),
        FunctionDef::range_window("deriv", LinearRegression { predict: false }),
        FunctionDef::range_window("predict_linear", LinearRegression { predict: true }),
        FunctionDef::range_window("sum_over_time", OverTime::Sum),
        FunctionDef::range_window("avg_over_time", OverTime::Avg),
        FunctionDef::range_window("count_over_time", OverTime::Count),
        FunctionDef::range_window("min_over_time", OverTime::Min),
        FunctionDef::range_window("max_over_time", OverTime::Max),
        FunctionDef::range_window("last_over_time", OverTime::Last),
        FunctionDef::range_window("first_over_time", OverTime::First),
        FunctionDef::range_window("present_over_time", OverTime::Present),
        FunctionDef::range_window("ts_of_min_over_time", OverTime::TsOfMin),
        FunctionDef::range_window("ts_of_max_over_time", OverTime::TsOfMax),
        FunctionDef::range_window("ts_of_first_over_time", OverTime::TsOfFirst),
        FunctionDef::range_window("ts_of_last_over_time", OverTime::TsOfLast),
        FunctionDef::range_window("stddev_over_time", Variance { sqrt: true }),
        FunctionDef::range_window("stdvar_over_time", Variance { sqrt: false }),
        FunctionDef::range_window("quantile_over_time", QuantileOverTime),
        FunctionDef::range_window("mad_over_time", MadOverTime),
        changes("changes", false),
        changes("resets", true),
        FunctionDef::range_window("double_exponential_smoothing", DoubleExponentialSmoothing),
    ]
}

fn all_definitions() -> Vec<FunctionDef> {
    let mut defs = range_definitions();
    defs.extend(math::definitions());
    defs.extend(trig::definitions());
    defs.extend(date::definitions());
    defs.extend(scalar_fns::definitions());
    defs.extend(query_time::definitions());
    defs.extend(min_max_of::definitions());
    defs.extend(absent::definitions());
    defs.extend(sort::definitions());
    defs.extend(info::definitions());
    defs.extend(label::definitions());
    defs.extend(histogram_quantile::definitions());
    defs.extend(histogram_stats::definitions());
    defs.extend(timestamp::definitions());
    defs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_has_its_standard_signature() {
        let registry = builtin_registry();
        for name in registry.names() {
            let def = registry.get(name).map(|d| d.signature.clone());
            assert_eq!(def, standard_signature(name), "{name}");
        }
        for name in [
            "rate",
            "abs",
            "sin",
            "label_replace",
            "histogram_quantile",
            "hour",
            "sort",
            "absent",
        ] {
            assert!(registry.get(name).is_some(), "{name} is registered");
        }
    }
}
