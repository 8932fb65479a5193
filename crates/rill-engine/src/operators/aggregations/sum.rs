//! `sum`: Kahan–Neumaier compensated summation of floats per step, as Prometheus's
//! `kahanSumInc`, and native-histogram sums ([`HistogramAcc`]). A step whose group saw both
//! floats and histograms has no result and gets Prometheus's mixed-types warning.

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, empty_series, for_each_point};
use super::histograms::HistogramAcc;
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, Pooled, PooledVec};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange};

/// Kahan–Neumaier step shared with the rest of Rill (Prometheus's `kahanSumInc`).
pub(super) use rill_model::kahan::kahan_inc as kahan_sum_inc;

/// Which kinds of samples a group saw at one step.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Seen {
    /// A float was folded in.
    pub(super) float: bool,
    /// A histogram was folded in.
    pub(super) histogram: bool,
}

impl Seen {
    /// Whether anything was seen.
    pub(super) fn any(self) -> bool {
        self.float || self.histogram
    }

    /// Records a sample's kind.
    pub(super) fn record(&mut self, sample: &Sample<'_>) {
        match sample {
            Sample::Float(_) => self.float = true,
            Sample::Histogram(_) => self.histogram = true,
        }
    }
}

/// The result of a sum or mean at one step.
pub(super) enum StepResult {
    /// A float.
    Float(f64),
    /// A histogram.
    Histogram(rill_model::FloatHistogram),
}

/// Decides a step's result from what it saw (Prometheus's rules for `sum` and `avg`): nothing
/// for a mix of floats and histograms (warned) or incompatible histograms, else the histogram
/// sum divided by `divisor`, or `float()`.
pub(super) fn step_result(
    seen: Seen,
    hist: &HistogramAcc,
    divisor: f64,
    float: impl FnOnce() -> f64,
    notes: &mut Notes<'_>,
) -> Option<StepResult> {
    if !seen.any() {
        return None;
    }
    if seen.float && seen.histogram {
        notes.mixed_floats_histograms();
        return None;
    }
    if hist.incompatible {
        return None;
    }
    if seen.histogram {
        return hist.result(divisor, notes).map(StepResult::Histogram);
    }
    Some(StepResult::Float(float()))
}

/// Series data from per-step results.
pub(super) fn series_of(
    range: &QueryTimeRange,
    tracker: &Arc<MemoryTracker>,
    results: impl Iterator<Item = (usize, Option<StepResult>)>,
) -> Result<InstantVectorSeriesData> {
    let mut out = empty_series(tracker)?;
    for (i, r) in results {
        let t = range.time_of(i);
        match r {
            Some(StepResult::Float(f)) => out.floats.push(FPoint { t, f })?,
            Some(StepResult::Histogram(h)) => out.histograms.push(HPoint { t, h: Arc::new(h) })?,
            None => {}
        }
    }
    Ok(out)
}

/// The per-step state of a sum-like aggregation (`sum`, `avg`): floats and histograms folded
/// in one sample at a time, then a result by [`step_result`]'s rules.
pub(super) trait SumLikeStep: Clone + Default + Pooled {
    /// What the step saw so far.
    fn seen(&mut self) -> &mut Seen;
    /// The histogram part of the state.
    fn hist(&self) -> &HistogramAcc;
    /// Resets the step to hold only `sample`.
    fn start(&mut self, sample: Sample<'_>);
    /// Folds in one more sample (the step already saw a compatible one).
    fn fold(&mut self, sample: Sample<'_>, notes: &mut Notes<'_>);
    /// What the histogram sum is divided by at the end.
    fn divisor(&self) -> f64;
    /// The float result.
    fn float_result(&self) -> f64;
}

/// A group's per-step states of a sum-like aggregation.
pub(super) struct SumLikeAccumulator<S: SumLikeStep> {
    steps: PooledVec<S>,
}

impl<S: SumLikeStep> SumLikeAccumulator<S> {
    /// An empty group over `steps` steps.
    pub(super) fn new(steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(SumLikeAccumulator {
            steps: PooledVec::filled(steps, S::default(), tracker)?,
        })
    }
}

impl<S: SumLikeStep> GroupAccumulator for SumLikeAccumulator<S> {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            if !st.seen().any() {
                st.start(sample);
            } else if !st.hist().incompatible {
                st.fold(sample, notes);
            } else {
                return Ok(());
            }
            st.seen().record(&sample);
            Ok(())
        })
    }

    fn finish(
        &mut self,
        range: &QueryTimeRange,
        _: Option<&[f64]>,
        notes: &mut Notes<'_>,
    ) -> Result<InstantVectorSeriesData> {
        let tracker = self.steps.tracker().clone();
        let results = self.steps.iter_mut().enumerate().map(|(i, st)| {
            let seen = *st.seen();
            (
                i,
                step_result(seen, st.hist(), st.divisor(), || st.float_result(), notes),
            )
        });
        series_of(range, &tracker, results)
    }
}

/// Per-step sums of one group.
pub(super) type SumAccumulator = SumLikeAccumulator<SumStep>;

/// One step of `sum`: a compensated float sum and a histogram sum.
#[derive(Clone, Debug, Default)]
pub(super) struct SumStep {
    sum: f64,
    c: f64,
    seen: Seen,
    hist: HistogramAcc,
}
declare_pool!(SumStep);

impl SumLikeStep for SumStep {
    fn seen(&mut self) -> &mut Seen {
        &mut self.seen
    }

    fn hist(&self) -> &HistogramAcc {
        &self.hist
    }

    fn start(&mut self, sample: Sample<'_>) {
        *self = SumStep::default();
        match sample {
            Sample::Float(f) => self.sum = f,
            Sample::Histogram(h) => self.hist = HistogramAcc::starting_with(h),
        }
    }

    fn fold(&mut self, sample: Sample<'_>, notes: &mut Notes<'_>) {
        match sample {
            Sample::Float(f) => (self.sum, self.c) = kahan_sum_inc(f, self.sum, self.c),
            Sample::Histogram(h) => self.hist.add(h, notes),
        }
    }

    fn divisor(&self) -> f64 {
        1.0
    }

    fn float_result(&self) -> f64 {
        self.sum + self.c
    }
}
