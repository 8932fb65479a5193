//! `avg`: Prometheus's mean. It sums with Kahan compensation and divides at the end, and once
//! the running sum would overflow it switches to an incremental mean (also compensated), so
//! float results match Prometheus bit for bit. Histogram averages are not supported yet (see
//! [`super::sum`]).

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, float_series, for_each_point};
use super::sum::{Seen, kahan_sum_inc};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

#[derive(Clone, Copy, Debug, Default)]
struct AvgStep {
    sum: f64,
    c: f64,
    mean: f64,
    count: f64,
    incremental: bool,
    seen: Seen,
}
declare_pool!(AvgStep);

impl AvgStep {
    fn add_float(&mut self, f: f64) {
        if !self.incremental {
            let (sum, c) = kahan_sum_inc(f, self.sum, self.c);
            if !sum.is_infinite() {
                (self.sum, self.c) = (sum, c);
                return;
            }
            // The sum would overflow: continue with the incremental mean from here on.
            self.incremental = true;
            self.mean = self.sum / (self.count - 1.0);
            self.c /= self.count - 1.0;
        }
        let q = (self.count - 1.0) / self.count;
        (self.mean, self.c) = kahan_sum_inc(f / self.count, q * self.mean, q * self.c);
    }

    fn result(&self) -> f64 {
        if self.incremental {
            self.mean + self.c
        } else {
            self.sum / self.count + self.c / self.count
        }
    }
}

/// Per-step means of one group.
pub(super) struct AvgAccumulator {
    steps: PooledVec<AvgStep>,
}

impl AvgAccumulator {
    /// An empty group over `steps` steps.
    pub(super) fn new(steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(AvgAccumulator {
            steps: PooledVec::filled(steps, AvgStep::default(), tracker)?,
        })
    }
}

impl GroupAccumulator for AvgAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, _: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            let f = match sample {
                Sample::Float(f) => f,
                Sample::Histogram(_) => 0.0,
            };
            if !st.seen.any() {
                *st = AvgStep {
                    sum: f,
                    mean: f,
                    count: 1.0,
                    ..AvgStep::default()
                };
            } else {
                st.count += 1.0;
                if matches!(sample, Sample::Float(_)) {
                    st.add_float(f);
                }
            }
            match sample {
                Sample::Float(_) => st.seen.float = true,
                Sample::Histogram(_) => st.seen.histogram = true,
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
            .map(|(i, st)| (i, st.result()));
        float_series(range, &tracker, points)
    }
}
