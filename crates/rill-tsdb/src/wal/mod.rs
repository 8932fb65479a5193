//! The write-ahead log, in Prometheus's `wal/` format (see `docs/format/wal.md`).
//!
//! [`segment`] names and lists segment files and checkpoints, [`record`] encodes and decodes
//! record bodies, [`reader`] splits a segment into records (detecting torn tails and
//! corruption), [`writer`] appends records with a configurable fsync policy, [`replay`] reads a
//! whole `wal/` directory (checkpoint, then segments) repairing a torn tail, and [`checkpoint`]
//! compacts old segments into a checkpoint so the log can be truncated; [`fsync_stats`] times
//! the writer's fsyncs.

pub mod checkpoint;
pub mod fsync_stats;
pub mod reader;
pub mod record;
pub mod replay;
pub mod segment;
pub mod writer;

use std::time::Duration;

pub use fsync_stats::{FsyncSnapshot, FsyncStats};
pub use record::Record;
pub use writer::WalWriter;

/// Size of a WAL page: fragments never cross a page.
pub const PAGE_SIZE: usize = 32 * 1024;
/// Size of a fragment header: type (1), length (2), CRC32C (4).
pub const FRAGMENT_HEADER: usize = 7;
/// Default segment size (Prometheus's 128 MiB).
pub const DEFAULT_SEGMENT_SIZE: usize = 128 * 1024 * 1024;

/// When the WAL writer calls `fsync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// After every commit, before it is acknowledged: an acknowledged sample survives power loss.
    #[default]
    Always,
    /// At the first commit at least this long after the previous fsync, and on close: a crash
    /// of the machine may lose up to the interval, a crash of the process loses nothing.
    Interval(Duration),
    /// Only on close and segment switches; the OS decides otherwise.
    Never,
}

/// How the WAL is written and repaired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalOptions {
    /// Maximum segment size in bytes (rounded down to whole pages, at least one page).
    pub segment_size: usize,
    /// The fsync policy.
    pub fsync: FsyncPolicy,
    /// Snappy-compress records (Prometheus's default `--storage.tsdb.wal-compression`).
    pub compress: bool,
    /// Repair corruption in the middle of the log by truncating there and deleting later
    /// segments (Prometheus's behaviour) instead of refusing to open. Damage at the tail of
    /// the log is always repaired.
    pub repair: bool,
}

impl Default for WalOptions {
    fn default() -> Self {
        Self {
            segment_size: DEFAULT_SEGMENT_SIZE,
            fsync: FsyncPolicy::Always,
            compress: false,
            repair: false,
        }
    }
}
