//! The encoding side of the block formats: big-endian integers, Go varints and CRC32C-framed
//! sections, written into a growable buffer (the mirror of the reader's `Decbuf`).

use crate::decbuf::crc32c;

/// A byte buffer with the primitive encoders the index, chunk and tombstone formats use.
#[derive(Debug, Default)]
pub(crate) struct Encbuf {
    buf: Vec<u8>,
}

impl Encbuf {
    /// The bytes written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Drops every byte, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends raw bytes.
    pub fn put_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Appends one byte.
    pub fn put_byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// Appends a big-endian u32.
    pub fn put_be32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a big-endian u64.
    pub fn put_be64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a Go `binary.PutUvarint`.
    pub fn put_uvarint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    /// Appends a Go `binary.PutVarint` (zig-zag).
    pub fn put_varint(&mut self, v: i64) {
        self.put_uvarint(((v << 1) ^ (v >> 63)) as u64);
    }

    /// Appends a uvarint length and the string's bytes.
    pub fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.put_bytes(s.as_bytes());
    }

    /// Appends the CRC32C of the bytes from `start` to the end, big-endian.
    pub fn put_crc_from(&mut self, start: usize) {
        let crc = crc32c(self.buf.get(start..).unwrap_or_default());
        self.put_be32(crc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decbuf::Decbuf;
    use std::path::Path;

    #[test]
    fn round_trips_through_decbuf() {
        let mut e = Encbuf::default();
        let values = [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for v in values {
            e.put_uvarint(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_700_000_000_000] {
            e.put_varint(v);
        }
        e.put_be32(0xDEAD_BEEF);
        e.put_uvarint_str("héllo");
        let mut d = Decbuf::new(Path::new("t"), e.bytes(), 0);
        for v in values {
            assert_eq!(d.uvarint().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_700_000_000_000] {
            assert_eq!(d.varint().unwrap(), v);
        }
        assert_eq!(d.be32().unwrap(), 0xDEAD_BEEF);
        assert_eq!(d.uvarint_str().unwrap(), "héllo");
        assert_eq!(d.remaining(), 0);
    }
}
