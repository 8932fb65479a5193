//! Rill's TSDB: reads the data directories Prometheus writes.
//!
//! Today this crate opens persisted blocks ([`Block`]: `meta.json`, index v2, chunk segments,
//! tombstones; all memory-mapped and CRC-checked) and serves them through the storage traits of
//! `rill-model` ([`BlockSet`], [`Db::open_read_only`]). Series selection uses lazy postings
//! intersection with Prometheus's matcher semantics; chunks outside the query range are never
//! read, and chunks are handed out still encoded, pointing into the mapping. Format notes live in
//! `docs/format/`. Corrupt files give [`Error`]s naming the file and offset, never panics.
//!
//! Writing: [`BlockWriter`] writes blocks in Prometheus's format (promtool reads them);
//! [`compact_blocks`] / [`compact_planned`] merge blocks like Prometheus's leveled compactor;
//! [`apply_retention`] deletes blocks by time and size; [`import_text`] backfills an
//! OpenMetrics / Prometheus text file into blocks. Every new block appears atomically (written
//! under `<ULID>.tmp-for-creation`, fsynced, renamed), and obsolete blocks are hidden from
//! readers before they are deleted ([`data_dir`]).
//!
//! Ingesting: [`Db::open`] replays the Prometheus-format WAL ([`wal`], `docs/format/wal.md`)
//! into the in-memory [`head`], serves blocks and head merged, accepts appends through
//! `rill_model::Appendable` (acknowledged once in the WAL, fsynced per [`FsyncPolicy`]) and
//! compacts the head into blocks in a background thread, checkpointing the WAL and applying
//! retention; WAL tombstones hide deleted ranges, and fsync times are kept in
//! [`wal::FsyncStats`]. A writer holds `<dir>/lock` ([`lock`]) so two processes never write one
//! directory; [`ensure_demo_dir`] fills a fresh directory with the demo dataset.

pub mod block;
mod chunk_iter;
pub mod compact;
pub mod data_dir;
pub mod db;
mod db_querier;
mod decbuf;
pub mod decode;
pub mod demo;
pub mod dump;
pub mod error;
mod fsutil;
pub mod head;
pub mod import;
pub mod lock;
mod mmap;
pub mod querier;
pub mod retention;
#[cfg(test)]
mod test_util;
pub mod ulid;
pub mod wal;

pub use block::Block;
pub use block::writer::{BlockWriter, WriterOptions, WrittenBlock};
pub use compact::{compact_blocks, compact_planned};
pub use db::{Db, DbOptions};
pub use demo::{DemoDir, ensure_demo_dir};
pub use error::{Error, Result};
pub use import::{ImportOptions, ImportStats, import_text};
pub use querier::{BlockQuerier, BlockSet, MergedSeriesSet};
pub use retention::apply_retention;
pub use wal::FsyncPolicy;
