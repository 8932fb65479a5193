//! Rill's data model, shared by every other crate.
//!
//! It owns what a time series *is* (a sorted [`Labels`] set plus float or native-histogram
//! samples), how series are *selected* ([`Matcher`]), how time is written ([`time`]), and the
//! only door through which the query engine reaches data: the [`storage`] traits
//! (`Queryable → Querier → SeriesSet → ChunkIterator`). The in-memory store in [`memory`]
//! implements those traits for tests, promqltest scripts and the demo dataset.

pub mod error;
pub mod go_math;
pub mod histogram;
pub mod kahan;
pub mod labels;
pub mod matcher;
pub mod memory;
pub mod sample;
pub mod storage;
pub mod time;

pub use error::{Error, Result};
pub use histogram::{
    Bucket, CombineInfo, CounterResetHeader, CounterResetHint, FloatHistogram, HistogramError, JsonBucket, Span,
};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher};
pub use memory::MemoryStore;
pub use sample::{STALE_NAN_BITS, Sample, Value, format_value, is_stale_nan, stale_nan};
pub use storage::{
    Appendable, Appender, Chunk, ChunkEncoding, ChunkIterator, Querier, Queryable, SelectHints, Series, SeriesSet,
};
