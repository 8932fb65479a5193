//! Durable file-system steps shared by the block writer, compaction, retention and import:
//! buffered files that are fsynced before they count, directory fsync, and Prometheus's
//! rename-then-remove block deletion (so a half-deleted block is never mistaken for a live one).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Suffix of a block directory that is still being written (Prometheus's name for it).
pub const TMP_CREATION_SUFFIX: &str = ".tmp-for-creation";
/// Suffix of a block directory that is being deleted.
pub const TMP_DELETION_SUFFIX: &str = ".tmp-for-deletion";

/// A buffered output file that knows its length and is fsynced by [`FileSink::finish`].
#[derive(Debug)]
pub(crate) struct FileSink {
    path: PathBuf,
    out: BufWriter<File>,
    pos: u64,
}

impl FileSink {
    /// Creates (truncates) `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, file),
            pos: 0,
        })
    }

    /// Bytes written so far (the offset of the next byte).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Appends `data`.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.out.write_all(data).map_err(|e| Error::io(&self.path, e))?;
        self.pos += data.len() as u64;
        Ok(())
    }

    /// Appends zero bytes until the position is a multiple of `align`.
    pub fn pad_to(&mut self, align: u64) -> Result<()> {
        let rem = self.pos % align;
        if rem != 0 {
            let zeros = [0u8; 16];
            let n = usize::try_from(align - rem).unwrap_or(0).min(zeros.len());
            self.write(zeros.get(..n).unwrap_or_default())?;
        }
        Ok(())
    }

    /// Flushes and fsyncs the file.
    pub fn finish(self) -> Result<()> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.path, e))
    }
}

/// Writes `data` to `path` and fsyncs it.
pub(crate) fn write_file_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = FileSink::create(path)?;
    f.write(data)?;
    f.finish()
}

/// Fsyncs a directory so renames and creations inside it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Renames `from` to `to` and fsyncs the parent directory of `to`.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| Error::io(to, e))?;
    sync_dir(parent_dir(to))
}

/// The directory holding `path` (`.` for a bare relative name, whose parent is empty).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Deletes a block directory the way Prometheus does: rename it to `<dir>.tmp-for-deletion`
/// first (readers ignore that name), fsync, then remove the tree.
pub(crate) fn delete_block_dir(dir: &Path) -> Result<()> {
    let mut tmp = dir.as_os_str().to_owned();
    tmp.push(TMP_DELETION_SUFFIX);
    let tmp = PathBuf::from(tmp);
    rename_durably(dir, &tmp)?;
    std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))
}

/// Removes `dir` if it exists (cleanup of temporary directories; errors are ignored because
/// the directory's name already marks it as garbage).
pub(crate) fn remove_dir_quietly(dir: &Path) {
    if dir.exists() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Total size in bytes of the regular files under `dir` (recursively).
pub(crate) fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let meta = entry.metadata().map_err(|e| Error::io(&entry.path(), e))?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sink_pads_and_deletion_renames_first() {
        let dir = std::env::temp_dir().join(format!("rill-fsutil-{}", std::process::id()));
        remove_dir_quietly(&dir);
        std::fs::create_dir_all(dir.join("blk")).unwrap();
        let mut f = FileSink::create(&dir.join("blk/f")).unwrap();
        f.write(b"abc").unwrap();
        f.pad_to(16).unwrap();
        assert_eq!(f.pos(), 16);
        f.pad_to(16).unwrap();
        assert_eq!(f.pos(), 16);
        f.finish().unwrap();
        assert_eq!(dir_size(&dir).unwrap(), 16);
        delete_block_dir(&dir.join("blk")).unwrap();
        assert!(!dir.join("blk").exists() && !dir.join("blk.tmp-for-deletion").exists());
        remove_dir_quietly(&dir);
    }
}
