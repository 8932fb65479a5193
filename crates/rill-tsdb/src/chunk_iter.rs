//! The chunks of one selected series, gathered from one or more blocks.
//!
//! Chunks are handed out still encoded (zero copy from the mapping) whenever possible. Only a
//! group of chunks that overlap in time (the same series in overlapping blocks) or a chunk that
//! touches a deleted interval is decoded: its samples are merged in time order, duplicates
//! (same timestamp) keep the earlier block's sample, deleted samples are dropped, and the result
//! is handed out as one decoded chunk. Chunks entirely inside a deleted interval are skipped
//! without being read.

use std::sync::Arc;

use rill_model::{Chunk, ChunkIterator, Sample};

use crate::block::Block;
use crate::block::index::ChunkMeta;
use crate::block::tombstones::is_deleted;
use crate::decode::decode_chunk;
use crate::error::{Error, Result};

/// One chunk of a series and the block (and deleted intervals) it comes from.
#[derive(Clone, Debug)]
pub(crate) struct ChunkSource {
    pub block: Arc<Block>,
    pub meta: ChunkMeta,
    /// Deleted intervals of this series in this block.
    pub deleted: Arc<[(i64, i64)]>,
}

impl ChunkSource {
    fn touches_deleted(&self) -> bool {
        self.deleted
            .iter()
            .any(|&(a, b)| a <= self.meta.max_time && self.meta.min_time <= b)
    }

    /// Whether a deleted interval covers the whole chunk.
    pub fn fully_deleted(&self) -> bool {
        self.deleted
            .iter()
            .any(|&(a, b)| a <= self.meta.min_time && self.meta.max_time <= b)
    }

    fn read(&self) -> Result<crate::block::chunks::RawChunk> {
        self.block.chunks().chunk(self.meta.chunk_ref)
    }

    fn decode_into(&self, out: &mut Vec<Sample>) -> Result<()> {
        let raw = self.read()?;
        let start = out.len();
        decode_chunk(raw.encoding, &raw.data, out).map_err(|source| Error::Chunk {
            file: self
                .block
                .chunks()
                .segment_path((self.meta.chunk_ref >> 32) as usize)
                .map(|p| p.to_path_buf())
                .unwrap_or_default(),
            offset: self.meta.chunk_ref & 0xffff_ffff,
            source,
        })?;
        if !self.deleted.is_empty() {
            let mut i = start;
            out.retain(|s| {
                let keep = i < start || !is_deleted(&self.deleted, s.t);
                i += 1;
                keep
            });
        }
        Ok(())
    }
}

/// Lazily yields the chunks of one series in time order.
pub(crate) struct SeriesChunks {
    chunks: Vec<ChunkSource>,
    pos: usize,
}

impl SeriesChunks {
    /// Chunks from all blocks of one series; sorted here by start time (stable, so earlier
    /// blocks win ties).
    pub fn new(mut chunks: Vec<ChunkSource>) -> Self {
        chunks.sort_by_key(|c| c.meta.min_time);
        Self { chunks, pos: 0 }
    }
}

impl SeriesChunks {
    /// The next chunk (typed errors; the trait method wraps this).
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        loop {
            let Some(first) = self.chunks.get(self.pos) else {
                return Ok(None);
            };
            let mut end = self.pos + 1;
            let mut group_max = first.meta.max_time;
            while let Some(c) = self.chunks.get(end)
                && c.meta.min_time <= group_max
            {
                group_max = group_max.max(c.meta.max_time);
                end += 1;
            }
            let group = self.chunks.get(self.pos..end).unwrap_or_default();
            self.pos = end;
            if let [only] = group
                && !only.touches_deleted()
            {
                let raw = only.read()?;
                return Ok(Some(Chunk::Encoded {
                    encoding: raw.encoding,
                    min_time: only.meta.min_time,
                    max_time: only.meta.max_time,
                    data: raw.data,
                }));
            }
            let mut samples = Vec::new();
            for c in group.iter().filter(|c| !c.fully_deleted()) {
                c.decode_into(&mut samples)?;
            }
            samples.sort_by_key(|s| s.t);
            samples.dedup_by_key(|s| s.t);
            if samples.is_empty() {
                continue;
            }
            let len = samples.len();
            return Ok(Some(Chunk::Decoded {
                samples: Arc::new(samples),
                range: 0..len,
            }));
        }
    }
}

impl ChunkIterator for SeriesChunks {
    fn next(&mut self) -> rill_model::Result<Option<Chunk>> {
        Ok(self.next_chunk()?)
    }
}
