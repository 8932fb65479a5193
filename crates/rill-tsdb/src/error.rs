//! The crate's single error type: every failure names the file (and, for corrupt data, the
//! byte offset) so a user can tell which block is damaged.

use std::path::{Path, PathBuf};

/// Everything that can go wrong while opening or reading TSDB data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file's content is malformed (bad magic, CRC mismatch, offset out of range, ...).
    #[error("{}: corrupt data at offset {offset}: {reason}", file.display())]
    Corrupt {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset in the file where the problem was found.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A block's `meta.json` is missing fields or not JSON.
    #[error("{}: invalid block meta: {reason}", path.display())]
    Meta {
        /// The `meta.json` file.
        path: PathBuf,
        /// Why it was rejected.
        reason: String,
    },
    /// A chunk could not be decoded.
    #[error("{}: chunk at offset {offset}: {source}", file.display())]
    Chunk {
        /// The segment file.
        file: PathBuf,
        /// Offset of the chunk in the segment.
        offset: u64,
        /// The codec error.
        source: rill_codec::Error,
    },
    /// An API was used against its contract (series out of order, a sample outside the
    /// block's time range, ...); the message says which rule was broken.
    #[error("{0}")]
    Invalid(String),
    /// Another process (or another `Db` in this one) has the data directory open for writing.
    #[error(
        "data directory {} is in use by another Rill or Prometheus (lock file {} is locked)",
        dir.display(),
        dir.join("lock").display()
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
    },
    /// An imported text file is malformed; `line` is 1-based.
    #[error("line {line}: {reason}")]
    Import {
        /// The offending line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// Shorthand for an I/O error on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Shorthand for corrupt data in `file` at `offset`.
    pub(crate) fn corrupt(file: &Path, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            file: file.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }
}

impl From<Error> for rill_model::Error {
    fn from(e: Error) -> Self {
        rill_model::Error::Storage(e.to_string())
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
