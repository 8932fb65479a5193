//! Errors of the remote protocol layer.

/// Why a remote write or read body could not be decoded or converted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not valid raw-block snappy.
    #[error("snappy decode error: {0}")]
    Snappy(String),
    /// The decompressed body would exceed the configured limit.
    #[error("decompressed body of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size announced by the snappy header.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not a valid protobuf message of the expected type.
    #[error("protobuf decode error: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// A message is well-formed but semantically invalid (bad histogram, bad matcher...).
    #[error("{0}")]
    Invalid(String),
    /// A chunked-read frame is truncated or its checksum does not match.
    #[error("invalid chunked frame: {0}")]
    Frame(String),
    /// A chunk could not be encoded or decoded.
    #[error("chunk error: {0}")]
    Chunk(String),
}

/// Result type of the remote crate.
pub type Result<T> = std::result::Result<T, Error>;
