//! The streaming operator protocol (Mimir's MQE shape).
//!
//! A query plan is a tree of operators. Each operator first reports the label sets of all of
//! its output series ([`InstantVectorOperator::series_metadata`]), which lets parents plan
//! groupings and matchings before any sample is read; then it yields one series at a time, with
//! its points for every step. Nothing holds all series × all steps at once.

use crate::context::QueryContext;
use crate::error::Result;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, ScalarData, SeriesMetadata};

/// An operator producing an instant vector per step.
pub trait InstantVectorOperator: Send {
    /// Returns the labels of every output series. Must be called exactly once, before
    /// `next_series`; the order returned is the order in which `next_series` yields series.
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>>;

    /// Returns the points of the next series, or `Ok(None)` once all series were returned.
    /// The buffers are pooled and charged to `cx`'s tracker; dropping them gives the memory back.
    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>>;

    /// Called once after the last series; operators add end-of-query annotations here.
    fn finalize(&mut self, _cx: &mut QueryContext) -> Result<()> {
        Ok(())
    }
}

/// The samples of a range window, possibly split in two by the ring buffer's wrap-around.
/// `head` comes before `tail`; both are in time order.
#[derive(Debug)]
pub struct Window<'a, T> {
    /// Older part.
    pub head: &'a [T],
    /// Newer part.
    pub tail: &'a [T],
}

impl<T> Clone for Window<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Window<'_, T> {}

impl<'a, T> Window<'a, T> {
    /// A window over one contiguous slice.
    pub fn contiguous(s: &'a [T]) -> Self {
        Window { head: s, tail: &[] }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th sample.
    pub fn get(&self, i: usize) -> Option<&'a T> {
        if i < self.head.len() {
            self.head.get(i)
        } else {
            self.tail.get(i - self.head.len())
        }
    }

    /// The first sample.
    pub fn first(&self) -> Option<&'a T> {
        self.get(0)
    }

    /// The last sample.
    pub fn last(&self) -> Option<&'a T> {
        self.tail.last().or(self.head.last())
    }

    /// Iterates in time order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'a T> + 'a {
        self.head.iter().chain(self.tail.iter())
    }
}

/// The window of one series at one step.
///
/// For `anchored` and `smoothed` range selectors the samples reach beyond the nominal bounds:
/// back to one lookback delta before `range_start` (and, smoothed, one lookback delta after
/// `range_end`), so functions can pick or interpolate the values at the bounds, as
/// Prometheus's `extendFloats` does. The planner only lets Prometheus's anchored-/smoothed-safe
/// functions (`rate`, `increase`, `delta`, and for anchored also `changes`, `resets`) see them.
#[derive(Clone, Copy, Debug)]
pub struct RangeStep<'a> {
    /// The step's evaluation time (ms), as the step appears in the output.
    pub step_time: i64,
    /// Window start in data time, exclusive (after `offset` and `@`).
    pub range_start: i64,
    /// Window end in data time, inclusive.
    pub range_end: i64,
    /// Float samples in the window (stale markers removed).
    pub floats: Window<'a, FPoint>,
    /// Histogram samples in the window (stale markers removed).
    pub histograms: Window<'a, HPoint>,
    /// The start ("created") timestamps of the samples, parallel to `floats` and
    /// `histograms`; `None` unless the series' storage has some (an experimental feature
    /// most data lacks, so plain windows carry nothing extra). Windows over evaluated points
    /// (subqueries) never have them.
    pub start_timestamps: Option<StartTimestamps<'a>>,
}

/// The start ("created") timestamps (ms, `0` = unknown) of a window's samples: the ST of
/// `floats[i]` is `floats[i]` here, likewise for histograms. Rate functions use them to see
/// counter resets and where a counter started.
#[derive(Clone, Copy, Debug)]
pub struct StartTimestamps<'a> {
    /// Parallel to [`RangeStep::floats`].
    pub floats: Window<'a, i64>,
    /// Parallel to [`RangeStep::histograms`].
    pub histograms: Window<'a, i64>,
}

/// An operator producing a range vector (a window of samples per series per step).
pub trait RangeVectorOperator: Send {
    /// Returns the labels of every output series; same contract as
    /// [`InstantVectorOperator::series_metadata`].
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>>;

    /// Advances to the next series. Returns `Ok(false)` once all series were visited.
    fn next_series(&mut self, cx: &mut QueryContext) -> Result<bool>;

    /// Returns the window of the next step of the current series, or `Ok(None)` after the
    /// last step. The window borrows the operator's ring buffer until the next call.
    fn next_step_samples(&mut self, cx: &mut QueryContext) -> Result<Option<RangeStep<'_>>>;

    /// The range of the windows in milliseconds.
    fn range_ms(&self) -> i64;

    /// Called once after the last series.
    fn finalize(&mut self, _cx: &mut QueryContext) -> Result<()> {
        Ok(())
    }
}

/// An operator producing a scalar per step.
pub trait ScalarOperator: Send {
    /// Computes the values for all steps. Must be called exactly once.
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData>;

    /// Called once after `values`.
    fn finalize(&mut self, _cx: &mut QueryContext) -> Result<()> {
        Ok(())
    }
}

/// An operator producing a string (only string literals exist in PromQL).
pub trait StringOperator: Send {
    /// The string. Must be called exactly once.
    fn value(&mut self, cx: &mut QueryContext) -> Result<String>;

    /// The string's bytes when they are not valid UTF-8 (a Go string, hence a Prometheus
    /// literal, may hold any bytes; `value` then replaces them by U+FFFD), else `None`.
    /// Lets label-name checks reject and quote such values exactly as Prometheus does.
    fn invalid_utf8(&self) -> Option<&[u8]> {
        None
    }
}

/// A planned operator of any value type.
pub enum Operator {
    /// Instant vector.
    Instant(Box<dyn InstantVectorOperator>),
    /// Range vector.
    Range(Box<dyn RangeVectorOperator>),
    /// Scalar.
    Scalar(Box<dyn ScalarOperator>),
    /// String.
    String(Box<dyn StringOperator>),
}
