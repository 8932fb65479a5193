//! The head's per-series chunks: one open chunk being appended to (XOR floats, integer or
//! float native histograms, using `rill-codec`'s encoders) and closed, immutable chunks. Chunks
//! are cut like Prometheus does: after [`SAMPLES_PER_CHUNK`] samples, when the sample kind
//! changes, when a histogram's layout changes, and at block-duration boundaries so compaction
//! can hand whole chunks to the block writer.

use std::sync::Arc;

use bytes::Bytes;
use rill_codec::XorEncoder;
use rill_codec::float_histogram_chunk::FloatHistogramEncoder;
use rill_codec::histogram_chunk::{HistogramEncoder, IntHistogram};
use rill_model::{Chunk, ChunkEncoding, FloatHistogram, Sample, Value};

/// Samples per chunk before a new one is cut (Prometheus's target).
pub const SAMPLES_PER_CHUNK: u16 = 120;

/// A sample value as the head stores it. Integer histograms only come from replaying a
/// Prometheus WAL; appended histograms are float histograms.
#[derive(Clone, Debug)]
pub(crate) enum HeadValue {
    /// A float (or stale marker).
    Float(f64),
    /// An integer native histogram.
    Int(Arc<IntHistogram>),
    /// A float native histogram.
    FloatHist(Arc<FloatHistogram>),
}

impl HeadValue {
    /// Converts an appended value.
    pub fn from_value(v: Value) -> Self {
        match v {
            Value::Float(f) => HeadValue::Float(f),
            Value::Histogram(h) => HeadValue::FloatHist(h),
        }
    }

    /// The value the engine sees.
    pub fn to_value(&self) -> Value {
        match self {
            HeadValue::Float(f) => Value::Float(*f),
            HeadValue::Int(h) => Value::Histogram(Arc::new(h.to_float())),
            HeadValue::FloatHist(h) => Value::Histogram(h.clone()),
        }
    }

    /// Whether two values are the same sample value (floats compare bit patterns, so a
    /// repeated NaN or stale marker counts as the same).
    pub fn same(&self, other: &HeadValue) -> bool {
        match (self, other) {
            (HeadValue::Float(a), HeadValue::Float(b)) => a.to_bits() == b.to_bits(),
            (HeadValue::Int(a), HeadValue::Int(b)) => a == b,
            (HeadValue::FloatHist(a), HeadValue::FloatHist(b)) => a == b,
            _ => false,
        }
    }

    fn encoding(&self) -> ChunkEncoding {
        match self {
            HeadValue::Float(_) => ChunkEncoding::Xor,
            HeadValue::Int(_) => ChunkEncoding::Histogram,
            HeadValue::FloatHist(_) => ChunkEncoding::FloatHistogram,
        }
    }
}

/// An immutable chunk.
#[derive(Clone, Debug)]
pub(crate) struct ClosedChunk {
    pub encoding: ChunkEncoding,
    pub min_time: i64,
    pub max_time: i64,
    pub data: Bytes,
}

impl ClosedChunk {
    /// The chunk as the engine receives it.
    pub fn to_chunk(&self) -> Chunk {
        Chunk::Encoded {
            encoding: self.encoding,
            min_time: self.min_time,
            max_time: self.max_time,
            data: self.data.clone(),
        }
    }
}

#[derive(Clone, Debug)]
enum Encoder {
    Xor(XorEncoder),
    Int(HistogramEncoder),
    Float(FloatHistogramEncoder),
}

/// The chunk currently appended to.
#[derive(Clone, Debug)]
pub(crate) struct OpenChunk {
    enc: Encoder,
    pub min_time: i64,
    pub max_time: i64,
    /// First timestamp that belongs to the next block-duration window.
    end: i64,
}

impl OpenChunk {
    fn encoding(&self) -> ChunkEncoding {
        match self.enc {
            Encoder::Xor(_) => ChunkEncoding::Xor,
            Encoder::Int(_) => ChunkEncoding::Histogram,
            Encoder::Float(_) => ChunkEncoding::FloatHistogram,
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.enc {
            Encoder::Xor(e) => e.bytes(),
            Encoder::Int(e) => e.bytes(),
            Encoder::Float(e) => e.bytes(),
        }
    }

    fn num_samples(&self) -> u16 {
        match &self.enc {
            Encoder::Xor(e) => e.num_samples(),
            Encoder::Int(e) => e.num_samples(),
            Encoder::Float(e) => e.num_samples(),
        }
    }

    /// A copy of the chunk so far, frozen.
    pub fn snapshot(&self) -> ClosedChunk {
        ClosedChunk {
            encoding: self.encoding(),
            min_time: self.min_time,
            max_time: self.max_time,
            data: Bytes::copy_from_slice(self.bytes()),
        }
    }

    /// Appends; `false` if the sample does not fit this chunk (kind, size, window or layout).
    fn try_append(&mut self, t: i64, v: &HeadValue) -> bool {
        if self.encoding() != v.encoding() || self.num_samples() >= SAMPLES_PER_CHUNK || t >= self.end {
            return false;
        }
        let ok = match (&mut self.enc, v) {
            (Encoder::Xor(e), HeadValue::Float(f)) => e.append(t, *f).is_ok(),
            (Encoder::Int(e), HeadValue::Int(h)) => e.append(t, h).is_ok(),
            (Encoder::Float(e), HeadValue::FloatHist(h)) => e.append(t, h).is_ok(),
            _ => false,
        };
        if ok {
            self.max_time = t;
        }
        ok
    }

    /// A new chunk holding `(t, v)`; `None` if even a fresh encoder rejects the value (a
    /// histogram whose buckets do not match its spans).
    fn start(t: i64, v: &HeadValue, block_duration: i64) -> Option<Self> {
        let enc = match v {
            HeadValue::Float(_) => Encoder::Xor(XorEncoder::new()),
            HeadValue::Int(_) => Encoder::Int(HistogramEncoder::new()),
            HeadValue::FloatHist(_) => Encoder::Float(FloatHistogramEncoder::new()),
        };
        let d = block_duration.max(1);
        let mut c = OpenChunk {
            enc,
            min_time: t,
            max_time: t,
            end: t.div_euclid(d).saturating_add(1).saturating_mul(d),
        };
        c.try_append(t, v).then_some(c)
    }
}

/// The in-order chunks of one series.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeriesChunks {
    pub closed: Vec<ClosedChunk>,
    pub open: Option<OpenChunk>,
}

impl SeriesChunks {
    /// Appends a sample newer than every stored one; `false` if the value cannot be encoded.
    pub fn append(&mut self, t: i64, v: &HeadValue, block_duration: i64) -> bool {
        if let Some(open) = &mut self.open {
            if open.try_append(t, v) {
                return true;
            }
            let full = open.snapshot();
            self.closed.push(full);
        }
        self.open = OpenChunk::start(t, v, block_duration);
        self.open.is_some()
    }

    /// Every chunk overlapping `[mint, maxt]`, oldest first (the open one copied).
    pub fn overlapping(&self, mint: i64, maxt: i64) -> Vec<ClosedChunk> {
        let open = self.open.as_ref().map(OpenChunk::snapshot);
        self.closed
            .iter()
            .cloned()
            .chain(open)
            .filter(|c| c.max_time >= mint && c.min_time <= maxt)
            .collect()
    }

    /// Drops the chunks that end before `mint`.
    pub fn truncate_before(&mut self, mint: i64) {
        self.closed.retain(|c| c.max_time >= mint);
        if self.open.as_ref().is_some_and(|o| o.max_time < mint) {
            self.open = None;
        }
    }

    /// Whether no chunk is left.
    pub fn is_empty(&self) -> bool {
        self.closed.is_empty() && self.open.is_none()
    }

    /// Start of the oldest chunk.
    pub fn min_time(&self) -> Option<i64> {
        self.closed
            .first()
            .map(|c| c.min_time)
            .or(self.open.as_ref().map(|o| o.min_time))
    }
}

/// Decodes `chunk` into samples (for merging with out-of-order data).
pub(crate) fn decode_into(chunk: &ClosedChunk, out: &mut Vec<Sample>) -> rill_codec::Result<()> {
    crate::decode::decode_chunk(chunk.encoding, &chunk.data, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_120_samples_kind_changes_and_windows() {
        let mut c = SeriesChunks::default();
        for t in 0..250 {
            assert!(c.append(t, &HeadValue::Float(t as f64), 1_000_000));
        }
        assert_eq!(c.closed.len(), 2);
        assert_eq!(c.closed[1].min_time, 120);
        let h = FloatHistogram {
            count: 1.0,
            ..FloatHistogram::default()
        };
        assert!(c.append(250, &HeadValue::FloatHist(Arc::new(h)), 1_000_000));
        assert_eq!(c.closed.len(), 3);
        // A window boundary cuts too.
        let mut w = SeriesChunks::default();
        for t in [10, 20, 100, 110] {
            assert!(w.append(t, &HeadValue::Float(1.0), 100));
        }
        assert_eq!(w.closed.len(), 1);
        assert_eq!(w.closed[0].max_time, 20);
        let all = w.overlapping(0, 1000);
        let mut samples = Vec::new();
        for ch in &all {
            decode_into(ch, &mut samples).unwrap();
        }
        assert_eq!(samples.iter().map(|s| s.t).collect::<Vec<_>>(), vec![10, 20, 100, 110]);
        w.truncate_before(100);
        assert_eq!(w.min_time(), Some(100));
    }
}
