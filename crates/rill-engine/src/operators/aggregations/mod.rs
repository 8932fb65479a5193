//! PromQL aggregations: `sum`, `avg`, `count`, `min`, `max`, `group`, `stddev`, `stdvar`,
//! `quantile`, `topk`, `bottomk`, `limitk`, `limit_ratio` and `count_values`.
//!
//! Semantics follow Prometheus's `rangeEvalAgg` / `aggregation` / `aggregationK` /
//! `aggregationCountValues` exactly (float results, NaN handling, annotations, error texts).
//! The shape follows Mimir's MQE: groups are computed from the inner operator's metadata before
//! any sample is read, output groups are ordered by the index of their *last* input series, and
//! each group is emitted as soon as that series was folded in:
//!
//! ```text
//!  inner series:   a{g=1}  b{g=2}  c{g=1}  d{g=3}  e{g=2}
//!  group of each:    1       2       1       3       2
//!  output order:   g=1 (after c), g=3 (after d), g=2 (after e)
//!  open at once:   at most the groups that have started but not completed
//! ```
//! `topk`/`bottomk`/`limitk`/`limit_ratio` keep their input series' labels; in a range query
//! they stream per group the same way ([`select`]), in an instant query they read all input
//! first so the output is in Prometheus's order (sorted by value within each group).
//! `count_values` creates its output series from the values, so it reads all input in
//! `series_metadata` ([`count_values`]).

mod avg;
mod count;
mod count_values;
mod grouped;
mod grouping;
mod heap;
mod histograms;
mod min_max;
mod params;
mod quantile;
mod ratio;
mod select;
mod stddev;
mod sum;

#[cfg(test)]
mod tests;

use rill_promql::{AggregateExpr, AggregateOp, Expr, PosRange};

use crate::error::{Error, Result};
use crate::operator::{InstantVectorOperator, Operator, ScalarOperator};
use crate::options::EngineOptions;
use crate::types::QueryTimeRange;

/// The query-text positions an aggregation's annotations refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregationPositions {
    /// The whole aggregation expression (`topk`/`bottomk` infos use it).
    pub expr: PosRange,
    /// The aggregated expression, parentheses removed (histogram infos and mixed-type warnings).
    pub inner: PosRange,
    /// The parameter, parentheses removed (`quantile` / `limit_ratio` warnings).
    pub param: PosRange,
}

/// The positions of `a`'s parts, parentheses removed, as Prometheus reports annotations.
pub fn positions(a: &AggregateExpr) -> AggregationPositions {
    AggregationPositions {
        expr: a.pos,
        inner: unparenthesized(&a.expr).pos(),
        param: a.param.as_deref().map_or(a.pos, |p| unparenthesized(p).pos()),
    }
}

fn unparenthesized(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

/// The planner's entry point: builds the operator for one aggregation, with the positions of
/// its parts (see [`positions`]) so annotations are reported where Prometheus reports them.
#[allow(clippy::too_many_arguments)]
pub fn build_at(
    op: AggregateOp,
    inner: Box<dyn InstantVectorOperator>,
    param: Option<Operator>,
    grouping: &[String],
    without: bool,
    pos: AggregationPositions,
    time_range: QueryTimeRange,
    _options: &EngineOptions,
) -> Result<Box<dyn InstantVectorOperator>> {
    let grouping = grouping::Grouping::new(grouping, without);
    use AggregateOp::*;
    Ok(match op {
        Sum | Avg | Count | Min | Max | Group | Stddev | Stdvar => Box::new(grouped::GroupedAggregation::new(
            op, inner, None, grouping, pos, time_range,
        )),
        Quantile => Box::new(grouped::GroupedAggregation::new(
            op,
            inner,
            Some(scalar_param(op, param)?),
            grouping,
            pos,
            time_range,
        )),
        Topk | Bottomk | Limitk | LimitRatio => Box::new(select::Selection::new(
            op,
            inner,
            scalar_param(op, param)?,
            grouping,
            pos,
            time_range,
        )),
        CountValues => {
            let Some(Operator::String(label)) = param else {
                return Err(Error::Internal("count_values needs a string parameter".into()));
            };
            Box::new(count_values::CountValues::new(inner, label, grouping, time_range))
        }
    })
}

/// The scalar parameter of `op`, or an internal error when the planner passed something else.
fn scalar_param(op: AggregateOp, param: Option<Operator>) -> Result<Box<dyn ScalarOperator>> {
    match param {
        Some(Operator::Scalar(s)) => Ok(s),
        _ => Err(Error::Internal(format!("{} needs a scalar parameter", op.as_str()))),
    }
}

/// The index of the step at time `t`, or an internal error when `t` is not a step of `range`
/// (an inner operator broke the protocol; never a panic).
fn step_index(range: &QueryTimeRange, t: i64) -> Result<usize> {
    let off = t - range.start;
    if off < 0 || t > range.end || off % range.step != 0 {
        return Err(Error::Internal(format!(
            "point at {t} is not a step of {}..{} every {}",
            range.start, range.end, range.step
        )));
    }
    Ok((off / range.step) as usize)
}
