//! Range-window functions whose behaviour depends on how their range argument was selected:
//! `rate`, `increase`, `delta`, `changes` and `resets` treat an `anchored` or `smoothed`
//! selector (Prometheus's experimental `promql-extended-range-selectors`) differently from a
//! classic one. The window such a selector hands over reaches one lookback delta beyond the
//! nominal bounds (see [`crate::operator::RangeStep`]); the function must know the mode to
//! pick or interpolate the values at the bounds instead of extrapolating.
//!
//! The mode is a property of the call's syntax, so the factory reads it from `call.args` and
//! builds the function for that mode; everything else is the ordinary range-window planning.

use std::sync::Arc;

use rill_promql::{Call, Expr, RangeMode};

use crate::error::Result;
use crate::functions::range_function::{RangeFunction, plan_range_function};
use crate::operator::Operator;
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};

/// The mode of the call's range-selector argument; `Classic` when the range argument is not
/// a plain range selector (a subquery, say).
pub fn range_mode(call: &Call) -> RangeMode {
    call.args
        .iter()
        .find_map(|a| match a.unparen() {
            Expr::MatrixSelector(ms) => Some(ms.mode),
            _ => None,
        })
        .unwrap_or_default()
}

/// Builds, per call, the range function for the call's [`RangeMode`].
struct ModeFactory<F> {
    make: F,
}

impl<F, R> FunctionFactory for ModeFactory<F>
where
    F: Fn(RangeMode) -> R + Send + Sync,
    R: RangeFunction,
{
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        plan_range_function(call, planner, Arc::new((self.make)(range_mode(call))))
    }
}

impl FunctionDef {
    /// A range-window function (as [`FunctionDef::range_window`]) built per call by `make`
    /// from the mode of the call's range selector.
    pub fn range_window_by_mode<R: RangeFunction>(
        name: &str,
        make: impl Fn(RangeMode) -> R + Send + Sync + 'static,
    ) -> FunctionDef {
        let mut def = FunctionDef::range_window(name, make(RangeMode::Classic));
        def.factory = Arc::new(ModeFactory { make });
        def
    }
}

#[cfg(test)]
mod tests {
    use rill_promql::{ParseOptions, StandardFunctions, parse};

    use super::*;

    fn call_of(q: &str) -> Call {
        match parse(q, &StandardFunctions, &ParseOptions::all()) {
            Ok(Expr::Call(c)) => c,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn reads_the_mode_of_the_range_argument() {
        assert_eq!(range_mode(&call_of("rate(m[1m])")), RangeMode::Classic);
        assert_eq!(range_mode(&call_of("rate(m[1m] anchored)")), RangeMode::Anchored);
        assert_eq!(range_mode(&call_of("increase((m[1m] smoothed))")), RangeMode::Smoothed);
        assert_eq!(range_mode(&call_of("rate(m[1m:10s])")), RangeMode::Classic);
    }
}
