//! Prometheus's integer native-histogram chunk (encoding 2, `tsdb/chunkenc/histogram.go`).
//!
//! ```text
//! header: n u16 BE | flags (counter reset header in the top 2 bits)
//! layout: zero threshold | schema | positive spans | negative spans | custom bounds (schema -53)
//! sample 0:   t varbit | count uvarbit | zero count uvarbit | sum 64 bit | bucket deltas varbit...
//! sample ≥1:  t dod    | count dod     | zero count dod     | sum xor    | bucket-delta dods...
//! ```
//! Buckets are stored as Prometheus's delta-between-neighbours values ("the first is absolute,
//! each next one the difference to its left neighbour"), each tracked over time by
//! delta-of-delta. A stale marker (sum = stale NaN) writes no buckets. Decoding converts to
//! [`FloatHistogram`] with absolute bucket counts; corrupt input gives [`Error::CorruptChunk`].

use rill_model::{CounterResetHint, FloatHistogram, Span};

use crate::bstream::{BitReader, BitWriter};
use crate::histogram_meta::{read_varbit_int, read_varbit_uint, write_varbit_int, write_varbit_uint};
use crate::histogram_stream::{ChunkFields, HistogramChunkEncoder, HistogramChunkIterator, impl_chunk_histogram};

/// An integer native histogram as it enters an integer histogram chunk.
///
/// Bucket counts are absolute (not Prometheus's in-memory deltas), so values read as what they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IntHistogram {
    /// Counter reset information from the producer; decides the header of a new chunk.
    pub counter_reset_hint: CounterResetHint,
    /// Bucket schema (-4..=8, or -53 for custom buckets).
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// Total number of observations.
    pub count: u64,
    /// Sum of observations.
    pub sum: f64,
    /// Populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute counts of the positive buckets.
    pub positive_buckets: Vec<u64>,
    /// Absolute counts of the negative buckets.
    pub negative_buckets: Vec<u64>,
    /// Custom bucket bounds (schema -53 only).
    pub custom_values: Vec<f64>,
}

impl IntHistogram {
    /// The same histogram with float counts (what the engine works with).
    pub fn to_float(&self) -> FloatHistogram {
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count as f64,
            count: self.count as f64,
            sum: self.sum,
            positive_spans: self.positive_spans.clone(),
            negative_spans: self.negative_spans.clone(),
            positive_buckets: self.positive_buckets.iter().map(|&c| c as f64).collect(),
            negative_buckets: self.negative_buckets.iter().map(|&c| c as f64).collect(),
            custom_values: self.custom_values.clone(),
        }
    }
}

/// Absolute counts to Prometheus's neighbour deltas.
fn to_neighbour_deltas(abs: &[u64]) -> Vec<i64> {
    let mut prev = 0i64;
    abs.iter()
        .map(|&c| {
            let d = (c as i64).wrapping_sub(prev);
            prev = c as i64;
            d
        })
        .collect()
}

/// Builds an integer histogram chunk sample by sample (see [`HistogramChunkEncoder`]).
pub type HistogramEncoder = HistogramChunkEncoder<IntFields>;

/// Decodes an integer histogram chunk into float histograms with absolute bucket counts.
pub type HistogramIterator<'a> = HistogramChunkIterator<'a, IntFields>;

/// Count and bucket coding of the integer chunk: counts as unsigned varbits then
/// delta-of-delta, buckets as neighbour deltas then delta-of-delta.
#[derive(Clone, Debug, Default)]
pub struct IntFields {
    cnt: u64,
    zcnt: u64,
    cnt_delta: i64,
    zcnt_delta: i64,
    pos: Vec<i64>,
    neg: Vec<i64>,
    pos_delta: Vec<i64>,
    neg_delta: Vec<i64>,
}

impl_chunk_histogram!(IntHistogram);

impl ChunkFields for IntFields {
    type Histogram = IntHistogram;
    const SHORT_HEADER: &'static str = "histogram chunk shorter than its 3-byte header";
    const CORRUPT: &'static str = "truncated or inconsistent histogram chunk";

    fn write_first_counts(&mut self, w: &mut BitWriter, h: &IntHistogram) {
        write_varbit_uint(w, h.count);
        write_varbit_uint(w, h.zero_count);
        self.cnt = h.count;
        self.zcnt = h.zero_count;
    }

    fn write_first_buckets(&mut self, w: &mut BitWriter, h: &IntHistogram) {
        self.pos = to_neighbour_deltas(&h.positive_buckets);
        self.neg = to_neighbour_deltas(&h.negative_buckets);
        for &b in self.pos.iter().chain(&self.neg) {
            write_varbit_int(w, b);
        }
        self.pos_delta = vec![0; self.pos.len()];
        self.neg_delta = vec![0; self.neg.len()];
    }

    fn write_counts(&mut self, w: &mut BitWriter, h: &IntHistogram, stale: bool) {
        let cnt_delta = (h.count as i64).wrapping_sub(self.cnt as i64);
        let zcnt_delta = (h.zero_count as i64).wrapping_sub(self.zcnt as i64);
        // Like Prometheus, a stale marker writes zero dods but still tracks its (zero) counts.
        let (cnt_dod, zcnt_dod) = if stale {
            (0, 0)
        } else {
            (
                cnt_delta.wrapping_sub(self.cnt_delta),
                zcnt_delta.wrapping_sub(self.zcnt_delta),
            )
        };
        write_varbit_int(w, cnt_dod);
        write_varbit_int(w, zcnt_dod);
        self.cnt = h.count;
        self.zcnt = h.zero_count;
        self.cnt_delta = cnt_delta;
        self.zcnt_delta = zcnt_delta;
    }

    fn write_buckets(&mut self, w: &mut BitWriter, h: &IntHistogram) {
        write_bucket_dods(
            w,
            &to_neighbour_deltas(&h.positive_buckets),
            &mut self.pos,
            &mut self.pos_delta,
        );
        write_bucket_dods(
            w,
            &to_neighbour_deltas(&h.negative_buckets),
            &mut self.neg,
            &mut self.neg_delta,
        );
    }

    fn read_first_counts(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        self.cnt = read_varbit_uint(r)?;
        self.zcnt = read_varbit_uint(r)?;
        Some(())
    }

    fn read_first_buckets(&mut self, r: &mut BitReader<'_>, positive: usize, negative: usize) -> Option<()> {
        self.pos = (0..positive).map(|_| read_varbit_int(r)).collect::<Option<_>>()?;
        self.neg = (0..negative).map(|_| read_varbit_int(r)).collect::<Option<_>>()?;
        self.pos_delta = vec![0; positive];
        self.neg_delta = vec![0; negative];
        Some(())
    }

    fn read_counts(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        self.cnt_delta = self.cnt_delta.wrapping_add(read_varbit_int(r)?);
        self.cnt = (self.cnt as i64).wrapping_add(self.cnt_delta) as u64;
        self.zcnt_delta = self.zcnt_delta.wrapping_add(read_varbit_int(r)?);
        self.zcnt = (self.zcnt as i64).wrapping_add(self.zcnt_delta) as u64;
        Some(())
    }

    fn read_buckets(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        read_bucket_dods(r, &mut self.pos, &mut self.pos_delta)?;
        read_bucket_dods(r, &mut self.neg, &mut self.neg_delta)
    }

    fn fill(&self, h: &mut FloatHistogram) {
        h.count = self.cnt as f64;
        h.zero_count = self.zcnt as f64;
        h.positive_buckets = absolute(&self.pos);
        h.negative_buckets = absolute(&self.neg);
    }
}

/// Writes the delta-of-delta of each bucket value and updates the tracked values and deltas.
fn write_bucket_dods(w: &mut BitWriter, new: &[i64], cur: &mut [i64], deltas: &mut [i64]) {
    for ((&b, c), d) in new.iter().zip(cur.iter_mut()).zip(deltas.iter_mut()) {
        let delta = b.wrapping_sub(*c);
        write_varbit_int(w, delta.wrapping_sub(*d));
        *d = delta;
        *c = b;
    }
}

fn read_bucket_dods(r: &mut BitReader<'_>, cur: &mut [i64], deltas: &mut [i64]) -> Option<()> {
    for (c, d) in cur.iter_mut().zip(deltas.iter_mut()) {
        *d = d.wrapping_add(read_varbit_int(r)?);
        *c = c.wrapping_add(*d);
    }
    Some(())
}

/// Neighbour deltas to absolute float counts.
fn absolute(deltas: &[i64]) -> Vec<f64> {
    let mut acc = 0i64;
    deltas
        .iter()
        .map(|&d| {
            acc = acc.wrapping_add(d);
            acc as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, Result};
    use proptest::prelude::*;
    use rill_model::{is_stale_nan, stale_nan};

    fn hist(count: u64, buckets: Vec<u64>, neg: Vec<u64>) -> IntHistogram {
        IntHistogram {
            schema: 1,
            zero_threshold: 2f64.powi(-128),
            zero_count: 1,
            count,
            sum: count as f64 * 1.5,
            positive_spans: vec![Span { offset: -1, length: 2 }, Span { offset: 3, length: 1 }],
            negative_spans: vec![Span { offset: 0, length: 1 }],
            positive_buckets: buckets,
            negative_buckets: neg,
            ..IntHistogram::default()
        }
    }

    fn decode(bytes: &[u8]) -> Result<Vec<(i64, FloatHistogram)>> {
        HistogramIterator::new(bytes)?.collect()
    }

    #[test]
    fn round_trip_with_hints_and_stale() {
        let hs = [
            hist(10, vec![1, 2, 3], vec![4]),
            hist(12, vec![2, 2, 4], vec![4]),
            hist(30, vec![9, 2, 7], vec![12]),
        ];
        let mut e = HistogramEncoder::new();
        for (i, h) in hs.iter().enumerate() {
            e.append(1000 * i as i64, h).unwrap();
        }
        let stale = IntHistogram {
            sum: stale_nan(),
            ..IntHistogram::default()
        };
        e.append(5000, &stale).unwrap();
        let got = decode(e.bytes()).unwrap();
        assert_eq!(got.len(), 4);
        for (i, h) in hs.iter().enumerate() {
            let mut want = h.to_float();
            want.counter_reset_hint = if i == 0 {
                CounterResetHint::Unknown
            } else {
                CounterResetHint::NotCounterReset
            };
            assert_eq!(got[i], (1000 * i as i64, want));
        }
        assert_eq!(got[3].0, 5000);
        assert!(is_stale_nan(got[3].1.sum));
    }

    #[test]
    fn only_stale_markers_follow_a_stale_marker() {
        // Encoder and decoder track counts differently across a stale marker (Prometheus
        // writes zero dods for it), so a real histogram after one would decode wrong: it must
        // go to a new chunk, as Prometheus's appender decides.
        let mut e = HistogramEncoder::new();
        e.append(1, &hist(10, vec![1, 2, 3], vec![4])).unwrap();
        e.append(2, &hist(12, vec![2, 2, 4], vec![4])).unwrap();
        let stale = IntHistogram {
            sum: stale_nan(),
            ..IntHistogram::default()
        };
        e.append(3, &stale).unwrap();
        e.append(4, &stale).unwrap();
        assert!(matches!(
            e.append(5, &hist(14, vec![3, 2, 5], vec![4])),
            Err(Error::HistogramLayout { .. })
        ));
        let got = decode(e.bytes()).unwrap();
        assert_eq!(got.len(), 4);
        assert_eq!(got[1].1.count, 12.0);
        assert!(got[2..].iter().all(|(_, h)| is_stale_nan(h.sum)));
    }

    #[test]
    fn gauge_header_and_custom_buckets() {
        let h = IntHistogram {
            counter_reset_hint: CounterResetHint::Gauge,
            schema: -53,
            count: 5,
            sum: 2.5,
            positive_spans: vec![Span { offset: 0, length: 2 }],
            positive_buckets: vec![2, 3],
            custom_values: vec![0.25, 1.0, 1e9],
            ..IntHistogram::default()
        };
        let mut e = HistogramEncoder::new();
        e.append(7, &h).unwrap();
        assert_eq!(e.bytes()[2] >> 6, 0b11);
        let got = decode(e.bytes()).unwrap();
        assert_eq!(got, vec![(7, h.to_float())]);
    }

    #[test]
    fn layout_change_is_rejected() {
        let mut e = HistogramEncoder::new();
        e.append(1, &hist(1, vec![1, 0, 0], vec![0])).unwrap();
        let mut other = hist(2, vec![1, 1, 0], vec![0]);
        other.schema = 2;
        assert!(matches!(e.append(2, &other), Err(Error::HistogramLayout { .. })));
        let mut bad = hist(2, vec![1], vec![0]);
        bad.schema = 1;
        assert!(e.append(2, &bad).is_err());
    }

    #[test]
    fn truncated_chunks_fail_cleanly() {
        let mut e = HistogramEncoder::new();
        e.append(1, &hist(10, vec![1, 2, 3], vec![4])).unwrap();
        e.append(2, &hist(11, vec![1, 3, 3], vec![4])).unwrap();
        let bytes = e.into_bytes();
        for cut in 0..bytes.len() - 1 {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    proptest! {
        #[test]
        fn random_series_round_trip(steps in proptest::collection::vec((1i64..100_000, 0u64..1000, 0u64..50), 1..60)) {
            let mut e = HistogramEncoder::new();
            let mut want = Vec::new();
            let (mut t, mut b0, mut b1) = (1_700_000_000_000i64, 0u64, 0u64);
            for &(dt, d0, d1) in &steps {
                t += dt;
                b0 += d0;
                b1 += d1;
                let h = IntHistogram {
                    count: b0 + b1,
                    sum: (b0 as f64) * 0.1,
                    positive_spans: vec![Span { offset: 2, length: 2 }],
                    positive_buckets: vec![b0, b1],
                    ..IntHistogram::default()
                };
                e.append(t, &h).unwrap();
                want.push((t, h));
            }
            let got = decode(e.bytes()).unwrap();
            prop_assert_eq!(got.len(), want.len());
            for ((gt, g), (wt, w)) in got.iter().zip(&want) {
                prop_assert_eq!(gt, wt);
                prop_assert_eq!(&g.positive_buckets, &w.to_float().positive_buckets);
                prop_assert_eq!(g.count, w.count as f64);
            }
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(it) = HistogramIterator::new(&data) {
                for r in it.take(100) {
                    if r.is_err() { break; }
                }
            }
        }
    }
}
