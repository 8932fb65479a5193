//! Sliding windows `(end - range, end]` over one series at a time, the mechanism shared by
//! range selectors (windows over storage samples) and subqueries (windows over the points of
//! an inner expression).
//!
//! ```text
//!   step i:  data end d_i = (@ or t_i) - offset          window (d_i - range, d_i]
//!   samples ──► [ring: dropped at front when t <= d_i - range | pushed at back when t <= d_i]
//! ```
//! Float and histogram samples go to separate rings; stale markers never enter a window.
//! Start timestamps get rings of their own, parallel to those, only once the series shows
//! one (see [`RangeStep::start_timestamps`]).

use rill_model::{Sample, Value};

use crate::context::QueryContext;
use crate::error::Result;
use crate::operator::{RangeStep, RangeVectorOperator, StartTimestamps};
use crate::operators::ring::Ring;
use crate::operators::samples::SampleStream;
use crate::types::{FPoint, HPoint, QueryTimeRange, SeriesMetadata};

/// Maps a step time to the data time it reads at, after `@` and `offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataTime {
    /// The resolved `@` timestamp (ms), if any.
    pub at: Option<i64>,
    /// The offset (ms), possibly negative.
    pub offset: i64,
}

impl DataTime {
    /// The data time for step time `t`.
    pub fn of(&self, t: i64) -> i64 {
        self.at.unwrap_or(t).saturating_sub(self.offset)
    }

    /// The first and last data times over the steps of `range`.
    pub fn span(&self, range: &QueryTimeRange) -> (i64, i64) {
        (self.of(range.start), self.of(range.end))
    }
}

/// The sliding window state of the current series.
#[derive(Default)]
pub struct WindowSlider {
    floats: Ring<FPoint>,
    histograms: Ring<HPoint>,
    /// Start timestamps parallel to `floats` and `histograms`, from the first sample of the
    /// series that has one on (earlier ones are filled with `0`, unknown).
    starts: Option<(Ring<i64>, Ring<i64>)>,
    /// A sample read past the window's end, with its start timestamp.
    pending: Option<(Sample, i64)>,
}

impl WindowSlider {
    /// Forgets the current series, releasing its samples from the sample count.
    pub fn reset(&mut self, cx: &mut QueryContext) {
        cx.release_samples(self.floats.len() + self.histograms.len());
        self.floats.clear();
        self.histograms.clear();
        self.starts = None;
        self.pending = None;
    }

    /// Moves the window to `(low, high]`, pulling samples from `src`. Bounds must not
    /// decrease between calls for the same series.
    pub fn slide(&mut self, src: &mut dyn SampleStream, low: i64, high: i64, cx: &mut QueryContext) -> Result<()> {
        while self.floats.front().is_some_and(|p| p.t <= low) {
            self.floats.pop_front();
            if let Some((floats, _)) = self.starts.as_mut() {
                floats.pop_front();
            }
            cx.release_samples(1);
        }
        while self.histograms.front().is_some_and(|p| p.t <= low) {
            self.histograms.pop_front();
            if let Some((_, histograms)) = self.starts.as_mut() {
                histograms.pop_front();
            }
            cx.release_samples(1);
        }
        loop {
            let (sample, st) = match self.pending.take() {
                Some(s) => s,
                None => match src.next_sample(low)? {
                    Some(s) => (s, src.start_timestamp()),
                    None => return Ok(()),
                },
            };
            if sample.t > high {
                self.pending = Some((sample, st));
                return Ok(());
            }
            if sample.t <= low || sample.v.is_stale() {
                continue;
            }
            cx.add_samples(1)?;
            if st != 0 && self.starts.is_none() {
                self.start_tracking(cx)?;
            }
            let is_float = matches!(sample.v, Value::Float(_));
            match sample.v {
                Value::Float(f) => self.floats.push(FPoint { t: sample.t, f }, &cx.tracker)?,
                Value::Histogram(h) => self.histograms.push(HPoint { t: sample.t, h }, &cx.tracker)?,
            }
            if let Some((floats, histograms)) = self.starts.as_mut() {
                let ring = if is_float { floats } else { histograms };
                ring.push(st, &cx.tracker)?;
            }
        }
    }

    /// Starts keeping start timestamps: the samples already in the window get `0`.
    fn start_tracking(&mut self, cx: &QueryContext) -> Result<()> {
        let mut floats = Ring::default();
        let mut histograms = Ring::default();
        for _ in 0..self.floats.len() {
            floats.push(0, &cx.tracker)?;
        }
        for _ in 0..self.histograms.len() {
            histograms.push(0, &cx.tracker)?;
        }
        self.starts = Some((floats, histograms));
        Ok(())
    }

    /// The window of the current position.
    pub fn step<'a>(&'a self, step_time: i64, range_start: i64, range_end: i64) -> RangeStep<'a> {
        RangeStep {
            step_time,
            range_start,
            range_end,
            floats: self.floats.window(),
            histograms: self.histograms.window(),
            start_timestamps: self.starts.as_ref().map(|(floats, histograms)| StartTimestamps {
                floats: floats.window(),
                histograms: histograms.window(),
            }),
        }
    }
}

/// Where a [`RangeWindows`] operator gets its series from.
pub trait WindowSource: Send {
    /// The labels of all series, in the order `next_stream` opens them.
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>>;
    /// The samples of the next series, or `Ok(None)` after the last one.
    fn next_stream(&mut self, cx: &mut QueryContext) -> Result<Option<Box<dyn SampleStream>>>;
    /// Called once after the last series.
    fn finalize(&mut self, _cx: &mut QueryContext) -> Result<()> {
        Ok(())
    }
}

/// How far the samples of a window reach beyond its nominal bounds `(end - range, end]`:
/// zero for classic windows; for `anchored` and `smoothed` range selectors, the lookback
/// before the start (and, smoothed, after the end), so that functions can pick or
/// interpolate values at the nominal bounds. [`RangeStep::range_start`] and
/// [`RangeStep::range_end`] always carry the nominal bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowExtension {
    /// Milliseconds before `range_start` that the window's samples reach back.
    pub before: i64,
    /// Milliseconds after `range_end` that the window's samples reach forward.
    pub after: i64,
}

/// A range-vector operator that slides a window over each series of a [`WindowSource`].
pub struct RangeWindows<S: WindowSource> {
    source: S,
    steps: QueryTimeRange,
    data_time: DataTime,
    range: i64,
    extension: WindowExtension,
    slider: WindowSlider,
    stream: Option<Box<dyn SampleStream>>,
    next_step: usize,
}

impl<S: WindowSource> RangeWindows<S> {
    /// Windows of `range` ms over `source`'s series at each step of `steps`.
    pub fn new(source: S, steps: QueryTimeRange, data_time: DataTime, range: i64) -> Self {
        RangeWindows {
            source,
            steps,
            data_time,
            range,
            extension: WindowExtension::default(),
            slider: WindowSlider::default(),
            stream: None,
            next_step: 0,
        }
    }
}

impl<S: WindowSource> RangeWindows<S> {
    /// Lets the windows' samples reach beyond their nominal bounds.
    pub fn with_extension(mut self, extension: WindowExtension) -> Self {
        self.extension = extension;
        self
    }
}

impl<S: WindowSource> RangeVectorOperator for RangeWindows<S> {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.source.series_metadata(cx)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<bool> {
        cx.check("expression evaluation")?;
        self.slider.reset(cx);
        self.stream = self.source.next_stream(cx)?;
        self.next_step = 0;
        Ok(self.stream.is_some())
    }

    fn next_step_samples(&mut self, cx: &mut QueryContext) -> Result<Option<RangeStep<'_>>> {
        if self.next_step >= self.steps.steps() {
            return Ok(None);
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(None);
        };
        let t = self.steps.time_of(self.next_step);
        self.next_step += 1;
        let end = self.data_time.of(t);
        let start = end.saturating_sub(self.range);
        let (low, high) = (
            start.saturating_sub(self.extension.before),
            end.saturating_add(self.extension.after),
        );
        self.slider.slide(stream.as_mut(), low, high, cx)?;
        Ok(Some(self.slider.step(t, start, end)))
    }

    fn range_ms(&self) -> i64 {
        self.range
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.slider.reset(cx);
        self.stream = None;
        self.source.finalize(cx)
    }
}

#[cfg(test)]
mod tests {
    /// A stream of float samples with start timestamps.
    struct WithStarts(std::vec::IntoIter<(i64, i64)>, i64);

    impl SampleStream for WithStarts {
        fn next_sample(&mut self, after: i64) -> Result<Option<Sample>> {
            for (t, st) in self.0.by_ref() {
                if t > after {
                    self.1 = st;
                    return Ok(Some(Sample::float(t, 1.0)));
                }
            }
            Ok(None)
        }

        fn start_timestamp(&self) -> i64 {
            self.1
        }
    }

    #[test]
    fn start_timestamps_are_kept_only_once_seen() {
        let mut cx = QueryContext::unlimited();
        let mut src = WithStarts(vec![(10, 0), (20, 0), (30, 25), (40, 0)].into_iter(), 0);
        let mut w = WindowSlider::default();
        w.slide(&mut src, 0, 20, &mut cx).unwrap();
        assert!(w.step(0, 0, 0).start_timestamps.is_none(), "no start time seen yet");
        w.slide(&mut src, 10, 40, &mut cx).unwrap();
        let sts = w.step(0, 0, 0).start_timestamps.unwrap();
        assert_eq!(sts.floats.iter().copied().collect::<Vec<_>>(), vec![0, 25, 0]);
        assert!(sts.histograms.is_empty());
        w.reset(&mut cx);
        assert!(w.step(0, 0, 0).start_timestamps.is_none());
    }

    use rill_model::stale_nan;

    use super::*;
    use crate::memory::PooledVec;
    use crate::operators::samples::PointSamples;
    use crate::types::InstantVectorSeriesData;

    #[test]
    fn slides_left_open_and_skips_stale_markers() {
        let mut cx = QueryContext::unlimited();
        let mut floats = PooledVec::with_capacity(8, &cx.tracker).unwrap();
        for (t, f) in [(10, 1.0), (20, 2.0), (30, stale_nan()), (40, 4.0), (50, 5.0)] {
            floats.push(FPoint { t, f }).unwrap();
        }
        let data = InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker).unwrap(),
        };
        let mut src = PointSamples::new(data);
        let mut w = WindowSlider::default();
        let times = |w: &WindowSlider| w.step(0, 0, 0).floats.iter().map(|p| p.t).collect::<Vec<_>>();
        w.slide(&mut src, 10, 40, &mut cx).unwrap();
        assert_eq!(times(&w), vec![20, 40]);
        w.slide(&mut src, 20, 50, &mut cx).unwrap();
        assert_eq!(times(&w), vec![40, 50]);
        assert_eq!(cx.current_samples, 2);
        w.reset(&mut cx);
        assert_eq!(cx.current_samples, 0);
        assert_eq!(
            DataTime {
                at: Some(100),
                offset: 10
            }
            .of(5),
            90
        );
    }
}
