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

/// The step grid the inner expression of a subquery is evaluated on, for outer steps
/// `outer`. When the range holds no step, the grid has one step after the last window,
/// whose points no window will contain.
pub fn subquery_steps(outer: &QueryTimeRange, data_time: DataTime, range: i64, step: i64) -> QueryTimeRange {
    let step = step.max(1);
    let (first, last) = data_time.span(outer);
    let low = first.saturating_sub(range);
    // The first multiple of `step` strictly after `low`.
    let start = (low.div_euclid(step) + 1).saturating_mul(step);
    let end = if last >= start {
        start.saturating_add(last.saturating_sub(start) / step * step)
    } else {
        start
    };
    QueryTimeRange {
        start,
        end,
        step,
        is_instant: false,
    }
}

/// The series of a subquery's inner expression as window sources.
pub struct SubquerySource {
    inner: Box<dyn InstantVectorOperator>,
}

impl WindowSource for SubquerySource {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.inner.series_metadata(cx)
    }

    fn next_stream(&mut self, cx: &mut QueryContext) -> Result<Option<Box<dyn SampleStream>>> {
        let Some(mut d) = self.inner.next_series(cx)? else {
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
        self.inner.finalize(cx)
    }
}

/// A subquery: windows of `range` ms, at each outer step, over `inner` (which must have been
/// planned on [`subquery_steps`]).
pub fn subquery(
    inner: Box<dyn InstantVectorOperator>,
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
        let g = subquery_steps(&QueryTimeRange::instant(600_000), dt, 300_000, 60_000);
        assert_eq!((g.start, g.end, g.step), (360_000, 600_000, 60_000));
        // Unaligned evaluation time.
        let g = subquery_steps(&QueryTimeRange::instant(610_000), dt, 300_000, 60_000);
        assert_eq!((g.start, g.end), (360_000, 600_000));
        // Negative times align downwards like positive ones.
        let g = subquery_steps(&QueryTimeRange::instant(0), dt, 330_000, 60_000);
        assert_eq!(g.start, -300_000);
        let off = DataTime {
            at: Some(1_000_000),
            offset: 100_000,
        };
        let g = subquery_steps(&QueryTimeRange::range(0, 50_000, 10_000), off, 60_000, 30_000);
        assert_eq!((g.start, g.end), (870_000, 900_000));
    }
}
