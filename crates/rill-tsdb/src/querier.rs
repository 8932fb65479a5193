//! The read path over a set of blocks: [`BlockSet`] implements [`Queryable`].
//!
//! A querier keeps the blocks overlapping its time range. `select` runs the matchers against
//! each block's index, walks each block's postings lazily (series come out in label order), and
//! merges the per-block streams by labels, so a series present in several blocks comes out once
//! with the chunks of all of them. Chunks outside the querier's range are dropped from the index
//! metadata without being read.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use rill_model::{Labels, Matcher, Querier, Queryable, SelectHints, Series, SeriesSet};

use crate::block::Block;
use crate::block::postings::BoxPostings;
use crate::chunk_iter::{ChunkSource, SeriesChunks};
use crate::data_dir::live_blocks;
use crate::error::Result;

/// The persisted blocks of a data directory, sorted by start time.
#[derive(Clone, Debug, Default)]
pub struct BlockSet {
    blocks: Vec<Arc<Block>>,
}

impl BlockSet {
    /// Opens every live block of `data_dir` (see [`crate::data_dir`]: ULID-named directories
    /// with a `meta.json`, skipping blocks marked deletable or superseded by a compacted block).
    /// Other entries (`wal/`, `chunks_head/`, the lock file, temporary dirs) are ignored.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let blocks = live_blocks(data_dir)?
            .iter()
            .map(|b| Block::open(&b.dir))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from_blocks(blocks))
    }

    /// A set of already opened blocks.
    pub fn from_blocks(blocks: Vec<Block>) -> Self {
        Self::from_shared(blocks.into_iter().map(Arc::new).collect())
    }

    /// A set of blocks already shared (e.g. a set plus a newly written block).
    pub fn from_shared(mut blocks: Vec<Arc<Block>>) -> Self {
        blocks.sort_by(|a, b| (a.meta().min_time, &a.meta().ulid).cmp(&(b.meta().min_time, &b.meta().ulid)));
        Self { blocks }
    }

    /// The blocks, sorted by start time.
    pub fn blocks(&self) -> &[Arc<Block>] {
        &self.blocks
    }

    /// A querier over `[mint, maxt]` (typed errors; the trait method wraps this).
    pub fn block_querier(&self, mint: i64, maxt: i64) -> BlockQuerier {
        BlockQuerier {
            blocks: self
                .blocks
                .iter()
                .filter(|b| b.meta().overlaps(mint, maxt))
                .cloned()
                .collect(),
            mint,
            maxt,
        }
    }
}

impl Queryable for BlockSet {
    fn querier(&self, mint: i64, maxt: i64) -> rill_model::Result<Box<dyn Querier>> {
        Ok(Box::new(self.block_querier(mint, maxt)))
    }
}

/// A querier over the blocks overlapping `[mint, maxt]`.
pub struct BlockQuerier {
    blocks: Vec<Arc<Block>>,
    mint: i64,
    maxt: i64,
}

impl BlockQuerier {
    /// The series matching `matchers`, merged across blocks, in label order.
    pub fn select_series(&self, matchers: &[Matcher]) -> Result<MergedSeriesSet> {
        let mut heads = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let mut it = BlockSeries {
                postings: block.postings(matchers)?,
                block: block.clone(),
                mint: self.mint,
                maxt: self.maxt,
            };
            let head = it.next()?;
            heads.push((it, head));
        }
        Ok(MergedSeriesSet { heads })
    }

    /// Calls `f` with the labels of every series matching `matchers` in each block.
    fn for_each_labels(&self, matchers: &[Matcher], mut f: impl FnMut(&Labels)) -> Result<()> {
        for block in &self.blocks {
            let mut p = block.postings(matchers)?;
            while let Some(r) = p.next() {
                f(&block.series(r)?.labels);
            }
        }
        Ok(())
    }

    /// Sorted unique label names (typed errors).
    pub fn names(&self, matchers: &[Matcher]) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        if matchers.is_empty() {
            for b in &self.blocks {
                out.extend(b.index().label_names().map(str::to_owned));
            }
        } else {
            self.for_each_labels(matchers, |l| {
                for label in l {
                    if !out.contains(&*label.name) {
                        out.insert(label.name.to_string());
                    }
                }
            })?;
        }
        Ok(out.into_iter().collect())
    }

    /// Sorted unique values of `name` (typed errors).
    pub fn values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>> {
        let mut out = BTreeSet::new();
        if matchers.is_empty() {
            for b in &self.blocks {
                out.extend(b.index().label_values(name).into_iter().map(str::to_owned));
            }
        } else {
            self.for_each_labels(matchers, |l| {
                if let Some(v) = l.get(name)
                    && !out.contains(v)
                {
                    out.insert(v.to_owned());
                }
            })?;
        }
        Ok(out.into_iter().collect())
    }
}

impl Querier for BlockQuerier {
    fn select(&self, _hints: &SelectHints, matchers: &[Matcher]) -> rill_model::Result<Box<dyn SeriesSet>> {
        Ok(Box::new(self.select_series(matchers)?))
    }

    fn label_names(&self, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        Ok(self.names(matchers)?)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> rill_model::Result<Vec<String>> {
        Ok(self.values(name, matchers)?)
    }
}

/// The matching series of one block with their chunks in the query range.
struct BlockSeries {
    block: Arc<Block>,
    postings: BoxPostings,
    mint: i64,
    maxt: i64,
}

impl BlockSeries {
    fn next(&mut self) -> Result<Head> {
        while let Some(r) = self.postings.next() {
            let entry = self.block.series(r)?;
            let deleted: Arc<[(i64, i64)]> = self.block.tombstones().get(u64::from(r)).into();
            let chunks: Vec<ChunkSource> = entry
                .chunks
                .into_iter()
                .filter(|c| c.max_time >= self.mint && c.min_time <= self.maxt)
                .map(|meta| ChunkSource {
                    block: self.block.clone(),
                    meta,
                    deleted: deleted.clone(),
                })
                .filter(|c| !c.fully_deleted())
                .collect();
            if !chunks.is_empty() {
                return Ok(Some((entry.labels, chunks)));
            }
        }
        Ok(None)
    }
}

/// A block's next matching series (labels and chunks), if any.
type Head = Option<(Labels, Vec<ChunkSource>)>;

/// Series of several blocks merged by labels.
pub struct MergedSeriesSet {
    heads: Vec<(BlockSeries, Head)>,
}

impl MergedSeriesSet {
    /// The next series' labels and its chunks from every block (crate-internal form of
    /// `next`, used by compaction to keep typed errors).
    pub(crate) fn next_chunks(&mut self) -> Result<Option<(Labels, SeriesChunks)>> {
        let Some(labels) = self
            .heads
            .iter()
            .filter_map(|(_, h)| h.as_ref().map(|(l, _)| l))
            .min()
            .cloned()
        else {
            return Ok(None);
        };
        let mut chunks = Vec::new();
        for (it, head) in &mut self.heads {
            if head.as_ref().is_some_and(|(l, _)| *l == labels) {
                if let Some((_, cs)) = head.take() {
                    chunks.extend(cs);
                }
                *head = it.next()?;
            }
        }
        Ok(Some((labels, SeriesChunks::new(chunks))))
    }

    fn next_merged(&mut self) -> Result<Option<Series>> {
        Ok(self.next_chunks()?.map(|(labels, chunks)| Series {
            labels,
            chunks: Box::new(chunks),
        }))
    }
}

impl SeriesSet for MergedSeriesSet {
    fn next(&mut self) -> rill_model::Result<Option<Series>> {
        Ok(self.next_merged()?)
    }
}
