//! The encoder and decoder both native-histogram chunk encodings share.
//!
//! Integer (encoding 2) and float (encoding 3) histogram chunks store every sample the same way
//! apart from how counts and buckets are coded:
//!
//! ```text
//! header | layout of the first sample
//! sample 0:   t varbit | count, zero count | sum 64 bit | buckets...
//! sample ≥1:  t dod    | count, zero count | sum xor    | buckets... (none for a stale marker)
//! ```
//! [`HistogramChunkEncoder`] and [`HistogramChunkIterator`] own the common part (header, layout,
//! timestamps, sum, stale markers, corruption handling); a [`ChunkFields`] implementation owns
//! the count and bucket coding of one encoding. As in Prometheus, once a chunk holds a stale
//! marker only stale markers may follow: the next real histogram needs a new chunk (the encoder
//! rejects it with [`Error::HistogramLayout`], which makes callers cut one).

use rill_model::{CounterResetHint, FloatHistogram, Span, is_stale_nan};

use crate::bstream::{BitReader, BitWriter};
use crate::histogram_meta::{
    CounterResetHeader, HistogramLayout, XorField, count_buckets, new_chunk_writer, patch_header, read_varbit_int,
    split_header, write_varbit_int,
};
use crate::{Error, Result};

/// A histogram as one chunk encoding stores it (integer or float counts).
pub trait ChunkHistogram: Clone {
    /// The stale marker: no buckets, `sum` set to the stale NaN.
    fn stale_marker(sum: f64) -> Self;
    /// Sum of observations (the stale NaN for a stale marker).
    fn sum(&self) -> f64;
    /// Counter reset information from the producer.
    fn counter_reset_hint(&self) -> CounterResetHint;
    /// Schema, zero threshold, spans and custom bounds.
    fn layout(&self) -> HistogramLayout;
    /// Positive and negative spans.
    fn spans(&self) -> (&[Span], &[Span]);
    /// Number of positive and negative bucket counts.
    fn bucket_lens(&self) -> (usize, usize);
}

/// Implements [`ChunkHistogram`] for a histogram struct with the usual field names
/// (`sum`, `counter_reset_hint`, `schema`, `zero_threshold`, spans, buckets, `custom_values`).
macro_rules! impl_chunk_histogram {
    ($t:ty) => {
        impl $crate::histogram_stream::ChunkHistogram for $t {
            fn stale_marker(sum: f64) -> Self {
                Self {
                    sum,
                    ..Self::default()
                }
            }

            fn sum(&self) -> f64 {
                self.sum
            }

            fn counter_reset_hint(&self) -> rill_model::CounterResetHint {
                self.counter_reset_hint
            }

            fn layout(&self) -> $crate::histogram_meta::HistogramLayout {
                $crate::histogram_meta::HistogramLayout {
                    schema: self.schema,
                    zero_threshold: self.zero_threshold,
                    positive_spans: self.positive_spans.clone(),
                    negative_spans: self.negative_spans.clone(),
                    custom_values: self.custom_values.clone(),
                }
            }

            fn spans(&self) -> (&[rill_model::Span], &[rill_model::Span]) {
                (&self.positive_spans, &self.negative_spans)
            }

            fn bucket_lens(&self) -> (usize, usize) {
                (self.positive_buckets.len(), self.negative_buckets.len())
            }
        }
    };
}
pub(crate) use impl_chunk_histogram;

/// The count and bucket coding of one histogram chunk encoding, with the state it carries
/// from sample to sample. The same state type serves the encoder and the decoder.
pub trait ChunkFields: Default {
    /// The histogram type the encoding stores.
    type Histogram: ChunkHistogram;
    /// Error reason for a chunk shorter than its header.
    const SHORT_HEADER: &'static str;
    /// Error reason for truncated or inconsistent sample data.
    const CORRUPT: &'static str;

    /// Writes the first sample's count and zero count.
    fn write_first_counts(&mut self, w: &mut BitWriter, h: &Self::Histogram);
    /// Writes the first sample's buckets.
    fn write_first_buckets(&mut self, w: &mut BitWriter, h: &Self::Histogram);
    /// Writes a later sample's count and zero count (`stale`: it is a stale marker).
    fn write_counts(&mut self, w: &mut BitWriter, h: &Self::Histogram, stale: bool);
    /// Writes a later (non-stale) sample's buckets.
    fn write_buckets(&mut self, w: &mut BitWriter, h: &Self::Histogram);

    /// Reads the first sample's count and zero count.
    fn read_first_counts(&mut self, r: &mut BitReader<'_>) -> Option<()>;
    /// Reads the first sample's `positive` + `negative` buckets.
    fn read_first_buckets(&mut self, r: &mut BitReader<'_>, positive: usize, negative: usize) -> Option<()>;
    /// Reads a later sample's count and zero count.
    fn read_counts(&mut self, r: &mut BitReader<'_>) -> Option<()>;
    /// Reads a later (non-stale) sample's buckets.
    fn read_buckets(&mut self, r: &mut BitReader<'_>) -> Option<()>;
    /// Stores the current count, zero count and absolute bucket counts into `h`.
    fn fill(&self, h: &mut FloatHistogram);
}

/// Builds a histogram chunk sample by sample (Prometheus's append-only mode: every sample must
/// share the first sample's layout; the caller cuts a new chunk otherwise).
#[derive(Debug, Clone)]
pub struct HistogramChunkEncoder<F> {
    w: BitWriter,
    num: u16,
    header: CounterResetHeader,
    layout: HistogramLayout,
    t: i64,
    t_delta: i64,
    sum: XorField,
    fields: F,
}

impl<F: ChunkFields> Default for HistogramChunkEncoder<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: ChunkFields> HistogramChunkEncoder<F> {
    /// An empty chunk; its header is taken from the first sample's counter reset hint.
    pub fn new() -> Self {
        Self {
            w: new_chunk_writer(CounterResetHeader::Unknown),
            num: 0,
            header: CounterResetHeader::Unknown,
            layout: HistogramLayout::default(),
            t: 0,
            t_delta: 0,
            sum: XorField::for_writer(0.0),
            fields: F::default(),
        }
    }

    /// Overrides the chunk's counter reset header (e.g. after detecting a reset against the
    /// previous chunk).
    pub fn set_counter_reset_header(&mut self, header: CounterResetHeader) {
        self.header = header;
        patch_header(&mut self.w, self.num, header);
    }

    /// Appends one histogram. Fails with [`Error::HistogramLayout`] if its buckets do not match
    /// its spans, if its layout differs from the first sample's, or if it follows a stale marker
    /// (stale markers always fit), and with [`Error::ChunkFull`] after `u16::MAX` samples.
    pub fn append(&mut self, t: i64, h: &F::Histogram) -> Result<()> {
        let stale = is_stale_nan(h.sum());
        let stale_h;
        let h = if stale {
            stale_h = F::Histogram::stale_marker(h.sum());
            &stale_h
        } else {
            h
        };
        let (positive_spans, negative_spans) = h.spans();
        if h.bucket_lens() != (count_buckets(positive_spans), count_buckets(negative_spans)) {
            return Err(Error::HistogramLayout {
                reason: "bucket count does not match the spans",
            });
        }
        let mut t_delta = 0;
        match self.num {
            0 => {
                self.layout = h.layout();
                self.layout.write(&mut self.w);
                write_varbit_int(&mut self.w, t);
                self.fields.write_first_counts(&mut self.w, h);
                self.w.write_bits(h.sum().to_bits(), 64);
                self.fields.write_first_buckets(&mut self.w, h);
                self.sum = XorField::for_writer(h.sum());
                if !stale {
                    self.set_counter_reset_header(CounterResetHeader::from_hint(h.counter_reset_hint()));
                }
            }
            u16::MAX => return Err(Error::ChunkFull { max: u16::MAX }),
            _ => {
                if !stale && is_stale_nan(self.sum.value()) {
                    return Err(Error::HistogramLayout {
                        reason: "only stale markers may follow a stale marker in a chunk",
                    });
                }
                if !stale && h.layout() != self.layout {
                    return Err(Error::HistogramLayout {
                        reason: "histogram layout differs from the chunk's first sample",
                    });
                }
                t_delta = t.wrapping_sub(self.t);
                write_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
                self.fields.write_counts(&mut self.w, h, stale);
                self.sum.write(&mut self.w, h.sum());
                if !stale {
                    self.fields.write_buckets(&mut self.w, h);
                }
            }
        }
        self.num += 1;
        self.t = t;
        self.t_delta = t_delta;
        patch_header(&mut self.w, self.num, self.header);
        Ok(())
    }

    /// The chunk bytes so far (a valid chunk at every point).
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Consumes the encoder and returns the chunk bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }

    /// Number of samples appended so far.
    pub fn num_samples(&self) -> u16 {
        self.num
    }
}

/// Decodes a histogram chunk into float histograms with absolute bucket counts.
#[derive(Debug, Clone)]
pub struct HistogramChunkIterator<'a, F> {
    r: BitReader<'a>,
    budget_bits: usize,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: HistogramLayout,
    t: i64,
    t_delta: i64,
    sum: XorField,
    fields: F,
    failed: bool,
}

impl<'a, F: ChunkFields> HistogramChunkIterator<'a, F> {
    /// Starts decoding `chunk` (header included). Fails if the header is missing.
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let (total, header, rest) = split_header(chunk).ok_or(Error::CorruptChunk {
            reason: F::SHORT_HEADER,
        })?;
        Ok(Self {
            r: BitReader::new(rest),
            budget_bits: rest.len().saturating_mul(8),
            total,
            read: 0,
            header,
            layout: HistogramLayout::default(),
            t: 0,
            t_delta: 0,
            sum: XorField::for_reader(0),
            fields: F::default(),
            failed: false,
        })
    }

    /// Number of samples the header declares.
    pub fn num_samples(&self) -> u16 {
        self.total
    }

    /// The chunk's counter reset header.
    pub fn counter_reset_header(&self) -> CounterResetHeader {
        self.header
    }

    /// Decodes the next sample. `Ok(None)` after the last one; an error on corrupt data (the
    /// iterator then stays exhausted).
    pub fn next_histogram(&mut self) -> Result<Option<(i64, FloatHistogram)>> {
        if self.read >= self.total || self.failed {
            return Ok(None);
        }
        if self.decode().is_none() {
            self.failed = true;
            return Err(Error::CorruptChunk { reason: F::CORRUPT });
        }
        let index = self.read;
        self.read += 1;
        Ok(Some((self.t, self.at(index))))
    }

    fn at(&self, index: u16) -> FloatHistogram {
        if is_stale_nan(self.sum.value()) {
            return FloatHistogram {
                sum: self.sum.value(),
                ..FloatHistogram::default()
            };
        }
        let mut h = FloatHistogram {
            counter_reset_hint: self.header.hint_for_sample(index),
            schema: self.layout.schema,
            zero_threshold: self.layout.zero_threshold,
            sum: self.sum.value(),
            positive_spans: self.layout.positive_spans.clone(),
            negative_spans: self.layout.negative_spans.clone(),
            custom_values: self.layout.custom_values.clone(),
            ..FloatHistogram::default()
        };
        self.fields.fill(&mut h);
        h
    }

    fn decode(&mut self) -> Option<()> {
        if self.read == 0 {
            self.layout = HistogramLayout::read(&mut self.r, self.budget_bits)?;
            if !HistogramLayout::is_known_schema(self.layout.schema) {
                return None;
            }
            let (positive, negative) = self.layout.bucket_counts();
            self.t = read_varbit_int(&mut self.r)?;
            self.fields.read_first_counts(&mut self.r)?;
            self.sum = XorField::for_reader(self.r.read_bits(64)?);
            return self.fields.read_first_buckets(&mut self.r, positive, negative);
        }
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.fields.read_counts(&mut self.r)?;
        self.sum.read(&mut self.r)?;
        if is_stale_nan(self.sum.value()) {
            return Some(());
        }
        self.fields.read_buckets(&mut self.r)
    }
}

impl<F: ChunkFields> Iterator for HistogramChunkIterator<'_, F> {
    type Item = Result<(i64, FloatHistogram)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_histogram().transpose()
    }
}
