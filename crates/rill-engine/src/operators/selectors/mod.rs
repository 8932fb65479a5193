//! Selectors: the operators that read storage.
//!
//! The planner records the time range every selector needs; once the whole plan is built
//! the engine opens a single `Querier` over the union of those ranges ([`StorageHandle`]),
//! and each selector calls `select` once, with [`rill_model::SelectHints`], when its series
//! metadata is first asked for. Series data is read lazily, one series at a time.

mod boundary;
mod instant;
mod range;
mod source;
mod stats;
mod storage;

pub use boundary::BoundaryPoints;
pub use instant::{InstantMode, InstantSelector};
pub use range::range_selector;
pub use source::SelectorSource;
pub use stats::{HistogramStats, HistogramStatsSamples};
pub use storage::StorageHandle;
