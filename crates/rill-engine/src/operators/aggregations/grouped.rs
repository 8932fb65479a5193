//! The operator behind every aggregation that outputs one series per group (`sum`, `avg`,
//! `count`, `min`, `max`, `group`, `stddev`, `stdvar`, `quantile`): it pulls input series one at
//! a time, folds each into its group's [`GroupAccumulator`], and emits a group as soon as its
//! last input series was folded in. Only the groups that are open hold state.

use std::sync::Arc;

use rill_model::FloatHistogram;
use rill_model::labels::write_quoted;
use rill_promql::AggregateOp;

use super::grouping::{Grouping, Groups};
use super::params::quantile_param_warnings;
use super::{AggregationPositions, avg, count, min_max, quantile, stddev, step_index, sum};
use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::declare_pool;
use crate::error::{Error, Result};
use crate::memory::{MemoryTracker, PooledVec};
use crate::operator::{InstantVectorOperator, ScalarOperator};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};

/// One input point: a float or a histogram.
#[derive(Clone, Copy, Debug)]
pub(super) enum Sample<'a> {
    /// A float value.
    Float(f64),
    /// A histogram value.
    Histogram(&'a Arc<FloatHistogram>),
}

/// Calls `f(step, sample)` for every point of `series`.
pub(super) fn for_each_point<'a>(
    series: &'a InstantVectorSeriesData,
    range: &QueryTimeRange,
    mut f: impl FnMut(usize, Sample<'a>) -> Result<()>,
) -> Result<()> {
    for p in series.floats.iter() {
        f(step_index(range, p.t)?, Sample::Float(p.f))?;
    }
    for p in series.histograms.iter() {
        f(step_index(range, p.t)?, Sample::Histogram(&p.h))?;
    }
    Ok(())
}

/// Series data without points.
pub(super) fn empty_series(tracker: &Arc<MemoryTracker>) -> Result<InstantVectorSeriesData> {
    Ok(InstantVectorSeriesData {
        floats: PooledVec::with_capacity(0, tracker)?,
        histograms: PooledVec::with_capacity(0, tracker)?,
    })
}

/// Series data with the float points `(step, value)` (in step order).
pub(super) fn float_series(
    range: &QueryTimeRange,
    tracker: &Arc<MemoryTracker>,
    points: impl Iterator<Item = (usize, f64)>,
) -> Result<InstantVectorSeriesData> {
    let mut out = empty_series(tracker)?;
    for (step, f) in points {
        out.floats.push(FPoint {
            t: range.time_of(step),
            f,
        })?;
    }
    Ok(out)
}

/// Reports annotations of an aggregation at the positions Prometheus uses.
pub(super) struct Notes<'a> {
    /// The query's context.
    pub(super) cx: &'a mut QueryContext,
    /// Where the aggregation's parts are.
    pub(super) pos: AggregationPositions,
    /// The aggregation.
    pub(super) op: AggregateOp,
    /// The metric name of the input series being folded in, if any.
    pub(super) metric_name: Option<Arc<str>>,
}

impl Notes<'_> {
    /// `ignored histogram in <op> aggregation`, at the aggregated expression.
    pub(super) fn histogram_ignored(&mut self) {
        self.info_at_inner(format!("ignored histogram in {} aggregation", self.op.as_str()));
    }

    /// `encountered a mix of histograms and floats for aggregation`.
    pub(super) fn mixed_floats_histograms(&mut self) {
        self.warning_at_inner("encountered a mix of histograms and floats for aggregation");
    }

    /// `vector contains a mix of histograms with exponential and custom buckets schemas for
    /// metric name "<name>"`.
    pub(super) fn mixed_histogram_schemas(&mut self) {
        let mut msg = String::from(
            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name ",
        );
        // Writing into a String cannot fail.
        let _ = write_quoted(&mut msg, self.metric_name.as_deref().unwrap_or(""));
        self.warning_at_inner(msg);
    }

    /// A warning at the aggregated expression.
    pub(super) fn warning_at_inner(&mut self, msg: impl Into<String>) {
        self.cx.annotate(Annotation::warning(msg, self.pos.inner));
    }

    /// An info at the aggregated expression.
    pub(super) fn info_at_inner(&mut self, msg: impl Into<String>) {
        self.cx.annotate(Annotation::info(msg, self.pos.inner));
    }
}

/// The per-step state of one output group of a float aggregation.
pub(super) trait GroupAccumulator: Send {
    /// Folds the points of one input series (the group's next member, in input order) in.
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()>;

    /// The group's output points; called once, after its last member was added. `param` holds
    /// the parameter's value per step for `quantile`.
    fn finish(
        &mut self,
        range: &QueryTimeRange,
        param: Option<&[f64]>,
        notes: &mut Notes<'_>,
    ) -> Result<InstantVectorSeriesData>;
}

type Slot = Option<Box<dyn GroupAccumulator>>;
declare_pool!(Slot);
type Name = Option<Arc<str>>;
declare_pool!(Name);

/// Builds the empty accumulator of a group for `op`.
fn new_accumulator(op: AggregateOp, steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Box<dyn GroupAccumulator>> {
    use AggregateOp::*;
    Ok(match op {
        Sum => Box::new(sum::SumAccumulator::new(steps, tracker)?),
        Avg => Box::new(avg::AvgAccumulator::new(steps, tracker)?),
        Count | Group => Box::new(count::CountAccumulator::new(op == Group, steps, tracker)?),
        Min | Max => Box::new(min_max::MinMaxAccumulator::new(op == Max, steps, tracker)?),
        Stddev | Stdvar => Box::new(stddev::StddevAccumulator::new(op == Stddev, steps, tracker)?),
        Quantile => Box::new(quantile::QuantileAccumulator::new(tracker)?),
        other => {
            return Err(Error::Internal(format!(
                "{} is not a grouped aggregation",
                other.as_str()
            )));
        }
    })
}

/// State after `series_metadata`.
struct Running {
    groups: Groups,
    open: PooledVec<Slot>,
    remaining: PooledVec<usize>,
    next_group: usize,
    next_input: usize,
    /// Metric names of the input series (`sum`/`avg` only, for histogram warnings).
    names: PooledVec<Name>,
}

/// An aggregation producing one series per group.
pub(super) struct GroupedAggregation {
    op: AggregateOp,
    inner: Box<dyn InstantVectorOperator>,
    param: Option<Box<dyn ScalarOperator>>,
    param_values: Option<ScalarData>,
    grouping: Grouping,
    pos: AggregationPositions,
    range: QueryTimeRange,
    running: Option<Running>,
}

impl GroupedAggregation {
    /// An aggregation `op` over `inner`; `param` is `quantile`'s φ.
    pub(super) fn new(
        op: AggregateOp,
        inner: Box<dyn InstantVectorOperator>,
        param: Option<Box<dyn ScalarOperator>>,
        grouping: Grouping,
        pos: AggregationPositions,
        range: QueryTimeRange,
    ) -> Self {
        GroupedAggregation {
            op,
            inner,
            param,
            param_values: None,
            grouping,
            pos,
            range,
            running: None,
        }
    }

    fn notes<'a>(&self, cx: &'a mut QueryContext) -> Notes<'a> {
        Notes {
            cx,
            pos: self.pos,
            op: self.op,
            metric_name: None,
        }
    }
}

impl InstantVectorOperator for GroupedAggregation {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        if let Some(param) = self.param.as_mut() {
            let values = param.values(cx)?;
            quantile_param_warnings(&values.values, self.pos.param, cx);
            self.param_values = Some(values);
        }
        let inner = self.inner.series_metadata(cx)?;
        let groups = Groups::compute(&inner, &self.grouping, &cx.tracker)?;
        let out = (0..groups.len())
            .map(|g| SeriesMetadata {
                labels: groups.labels[g].clone(),
                drop_name: groups.drop_name[g],
            })
            .collect();
        let mut remaining = PooledVec::with_capacity(groups.len(), &cx.tracker)?;
        for g in 0..groups.len() {
            remaining.push(groups.members_of(g).len())?;
        }
        let mut open = PooledVec::with_capacity(groups.len(), &cx.tracker)?;
        open.resize_with(groups.len(), || None);
        let mut names = PooledVec::with_capacity(0, &cx.tracker)?;
        if matches!(self.op, AggregateOp::Sum | AggregateOp::Avg) {
            for s in &inner {
                let name = s.labels.iter().find(|l| &*l.name == rill_model::METRIC_NAME);
                names.push(name.map(|l| l.value.clone()))?;
            }
        }
        self.running = Some(Running {
            names,
            groups,
            open,
            remaining,
            next_group: 0,
            next_input: 0,
        });
        Ok(out)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(mut run) = self.running.take() else {
            return Err(Error::Internal(
                "aggregation: next_series before series_metadata".into(),
            ));
        };
        let result = self.advance(&mut run, cx);
        self.running = Some(run);
        result
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        if let Some(param) = self.param.as_mut() {
            param.finalize(cx)?;
        }
        self.inner.finalize(cx)
    }
}

impl GroupedAggregation {
    /// Pulls input until the next group in output order is complete, then emits it.
    fn advance(&mut self, run: &mut Running, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let g = run.next_group;
        if g >= run.groups.len() {
            return Ok(None);
        }
        let steps = self.range.steps();
        while run.remaining.get(g).is_some_and(|&r| r > 0) {
            cx.check("aggregation")?;
            let Some(series) = self.inner.next_series(cx)? else {
                break; // The inner operator returned fewer series than announced: emit what we have.
            };
            let s = run.next_input;
            run.next_input += 1;
            let group = run.groups.of_series.get(s).copied().ok_or_else(|| {
                Error::Internal("aggregation: inner operator returned more series than announced".into())
            })?;
            let slot = &mut run.open[group];
            if slot.is_none() {
                *slot = Some(new_accumulator(self.op, steps, &cx.tracker)?);
            }
            let mut notes = self.notes(cx);
            notes.metric_name = run.names.get(s).cloned().flatten();
            if let Some(acc) = slot.as_mut() {
                acc.add(&series, &self.range, &mut notes)?;
            }
            run.remaining[group] -= 1;
        }
        run.next_group += 1;
        let param = self.param_values.as_ref().map(|p| &p.values[..]);
        let mut notes = self.notes(cx);
        match run.open.get_mut(g).and_then(Option::take) {
            Some(mut acc) => acc.finish(&self.range, param, &mut notes).map(Some),
            None => empty_series(&cx.tracker).map(Some),
        }
    }
}
