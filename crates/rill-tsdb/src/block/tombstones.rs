//! A block's `tombstones` file: time ranges deleted per series (see `docs/format/tombstones.md`).

use std::collections::HashMap;
use std::path::Path;

use crate::decbuf::{Decbuf, check_crc};
use crate::error::{Error, Result};
use crate::mmap::map_file;

const MAGIC: u32 = 0x0130_BA30;

/// Deleted intervals per series ref, each list sorted and non-overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tombstones {
    by_series: HashMap<u64, Vec<(i64, i64)>>,
}

impl Tombstones {
    /// Reads `path`; a missing file means no tombstones.
    pub fn read(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let data = map_file(path)?;
        Self::parse(path, &data)
    }

    /// Parses tombstone file bytes; `path` is only used in errors.
    pub fn parse(path: &Path, data: &[u8]) -> Result<Self> {
        let mut d = Decbuf::new(path, data, 0);
        if d.be32()? != MAGIC {
            return Err(Error::corrupt(path, 0, "bad tombstones magic"));
        }
        let version = d.byte()?;
        if version != 1 {
            return Err(Error::corrupt(
                path,
                4,
                format!("unsupported tombstones version {version}"),
            ));
        }
        let end = data
            .len()
            .checked_sub(4)
            .filter(|&e| e >= 5)
            .ok_or_else(|| Error::corrupt(path, 5, "tombstones file truncated before its CRC"))?;
        let body = check_crc(path, data, 5..end)?;
        let mut t = Self::default();
        let mut d = Decbuf::new(path, data.get(body).unwrap_or_default(), 5);
        while d.remaining() > 0 {
            let series = d.uvarint()?;
            let mint = d.varint()?;
            let maxt = d.varint()?;
            t.add(series, mint, maxt);
        }
        Ok(t)
    }

    /// Adds a deleted interval `[mint, maxt]` for `series`, merging with existing ones.
    pub fn add(&mut self, series: u64, mint: i64, maxt: i64) {
        let list = self.by_series.entry(series).or_default();
        list.push((mint, maxt));
        list.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(list.len());
        for &(a, b) in list.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *list = merged;
    }

    /// The deleted intervals of `series` (empty if none).
    pub fn get(&self, series: u64) -> &[(i64, i64)] {
        self.by_series.get(&series).map_or(&[], Vec::as_slice)
    }

    /// Whether no series has tombstones.
    pub fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }
}

/// Whether `t` lies in one of the sorted `intervals`.
pub(crate) fn is_deleted(intervals: &[(i64, i64)], t: i64) -> bool {
    intervals.iter().any(|&(a, b)| a <= t && t <= b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(stones: &[(u64, i64, i64)]) -> Vec<u8> {
        let mut body = Vec::new();
        for &(s, a, b) in stones {
            let mut buf = [0u8; 10];
            for v in [s, ((a << 1) ^ (a >> 63)) as u64, ((b << 1) ^ (b >> 63)) as u64] {
                let n = rill_codec::bstream::put_uvarint(&mut buf, v);
                body.extend_from_slice(&buf[..n]);
            }
        }
        let mut out = MAGIC.to_be_bytes().to_vec();
        out.push(1);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crate::decbuf::crc32c(&body).to_be_bytes());
        out
    }

    #[test]
    fn reads_and_merges_intervals() {
        let data = file(&[(3, 10, 20), (3, 15, 30), (3, 40, 50), (7, -5, 5)]);
        let t = Tombstones::parse(Path::new("t"), &data).unwrap();
        assert_eq!(t.get(3), &[(10, 30), (40, 50)]);
        assert_eq!(t.get(7), &[(-5, 5)]);
        assert!(t.get(1).is_empty());
        assert!(is_deleted(t.get(3), 30) && !is_deleted(t.get(3), 31));
        let empty = Tombstones::parse(Path::new("t"), &file(&[])).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn corrupt_files_are_errors() {
        let data = file(&[(3, 10, 20)]);
        for cut in 0..data.len() {
            assert!(Tombstones::parse(Path::new("t"), &data[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x10;
            assert!(Tombstones::parse(Path::new("t"), &bad).is_err(), "flip {i}");
        }
    }
}
