//! Prometheus's XOR float chunk (Gorilla encoding), byte-exact with `tsdb/chunkenc/xor.go`.
//!
//! Layout (see `docs/xor-chunk.md` for the full specification):
//!
//! ```text
//! ┌──────────────┬──────────────────┬────────────┬────────────────────┬────────────────┬─────┐
//! │ n: u16 BE    │ t0: varint       │ v0: 64 bit │ Δt1: uvarint       │ v1: xor        │ ... │
//! └──────────────┴──────────────────┴────────────┴────────────────────┴────────────────┴─────┘
//!   sample i ≥ 2:  delta-of-delta timestamp  ('0' | '10'+14b | '110'+17b | '1110'+20b | '1111'+64b)
//!                  then the value XORed with the previous one
//!                  ('0' same | '10' reuse window + bits | '11' + 5b leading + 6b length + bits)
//! ```
//!
//! [`XorEncoder`] appends samples; [`XorIterator`] decodes a borrowed chunk without allocating
//! and returns [`Error::CorruptChunk`] (never panics) on truncated or inconsistent input.

use crate::bstream::{BitReader, BitWriter, put_uvarint, put_varint};
use crate::{Error, Result};

/// Size of the sample-count header that starts every XOR chunk.
pub const XOR_HEADER_LEN: usize = 2;

/// Appends float samples to a new XOR chunk.
///
/// Samples must be appended in timestamp order for the chunk to be useful to Prometheus, but the
/// encoding itself accepts any order (deltas wrap like Go's integer arithmetic).
#[derive(Debug, Clone)]
pub struct XorEncoder {
    w: BitWriter,
    num: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl XorEncoder {
    /// Creates an empty chunk (just the zero sample-count header).
    pub fn new() -> Self {
        Self::with_capacity(128)
    }

    /// Creates an empty chunk whose buffer can hold `bytes` bytes before reallocating.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(bytes.max(XOR_HEADER_LEN));
        buf.extend_from_slice(&[0, 0]);
        Self {
            w: BitWriter::from_bytes(buf),
            num: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// Appends one sample. Fails with [`Error::ChunkFull`] once the chunk holds `u16::MAX`
    /// samples, the most its header can count.
    #[inline]
    pub fn append(&mut self, t: i64, v: f64) -> Result<()> {
        let vbits = v.to_bits();
        let mut t_delta = 0u64;
        let mut tmp = [0u8; 10];
        match self.num {
            0 => {
                let n = put_varint(&mut tmp, t);
                for &b in tmp.iter().take(n) {
                    self.w.write_byte(b);
                }
                self.w.write_bits(vbits, 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let n = put_uvarint(&mut tmp, t_delta);
                for &b in tmp.iter().take(n) {
                    self.w.write_byte(b);
                }
                self.write_value(vbits);
            }
            u16::MAX => return Err(Error::ChunkFull { max: u16::MAX }),
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.w.write_bit(false);
                } else if bit_range(dod, 14) {
                    self.w.write_bits(0b10, 2);
                    self.w.write_bits(dod as u64, 14);
                } else if bit_range(dod, 17) {
                    self.w.write_bits(0b110, 3);
                    self.w.write_bits(dod as u64, 17);
                } else if bit_range(dod, 20) {
                    self.w.write_bits(0b1110, 4);
                    self.w.write_bits(dod as u64, 20);
                } else {
                    self.w.write_bits(0b1111, 4);
                    self.w.write_bits(dod as u64, 64);
                }
                self.write_value(vbits);
            }
        }
        self.t = t;
        self.v = vbits;
        self.t_delta = t_delta;
        self.num += 1;
        if let Some(h) = self.w.bytes_mut().first_chunk_mut::<2>() {
            *h = self.num.to_be_bytes();
        }
        Ok(())
    }

    #[inline]
    fn write_value(&mut self, vbits: u64) {
        let delta = vbits ^ self.v;
        if delta == 0 {
            self.w.write_bit(false);
            return;
        }
        self.w.write_bit(true);
        // Prometheus caps leading zeros at 31 so that they fit the 5-bit field.
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.w.write_bit(false);
            let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
            self.w.write_bits(delta >> self.trailing, sig);
        } else {
            self.leading = leading;
            self.trailing = trailing;
            self.w.write_bit(true);
            self.w.write_bits(u64::from(leading), 5);
            let sig = 64 - u32::from(leading) - u32::from(trailing);
            // 64 significant bits do not fit in 6 bits; they are written as 0 (never a real length).
            self.w.write_bits(u64::from(sig & 63), 6);
            self.w.write_bits(delta >> trailing, sig);
        }
    }

    /// The chunk bytes so far, header included; a valid chunk at every point.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Consumes the encoder and returns the chunk bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }

    /// Number of samples appended so far.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.num
    }

    /// Timestamp of the last appended sample, if any (the chunk's max time).
    pub fn last_timestamp(&self) -> Option<i64> {
        (self.num > 0).then_some(self.t)
    }
}

/// Whether `x` fits the `nbits` two's-complement field as Prometheus defines it: the range is
/// `-(2^(nbits-1) - 1) ..= 2^(nbits-1)` (asymmetric, matching the decoder's sign fix-up).
#[inline(always)]
fn bit_range(x: i64, nbits: u32) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

/// Decodes an XOR chunk borrowed from a byte slice, one sample at a time, without allocating.
///
/// Use [`XorIterator::next_sample`] on hot paths, or the [`Iterator`] impl (which yields
/// `Result<(i64, f64)>` and stops after the first error).
#[derive(Debug, Clone)]
pub struct XorIterator<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u32,
    trailing: u32,
    failed: bool,
}

impl<'a> XorIterator<'a> {
    /// Starts decoding `chunk` (header included). Fails if the header is missing.
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let (header, rest) = chunk.split_first_chunk::<2>().ok_or(Error::CorruptChunk {
            reason: "chunk shorter than its 2-byte header",
        })?;
        Ok(Self {
            r: BitReader::new(rest),
            total: u16::from_be_bytes(*header),
            read: 0,
            t: i64::MIN,
            v: 0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
            failed: false,
        })
    }

    /// Restarts on another chunk, reusing this iterator.
    pub fn reset(&mut self, chunk: &'a [u8]) -> Result<()> {
        *self = Self::new(chunk)?;
        Ok(())
    }

    /// Number of samples the chunk header declares.
    #[inline]
    pub fn num_samples(&self) -> u16 {
        self.total
    }

    /// The sample most recently returned; `(i64::MIN, 0.0)` before the first one.
    #[inline]
    pub fn at(&self) -> (i64, f64) {
        (self.t, f64::from_bits(self.v))
    }

    /// Decodes the next sample. `Ok(None)` once all samples declared by the header were read;
    /// an error if the data is truncated or inconsistent (the iterator then stays exhausted).
    #[inline]
    pub fn next_sample(&mut self) -> Result<Option<(i64, f64)>> {
        if self.read >= self.total || self.failed {
            return Ok(None);
        }
        match self.decode() {
            Some(()) => {
                self.read += 1;
                Ok(Some((self.t, f64::from_bits(self.v))))
            }
            None => {
                self.failed = true;
                Err(Error::CorruptChunk {
                    reason: "truncated or inconsistent XOR chunk",
                })
            }
        }
    }

    #[inline(always)]
    fn decode(&mut self) -> Option<()> {
        match self.read {
            0 => {
                self.t = self.r.read_varint()?;
                self.v = self.r.read_bits(64)?;
                Some(())
            }
            1 => {
                self.t_delta = self.r.read_uvarint()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.decode_value()
            }
            _ => {
                let dod = match self.r.read_unary(4)? {
                    0 => 0,
                    1 => sign_extend(self.r.read_bits_short(14)?, 14),
                    2 => sign_extend(self.r.read_bits_short(17)?, 17),
                    3 => sign_extend(self.r.read_bits_short(20)?, 20),
                    _ => self.r.read_bits(64)? as i64,
                };
                self.t_delta = self.t_delta.wrapping_add(dod as u64);
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.decode_value()
            }
        }
    }

    #[inline(always)]
    fn decode_value(&mut self) -> Option<()> {
        match self.r.read_unary(2)? {
            0 => return Some(()),
            1 => {}
            _ => {
                let b = self.r.read_bits_short(11)? as u32;
                let leading = b >> 6;
                let mut sig = b & 63;
                if sig == 0 {
                    sig = 64;
                }
                // A corrupt header may claim more bits than fit after the leading zeros.
                self.trailing = 64u32.checked_sub(leading + sig)?;
                self.leading = leading;
            }
        }
        let sig = 64 - self.leading - self.trailing;
        let bits = self.r.read_bits(sig)?;
        self.v ^= bits.checked_shl(self.trailing).unwrap_or(0);
        Some(())
    }

    /// Advances to the first sample with timestamp `>= t` and returns it; the current sample is
    /// returned again if it already qualifies. `Ok(None)` if no such sample exists.
    pub fn seek(&mut self, t: i64) -> Result<Option<(i64, f64)>> {
        if self.read > 0 && self.t >= t {
            return Ok(Some(self.at()));
        }
        while let Some((st, sv)) = self.next_sample()? {
            if st >= t {
                return Ok(Some((st, sv)));
            }
        }
        Ok(None)
    }

    /// Decodes all remaining samples, appending them to `ts` and `vs`; returns how many.
    /// Reserves once from the header count, so decoding itself does not reallocate.
    pub fn decode_into(&mut self, ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<usize> {
        let remaining = usize::from(self.total.saturating_sub(self.read));
        ts.reserve(remaining);
        vs.reserve(remaining);
        let mut n = 0;
        while let Some((t, v)) = self.next_sample()? {
            ts.push(t);
            vs.push(v);
            n += 1;
        }
        Ok(n)
    }
}

impl Iterator for XorIterator<'_> {
    type Item = Result<(i64, f64)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.next_sample().transpose()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = if self.failed {
            0
        } else {
            usize::from(self.total.saturating_sub(self.read))
        };
        (0, Some(rest))
    }
}

/// Interprets the low `sz` bits as Prometheus does: values above `2^(sz-1)` are negative.
#[inline(always)]
fn sign_extend(bits: u64, sz: u32) -> i64 {
    if bits > (1u64 << (sz - 1)) {
        bits.wrapping_sub(1u64 << sz) as i64
    } else {
        bits as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Prometheus's stale marker (`value.StaleNaN`).
    const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    fn encode(samples: &[(i64, f64)]) -> Vec<u8> {
        let mut e = XorEncoder::new();
        for &(t, v) in samples {
            e.append(t, v).expect("fewer than u16::MAX samples");
        }
        e.into_bytes()
    }

    fn decode(chunk: &[u8]) -> Result<Vec<(i64, u64)>> {
        XorIterator::new(chunk)?
            .map(|r| r.map(|(t, v)| (t, v.to_bits())))
            .collect()
    }

    fn assert_round_trip(samples: &[(i64, f64)]) {
        let chunk = encode(samples);
        let got = decode(&chunk).expect("own chunk decodes");
        let want: Vec<_> = samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn empty_chunk() {
        let chunk = encode(&[]);
        assert_eq!(chunk, vec![0, 0]);
        assert_eq!(decode(&chunk).expect("empty decodes"), vec![]);
    }

    /// Hand-derived bytes following Prometheus's bstream rules, including the empty trailing
    /// byte Prometheus leaves after whole-byte writes at a byte boundary.
    #[test]
    fn known_vector_matches_prometheus_layout() {
        // One sample: header 00 01, varint(1000) = d0 0f, 1.0 = 3f f0 00.., then the empty byte.
        let one = encode(&[(1000, 1.0)]);
        assert_eq!(one, vec![0, 1, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0]);

        // Second sample (t=2000, v=1.0): uvarint(1000) = e8 07, then '0' (same value).
        // Third (t=3000, v=2.0): dod 0 → '0'; xor = 0x7ff0.. ^ ... : 1.0 ^ 2.0 = 0x7ff0_0000_0000_0000
        //   leading 1, trailing 52, sig 11: '1' '1' 00001 001011 11111111111
        let three = encode(&[(1000, 1.0), (2000, 1.0), (3000, 2.0)]);
        let mut want = vec![0, 3, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07];
        // bits: 0 | 0 11 00001 001011 11111111111
        //  = 0011 0000 1001 0111 1111 1111 11 (+ 6 padding zeros)
        want.extend_from_slice(&[0b0011_0000, 0b1001_0111, 0b1111_1111, 0b1100_0000]);
        assert_eq!(three, want);
        assert_round_trip(&[(1000, 1.0), (2000, 1.0), (3000, 2.0)]);
    }

    #[test]
    fn dod_bucket_edges() {
        let mut samples = vec![(0, 0.0), (1_000, 1.0)];
        let mut t = 1_000i64;
        let mut delta = 1_000i64;
        for dod in [
            0i64,
            8192,
            -8191,
            -8192,
            8193,
            65536,
            -65535,
            -65536,
            65537,
            524_288,
            -524_287,
            -524_288,
            524_289,
            1 << 40,
            -(1 << 41),
        ] {
            delta += dod;
            t += delta;
            samples.push((t, t as f64));
        }
        assert_round_trip(&samples);
    }

    #[test]
    fn special_values() {
        assert_round_trip(&[
            (1, f64::NAN),
            (2, f64::from_bits(STALE_NAN)),
            (3, f64::INFINITY),
            (4, f64::NEG_INFINITY),
            (5, -0.0),
            (6, 0.0),
            (7, f64::MIN_POSITIVE),
            (8, f64::MAX),
            (9, f64::from_bits(1)),
            (10, f64::from_bits(STALE_NAN)),
        ]);
    }

    #[test]
    fn seek_and_at() {
        let samples: Vec<_> = (0..100).map(|i| (i * 15_000, i as f64)).collect();
        let chunk = encode(&samples);
        let mut it = XorIterator::new(&chunk).expect("valid chunk");
        assert_eq!(it.seek(30_001).expect("ok"), Some((45_000, 3.0)));
        assert_eq!(it.at(), (45_000, 3.0));
        assert_eq!(it.seek(10).expect("ok"), Some((45_000, 3.0)));
        assert_eq!(it.next_sample().expect("ok"), Some((60_000, 4.0)));
        assert_eq!(it.seek(10_000_000).expect("ok"), None);
    }

    #[test]
    fn truncation_is_an_error() {
        let samples: Vec<_> = (0..50).map(|i| (i * 15_001 + i * i, (i as f64).sqrt())).collect();
        let chunk = encode(&samples);
        for cut in 0..chunk.len() - 1 {
            let res = XorIterator::new(&chunk[..cut]).and_then(|it| it.collect::<Result<Vec<_>>>());
            assert!(res.is_err(), "cut at {cut} should fail");
        }
    }

    #[test]
    fn full_chunk_is_rejected() {
        let mut e = XorEncoder::new();
        for i in 0..u16::MAX {
            e.append(i64::from(i), 1.0).expect("room left");
        }
        assert!(matches!(e.append(0, 1.0), Err(Error::ChunkFull { .. })));
        assert_eq!(XorIterator::new(e.bytes()).expect("ok").count(), usize::from(u16::MAX));
    }

    fn value_strategy() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::from_bits(STALE_NAN)),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(0.0),
            (0u64..1000).prop_map(|x| x as f64),
            any::<u64>().prop_map(f64::from_bits),
        ]
    }

    fn delta_strategy() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(15_000i64),
            14_990i64..15_010,
            -600_000i64..600_000,
            any::<i64>(),
            Just(0),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(start in any::<i64>(),
                      steps in proptest::collection::vec((delta_strategy(), value_strategy()), 0..300)) {
            let mut t = start;
            let mut samples = Vec::with_capacity(steps.len());
            for (d, v) in steps {
                t = t.wrapping_add(d);
                samples.push((t, v));
            }
            let chunk = encode(&samples);
            let got = decode(&chunk).expect("own chunk decodes");
            let want: Vec<_> = samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200),
                                       seek in any::<i64>()) {
            if let Ok(mut it) = XorIterator::new(&data) {
                let mut n = 0usize;
                while let Ok(Some(_)) = it.next_sample() {
                    n += 1;
                }
                prop_assert!(n <= usize::from(it.num_samples()));
            }
            if let Ok(mut it) = XorIterator::new(&data) {
                let _ = it.seek(seek);
                let mut ts = Vec::new();
                let mut vs = Vec::new();
                let _ = it.decode_into(&mut ts, &mut vs);
            }
        }
    }
}
