//! Prometheus's float native-histogram chunk (encoding 3, `tsdb/chunkenc/float_histogram.go`).
//!
//! Same header and layout as the integer chunk (see [`crate::histogram_meta`]); the samples are
//!
//! ```text
//! sample 0:   t varbit | count 64 bit | zero count 64 bit | sum 64 bit | bucket counts 64 bit...
//! sample ≥1:  t dod    | count xor    | zero count xor    | sum xor    | bucket count xors...
//! ```
//! where every float field is Gorilla-XOR coded against its own previous value. Bucket counts
//! are absolute. A stale marker (sum = stale NaN) writes no buckets.

use rill_model::{FloatHistogram, is_stale_nan};

use crate::bstream::{BitReader, BitWriter};
use crate::histogram_meta::{
    CounterResetHeader, HistogramLayout, XorField, count_buckets, new_chunk_writer, patch_header, read_varbit_int,
    split_header, write_varbit_int,
};
use crate::{Error, Result};

fn layout_of(h: &FloatHistogram) -> HistogramLayout {
    HistogramLayout {
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        positive_spans: h.positive_spans.clone(),
        negative_spans: h.negative_spans.clone(),
        custom_values: h.custom_values.clone(),
    }
}

/// Builds a float histogram chunk sample by sample (append-only: every sample must share the
/// first sample's layout; the caller cuts a new chunk otherwise).
#[derive(Debug, Clone)]
pub struct FloatHistogramEncoder {
    w: BitWriter,
    num: u16,
    header: CounterResetHeader,
    layout: HistogramLayout,
    t: i64,
    t_delta: i64,
    cnt: XorField,
    zcnt: XorField,
    sum: XorField,
    pos: Vec<XorField>,
    neg: Vec<XorField>,
}

impl Default for FloatHistogramEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FloatHistogramEncoder {
    /// An empty chunk; its header is taken from the first sample's counter reset hint.
    pub fn new() -> Self {
        Self {
            w: new_chunk_writer(CounterResetHeader::Unknown),
            num: 0,
            header: CounterResetHeader::Unknown,
            layout: HistogramLayout::default(),
            t: 0,
            t_delta: 0,
            cnt: XorField::for_writer(0.0),
            zcnt: XorField::for_writer(0.0),
            sum: XorField::for_writer(0.0),
            pos: Vec::new(),
            neg: Vec::new(),
        }
    }

    /// Overrides the chunk's counter reset header.
    pub fn set_counter_reset_header(&mut self, header: CounterResetHeader) {
        self.header = header;
        patch_header(&mut self.w, self.num, header);
    }

    /// Appends one histogram. Fails with [`Error::HistogramLayout`] if its layout differs from
    /// the first sample's (stale markers always fit), and with [`Error::ChunkFull`] after
    /// `u16::MAX` samples.
    pub fn append(&mut self, t: i64, h: &FloatHistogram) -> Result<()> {
        let stale = is_stale_nan(h.sum);
        let stale_h;
        let h = if stale {
            stale_h = FloatHistogram {
                sum: h.sum,
                ..FloatHistogram::default()
            };
            &stale_h
        } else {
            h
        };
        if h.positive_buckets.len() != count_buckets(&h.positive_spans)
            || h.negative_buckets.len() != count_buckets(&h.negative_spans)
        {
            return Err(Error::HistogramLayout {
                reason: "bucket count does not match the spans",
            });
        }
        let mut t_delta = 0;
        match self.num {
            0 => {
                self.layout = layout_of(h);
                self.layout.write(&mut self.w);
                write_varbit_int(&mut self.w, t);
                for v in [h.count, h.zero_count, h.sum] {
                    self.w.write_bits(v.to_bits(), 64);
                }
                for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
                    self.w.write_bits(b.to_bits(), 64);
                }
                self.cnt = XorField::for_writer(h.count);
                self.zcnt = XorField::for_writer(h.zero_count);
                self.sum = XorField::for_writer(h.sum);
                self.pos = h.positive_buckets.iter().map(|&b| XorField::for_writer(b)).collect();
                self.neg = h.negative_buckets.iter().map(|&b| XorField::for_writer(b)).collect();
                if !stale {
                    self.set_counter_reset_header(CounterResetHeader::from_hint(h.counter_reset_hint));
                }
            }
            u16::MAX => return Err(Error::ChunkFull { max: u16::MAX }),
            _ => {
                if !stale && layout_of(h) != self.layout {
                    return Err(Error::HistogramLayout {
                        reason: "histogram layout differs from the chunk's first sample",
                    });
                }
                t_delta = t.wrapping_sub(self.t);
                write_varbit_int(&mut self.w, t_delta.wrapping_sub(self.t_delta));
                self.cnt.write(&mut self.w, h.count);
                self.zcnt.write(&mut self.w, h.zero_count);
                self.sum.write(&mut self.w, h.sum);
                for (f, &b) in self.pos.iter_mut().zip(&h.positive_buckets) {
                    f.write(&mut self.w, b);
                }
                for (f, &b) in self.neg.iter_mut().zip(&h.negative_buckets) {
                    f.write(&mut self.w, b);
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

/// Decodes a float histogram chunk.
#[derive(Debug, Clone)]
pub struct FloatHistogramIterator<'a> {
    r: BitReader<'a>,
    budget_bits: usize,
    total: u16,
    read: u16,
    header: CounterResetHeader,
    layout: HistogramLayout,
    t: i64,
    t_delta: i64,
    cnt: XorField,
    zcnt: XorField,
    sum: XorField,
    pos: Vec<XorField>,
    neg: Vec<XorField>,
    failed: bool,
}

impl<'a> FloatHistogramIterator<'a> {
    /// Starts decoding `chunk` (header included). Fails if the header is missing.
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let (total, header, rest) = split_header(chunk).ok_or(Error::CorruptChunk {
            reason: "float histogram chunk shorter than its 3-byte header",
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
            cnt: XorField::for_reader(0),
            zcnt: XorField::for_reader(0),
            sum: XorField::for_reader(0),
            pos: Vec::new(),
            neg: Vec::new(),
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
            return Err(Error::CorruptChunk {
                reason: "truncated or inconsistent float histogram chunk",
            });
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
        FloatHistogram {
            counter_reset_hint: self.header.hint_for_sample(index),
            schema: self.layout.schema,
            zero_threshold: self.layout.zero_threshold,
            zero_count: self.zcnt.value(),
            count: self.cnt.value(),
            sum: self.sum.value(),
            positive_spans: self.layout.positive_spans.clone(),
            negative_spans: self.layout.negative_spans.clone(),
            positive_buckets: self.pos.iter().map(XorField::value).collect(),
            negative_buckets: self.neg.iter().map(XorField::value).collect(),
            custom_values: self.layout.custom_values.clone(),
        }
    }

    fn decode(&mut self) -> Option<()> {
        if self.read == 0 {
            self.layout = HistogramLayout::read(&mut self.r, self.budget_bits)?;
            if !HistogramLayout::is_known_schema(self.layout.schema) {
                return None;
            }
            let (np, nn) = self.layout.bucket_counts();
            self.t = read_varbit_int(&mut self.r)?;
            self.cnt = XorField::for_reader(self.r.read_bits(64)?);
            self.zcnt = XorField::for_reader(self.r.read_bits(64)?);
            self.sum = XorField::for_reader(self.r.read_bits(64)?);
            let r = &mut self.r;
            self.pos = (0..np)
                .map(|_| r.read_bits(64).map(XorField::for_reader))
                .collect::<Option<_>>()?;
            self.neg = (0..nn)
                .map(|_| r.read_bits(64).map(XorField::for_reader))
                .collect::<Option<_>>()?;
            return Some(());
        }
        self.t_delta = self.t_delta.wrapping_add(read_varbit_int(&mut self.r)?);
        self.t = self.t.wrapping_add(self.t_delta);
        self.cnt.read(&mut self.r)?;
        self.zcnt.read(&mut self.r)?;
        self.sum.read(&mut self.r)?;
        if is_stale_nan(self.sum.value()) {
            return Some(());
        }
        for f in self.pos.iter_mut().chain(self.neg.iter_mut()) {
            f.read(&mut self.r)?;
        }
        Some(())
    }
}

impl Iterator for FloatHistogramIterator<'_> {
    type Item = Result<(i64, FloatHistogram)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_histogram().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rill_model::{CounterResetHint, Span, stale_nan};

    fn hist(scale: f64) -> FloatHistogram {
        FloatHistogram {
            schema: 3,
            zero_threshold: 0.001,
            zero_count: 0.5 * scale,
            count: 10.25 * scale,
            sum: -3.5 * scale,
            positive_spans: vec![Span { offset: 1, length: 2 }],
            negative_spans: vec![Span { offset: -2, length: 1 }],
            positive_buckets: vec![1.5 * scale, 4.0 * scale],
            negative_buckets: vec![4.25 * scale],
            ..FloatHistogram::default()
        }
    }

    fn decode(bytes: &[u8]) -> Result<Vec<(i64, FloatHistogram)>> {
        FloatHistogramIterator::new(bytes)?.collect()
    }

    #[test]
    fn round_trip_with_hints_and_stale() {
        let mut e = FloatHistogramEncoder::new();
        let mut first = hist(1.0);
        first.counter_reset_hint = CounterResetHint::CounterReset;
        e.append(10, &first).unwrap();
        e.append(20, &hist(2.0)).unwrap();
        e.append(35, &hist(2.5)).unwrap();
        e.append(
            50,
            &FloatHistogram {
                sum: stale_nan(),
                ..FloatHistogram::default()
            },
        )
        .unwrap();
        assert_eq!(e.bytes()[2] >> 6, 0b10);
        let got = decode(e.bytes()).unwrap();
        let ts: Vec<i64> = got.iter().map(|(t, _)| *t).collect();
        assert_eq!(ts, vec![10, 20, 35, 50]);
        first.counter_reset_hint = CounterResetHint::Unknown;
        assert_eq!(got[0].1, first);
        let mut second = hist(2.0);
        second.counter_reset_hint = CounterResetHint::NotCounterReset;
        assert_eq!(got[1].1, second);
        assert!(is_stale_nan(got[3].1.sum));
    }

    #[test]
    fn truncated_chunks_fail_cleanly() {
        let mut e = FloatHistogramEncoder::new();
        e.append(1, &hist(1.0)).unwrap();
        e.append(2, &hist(3.0)).unwrap();
        let bytes = e.into_bytes();
        for cut in 0..bytes.len() - 1 {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn layout_change_is_rejected() {
        let mut e = FloatHistogramEncoder::new();
        e.append(1, &hist(1.0)).unwrap();
        let mut other = hist(1.0);
        other.zero_threshold = 0.5;
        assert!(matches!(e.append(2, &other), Err(Error::HistogramLayout { .. })));
    }

    proptest! {
        #[test]
        fn random_values_round_trip(vals in proptest::collection::vec((1i64..1_000_000, any::<f64>(), any::<f64>()), 1..50)) {
            let mut e = FloatHistogramEncoder::new();
            let mut t = 0;
            let mut want = Vec::new();
            for &(dt, a, b) in &vals {
                t += dt;
                let h = FloatHistogram {
                    schema: -53,
                    count: a,
                    sum: if is_stale_nan(b) { 0.0 } else { b },
                    positive_spans: vec![Span { offset: 0, length: 1 }],
                    positive_buckets: vec![a],
                    custom_values: vec![0.1, 7.0],
                    ..FloatHistogram::default()
                };
                e.append(t, &h).unwrap();
                want.push((t, h));
            }
            let got = decode(e.bytes()).unwrap();
            prop_assert_eq!(got.len(), want.len());
            for ((gt, g), (wt, w)) in got.iter().zip(&want) {
                prop_assert_eq!(gt, wt);
                prop_assert_eq!(g.count.to_bits(), w.count.to_bits());
                prop_assert_eq!(g.sum.to_bits(), w.sum.to_bits());
                prop_assert_eq!(g.positive_buckets[0].to_bits(), w.positive_buckets[0].to_bits());
                prop_assert_eq!(&g.custom_values, &w.custom_values);
            }
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(it) = FloatHistogramIterator::new(&data) {
                for r in it.take(100) {
                    if r.is_err() { break; }
                }
            }
        }
    }
}
