//! WAL record bodies in Prometheus's encoding (`tsdb/record`): series, samples, tombstones,
//! integer and float histogram samples (incl. the custom-bucket record types) and metadata.
//! See `docs/format/wal.md`. Decoding never panics: malformed bodies give [`Error::Corrupt`]
//! naming the segment and the record's offset.

mod histogram;

use std::path::Path;

use rill_codec::histogram_chunk::IntHistogram;
use rill_model::{FloatHistogram, Label, Labels};

use self::histogram::{read_float_histogram, read_int_histogram};
use crate::decbuf::Decbuf;
use crate::error::Result;

pub use self::histogram::{encode_float_histograms, encode_histograms};

/// Record type bytes (first byte of every record).
mod kind {
    pub const SERIES: u8 = 1;
    pub const SAMPLES: u8 = 2;
    pub const TOMBSTONES: u8 = 3;
    pub const METADATA: u8 = 6;
    pub const HISTOGRAMS: u8 = 7;
    pub const FLOAT_HISTOGRAMS: u8 = 8;
    pub const CUSTOM_HISTOGRAMS: u8 = 9;
    pub const CUSTOM_FLOAT_HISTOGRAMS: u8 = 10;
}

/// A series definition: the head's reference and the labels.
#[derive(Clone, Debug, PartialEq)]
pub struct RefSeries {
    /// Head series reference used by later sample records.
    pub series_ref: u64,
    /// The series' labels.
    pub labels: Labels,
}

/// One float sample of a series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefSample {
    /// Head series reference.
    pub series_ref: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The value (stale markers keep their NaN bit pattern).
    pub v: f64,
}

/// One integer histogram sample (absolute bucket counts; the WAL stores neighbour deltas).
#[derive(Clone, Debug, PartialEq)]
pub struct RefHistogram {
    /// Head series reference.
    pub series_ref: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The histogram.
    pub h: IntHistogram,
}

/// One float histogram sample.
#[derive(Clone, Debug, PartialEq)]
pub struct RefFloatHistogram {
    /// Head series reference.
    pub series_ref: u64,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The histogram.
    pub h: FloatHistogram,
}

/// A deleted interval `[mint, maxt]` of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tombstone {
    /// Head series reference.
    pub series_ref: u64,
    /// First deleted millisecond.
    pub mint: i64,
    /// Last deleted millisecond.
    pub maxt: i64,
}

/// Metric metadata of a series (type byte as Prometheus numbers it, unit, help).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefMetadata {
    /// Head series reference.
    pub series_ref: u64,
    /// Prometheus's metric type number (0 unknown, 1 counter, 2 gauge, ...).
    pub metric_type: u8,
    /// Unit.
    pub unit: String,
    /// Help text.
    pub help: String,
}

/// A decoded WAL record.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// Series definitions (type 1).
    Series(Vec<RefSeries>),
    /// Float samples (type 2).
    Samples(Vec<RefSample>),
    /// Deleted intervals (type 3).
    Tombstones(Vec<Tombstone>),
    /// Integer histogram samples (types 7 and 9).
    Histograms(Vec<RefHistogram>),
    /// Float histogram samples (types 8 and 10).
    FloatHistograms(Vec<RefFloatHistogram>),
    /// Metadata (type 6).
    Metadata(Vec<RefMetadata>),
    /// A record Rill does not use (exemplars, mmap markers, newer types), by type byte.
    Skipped(u8),
}

/// Little helpers to append Prometheus's integer encodings to a buffer.
trait Encbuf {
    fn be64(&mut self, v: u64);
    fn uvarint(&mut self, v: u64);
    fn varint(&mut self, v: i64);
    fn str(&mut self, s: &str);
}

impl Encbuf for Vec<u8> {
    fn be64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }
    fn varint(&mut self, v: i64) {
        self.uvarint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn str(&mut self, s: &str) {
        self.uvarint(s.len() as u64);
        self.extend_from_slice(s.as_bytes());
    }
}

/// Appends a series record to `out`.
pub fn encode_series(series: &[RefSeries], out: &mut Vec<u8>) {
    out.push(kind::SERIES);
    for s in series {
        out.be64(s.series_ref);
        out.uvarint(s.labels.len() as u64);
        for l in &s.labels {
            out.str(&l.name);
            out.str(&l.value);
        }
    }
}

/// Appends the delta-coded samples of type `typ` to `out`; `write` encodes one value.
fn encode_batch<T>(
    typ: u8,
    items: &[T],
    key: impl Fn(&T) -> (u64, i64),
    mut write: impl FnMut(&T, &mut Vec<u8>),
    out: &mut Vec<u8>,
) {
    out.push(typ);
    let Some(first) = items.first() else { return };
    let (base_ref, base_t) = key(first);
    out.be64(base_ref);
    out.be64(base_t as u64);
    for it in items {
        let (r, t) = key(it);
        out.varint((r as i64).wrapping_sub(base_ref as i64));
        out.varint(t.wrapping_sub(base_t));
        write(it, out);
    }
}

/// Appends a samples record to `out`.
pub fn encode_samples(samples: &[RefSample], out: &mut Vec<u8>) {
    encode_batch(
        kind::SAMPLES,
        samples,
        |s| (s.series_ref, s.t),
        |s, o| o.be64(s.v.to_bits()),
        out,
    );
}

/// Appends a tombstones record to `out`.
pub fn encode_tombstones(stones: &[Tombstone], out: &mut Vec<u8>) {
    out.push(kind::TOMBSTONES);
    for s in stones {
        out.be64(s.series_ref);
        out.varint(s.mint);
        out.varint(s.maxt);
    }
}

/// Appends a metadata record to `out`.
pub fn encode_metadata(meta: &[RefMetadata], out: &mut Vec<u8>) {
    out.push(kind::METADATA);
    for m in meta {
        out.uvarint(m.series_ref);
        out.push(m.metric_type);
        out.uvarint(2);
        out.str("UNIT");
        out.str(&m.unit);
        out.str("HELP");
        out.str(&m.help);
    }
}

fn read_f64(d: &mut Decbuf<'_>) -> Result<f64> {
    Ok(f64::from_bits(d.be64()?))
}

/// Reads a count prefix, bounded by the bytes left (each element takes at least one byte), so
/// a corrupt count cannot make us allocate gigabytes.
fn read_len(d: &mut Decbuf<'_>) -> Result<usize> {
    let n = d.uvarint()?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= d.remaining())
        .ok_or_else(|| d.error(format!("element count {n} exceeds the record")))
}

/// Decodes the delta-coded batch after the type byte; `read` decodes one value.
fn decode_batch<T>(d: &mut Decbuf<'_>, mut read: impl FnMut(&mut Decbuf<'_>, u64, i64) -> Result<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    if d.remaining() == 0 {
        return Ok(out);
    }
    let base_ref = d.be64()?;
    let base_t = d.be64()? as i64;
    while d.remaining() > 0 {
        let r = (base_ref as i64).wrapping_add(d.varint()?) as u64;
        let t = base_t.wrapping_add(d.varint()?);
        out.push(read(d, r, t)?);
    }
    Ok(out)
}

fn decode_labels(d: &mut Decbuf<'_>) -> Result<Labels> {
    let n = read_len(d)?;
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let name = d.uvarint_str()?;
        let value = d.uvarint_str()?;
        labels.push(Label::new(name, value));
    }
    if labels
        .windows(2)
        .all(|w| w.first().map(|l| &l.name) < w.get(1).map(|l| &l.name))
    {
        Ok(Labels::from_sorted(labels))
    } else {
        Ok(Labels::from_pairs(labels.into_iter().map(|l| (l.name, l.value))))
    }
}

/// Decodes one record read from `file` at `offset` (for error messages).
pub fn decode(rec: &[u8], file: &Path, offset: u64) -> Result<Record> {
    let mut d = Decbuf::new(file, rec, offset);
    let typ = d.byte()?;
    let record = match typ {
        kind::SERIES => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                let series_ref = d.be64()?;
                out.push(RefSeries {
                    series_ref,
                    labels: decode_labels(&mut d)?,
                });
            }
            Record::Series(out)
        }
        kind::SAMPLES => Record::Samples(decode_batch(&mut d, |d, series_ref, t| {
            Ok(RefSample {
                series_ref,
                t,
                v: read_f64(d)?,
            })
        })?),
        kind::TOMBSTONES => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                out.push(Tombstone {
                    series_ref: d.be64()?,
                    mint: d.varint()?,
                    maxt: d.varint()?,
                });
            }
            Record::Tombstones(out)
        }
        kind::METADATA => {
            let mut out = Vec::new();
            while d.remaining() > 0 {
                let series_ref = d.uvarint()?;
                let metric_type = d.byte()?;
                let fields = read_len(&mut d)?;
                let (mut unit, mut help) = (String::new(), String::new());
                for _ in 0..fields {
                    let name = d.uvarint_str()?;
                    let value = d.uvarint_str()?;
                    match name {
                        "UNIT" => unit = value.to_owned(),
                        "HELP" => help = value.to_owned(),
                        _ => {}
                    }
                }
                out.push(RefMetadata {
                    series_ref,
                    metric_type,
                    unit,
                    help,
                });
            }
            Record::Metadata(out)
        }
        kind::HISTOGRAMS | kind::CUSTOM_HISTOGRAMS => Record::Histograms(decode_batch(&mut d, |d, series_ref, t| {
            Ok(RefHistogram {
                series_ref,
                t,
                h: read_int_histogram(d)?,
            })
        })?),
        kind::FLOAT_HISTOGRAMS | kind::CUSTOM_FLOAT_HISTOGRAMS => {
            Record::FloatHistograms(decode_batch(&mut d, |d, series_ref, t| {
                Ok(RefFloatHistogram {
                    series_ref,
                    t,
                    h: read_float_histogram(d)?,
                })
            })?)
        }
        other => Record::Skipped(other),
    };
    Ok(record)
}

#[cfg(test)]
mod tests {
    use rill_model::Span;
    use rill_model::histogram::CUSTOM_BUCKETS_SCHEMA;

    use super::*;

    fn roundtrip(rec: &[u8]) -> Record {
        decode(rec, Path::new("seg"), 0).unwrap()
    }

    #[test]
    fn series_and_samples_roundtrip() {
        let series = vec![RefSeries {
            series_ref: 7,
            labels: Labels::from_pairs([("__name__", "up"), ("job", "a")]),
        }];
        let mut buf = Vec::new();
        encode_series(&series, &mut buf);
        assert_eq!(roundtrip(&buf), Record::Series(series));

        let samples = vec![
            RefSample {
                series_ref: 7,
                t: 1000,
                v: 1.5,
            },
            RefSample {
                series_ref: 3,
                t: 900,
                v: rill_model::stale_nan(),
            },
        ];
        buf.clear();
        encode_samples(&samples, &mut buf);
        let Record::Samples(got) = roundtrip(&buf) else {
            panic!("not samples")
        };
        assert_eq!(got[0], samples[0]);
        assert_eq!((got[1].series_ref, got[1].t), (3, 900));
        assert!(rill_model::is_stale_nan(got[1].v));
        buf.clear();
        encode_samples(&[], &mut buf);
        assert_eq!(roundtrip(&buf), Record::Samples(vec![]));
    }

    #[test]
    fn histograms_split_custom_buckets() {
        let exp = IntHistogram {
            schema: 1,
            count: 5,
            sum: 2.0,
            positive_spans: vec![Span { offset: -1, length: 2 }],
            positive_buckets: vec![3, 2],
            ..IntHistogram::default()
        };
        let custom = IntHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: 1,
            positive_spans: vec![Span { offset: 0, length: 1 }],
            positive_buckets: vec![1],
            custom_values: vec![0.5, 1.0],
            ..IntHistogram::default()
        };
        let hs = vec![
            RefHistogram {
                series_ref: 1,
                t: 10,
                h: exp,
            },
            RefHistogram {
                series_ref: 2,
                t: 11,
                h: custom,
            },
        ];
        let recs = encode_histograms(&hs);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0][0], kind::HISTOGRAMS);
        assert_eq!(recs[1][0], kind::CUSTOM_HISTOGRAMS);
        assert_eq!(roundtrip(&recs[0]), Record::Histograms(vec![hs[0].clone()]));
        assert_eq!(roundtrip(&recs[1]), Record::Histograms(vec![hs[1].clone()]));

        let fh = RefFloatHistogram {
            series_ref: 4,
            t: 5,
            h: hs[1].h.to_float(),
        };
        let recs = encode_float_histograms(std::slice::from_ref(&fh));
        assert_eq!(recs[0][0], kind::CUSTOM_FLOAT_HISTOGRAMS);
        assert_eq!(roundtrip(&recs[0]), Record::FloatHistograms(vec![fh]));
    }

    #[test]
    fn tombstones_metadata_and_unknown() {
        let ts = vec![Tombstone {
            series_ref: 9,
            mint: -5,
            maxt: 10,
        }];
        let mut buf = Vec::new();
        encode_tombstones(&ts, &mut buf);
        assert_eq!(roundtrip(&buf), Record::Tombstones(ts));
        let md = vec![RefMetadata {
            series_ref: 300,
            metric_type: 1,
            unit: "seconds".into(),
            help: "h".into(),
        }];
        buf.clear();
        encode_metadata(&md, &mut buf);
        assert_eq!(roundtrip(&buf), Record::Metadata(md));
        assert_eq!(roundtrip(&[4, 1, 2]), Record::Skipped(4));
    }

    #[test]
    fn truncated_records_are_errors_not_panics() {
        let mut buf = Vec::new();
        encode_series(
            &[RefSeries {
                series_ref: 1,
                labels: Labels::from_pairs([("a", "b")]),
            }],
            &mut buf,
        );
        for cut in 2..buf.len() {
            assert!(decode(&buf[..cut], Path::new("seg"), 0).is_err(), "cut at {cut}");
        }
        assert!(decode(&[], Path::new("seg"), 0).is_err());
        // A huge element count is rejected without allocating.
        assert!(
            decode(
                &[2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff],
                Path::new("s"),
                0
            )
            .is_err()
        );
    }
}
