//! A finished query's result, as the API, the CLI and the test runner consume it.

use std::sync::Arc;

use rill_model::{FloatHistogram, Labels};

use crate::annotations::Annotations;
use crate::types::{FPoint, HPoint};

/// One element of an instant-vector result.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorElement {
    /// The series' labels.
    pub labels: Labels,
    /// Evaluation time (ms).
    pub t: i64,
    /// Float value, unless `histogram` is set.
    pub f: f64,
    /// Histogram value.
    pub histogram: Option<Arc<FloatHistogram>>,
}

/// One series of a matrix result.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixSeries {
    /// The series' labels.
    pub labels: Labels,
    /// Float points in time order.
    pub floats: Vec<FPoint>,
    /// Histogram points in time order.
    pub histograms: Vec<HPoint>,
}

/// The value of a query, in Prometheus's four result types.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryValue {
    /// `scalar`: a time and a value.
    Scalar {
        /// Evaluation time (ms).
        t: i64,
        /// Value.
        v: f64,
    },
    /// `string`: a time and a string.
    String {
        /// Evaluation time (ms).
        t: i64,
        /// Value.
        v: String,
    },
    /// `vector`: instant queries over vector expressions. Order is the engine's output order
    /// (meaningful only after `sort`-like functions).
    Vector(Vec<VectorElement>),
    /// `matrix`: range queries (sorted by labels), and instant queries of range-vector expressions.
    Matrix(Vec<MatrixSeries>),
}

/// Statistics of one query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryStats {
    /// Highest number of bytes the query's buffers held at once.
    pub peak_memory_bytes: usize,
    /// Highest number of samples held at once.
    pub peak_samples: usize,
    /// Samples read from storage.
    pub total_samples: u64,
}

/// A successful query's value with its annotations and statistics.
#[derive(Clone, Debug)]
pub struct QueryResult {
    /// The value.
    pub value: QueryValue,
    /// Warnings and infos.
    pub annotations: Annotations,
    /// Statistics.
    pub stats: QueryStats,
}
