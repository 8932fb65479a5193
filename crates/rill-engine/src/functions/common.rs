//! Plumbing shared by the built-in functions: planning arguments of a known type, reading
//! string literals, per-step scalar arguments, name dropping and Go-compatible number text.

use rill_promql::{Call, Expr, StringLiteral, ValueType};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::operator::{InstantVectorOperator, Operator, RangeVectorOperator, ScalarOperator};
use crate::registry::ArgPlanner;
use crate::types::{QueryTimeRange, ScalarData, SeriesMetadata};

/// The `i`-th argument expression of `call`, or an internal error when the parser let a call
/// with too few arguments through.
pub(crate) fn arg(call: &Call, i: usize) -> Result<&Expr> {
    call.args
        .get(i)
        .ok_or_else(|| Error::Internal(format!("{}(): missing argument {}", call.name, i + 1)))
}

/// Plans argument `i` and checks that it is an instant vector.
pub(crate) fn plan_instant(
    call: &Call,
    i: usize,
    planner: &mut dyn ArgPlanner,
) -> Result<Box<dyn InstantVectorOperator>> {
    match planner.plan(arg(call, i)?)? {
        Operator::Instant(op) => Ok(op),
        _ => Err(type_error(call, i, ValueType::Vector)),
    }
}

/// Plans argument `i` and checks that it is a range vector.
pub(crate) fn plan_range(call: &Call, i: usize, planner: &mut dyn ArgPlanner) -> Result<Box<dyn RangeVectorOperator>> {
    match planner.plan(arg(call, i)?)? {
        Operator::Range(op) => Ok(op),
        _ => Err(type_error(call, i, ValueType::Matrix)),
    }
}

/// Plans argument `i` and checks that it is a scalar.
pub(crate) fn plan_scalar(call: &Call, i: usize, planner: &mut dyn ArgPlanner) -> Result<Box<dyn ScalarOperator>> {
    match planner.plan(arg(call, i)?)? {
        Operator::Scalar(op) => Ok(op),
        _ => Err(type_error(call, i, ValueType::Scalar)),
    }
}

fn type_error(call: &Call, i: usize, want: ValueType) -> Error {
    Error::Internal(format!(
        "{}(): argument {} should be {}",
        call.name,
        i + 1,
        want.document_name()
    ))
}

/// The value of string-literal argument `i` (parentheses allowed, as Prometheus allows them).
pub(crate) fn string_arg(call: &Call, i: usize) -> Result<&str> {
    string_literal_arg(call, i).map(|s| s.value.as_str())
}

/// String-literal argument `i` itself (parentheses allowed), for checks of its raw bytes.
pub(crate) fn string_literal_arg(call: &Call, i: usize) -> Result<&StringLiteral> {
    match arg(call, i)?.unparen() {
        Expr::String(s) => Ok(s),
        _ => Err(Error::Internal(format!(
            "{}(): argument {} should be a string literal",
            call.name,
            i + 1
        ))),
    }
}

/// Marks a function's output series for name removal: with delayed name removal the name
/// stays until the result is produced (so `label_replace` can still read it), otherwise it
/// goes at once.
pub(crate) fn drop_name(meta: SeriesMetadata, delayed: bool) -> SeriesMetadata {
    if delayed {
        SeriesMetadata {
            labels: meta.labels,
            drop_name: true,
        }
    } else {
        SeriesMetadata::new(meta.labels.without_metric_name())
    }
}

/// The series metadata of `input` with every name marked for removal ([`drop_name`]): the
/// metadata of a function that keeps its input's series but not their metric name.
pub(crate) fn metadata_without_name(
    input: &mut dyn InstantVectorOperator,
    cx: &mut QueryContext,
    delayed: bool,
) -> Result<Vec<SeriesMetadata>> {
    Ok(input
        .series_metadata(cx)?
        .into_iter()
        .map(|m| drop_name(m, delayed))
        .collect())
}

/// The index of the step at time `t` in `range`.
pub(crate) fn step_index(range: &QueryTimeRange, t: i64) -> Result<usize> {
    let off = t - range.start;
    if off < 0 || off % range.step != 0 || t > range.end {
        return Err(Error::Internal(format!("point at {t} is not a step of {range:?}")));
    }
    Ok((off / range.step) as usize)
}

/// The scalar arguments of a call, evaluated once (all steps at a time) and then read per step.
pub(crate) struct ScalarArgs {
    ops: Vec<Box<dyn ScalarOperator>>,
    values: Vec<ScalarData>,
    /// Per-step buffer handed out by [`ScalarArgs::at`].
    current: Vec<f64>,
}

impl ScalarArgs {
    /// Wraps planned scalar operators, in argument order.
    pub(crate) fn new(ops: Vec<Box<dyn ScalarOperator>>) -> Self {
        let current = Vec::with_capacity(ops.len());
        ScalarArgs {
            ops,
            values: Vec::new(),
            current,
        }
    }

    /// Evaluates every operator; must be called once before [`ScalarArgs::at`].
    pub(crate) fn resolve(&mut self, cx: &mut QueryContext) -> Result<()> {
        if self.values.len() == self.ops.len() {
            return Ok(());
        }
        for op in &mut self.ops {
            self.values.push(op.values(cx)?);
        }
        Ok(())
    }

    /// Whether there are no scalar arguments.
    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The argument values at step `idx`, in argument order (NaN where a value is missing).
    pub(crate) fn at(&mut self, idx: usize) -> &[f64] {
        self.current.clear();
        for v in &self.values {
            self.current.push(v.values.get(idx).copied().unwrap_or(f64::NAN));
        }
        &self.current
    }

    /// Finalizes the argument operators.
    pub(crate) fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.ops.iter_mut().try_for_each(|op| op.finalize(cx))
    }
}

/// Go's `%g` float formatting, so annotation texts match Prometheus's byte for byte
/// (one implementation for the workspace, in `rill_model`).
pub use rill_model::histogram::format_g as go_format_g;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(go_format_g(0.5), "0.5");
        assert_eq!(go_format_g(-2.0), "-2");
        assert_eq!(go_format_g(1e21), "1e+21");
        assert_eq!(go_format_g(1234567.0), "1.234567e+06");
        assert_eq!(go_format_g(1.5e-5), "1.5e-05");
        assert_eq!(go_format_g(123456.0), "123456");
        assert_eq!(go_format_g(f64::NAN), "NaN");
        assert_eq!(go_format_g(f64::NEG_INFINITY), "-Inf");
    }
}
