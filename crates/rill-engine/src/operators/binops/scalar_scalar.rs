//! `scalar op scalar`, step by step.

use rill_promql::BinaryOp;

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::operator::ScalarOperator;
use crate::operators::binops::scalar_binop;
use crate::types::ScalarData;

/// A binary operation between two scalars (comparisons always carry `bool` here).
pub struct ScalarScalarBinary {
    op: BinaryOp,
    lhs: Box<dyn ScalarOperator>,
    rhs: Box<dyn ScalarOperator>,
}

impl ScalarScalarBinary {
    /// `lhs op rhs`.
    pub fn new(op: BinaryOp, lhs: Box<dyn ScalarOperator>, rhs: Box<dyn ScalarOperator>) -> Self {
        ScalarScalarBinary { op, lhs, rhs }
    }
}

impl ScalarOperator for ScalarScalarBinary {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let mut l = self.lhs.values(cx)?;
        let r = self.rhs.values(cx)?;
        for (a, b) in l.values.iter_mut().zip(r.values.iter()) {
            *a = scalar_binop(self.op, *a, *b)
                .ok_or_else(|| Error::Internal(format!("operator {} not allowed for scalars", self.op)))?;
        }
        Ok(l)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.lhs.finalize(cx)?;
        self.rhs.finalize(cx)
    }
}
