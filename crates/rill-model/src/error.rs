//! The model crate's error type.

/// Errors raised by the data model and by storage backends behind the [`crate::storage`] traits.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A regular expression in a label matcher does not compile.
    #[error("invalid regular expression {pattern:?}: {reason}")]
    InvalidRegex {
        /// The pattern as the user wrote it.
        pattern: String,
        /// Why it does not compile.
        reason: String,
    },
    /// A duration or timestamp string could not be parsed.
    #[error("{0}")]
    InvalidTime(String),
    /// A sample was appended out of order to a store that only accepts in-order samples.
    #[error("out of order sample for series {series} at timestamp {timestamp}")]
    OutOfOrder {
        /// The series' labels, formatted.
        series: String,
        /// The rejected timestamp in milliseconds.
        timestamp: i64,
    },
    /// A sample is older than the store accepts (before the head's window or out-of-order window).
    #[error("out of bounds sample for series {series} at timestamp {timestamp}")]
    OutOfBounds {
        /// The series' labels, formatted.
        series: String,
        /// The rejected timestamp in milliseconds.
        timestamp: i64,
    },
    /// A different value was appended for a timestamp that already has one.
    #[error("duplicate sample for timestamp {timestamp} with a different value in series {series}")]
    DuplicateSample {
        /// The series' labels, formatted.
        series: String,
        /// The timestamp in milliseconds.
        timestamp: i64,
    },
    /// A storage backend failed (I/O, corruption, remote error).
    #[error("storage error: {0}")]
    Storage(String),
    /// The caller asked the backend to stop (query canceled or timed out).
    #[error("query canceled")]
    Canceled,
}

/// Result type of the model crate.
pub type Result<T> = std::result::Result<T, Error>;
