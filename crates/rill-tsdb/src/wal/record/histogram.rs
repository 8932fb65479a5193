//! Histogram sample records (types 7-10): integer and float native histograms, with the
//! custom-bucket schema in their own record types as Prometheus writes them.

use rill_codec::histogram_chunk::IntHistogram;
use rill_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use rill_model::{CounterResetHint, FloatHistogram, Span};

use super::{Encbuf, RefFloatHistogram, RefHistogram, encode_batch, kind, read_f64, read_len};
use crate::decbuf::Decbuf;
use crate::error::Result;

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

pub(super) fn read_int_histogram(d: &mut Decbuf<'_>) -> Result<IntHistogram> {
    let parts = read_histogram_parts(d, |d| d.uvarint(), read_int_buckets)?;
    Ok(histogram_from_parts!(IntHistogram, parts))
}

pub(super) fn read_float_histogram(d: &mut Decbuf<'_>) -> Result<FloatHistogram> {
    let parts = read_histogram_parts(d, read_f64, read_float_buckets)?;
    Ok(histogram_from_parts!(FloatHistogram, parts))
}
