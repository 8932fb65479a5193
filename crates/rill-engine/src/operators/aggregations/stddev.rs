//! `stddev` and `stdvar`: Welford's online variance, as Prometheus computes it (a first value
//! that is NaN or ±Inf makes the result NaN); histograms are ignored with an info.

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, float_series, for_each_point};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

#[derive(Clone, Copy, Debug, Default)]
struct Welford {
    mean: f64,
    /// Sum of squared deviations from the mean.
    m2: f64,
    count: f64,
}
declare_pool!(Welford);

/// Per-step variance of one group.
pub(super) struct StddevAccumulator {
    sqrt: bool,
    steps: PooledVec<Welford>,
}

impl StddevAccumulator {
    /// An empty group over `steps` steps; `sqrt` gives the standard deviation.
    pub(super) fn new(sqrt: bool, steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(StddevAccumulator {
            sqrt,
            steps: PooledVec::filled(steps, Welford::default(), tracker)?,
        })
    }
}

impl GroupAccumulator for StddevAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            match sample {
                Sample::Histogram(_) => notes.histogram_ignored(),
                Sample::Float(f) if st.count == 0.0 => {
                    let m2 = if f.is_finite() { 0.0 } else { f64::NAN };
                    *st = Welford {
                        mean: f,
                        m2,
                        count: 1.0,
                    };
                }
                Sample::Float(f) => {
                    st.count += 1.0;
                    let delta = f - st.mean;
                    st.mean += delta / st.count;
                    st.m2 += delta * (f - st.mean);
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
        let sqrt = self.sqrt;
        let points = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, st)| st.count > 0.0)
            .map(|(i, st)| {
                let var = st.m2 / st.count;
                (i, if sqrt { var.sqrt() } else { var })
            });
        float_series(range, &tracker, points)
    }
}
