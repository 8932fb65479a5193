//! [`Db`]: a data directory as a whole — persisted blocks, the head and its WAL.
//!
//! `open` loads the blocks, replays `wal/` into the head (accepting nothing older than the
//! newest block), and starts a new WAL segment. Queries see blocks and head merged
//! ([`crate::db_querier`]); appends go to the head ([`Appendable`]). After a commit, if the head
//! spans more than 1.5 block durations, its oldest block-duration window is written as a block
//! (the block writer), the head drops it, the WAL is checkpointed and truncated, and retention
//! runs — all in the committing thread, one compaction at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use rill_model::{Appendable, Appender, Labels, Querier, Queryable, Sample};

use crate::block::Block;
use crate::block::writer::BlockWriter;
use crate::db_querier::DbQuerier;
use crate::error::{Error, Result};
use crate::head::{Head, HeadAppender, HeadOptions, HeadQuerier, HeadReplay};
use crate::lock::DirLock;
use crate::querier::BlockSet;
use crate::wal::checkpoint::checkpoint;
use crate::wal::replay::Recovery;
use crate::wal::{FsyncPolicy, WalOptions, WalWriter};

/// How a [`Db`] ingests and keeps data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbOptions {
    /// When the WAL is fsynced.
    pub fsync: FsyncPolicy,
    /// WAL segment size in bytes.
    pub segment_size: usize,
    /// Snappy-compress WAL records.
    pub wal_compression: bool,
    /// Repair WAL corruption in the middle of the log by truncating there (Prometheus's
    /// behaviour) instead of refusing to open.
    pub wal_repair: bool,
    /// Accept samples up to this much older than the newest one (0: reject out-of-order).
    pub ooo_window: Duration,
    /// Length of the blocks the head is compacted into (Prometheus: 2h).
    pub block_duration: Duration,
    /// Delete blocks whose end is this much older than the newest block's end.
    pub retention_time: Option<Duration>,
    /// Delete the oldest blocks once all blocks together exceed this many bytes.
    pub retention_size: Option<u64>,
    /// Compact the head automatically after commits.
    pub auto_compact: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            fsync: FsyncPolicy::Always,
            segment_size: crate::wal::DEFAULT_SEGMENT_SIZE,
            wal_compression: false,
            wal_repair: false,
            ooo_window: Duration::ZERO,
            block_duration: Duration::from_secs(2 * 3600),
            retention_time: Some(Duration::from_secs(15 * 24 * 3600)),
            retention_size: None,
            auto_compact: true,
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A data directory: blocks + head + WAL.
pub struct Db {
    dir: PathBuf,
    opts: DbOptions,
    blocks: RwLock<BlockSet>,
    head: Arc<Head>,
    replay: HeadReplay,
    read_only: bool,
    compacting: Mutex<()>,
    /// Held while open for writing; `None` for read-only opens.
    _lock: Option<DirLock>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dir", &self.dir)
            .field("blocks", &self.blocks.read().blocks().len())
            .field("head", &self.head)
            .finish()
    }
}

/// End of the newest block (exclusive), or `i64::MIN` without blocks.
fn blocks_end(blocks: &BlockSet) -> i64 {
    blocks
        .blocks()
        .iter()
        .map(|b| b.meta().max_time)
        .max()
        .unwrap_or(i64::MIN)
}

impl Db {
    /// Opens (creating if needed) the data directory `dir` for reading and writing. Fails with
    /// [`Error::Locked`] while another writer has it open.
    pub fn open(dir: &Path, opts: DbOptions) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = DirLock::acquire(dir)?;
        let recovery = if opts.wal_repair {
            Recovery::Repair
        } else {
            Recovery::TruncateTail
        };
        let mut db = Self::load(dir, opts, recovery)?;
        db._lock = Some(lock);
        let wal = WalWriter::create(
            &dir.join("wal"),
            db.replay.wal.next_segment,
            WalOptions {
                segment_size: db.opts.segment_size,
                fsync: db.opts.fsync,
                compress: db.opts.wal_compression,
                repair: db.opts.wal_repair,
            },
        )?;
        db.head.set_wal(wal);
        Ok(db)
    }

    /// Opens `dir` without writing anything: blocks, plus the WAL replayed into a head that
    /// cannot be appended to durably (a damaged WAL tail is skipped, not truncated).
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let opts = DbOptions {
            auto_compact: false,
            ..DbOptions::default()
        };
        let mut db = Self::load(dir, opts, Recovery::ReadOnly)?;
        db.read_only = true;
        Ok(db)
    }

    fn load(dir: &Path, opts: DbOptions, recovery: Recovery) -> Result<Self> {
        let blocks = BlockSet::open(dir)?;
        let head = Arc::new(Head::new(
            HeadOptions {
                block_duration: millis(opts.block_duration).max(1),
                ooo_window: millis(opts.ooo_window),
            },
            blocks_end(&blocks),
        ));
        let replay = head.replay_wal(&dir.join("wal"), recovery)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            opts,
            blocks: RwLock::new(blocks),
            head,
            replay,
            read_only: false,
            compacting: Mutex::new(()),
            _lock: None,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The persisted blocks (a snapshot).
    pub fn blocks(&self) -> BlockSet {
        self.blocks.read().clone()
    }

    /// The head.
    pub fn head(&self) -> &Arc<Head> {
        &self.head
    }

    /// What the WAL replay on open found.
    pub fn replay_stats(&self) -> &HeadReplay {
        &self.replay
    }

    /// Flushes and fsyncs the WAL. The Db stays usable.
    pub fn close(&self) -> Result<()> {
        self.head.close()
    }

    /// A typed appender (the trait object form is [`Appendable::appender`]).
    pub fn head_appender(&self) -> HeadAppender<'_> {
        self.head.appender()
    }

    /// Whether the head spans more than 1.5 block durations.
    fn needs_compaction(&self) -> bool {
        let (min, max) = (self.head.min_time(), self.head.max_time());
        let bd = self.head.options().block_duration;
        min != i64::MAX && max.saturating_sub(min) > bd.saturating_mul(3) / 2
    }

    /// Compacts the head while it spans more than 1.5 block durations; returns the new blocks.
    pub fn compact(&self) -> Result<Vec<PathBuf>> {
        let _guard = self.compacting.lock();
        let mut out = Vec::new();
        while self.needs_compaction() {
            match self.compact_oldest_window()? {
                Some(dir) => out.push(dir),
                None => break,
            }
        }
        Ok(out)
    }

    /// Writes the head's oldest block-duration window as a block, drops it from the head,
    /// checkpoints the WAL and applies retention. Returns the block directory (`None` if the
    /// window held no sample).
    pub fn compact_oldest_window(&self) -> Result<Option<PathBuf>> {
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
        let written = writer.finish()?;
        let block_dir = match &written {
            Some(w) => {
                let block = Arc::new(Block::open(&w.dir)?);
                let mut blocks = self.blocks.write();
                let mut all = blocks.blocks().to_vec();
                all.push(block);
                *blocks = BlockSet::from_shared(all);
                Some(w.dir.clone())
            }
            None => None,
        };
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

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> rill_model::Result<Box<dyn Querier>> {
        let cutoff = self.head.min_time();
        let block_maxt = maxt.min(cutoff.saturating_sub(1));
        let blocks = (mint <= block_maxt).then(|| self.blocks.read().block_querier(mint, block_maxt));
        Ok(Box::new(DbQuerier {
            blocks,
            head: HeadQuerier::new(self.head.clone(), mint, maxt),
            cutoff,
        }))
    }
}

/// An appender that may compact the head after committing.
struct DbAppender<'a> {
    db: &'a Db,
    inner: Box<HeadAppender<'a>>,
}

impl Appender for DbAppender<'_> {
    fn append(&mut self, labels: &Labels, sample: Sample) -> rill_model::Result<()> {
        self.inner.append(labels, sample)
    }

    fn commit(self: Box<Self>) -> rill_model::Result<()> {
        if self.db.read_only {
            return Err(rill_model::Error::Storage("database opened read-only".into()));
        }
        let db = self.db;
        self.inner.commit()?;
        if db.opts.auto_compact
            && db.needs_compaction()
            && let Err(e) = db.compact()
        {
            // The batch is durable and acknowledged; a failed compaction is retried next time.
            tracing::error!(error = %e, "head compaction failed");
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) {
        self.inner.rollback();
    }
}

impl Appendable for Db {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(DbAppender {
            db: self,
            inner: Box::new(self.head.appender()),
        })
    }
}
