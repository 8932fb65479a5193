//! Native histograms (exponential buckets and custom buckets, "NHCB").
//!
//! Rill keeps every native histogram in the engine as a [`FloatHistogram`], as Prometheus's
//! engine does; integer histograms exist only inside chunk encodings (`rill-codec`).
//! Buckets are stored sparsely: `spans` say which bucket indexes are populated, `buckets`
//! hold the absolute counts of those buckets in order.
//!
//! The operations follow Prometheus's `model/histogram` and the engine's histogram
//! statistics, one concern per file: [`schema`] (bucket bounds), [`iter`] (bucket walks),
//! `arith` (`add`/`sub`/`mul`/`div`/schema reduction), `zero` (zero-bucket widening),
//! `compact`, `reset` (counter resets and hints), `chunk_header` (hints as chunks store
//! them), `kahan_sum` (compensated sums), `equals`, `stats` (quantile, fraction,
//! variance), [`display`] (promqltest notation, API buckets) and `validate`.
//!
//! ```text
//!   negative buckets (index ascending = value descending)  zero bucket   positive buckets
//!   ... (-4,-2] (-2,-1] (-1,-0.5]  ...  [-zt, zt]  ...  (0.5,1] (1,2] (2,4] ...   (schema 0)
//! ```

mod arith;
mod chunk_header;
mod compact;
pub mod display;
mod equals;
mod error;
pub mod iter;
mod kahan_sum;
mod reset;
pub mod schema;
mod sparse;
mod stats;
mod validate;
mod zero;

#[cfg(test)]
mod tests;

pub use arith::CombineInfo;
pub use chunk_header::CounterResetHeader;
pub use display::{JsonBucket, format_g};
pub use error::HistogramError;
pub use iter::{Bucket, BucketIter};
pub use kahan_sum::KahanHistogramSum;

/// What the producer says about counter resets between this histogram and the previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum CounterResetHint {
    /// Unknown: compare with the previous sample to find out.
    #[default]
    Unknown,
    /// A counter reset happened right before this sample.
    CounterReset,
    /// No counter reset happened right before this sample.
    NotCounterReset,
    /// The histogram is a gauge; counter resets do not apply.
    Gauge,
}

/// The schema used for custom-bucket histograms (NHCB): bucket bounds in `custom_values`.
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A run of consecutive populated bucket indexes: `offset` from the end of the previous span
/// (from index 0 for the first span), `length` buckets long.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Gap to the previous span's end (or the start index for the first span).
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

/// A native histogram with float counts.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter reset information from the producer.
    pub counter_reset_hint: CounterResetHint,
    /// Resolution: bucket boundaries grow by `2^(2^-schema)`; `-53` means custom buckets.
    pub schema: i32,
    /// Width of the zero bucket `[-zero_threshold, zero_threshold]`.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total number of observations.
    pub count: f64,
    /// Sum of all observations.
    pub sum: f64,
    /// Spans of populated positive buckets.
    pub positive_spans: Vec<Span>,
    /// Spans of populated negative buckets.
    pub negative_spans: Vec<Span>,
    /// Absolute counts of the populated positive buckets.
    pub positive_buckets: Vec<f64>,
    /// Absolute counts of the populated negative buckets.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds of the custom buckets (only for schema -53).
    pub custom_values: Vec<f64>,
}

impl FloatHistogram {
    /// Whether the histogram uses custom bucket bounds (NHCB).
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Approximate heap size in bytes, for memory accounting.
    pub fn heap_size(&self) -> usize {
        (self.positive_spans.capacity() + self.negative_spans.capacity()) * std::mem::size_of::<Span>()
            + (self.positive_buckets.capacity() + self.negative_buckets.capacity() + self.custom_values.capacity())
                * std::mem::size_of::<f64>()
    }
}
