//! The blocks of a data directory as Prometheus sees them on reload: ULID-named directories
//! with a readable `meta.json`, minus obsolete ones.
//!
//! A block is obsolete if its meta says `compaction.deletable`, or if another block names it
//! among its `compaction.parents` (the compacted block was made durable but the inputs were not
//! deleted yet, e.g. after a crash). Directories being created or deleted (`*.tmp-for-creation`,
//! `*.tmp-for-deletion`) and anything else that is not a ULID are never blocks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::block::meta::BlockMeta;
use crate::error::{Error, Result};
use crate::fsutil::{TMP_CREATION_SUFFIX, TMP_DELETION_SUFFIX, delete_block_dir, dir_size};

/// One block directory and its metadata.
#[derive(Clone, Debug)]
pub struct BlockDir {
    /// The block directory.
    pub dir: PathBuf,
    /// Its parsed `meta.json`.
    pub meta: BlockMeta,
}

impl BlockDir {
    /// Total bytes of the block's files (index, chunks, meta, tombstones), as Prometheus
    /// counts a block for size retention.
    pub fn size(&self) -> Result<u64> {
        dir_size(&self.dir)
    }
}

/// Whether `name` looks like a block ULID (26 Crockford base32 characters).
pub(crate) fn is_ulid(name: &str) -> bool {
    name.len() == 26 && name.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// The ULID-named directories with a `meta.json` in `data_dir`, obsolete ones included.
fn all_blocks(data_dir: &Path) -> Result<Vec<BlockDir>> {
    let entries = std::fs::read_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(data_dir, e))?;
        let path = entry.path();
        let meta_path = path.join("meta.json");
        if entry.file_name().to_str().is_some_and(is_ulid) && meta_path.is_file() {
            out.push(BlockDir {
                meta: BlockMeta::read(&meta_path)?,
                dir: path,
            });
        }
    }
    Ok(out)
}

/// Splits the blocks of `data_dir` into live ones (sorted by min time, then ULID) and
/// obsolete ones (see the module docs).
pub fn scan_blocks(data_dir: &Path) -> Result<(Vec<BlockDir>, Vec<BlockDir>)> {
    let blocks = all_blocks(data_dir)?;
    let parents: HashSet<String> = blocks
        .iter()
        .flat_map(|b| b.meta.compaction.parents.iter().map(|p| p.ulid.clone()))
        .collect();
    let (mut live, obsolete): (Vec<_>, Vec<_>) = blocks
        .into_iter()
        .partition(|b| !b.meta.compaction.deletable && !parents.contains(&b.meta.ulid));
    live.sort_by(|a, b| (a.meta.min_time, &a.meta.ulid).cmp(&(b.meta.min_time, &b.meta.ulid)));
    Ok((live, obsolete))
}

/// The live blocks of `data_dir`, sorted by min time.
pub fn live_blocks(data_dir: &Path) -> Result<Vec<BlockDir>> {
    Ok(scan_blocks(data_dir)?.0)
}

/// Deletes obsolete blocks and leftover `*.tmp-for-creation` / `*.tmp-for-deletion`
/// directories (what Prometheus cleans up when it opens a data directory). Returns the
/// directories removed. Call it only while no other writer works in `data_dir`.
pub fn remove_obsolete(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let entries = std::fs::read_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(data_dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(TMP_CREATION_SUFFIX) || name.ends_with(TMP_DELETION_SUFFIX) {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(|e| Error::io(&path, e))?;
            removed.push(path);
        }
    }
    for b in scan_blocks(data_dir)?.1 {
        delete_block_dir(&b.dir)?;
        removed.push(b.dir);
    }
    Ok(removed)
}
