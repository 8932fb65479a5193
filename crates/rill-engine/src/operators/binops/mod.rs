//! Binary operators, one file per mechanism.
//!
//! ```text
//! scalar op scalar            scalar_scalar.rs   per-step arithmetic / bool comparisons
//! vector op scalar (& swap)   vector_scalar.rs   streams the vector side
//! vector op vector            vector_vector.rs   one-to-one, group_left / group_right
//! vector and|or|unless vector set_ops.rs         many-to-many by matching signature
//! histogram </ >/ float       trim.rs            trimming native histograms
//! ```
//! Vector-vector operators compute the matching from both sides' metadata before reading any
//! sample (matching.rs), then read series group by group.

mod arith;
mod elem;
mod matching;
mod scalar_scalar;
mod set_ops;
mod trim;
mod vector_scalar;
mod vector_vector;

pub use arith::{float_binop, scalar_binop};
pub use elem::{ElemValue, Operand, elem_binop};
pub use scalar_scalar::ScalarScalarBinary;
pub use set_ops::SetOperation;
pub use vector_scalar::VectorScalarBinary;
pub use vector_vector::VectorVectorBinary;

use rill_promql::{BinaryOp, PosRange};

use crate::types::QueryTimeRange;

/// What a vector binary operation needs besides its operands.
#[derive(Clone, Copy, Debug)]
pub struct BinarySpec {
    /// The operator.
    pub op: BinaryOp,
    /// The `bool` modifier.
    pub return_bool: bool,
    /// Whether name removal is delayed to the end of the query.
    pub delayed_name_removal: bool,
    /// The steps the operation is evaluated at.
    pub steps: QueryTimeRange,
    /// Where the expression is, for annotations.
    pub pos: PosRange,
}

/// Whether `op` changes what the series measures, so the metric name must go
/// (arithmetic; Prometheus's `changesMetricSchema`).
pub fn changes_metric_schema(op: BinaryOp) -> bool {
    use BinaryOp::*;
    matches!(op, Add | Sub | Mul | Div | Mod | Pow | Atan2)
}
