//! The streaming operators, grouped by family (one operator per file).
//!
//! ```text
//! selectors/   instant and range selectors over storage (chunks decoded lazily)
//! window.rs    ring-buffered sliding windows, shared by range selectors and subqueries
//! extended.rs  values at the bounds of anchored/smoothed windows
//! subquery.rs  evaluates an inner expression on its own step grid and windows its output
//! binops/      scalar/vector arithmetic, comparisons, vector matching and set operators
//! unary.rs     unary minus
//! literals.rs  number and string literals
//! dedup.rs     merging series whose label sets collide after the name is dropped
//! aggregations/, and functions in crate::functions, are built on the same traits.
//! ```

pub mod aggregations;
pub mod binops;
pub mod buffer;
pub mod dedup;
pub mod extended;
pub mod literals;
pub mod names;
pub mod ring;
pub mod samples;
pub mod selectors;
pub mod subquery;
pub mod unary;
pub mod window;
