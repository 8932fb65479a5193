//! The data-directory lock: like Prometheus, a writer holds an exclusive lock on
//! `<data dir>/lock` for as long as it has the directory open, so a second `rill serve` (or a
//! Prometheus) on the same directory fails at start instead of corrupting the WAL and blocks.
//! The lock is an OS file lock (`flock`), released by the kernel when the process dies, so a
//! crash never leaves a stale lock behind. Prometheus takes the same `flock`, so Rill and a
//! Prometheus that holds its lock file exclude each other (checked by hand against Debian's
//! 2.42, which creates the file only with `--storage.tsdb.use-lockfile`; upstream creates it
//! unless `--storage.tsdb.no-lockfile`).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{Error, Result};

/// Name of the lock file inside a data directory (Prometheus's name).
pub const LOCK_FILE: &str = "lock";

/// An exclusive lock on a data directory, released when dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Locks `dir` (which must exist), or fails with [`Error::Locked`] if another holder has it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked { dir: dir.to_path_buf() }),
            Err(TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        let err = DirLock::acquire(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }));
        let text = err.to_string();
        assert!(
            text.contains(&dir.path().display().to_string()) && text.contains("lock"),
            "{text}"
        );
        drop(first);
        assert!(DirLock::acquire(dir.path()).is_ok());
    }
}
