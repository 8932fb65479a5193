//! The query's own time parameters as scalars: `step()` (the step in seconds, 0 for instant
//! queries), `range()` (end − start in seconds), `start()` and `end()` (unix seconds).
//!
//! They describe the *outer* query, also inside subqueries, as the same names do in
//! duration expressions; the value is the same at every step of the call's own grid.

use rill_promql::Call;

use crate::error::Result;
use crate::functions::custom;
use crate::functions::scalar_fns::ConstantScalar;
use crate::operator::Operator;
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::QueryTimeRange;

/// Which parameter of the query a call reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Step,
    Range,
    Start,
    End,
}

impl Param {
    /// The parameter's value in seconds for `query`.
    fn seconds(self, query: &QueryTimeRange) -> f64 {
        let ms = match self {
            Param::Step if query.is_instant => 0,
            Param::Step => query.step,
            Param::Range => query.end - query.start,
            Param::Start => query.start,
            Param::End => query.end,
        };
        ms as f64 / 1000.0
    }
}

struct Factory(Param);

impl FunctionFactory for Factory {
    fn build(&self, _call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let value = self.0.seconds(&planner.query_range());
        let steps = planner.time_range().steps();
        Ok(Operator::Scalar(Box::new(ConstantScalar::new(value, steps))))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("step", Factory(Param::Step)),
        custom("range", Factory(Param::Range)),
        custom("start", Factory(Param::Start)),
        custom("end", Factory(Param::End)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_outer_query_parameters_in_seconds() {
        let range = QueryTimeRange::range(10_000, 50_000, 10_000);
        assert_eq!(Param::Step.seconds(&range), 10.0);
        assert_eq!(Param::Range.seconds(&range), 40.0);
        assert_eq!(Param::Start.seconds(&range), 10.0);
        assert_eq!(Param::End.seconds(&range), 50.0);
        let instant = QueryTimeRange::instant(100_000);
        assert_eq!(Param::Step.seconds(&instant), 0.0);
        assert_eq!(Param::Range.seconds(&instant), 0.0);
        assert_eq!(Param::Start.seconds(&instant), 100.0);
    }
}
