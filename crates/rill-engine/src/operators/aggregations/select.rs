//! `topk`, `bottomk`, `limitk` and `limit_ratio`: per group and step, keep some of the input
//! samples, with their series' labels.
//!
//! Each open group keeps, per step, a heap of at most `min(k, group size)` entries (series,
//! value) maintained exactly as Prometheus's `aggregationK` does, so ties and NaNs pick the
//! same series. In a range query a group's member series are emitted (with the points where
//! they were kept) as soon as the group's last input series was read; in an instant query all
//! input is read first so that the output comes in Prometheus's order: groups in order of first
//! appearance, sorted by value within a group for `topk`/`bottomk`.

use std::cmp::Ordering;
use std::sync::Arc;

use rill_model::FloatHistogram;
use rill_promql::AggregateOp;

use super::grouped::{Sample, empty_series, for_each_point};
use super::grouping::{Grouping, Groups};
use super::heap::{fix_top, reverse_value_less, sift_last_up, value_less};
use super::params::{check_k, check_ratio, k_at, ratio_at};
use super::quantile::nan_first;
use super::{AggregationPositions, ratio};
use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::declare_pool;
use crate::error::{Error, Result};
use crate::memory::{MemoryTracker, PooledVec};
use crate::operator::{InstantVectorOperator, ScalarOperator};
use crate::operators::buffer::drain;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};

/// A kept sample: which input series, and its value.
#[derive(Clone, Debug, Default)]
struct Entry {
    series: usize,
    f: f64,
    h: Option<Arc<FloatHistogram>>,
}
declare_pool!(Entry);

/// The heaps of one group, `cap` entries reserved per step.
struct GroupHeaps {
    cap: usize,
    entries: PooledVec<Entry>,
    lens: PooledVec<usize>,
}

impl GroupHeaps {
    fn new(steps: usize, cap: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(GroupHeaps {
            cap,
            entries: PooledVec::filled(steps.saturating_mul(cap), Entry::default(), tracker)?,
            lens: PooledVec::filled(steps, 0, tracker)?,
        })
    }

    /// The heap of `step`, with its current length.
    fn heap(&mut self, step: usize) -> Option<(&mut [Entry], &mut usize)> {
        let start = step.checked_mul(self.cap)?;
        let entries = self.entries.get_mut(start..start.checked_add(self.cap)?)?;
        Some((entries, self.lens.get_mut(step)?))
    }

    /// The kept entries of `step`.
    fn kept(&self, step: usize) -> &[Entry] {
        let len = self.lens.get(step).copied().unwrap_or(0);
        let start = step * self.cap;
        self.entries.get(start..start + len).unwrap_or(&[])
    }
}

type HeapSlot = Option<GroupHeaps>;
declare_pool!(HeapSlot);

/// An output series waiting to be emitted.
struct Ready(Option<InstantVectorSeriesData>);
declare_pool!(Ready);

/// What selects samples at one step.
#[derive(Clone, Copy)]
enum Rule {
    /// Keep the k largest (`topk`) / smallest (`bottomk`) / first (`limitk`).
    K(usize),
    /// Keep series whose hash offset falls in the ratio.
    Ratio(f64),
}

/// State after `series_metadata`.
struct Running {
    groups: Groups,
    open: PooledVec<HeapSlot>,
    remaining: PooledVec<usize>,
    /// Sampling offsets of the input series (`limit_ratio` only).
    offsets: PooledVec<f64>,
    next_input: usize,
    next_group: usize,
    ready: PooledVec<Ready>,
    ready_pos: usize,
}

/// The `topk`/`bottomk`/`limitk`/`limit_ratio` operator.
pub(super) struct Selection {
    op: AggregateOp,
    inner: Box<dyn InstantVectorOperator>,
    param: Box<dyn ScalarOperator>,
    param_values: Option<ScalarData>,
    grouping: Grouping,
    pos: AggregationPositions,
    range: QueryTimeRange,
    inputs: usize,
    running: Option<Running>,
}

impl Selection {
    /// `op(param, inner)` grouped by `grouping`.
    pub(super) fn new(
        op: AggregateOp,
        inner: Box<dyn InstantVectorOperator>,
        param: Box<dyn ScalarOperator>,
        grouping: Grouping,
        pos: AggregationPositions,
        range: QueryTimeRange,
    ) -> Self {
        Selection {
            op,
            inner,
            param,
            param_values: None,
            grouping,
            pos,
            range,
            inputs: 0,
            running: None,
        }
    }

    fn instant(&self) -> bool {
        self.range.start == self.range.end
    }

    fn rule_at(&self, step: usize) -> Option<Rule> {
        let v = self.param_values.as_ref()?.values.get(step).copied()?;
        match self.op {
            AggregateOp::LimitRatio => ratio_at(v).map(Rule::Ratio),
            _ => k_at(v, self.inputs).map(Rule::K),
        }
    }

    /// Heap capacity a group of `size` members needs per step.
    fn capacity(&self, size: usize) -> usize {
        let Some(values) = self.param_values.as_ref() else {
            return 0;
        };
        match self.op {
            AggregateOp::LimitRatio => size,
            _ => values.values.iter().filter_map(|&v| k_at(v, size)).max().unwrap_or(0),
        }
    }

    /// Folds one input series into its group's heaps.
    fn add(&self, run: &mut Running, s: usize, series: &InstantVectorSeriesData, cx: &mut QueryContext) -> Result<()> {
        let g = run.groups.of_series.get(s).copied().ok_or_else(|| {
            Error::Internal(format!(
                "{}: inner operator returned more series than announced",
                self.op.as_str()
            ))
        })?;
        let size = run.groups.members_of(g).len();
        let slot = &mut run.open[g];
        if slot.is_none() {
            *slot = Some(GroupHeaps::new(self.range.steps(), self.capacity(size), &cx.tracker)?);
        }
        let Some(heaps) = slot.as_mut() else { return Ok(()) };
        let offset = run.offsets.get(s).copied().unwrap_or(0.0);
        let mut ignored_histogram = false;
        for_each_point(series, &self.range, |step, sample| {
            let Some(rule) = self.rule_at(step) else { return Ok(()) };
            let (f, h) = match sample {
                Sample::Float(f) => (f, None),
                Sample::Histogram(h) => (0.0, Some(h)),
            };
            if h.is_some() && matches!(self.op, AggregateOp::Topk | AggregateOp::Bottomk) {
                ignored_histogram = true;
                return Ok(());
            }
            let Some((heap, len)) = heaps.heap(step) else {
                return Ok(());
            };
            let entry = || Entry {
                series: s,
                f,
                h: h.cloned(),
            };
            match (self.op, rule) {
                (AggregateOp::Topk | AggregateOp::Bottomk, Rule::K(k)) => {
                    let top = self.op == AggregateOp::Topk;
                    let less = move |a: &Entry, b: &Entry| {
                        if top {
                            value_less(a.f, b.f)
                        } else {
                            reverse_value_less(a.f, b.f)
                        }
                    };
                    if *len < k.min(heap.len()) {
                        push(heap, len, entry(), less);
                    } else if let Some(first) = heap.first_mut().filter(|_| *len > 0) {
                        let beats = if top { first.f < f } else { first.f > f };
                        if beats || (first.f.is_nan() && !f.is_nan()) {
                            *first = entry();
                            if k > 1 {
                                fix_top(&mut heap[..*len], less);
                            }
                        }
                    }
                }
                (AggregateOp::Limitk, Rule::K(k)) if *len < k.min(heap.len()) => {
                    push(heap, len, entry(), |a, b| value_less(a.f, b.f));
                }
                (AggregateOp::LimitRatio, Rule::Ratio(r)) if ratio::keeps(r, offset) && *len < heap.len() => {
                    push(heap, len, entry(), |a, b| value_less(a.f, b.f));
                }
                _ => {}
            }
            Ok(())
        })?;
        if ignored_histogram {
            let msg = format!("ignored histogram in {} aggregation", self.op.as_str());
            cx.annotate(Annotation::info(msg, self.pos.expr));
        }
        Ok(())
    }

    /// Builds the outputs of completed group `g` (range queries): one per member, in order.
    fn complete_group(&self, run: &mut Running, g: usize, tracker: &Arc<MemoryTracker>) -> Result<()> {
        run.ready.clear();
        run.ready_pos = 0;
        for _ in run.groups.members_of(g) {
            run.ready.push(Ready(Some(empty_series(tracker)?)))?;
        }
        let Some(heaps) = run.open.get_mut(g).and_then(Option::take) else {
            return Ok(());
        };
        for step in 0..self.range.steps() {
            let t = self.range.time_of(step);
            for e in heaps.kept(step) {
                let local = run.groups.local_index.get(e.series).copied().unwrap_or(usize::MAX);
                let Some(Ready(Some(out))) = run.ready.get_mut(local) else {
                    continue;
                };
                push_point(out, t, e)?;
            }
        }
        Ok(())
    }

    /// Instant queries: reads all input and queues the kept samples in Prometheus's order.
    fn select_all(
        &mut self,
        run: &mut Running,
        inner: &[SeriesMetadata],
        cx: &mut QueryContext,
    ) -> Result<Vec<SeriesMetadata>> {
        while let Some(series) = self.inner.next_series(cx)? {
            cx.check("aggregation")?;
            let s = run.next_input;
            run.next_input += 1;
            self.add(run, s, &series, cx)?;
        }
        let mut order = PooledVec::<usize>::with_capacity(run.groups.len(), &cx.tracker)?;
        order.extend(0..run.groups.len());
        order.sort_by_key(|&g| run.groups.members_of(g).first().copied().unwrap_or(usize::MAX));
        let mut out = Vec::new();
        let t = self.range.start;
        for &g in order.iter() {
            let Some(mut heaps) = run.open.get_mut(g).and_then(Option::take) else {
                continue;
            };
            let len = heaps.lens.first().copied().unwrap_or(0);
            let kept = heaps.entries.get_mut(..len).unwrap_or(&mut []);
            match self.op {
                AggregateOp::Topk => kept.sort_by(|a, b| nan_last(a.f, b.f, true)),
                AggregateOp::Bottomk => kept.sort_by(|a, b| nan_last(a.f, b.f, false)),
                _ => {}
            }
            for e in kept.iter() {
                let meta = inner
                    .get(e.series)
                    .cloned()
                    .ok_or_else(|| Error::Internal("selection: unknown input series".into()))?;
                out.push(meta);
                let mut data = empty_series(&cx.tracker)?;
                push_point(&mut data, t, e)?;
                run.ready.push(Ready(Some(data)))?;
            }
        }
        Ok(out)
    }
}

/// Ascending (or `descending`) by value, NaN always last.
fn nan_last(a: f64, b: f64, descending: bool) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ if descending => nan_first(b, a),
        _ => nan_first(a, b),
    }
}

/// Appends `e` to the heap `heap[..len]` (Go's `heap.Push`).
fn push(heap: &mut [Entry], len: &mut usize, e: Entry, less: impl Fn(&Entry, &Entry) -> bool) {
    if let Some(slot) = heap.get_mut(*len) {
        *slot = e;
        *len += 1;
        sift_last_up(&mut heap[..*len], less);
    }
}

fn push_point(out: &mut InstantVectorSeriesData, t: i64, e: &Entry) -> Result<()> {
    match &e.h {
        Some(h) => out.histograms.push(HPoint { t, h: h.clone() }),
        None => out.floats.push(FPoint { t, f: e.f }),
    }
}

impl InstantVectorOperator for Selection {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let values = self.param.values(cx)?;
        let inner = self.inner.series_metadata(cx)?;
        let selects = match self.op {
            AggregateOp::LimitRatio => check_ratio(&values.values, self.pos.param, cx)?,
            _ => check_k(&values.values)?,
        };
        self.param_values = Some(values);
        self.inputs = inner.len();
        let groups = if selects {
            Groups::compute(&inner, &self.grouping, &cx.tracker)?
        } else {
            Groups::compute(&[], &self.grouping, &cx.tracker)?
        };
        let mut offsets = PooledVec::with_capacity(0, &cx.tracker)?;
        if self.op == AggregateOp::LimitRatio && selects {
            for s in &inner {
                offsets.push(ratio::sample_offset(&s.labels))?;
            }
        }
        let mut remaining = PooledVec::with_capacity(groups.len(), &cx.tracker)?;
        for g in 0..groups.len() {
            remaining.push(groups.members_of(g).len())?;
        }
        let mut open = PooledVec::with_capacity(groups.len(), &cx.tracker)?;
        open.resize_with(groups.len(), || None);
        let mut run = Running {
            groups,
            open,
            remaining,
            offsets,
            next_input: 0,
            next_group: 0,
            ready: PooledVec::with_capacity(0, &cx.tracker)?,
            ready_pos: 0,
        };
        let out = if !selects {
            Vec::new()
        } else if self.instant() {
            let out = self.select_all(&mut run, &inner, cx)?;
            run.next_group = run.groups.len();
            out
        } else {
            (0..run.groups.len())
                .flat_map(|g| run.groups.members_of(g).iter())
                .filter_map(|&s| inner.get(s).cloned())
                .collect()
        };
        self.running = Some(run);
        Ok(out)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(mut run) = self.running.take() else {
            return Err(Error::Internal("selection: next_series before series_metadata".into()));
        };
        let result = self.advance(&mut run, cx);
        self.running = Some(run);
        result
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.param.finalize(cx)?;
        // With every k below 1 no series is read; Prometheus still evaluates the operand.
        drain(self.inner.as_mut(), cx)?;
        self.inner.finalize(cx)
    }
}

impl Selection {
    /// Emits the next queued output, completing the next group first when none is queued.
    fn advance(&mut self, run: &mut Running, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        loop {
            if let Some(Ready(data)) = run.ready.get_mut(run.ready_pos) {
                run.ready_pos += 1;
                return Ok(data.take());
            }
            let g = run.next_group;
            if g >= run.groups.len() {
                return Ok(None);
            }
            while run.remaining.get(g).is_some_and(|&r| r > 0) {
                cx.check("aggregation")?;
                let Some(series) = self.inner.next_series(cx)? else {
                    break;
                };
                let s = run.next_input;
                run.next_input += 1;
                self.add(run, s, &series, cx)?;
                if let Some(g) = run.groups.of_series.get(s).and_then(|&g| run.remaining.get_mut(g)) {
                    *g -= 1;
                }
            }
            run.next_group += 1;
            self.complete_group(run, g, &cx.tracker)?;
        }
    }
}
