//! [`Db`]: a data directory as a whole — persisted blocks, the head and its WAL.
//!
//! `open` loads the blocks, replays `wal/` into the head (accepting nothing older than the
//! newest block), and starts a new WAL segment. Queries see blocks and head merged
//! ([`crate::db_querier`]); appends go to the head ([`Appendable`]). After a commit, if the head
//! spans more than 1.5 block durations, the background compactor (`background.rs`) is asked to
//! write its oldest block-duration window as a block (`compaction.rs`): the head drops it, the
//! WAL is checkpointed and truncated, and retention runs — off the committing thread, one
//! compaction at a time, with queries consistent throughout. A writable `Db` holds the
//! data-directory lock ([`crate::lock`]) and times its WAL fsyncs ([`Db::fsync_stats`]).

mod background;
mod compaction;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rill_model::{Appendable, Appender, Labels, Querier, Queryable, Sample};

use self::background::Compactor;
use self::compaction::Store;
use crate::db_querier::DbQuerier;
use crate::error::{Error, Result};
use crate::head::{Head, HeadAppender, HeadOptions, HeadQuerier, HeadReplay};
use crate::lock::DirLock;
use crate::querier::BlockSet;
use crate::wal::replay::Recovery;
use crate::wal::{FsyncPolicy, FsyncStats, WalOptions, WalWriter};

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
    /// Compact the head automatically (in a background thread) after commits.
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
    store: Arc<Store>,
    replay: HeadReplay,
    fsync: Arc<FsyncStats>,
    /// The background compactor (writable opens with `auto_compact`).
    compactor: Option<Compactor>,
    /// Held while open for writing (dropped after the compactor stopped).
    _lock: Option<DirLock>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("dir", &self.store.dir)
            .field("blocks", &self.store.blocks.read().blocks().len())
            .field("head", &self.store.head)
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
        let (store, replay) = Self::load(dir, opts, recovery, false)?;
        let fsync = Arc::new(FsyncStats::default());
        let wal = WalWriter::create(
            &dir.join("wal"),
            replay.wal.next_segment,
            WalOptions {
                segment_size: store.opts.segment_size,
                fsync: store.opts.fsync,
                compress: store.opts.wal_compression,
                repair: store.opts.wal_repair,
            },
        )?
        .with_fsync_stats(fsync.clone());
        store.head.set_wal(wal);
        let store = Arc::new(store);
        let compactor = if store.opts.auto_compact {
            Some(Compactor::start(store.clone())?)
        } else {
            None
        };
        let db = Self {
            store,
            replay,
            fsync,
            compactor,
            _lock: Some(lock),
        };
        db.request_compaction_if_needed();
        Ok(db)
    }

    /// Opens `dir` without writing anything: blocks, plus the WAL replayed into a head that
    /// cannot be appended to durably (a damaged WAL tail is skipped, not truncated). Takes no
    /// lock, so it also reads a directory a running server writes (e.g. a copy in progress).
    pub fn open_read_only(dir: &Path) -> Result<Self> {
        let opts = DbOptions {
            auto_compact: false,
            ..DbOptions::default()
        };
        let (store, replay) = Self::load(dir, opts, Recovery::ReadOnly, true)?;
        Ok(Self {
            store: Arc::new(store),
            replay,
            fsync: Arc::new(FsyncStats::default()),
            compactor: None,
            _lock: None,
        })
    }

    fn load(dir: &Path, opts: DbOptions, recovery: Recovery, read_only: bool) -> Result<(Store, HeadReplay)> {
        let blocks = BlockSet::open(dir)?;
        let head = Arc::new(Head::new(
            HeadOptions {
                block_duration: millis(opts.block_duration).max(1),
                ooo_window: millis(opts.ooo_window),
            },
            blocks_end(&blocks),
        ));
        let replay = head.replay_wal(&dir.join("wal"), recovery)?;
        Ok((Store::new(dir, opts, blocks, head, read_only), replay))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.store.dir
    }

    /// The persisted blocks (a snapshot).
    pub fn blocks(&self) -> BlockSet {
        self.store.blocks.read().clone()
    }

    /// The head.
    pub fn head(&self) -> &Arc<Head> {
        &self.store.head
    }

    /// What the WAL replay on open found.
    pub fn replay_stats(&self) -> &HeadReplay {
        &self.replay
    }

    /// How long the WAL's fsyncs took (all zero for read-only opens).
    pub fn fsync_stats(&self) -> &Arc<FsyncStats> {
        &self.fsync
    }

    /// Stops background compaction (a running one finishes first), then flushes and fsyncs
    /// the WAL. The Db stays usable for appends and queries; [`Db::compact`] still works.
    pub fn close(&self) -> Result<()> {
        if let Some(c) = &self.compactor {
            c.stop();
        }
        self.store.head.close()
    }

    /// A typed appender (the trait object form is [`Appendable::appender`]). It does not
    /// trigger compaction; [`Appendable::appender`]'s does.
    pub fn head_appender(&self) -> HeadAppender<'_> {
        self.store.head.appender()
    }

    /// Compacts the head in the calling thread while it spans more than 1.5 block durations;
    /// returns the new blocks.
    pub fn compact(&self) -> Result<Vec<PathBuf>> {
        self.store.compact(&|| false)
    }

    /// Writes the head's oldest block-duration window as a block, drops it from the head,
    /// checkpoints the WAL and applies retention. Returns the block directory (`None` if the
    /// window held no sample).
    pub fn compact_oldest_window(&self) -> Result<Option<PathBuf>> {
        self.store.compact_oldest_window(&|| false)
    }

    /// Blocks until the background compactions requested so far have run (returns at once
    /// without a background compactor).
    pub fn wait_for_compaction(&self) {
        if let Some(c) = &self.compactor {
            c.wait_idle();
        }
    }

    fn request_compaction_if_needed(&self) {
        if let Some(c) = &self.compactor
            && self.store.needs_compaction()
        {
            c.request();
        }
    }
}

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> rill_model::Result<Box<dyn Querier>> {
        // The cutoff is taken while the head querier registers, so a compaction either waits
        // for this querier or has already published the block holding data before the cutoff.
        let (head, cutoff) = HeadQuerier::from_cutoff(self.store.head.clone(), mint, maxt);
        let block_maxt = maxt.min(cutoff.saturating_sub(1));
        let blocks = (mint <= block_maxt).then(|| self.store.blocks.read().block_querier(mint, block_maxt));
        Ok(Box::new(DbQuerier { blocks, head, cutoff }))
    }
}

/// An appender that asks for a compaction after committing.
struct DbAppender<'a> {
    db: &'a Db,
    inner: Box<HeadAppender<'a>>,
}

impl Appender for DbAppender<'_> {
    fn append(&mut self, labels: &Labels, sample: Sample) -> rill_model::Result<()> {
        self.inner.append(labels, sample)
    }

    fn commit(self: Box<Self>) -> rill_model::Result<()> {
        if self.db.store.read_only {
            return Err(rill_model::Error::Storage("database opened read-only".into()));
        }
        let db = self.db;
        self.inner.commit()?;
        db.request_compaction_if_needed();
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
            inner: Box::new(self.store.head.appender()),
        })
    }
}
