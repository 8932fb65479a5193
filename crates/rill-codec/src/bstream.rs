//! Bit-level writer and reader used by the Gorilla-style chunk encodings.
//!
//! Bits are packed most-significant-bit first, as in Prometheus's `tsdb/chunkenc/bstream.go`.
//! The writer reproduces Prometheus's byte layout exactly, including one quirk that matters for
//! byte-exact chunks: writing a whole byte at a byte boundary leaves an allocated, still empty
//! byte at the end of the stream (Prometheus's `count == 8` state). A chunk whose last write was a
//! whole byte therefore ends with one zero byte, and we must produce it too.
//!
//! The reader is the hot path of every query: it keeps up to 64 bits in a left-aligned buffer and
//! refills it with one unaligned 8-byte load when at least 8 bytes remain. It never panics and
//! reports the end of the data as `None`.

/// Appends bits to a growable byte buffer, most significant bit first.
///
/// The state mirrors Prometheus's `bstream`: `free` is the number of unwritten low bits of the
/// last byte (0 means there is no partially written byte; 8 means the last byte was allocated but
/// holds no bits yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitWriter {
    buf: Vec<u8>,
    free: u32,
}

impl BitWriter {
    /// Creates a writer that continues after the given bytes, which are treated as complete.
    pub fn from_bytes(buf: Vec<u8>) -> Self {
        Self { buf, free: 0 }
    }

    /// The bytes written so far (the last byte may be partially filled, zero padded).
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Mutable access to the bytes, used to patch headers in place.
    #[inline]
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Consumes the writer and returns its bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Writes one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.buf.push(0);
            self.free = 8;
        }
        if bit && let Some(last) = self.buf.last_mut() {
            *last |= 1 << (self.free - 1);
        }
        self.free -= 1;
    }

    /// Writes one whole byte; always leaves a (possibly empty) trailing byte, like Prometheus.
    #[inline]
    pub fn write_byte(&mut self, byte: u8) {
        if self.free == 0 {
            self.buf.push(0);
            self.free = 8;
        }
        if let Some(last) = self.buf.last_mut() {
            // `free` is in 1..=8 here, so the shift is in 0..=7.
            *last |= byte >> (8 - self.free);
        }
        // `byte << 8` would overflow `u8`: widen first, the result is 0 when `free == 8`.
        self.buf.push(((u32::from(byte) << self.free) & 0xff) as u8);
    }

    /// Writes the `nbits` right-most bits of `value`, left to right. `nbits` must be in `1..=64`;
    /// 0 writes nothing.
    #[inline]
    pub fn write_bits(&mut self, value: u64, nbits: u32) {
        debug_assert!(nbits <= 64, "write_bits: nbits {nbits} > 64");
        if nbits == 0 || nbits > 64 {
            return;
        }
        let mut u = value << (64 - nbits);
        let mut n = nbits;
        while n >= 8 {
            self.write_byte((u >> 56) as u8);
            u <<= 8;
            n -= 8;
        }
        if n > 0 {
            self.write_small((u >> (64 - n)) as u32, n);
        }
    }

    /// Writes `n` (1..=7) right-most bits of `v`; same result as `n` calls of `write_bit`.
    #[inline]
    fn write_small(&mut self, v: u32, n: u32) {
        if self.free == 0 {
            self.buf.push(0);
            self.free = 8;
        }
        let Some(last) = self.buf.last_mut() else {
            return;
        };
        if n <= self.free {
            *last |= (v << (self.free - n)) as u8;
            self.free -= n;
        } else {
            let rest = n - self.free;
            *last |= (v >> rest) as u8;
            self.buf.push(((v << (8 - rest)) & 0xff) as u8);
            self.free = 8 - rest;
        }
    }
}

/// Reads bits from a byte slice, most significant bit first, without allocating.
///
/// Invariant: the `valid` most significant bits of `buf` are the next bits of the stream; the
/// bits below them are either zero or the correct following stream bits (an 8-byte refill may
/// load part of a byte it does not count yet; reloading it later ORs in the same bits).
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u64,
    valid: u32,
}

impl<'a> BitReader<'a> {
    /// Creates a reader positioned at the first bit of `data`.
    #[inline]
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            buf: 0,
            valid: 0,
        }
    }

    /// Loads bytes into the buffer so that at least 57 bits are valid unless the data ends.
    /// Precondition: `valid <= 56`.
    #[inline(always)]
    fn refill(&mut self) {
        debug_assert!(self.valid <= 56);
        if let Some(word) = self.data.get(self.pos..).and_then(|s| s.first_chunk::<8>()) {
            let w = u64::from_be_bytes(*word);
            self.buf |= w >> self.valid;
            let nbytes = (64 - self.valid) / 8;
            self.pos += nbytes as usize;
            self.valid += nbytes * 8;
        } else {
            self.refill_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn refill_slow(&mut self) {
        while self.valid <= 56 {
            let Some(&b) = self.data.get(self.pos) else {
                break;
            };
            self.buf |= u64::from(b) << (56 - self.valid);
            self.valid += 8;
            self.pos += 1;
        }
    }

    /// Reads one bit; `None` at the end of the data.
    #[inline(always)]
    pub fn read_bit(&mut self) -> Option<bool> {
        if self.valid == 0 {
            self.refill();
            if self.valid == 0 {
                return None;
            }
        }
        let bit = self.buf >> 63 == 1;
        self.buf <<= 1;
        self.valid -= 1;
        Some(bit)
    }

    /// Reads `nbits` (1..=56) bits as the low bits of the result; `None` at the end of the data.
    #[inline(always)]
    pub fn read_bits_short(&mut self, nbits: u32) -> Option<u64> {
        debug_assert!((1..=56).contains(&nbits));
        if self.valid < nbits {
            self.refill();
            if self.valid < nbits {
                return None;
            }
        }
        let v = self.buf >> (64 - nbits);
        self.buf <<= nbits;
        self.valid -= nbits;
        Some(v)
    }

    /// Reads `nbits` (0..=64) bits as the low bits of the result; `None` at the end of the data.
    #[inline(always)]
    pub fn read_bits(&mut self, nbits: u32) -> Option<u64> {
        match nbits {
            0 => Some(0),
            1..=56 => self.read_bits_short(nbits),
            57..=64 => {
                let hi = self.read_bits_short(nbits - 32)?;
                let lo = self.read_bits_short(32)?;
                Some((hi << 32) | lo)
            }
            _ => None,
        }
    }

    /// Returns the number of leading one bits among the next `max` (1..=8) bits and consumes
    /// them plus the terminating zero bit, if any: the prefix codes of the XOR encoding.
    /// `None` if the data ends before the code does.
    #[inline(always)]
    pub fn read_unary(&mut self, max: u32) -> Option<u32> {
        debug_assert!((1..=8).contains(&max));
        if self.valid < max {
            self.refill();
        }
        let ones = (!self.buf).leading_zeros().min(max);
        let used = if ones == max { max } else { ones + 1 };
        if used > self.valid {
            return None;
        }
        self.buf <<= used;
        self.valid -= used;
        Some(ones)
    }

    /// Reads one whole byte (not necessarily aligned).
    #[inline]
    pub fn read_byte(&mut self) -> Option<u8> {
        self.read_bits_short(8).map(|b| b as u8)
    }

    /// Reads a Go `binary.Uvarint` (LEB128, at most 10 bytes). `None` on end of data or overflow.
    #[inline]
    pub fn read_uvarint(&mut self) -> Option<u64> {
        let mut x: u64 = 0;
        let mut shift = 0u32;
        for i in 0..10 {
            let b = self.read_byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return None;
                }
                return Some(x | (u64::from(b) << shift));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
        None
    }

    /// Reads a Go `binary.Varint` (zig-zag encoded uvarint).
    #[inline]
    pub fn read_varint(&mut self) -> Option<i64> {
        let ux = self.read_uvarint()?;
        let x = (ux >> 1) as i64;
        Some(if ux & 1 != 0 { !x } else { x })
    }
}

/// Encodes `v` as a Go `binary.PutUvarint` into `out`, returning the used length.
#[inline]
pub fn put_uvarint(out: &mut [u8; 10], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 && i < 9 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// Encodes `v` as a Go `binary.PutVarint` (zig-zag) into `out`, returning the used length.
#[inline]
pub fn put_varint(out: &mut [u8; 10], v: i64) -> usize {
    let ux = ((v as u64) << 1) ^ ((v >> 63) as u64);
    put_uvarint(out, ux)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reference writer: Prometheus's bit-at-a-time semantics.
    fn slow_write(w: &mut BitWriter, value: u64, n: u32) {
        let mut u = value << (64 - n);
        let mut n = n;
        while n >= 8 {
            w.write_byte((u >> 56) as u8);
            u <<= 8;
            n -= 8;
        }
        while n > 0 {
            w.write_bit(u >> 63 == 1);
            u <<= 1;
            n -= 1;
        }
    }

    #[test]
    fn aligned_byte_leaves_empty_trailing_byte() {
        let mut w = BitWriter::default();
        w.write_byte(0xab);
        assert_eq!(w.bytes(), &[0xab, 0x00]);
        w.write_bit(true);
        assert_eq!(w.bytes(), &[0xab, 0x80]);
        w.write_bits(0b101, 3);
        assert_eq!(w.bytes(), &[0xab, 0xd0]);
    }

    #[test]
    fn varints_match_go() {
        let mut out = [0u8; 10];
        let n = put_varint(&mut out, -1);
        assert_eq!(&out[..n], &[0x01]);
        let n = put_varint(&mut out, 1);
        assert_eq!(&out[..n], &[0x02]);
        let n = put_uvarint(&mut out, 300);
        assert_eq!(&out[..n], &[0xac, 0x02]);
        assert_eq!(put_uvarint(&mut out, u64::MAX), 10);
        for v in [0i64, 1, -1, 63, -64, 1 << 40, i64::MIN, i64::MAX] {
            let n = put_varint(&mut out, v);
            let mut r = BitReader::new(&out[..n]);
            assert_eq!(r.read_varint(), Some(v));
        }
    }

    proptest! {
        #[test]
        fn writes_match_reference_and_read_back(
            prefix in 0u32..8,
            items in proptest::collection::vec((any::<u64>(), 1u32..=64), 0..64),
        ) {
            let mut fast = BitWriter::default();
            let mut slow = BitWriter::default();
            for i in 0..prefix {
                fast.write_bit(i % 2 == 0);
                slow.write_bit(i % 2 == 0);
            }
            for &(v, n) in &items {
                fast.write_bits(v, n);
                slow_write(&mut slow, v, n);
            }
            prop_assert_eq!(&fast, &slow);
            let mut r = BitReader::new(fast.bytes());
            for i in 0..prefix {
                prop_assert_eq!(r.read_bit(), Some(i % 2 == 0));
            }
            for &(v, n) in &items {
                let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                prop_assert_eq!(r.read_bits(n), Some(v & mask));
            }
        }

        #[test]
        fn reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..40),
                               ops in proptest::collection::vec(0u32..70, 0..64)) {
            let mut r = BitReader::new(&data);
            for op in ops {
                let _ = match op {
                    65 => r.read_bit().map(u64::from),
                    66 => r.read_uvarint(),
                    67 => r.read_varint().map(|v| v as u64),
                    68 | 69 => r.read_unary(op - 64).map(u64::from),
                    n => r.read_bits(n),
                };
            }
        }
    }
}
