//! Backfilling an OpenMetrics / Prometheus text file into blocks (`rill import`), like
//! `promtool tsdb create-blocks-from openmetrics`.
//!
//! The input is streamed through `rill_codec`'s text parser once. Samples are buffered per
//! series and per block window (`block_duration`-aligned, 2h by default) up to a sample budget;
//! when the budget is exceeded everything buffered is written out as blocks and buffering
//! starts over, so memory stays bounded whatever the file size. Blocks of the same window that
//! come from different spills overlap; at the end they are compacted into one per window
//! (optional: the reader merges overlapping blocks anyway).
//!
//! Nothing partial is left behind: all blocks are built in a staging directory
//! `<data_dir>/import-<ULID>.tmp-for-creation` and moved into `data_dir` only after the whole
//! file parsed; on any error the staging directory is removed and the error names the line.
//! Every block is `[first sample, last sample + 1)` of its window, as promtool writes them.
//! Differences from promtool: samples of a series may come in any order (they are sorted), and
//! a repeated timestamp keeps the last value instead of failing.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use rill_codec::text::{Entry, LabelSet, TextParser};
use rill_model::{Labels, Sample};

use crate::block::writer::BlockWriter;
use crate::compact::compact_blocks;
use crate::data_dir::live_blocks;
use crate::error::{Error, Result};
use crate::fsutil::{TMP_CREATION_SUFFIX, remove_dir_quietly, rename_durably, sync_dir};
use crate::ulid::new_ulid;

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Width of the block windows in ms (promtool's `--max-block-duration`, default 2h).
    pub block_duration: i64,
    /// Samples buffered in memory before they are written out as blocks (about 24 bytes each).
    pub max_buffered_samples: usize,
    /// Merge the blocks written for the same window by different spills into one.
    pub compact: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            block_duration: 2 * 3600 * 1000,
            max_buffered_samples: 20_000_000,
            compact: true,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Sample lines read.
    pub samples: u64,
    /// Distinct series.
    pub series: u64,
    /// Times the buffer was written out before the end of the input.
    pub spills: u64,
    /// The block directories created in `data_dir`, sorted by time.
    pub blocks: Vec<PathBuf>,
    /// First sample timestamp (ms), if any sample was read.
    pub min_time: Option<i64>,
    /// Last sample timestamp (ms), if any sample was read.
    pub max_time: Option<i64>,
}

/// One series and its buffered samples per window start.
struct SeriesBuf {
    labels: Labels,
    windows: Vec<(i64, Vec<(i64, f64)>)>,
}

/// The in-memory buffer: interned series and per-window time bounds.
struct Buffer {
    series: Vec<SeriesBuf>,
    by_hash: HashMap<u64, Vec<u32>>,
    bounds: BTreeMap<i64, (i64, i64)>,
    buffered: usize,
}

/// Hash of the non-empty pairs (what `Labels::from_pairs` keeps).
fn hash_pairs(set: &LabelSet<'_>) -> u64 {
    let mut h = DefaultHasher::new();
    for (n, v) in set.iter().filter(|(_, v)| !v.is_empty()) {
        n.hash(&mut h);
        v.hash(&mut h);
    }
    h.finish()
}

fn same_labels(labels: &Labels, set: &LabelSet<'_>) -> bool {
    let mut pairs = set.iter().filter(|(_, v)| !v.is_empty());
    labels
        .iter()
        .all(|l| pairs.next().is_some_and(|(n, v)| *l.name == *n && *l.value == *v))
        && pairs.next().is_none()
}

impl Buffer {
    fn new() -> Self {
        Self {
            series: Vec::new(),
            by_hash: HashMap::new(),
            bounds: BTreeMap::new(),
            buffered: 0,
        }
    }

    /// The id of the series with labels `set`, interning it on first sight.
    fn series_id(&mut self, set: &LabelSet<'_>) -> u32 {
        let h = hash_pairs(set);
        let ids = self.by_hash.entry(h).or_default();
        if let Some(&id) = ids.iter().find(|&&id| {
            self.series
                .get(id as usize)
                .is_some_and(|s| same_labels(&s.labels, set))
        }) {
            return id;
        }
        let id = self.series.len() as u32;
        ids.push(id);
        self.series.push(SeriesBuf {
            labels: Labels::from_pairs(set.iter()),
            windows: Vec::new(),
        });
        id
    }

    fn push(&mut self, id: u32, window: i64, t: i64, v: f64) {
        let Some(s) = self.series.get_mut(id as usize) else {
            return;
        };
        let pos = match s.windows.iter().rposition(|(w, _)| *w == window) {
            Some(i) => i,
            None => {
                s.windows.push((window, Vec::new()));
                s.windows.len() - 1
            }
        };
        if let Some((_, samples)) = s.windows.get_mut(pos) {
            samples.push((t, v));
        }
        self.buffered += 1;
        let b = self.bounds.entry(window).or_insert((t, t));
        b.0 = b.0.min(t);
        b.1 = b.1.max(t);
    }

    /// Writes every buffered window as one block in `staging` and empties the buffer.
    fn flush(&mut self, staging: &Path) -> Result<Vec<(i64, PathBuf)>> {
        let mut order: Vec<usize> = (0..self.series.len())
            .filter(|&i| self.series.get(i).is_some_and(|s| !s.windows.is_empty()))
            .collect();
        order.sort_by(|&a, &b| {
            let la = self.series.get(a).map(|s| &s.labels);
            let lb = self.series.get(b).map(|s| &s.labels);
            la.cmp(&lb)
        });
        let mut out = Vec::new();
        for (&window, &(lo, hi)) in &self.bounds {
            let mut writer = BlockWriter::new(staging, lo, hi.saturating_add(1))?;
            for &id in &order {
                let Some(s) = self.series.get_mut(id) else { continue };
                let Some(i) = s.windows.iter().position(|(w, _)| *w == window) else {
                    continue;
                };
                let (_, samples) = s.windows.swap_remove(i);
                let samples = sorted_unique(samples);
                writer.add_series(&s.labels, samples.into_iter().map(|(t, v)| Sample::float(t, v)))?;
            }
            if let Some(b) = writer.finish()? {
                out.push((window, b.dir));
            }
        }
        self.bounds.clear();
        self.buffered = 0;
        Ok(out)
    }
}

/// Sorts samples by time; of samples with equal timestamps the last one read wins.
fn sorted_unique(mut samples: Vec<(i64, f64)>) -> Vec<(i64, f64)> {
    if samples.windows(2).all(|w| w[0].0 < w[1].0) {
        return samples;
    }
    samples.reverse();
    samples.sort_by_key(|&(t, _)| t);
    samples.dedup_by_key(|&mut (t, _)| t);
    samples
}

/// Converts a parser error into an import error naming the line.
fn parse_error(e: rill_codec::Error, line: usize) -> Error {
    match e {
        rill_codec::Error::Text { line, reason } => Error::Import { line, reason },
        rill_codec::Error::Io(source) => Error::io(Path::new("<import input>"), source),
        other => Error::Import {
            line,
            reason: other.to_string(),
        },
    }
}

/// Imports the text document read from `reader` into blocks in `data_dir` (created if missing).
/// See the module docs for the buffering and atomicity rules.
pub fn import_text(reader: impl BufRead, data_dir: &Path, opts: &ImportOptions) -> Result<ImportStats> {
    if opts.block_duration <= 0 {
        return Err(Error::Invalid(format!(
            "block duration must be positive, got {} ms",
            opts.block_duration
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let staging = data_dir.join(format!("import-{}{TMP_CREATION_SUFFIX}", new_ulid()));
    std::fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let result = import_into(reader, &staging, data_dir, opts);
    remove_dir_quietly(&staging);
    result
}

fn import_into(reader: impl BufRead, staging: &Path, data_dir: &Path, opts: &ImportOptions) -> Result<ImportStats> {
    let mut parser = TextParser::new(reader, 0);
    let mut buf = Buffer::new();
    let mut written: Vec<(i64, PathBuf)> = Vec::new();
    let mut stats = ImportStats::default();
    loop {
        let entry = match parser.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => return Err(parse_error(e, parser.line_number())),
        };
        let (id, t, v, has_ts) = match entry {
            Entry::Sample(s) => (buf.series_id(&s.labels()), s.timestamp, s.value, s.has_timestamp),
            _ => continue,
        };
        if !has_ts {
            return Err(Error::Import {
                line: parser.line_number(),
                reason: "sample has no timestamp; backfilling needs explicit timestamps".into(),
            });
        }
        buf.push(id, t.div_euclid(opts.block_duration) * opts.block_duration, t, v);
        stats.samples += 1;
        stats.min_time = Some(stats.min_time.map_or(t, |m| m.min(t)));
        stats.max_time = Some(stats.max_time.map_or(t, |m| m.max(t)));
        if buf.buffered >= opts.max_buffered_samples.max(1) {
            written.extend(buf.flush(staging)?);
            stats.spills += 1;
        }
    }
    written.extend(buf.flush(staging)?);
    stats.series = buf.series.len() as u64;
    if opts.compact {
        written = compact_windows(staging, written)?;
    }
    for (_, dir) in &written {
        let name = dir
            .file_name()
            .ok_or_else(|| Error::Invalid(format!("bad block path {}", dir.display())))?;
        let dest = data_dir.join(name);
        rename_durably(dir, &dest)?;
    }
    sync_dir(data_dir)?;
    let mut blocks: Vec<PathBuf> = live_blocks(data_dir)?
        .into_iter()
        .filter(|b| written.iter().any(|(_, d)| d.file_name() == b.dir.file_name()))
        .map(|b| b.dir)
        .collect();
    blocks.sort();
    stats.blocks = blocks;
    Ok(stats)
}

/// Merges blocks written for the same window into one.
fn compact_windows(staging: &Path, written: Vec<(i64, PathBuf)>) -> Result<Vec<(i64, PathBuf)>> {
    let mut by_window: BTreeMap<i64, Vec<PathBuf>> = BTreeMap::new();
    for (w, d) in written {
        by_window.entry(w).or_default().push(d);
    }
    let mut out = Vec::new();
    for (w, dirs) in by_window {
        if dirs.len() == 1 {
            out.extend(dirs.into_iter().map(|d| (w, d)));
        } else if let Some(d) = compact_blocks(staging, &dirs)? {
            out.push((w, d));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
