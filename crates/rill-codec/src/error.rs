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
    /// An encoding tag that Prometheus does not define.
    #[error("unknown chunk encoding {0}")]
    UnknownEncoding(u8),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
