//! Number and string literals.

use crate::context::QueryContext;
use crate::error::Result;
use crate::memory::PooledVec;
use crate::operator::{ScalarOperator, StringOperator};
use crate::types::{QueryTimeRange, ScalarData};

/// A number literal: the same value at every step.
pub struct NumberLiteral {
    value: f64,
    steps: usize,
}

impl NumberLiteral {
    /// `value` at each step of `range`.
    pub fn new(value: f64, range: &QueryTimeRange) -> Self {
        NumberLiteral {
            value,
            steps: range.steps(),
        }
    }
}

impl ScalarOperator for NumberLiteral {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        Ok(ScalarData {
            values: PooledVec::filled(self.steps, self.value, &cx.tracker)?,
        })
    }
}

/// A string literal.
pub struct StringLiteral {
    value: String,
    invalid_utf8: Option<Vec<u8>>,
}

impl StringLiteral {
    /// The literal `value` (valid UTF-8).
    pub fn new(value: String) -> Self {
        StringLiteral {
            value,
            invalid_utf8: None,
        }
    }

    /// The parsed literal `lit`, invalid UTF-8 bytes included.
    pub fn from_ast(lit: &rill_promql::StringLiteral) -> Self {
        StringLiteral {
            value: lit.value.clone(),
            invalid_utf8: lit.invalid_utf8.clone(),
        }
    }
}

impl StringOperator for StringLiteral {
    fn value(&mut self, _cx: &mut QueryContext) -> Result<String> {
        Ok(self.value.clone())
    }

    fn invalid_utf8(&self) -> Option<&[u8]> {
        self.invalid_utf8.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_repeats_per_step() {
        let mut cx = QueryContext::unlimited();
        let mut n = NumberLiteral::new(2.5, &QueryTimeRange::range(0, 30, 10));
        let v = n.values(&mut cx).unwrap();
        assert_eq!(v.values.as_slice(), &[2.5; 4]);
        let mut s = StringLiteral::new("x".into());
        assert_eq!(s.value(&mut cx).unwrap(), "x");
    }
}
