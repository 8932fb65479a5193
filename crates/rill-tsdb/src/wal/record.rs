//! WAL record bodies in Prometheus's encoding (`tsdb/record`): series, samples, tombstones,
//! integer and float histogram samples (incl. the custom-bucket record types) and metadata.
//! See `docs/format/wal.md`. Decoding never panics: malformed bodies give [`Error::Corrupt`]
//! naming the segment and the record's offset.

use std::path::Path;

use rill_codec::histogram_chunk::IntHistogram;
use rill_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use rill_model::{CounterResetHint, FloatHistogram, Label, Labels, Span};

use crate::decbuf::Decbuf;
use crate::error::Result;

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

fn hint_byte(h: CounterResetHint) -> u8 {
    match h {
        CounterResetHint::Unknown => 0,
        CounterResetHint::CounterReset => 1,
        CounterResetHint::NotCounterReset => 2,
        CounterResetHint::Gauge => 3,
    }
}

fn hint_from_byte(b: u8) -> CounterResetHint {
    match b {
        1 => CounterResetHint::CounterReset,
        2 => CounterResetHint::NotCounterReset,
        3 => CounterResetHint::Gauge,
        _ => CounterResetHint::Unknown,
    }
}

fn write_spans(spans: &[Span], out: &mut Vec<u8>) {
    out.uvarint(spans.len() as u64);
    for s in spans {
        out.varint(i64::from(s.offset));
        out.uvarint(u64::from(s.length));
    }
}

fn write_custom(schema: i32, custom: &[f64], out: &mut Vec<u8>) {
    if schema == CUSTOM_BUCKETS_SCHEMA {
        out.uvarint(custom.len() as u64);
        for v in custom {
            out.be64(v.to_bits());
        }
    }
}

fn write_int_histogram(h: &IntHistogram, out: &mut Vec<u8>) {
    out.push(hint_byte(h.counter_reset_hint));
    out.varint(i64::from(h.schema));
    out.be64(h.zero_threshold.to_bits());
    out.uvarint(h.zero_count);
    out.uvarint(h.count);
    out.be64(h.sum.to_bits());
    write_spans(&h.positive_spans, out);
    write_spans(&h.negative_spans, out);
    for buckets in [&h.positive_buckets, &h.negative_buckets] {
        out.uvarint(buckets.len() as u64);
        let mut prev = 0i64;
        for &b in buckets {
            out.varint((b as i64).wrapping_sub(prev));
            prev = b as i64;
        }
    }
    write_custom(h.schema, &h.custom_values, out);
}

fn write_float_histogram(h: &FloatHistogram, out: &mut Vec<u8>) {
    out.push(hint_byte(h.counter_reset_hint));
    out.varint(i64::from(h.schema));
    for v in [h.zero_threshold, h.zero_count, h.count, h.sum] {
        out.be64(v.to_bits());
    }
    write_spans(&h.positive_spans, out);
    write_spans(&h.negative_spans, out);
    for buckets in [&h.positive_buckets, &h.negative_buckets] {
        out.uvarint(buckets.len() as u64);
        for b in buckets {
            out.be64(b.to_bits());
        }
    }
    write_custom(h.schema, &h.custom_values, out);
}

/// Encodes histogram samples of either kind into one record of type `exp_kind` (exponential
/// schemas) and/or one of type `custom_kind` (custom buckets), as Prometheus does so older
/// readers skip what they cannot read. Empty groups produce no record.
fn encode_histogram_groups<T>(
    items: &[T],
    exp_kind: u8,
    custom_kind: u8,
    key: impl Fn(&T) -> (u64, i64, i32),
    write: impl Fn(&T, &mut Vec<u8>),
) -> Vec<Vec<u8>> {
    let (custom, exp): (Vec<&T>, Vec<&T>) = items.iter().partition(|h| key(h).2 == CUSTOM_BUCKETS_SCHEMA);
    [(exp_kind, exp), (custom_kind, custom)]
        .into_iter()
        .filter(|(_, g)| !g.is_empty())
        .map(|(typ, g)| {
            let mut out = Vec::new();
            encode_batch(
                typ,
                &g,
                |h| {
                    let (r, t, _) = key(h);
                    (r, t)
                },
                |h, o| write(h, o),
                &mut out,
            );
            out
        })
        .collect()
}

/// Encodes integer histogram samples into a type 7 and/or a type 9 (custom buckets) record.
pub fn encode_histograms(hs: &[RefHistogram]) -> Vec<Vec<u8>> {
    encode_histogram_groups(
        hs,
        kind::HISTOGRAMS,
        kind::CUSTOM_HISTOGRAMS,
        |h| (h.series_ref, h.t, h.h.schema),
        |h, o| write_int_histogram(&h.h, o),
    )
}

/// Encodes float histogram samples into a type 8 and/or a type 10 (custom buckets) record.
pub fn encode_float_histograms(hs: &[RefFloatHistogram]) -> Vec<Vec<u8>> {
    encode_histogram_groups(
        hs,
        kind::FLOAT_HISTOGRAMS,
        kind::CUSTOM_FLOAT_HISTOGRAMS,
        |h| (h.series_ref, h.t, h.h.schema),
        |h, o| write_float_histogram(&h.h, o),
    )
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

fn read_spans(d: &mut Decbuf<'_>) -> Result<Vec<Span>> {
    let n = read_len(d)?;
    let mut spans = Vec::with_capacity(n);
    for _ in 0..n {
        let offset = d.varint()?;
        let offset = i32::try_from(offset).map_err(|_| d.error(format!("span offset {offset} out of range")))?;
        spans.push(Span {
            offset,
            length: d.uvarint32()?,
        });
    }
    Ok(spans)
}

fn read_schema(d: &mut Decbuf<'_>) -> Result<i32> {
    let s = d.varint()?;
    i32::try_from(s).map_err(|_| d.error(format!("histogram schema {s} out of range")))
}

fn read_custom(d: &mut Decbuf<'_>, schema: i32) -> Result<Vec<f64>> {
    if schema != CUSTOM_BUCKETS_SCHEMA {
        return Ok(Vec::new());
    }
    let n = read_len(d)?;
    (0..n).map(|_| read_f64(d)).collect()
}

/// What integer and float histograms share in a record, in the order it is encoded; `C` is
/// the type of the counts (`u64` or `f64`), `B` that of the buckets.
struct HistogramParts<C, B> {
    counter_reset_hint: CounterResetHint,
    schema: i32,
    zero_threshold: f64,
    zero_count: C,
    count: C,
    sum: f64,
    positive_spans: Vec<Span>,
    negative_spans: Vec<Span>,
    positive_buckets: Vec<B>,
    negative_buckets: Vec<B>,
    custom_values: Vec<f64>,
}

/// Reads a histogram; `count` reads one count, `buckets` one bucket list.
fn read_histogram_parts<C, B>(
    d: &mut Decbuf<'_>,
    count: fn(&mut Decbuf<'_>) -> Result<C>,
    buckets: fn(&mut Decbuf<'_>) -> Result<Vec<B>>,
) -> Result<HistogramParts<C, B>> {
    let counter_reset_hint = hint_from_byte(d.byte()?);
    let schema = read_schema(d)?;
    Ok(HistogramParts {
        counter_reset_hint,
        schema,
        zero_threshold: read_f64(d)?,
        zero_count: count(d)?,
        count: count(d)?,
        sum: read_f64(d)?,
        positive_spans: read_spans(d)?,
        negative_spans: read_spans(d)?,
        positive_buckets: buckets(d)?,
        negative_buckets: buckets(d)?,
        custom_values: read_custom(d, schema)?,
    })
}

/// Builds `$ty` (`IntHistogram` or `FloatHistogram`, which have the same fields) from parts.
macro_rules! histogram_from_parts {
    ($ty:ident, $parts:expr) => {{
        let p = $parts;
        $ty {
            counter_reset_hint: p.counter_reset_hint,
            schema: p.schema,
            zero_threshold: p.zero_threshold,
            zero_count: p.zero_count,
            count: p.count,
            sum: p.sum,
            positive_spans: p.positive_spans,
            negative_spans: p.negative_spans,
            positive_buckets: p.positive_buckets,
            negative_buckets: p.negative_buckets,
            custom_values: p.custom_values,
        }
    }};
}

/// Integer buckets: a count, then each bucket as a delta to the previous one.
fn read_int_buckets(d: &mut Decbuf<'_>) -> Result<Vec<u64>> {
    let n = read_len(d)?;
    let mut acc = 0i64;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        acc = acc.wrapping_add(d.varint()?);
        out.push(acc as u64);
    }
    Ok(out)
}

/// Float buckets: a count, then each bucket's bits.
fn read_float_buckets(d: &mut Decbuf<'_>) -> Result<Vec<f64>> {
    let n = read_len(d)?;
    (0..n).map(|_| read_f64(d)).collect()
}

fn read_int_histogram(d: &mut Decbuf<'_>) -> Result<IntHistogram> {
    let parts = read_histogram_parts(d, |d| d.uvarint(), read_int_buckets)?;
    Ok(histogram_from_parts!(IntHistogram, parts))
}

fn read_float_histogram(d: &mut Decbuf<'_>) -> Result<FloatHistogram> {
    let parts = read_histogram_parts(d, read_f64, read_float_buckets)?;
    Ok(histogram_from_parts!(FloatHistogram, parts))
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
