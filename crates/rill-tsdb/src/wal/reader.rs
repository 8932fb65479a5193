//! Splits one WAL segment into records: reassembles fragments, checks CRCs, skips page padding
//! and decompresses Snappy records. Anything malformed stops the reader with a [`Damage`] that
//! says where the last good record ends, so the caller can truncate (torn tail) or report.

use std::path::Path;

use super::{FRAGMENT_HEADER, PAGE_SIZE};

/// Fragment types (low 3 bits of the type byte).
const PAGE_TERM: u8 = 0;
const FULL: u8 = 1;
const FIRST: u8 = 2;
const MIDDLE: u8 = 3;
const LAST: u8 = 4;
/// Compression flags of the type byte.
const SNAPPY: u8 = 0x08;
const ZSTD: u8 = 0x10;

/// Where and why a segment stopped being readable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// End of the last complete record: truncating the segment here keeps every good record.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
}

/// Reads the records of one segment held in memory.
pub struct SegmentReader<'a> {
    data: &'a [u8],
    pos: usize,
    record: Vec<u8>,
    scratch: Vec<u8>,
}

impl<'a> SegmentReader<'a> {
    /// A reader over the bytes of a whole segment.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            record: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Offset right after the last record returned (or 0).
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Whether the bytes `from..to` (clamped to the data) are all zero.
    fn zero(&self, from: usize, to: usize) -> bool {
        self.data
            .get(from..to.min(self.data.len()))
            .is_none_or(|b| b.iter().all(|&x| x == 0))
    }

    /// The next record with the offset where it starts, `Ok(None)` at the clean end of the
    /// segment, or the damage that stops reading.
    pub fn next_record(&mut self) -> Result<Option<(u64, &[u8])>, Damage> {
        let mut start: Option<usize> = None;
        let mut compression = 0u8;
        self.record.clear();
        loop {
            let at = start.unwrap_or(self.pos) as u64;
            let damage = |reason: String| Damage { offset: at, reason };
            if self.pos >= self.data.len() {
                return match start {
                    Some(s) => Err(Damage {
                        offset: s as u64,
                        reason: "record not terminated before the end of the segment".into(),
                    }),
                    None => Ok(None),
                };
            }
            let page_end = (self.pos / PAGE_SIZE + 1) * PAGE_SIZE;
            let typ = self.data.get(self.pos).copied().unwrap_or_default();
            if page_end - self.pos < FRAGMENT_HEADER || typ & 0x07 == PAGE_TERM {
                if !self.zero(self.pos, page_end) {
                    return Err(damage(format!("non-zero bytes in page padding at offset {}", self.pos)));
                }
                self.pos = page_end;
                continue;
            }
            let Some(header) = self.data.get(self.pos..self.pos + FRAGMENT_HEADER) else {
                return Err(damage(format!("fragment header cut off at offset {}", self.pos)));
            };
            let len = usize::from(u16::from_be_bytes([header[1], header[2]]));
            let crc = u32::from_be_bytes([header[3], header[4], header[5], header[6]]);
            let body_start = self.pos + FRAGMENT_HEADER;
            if body_start + len > page_end {
                return Err(damage(format!(
                    "fragment at offset {} crosses a page boundary",
                    self.pos
                )));
            }
            let Some(body) = self.data.get(body_start..body_start + len) else {
                return Err(damage(format!(
                    "fragment at offset {} cut off by the end of the file",
                    self.pos
                )));
            };
            if crc32c::crc32c(body) != crc {
                return Err(damage(format!("CRC mismatch in fragment at offset {}", self.pos)));
            }
            let kind = typ & 0x07;
            match (kind, start.is_some()) {
                (FULL | FIRST, false) => {
                    start = Some(self.pos);
                    compression = typ & (SNAPPY | ZSTD);
                }
                (MIDDLE | LAST, true) => {}
                (FULL | FIRST, true) => {
                    return Err(damage(format!(
                        "new record at offset {} inside an unfinished one",
                        self.pos
                    )));
                }
                (MIDDLE | LAST, false) => {
                    return Err(damage(format!(
                        "continuation fragment at offset {} without a start",
                        self.pos
                    )));
                }
                _ => {
                    return Err(damage(format!(
                        "invalid fragment type {typ:#04x} at offset {}",
                        self.pos
                    )));
                }
            }
            self.record.extend_from_slice(body);
            self.pos = body_start + len;
            if kind == FULL || kind == LAST {
                let at = start.unwrap_or_default();
                return self.finish(at, compression).map(|r| Some((at as u64, r)));
            }
        }
    }

    /// Decompresses the assembled record if needed.
    fn finish(&mut self, at: usize, compression: u8) -> Result<&[u8], Damage> {
        let damage = |reason: String| Damage {
            offset: at as u64,
            reason,
        };
        if compression & ZSTD != 0 {
            return Err(damage(format!("zstd-compressed record at offset {at} (not supported)")));
        }
        if compression & SNAPPY == 0 {
            return Ok(&self.record);
        }
        let len = snap::raw::decompress_len(&self.record)
            .map_err(|e| damage(format!("bad snappy record at offset {at}: {e}")))?;
        self.scratch.resize(len, 0);
        snap::raw::Decoder::new()
            .decompress(&self.record, &mut self.scratch)
            .map_err(|e| damage(format!("bad snappy record at offset {at}: {e}")))?;
        Ok(&self.scratch)
    }
}

/// Reads every record of the segment file `path`, calling `f(offset, record)`; returns the
/// damage that stopped reading, if any.
pub fn read_segment(path: &Path, mut f: impl FnMut(u64, &[u8]) -> crate::Result<()>) -> crate::Result<Option<Damage>> {
    let data = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    let mut r = SegmentReader::new(&data);
    loop {
        match r.next_record() {
            Ok(Some((at, rec))) => f(at, rec)?,
            Ok(None) => return Ok(None),
            Err(d) => return Ok(Some(d)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![typ];
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(&crc32c::crc32c(body).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn all(data: &[u8]) -> (Vec<Vec<u8>>, Option<Damage>) {
        let mut r = SegmentReader::new(data);
        let mut out = Vec::new();
        loop {
            match r.next_record() {
                Ok(Some((_, rec))) => out.push(rec.to_vec()),
                Ok(None) => return (out, None),
                Err(d) => return (out, Some(d)),
            }
        }
    }

    #[test]
    fn reassembles_fragments_and_skips_padding() {
        let mut data = frag(FULL, b"one");
        data.extend(frag(FIRST, b"tw"));
        data.extend(frag(MIDDLE, b"o-"));
        data.extend(frag(LAST, b"x"));
        let used = data.len();
        data.resize(PAGE_SIZE, 0);
        data.extend(frag(
            FULL | SNAPPY,
            &snap::raw::Encoder::new().compress_vec(b"three").unwrap(),
        ));
        let (recs, damage) = all(&data);
        assert_eq!(damage, None);
        assert_eq!(recs, vec![b"one".to_vec(), b"two-x".to_vec(), b"three".to_vec()]);
        assert!(used < PAGE_SIZE);
    }

    #[test]
    fn torn_tail_reports_last_good_offset() {
        let mut data = frag(FULL, b"one");
        let good = data.len() as u64;
        data.extend(frag(FIRST, b"partial"));
        let (recs, damage) = all(&data);
        assert_eq!(recs.len(), 1);
        assert_eq!(damage.unwrap().offset, good);

        let mut data = frag(FULL, b"one");
        data.extend(&frag(FULL, b"two")[..5]);
        assert_eq!(all(&data).1.unwrap().offset, good);

        let mut data = frag(FULL, b"one");
        let mut bad = frag(FULL, b"two");
        bad[8] ^= 0x40;
        data.extend(bad);
        let d = all(&data).1.unwrap();
        assert_eq!(d.offset, good);
        assert!(d.reason.contains("CRC"), "{}", d.reason);
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678_u64;
        for n in 0..2000 {
            let len = n % 200;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (seed >> 56) as u8
                })
                .collect();
            let _ = all(&data);
        }
        assert_eq!(all(&[0u8; 100]), (vec![], None));
    }
}
