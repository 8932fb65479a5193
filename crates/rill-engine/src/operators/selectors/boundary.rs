//! The result of a bare `metric[r] anchored` / `metric[r] smoothed` query: instead of the raw
//! samples of the extended window, each series shows the values at the window's nominal
//! bounds plus the samples strictly inside (Prometheus's `extendFloats`, see
//! [`crate::operators::extended::boundary_points`]). Histograms are not supported there.

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::{RangeStep, RangeVectorOperator, Window};
use crate::operators::extended::boundary_points;
use crate::types::{FPoint, SeriesMetadata};

/// Wraps the range selector of a top-level `anchored` / `smoothed` range query.
pub struct BoundaryPoints {
    input: Box<dyn RangeVectorOperator>,
    smoothed: bool,
    points: Option<PooledVec<FPoint>>,
}

impl BoundaryPoints {
    /// Boundary points of `input`'s windows, interpolated at the bounds when `smoothed`.
    pub fn new(input: Box<dyn RangeVectorOperator>, smoothed: bool) -> Self {
        BoundaryPoints {
            input,
            smoothed,
            points: None,
        }
    }
}

impl RangeVectorOperator for BoundaryPoints {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.input.series_metadata(cx)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<bool> {
        self.input.next_series(cx)
    }

    fn next_step_samples(&mut self, cx: &mut QueryContext) -> Result<Option<RangeStep<'_>>> {
        let Some(w) = self.input.next_step_samples(cx)? else {
            return Ok(None);
        };
        if !w.histograms.is_empty() {
            let modifier = if self.smoothed { "smoothed" } else { "anchored" };
            return Err(Error::exec(format!(
                "{modifier} modifier is not supported with histograms"
            )));
        }
        let mut out = PooledVec::with_capacity(w.floats.len() + 2, &cx.tracker)?;
        boundary_points(&w.floats, w.range_start, w.range_end, self.smoothed, &mut out)?;
        let (step_time, range_start, range_end) = (w.step_time, w.range_start, w.range_end);
        let points = self.points.insert(out);
        Ok(Some(RangeStep {
            step_time,
            range_start,
            range_end,
            floats: Window::contiguous(points),
            histograms: Window::contiguous(&[]),
            start_timestamps: None,
        }))
    }

    fn range_ms(&self) -> i64 {
        self.input.range_ms()
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.points = None;
        self.input.finalize(cx)
    }
}
