//! A bounds-checked cursor over a byte slice of a block file, with errors that name the file
//! and the absolute offset, and the CRC32C-checked section framing the block formats share.

use std::ops::Range;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads big-endian integers and Go varints from `data`, which starts at file offset `base`.
pub(crate) struct Decbuf<'a> {
    file: &'a Path,
    data: &'a [u8],
    base: u64,
    pos: usize,
}

impl<'a> Decbuf<'a> {
    /// A cursor at the start of `data` (located at `base` in `file`).
    pub fn new(file: &'a Path, data: &'a [u8], base: u64) -> Self {
        Self {
            file,
            data,
            base,
            pos: 0,
        }
    }

    /// An error at the cursor's current position.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(self.file, self.offset(), reason)
    }

    /// Absolute file offset of the cursor.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Reads `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        match end.and_then(|e| self.data.get(self.pos..e)) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(self.error(format!("unexpected end of data reading {n} bytes"))),
        }
    }

    /// Reads one byte.
    pub fn byte(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// Reads a big-endian u32.
    pub fn be32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a big-endian u64.
    pub fn be64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// Reads a Go `binary.Uvarint`.
    pub fn uvarint(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                return Ok(x | (u64::from(b) << (7 * i)));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
        }
        Err(self.error("varint overflows 64 bits"))
    }

    /// Reads a Go `binary.Varint` (zig-zag).
    pub fn varint(&mut self) -> Result<i64> {
        let ux = self.uvarint()?;
        let x = (ux >> 1) as i64;
        Ok(if ux & 1 != 0 { !x } else { x })
    }

    /// Reads a uvarint that must fit in a u32.
    pub fn uvarint32(&mut self) -> Result<u32> {
        let v = self.uvarint()?;
        u32::try_from(v).map_err(|_| self.error(format!("value {v} does not fit 32 bits")))
    }

    /// Reads a uvarint length followed by that many bytes of UTF-8.
    pub fn uvarint_str(&mut self) -> Result<&'a str> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| self.error("string length too large"))?;
        let b = self.bytes(n)?;
        std::str::from_utf8(b).map_err(|_| self.error("string is not valid UTF-8"))
    }
}

/// CRC32-Castagnoli of `data`.
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Checks the CRC stored (big-endian) right after `body` in `data` and returns `body`.
pub(crate) fn check_crc(file: &Path, data: &[u8], body: Range<usize>) -> Result<Range<usize>> {
    let crc_at = body.end;
    let stored = data
        .get(crc_at..crc_at.saturating_add(4))
        .and_then(|s| s.first_chunk::<4>())
        .map(|b| u32::from_be_bytes(*b))
        .ok_or_else(|| Error::corrupt(file, crc_at as u64, "section truncated before its CRC"))?;
    let bytes = data
        .get(body.clone())
        .ok_or_else(|| Error::corrupt(file, body.start as u64, "section extends past end of file"))?;
    let actual = crc32c(bytes);
    if actual != stored {
        return Err(Error::corrupt(
            file,
            crc_at as u64,
            format!("CRC mismatch: stored {stored:#010x}, computed {actual:#010x}"),
        ));
    }
    Ok(body)
}

/// Reads a `len u32 | body (len bytes) | CRC` section starting at `off` and returns the body's
/// range after checking the CRC.
pub(crate) fn u32_section(file: &Path, data: &[u8], off: usize) -> Result<Range<usize>> {
    let rest = data
        .get(off..)
        .ok_or_else(|| Error::corrupt(file, off as u64, "section offset past end of file"))?;
    let len = Decbuf::new(file, rest, off as u64).be32()? as usize;
    let start = off + 4;
    let end = start
        .checked_add(len)
        .filter(|&e| e <= data.len())
        .ok_or_else(|| Error::corrupt(file, off as u64, format!("section length {len} exceeds the file")))?;
    check_crc(file, data, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_bounds() {
        let p = Path::new("f");
        let data = [0xac, 0x02, 0x01, 0xff];
        let mut d = Decbuf::new(p, &data, 100);
        assert_eq!(d.uvarint().unwrap(), 300);
        assert_eq!(d.varint().unwrap(), -1);
        let err = d.be32().unwrap_err().to_string();
        assert!(err.contains("offset 103"), "{err}");
        let mut d = Decbuf::new(p, &[0xff; 11], 0);
        assert!(d.uvarint().is_err());
    }

    #[test]
    fn sections_check_crc() {
        let p = Path::new("f");
        let body = b"hello";
        let mut data = (body.len() as u32).to_be_bytes().to_vec();
        data.extend_from_slice(body);
        data.extend_from_slice(&crc32c(body).to_be_bytes());
        assert_eq!(u32_section(p, &data, 0).unwrap(), 4..9);
        data[5] ^= 1;
        assert!(
            u32_section(p, &data, 0)
                .unwrap_err()
                .to_string()
                .contains("CRC mismatch")
        );
        assert!(u32_section(p, &data[..7], 0).is_err());
        assert!(u32_section(p, &data, 100).is_err());
    }
}
