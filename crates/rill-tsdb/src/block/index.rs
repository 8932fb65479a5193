//! The block index, format v2 (see `docs/format/index.md`).
//!
//! Opening maps the file, checks magic, version and the TOC, and scans the symbol table and the
//! postings offset table once, keeping only offsets (plus lazily interned symbol strings). Series
//! entries and postings lists are decoded from the mapping on demand, each CRC-checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rill_model::{Label, Labels};

use super::postings::{BoxPostings, EmptyPostings, ListPostings};
use crate::decbuf::{Decbuf, check_crc, u32_section};
use crate::error::{Error, Result};
use crate::mmap::map_file;

const MAGIC: u32 = 0xBAAA_D700;
const TOC_LEN: usize = 6 * 8 + 4;

/// Time range and location of one chunk of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkMeta {
    /// Timestamp of the first sample (ms).
    pub min_time: i64,
    /// Timestamp of the last sample (ms).
    pub max_time: i64,
    /// Segment index << 32 | offset in the segment.
    pub chunk_ref: u64,
}

/// One series entry: labels and chunk metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesEntry {
    /// The series' labels.
    pub labels: Labels,
    /// Its chunks in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// Where one label value's postings list lives.
#[derive(Clone, Copy, Debug)]
struct PostingsEntry {
    value_at: usize,
    value_len: usize,
    list_at: usize,
}

/// A memory-mapped index file.
pub struct IndexReader {
    path: PathBuf,
    data: Bytes,
    symbols: Vec<usize>,
    symbol_cache: Vec<OnceLock<Arc<str>>>,
    postings: BTreeMap<Box<str>, Vec<PostingsEntry>>,
}

impl std::fmt::Debug for IndexReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexReader")
            .field("path", &self.path)
            .field("symbols", &self.symbols.len())
            .field("label_names", &self.postings.len())
            .finish()
    }
}

impl IndexReader {
    /// Opens and validates the index at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let data = map_file(path)?;
        Self::from_bytes(path, data)
    }

    /// Reads an index held in `data`; `path` names it in errors.
    pub fn from_bytes(path: &Path, data: Bytes) -> Result<Self> {
        let mut d = Decbuf::new(path, &data, 0);
        if d.be32()? != MAGIC {
            return Err(Error::corrupt(path, 0, "bad index magic"));
        }
        let version = d.byte()?;
        if version != 2 {
            return Err(Error::corrupt(
                path,
                4,
                format!("unsupported index version {version} (need 2)"),
            ));
        }
        let toc_at = data
            .len()
            .checked_sub(TOC_LEN)
            .filter(|&t| t >= 5)
            .ok_or_else(|| Error::corrupt(path, 0, "index too short for its table of contents"))?;
        check_crc(path, &data, toc_at..toc_at + 48)?;
        let mut toc = Decbuf::new(path, data.get(toc_at..).unwrap_or_default(), toc_at as u64);
        let mut refs = [0usize; 6];
        for r in &mut refs {
            let v = toc.be64()?;
            *r = usize::try_from(v)
                .ok()
                .filter(|&v| v < toc_at)
                .ok_or_else(|| Error::corrupt(path, toc_at as u64, format!("TOC offset {v} outside the index")))?;
        }
        let mut reader = Self {
            path: path.to_path_buf(),
            data: data.clone(),
            symbols: Vec::new(),
            symbol_cache: Vec::new(),
            postings: BTreeMap::new(),
        };
        reader.read_symbols(refs[0])?;
        if refs[5] != 0 {
            reader.read_postings_table(refs[5])?;
        }
        Ok(reader)
    }

    fn read_symbols(&mut self, at: usize) -> Result<()> {
        let body = u32_section(&self.path, &self.data, at)?;
        let mut d = Decbuf::new(
            &self.path,
            self.data.get(body.clone()).unwrap_or_default(),
            body.start as u64,
        );
        let count = d.be32()?;
        for _ in 0..count {
            self.symbols.push(d.offset() as usize);
            d.uvarint_str()?;
        }
        self.symbol_cache = (0..self.symbols.len()).map(|_| OnceLock::new()).collect();
        Ok(())
    }

    fn read_postings_table(&mut self, at: usize) -> Result<()> {
        let body = u32_section(&self.path, &self.data, at)?;
        let bytes = self.data.get(body.clone()).unwrap_or_default();
        let mut d = Decbuf::new(&self.path, bytes, body.start as u64);
        let count = d.be32()?;
        let mut name: Option<&str> = None;
        let mut values: Vec<PostingsEntry> = Vec::new();
        for _ in 0..count {
            let keys = d.byte()?;
            if keys != 2 {
                return Err(d.error(format!("postings offset entry with {keys} keys, expected 2")));
            }
            let n = d.uvarint_str()?;
            let value_len = usize::try_from(d.uvarint()?).map_err(|_| d.error("value too long"))?;
            let value_at = d.offset() as usize;
            std::str::from_utf8(d.bytes(value_len)?).map_err(|_| d.error("label value is not UTF-8"))?;
            let list_at = usize::try_from(d.uvarint()?).map_err(|_| d.error("postings offset too large"))?;
            if name != Some(n) {
                if let Some(prev) = name {
                    self.postings.insert(prev.into(), std::mem::take(&mut values));
                }
                name = Some(n);
            }
            values.push(PostingsEntry {
                value_at,
                value_len,
                list_at,
            });
        }
        if let Some(prev) = name {
            self.postings.insert(prev.into(), values);
        }
        Ok(())
    }

    /// The file this index was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of symbols.
    pub fn num_symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The symbol with index `i`, interned on first use.
    pub fn symbol(&self, i: u32) -> Result<Arc<str>> {
        let i = i as usize;
        let (Some(&at), Some(cell)) = (self.symbols.get(i), self.symbol_cache.get(i)) else {
            return Err(Error::corrupt(
                &self.path,
                0,
                format!("symbol ref {i} out of range ({} symbols)", self.symbols.len()),
            ));
        };
        if let Some(s) = cell.get() {
            return Ok(s.clone());
        }
        let mut d = Decbuf::new(&self.path, self.data.get(at..).unwrap_or_default(), at as u64);
        let s: Arc<str> = d.uvarint_str()?.into();
        Ok(cell.get_or_init(|| s).clone())
    }

    /// Sorted label names of the block (without the all-postings key).
    pub fn label_names(&self) -> impl Iterator<Item = &str> {
        self.postings.keys().map(|k| &**k).filter(|k| !k.is_empty())
    }

    fn value_of(&self, e: &PostingsEntry) -> &str {
        self.data
            .get(e.value_at..e.value_at + e.value_len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// Sorted values of label `name` (empty if the label does not exist).
    pub fn label_values(&self, name: &str) -> Vec<&str> {
        self.postings
            .get(name)
            .map(|vs| vs.iter().map(|e| self.value_of(e)).collect())
            .unwrap_or_default()
    }

    /// The postings of every value of `name` accepted by `keep`.
    pub fn postings_where(&self, name: &str, mut keep: impl FnMut(&str) -> bool) -> Result<Vec<BoxPostings>> {
        let Some(entries) = self.postings.get(name) else {
            return Ok(Vec::new());
        };
        entries
            .iter()
            .filter(|e| keep(self.value_of(e)))
            .map(|e| self.read_list(e.list_at))
            .collect()
    }

    /// The postings of `name="value"` (empty if absent).
    pub fn postings(&self, name: &str, value: &str) -> Result<BoxPostings> {
        let Some(entries) = self.postings.get(name) else {
            return Ok(Box::new(EmptyPostings));
        };
        match entries.binary_search_by(|e| self.value_of(e).cmp(value)) {
            Ok(i) => match entries.get(i) {
                Some(e) => self.read_list(e.list_at),
                None => Ok(Box::new(EmptyPostings)),
            },
            Err(_) => Ok(Box::new(EmptyPostings)),
        }
    }

    /// Every series of the block.
    pub fn all_postings(&self) -> Result<BoxPostings> {
        self.postings("", "")
    }

    fn read_list(&self, at: usize) -> Result<BoxPostings> {
        let body = u32_section(&self.path, &self.data, at)?;
        let mut d = Decbuf::new(
            &self.path,
            self.data.get(body.clone()).unwrap_or_default(),
            body.start as u64,
        );
        let count = d.be32()? as usize;
        if d.remaining() != count.saturating_mul(4) {
            return Err(d.error(format!("postings list claims {count} refs in {} bytes", d.remaining())));
        }
        let start = body.start + 4;
        Ok(Box::new(ListPostings::new(self.data.slice(start..body.end))))
    }

    /// Decodes the series with ref `series_ref` (its offset / 16).
    pub fn series(&self, series_ref: u32) -> Result<SeriesEntry> {
        let at = series_ref as usize * 16;
        let rest = self.data.get(at..).ok_or_else(|| {
            Error::corrupt(
                &self.path,
                at as u64,
                format!("series ref {series_ref} past end of index"),
            )
        })?;
        let mut d = Decbuf::new(&self.path, rest, at as u64);
        let len = usize::try_from(d.uvarint()?).map_err(|_| d.error("series length too large"))?;
        let start = d.offset() as usize;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| d.error(format!("series entry of {len} bytes exceeds the index")))?;
        check_crc(&self.path, &self.data, start..end)?;
        let mut d = Decbuf::new(&self.path, self.data.get(start..end).unwrap_or_default(), start as u64);
        let nlabels = d.uvarint()?;
        let mut labels = Vec::new();
        for _ in 0..nlabels {
            let name = self.symbol(d.uvarint32()?)?;
            let value = self.symbol(d.uvarint32()?)?;
            if labels.last().is_some_and(|l: &Label| l.name >= name) {
                return Err(d.error("series labels not sorted by name"));
            }
            labels.push(Label { name, value });
        }
        let nchunks = d.uvarint()?;
        let mut chunks = Vec::new();
        let mut prev_max = 0i64;
        let mut prev_ref = 0i64;
        for i in 0..nchunks {
            let min_time = if i == 0 {
                d.varint()?
            } else {
                prev_max.wrapping_add(d.uvarint()? as i64)
            };
            let max_time = min_time.wrapping_add(d.uvarint()? as i64);
            let chunk_ref = if i == 0 {
                d.uvarint()? as i64
            } else {
                prev_ref.wrapping_add(d.varint()?)
            };
            chunks.push(ChunkMeta {
                min_time,
                max_time,
                chunk_ref: chunk_ref as u64,
            });
            prev_max = max_time;
            prev_ref = chunk_ref;
        }
        Ok(SeriesEntry {
            labels: Labels::from_sorted(labels),
            chunks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::chunks::ChunkReader;
    use crate::block::postings::collect;
    use rill_model::ChunkEncoding;

    /// A block written by `promtool tsdb create-blocks-from openmetrics` (Prometheus 2.42):
    /// `test_requests_total{instance="i1"|"i2",job="api"}` and `test_temp{job="node",zone="b"}`.
    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/01M8A0GXKAW77R0YXT0ZP7J4YW")
    }

    #[test]
    fn reads_promtool_index() {
        let ix = IndexReader::open(&fixture().join("index")).unwrap();
        assert_eq!(
            ix.label_names().collect::<Vec<_>>(),
            ["__name__", "instance", "job", "zone"]
        );
        assert_eq!(ix.label_values("job"), ["api", "node"]);
        let all = collect(ix.all_postings().unwrap());
        assert_eq!(all.len(), 3);
        assert_eq!(collect(ix.postings("instance", "i2").unwrap()).len(), 1);
        assert!(collect(ix.postings("instance", "i9").unwrap()).is_empty());
        let chunks = ChunkReader::open(&fixture().join("chunks")).unwrap();
        let mut prev: Option<Labels> = None;
        for r in all {
            let s = ix.series(r).unwrap();
            assert!(
                prev.as_ref().is_none_or(|p| *p < s.labels),
                "series refs not in label order"
            );
            assert!(!s.chunks.is_empty());
            for w in s.chunks.windows(2) {
                assert!(w[0].max_time < w[1].min_time);
            }
            for c in &s.chunks {
                assert!(c.min_time <= c.max_time);
                assert_eq!(chunks.chunk(c.chunk_ref).unwrap().encoding, ChunkEncoding::Xor);
            }
            prev = Some(s.labels);
        }
        assert!(ix.series(u32::MAX).is_err());
        assert!(ix.symbol(10_000).is_err());
    }

    proptest::proptest! {
        #[test]
        fn damaged_index_never_panics(at in 0usize..2000, bit in 0u8..8, cut in 0usize..2000) {
            let mut data = std::fs::read(fixture().join("index")).unwrap();
            let n = data.len();
            data[at % n] ^= 1 << bit;
            data.truncate(n - cut % 64);
            if let Ok(ix) = IndexReader::from_bytes(Path::new("index"), data.into()) {
                for name in ix.label_names().map(str::to_owned).collect::<Vec<_>>() {
                    for v in ix.label_values(&name) {
                        let _ = ix.postings(&name, v).map(collect);
                    }
                }
                if let Ok(p) = ix.all_postings() {
                    for r in collect(p) {
                        let _ = ix.series(r);
                    }
                }
            }
        }
    }

    #[test]
    fn rejects_damaged_headers() {
        let data = std::fs::read(fixture().join("index")).unwrap();
        let p = Path::new("index");
        let mut bad_magic = data.clone();
        bad_magic[0] ^= 1;
        assert!(
            IndexReader::from_bytes(p, bad_magic.into())
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        let mut v1 = data.clone();
        v1[4] = 1;
        assert!(
            IndexReader::from_bytes(p, v1.into())
                .unwrap_err()
                .to_string()
                .contains("version")
        );
        let mut toc = data.clone();
        let n = toc.len();
        toc[n - 10] ^= 0x40;
        assert!(
            IndexReader::from_bytes(p, toc.into())
                .unwrap_err()
                .to_string()
                .contains("CRC")
        );
        assert!(IndexReader::from_bytes(p, Bytes::from_static(b"\xba\xaa\xd7\x00\x02")).is_err());
    }
}
