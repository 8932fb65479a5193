//! Rill's streaming PromQL engine.
//!
//! ```text
//! query text ─► rill-promql::parse (signatures from the FunctionRegistry)
//!            ─► planner: AST ─► tree of streaming operators
//!            ─► series_metadata() top-down, then next_series() one series at a time
//!            ─► QueryResult (vector / matrix / scalar / string + annotations + stats)
//! ```
//! Every operator pulls from its children through the traits in [`operator`]; selectors pull
//! from storage through `rill_model::storage`. All buffers that grow with data are pooled and
//! charged to the query's [`memory::MemoryTracker`].

pub mod annotations;
mod collect;
pub mod context;
pub mod engine;
pub mod error;
pub mod functions;
pub mod memory;
pub mod operator;
pub mod operators;
pub mod options;
pub mod planner;
pub mod registry;
pub mod result;
pub mod step_invariant;
pub mod types;

pub use annotations::{Annotation, AnnotationLevel, Annotations};
pub use context::QueryContext;
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use options::{EngineOptions, Features};
pub use registry::{ArgPlanner, FunctionDef, FunctionFactory, FunctionOrigin, FunctionRegistry, UserFunctionKind};
pub use result::{MatrixSeries, QueryResult, QueryStats, QueryValue, VectorElement};
pub use types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};
