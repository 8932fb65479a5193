//! `count` (number of samples per step, floats and histograms alike) and `group` (1 wherever
//! the group has a sample).

use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, float_series, for_each_point};
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{InstantVectorSeriesData, QueryTimeRange};

/// Per-step sample counts of one group.
pub(super) struct CountAccumulator {
    group: bool,
    counts: PooledVec<f64>,
}

impl CountAccumulator {
    /// An empty group over `steps` steps; `group` outputs 1 instead of the count.
    pub(super) fn new(group: bool, steps: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(CountAccumulator {
            group,
            counts: PooledVec::filled(steps, 0.0, tracker)?,
        })
    }
}

impl GroupAccumulator for CountAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, _: &mut Notes<'_>) -> Result<()> {
        let counts = &mut self.counts;
        for_each_point(series, range, |i, _| {
            if let Some(c) = counts.get_mut(i) {
                *c += 1.0;
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
        let tracker = self.counts.tracker().clone();
        let group = self.group;
        let points = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0.0)
            .map(|(i, &c)| (i, if group { 1.0 } else { c }));
        float_series(range, &tracker, points)
    }
}
