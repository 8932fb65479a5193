//! Head compaction of a [`super::Db`]: the oldest block-duration window of the head becomes a
//! block, without ever showing a query a sample twice or not at all, and without holding the
//! commit lock while the block is written.
//!
//! The steps: (1) under the commit lock, stop accepting samples in the window (only
//! out-of-order ones could still land there); (2) write the window's chunks as a block;
//! (3) add the block to the block set, then tell the head that the window is persisted — new
//! queriers read it from the block from now on; (4) wait until no older querier reads the
//! window from the head; (5) under the commit lock, drop the window from the head and finish the
//! WAL segment; (6) checkpoint the WAL and apply retention. A compaction cancelled while it
//! waits (shutdown) resumes at step 4 next time: a window already persisted is not written
//! again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::DbOptions;
use crate::block::Block;
use crate::block::writer::BlockWriter;
use crate::error::{Error, Result};
use crate::head::Head;
use crate::querier::BlockSet;
use crate::wal::checkpoint::checkpoint;

/// What compaction shares with the `Db` (and with the background compactor thread).
pub(super) struct Store {
    pub dir: PathBuf,
    pub opts: DbOptions,
    pub blocks: RwLock<BlockSet>,
    pub head: Arc<Head>,
    pub read_only: bool,
    /// One compaction at a time.
    compacting: Mutex<()>,
}

impl Store {
    pub fn new(dir: &Path, opts: DbOptions, blocks: BlockSet, head: Arc<Head>, read_only: bool) -> Self {
        Self {
            dir: dir.to_path_buf(),
            opts,
            blocks: RwLock::new(blocks),
            head,
            read_only,
            compacting: Mutex::new(()),
        }
    }

    /// Whether the head spans more than 1.5 block durations.
    pub fn needs_compaction(&self) -> bool {
        let (min, max) = (self.head.min_time(), self.head.max_time());
        let bd = self.head.options().block_duration;
        min != i64::MAX && max.saturating_sub(min) > bd.saturating_mul(3) / 2
    }

    /// Compacts while the head spans more than 1.5 block durations; returns the new blocks.
    /// `cancelled` is checked while waiting for queries (see [`Store::compact_oldest_window`]).
    pub fn compact(&self, cancelled: &dyn Fn() -> bool) -> Result<Vec<PathBuf>> {
        let _guard = self.compacting.lock();
        let mut out = Vec::new();
        while self.needs_compaction() {
            match self.compact_window(cancelled)? {
                Some(dir) => out.push(dir),
                None => break,
            }
        }
        Ok(out)
    }

    /// One compaction of the oldest window (see the module docs), under the compaction lock.
    /// If `cancelled()` turns true while it waits for queries still reading the window from
    /// the head, it stops with an error, leaving the window both in the block and in the head
    /// (queries read it from the block; the next compaction only drops it from the head).
    pub fn compact_oldest_window(&self, cancelled: &dyn Fn() -> bool) -> Result<Option<PathBuf>> {
        let _guard = self.compacting.lock();
        self.compact_window(cancelled)
    }

    fn compact_window(&self, cancelled: &dyn Fn() -> bool) -> Result<Option<PathBuf>> {
        if self.read_only {
            return Err(Error::Invalid("database opened read-only".into()));
        }
        let bd = self.head.options().block_duration;
        let min = self.head.min_time();
        if min == i64::MAX {
            return Ok(None);
        }
        let start = min.div_euclid(bd).saturating_mul(bd);
        let end = start.saturating_add(bd);
        let block_dir = if end > self.head.persisted_until() {
            {
                let _commit = self.head.lock_wal();
                self.head.raise_min_valid(end);
            }
            let dir = self.write_block(start, end)?;
            self.head.mark_persisted(end);
            dir
        } else {
            None
        };
        if !self.head.readers.wait_none_below(end, cancelled) {
            return Err(Error::Invalid(format!(
                "head compaction interrupted while queries still read data before {end}; \
                 it resumes at the next compaction or open"
            )));
        }
        let last_segment = {
            let mut wal = self.head.lock_wal();
            self.head.truncate(end);
            match wal.as_mut() {
                Some(w) => Some(w.next_segment()?),
                None => None,
            }
        };
        if let Some(last) = last_segment {
            let head = self.head.clone();
            checkpoint(&self.dir.join("wal"), last, |r| head.has_series(r), end)?;
        }
        self.apply_retention()?;
        Ok(block_dir)
    }

    /// Writes the head's data in `[start, end)` as a block and adds it to the block set.
    fn write_block(&self, start: i64, end: i64) -> Result<Option<PathBuf>> {
        let mut writer = BlockWriter::new(&self.dir, start, end)?;
        for s in self.head.all_series() {
            let chunks = s
                .data
                .lock()
                .chunks_in(start, end - 1)
                .map_err(|e| Error::Invalid(format!("head chunk of {}: {e}", s.labels)))?;
            if !chunks.is_empty() {
                writer.add_chunks(&s.labels, chunks.into_iter().map(Ok))?;
            }
        }
        let Some(written) = writer.finish()? else {
            return Ok(None);
        };
        let block = Arc::new(Block::open(&written.dir)?);
        let mut blocks = self.blocks.write();
        let mut all = blocks.blocks().to_vec();
        all.push(block);
        *blocks = BlockSet::from_shared(all);
        Ok(Some(written.dir))
    }

    /// Deletes blocks beyond the retention limits and forgets them.
    fn apply_retention(&self) -> Result<()> {
        if self.opts.retention_time.is_none() && self.opts.retention_size.is_none() {
            return Ok(());
        }
        let deleted = crate::retention::apply_retention(&self.dir, self.opts.retention_time, self.opts.retention_size)?;
        if !deleted.is_empty() {
            let mut blocks = self.blocks.write();
            let kept: Vec<Arc<Block>> = blocks
                .blocks()
                .iter()
                .filter(|b| !deleted.iter().any(|d| d == b.dir()))
                .cloned()
                .collect();
            *blocks = BlockSet::from_shared(kept);
        }
        Ok(())
    }
}
