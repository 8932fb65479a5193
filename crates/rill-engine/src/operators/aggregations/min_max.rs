//! `min` and `max`: histograms are ignored (with Prometheus's info), and a NaN is replaced by
//! any later non-NaN value, so NaN wins only when every sample is NaN.

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, float_series, for_each_point};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

#[derive(Clone, Copy, Debug, Default)]
struct Extreme {
    value: f64,
    seen: bool,
}
declare_pool!(Extreme);

/// Per-step minimum or maximum of one group.
pub(super) struct MinMaxAccumulator {
    max: bool,
    steps: PooledVec<Extreme>,
}

impl MinMaxAccumulator {
    /// An empty group over `steps` steps; `max` selects the maximum.
    pub(super) fn new(max: bool, steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(MinMaxAccumulator {
            max,
            steps: PooledVec::filled(steps, Extreme::default(), tracker)?,
        })
    }
}

impl GroupAccumulator for MinMaxAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let (steps, max) = (&mut self.steps, self.max);
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            match sample {
                Sample::Histogram(_) => notes.histogram_ignored(),
                Sample::Float(f) if !st.seen => *st = Extreme { value: f, seen: true },
                Sample::Float(f) => {
                    let better = if max { st.value < f } else { st.value > f };
                    if better || st.value.is_nan() {
                        st.value = f;
                    }
                }
            }
            Ok(())
        })
    }

    fn finish(
        &mut self,
        range: &QueryTimeRange,
        _: Option<&[f64]>,
        _: &mut Notes<'_>,
    ) -> Result<InstantVectorSeriesData> {
        let tracker = self.steps.tracker().clone();
        let points = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, st)| st.seen)
            .map(|(i, st)| (i, st.value));
        float_series(range, &tracker, points)
    }
}
