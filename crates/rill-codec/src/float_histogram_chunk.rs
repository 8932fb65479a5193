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

use rill_model::FloatHistogram;

use crate::bstream::{BitReader, BitWriter};
use crate::histogram_meta::XorField;
use crate::histogram_stream::{ChunkFields, HistogramChunkEncoder, HistogramChunkIterator, impl_chunk_histogram};

/// Builds a float histogram chunk sample by sample (see [`HistogramChunkEncoder`]).
pub type FloatHistogramEncoder = HistogramChunkEncoder<FloatFields>;

/// Decodes a float histogram chunk.
pub type FloatHistogramIterator<'a> = HistogramChunkIterator<'a, FloatFields>;

/// Count and bucket coding of the float chunk: every field raw 64 bits, then Gorilla XOR
/// against its own previous value.
#[derive(Clone, Debug, Default)]
pub struct FloatFields {
    cnt: XorField,
    zcnt: XorField,
    pos: Vec<XorField>,
    neg: Vec<XorField>,
}

impl_chunk_histogram!(FloatHistogram);

impl ChunkFields for FloatFields {
    type Histogram = FloatHistogram;
    const SHORT_HEADER: &'static str = "float histogram chunk shorter than its 3-byte header";
    const CORRUPT: &'static str = "truncated or inconsistent float histogram chunk";

    fn write_first_counts(&mut self, w: &mut BitWriter, h: &FloatHistogram) {
        w.write_bits(h.count.to_bits(), 64);
        w.write_bits(h.zero_count.to_bits(), 64);
        self.cnt = XorField::for_writer(h.count);
        self.zcnt = XorField::for_writer(h.zero_count);
    }

    fn write_first_buckets(&mut self, w: &mut BitWriter, h: &FloatHistogram) {
        for &b in h.positive_buckets.iter().chain(&h.negative_buckets) {
            w.write_bits(b.to_bits(), 64);
        }
        self.pos = h.positive_buckets.iter().map(|&b| XorField::for_writer(b)).collect();
        self.neg = h.negative_buckets.iter().map(|&b| XorField::for_writer(b)).collect();
    }

    fn write_counts(&mut self, w: &mut BitWriter, h: &FloatHistogram, _stale: bool) {
        self.cnt.write(w, h.count);
        self.zcnt.write(w, h.zero_count);
    }

    fn write_buckets(&mut self, w: &mut BitWriter, h: &FloatHistogram) {
        for (f, &b) in self.pos.iter_mut().zip(&h.positive_buckets) {
            f.write(w, b);
        }
        for (f, &b) in self.neg.iter_mut().zip(&h.negative_buckets) {
            f.write(w, b);
        }
    }

    fn read_first_counts(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        self.cnt = XorField::for_reader(r.read_bits(64)?);
        self.zcnt = XorField::for_reader(r.read_bits(64)?);
        Some(())
    }

    fn read_first_buckets(&mut self, r: &mut BitReader<'_>, positive: usize, negative: usize) -> Option<()> {
        self.pos = (0..positive)
            .map(|_| r.read_bits(64).map(XorField::for_reader))
            .collect::<Option<_>>()?;
        self.neg = (0..negative)
            .map(|_| r.read_bits(64).map(XorField::for_reader))
            .collect::<Option<_>>()?;
        Some(())
    }

    fn read_counts(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        self.cnt.read(r)?;
        self.zcnt.read(r)
    }

    fn read_buckets(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        self.pos
            .iter_mut()
            .chain(self.neg.iter_mut())
            .try_for_each(|f| f.read(r))
    }

    fn fill(&self, h: &mut FloatHistogram) {
        h.count = self.cnt.value();
        h.zero_count = self.zcnt.value();
        h.positive_buckets = self.pos.iter().map(XorField::value).collect();
        h.negative_buckets = self.neg.iter().map(XorField::value).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Result};
    use proptest::prelude::*;
    use rill_model::{CounterResetHint, Span, is_stale_nan, stale_nan};

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
