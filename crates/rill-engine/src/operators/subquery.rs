//! Subqueries `expr[range:step] offset o @ t`.
//!
//! The inner expression is evaluated on its own step grid: every multiple of the subquery
//! step in `(first_data_time - range, last_data_time]` (Prometheus aligns subquery steps to
//! absolute multiples of the step). Its output series are then windowed exactly like a range
//! selector's samples, by the shared [`RangeWindows`] machinery.

use std::sync::Arc;

use rill_model::CounterResetHint;

use crate::context::QueryContext;
use crate::error::Result;
use crate::operator::InstantVectorOperator;
use crate::operators::samples::{PointSamples, SampleStream};
use crate::operators::window::{DataTime, RangeWindows, WindowSource};
use crate::types::{QueryTimeRange, SeriesMetadata};

/// The step grid the inner expression of a subquery is evaluated on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubqueryGrid {
    /// Every multiple of the step in the windows of the outer steps.
    Steps(QueryTimeRange),
    /// The windows hold no multiple of the step (a range shorter than the step, seen from an
    /// instant query or an `@` time); `next` is the first one after them. Prometheus then
    /// evaluates the inner expression nowhere, unless it is step invariant: such expressions
    /// are evaluated once, at the first step, here `next`, which no window holds.
    Empty {
        /// The first multiple of the step after the windows.
        next: i64,
    },
}

/// The grid of a subquery with `range` and `step` (ms) at outer steps `outer`: the
/// multiples of `step` in `(first - range, last]` of the data times.
pub fn subquery_steps(outer: &QueryTimeRange, data_time: DataTime, range: i64, step: i64) -> SubqueryGrid {
    let step = step.max(1);
    let (first, last) = data_time.span(outer);
    let low = first.saturating_sub(range);
    // The first multiple of `step` strictly after `low`.
    let start = (low.div_euclid(step) + 1).saturating_mul(step);
    if last < start {
        return SubqueryGrid::Empty { next: start };
    }
    SubqueryGrid::Steps(QueryTimeRange {
        start,
        end: start.saturating_add(last.saturating_sub(start) / step * step),
        step,
        is_instant: false,
    })
}

/// The series of a subquery's inner expression as window sources; no series when the inner
/// expression is not evaluated (see [`SubqueryGrid::Empty`]).
pub struct SubquerySource {
    inner: Option<Box<dyn InstantVectorOperator>>,
}

impl WindowSource for SubquerySource {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        match &mut self.inner {
            Some(inner) => inner.series_metadata(cx),
            None => Ok(Vec::new()),
        }
    }

    fn next_stream(&mut self, cx: &mut QueryContext) -> Result<Option<Box<dyn SampleStream>>> {
        let Some(inner) = &mut self.inner else {
            return Ok(None);
        };
        let Some(mut d) = inner.next_series(cx)? else {
            return Ok(None);
        };
        // As Prometheus does, explicit counter-reset hints become "unknown": the subquery's
        // points may skip or repeat the samples the hints were about.
        for p in d.histograms.iter_mut() {
            if matches!(
                p.h.counter_reset_hint,
                CounterResetHint::CounterReset | CounterResetHint::NotCounterReset
            ) {
                let mut h = (*p.h).clone();
                h.counter_reset_hint = CounterResetHint::Unknown;
                p.h = Arc::new(h);
            }
        }
        Ok(Some(Box::new(PointSamples::new(d))))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        match &mut self.inner {
            Some(inner) => inner.finalize(cx),
            None => Ok(()),
        }
    }
}

/// A subquery: windows of `range` ms, at each outer step, over `inner` (which must have been
/// planned on the grid of [`subquery_steps`]; `None` when it is not evaluated).
pub fn subquery(
    inner: Option<Box<dyn InstantVectorOperator>>,
    outer: QueryTimeRange,
    data_time: DataTime,
    range: i64,
) -> RangeWindows<SubquerySource> {
    RangeWindows::new(SubquerySource { inner }, outer, data_time, range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_aligned_and_left_open() {
        let dt = DataTime::default();
        // Instant query at 10m of x[5m:1m]: steps 6m..10m (5m itself is excluded).
        let steps = |g: SubqueryGrid| match g {
            SubqueryGrid::Steps(s) => (s.start, s.end, s.step),
            SubqueryGrid::Empty { next } => panic!("empty grid before {next}"),
        };
        let grid = |t, range, step| subquery_steps(&QueryTimeRange::instant(t), dt, range, step);
        assert_eq!(steps(grid(600_000, 300_000, 60_000)), (360_000, 600_000, 60_000));
        // Unaligned evaluation time.
        assert_eq!(steps(grid(610_000, 300_000, 60_000)), (360_000, 600_000, 60_000));
        // Negative times align downwards like positive ones.
        assert_eq!(steps(grid(0, 330_000, 60_000)).0, -300_000);
        // A range shorter than the step may hold no grid point at all: (615s, 630s].
        assert_eq!(grid(630_000, 15_000, 60_000), SubqueryGrid::Empty { next: 660_000 });
        // (0, 15s] holds none either: windows are left-open.
        assert_eq!(grid(15_000, 15_000, 60_000), SubqueryGrid::Empty { next: 60_000 });
        assert_eq!(steps(grid(60_000, 15_000, 60_000)), (60_000, 60_000, 60_000));
        let off = DataTime {
            at: Some(1_000_000),
            offset: 100_000,
        };
        let g = subquery_steps(&QueryTimeRange::range(0, 50_000, 10_000), off, 60_000, 30_000);
        assert_eq!(steps(g), (870_000, 900_000, 30_000));
    }
}
