//! Writes a block directory in Prometheus's format, readable by Prometheus and `promtool`.
//!
//! [`BlockWriter`] streams chunk data straight into `chunks/` segment files and keeps only the
//! series' labels and chunk metadata in memory; [`BlockWriter::finish`] writes the index,
//! `meta.json` and an empty `tombstones` file into `<ULID>.tmp-for-creation`, fsyncs them, and
//! renames the directory to `<ULID>` (then fsyncs the data directory), so readers see either
//! the whole block or nothing. Dropping an unfinished writer removes the temporary directory.
//!
//! Typical use (compacting a head, backfilling, merging blocks):
//!
//! ```no_run
//! # use rill_model::{Labels, Sample};
//! # use rill_tsdb::block::writer::BlockWriter;
//! # fn main() -> rill_tsdb::Result<()> {
//! let mut w = BlockWriter::new(std::path::Path::new("data"), 0, 7_200_000)?;
//! // Series in label order; samples in time order inside [mint, maxt).
//! w.add_series(&Labels::from_pairs([("__name__", "up")]), [Sample::float(1000, 1.0)])?;
//! let block = w.finish()?; // None if no sample was added
//! # Ok(()) }
//! ```

mod chunks;
mod encbuf;
mod index;
mod meta;
mod series;

use std::path::{Path, PathBuf};

use rill_model::{Chunk, ChunkEncoding, Labels, Sample};

use self::chunks::ChunkWriter;
use self::index::{SeriesRecord, write_index};
use self::series::{EncodedChunk, SeriesEncoder};
use crate::block::index::ChunkMeta;
use crate::block::meta::{BlockCompaction, BlockMeta, BlockStats};
use crate::decode::decode_chunk;
use crate::error::{Error, Result};
use crate::fsutil::{TMP_CREATION_SUFFIX, remove_dir_quietly, rename_durably, sync_dir};
use crate::ulid::new_ulid;

pub use self::chunks::DEFAULT_SEGMENT_SIZE;
pub(crate) use self::meta::write_meta;
pub use self::meta::write_tombstones;
pub use self::series::SAMPLES_PER_CHUNK;

/// Tuning knobs of [`BlockWriter`].
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Maximum size of one chunk segment file (Prometheus: 512 MiB).
    pub segment_size: u64,
    /// The new block's compaction metadata; `None` makes a level-1 block whose only source is
    /// itself (what a head compaction or a backfill writes).
    pub compaction: Option<BlockCompaction>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            segment_size: DEFAULT_SEGMENT_SIZE,
            compaction: None,
        }
    }
}

/// A block that [`BlockWriter::finish`] made durable.
#[derive(Clone, Debug)]
pub struct WrittenBlock {
    /// The final block directory, `<data_dir>/<ULID>`.
    pub dir: PathBuf,
    /// Its `meta.json`.
    pub meta: BlockMeta,
}

/// Builds one block; see the module docs.
#[derive(Debug)]
pub struct BlockWriter {
    data_dir: PathBuf,
    tmp_dir: PathBuf,
    ulid: String,
    mint: i64,
    maxt: i64,
    compaction: Option<BlockCompaction>,
    chunks: Option<ChunkWriter>,
    series: Vec<SeriesRecord>,
    stats: BlockStats,
    finished: bool,
}

impl BlockWriter {
    /// Starts a block covering `[mint, maxt)` (ms; `maxt` exclusive, as in `meta.json`) in
    /// `data_dir`, with default options.
    pub fn new(data_dir: &Path, mint: i64, maxt: i64) -> Result<Self> {
        Self::with_options(data_dir, mint, maxt, WriterOptions::default())
    }

    /// Starts a block with explicit options.
    pub fn with_options(data_dir: &Path, mint: i64, maxt: i64, opts: WriterOptions) -> Result<Self> {
        if mint >= maxt {
            return Err(Error::Invalid(format!("block range [{mint}, {maxt}) is empty")));
        }
        let ulid = new_ulid();
        let tmp_dir = data_dir.join(format!("{ulid}{TMP_CREATION_SUFFIX}"));
        remove_dir_quietly(&tmp_dir);
        std::fs::create_dir_all(&tmp_dir).map_err(|e| Error::io(&tmp_dir, e))?;
        let chunks = ChunkWriter::new(&tmp_dir.join("chunks"), opts.segment_size);
        let chunks = match chunks {
            Ok(c) => c,
            Err(e) => {
                remove_dir_quietly(&tmp_dir);
                return Err(e);
            }
        };
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            tmp_dir,
            ulid,
            mint,
            maxt,
            compaction: opts.compaction,
            chunks: Some(chunks),
            series: Vec::new(),
            stats: BlockStats::default(),
            finished: false,
        })
    }

    /// The new block's ULID (its directory name once finished).
    pub fn ulid(&self) -> &str {
        &self.ulid
    }

    /// Number of samples added so far.
    pub fn num_samples(&self) -> u64 {
        self.stats.num_samples
    }

    fn check_order(&self, labels: &Labels) -> Result<()> {
        match self.series.last() {
            Some(prev) if prev.labels >= *labels => Err(Error::Invalid(format!(
                "series must be added in label order without repeats: {labels} after {}",
                prev.labels
            ))),
            _ if labels.is_empty() => Err(Error::Invalid("a series needs at least one label".into())),
            _ => Ok(()),
        }
    }

    fn check_range(&self, t: i64) -> Result<()> {
        if t < self.mint || t >= self.maxt {
            return Err(Error::Invalid(format!(
                "sample at {t} outside the block range [{}, {})",
                self.mint, self.maxt
            )));
        }
        Ok(())
    }

    /// Writes `c` to the segments and returns its metadata, updating the statistics.
    fn store(
        &mut self,
        encoding: ChunkEncoding,
        data: &[u8],
        min_time: i64,
        max_time: i64,
        samples: u64,
    ) -> Result<ChunkMeta> {
        let writer = self
            .chunks
            .as_mut()
            .ok_or_else(|| Error::Invalid("block writer already finished".into()))?;
        let chunk_ref = writer.write(encoding, data)?;
        self.stats.num_chunks += 1;
        self.stats.num_samples += samples;
        match encoding {
            ChunkEncoding::Xor => self.stats.num_float_samples += samples,
            ChunkEncoding::Histogram | ChunkEncoding::FloatHistogram => self.stats.num_histogram_samples += samples,
        }
        Ok(ChunkMeta {
            min_time,
            max_time,
            chunk_ref,
        })
    }

    fn store_encoded(&mut self, c: EncodedChunk) -> Result<ChunkMeta> {
        self.store(c.encoding, &c.data, c.min_time, c.max_time, c.samples)
    }

    fn push_record(&mut self, labels: &Labels, chunks: Vec<ChunkMeta>) {
        if !chunks.is_empty() {
            self.stats.num_series += 1;
            self.series.push(SeriesRecord {
                labels: labels.clone(),
                chunks,
            });
        }
    }

    /// Adds a series and its samples. Series must come in strictly increasing label order;
    /// samples in strictly increasing time order, inside the block's range. Floats become XOR
    /// chunks, histograms float-histogram chunks, cut at [`SAMPLES_PER_CHUNK`] samples (see
    /// `series.rs` for the histogram rules). A series without samples is not written.
    pub fn add_series(&mut self, labels: &Labels, samples: impl IntoIterator<Item = Sample>) -> Result<()> {
        self.check_order(labels)?;
        let mut enc = SeriesEncoder::new();
        let mut out: Vec<EncodedChunk> = Vec::new();
        let mut metas = Vec::new();
        for s in samples {
            self.check_range(s.t)?;
            enc.push(&s, &mut |c| {
                out.push(c);
                Ok(())
            })?;
            for c in out.drain(..) {
                metas.push(self.store_encoded(c)?);
            }
        }
        enc.finish(&mut |c| {
            out.push(c);
            Ok(())
        })?;
        for c in out.drain(..) {
            metas.push(self.store_encoded(c)?);
        }
        self.push_record(labels, metas);
        Ok(())
    }

    /// Adds a series given as chunks in time order (the form blocks and the head hold data in).
    ///
    /// An encoded chunk lying inside the block's range and after the previous chunk is copied
    /// byte for byte (keeping integer-histogram chunks as they are); decoded chunks, and encoded
    /// ones that stick out of the range, are (re-)encoded sample by sample, dropping samples
    /// outside the range. Samples must not go back in time across chunks.
    pub fn add_chunks(&mut self, labels: &Labels, chunks: impl IntoIterator<Item = Result<Chunk>>) -> Result<()> {
        self.check_order(labels)?;
        let mut metas: Vec<ChunkMeta> = Vec::new();
        let mut pending: Vec<EncodedChunk> = Vec::new();
        let mut enc: Option<SeriesEncoder> = None;
        let mut last_t: Option<i64> = None;
        let mut decoded = Vec::new();
        for chunk in chunks {
            let chunk = chunk?;
            match &chunk {
                Chunk::Encoded {
                    encoding,
                    min_time,
                    max_time,
                    data,
                } if *min_time >= self.mint
                    && *max_time < self.maxt
                    && min_time <= max_time
                    && last_t.is_none_or(|t| t < *min_time) =>
                {
                    if let Some(e) = enc.take() {
                        e.finish(&mut |c| {
                            pending.push(c);
                            Ok(())
                        })?;
                    }
                    for c in pending.drain(..) {
                        metas.push(self.store_encoded(c)?);
                    }
                    let samples = data.get(..2).map_or(0, |b| u64::from(u16::from_be_bytes([b[0], b[1]])));
                    metas.push(self.store(*encoding, data, *min_time, *max_time, samples)?);
                    last_t = Some(*max_time);
                }
                _ => {
                    decoded.clear();
                    chunk_samples(&chunk, &mut decoded)?;
                    let e = enc.get_or_insert_with(|| {
                        let mut e = SeriesEncoder::new();
                        e.set_last_t(last_t);
                        e
                    });
                    for s in decoded.drain(..) {
                        if s.t < self.mint || s.t >= self.maxt {
                            continue;
                        }
                        e.push(&s, &mut |c| {
                            pending.push(c);
                            Ok(())
                        })?;
                    }
                    last_t = e.last_t();
                    for c in pending.drain(..) {
                        metas.push(self.store_encoded(c)?);
                    }
                }
            }
        }
        if let Some(e) = enc.take() {
            e.finish(&mut |c| {
                pending.push(c);
                Ok(())
            })?;
        }
        for c in pending.drain(..) {
            metas.push(self.store_encoded(c)?);
        }
        self.push_record(labels, metas);
        Ok(())
    }

    /// Writes the index, meta and tombstones, and makes the block visible atomically. Returns
    /// `None` (and leaves nothing on disk) if no sample was added.
    pub fn finish(mut self) -> Result<Option<WrittenBlock>> {
        self.finished = true;
        let result = self.write_out();
        if !matches!(result, Ok(Some(_))) {
            remove_dir_quietly(&self.tmp_dir);
        }
        result
    }

    fn write_out(&mut self) -> Result<Option<WrittenBlock>> {
        if let Some(c) = self.chunks.take() {
            c.finish()?;
        }
        if self.series.is_empty() {
            return Ok(None);
        }
        write_index(&self.tmp_dir.join("index"), &self.series)?;
        self.series = Vec::new();
        let compaction = self.compaction.take().unwrap_or_else(|| BlockCompaction {
            level: 1,
            sources: vec![self.ulid.clone()],
            ..BlockCompaction::default()
        });
        let meta = BlockMeta {
            ulid: self.ulid.clone(),
            min_time: self.mint,
            max_time: self.maxt,
            stats: std::mem::take(&mut self.stats),
            compaction,
            version: 1,
        };
        write_tombstones(&self.tmp_dir, &[])?;
        write_meta(&self.tmp_dir, &meta)?;
        sync_dir(&self.tmp_dir.join("chunks"))?;
        sync_dir(&self.tmp_dir)?;
        let dir = self.data_dir.join(&self.ulid);
        rename_durably(&self.tmp_dir, &dir)?;
        Ok(Some(WrittenBlock { dir, meta }))
    }
}

impl Drop for BlockWriter {
    fn drop(&mut self) {
        if !self.finished {
            remove_dir_quietly(&self.tmp_dir);
        }
    }
}

/// Appends the samples of `chunk` to `out`.
fn chunk_samples(chunk: &Chunk, out: &mut Vec<Sample>) -> Result<()> {
    match chunk {
        Chunk::Encoded { encoding, data, .. } => decode_chunk(*encoding, data, out).map_err(|source| Error::Chunk {
            file: PathBuf::from("<chunk being compacted>"),
            offset: 0,
            source,
        }),
        Chunk::Decoded { samples, range } => {
            out.extend(samples.get(range.clone()).unwrap_or_default().iter().cloned());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
