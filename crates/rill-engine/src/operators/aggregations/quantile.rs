//! `quantile(φ, v)`: the φ-quantile of each group's values per step, interpolating linearly
//! between the two nearest ranks as Prometheus's `quantile()` does. NaN sorts below every
//! number; φ < 0 gives -Inf, φ > 1 gives +Inf, NaN gives NaN. Histograms are ignored with an info.

use std::cmp::Ordering;
use std::sync::Arc;

use super::grouped::{GroupAccumulator, Notes, Sample, empty_series, for_each_point};
use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange};

/// Prometheus's order for quantiles: NaN below everything, otherwise ascending.
pub(super) fn nan_first(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// The `q`-quantile of `sorted` (ascending in [`nan_first`] order).
pub(super) fn quantile(q: f64, sorted: &[f64]) -> f64 {
    if sorted.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    let n = sorted.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    let at = |i: f64| sorted.get(i as usize).copied().unwrap_or(f64::NAN);
    at(lower) * (1.0 - weight) + at(upper) * weight
}

#[derive(Clone, Copy, Debug)]
struct StepValue {
    step: usize,
    f: f64,
}
declare_pool!(StepValue);

/// All float values of one group, tagged with their step.
pub(super) struct QuantileAccumulator {
    values: PooledVec<StepValue>,
}

impl QuantileAccumulator {
    /// An empty group.
    pub(super) fn new(tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(QuantileAccumulator {
            values: PooledVec::with_capacity(0, tracker)?,
        })
    }
}

impl GroupAccumulator for QuantileAccumulator {
    fn add(&mut self, series: &InstantVectorSeriesData, range: &QueryTimeRange, notes: &mut Notes<'_>) -> Result<()> {
        let values = &mut self.values;
        for_each_point(series, range, |step, sample| match sample {
            Sample::Float(f) => values.push(StepValue { step, f }),
            Sample::Histogram(_) => {
                notes.histogram_ignored();
                Ok(())
            }
        })
    }

    fn finish(
        &mut self,
        range: &QueryTimeRange,
        param: Option<&[f64]>,
        _: &mut Notes<'_>,
    ) -> Result<InstantVectorSeriesData> {
        let tracker = self.values.tracker().clone();
        self.values
            .sort_by(|a, b| a.step.cmp(&b.step).then(nan_first(a.f, b.f)));
        let mut sorted = PooledVec::<f64>::with_capacity(0, &tracker)?;
        let mut out = empty_series(&tracker)?;
        let mut i = 0;
        while i < self.values.len() {
            let step = self.values[i].step;
            sorted.clear();
            while i < self.values.len() && self.values[i].step == step {
                sorted.push(self.values[i].f)?;
                i += 1;
            }
            let q = param.and_then(|p| p.get(step)).copied().unwrap_or(f64::NAN);
            out.floats.push(FPoint {
                t: range.time_of(step),
                f: quantile(q, &sorted),
            })?;
        }
        Ok(out)
    }
}
