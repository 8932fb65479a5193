//! The instant-vector selector `metric{...} offset o @ t`.
//!
//! At each step it returns the latest sample in `(d - lookback, d]`, where `d` is the step's
//! data time after `@` and `offset`, unless that sample is a stale marker. The output point
//! carries the step time. In sample-timestamp mode (for `timestamp()`), the point's value is
//! the sample's own timestamp in seconds instead of its value. A `smoothed` selector instead
//! interpolates linearly between the samples around `d` within `(d - lookback, d + lookback]`
//! (the sample at `d` if there is one; the last one before `d` when none follows). In
//! start-timestamp mode (for `start_timestamp()`), the value is the sample's start
//! ("created") timestamp in seconds, `0` when unknown.

use std::sync::Arc;

use rill_model::{CounterResetHint, FloatHistogram, HistogramError, Sample, Value};
use rill_promql::PosRange;

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::error::Result;
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operator::Window;
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
    /// As `SampleTimestamps` for float samples, while histogram samples stay histograms (what
    /// `info()` needs to read info series and reject histogram ones).
    FloatSampleTimestamps,
    /// The value interpolated at the step (`smoothed`).
    Smoothed,
    /// The latest sample's start ("created") timestamp in seconds, `0` when unknown (what
    /// `start_timestamp()` needs).
    StartTimestamps,
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
    /// Where the selector is, for annotations.
    pos: PosRange,
    /// Metric names of the series, for annotations (smoothed mode only).
    names: Vec<Option<String>>,
    next: usize,
}

impl InstantSelector {
    /// A selector over `source` evaluated at `steps`.
    pub fn new(
        source: SelectorSource,
        steps: QueryTimeRange,
        data_time: DataTime,
        lookback: i64,
        mode: InstantMode,
        pos: PosRange,
    ) -> Self {
        InstantSelector {
            source,
            steps,
            data_time,
            lookback,
            mode,
            counted: 0,
            pos,
            names: Vec::new(),
            next: 0,
        }
    }

    fn push_point(&self, out: &mut InstantVectorSeriesData, t: i64, s: &Sample, st: i64) -> Result<()> {
        let timestamp = match self.mode {
            InstantMode::SampleTimestamps => true,
            InstantMode::FloatSampleTimestamps => matches!(s.v, Value::Float(_)),
            InstantMode::StartTimestamps => {
                return out.floats.push(FPoint {
                    t,
                    f: st as f64 / 1000.0,
                });
            }
            InstantMode::Latest | InstantMode::Smoothed => false,
        };
        if timestamp {
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
            if let Some((s, st)) = cursor
                .at(first)?
                .filter(|(s, _)| s.t > first.saturating_sub(self.lookback) && !s.v.is_stale())
            {
                let s = s.clone();
                for t in self.steps.times() {
                    self.push_point(out, t, &s, st)?;
                }
            }
            return Ok(());
        }
        for t in self.steps.times() {
            let d = self.data_time.of(t);
            if let Some((s, st)) = cursor
                .at(d)?
                .filter(|(s, _)| s.t > d.saturating_sub(self.lookback) && !s.v.is_stale())
            {
                let s = s.clone();
                self.push_point(out, t, &s, st)?;
            }
        }
        Ok(())
    }

    /// The smoothed mode: a window of one lookback on each side of every step.
    fn smoothed(
        &self,
        stream: &mut dyn SampleStream,
        out: &mut InstantVectorSeriesData,
        name: &str,
        cx: &mut QueryContext,
    ) -> Result<()> {
        let mut slider = WindowSlider::default();
        for t in self.steps.times() {
            let d = self.data_time.of(t);
            slider.slide(
                stream,
                d.saturating_sub(self.lookback),
                d.saturating_add(self.lookback),
                cx,
            )?;
            let w = slider.step(t, d, d);
            let point = match (w.floats.is_empty(), w.histograms.is_empty()) {
                (true, true) => None,
                (false, true) => around(&w.floats, d).and_then(|(p, n)| smooth_float(p, n, d)).map(Smoothed::Float),
                (true, false) => match around(&w.histograms, d) {
                    Some((p, n)) => smooth_histogram(p, n, d)
                        .map_err(|_| {
                            Annotation::warning(
                                format!(
                                    "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {name:?}"
                                ),
                                self.pos,
                            )
                        })
                        .map(|h| h.map(Smoothed::Histogram))
                        .unwrap_or_else(|a| {
                            cx.annotate(a);
                            None
                        }),
                    None => None,
                },
                (false, false) => {
                    cx.annotate(Annotation::warning(
                        format!("encountered a mix of histograms and floats for metric name {name:?}"),
                        self.pos,
                    ));
                    None
                }
            };
            match point {
                Some(Smoothed::Float(f)) => out.floats.push(FPoint { t, f })?,
                Some(Smoothed::Histogram(h)) => out.histograms.push(HPoint { t, h })?,
                None => {}
            }
        }
        slider.reset(cx);
        Ok(())
    }
}

/// A smoothed value.
enum Smoothed {
    Float(f64),
    Histogram(Arc<FloatHistogram>),
}

/// Anything with a timestamp in a window.
trait Timed {
    fn t(&self) -> i64;
}

impl Timed for FPoint {
    fn t(&self) -> i64 {
        self.t
    }
}

impl Timed for HPoint {
    fn t(&self) -> i64 {
        self.t
    }
}

/// The last point before `d` and the first at or after it; `None` without a point before or
/// at `d`.
fn around<'a, T: Timed>(w: &Window<'a, T>, d: i64) -> Option<(Option<&'a T>, Option<&'a T>)> {
    let after = w.iter().position(|p| p.t() >= d).unwrap_or(w.len());
    let prev = after.checked_sub(1).and_then(|i| w.get(i));
    let next = w.get(after);
    (prev.is_some() || next.is_some_and(|n| n.t() == d)).then_some((prev, next))
}

/// The float at `d`: the point at `d`, the interpolation between its neighbours, or the
/// last value when nothing follows.
fn smooth_float(prev: Option<&FPoint>, next: Option<&FPoint>, d: i64) -> Option<f64> {
    match (prev, next) {
        (_, Some(n)) if n.t == d => Some(n.f),
        (Some(p), Some(n)) => Some(p.f + (n.f - p.f) * (d - p.t) as f64 / (n.t - p.t) as f64),
        (Some(p), None) => Some(p.f),
        (None, _) => None,
    }
}

/// The histogram at `d`, like [`smooth_float`]. A counter histogram that was reset between
/// the neighbours is modelled as restarting from zero. Fails when the neighbours mix
/// exponential and custom buckets.
fn smooth_histogram(
    prev: Option<&HPoint>,
    next: Option<&HPoint>,
    d: i64,
) -> std::result::Result<Option<Arc<FloatHistogram>>, HistogramError> {
    let (p, n) = match (prev, next) {
        (_, Some(n)) if n.t == d => return Ok(Some(n.h.clone())),
        (Some(p), Some(n)) => (p, n),
        (Some(p), None) => return Ok(Some(p.h.clone())),
        (None, _) => return Ok(None),
    };
    if p.h.uses_custom_buckets() != n.h.uses_custom_buckets() {
        return Err(HistogramError::IncompatibleSchema);
    }
    let fraction = (d - p.t) as f64 / (n.t - p.t) as f64;
    let is_counter = n.h.counter_reset_hint != CounterResetHint::Gauge;
    let mut h = (*n.h).clone();
    if is_counter && n.h.detect_reset(&p.h) {
        h.mul(fraction);
    } else {
        h.sub(&p.h)?;
        h.mul(fraction);
        h.add(&p.h)?;
    }
    h.compact(0);
    Ok(Some(Arc::new(h)))
}

/// The latest sample at or before a moving data time, with its start timestamp.
struct Cursor<'a> {
    stream: &'a mut dyn SampleStream,
    latest: Option<(Sample, i64)>,
    pending: Option<(Sample, i64)>,
    after: i64,
}

impl Cursor<'_> {
    /// Advances to data time `d` and returns the latest sample at or before it, with its
    /// start timestamp (`0` when unknown).
    fn at(&mut self, d: i64) -> Result<Option<(&Sample, i64)>> {
        loop {
            let next = match self.pending.take() {
                Some(s) => s,
                None => match self.stream.next_sample(self.after)? {
                    Some(s) => (s, self.stream.start_timestamp()),
                    None => break,
                },
            };
            if next.0.t > d {
                self.pending = Some(next);
                break;
            }
            self.after = next.0.t;
            self.latest = Some(next);
        }
        Ok(self.latest.as_ref().map(|(s, st)| (s, *st)))
    }
}

impl InstantVectorOperator for InstantSelector {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let meta = self.source.series_metadata(cx)?;
        if self.mode == InstantMode::Smoothed {
            self.names = meta
                .iter()
                .map(|m| m.labels.metric_name().map(str::to_string))
                .collect();
        }
        Ok(meta)
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
            InstantMode::Smoothed => {
                let name = self.names.get(self.next).cloned().flatten().unwrap_or_default();
                self.smoothed(stream.as_mut(), &mut out, &name, cx)?;
            }
            InstantMode::Latest
            | InstantMode::SampleTimestamps
            | InstantMode::FloatSampleTimestamps
            | InstantMode::StartTimestamps => self.latest(stream.as_mut(), &mut out)?,
        }
        self.next += 1;
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
