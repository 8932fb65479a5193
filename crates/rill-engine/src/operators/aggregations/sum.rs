//! `sum`: Kahan–Neumaier compensated summation of floats per step, as Prometheus's
//! `kahanSumInc`, and native-histogram sums ([`HistogramAcc`]). A step whose group saw both
//! floats and histograms has no result and gets Prometheus's mixed-types warning.

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, empty_series, for_each_point};
use super::histograms::HistogramAcc;
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
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

#[derive(Clone, Debug, Default)]
struct SumStep {
    sum: f64,
    c: f64,
    seen: Seen,
    hist: HistogramAcc,
}
declare_pool!(SumStep);

/// Per-step sums of one group.
pub(super) struct SumAccumulator {
    steps: PooledVec<SumStep>,
}

impl SumAccumulator {
    /// An empty group over `steps` steps.
    pub(super) fn new(steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(SumAccumulator {
            steps: PooledVec::filled(steps, SumStep::default(), tracker)?,
        })
    }
}

impl GroupAccumulator for SumAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            if !st.seen.any() {
                *st = SumStep::default();
                match sample {
                    Sample::Float(f) => st.sum = f,
                    Sample::Histogram(h) => st.hist = HistogramAcc::starting_with(h),
                }
            } else if !st.hist.incompatible {
                match sample {
                    Sample::Float(f) => (st.sum, st.c) = kahan_sum_inc(f, st.sum, st.c),
                    Sample::Histogram(h) => st.hist.add(h, notes),
                }
            } else {
                return Ok(());
            }
            st.seen.record(&sample);
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
        let results = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| (i, step_result(st.seen, &st.hist, 1.0, || st.sum + st.c, notes)));
        series_of(range, &tracker, results)
    }
}
