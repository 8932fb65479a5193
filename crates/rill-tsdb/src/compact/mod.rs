//! Merging blocks into one, as Prometheus's compactor does.
//!
//! [`compact_blocks`] reads its inputs through the normal query path (so series are merged by
//! labels, overlapping chunks are merged with duplicates dropped, and tombstones are applied
//! exactly as queries see them), writes one block with level `max + 1`, the union of the
//! inputs' sources and the inputs as `parents`, and only after that block is durable deletes
//! the inputs. A crash in between leaves both on disk, but readers skip blocks named as parents
//! of another block ([`crate::data_dir`]), so data is never seen twice. Chunks that need no
//! merging are copied byte for byte.
//!
//! [`compact_planned`] repeatedly asks the planner ([`plan`]) for the next set of blocks and
//! compacts it: the head's owner calls it after cutting a block, like Prometheus's
//! `db.Compact`.

mod plan;

use std::path::{Path, PathBuf};

use crate::block::Block;
use crate::block::meta::{BlockCompaction, BlockDesc};
use crate::block::writer::{BlockWriter, WriterOptions, write_meta};
use crate::data_dir::{live_blocks, remove_obsolete};
use crate::error::{Error, Result};
use crate::fsutil::delete_block_dir;
use crate::querier::BlockSet;

pub use plan::{TWO_HOURS_MS, block_ranges, plan};

/// Merges the blocks in `dirs` into one new block in `data_dir` and deletes the inputs.
///
/// Returns the new block's directory, or `None` if nothing was left (every sample deleted by
/// tombstones): then the inputs are marked deletable and removed, and no block is written.
pub fn compact_blocks(data_dir: &Path, dirs: &[PathBuf]) -> Result<Option<PathBuf>> {
    compact_with(data_dir, dirs, WriterOptions::default())
}

/// [`compact_blocks`] with explicit writer options (their `compaction` field is ignored).
pub fn compact_with(data_dir: &Path, dirs: &[PathBuf], opts: WriterOptions) -> Result<Option<PathBuf>> {
    if dirs.is_empty() {
        return Err(Error::Invalid("compaction needs at least one block".into()));
    }
    let blocks = dirs.iter().map(|d| Block::open(d)).collect::<Result<Vec<_>>>()?;
    let metas: Vec<_> = blocks.iter().map(|b| b.meta().clone()).collect();
    let mint = metas.iter().map(|m| m.min_time).min().unwrap_or(0);
    let maxt = metas.iter().map(|m| m.max_time).max().unwrap_or(0).max(mint + 1);
    let mut sources: Vec<String> = metas
        .iter()
        .flat_map(|m| m.compaction.sources.iter().cloned())
        .collect();
    sources.sort();
    sources.dedup();
    let compaction = BlockCompaction {
        level: metas.iter().map(|m| m.compaction.level).max().unwrap_or(0) + 1,
        sources,
        deletable: false,
        parents: metas
            .iter()
            .map(|m| BlockDesc {
                ulid: m.ulid.clone(),
                min_time: m.min_time,
                max_time: m.max_time,
            })
            .collect(),
    };
    let mut writer = BlockWriter::with_options(
        data_dir,
        mint,
        maxt,
        WriterOptions {
            compaction: Some(compaction),
            ..opts
        },
    )?;
    let set = BlockSet::from_blocks(blocks);
    let mut series = set.block_querier(mint, maxt).select_series(&[])?;
    while let Some((labels, mut chunks)) = series.next_chunks()? {
        writer.add_chunks(&labels, std::iter::from_fn(|| chunks.next_chunk().transpose()))?;
    }
    drop(series);
    drop(set);
    let written = writer.finish()?;
    if written.is_none() {
        // Nothing survived: mark the inputs so no reader uses them even if deletion fails.
        for (dir, meta) in dirs.iter().zip(&metas) {
            let mut m = meta.clone();
            m.compaction.deletable = true;
            write_meta(dir, &m)?;
        }
    }
    for dir in dirs {
        delete_block_dir(dir)?;
    }
    Ok(written.map(|w| w.dir))
}

/// Compacts `data_dir` until the planner finds nothing more to do, with Prometheus's leveled
/// strategy over `ranges` (see [`block_ranges`]); first removes obsolete blocks and leftover
/// temporary directories. Returns the blocks created (the last one holds everything merged).
pub fn compact_planned(data_dir: &Path, ranges: &[i64]) -> Result<Vec<PathBuf>> {
    remove_obsolete(data_dir)?;
    let mut created = Vec::new();
    loop {
        let blocks = live_blocks(data_dir)?;
        let next = plan(&blocks, ranges);
        if next.is_empty() {
            return Ok(created);
        }
        if let Some(dir) = compact_blocks(data_dir, &next)? {
            created.push(dir);
        }
    }
}

#[cfg(test)]
mod tests;
