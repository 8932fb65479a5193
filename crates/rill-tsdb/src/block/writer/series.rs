//! Cuts one series' samples into encoded chunks the way Prometheus's head does: floats go to
//! XOR chunks, native histograms to float-histogram chunks, at most [`SAMPLES_PER_CHUNK`]
//! samples each. A histogram chunk is also cut when the bucket layout changes, when the series
//! switches between gauge and counter histograms, and at a counter reset (that chunk gets the
//! `CounterReset` header, so readers know the reset is there; a reset can never hide inside a
//! chunk, where every sample after the first reads as "no reset").

use rill_codec::XorEncoder;
use rill_codec::float_histogram_chunk::FloatHistogramEncoder;
use rill_codec::histogram_meta::CounterResetHeader;
use rill_model::{ChunkEncoding, CounterResetHint, FloatHistogram, Sample, Value, is_stale_nan};

use crate::error::{Error, Result};

/// Samples per chunk before a new one is cut (Prometheus's target for float chunks).
pub const SAMPLES_PER_CHUNK: u16 = 120;

/// A finished chunk ready for a segment file.
#[derive(Debug)]
pub(crate) struct EncodedChunk {
    /// The chunk encoding.
    pub encoding: ChunkEncoding,
    /// The chunk bytes.
    pub data: Vec<u8>,
    /// Timestamp of the first sample.
    pub min_time: i64,
    /// Timestamp of the last sample.
    pub max_time: i64,
    /// Number of samples.
    pub samples: u64,
}

/// The chunk being filled.
enum Open {
    None,
    Float(XorEncoder),
    Histogram { enc: FloatHistogramEncoder, gauge: bool },
}

/// Streams samples of one series into chunks; `emit` receives each finished chunk.
pub(crate) struct SeriesEncoder {
    open: Open,
    min_time: i64,
    last_t: Option<i64>,
    last_histogram: Option<FloatHistogram>,
}

impl SeriesEncoder {
    /// An encoder for a new series.
    pub fn new() -> Self {
        Self {
            open: Open::None,
            min_time: 0,
            last_t: None,
            last_histogram: None,
        }
    }

    /// Continues a series whose previous samples (up to `t`) were written elsewhere, so the
    /// next sample must come after `t`.
    pub fn set_last_t(&mut self, t: Option<i64>) {
        self.last_t = t;
    }

    /// Timestamp of the last sample appended, if any.
    pub fn last_t(&self) -> Option<i64> {
        self.last_t
    }

    fn close(&mut self, emit: &mut impl FnMut(EncodedChunk) -> Result<()>) -> Result<()> {
        let (encoding, samples, data) = match std::mem::replace(&mut self.open, Open::None) {
            Open::None => return Ok(()),
            Open::Float(e) => (ChunkEncoding::Xor, e.num_samples(), e.into_bytes()),
            Open::Histogram { enc, .. } => (ChunkEncoding::FloatHistogram, enc.num_samples(), enc.into_bytes()),
        };
        emit(EncodedChunk {
            encoding,
            data,
            min_time: self.min_time,
            max_time: self.last_t.unwrap_or(self.min_time),
            samples: u64::from(samples),
        })
    }

    /// Appends one sample; timestamps must strictly increase.
    pub fn push(&mut self, s: &Sample, emit: &mut impl FnMut(EncodedChunk) -> Result<()>) -> Result<()> {
        if let Some(last) = self.last_t
            && s.t <= last
        {
            return Err(Error::Invalid(format!(
                "samples of a series must have increasing timestamps: {} after {last}",
                s.t
            )));
        }
        match &s.v {
            Value::Float(v) => self.push_float(s.t, *v, emit)?,
            Value::Histogram(h) => self.push_histogram(s.t, h, emit)?,
        }
        self.last_t = Some(s.t);
        Ok(())
    }

    fn push_float(&mut self, t: i64, v: f64, emit: &mut impl FnMut(EncodedChunk) -> Result<()>) -> Result<()> {
        let full = match &self.open {
            Open::Float(e) => e.num_samples() >= SAMPLES_PER_CHUNK,
            _ => true,
        };
        if full {
            self.close(emit)?;
            self.open = Open::Float(XorEncoder::new());
            self.min_time = t;
        }
        self.last_histogram = None;
        match &mut self.open {
            Open::Float(e) => e
                .append(t, v)
                .map_err(|e| Error::Invalid(format!("encoding sample at {t}: {e}"))),
            _ => Err(Error::Invalid("no float chunk open".into())),
        }
    }

    fn push_histogram(
        &mut self,
        t: i64,
        h: &FloatHistogram,
        emit: &mut impl FnMut(EncodedChunk) -> Result<()>,
    ) -> Result<()> {
        let stale = is_stale_nan(h.sum);
        let gauge = h.counter_reset_hint == CounterResetHint::Gauge;
        let reset = !stale && !gauge && self.last_histogram.as_ref().is_some_and(|prev| is_reset(h, prev));
        let fits = match &mut self.open {
            Open::Histogram { enc, gauge: g }
                if !reset && (stale || *g == gauge) && enc.num_samples() < SAMPLES_PER_CHUNK =>
            {
                match enc.append(t, h) {
                    Ok(()) => true,
                    Err(rill_codec::Error::HistogramLayout { .. }) => false,
                    Err(e) => return Err(Error::Invalid(format!("encoding histogram at {t}: {e}"))),
                }
            }
            _ => false,
        };
        if !fits {
            self.close(emit)?;
            let mut enc = FloatHistogramEncoder::new();
            enc.append(t, h)
                .map_err(|e| Error::Invalid(format!("encoding histogram at {t}: {e}")))?;
            let header = if gauge {
                CounterResetHeader::Gauge
            } else if reset || h.counter_reset_hint == CounterResetHint::CounterReset {
                CounterResetHeader::CounterReset
            } else {
                CounterResetHeader::Unknown
            };
            enc.set_counter_reset_header(header);
            self.open = Open::Histogram { enc, gauge };
            self.min_time = t;
        }
        if !stale {
            self.last_histogram = Some(h.clone());
        }
        Ok(())
    }

    /// Emits the last, partly filled chunk.
    pub fn finish(mut self, emit: &mut impl FnMut(EncodedChunk) -> Result<()>) -> Result<()> {
        self.close(emit)
    }
}

/// Whether `h` starts after a counter reset relative to `prev`, judged by the data: hints of
/// samples decoded from chunks ("not a reset" for every non-first sample) say nothing about
/// their new neighbours after a merge.
fn is_reset(h: &FloatHistogram, prev: &FloatHistogram) -> bool {
    match h.counter_reset_hint {
        CounterResetHint::CounterReset => true,
        CounterResetHint::Unknown => h.detect_reset(prev),
        CounterResetHint::NotCounterReset | CounterResetHint::Gauge => {
            let mut probe = h.clone();
            probe.counter_reset_hint = CounterResetHint::Unknown;
            probe.detect_reset(prev)
        }
    }
}
