//! Time-ordered streams of one series' raw samples, the input of instant selectors and of
//! sliding windows.
//!
//! Two sources exist: storage chunks ([`ChunkSamples`], decoding one chunk at a time and
//! skipping chunks that end before the needed range), and the points of an already evaluated
//! series ([`PointSamples`], what a subquery windows over).

use std::sync::Arc;

use rill_codec::XorIterator;
use rill_codec::float_histogram_chunk::FloatHistogramIterator;
use rill_codec::histogram_chunk::HistogramIterator;
use rill_model::{Chunk, ChunkEncoding, ChunkIterator, Sample, Value};

use crate::error::{Error, Result};
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData};

/// A stream of one series' samples in increasing time order.
pub trait SampleStream: Send {
    /// Returns the next sample with a timestamp greater than `after`, or `Ok(None)` once the
    /// stream is exhausted. Samples at or before `after` may be skipped without decoding.
    /// `after` must not decrease between calls.
    fn next_sample(&mut self, after: i64) -> Result<Option<Sample>>;

    /// The start ("created") timestamp of the sample `next_sample` returned last, `0` when
    /// unknown (Prometheus's convention). Only storage streams know any: evaluated points
    /// (subqueries) have none, which is how subqueries cut their propagation.
    fn start_timestamp(&self) -> i64 {
        0
    }
}

/// The samples of one storage series, read chunk by chunk; encoded chunks (XOR, histogram,
/// float histogram) are decoded in one batch into a pooled buffer when first needed.
pub struct ChunkSamples {
    chunks: Box<dyn ChunkIterator>,
    /// Samples after this time are never needed; reading stops there.
    max_t: i64,
    current: Current,
    batch: PooledVec<FPoint>,
    histogram_batch: PooledVec<HPoint>,
    exhausted: bool,
    /// The start timestamps of the current decoded chunk's buffer, if the backend has any.
    start_timestamps: Option<Arc<Vec<i64>>>,
    /// The start timestamp of the sample returned last.
    last_start: i64,
}

/// The chunk being read.
enum Current {
    None,
    Decoded {
        samples: Arc<Vec<Sample>>,
        pos: usize,
        end: usize,
    },
    Batch {
        pos: usize,
    },
    HistogramBatch {
        pos: usize,
    },
}

impl ChunkSamples {
    /// Reads `chunks`, never returning samples after `max_t`.
    pub fn new(chunks: Box<dyn ChunkIterator>, max_t: i64, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        Ok(ChunkSamples {
            chunks,
            max_t,
            current: Current::None,
            batch: PooledVec::with_capacity(0, tracker)?,
            histogram_batch: PooledVec::with_capacity(0, tracker)?,
            exhausted: false,
            start_timestamps: None,
            last_start: 0,
        })
    }

    /// Moves to the next chunk that has samples after `after`; false when none is left.
    fn open_next_chunk(&mut self, after: i64) -> Result<bool> {
        loop {
            let Some(chunk) = self.chunks.next()? else {
                self.exhausted = true;
                return Ok(false);
            };
            if chunk.min_time() > self.max_t {
                self.exhausted = true;
                return Ok(false);
            }
            if chunk.max_time() <= after {
                continue;
            }
            match chunk {
                Chunk::Decoded { samples, range } => {
                    self.start_timestamps = self.chunks.start_timestamps();
                    let end = range.end.min(samples.len());
                    let pos = range.start.min(end);
                    self.current = Current::Decoded { samples, pos, end };
                }
                Chunk::Encoded {
                    encoding: ChunkEncoding::Xor,
                    data,
                    ..
                } => {
                    self.batch.clear();
                    let mut it = XorIterator::new(&data).map_err(codec_error)?;
                    while let Some((t, f)) = it.next_sample().map_err(codec_error)? {
                        if t > after {
                            self.batch.push(FPoint { t, f })?;
                        }
                    }
                    self.current = Current::Batch { pos: 0 };
                }
                Chunk::Encoded {
                    encoding: ChunkEncoding::Histogram,
                    data,
                    ..
                } => {
                    let mut it = HistogramIterator::new(&data).map_err(codec_error)?;
                    self.histogram_batch.clear();
                    while let Some((t, h)) = it.next_histogram().map_err(codec_error)? {
                        if t > after {
                            self.histogram_batch.push(HPoint { t, h: Arc::new(h) })?;
                        }
                    }
                    self.current = Current::HistogramBatch { pos: 0 };
                }
                Chunk::Encoded {
                    encoding: ChunkEncoding::FloatHistogram,
                    data,
                    ..
                } => {
                    let mut it = FloatHistogramIterator::new(&data).map_err(codec_error)?;
                    self.histogram_batch.clear();
                    while let Some((t, h)) = it.next_histogram().map_err(codec_error)? {
                        if t > after {
                            self.histogram_batch.push(HPoint { t, h: Arc::new(h) })?;
                        }
                    }
                    self.current = Current::HistogramBatch { pos: 0 };
                }
            }
            return Ok(true);
        }
    }
}

impl SampleStream for ChunkSamples {
    fn next_sample(&mut self, after: i64) -> Result<Option<Sample>> {
        self.last_start = 0;
        loop {
            let next = match &mut self.current {
                Current::None => None,
                Current::Decoded { samples, pos, end } => {
                    let mut found = None;
                    while *pos < *end {
                        let i = *pos;
                        *pos += 1;
                        if let Some(s) = samples.get(i).filter(|s| s.t > after) {
                            found = Some(s.clone());
                            self.last_start = self
                                .start_timestamps
                                .as_ref()
                                .and_then(|sts| sts.get(i).copied())
                                .unwrap_or(0);
                            break;
                        }
                    }
                    found
                }
                Current::Batch { pos } => {
                    let mut found = None;
                    while let Some(p) = self.batch.get(*pos) {
                        *pos += 1;
                        if p.t > after {
                            found = Some(Sample::float(p.t, p.f));
                            break;
                        }
                    }
                    found
                }
                Current::HistogramBatch { pos } => {
                    let mut found = None;
                    while let Some(p) = self.histogram_batch.get(*pos) {
                        *pos += 1;
                        if p.t > after {
                            found = Some(Sample {
                                t: p.t,
                                v: Value::Histogram(p.h.clone()),
                            });
                            break;
                        }
                    }
                    found
                }
            };
            match next {
                Some(s) if s.t > self.max_t => {
                    self.exhausted = true;
                    self.current = Current::None;
                    return Ok(None);
                }
                Some(s) => return Ok(Some(s)),
                None => {
                    self.current = Current::None;
                    self.start_timestamps = None;
                    if self.exhausted || !self.open_next_chunk(after)? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    fn start_timestamp(&self) -> i64 {
        self.last_start
    }
}

fn codec_error(e: rill_codec::Error) -> Error {
    Error::Codec(e.to_string())
}

/// The points of an evaluated instant-vector series, as a sample stream (floats and
/// histograms merged by time).
pub struct PointSamples {
    data: InstantVectorSeriesData,
    fi: usize,
    hi: usize,
}

impl PointSamples {
    /// Streams `data`'s points.
    pub fn new(data: InstantVectorSeriesData) -> Self {
        PointSamples { data, fi: 0, hi: 0 }
    }
}

impl SampleStream for PointSamples {
    fn next_sample(&mut self, after: i64) -> Result<Option<Sample>> {
        while self.data.floats.get(self.fi).is_some_and(|p| p.t <= after) {
            self.fi += 1;
        }
        while self.data.histograms.get(self.hi).is_some_and(|p| p.t <= after) {
            self.hi += 1;
        }
        let f = self.data.floats.get(self.fi);
        let h = self.data.histograms.get(self.hi);
        Ok(match (f, h) {
            (Some(f), Some(h)) if h.t < f.t => {
                self.hi += 1;
                Some(Sample {
                    t: h.t,
                    v: Value::Histogram(h.h.clone()),
                })
            }
            (Some(f), _) => {
                self.fi += 1;
                Some(Sample::float(f.t, f.f))
            }
            (None, Some(h)) => {
                self.hi += 1;
                Some(Sample {
                    t: h.t,
                    v: Value::Histogram(h.h.clone()),
                })
            }
            (None, None) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_codec::XorEncoder;

    struct Chunks(std::vec::IntoIter<Chunk>);
    impl ChunkIterator for Chunks {
        fn next(&mut self) -> rill_model::Result<Option<Chunk>> {
            Ok(self.0.next())
        }
    }

    fn xor_chunk(points: &[(i64, f64)]) -> Chunk {
        let mut enc = XorEncoder::new();
        for &(t, f) in points {
            enc.append(t, f).unwrap();
        }
        Chunk::Encoded {
            encoding: ChunkEncoding::Xor,
            min_time: points[0].0,
            max_time: points[points.len() - 1].0,
            data: enc.into_bytes().into(),
        }
    }

    #[test]
    fn xor_chunks_skip_old_and_stop_at_max() {
        let tracker = MemoryTracker::new(0);
        let chunks = vec![
            xor_chunk(&[(1, 1.0), (2, 2.0)]),
            xor_chunk(&[(3, 3.0), (4, 4.0), (5, 5.0)]),
        ];
        let mut s = ChunkSamples::new(Box::new(Chunks(chunks.into_iter())), 4, &tracker).unwrap();
        let mut got = vec![];
        while let Some(x) = s.next_sample(2).unwrap() {
            got.push(x.t);
        }
        assert_eq!(got, vec![3, 4]);
        drop(s);
        assert_eq!(tracker.current(), 0);
    }

    #[test]
    fn float_histogram_chunks_decode() {
        use rill_codec::float_histogram_chunk::FloatHistogramEncoder;
        let tracker = MemoryTracker::new(0);
        let mut enc = FloatHistogramEncoder::new();
        for t in [10, 20] {
            let h = rill_model::FloatHistogram {
                count: t as f64,
                sum: 1.0,
                ..Default::default()
            };
            enc.append(t, &h).unwrap();
        }
        let chunk = Chunk::Encoded {
            encoding: ChunkEncoding::FloatHistogram,
            min_time: 10,
            max_time: 20,
            data: enc.into_bytes().into(),
        };
        let mut s = ChunkSamples::new(Box::new(Chunks(vec![chunk].into_iter())), 100, &tracker).unwrap();
        let got = s.next_sample(10).unwrap().unwrap();
        assert!(matches!(got.v, Value::Histogram(ref h) if h.count == 20.0 && got.t == 20));
        assert!(s.next_sample(20).unwrap().is_none());
    }
}
