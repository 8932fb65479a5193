//! The crate's single error type.

/// Everything that can go wrong while encoding or decoding in `rill-codec`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A chunk's bytes are truncated or inconsistent with its header.
    #[error("corrupt chunk: {reason}")]
    CorruptChunk {
        /// What was wrong.
        reason: &'static str,
    },
    /// The chunk already holds as many samples as its header can count.
    #[error("chunk full: at most {max} samples")]
    ChunkFull {
        /// The maximum number of samples.
        max: u16,
    },
    /// A histogram does not fit the layout of the chunk it is appended to (cut a new chunk).
    #[error("histogram layout mismatch: {reason}")]
    HistogramLayout {
        /// What differs.
        reason: &'static str,
    },
    /// A text exposition document is malformed.
    #[error("line {line}: {reason}")]
    Text {
        /// 1-based line number.
        line: usize,
        /// What was expected and what was found.
        reason: String,
    },
    /// Reading the input failed.
    #[error("read error: {0}")]
    Io(#[from] std::io::Error),
    /// A broken internal invariant (a bug in this crate).
    #[error("internal error: {reason}")]
    Internal {
        /// Which invariant broke.
        reason: &'static str,
    },
    /// The storage rejected generated data (e.g. the demo dataset).
    #[error(transparent)]
    Model(#[from] rill_model::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
