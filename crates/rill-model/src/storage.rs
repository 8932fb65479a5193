//! The storage traits: the engine's only way to reach data.
//!
//! ```text
//! Queryable::querier(mint, maxt) ─► Querier::select(hints, matchers) ─► SeriesSet::next()
//!                                                                        └► Series { labels, chunks }
//!                                                                             └► ChunkIterator::next() ─► Chunk
//! ```
//! Backends (the in-memory store, TSDB blocks and head, remote read) hand out label sets
//! first and data lazily: a [`Chunk`] is either still encoded (decoded by `rill-codec` only
//! when the engine needs it) or, for backends that only have samples, already decoded.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::Result;
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::sample::Sample;

/// What the engine will do with selected data, so a backend can skip work.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelectHints {
    /// First millisecond of data needed (inclusive).
    pub start: i64,
    /// Last millisecond of data needed (inclusive).
    pub end: i64,
    /// Query step in milliseconds (0 for instant queries).
    pub step: i64,
    /// Range of the enclosing range selector in milliseconds (0 for instant selectors).
    pub range: i64,
    /// Name of the enclosing function, if any (e.g. `rate`).
    pub func: Option<String>,
}

/// Something that can open queriers over a time range; shared by all queries.
pub trait Queryable: Send + Sync {
    /// Opens a querier over `[mint, maxt]` (milliseconds, inclusive). The querier holds
    /// whatever it needs (snapshots, mmaps, connections) until dropped.
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>>;
}

/// A read view over a time range; one per query.
pub trait Querier: Send {
    /// Returns the series matching all `matchers`, sorted by labels, with data in the hinted range.
    fn select(&self, hints: &SelectHints, matchers: &[Matcher]) -> Result<Box<dyn SeriesSet>>;
    /// Sorted, unique label names of series matching `matchers` (all series if empty).
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>>;
    /// Sorted, unique values of label `name` in series matching `matchers` (all series if empty).
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>>;
}

/// A stream of series, in label order.
pub trait SeriesSet: Send {
    /// The next series, or `Ok(None)` once exhausted. Must not be called again after `None`.
    fn next(&mut self) -> Result<Option<Series>>;
}

/// One selected series: its labels, and its chunks, read lazily.
pub struct Series {
    /// The series' labels.
    pub labels: Labels,
    /// Its chunks in time order, non-overlapping.
    pub chunks: Box<dyn ChunkIterator>,
}

/// A stream of chunks of one series, in time order.
pub trait ChunkIterator: Send {
    /// The next chunk, or `Ok(None)` once exhausted.
    fn next(&mut self) -> Result<Option<Chunk>>;

    /// The start ("created") timestamps of the samples of the [`Chunk::Decoded`] chunk last
    /// returned by `next`, parallel to its `samples` buffer (same indexes; a missing index or
    /// `0` means unknown, as in Prometheus). `None`, the default, when the backend keeps no
    /// start timestamps for the series: most data has none, so nothing grows for it.
    fn start_timestamps(&self) -> Option<Arc<Vec<i64>>> {
        None
    }
}

/// Where ingested samples go (remote write, import, scraping): implemented by the TSDB head.
pub trait Appendable: Send + Sync {
    /// Starts a batch of appends. Nothing is visible to queries until [`Appender::commit`].
    fn appender(&self) -> Box<dyn Appender + '_>;
}

/// A batch of appends, committed or rolled back as a whole.
pub trait Appender: Send {
    /// Adds a sample (float, stale marker or histogram) to the series with `labels`.
    /// Fails with [`crate::Error::OutOfOrder`], [`crate::Error::OutOfBounds`] or
    /// [`crate::Error::DuplicateSample`] for samples the store cannot accept; the batch stays usable.
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<()>;
    /// Makes the batch durable (written to the WAL according to the fsync policy) and visible.
    /// Once this returns `Ok`, the samples are acknowledged and must survive a crash.
    fn commit(self: Box<Self>) -> Result<()>;
    /// Discards the batch.
    fn rollback(self: Box<Self>);
}

/// The chunk encodings of Prometheus's TSDB (same numeric tags as on disk).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ChunkEncoding {
    /// Gorilla-style XOR float chunk.
    Xor = 1,
    /// Integer native histogram chunk.
    Histogram = 2,
    /// Float native histogram chunk.
    FloatHistogram = 3,
}

/// One chunk of a series: still encoded, or already decoded samples.
#[derive(Clone, Debug)]
pub enum Chunk {
    /// Raw chunk bytes in a Prometheus encoding, decoded by `rill-codec`.
    Encoded {
        /// The encoding of `data`.
        encoding: ChunkEncoding,
        /// Timestamp of the first sample (ms).
        min_time: i64,
        /// Timestamp of the last sample (ms).
        max_time: i64,
        /// The encoded bytes (may point into a memory-mapped file).
        data: Bytes,
    },
    /// Samples held in memory, shared with the backend; `range` selects this chunk's part.
    Decoded {
        /// The backend's sample buffer.
        samples: Arc<Vec<Sample>>,
        /// The indexes of this chunk's samples in `samples`.
        range: Range<usize>,
    },
}

impl Chunk {
    /// Timestamp of the first sample, or `i64::MAX` for an empty decoded chunk.
    pub fn min_time(&self) -> i64 {
        match self {
            Chunk::Encoded { min_time, .. } => *min_time,
            Chunk::Decoded { samples, range } => samples.get(range.start).map_or(i64::MAX, |s| s.t),
        }
    }

    /// Timestamp of the last sample, or `i64::MIN` for an empty decoded chunk.
    pub fn max_time(&self) -> i64 {
        match self {
            Chunk::Encoded { max_time, .. } => *max_time,
            Chunk::Decoded { samples, range } => range
                .end
                .checked_sub(1)
                .and_then(|i| samples.get(i))
                .map_or(i64::MIN, |s| s.t),
        }
    }
}
