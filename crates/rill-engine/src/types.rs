//! The values that flow between operators.

use std::sync::Arc;

use rill_model::{FloatHistogram, Labels};

use crate::declare_pool;
use crate::memory::PooledVec;

/// A float point of an output series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FPoint {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The value.
    pub f: f64,
}

/// A histogram point of an output series.
#[derive(Clone, Debug, PartialEq)]
pub struct HPoint {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// The histogram, shared (histograms are large and often passed through unchanged).
    pub h: Arc<FloatHistogram>,
}

declare_pool!(FPoint);
declare_pool!(HPoint);
declare_pool!(SeriesMetadata);

/// The identity of one output series of an operator.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesMetadata {
    /// The series' labels.
    pub labels: Labels,
    /// With delayed name removal, functions mark the name for dropping instead of dropping it
    /// at once; it is removed when the query's result is produced.
    pub drop_name: bool,
}

impl SeriesMetadata {
    /// Metadata for a series whose name is kept.
    pub fn new(labels: Labels) -> Self {
        SeriesMetadata {
            labels,
            drop_name: false,
        }
    }
}

/// The points of one instant-vector series over all steps of the query, in time order.
/// A step without a point has no entry. A series has at most one point per step, either
/// a float or a histogram.
#[derive(Debug)]
pub struct InstantVectorSeriesData {
    /// Float points.
    pub floats: PooledVec<FPoint>,
    /// Histogram points.
    pub histograms: PooledVec<HPoint>,
}

/// The time steps a query (or subquery) is evaluated at: `start, start+step, ..., end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryTimeRange {
    /// First evaluation time (ms).
    pub start: i64,
    /// Last evaluation time (ms), `start + k*step` for some k.
    pub end: i64,
    /// Interval between steps (ms); 1 for instant queries so arithmetic stays defined.
    pub step: i64,
    /// Whether this is an instant query (a single step).
    pub is_instant: bool,
}

impl QueryTimeRange {
    /// The single step of an instant query at `t`.
    pub fn instant(t: i64) -> Self {
        QueryTimeRange {
            start: t,
            end: t,
            step: 1,
            is_instant: true,
        }
    }

    /// The steps of a range query; `end` is rounded down onto the step grid.
    pub fn range(start: i64, end: i64, step: i64) -> Self {
        let step = step.max(1);
        let end = start + (end - start).max(0) / step * step;
        QueryTimeRange {
            start,
            end,
            step,
            is_instant: false,
        }
    }

    /// Number of steps.
    pub fn steps(&self) -> usize {
        ((self.end - self.start) / self.step) as usize + 1
    }

    /// The time of step `i`.
    pub fn time_of(&self, i: usize) -> i64 {
        self.start + i as i64 * self.step
    }

    /// The index of the step at time `t` (which must be on the grid).
    pub fn index_of(&self, t: i64) -> usize {
        debug_assert!((t - self.start) % self.step == 0 && t >= self.start && t <= self.end);
        ((t - self.start) / self.step) as usize
    }

    /// Iterates over the step times.
    pub fn times(&self) -> impl Iterator<Item = i64> + use<> {
        let QueryTimeRange { start, step, .. } = *self;
        (0..self.steps()).map(move |i| start + i as i64 * step)
    }
}

/// The values of a scalar expression, one per step (scalars are defined at every step).
#[derive(Debug)]
pub struct ScalarData {
    /// Value at each step, in step order.
    pub values: PooledVec<f64>,
}
