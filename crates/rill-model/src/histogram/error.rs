//! Errors of native-histogram operations, with Prometheus's texts.

/// Why a histogram operation failed. The `Display` texts are Prometheus's, so the engine can
/// surface them unchanged (e.g. the incompatible-schema error of `+` between an exponential
/// and a custom-bucket histogram).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistogramError {
    /// One operand uses custom buckets (NHCB), the other exponential buckets.
    #[error("cannot apply this operation on histograms with a mix of exponential and custom bucket schemas")]
    IncompatibleSchema,
    /// The schema is neither −4..=8 nor −53.
    #[error(
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema {0}"
    )]
    InvalidSchema(i32),
    /// A span other than the first has a negative offset.
    #[error("span number {span} with offset {offset}: histogram has a span whose offset is negative")]
    SpanNegativeOffset {
        /// 1-based number of the offending span.
        span: usize,
        /// Its offset.
        offset: i32,
    },
    /// The spans describe a different number of buckets than stored.
    #[error(
        "spans need {needed} buckets, have {have} buckets: histogram spans specify different number of buckets than provided"
    )]
    SpansBucketsMismatch {
        /// Buckets described by the spans.
        needed: usize,
        /// Buckets stored.
        have: usize,
    },
    /// The spans of a custom-bucket histogram reach past its bounds.
    #[error(
        "custom buckets: only {bounds} custom bounds defined which is insufficient to cover total span length of {span_length}: histogram custom bounds are too few"
    )]
    CustomBucketsMismatch {
        /// Number of custom bounds.
        bounds: usize,
        /// Total length covered by the spans.
        span_length: i64,
    },
    /// Custom bounds are not strictly increasing.
    #[error(
        "custom buckets: previous bound is {prev} and current is {curr}: histogram custom bounds must be in strictly increasing order"
    )]
    CustomBucketsInvalid {
        /// The previous bound.
        prev: f64,
        /// The offending bound.
        curr: f64,
    },
    /// A custom bound is NaN.
    #[error("custom buckets: histogram custom bounds must not be NaN")]
    CustomBucketsNaN,
    /// The last custom bound is +Inf (it is implicit).
    #[error("custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite")]
    CustomBucketsInfinite,
    /// A custom-bucket histogram has a zero bucket or negative buckets.
    #[error("custom buckets: must not have a zero bucket or negative buckets")]
    CustomBucketsUnusedFields,
    /// An exponential histogram carries custom bounds.
    #[error("histogram with exponential schema must not have custom bounds")]
    ExpSchemaCustomBounds,
    /// A count is negative.
    #[error("histogram has a negative observation count or bucket count")]
    NegativeCount,
    /// The zero threshold is NaN or negative, so zero buckets cannot be reconciled.
    #[error("histogram has an invalid zero threshold {0}")]
    InvalidZeroThreshold(f64),
    /// `reduce_resolution` was asked to do something impossible.
    #[error("{0}")]
    ReduceResolution(String),
}
