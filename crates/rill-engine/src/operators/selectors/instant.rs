//! The instant-vector selector `metric{...} offset o @ t`.
//!
//! At each step it returns the latest sample in `(d - lookback, d]`, where `d` is the step's
//! data time after `@` and `offset`, unless that sample is a stale marker. The output point
//! carries the step time. In sample-timestamp mode (for `timestamp()`), the point's value is
//! the sample's own timestamp in seconds instead of its value. A `smoothed` selector instead
//! interpolates linearly between the samples around `d` within `(d - lookback, d + lookback]`
//! (the sample at `d` if there is one; the last one before `d` when none follows).

use rill_model::{Sample, Value};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::samples::SampleStream;
use crate::operators::selectors::SelectorSource;
use crate::operators::window::{DataTime, WindowSlider, WindowSource};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// What an instant selector returns at each step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstantMode {
    /// The latest sample's value.
    Latest,
    /// The latest sample's timestamp in seconds (what `timestamp()` needs).
    SampleTimestamps,
    /// The value interpolated at the step (`smoothed`).
    Smoothed,
}

/// Reads one point per step for each selected series.
pub struct InstantSelector {
    source: SelectorSource,
    steps: QueryTimeRange,
    data_time: DataTime,
    lookback: i64,
    mode: InstantMode,
    /// Samples counted for the previously returned series, released on the next call.
    counted: usize,
}

impl InstantSelector {
    /// A selector over `source` evaluated at `steps`.
    pub fn new(
        source: SelectorSource,
        steps: QueryTimeRange,
        data_time: DataTime,
        lookback: i64,
        mode: InstantMode,
    ) -> Self {
        InstantSelector {
            source,
            steps,
            data_time,
            lookback,
            mode,
            counted: 0,
        }
    }

    fn push_point(&self, out: &mut InstantVectorSeriesData, t: i64, s: &Sample) -> Result<()> {
        if self.mode == InstantMode::SampleTimestamps {
            return out.floats.push(FPoint {
                t,
                f: s.t as f64 / 1000.0,
            });
        }
        match &s.v {
            Value::Float(f) => out.floats.push(FPoint { t, f: *f }),
            Value::Histogram(h) => out.histograms.push(HPoint { t, h: h.clone() }),
        }
    }

    /// The latest-sample modes: one forward pass over the samples.
    fn latest(&self, stream: &mut dyn SampleStream, out: &mut InstantVectorSeriesData) -> Result<()> {
        let first = self.data_time.of(self.steps.start);
        let mut cursor = Cursor {
            stream,
            latest: None,
            pending: None,
            after: first.saturating_sub(self.lookback),
        };
        if self.data_time.at.is_some() {
            // Step invariant: one lookup, repeated at every step.
            if let Some(s) = cursor
                .at(first)?
                .filter(|s| s.t > first - self.lookback && !s.v.is_stale())
            {
                let s = s.clone();
                for t in self.steps.times() {
                    self.push_point(out, t, &s)?;
                }
            }
            return Ok(());
        }
        for t in self.steps.times() {
            let d = self.data_time.of(t);
            if let Some(s) = cursor.at(d)?.filter(|s| s.t > d - self.lookback && !s.v.is_stale()) {
                let s = s.clone();
                self.push_point(out, t, &s)?;
            }
        }
        Ok(())
    }

    /// The smoothed mode: a window of one lookback on each side of every step.
    fn smoothed(
        &self,
        stream: &mut dyn SampleStream,
        out: &mut InstantVectorSeriesData,
        cx: &mut QueryContext,
    ) -> Result<()> {
        let mut slider = WindowSlider::default();
        for t in self.steps.times() {
            let d = self.data_time.of(t);
            slider.slide(stream, d - self.lookback, d.saturating_add(self.lookback), cx)?;
            let w = slider.step(t, d, d);
            if !w.histograms.is_empty() {
                slider.reset(cx);
                return Err(Error::Internal(
                    "smoothed selectors over native histograms are not implemented yet".into(),
                ));
            }
            let after = w.floats.iter().position(|p| p.t >= d).unwrap_or(w.floats.len());
            let prev = after.checked_sub(1).and_then(|i| w.floats.get(i));
            let value = match (prev, w.floats.get(after)) {
                (_, Some(next)) if next.t == d => Some(next.f),
                (Some(p), Some(n)) => Some(p.f + (n.f - p.f) * (d - p.t) as f64 / (n.t - p.t) as f64),
                (Some(p), None) => Some(p.f),
                (None, _) => None,
            };
            if let Some(f) = value {
                out.floats.push(FPoint { t, f })?;
            }
        }
        slider.reset(cx);
        Ok(())
    }
}

/// The latest sample at or before a moving data time.
struct Cursor<'a> {
    stream: &'a mut dyn SampleStream,
    latest: Option<Sample>,
    pending: Option<Sample>,
    after: i64,
}

impl Cursor<'_> {
    /// Advances to data time `d` and returns the latest sample at or before it.
    fn at(&mut self, d: i64) -> Result<Option<&Sample>> {
        loop {
            let next = match self.pending.take() {
                Some(s) => s,
                None => match self.stream.next_sample(self.after)? {
                    Some(s) => s,
                    None => break,
                },
            };
            if next.t > d {
                self.pending = Some(next);
                break;
            }
            self.after = next.t;
            self.latest = Some(next);
        }
        Ok(self.latest.as_ref())
    }
}

impl InstantVectorOperator for InstantSelector {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.source.series_metadata(cx)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        cx.check("expression evaluation")?;
        cx.release_samples(self.counted);
        self.counted = 0;
        let Some(mut stream) = self.source.next_stream(cx)? else {
            return Ok(None);
        };
        let mut out = InstantVectorSeriesData {
            floats: PooledVec::with_capacity(0, &cx.tracker)?,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        };
        match self.mode {
            InstantMode::Smoothed => self.smoothed(stream.as_mut(), &mut out, cx)?,
            InstantMode::Latest | InstantMode::SampleTimestamps => self.latest(stream.as_mut(), &mut out)?,
        }
        self.counted = out.floats.len() + out.histograms.len();
        cx.add_samples(self.counted)?;
        Ok(Some(out))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        cx.release_samples(self.counted);
        self.counted = 0;
        Ok(())
    }
}
