//! The engine's error type and its kinds, which the HTTP layer maps to Prometheus's `errorType`.

use rill_promql::PosRange;

/// What kind of failure an [`Error`] is; decides the HTTP status and `errorType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The query or its parameters are invalid (`bad_data`, 400).
    BadData,
    /// Evaluation failed on the data (`execution`, 422).
    Execution,
    /// The query ran past its deadline (`timeout`, 503).
    Timeout,
    /// The query was canceled by its caller (`canceled`, 499/503).
    Canceled,
    /// A per-query limit (memory, samples) was exceeded (`execution`, 422).
    ResourceExhausted,
    /// A bug in Rill (`internal`, 500).
    Internal,
    /// Storage could not be reached (`unavailable`, 503).
    Unavailable,
}

/// Errors from planning or evaluating a query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query text does not parse or type-check.
    #[error("{0}")]
    Parse(String),
    /// A query parameter or argument value is invalid (e.g. `Parameter value is NaN`).
    #[error("{msg}")]
    BadData {
        /// Prometheus's error text.
        msg: String,
    },
    /// Evaluation failed (e.g. `vector cannot contain metrics with the same labelset`).
    #[error("{msg}")]
    Execution {
        /// Prometheus's error text.
        msg: String,
        /// Where in the query, when known.
        pos: Option<PosRange>,
    },
    /// The query's memory limit was exceeded.
    #[error("query exceeded its memory limit of {limit} bytes (would use {requested} bytes)")]
    MemoryLimit {
        /// The per-query limit in bytes.
        limit: usize,
        /// The total that the failed reservation would have reached.
        requested: usize,
    },
    /// The query loaded more samples than allowed.
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// The query ran past its deadline.
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The query was canceled.
    #[error("query was canceled in {0}")]
    Canceled(&'static str),
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] rill_model::Error),
    /// A chunk could not be decoded.
    #[error("corrupt chunk: {0}")]
    Codec(String),
    /// A bug: an invariant of the engine was violated.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The kind of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Parse(_) | Error::BadData { .. } => ErrorKind::BadData,
            Error::Execution { .. } => ErrorKind::Execution,
            Error::MemoryLimit { .. } | Error::TooManySamples => ErrorKind::ResourceExhausted,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Canceled(_) => ErrorKind::Canceled,
            Error::Storage(rill_model::Error::Canceled) => ErrorKind::Canceled,
            Error::Storage(_) | Error::Codec(_) => ErrorKind::Unavailable,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// An execution error with Prometheus's text.
    pub fn exec(msg: impl Into<String>) -> Self {
        Error::Execution {
            msg: msg.into(),
            pos: None,
        }
    }

    /// A bad-data error with Prometheus's text.
    pub fn bad_data(msg: impl Into<String>) -> Self {
        Error::BadData { msg: msg.into() }
    }
}

/// Result type of the engine.
pub type Result<T> = std::result::Result<T, Error>;
