//! Writes a block's `index` file in format v2, laid out as Prometheus lays it out (see
//! `docs/format/index.md`): header, symbol table, 16-byte aligned series entries, the legacy
//! label indices and their offset table, 4-byte aligned postings lists (all-series list first),
//! the postings offset table and the TOC. Every section carries a CRC32C.
//!
//! Series must be given in label order, which makes their refs (offset / 16) label-ordered too,
//! as Prometheus's readers require.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use rill_model::Labels;

use super::encbuf::Encbuf;
use crate::block::index::ChunkMeta;
use crate::error::{Error, Result};
use crate::fsutil::FileSink;

const MAGIC: u32 = 0xBAAA_D700;
const VERSION: u8 = 2;

/// One series as the index records it: its labels and chunk metadata in time order.
#[derive(Clone, Debug)]
pub(crate) struct SeriesRecord {
    /// The series' labels.
    pub labels: Labels,
    /// Its chunks, sorted by time and non-overlapping.
    pub chunks: Vec<ChunkMeta>,
}

/// The sorted symbol table and lookups into it.
struct Symbols(Vec<Arc<str>>);

impl Symbols {
    fn collect(series: &[SeriesRecord]) -> Self {
        let mut set: BTreeSet<Arc<str>> = BTreeSet::new();
        for s in series {
            for l in &s.labels {
                for sym in [&l.name, &l.value] {
                    if !set.contains(&**sym) {
                        set.insert(sym.clone());
                    }
                }
            }
        }
        Self(set.into_iter().collect())
    }

    fn index_of(&self, s: &str) -> Result<u32> {
        let i = self
            .0
            .binary_search_by(|x| (**x).cmp(s))
            .map_err(|_| Error::Invalid(format!("symbol {s:?} missing from the symbol table")))?;
        u32::try_from(i).map_err(|_| Error::Invalid("more than 2^32 symbols".into()))
    }
}

/// Section offsets recorded in the TOC.
#[derive(Default)]
struct Toc {
    symbols: u64,
    series: u64,
    label_indices: u64,
    label_indices_table: u64,
    postings: u64,
    postings_table: u64,
}

/// Writes a `len u32 | body | CRC` section whose body is `body`.
fn write_section(f: &mut FileSink, body: &[u8]) -> Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| Error::Invalid("index section larger than 4 GiB".into()))?;
    let mut e = Encbuf::default();
    e.put_be32(len);
    e.put_bytes(body);
    e.put_crc_from(4);
    f.write(e.bytes())
}

/// Writes the index for `series` (sorted by labels, no duplicates) to `path` and fsyncs it.
pub(crate) fn write_index(path: &Path, series: &[SeriesRecord]) -> Result<()> {
    for w in series.windows(2) {
        if let [a, b] = w
            && a.labels >= b.labels
        {
            return Err(Error::Invalid(format!(
                "series not in label order: {} before {}",
                a.labels, b.labels
            )));
        }
    }
    let symbols = Symbols::collect(series);
    let mut f = FileSink::create(path)?;
    let mut toc = Toc::default();
    let mut e = Encbuf::default();
    e.put_be32(MAGIC);
    e.put_byte(VERSION);
    f.write(e.bytes())?;

    toc.symbols = f.pos();
    e.clear();
    e.put_be32(u32::try_from(symbols.0.len()).map_err(|_| Error::Invalid("too many symbols".into()))?);
    for s in &symbols.0 {
        e.put_uvarint_str(s);
    }
    write_section(&mut f, e.bytes())?;

    toc.series = f.pos();
    let mut postings: BTreeMap<(Arc<str>, Arc<str>), Vec<u32>> = BTreeMap::new();
    let mut all = Vec::with_capacity(series.len());
    for s in series {
        f.pad_to(16)?;
        let series_ref =
            u32::try_from(f.pos() / 16).map_err(|_| Error::Invalid("index series section exceeds 64 GiB".into()))?;
        write_series(&mut f, &mut e, &symbols, s)?;
        all.push(series_ref);
        for l in &s.labels {
            postings
                .entry((l.name.clone(), l.value.clone()))
                .or_default()
                .push(series_ref);
        }
    }

    toc.label_indices = f.pos();
    let mut label_offsets: Vec<(Arc<str>, u64)> = Vec::new();
    let mut values_of: BTreeMap<&Arc<str>, Vec<&Arc<str>>> = BTreeMap::new();
    for (name, value) in postings.keys() {
        values_of.entry(name).or_default().push(value);
    }
    for (name, values) in &values_of {
        f.pad_to(4)?;
        label_offsets.push(((*name).clone(), f.pos()));
        e.clear();
        e.put_be32(1);
        e.put_be32(values.len() as u32);
        for v in values {
            e.put_be32(symbols.index_of(v)?);
        }
        write_section(&mut f, e.bytes())?;
    }

    toc.postings = f.pos();
    let mut postings_offsets: Vec<(&str, &str, u64)> = Vec::with_capacity(postings.len() + 1);
    let lists = std::iter::once(("", "", &all)).chain(postings.iter().map(|((n, v), refs)| (&**n, &**v, refs)));
    for (name, value, refs) in lists {
        f.pad_to(4)?;
        postings_offsets.push((name, value, f.pos()));
        e.clear();
        e.put_be32(refs.len() as u32);
        for &r in refs {
            e.put_be32(r);
        }
        write_section(&mut f, e.bytes())?;
    }

    toc.label_indices_table = f.pos();
    e.clear();
    e.put_be32(label_offsets.len() as u32);
    for (name, off) in &label_offsets {
        e.put_uvarint(1);
        e.put_uvarint_str(name);
        e.put_uvarint(*off);
    }
    write_section(&mut f, e.bytes())?;

    toc.postings_table = f.pos();
    e.clear();
    e.put_be32(postings_offsets.len() as u32);
    for (name, value, off) in &postings_offsets {
        e.put_byte(2);
        e.put_uvarint_str(name);
        e.put_uvarint_str(value);
        e.put_uvarint(*off);
    }
    write_section(&mut f, e.bytes())?;

    e.clear();
    for off in [
        toc.symbols,
        toc.series,
        toc.label_indices,
        toc.label_indices_table,
        toc.postings,
        toc.postings_table,
    ] {
        e.put_be64(off);
    }
    e.put_crc_from(0);
    f.write(e.bytes())?;
    f.finish()
}

/// Writes one series entry: `uvarint len | labels and delta-coded chunk metas | CRC`.
fn write_series(f: &mut FileSink, e: &mut Encbuf, symbols: &Symbols, s: &SeriesRecord) -> Result<()> {
    e.clear();
    e.put_uvarint(s.labels.len() as u64);
    for l in &s.labels {
        e.put_uvarint(u64::from(symbols.index_of(&l.name)?));
        e.put_uvarint(u64::from(symbols.index_of(&l.value)?));
    }
    e.put_uvarint(s.chunks.len() as u64);
    let mut prev: Option<&ChunkMeta> = None;
    for c in &s.chunks {
        match prev {
            None => {
                e.put_varint(c.min_time);
                e.put_uvarint(c.max_time.wrapping_sub(c.min_time) as u64);
                e.put_uvarint(c.chunk_ref);
            }
            Some(p) => {
                e.put_uvarint(c.min_time.wrapping_sub(p.max_time) as u64);
                e.put_uvarint(c.max_time.wrapping_sub(c.min_time) as u64);
                e.put_varint((c.chunk_ref as i64).wrapping_sub(p.chunk_ref as i64));
            }
        }
        prev = Some(c);
    }
    let mut framed = Encbuf::default();
    framed.put_uvarint(e.len() as u64);
    let body_at = framed.len();
    framed.put_bytes(e.bytes());
    framed.put_crc_from(body_at);
    f.write(framed.bytes())
}
