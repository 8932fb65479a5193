//! One Prometheus TSDB block directory: `meta.json`, `index`, `chunks/`, `tombstones`.

pub mod chunks;
pub mod index;
pub mod matchers;
pub mod meta;
pub mod postings;
pub mod tombstones;
pub mod writer;

use std::path::{Path, PathBuf};

use rill_model::Matcher;

use self::chunks::ChunkReader;
use self::index::{IndexReader, SeriesEntry};
use self::meta::BlockMeta;
use self::postings::BoxPostings;
use self::tombstones::Tombstones;
use crate::error::Result;

/// An opened, memory-mapped block.
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader,
    chunks: ChunkReader,
    tombstones: Tombstones,
}

impl Block {
    /// Opens the block in `dir`, validating its meta, index header/TOC and segment headers.
    pub fn open(dir: &Path) -> Result<Self> {
        let meta = BlockMeta::read(&dir.join("meta.json"))?;
        let index = IndexReader::open(&dir.join("index"))?;
        let chunks = ChunkReader::open(&dir.join("chunks"))?;
        let tombstones = Tombstones::read(&dir.join("tombstones"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            meta,
            index,
            chunks,
            tombstones,
        })
    }

    /// The block directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The block's `meta.json`.
    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// The block's index.
    pub fn index(&self) -> &IndexReader {
        &self.index
    }

    /// The block's chunk segments.
    pub fn chunks(&self) -> &ChunkReader {
        &self.chunks
    }

    /// The block's deleted intervals.
    pub fn tombstones(&self) -> &Tombstones {
        &self.tombstones
    }

    /// Refs of the series matching `matchers`, in label order.
    pub fn postings(&self, matchers: &[Matcher]) -> Result<BoxPostings> {
        matchers::postings_for_matchers(&self.index, matchers)
    }

    /// The series entry with ref `series_ref`.
    pub fn series(&self, series_ref: u32) -> Result<SeriesEntry> {
        self.index.series(series_ref)
    }
}
