//! The instant-vector selector `metric{...} offset o @ t`.
//!
//! At each step it returns the latest sample in `(d - lookback, d]`, where `d` is the step's
//! data time after `@` and `offset`, unless that sample is a stale marker. The output point
//! carries the step time. In sample-timestamp mode (for `timestamp()`), the point's value is
//! the sample's own timestamp in seconds instead of its value.

use rill_model::{Sample, Value};

use crate::context::QueryContext;
use crate::error::Result;
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::samples::SampleStream;
use crate::operators::selectors::SelectorSource;
use crate::operators::window::{DataTime, WindowSource};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// Reads the latest sample per step for each selected series.
pub struct InstantSelector {
    source: SelectorSource,
    steps: QueryTimeRange,
    data_time: DataTime,
    lookback: i64,
    sample_timestamps: bool,
    /// Samples counted for the previously returned series, released on the next call.
    counted: usize,
}

impl InstantSelector {
    /// A selector over `source` evaluated at `steps`. With `sample_timestamps`, point values
    /// are the timestamps (in seconds) of the samples found.
    pub fn new(
        source: SelectorSource,
        steps: QueryTimeRange,
        data_time: DataTime,
        lookback: i64,
        sample_timestamps: bool,
    ) -> Self {
        InstantSelector {
            source,
            steps,
            data_time,
            lookback,
            sample_timestamps,
            counted: 0,
        }
    }

    fn push_point(&self, out: &mut InstantVectorSeriesData, t: i64, s: &Sample) -> Result<()> {
        if self.sample_timestamps {
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
        let n = self.steps.steps();
        let mut out = InstantVectorSeriesData {
            floats: PooledVec::with_capacity(0, &cx.tracker)?,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        };
        let first = self.data_time.of(self.steps.start);
        let mut cursor = Cursor {
            stream: stream.as_mut(),
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
                    self.push_point(&mut out, t, &s)?;
                }
            }
        } else {
            for t in self.steps.times() {
                let d = self.data_time.of(t);
                if let Some(s) = cursor.at(d)?.filter(|s| s.t > d - self.lookback && !s.v.is_stale()) {
                    let s = s.clone();
                    self.push_point(&mut out, t, &s)?;
                }
            }
        }
        debug_assert!(out.floats.len() + out.histograms.len() <= n);
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
