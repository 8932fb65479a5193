//! Read-only memory maps of block files, exposed as [`Bytes`] so chunk data can be handed to
//! the engine without copying while keeping the mapping alive.

use std::fs::File;
use std::path::Path;

use bytes::Bytes;
use memmap2::Mmap;

use crate::error::{Error, Result};

/// Owner of one mapping; `Bytes::from_owner` keeps it alive as long as any slice exists.
struct Mapping(Mmap);

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Maps `file` read-only.
///
/// Mapping is `unsafe` because another process could modify or truncate the file while it is
/// mapped, which would change (or fault on) memory Rust assumes immutable.
#[allow(unsafe_code)]
fn map(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: Prometheus block files (index, chunk segments, tombstones) are written to a
    // temporary directory and renamed into place; once a block exists they are never modified,
    // only deleted as a whole (deletion keeps the mapping valid on Unix). Rill opens blocks
    // read-only and never writes to mapped files, so the mapped bytes do not change under us.
    unsafe { Mmap::map(file) }
}

/// Maps the whole file at `path` into memory; an empty file gives empty `Bytes` (it cannot be
/// mapped).
pub(crate) fn map_file(path: &Path) -> Result<Bytes> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Ok(Bytes::new());
    }
    let mmap = map(&file).map_err(|e| Error::io(path, e))?;
    Ok(Bytes::from_owner(Mapping(mmap)))
}
