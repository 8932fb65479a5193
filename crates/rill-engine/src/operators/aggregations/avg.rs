//! `avg`: Prometheus's mean. Floats are summed with Kahan compensation and divided at the end;
//! once the running sum would overflow it switches to an incremental mean (also compensated),
//! so float results match Prometheus bit for bit. Histograms follow the same scheme (see
//! [`HistogramAcc::add_to_mean`]).

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, for_each_point};
use super::histograms::HistogramAcc;
use super::sum::{Seen, kahan_sum_inc, series_of, step_result};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

#[derive(Clone, Debug, Default)]
struct AvgStep {
    sum: f64,
    c: f64,
    mean: f64,
    count: f64,
    incremental: bool,
    seen: Seen,
    hist: HistogramAcc,
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

    fn float_result(&self) -> f64 {
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
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let steps = &mut self.steps;
        for_each_point(series, range, |i, sample| {
            let Some(st) = steps.get_mut(i) else { return Ok(()) };
            if !st.seen.any() {
                *st = AvgStep {
                    count: 1.0,
                    ..AvgStep::default()
                };
                match sample {
                    Sample::Float(f) => (st.sum, st.mean) = (f, f),
                    Sample::Histogram(h) => st.hist = HistogramAcc::starting_with(h),
                }
            } else if !st.hist.incompatible {
                st.count += 1.0;
                match sample {
                    Sample::Float(f) => st.add_float(f),
                    Sample::Histogram(h) => st.hist.add_to_mean(h, st.count, notes),
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
            .map(|(i, st)| (i, step_result(st.seen, &st.hist, st.count, || st.float_result(), notes)));
        series_of(range, &tracker, results)
    }
}
