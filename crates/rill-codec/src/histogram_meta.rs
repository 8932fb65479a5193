//! Pieces shared by the two native-histogram chunk encodings (`tsdb/chunkenc/histogram_meta.go`,
//! `varbit.go` and the XOR value coding of `xor.go` in Prometheus).
//!
//! Both chunk kinds start with the same 3-byte header (sample count `u16` BE, then a flags byte
//! whose top two bits are the [`CounterResetHeader`]), followed by the *layout* of the first
//! sample: zero threshold, schema, positive and negative spans, and for schema -53 the custom
//! bucket bounds. Integers inside the bit stream use Prometheus's "varbit" code: a unary prefix
//! of up to eight `1` bits selects a payload width of 0, 3, 6, 9, 12, 18, 25, 56 or 64 bits.
//! Readers return `None` on truncated or inconsistent input and never panic.

use rill_model::Span;
use rill_model::histogram::CUSTOM_BUCKETS_SCHEMA;

use crate::bstream::{BitReader, BitWriter};

/// Length of the header of histogram chunks: sample count (2 bytes) and flags (1 byte).
pub const HISTOGRAM_HEADER_LEN: usize = 3;

/// Payload widths selected by 0..=8 leading one bits of a varbit prefix (64 for eight ones).
const VARBIT_WIDTHS: [u32; 9] = [0, 3, 6, 9, 12, 18, 25, 56, 64];

/// The chunk header (what the writer knew about a counter reset) and the hints samples read
/// back with: defined in `rill-model`, which the in-memory store shares with the codecs.
pub use rill_model::CounterResetHeader;

/// Splits a histogram chunk into its header and bit stream; `None` if shorter than the header.
pub(crate) fn split_header(chunk: &[u8]) -> Option<(u16, CounterResetHeader, &[u8])> {
    let (header, rest) = chunk.split_first_chunk::<HISTOGRAM_HEADER_LEN>()?;
    let num = u16::from_be_bytes([header[0], header[1]]);
    Some((num, CounterResetHeader::from_flags(header[2]), rest))
}

/// A new chunk buffer holding only the header with `header` flags and zero samples.
pub(crate) fn new_chunk_writer(header: CounterResetHeader) -> BitWriter {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(&[0, 0, header.to_flags()]);
    BitWriter::from_bytes(buf)
}

/// Stores the sample count and the counter reset header of a chunk being written.
pub(crate) fn patch_header(w: &mut BitWriter, num: u16, header: CounterResetHeader) {
    if let Some(h) = w.bytes_mut().first_chunk_mut::<HISTOGRAM_HEADER_LEN>() {
        let [a, b] = num.to_be_bytes();
        *h = [a, b, (h[2] & 0b0011_1111) | header.to_flags()];
    }
}

/// The layout every sample of one histogram chunk shares, stored once after the header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HistogramLayout {
    /// Bucket schema (-4..=8, or -53 for custom buckets).
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Bucket upper bounds (schema -53 only).
    pub custom_values: Vec<f64>,
}

impl HistogramLayout {
    /// Whether Prometheus knows `schema` (exponential -4..=8 or custom buckets).
    pub fn is_known_schema(schema: i32) -> bool {
        (-4..=8).contains(&schema) || schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Number of positive and negative buckets the spans describe.
    pub fn bucket_counts(&self) -> (usize, usize) {
        (count_buckets(&self.positive_spans), count_buckets(&self.negative_spans))
    }

    /// Writes the layout as Prometheus's `writeHistogramChunkLayout` does.
    pub(crate) fn write(&self, w: &mut BitWriter) {
        write_zero_threshold(w, self.zero_threshold);
        write_varbit_int(w, i64::from(self.schema));
        write_spans(w, &self.positive_spans);
        write_spans(w, &self.negative_spans);
        if self.schema == CUSTOM_BUCKETS_SCHEMA {
            write_varbit_uint(w, self.custom_values.len() as u64);
            for &v in &self.custom_values {
                write_custom_bound(w, v);
            }
        }
    }

    /// Reads a layout; `None` if truncated, or if it claims more buckets than `budget_bits`
    /// bits of remaining data could hold (each bucket costs at least one bit per sample).
    pub(crate) fn read(r: &mut BitReader<'_>, budget_bits: usize) -> Option<Self> {
        let zero_threshold = read_zero_threshold(r)?;
        let schema = i32::try_from(read_varbit_int(r)?).ok()?;
        let positive_spans = read_spans(r)?;
        let negative_spans = read_spans(r)?;
        let mut custom_values = Vec::new();
        if schema == CUSTOM_BUCKETS_SCHEMA {
            let n = read_varbit_uint(r)?;
            for _ in 0..n {
                custom_values.push(read_custom_bound(r)?);
            }
        }
        let layout = Self {
            schema,
            zero_threshold,
            positive_spans,
            negative_spans,
            custom_values,
        };
        let (p, n) = layout.bucket_counts();
        (p.saturating_add(n) <= budget_bits).then_some(layout)
    }
}

/// Total number of buckets covered by `spans` (saturating, so corrupt lengths cannot overflow).
pub(crate) fn count_buckets(spans: &[Span]) -> usize {
    spans
        .iter()
        .fold(0usize, |acc, s| acc.saturating_add(s.length as usize))
}

fn write_spans(w: &mut BitWriter, spans: &[Span]) {
    write_varbit_uint(w, spans.len() as u64);
    for s in spans {
        write_varbit_uint(w, u64::from(s.length));
        write_varbit_int(w, i64::from(s.offset));
    }
}

fn read_spans(r: &mut BitReader<'_>) -> Option<Vec<Span>> {
    let n = read_varbit_uint(r)?;
    let mut spans = Vec::new();
    for _ in 0..n {
        let length = u32::try_from(read_varbit_uint(r)?).ok()?;
        let offset = i32::try_from(read_varbit_int(r)?).ok()?;
        spans.push(Span { offset, length });
    }
    Some(spans)
}

/// Zero threshold: `0` → byte 0; a power of two 2^-243..=2^10 → one byte (exponent + 243);
/// anything else → byte 255 and the 64 float bits.
fn write_zero_threshold(w: &mut BitWriter, threshold: f64) {
    if threshold == 0.0 {
        w.write_byte(0);
        return;
    }
    match frexp_half_exponent(threshold) {
        Some(exp) if (-242..=11).contains(&exp) => w.write_byte((exp + 243) as u8),
        _ => {
            w.write_byte(255);
            w.write_bits(threshold.to_bits(), 64);
        }
    }
}

/// For `x = 0.5 * 2^exp` exactly (a positive normal power of two), returns `exp` as Go's
/// `math.Frexp` would; `None` for every other value.
fn frexp_half_exponent(x: f64) -> Option<i32> {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let is_power_of_two = x > 0.0 && bits & ((1u64 << 52) - 1) == 0 && biased != 0 && biased != 0x7ff;
    is_power_of_two.then_some(biased - 1022)
}

fn read_zero_threshold(r: &mut BitReader<'_>) -> Option<f64> {
    match r.read_byte()? {
        0 => Some(0.0),
        255 => Some(f64::from_bits(r.read_bits(64)?)),
        b => Some(ldexp_half(i32::from(b) - 243)),
    }
}

/// `0.5 * 2^exp` for `exp` in -242..=11 (always a normal float).
fn ldexp_half(exp: i32) -> f64 {
    f64::from_bits(((exp + 1022) as u64) << 52)
}

/// Custom bucket bound: multiples of 0.001 in `0..=33554.43` as varbit `x*1000 + 1`; anything
/// else as a `0` bit followed by the 64 float bits.
fn write_custom_bound(w: &mut BitWriter, v: f64) {
    let scaled = v * 1000.0;
    let whole = (scaled.round() / 1000.0) == v;
    if (0.0..=33_554_430.0).contains(&scaled) && whole {
        write_varbit_uint(w, scaled.round() as u64 + 1);
    } else {
        w.write_bit(false);
        w.write_bits(v.to_bits(), 64);
    }
}

fn read_custom_bound(r: &mut BitReader<'_>) -> Option<f64> {
    match read_varbit_uint(r)? {
        0 => Some(f64::from_bits(r.read_bits(64)?)),
        n => Some((n - 1) as f64 / 1000.0),
    }
}

/// Whether `x` fits the signed `nbits` varbit bucket (`-(2^(n-1)-1) ..= 2^(n-1)`).
fn fits_signed(x: i64, nbits: u32) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

/// Writes a signed varbit integer (Prometheus `putVarbitInt`).
pub(crate) fn write_varbit_int(w: &mut BitWriter, v: i64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (ones, &width) in VARBIT_WIDTHS.iter().enumerate().skip(1) {
        if width == 64 || fits_signed(v, width) {
            write_prefix(w, ones as u32);
            w.write_bits(v as u64, width);
            return;
        }
    }
}

/// Writes an unsigned varbit integer (Prometheus `putVarbitUint`).
pub(crate) fn write_varbit_uint(w: &mut BitWriter, v: u64) {
    if v == 0 {
        w.write_bit(false);
        return;
    }
    for (ones, &width) in VARBIT_WIDTHS.iter().enumerate().skip(1) {
        if width == 64 || v >> width == 0 {
            write_prefix(w, ones as u32);
            w.write_bits(v, width);
            return;
        }
    }
}

/// `ones` one bits, then a terminating zero unless the prefix is the full eight ones.
fn write_prefix(w: &mut BitWriter, ones: u32) {
    if ones == 8 {
        w.write_bits(0xff, 8);
    } else {
        w.write_bits(((1u64 << ones) - 1) << 1, ones + 1);
    }
}

/// Reads a signed varbit integer; `None` at the end of data.
pub(crate) fn read_varbit_int(r: &mut BitReader<'_>) -> Option<i64> {
    let width = *VARBIT_WIDTHS.get(r.read_unary(8)? as usize)?;
    match width {
        0 => Some(0),
        64 => Some(r.read_bits(64)? as i64),
        _ => {
            let bits = r.read_bits(width)?;
            Some(if bits > (1u64 << (width - 1)) {
                bits.wrapping_sub(1u64 << width) as i64
            } else {
                bits as i64
            })
        }
    }
}

/// Reads an unsigned varbit integer; `None` at the end of data.
pub(crate) fn read_varbit_uint(r: &mut BitReader<'_>) -> Option<u64> {
    let width = *VARBIT_WIDTHS.get(r.read_unary(8)? as usize)?;
    r.read_bits(width)
}

/// One Gorilla-XOR-coded float field with its leading/trailing-zero window
/// (Prometheus's `xorWrite` / `xorRead`, shared with every histogram field coded that way).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct XorField {
    /// Bits of the current value.
    pub bits: u64,
    leading: u8,
    trailing: u8,
}

impl XorField {
    /// State of a writer before its first XOR-coded value (no window yet).
    pub fn for_writer(v: f64) -> Self {
        Self {
            bits: v.to_bits(),
            leading: 0xff,
            trailing: 0,
        }
    }

    /// State of a reader after the raw first value.
    pub fn for_reader(bits: u64) -> Self {
        Self {
            bits,
            leading: 0,
            trailing: 0,
        }
    }

    /// The current value.
    pub fn value(&self) -> f64 {
        f64::from_bits(self.bits)
    }

    /// Appends `v` XORed with the current value and makes it current.
    pub fn write(&mut self, w: &mut BitWriter, v: f64) {
        let vbits = v.to_bits();
        let delta = vbits ^ self.bits;
        self.bits = vbits;
        if delta == 0 {
            w.write_bit(false);
            return;
        }
        w.write_bit(true);
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            w.write_bit(false);
            w.write_bits(
                delta >> self.trailing,
                64 - u32::from(self.leading) - u32::from(self.trailing),
            );
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        w.write_bit(true);
        w.write_bits(u64::from(leading), 5);
        let sig = 64 - u32::from(leading) - u32::from(trailing);
        w.write_bits(u64::from(sig & 63), 6);
        w.write_bits(delta >> trailing, sig);
    }

    /// Reads the next XOR-coded value; `None` if truncated or inconsistent.
    pub fn read(&mut self, r: &mut BitReader<'_>) -> Option<()> {
        match r.read_unary(2)? {
            0 => return Some(()),
            1 => {}
            _ => {
                let b = r.read_bits_short(11)? as u32;
                let leading = b >> 6;
                let sig = match b & 63 {
                    0 => 64,
                    s => s,
                };
                self.trailing = u8::try_from(64u32.checked_sub(leading + sig)?).ok()?;
                self.leading = leading as u8;
            }
        }
        let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
        let bits = r.read_bits(sig)?;
        self.bits ^= bits.checked_shl(u32::from(self.trailing)).unwrap_or(0);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn zero_threshold_encodings() {
        for (t, raw) in [
            (0.0, false),
            (2f64.powi(-128), false),
            (1024.0, false),
            (0.001, true),
            (2048.0, true),
        ] {
            let mut w = BitWriter::default();
            write_zero_threshold(&mut w, t);
            assert_eq!(w.bytes().first() == Some(&255), raw, "threshold {t}");
            let mut r = BitReader::new(w.bytes());
            assert_eq!(read_zero_threshold(&mut r), Some(t));
        }
        // Prometheus's default threshold 2^-128 is the byte 116.
        let mut w = BitWriter::default();
        write_zero_threshold(&mut w, 2f64.powi(-128));
        assert_eq!(w.bytes().first(), Some(&116));
    }

    #[test]
    fn custom_bounds_round_trip() {
        for v in [0.0, 0.001, 0.5, 1.0, 33_554.43, 33_554.431, -1.0, 0.0001, f64::INFINITY] {
            let mut w = BitWriter::default();
            write_custom_bound(&mut w, v);
            let mut r = BitReader::new(w.bytes());
            assert_eq!(read_custom_bound(&mut r), Some(v), "bound {v}");
        }
    }

    proptest! {
        #[test]
        fn varbits_round_trip(vals in proptest::collection::vec(any::<i64>(), 0..40), small in -3000i64..3000) {
            let mut w = BitWriter::default();
            for v in vals.iter().copied().chain([small, 0, 4, -3, 5, 1 << 24, 1 << 55]) {
                write_varbit_int(&mut w, v);
                write_varbit_uint(&mut w, v as u64);
            }
            let mut r = BitReader::new(w.bytes());
            for v in vals.iter().copied().chain([small, 0, 4, -3, 5, 1 << 24, 1 << 55]) {
                prop_assert_eq!(read_varbit_int(&mut r), Some(v));
                prop_assert_eq!(read_varbit_uint(&mut r), Some(v as u64));
            }
        }

        #[test]
        fn xor_fields_round_trip(vals in proptest::collection::vec(any::<f64>(), 1..40)) {
            let mut w = BitWriter::default();
            let mut wf = XorField::for_writer(0.0);
            for &v in &vals {
                wf.write(&mut w, v);
            }
            let mut r = BitReader::new(w.bytes());
            let mut rf = XorField::for_reader(0);
            for &v in &vals {
                prop_assert!(rf.read(&mut r).is_some());
                prop_assert_eq!(rf.bits, v.to_bits());
            }
        }
    }
}
