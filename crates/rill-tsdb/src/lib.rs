//! Rill's TSDB: reads the data directories Prometheus writes.
//!
//! Today this crate opens persisted blocks ([`Block`]: `meta.json`, index v2, chunk segments,
//! tombstones; all memory-mapped and CRC-checked) and serves them through the storage traits of
//! `rill-model` ([`BlockSet`], [`Db::open_read_only`]). Series selection uses lazy postings
//! intersection with Prometheus's matcher semantics; chunks outside the query range are never
//! read, and chunks are handed out still encoded, pointing into the mapping. Format notes live in
//! `docs/format/`. Corrupt files give [`Error`]s naming the file and offset, never panics.

pub mod block;
mod chunk_iter;
mod decbuf;
pub mod decode;
pub mod error;
mod mmap;
pub mod querier;

pub use block::Block;
pub use error::{Error, Result};
pub use querier::{BlockQuerier, BlockSet, Db, MergedSeriesSet};
