//! `sum`: Kahan–Neumaier compensated summation per step, as Prometheus's `kahanSumInc`.
//! Native-histogram sums are not supported yet: a step whose group saw only histograms has no
//! output, and one that saw floats and histograms gets Prometheus's mixed-types warning.

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, float_series, for_each_point};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

/// Adds `inc` to `sum` with compensation term `c`; returns the new sum and compensation.
/// Once the sum is infinite the compensation is reset, as in Prometheus.
pub(super) fn kahan_sum_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

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

    /// Whether the step has a float result; warns about a mix of floats and histograms.
    pub(super) fn float_result(self, notes: &mut Notes<'_>) -> bool {
        if self.float && self.histogram {
            notes.mixed_floats_histograms();
        }
        self.float && !self.histogram
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct SumStep {
    sum: f64,
    c: f64,
    seen: Seen,
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
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, _: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            match sample {
                Sample::Histogram(_) => st.seen.histogram = true,
                Sample::Float(f) if !st.seen.any() => {
                    *st = SumStep {
                        sum: f,
                        c: 0.0,
                        seen: Seen {
                            float: true,
                            histogram: false,
                        },
                    }
                }
                Sample::Float(f) => {
                    st.seen.float = true;
                    (st.sum, st.c) = kahan_sum_inc(f, st.sum, st.c);
                }
            }
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
        let points = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, st)| st.seen.float_result(notes))
            .map(|(i, st)| (i, st.sum + st.c));
        float_series(range, &tracker, points)
    }
}
