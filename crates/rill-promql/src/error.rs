//! Parse errors in Prometheus's form, and the parser's feature switches.

use std::fmt;

use crate::ast::PosRange;

/// A parse or type-checking error: Prometheus's message and where it applies.
///
/// `Display` gives Prometheus's `ParseErr.Error()` text, `<line>:<col>: parse error: <msg>`,
/// with a 1-based line and a 1-based byte column of `pos.start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Byte range of the offending part of the query.
    pub pos: PosRange,
    /// The message without position, e.g. `unexpected end of input`.
    pub msg: String,
    /// `line:col` of `pos.start` (or Prometheus's `unknown position` for an empty query).
    pub position: String,
}

impl ParseError {
    /// An error at `pos` in `query`.
    pub fn new(query: &str, pos: PosRange, msg: impl Into<String>) -> Self {
        ParseError {
            pos,
            msg: msg.into(),
            position: line_col(query, pos.start),
        }
    }
}

/// Prometheus's `PositionRange.StartPosInput`: `line:col`, both 1-based, col in bytes.
fn line_col(query: &str, start: usize) -> String {
    if query.is_empty() {
        return "unknown position".to_string();
    }
    if start > query.len() {
        return "invalid position".to_string();
    }
    let before = &query.as_bytes()[..start];
    let line = before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => start - nl,
        None => start + 1,
    };
    format!("{}:{}", line + 1, col)
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: parse error: {}", self.position, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// Prometheus's experimental parser features; `Default` has all of them off, as Prometheus 3 does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Experimental functions and the `limitk` / `limit_ratio` aggregations
    /// (`--enable-feature=promql-experimental-functions`).
    pub experimental_functions: bool,
    /// Arithmetic, `step()`, `range()`, `min_of`, `max_of` in ranges, steps and offsets
    /// (`--enable-feature=promql-duration-expr`).
    pub duration_expressions: bool,
    /// `anchored` and `smoothed` range selector modifiers
    /// (`--enable-feature=promql-extended-range-selectors`).
    pub extended_range_selectors: bool,
    /// `fill(v)`, `fill_left(v)`, `fill_right(v)` binary operator modifiers.
    pub binop_fill_modifiers: bool,
}

impl ParseOptions {
    /// Every experimental feature on (what the conformance tests use).
    pub fn all() -> Self {
        ParseOptions {
            experimental_functions: true,
            duration_expressions: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_line_and_byte_column() {
        let e = ParseError::new("foo +", PosRange::new(5, 5), "unexpected end of input");
        assert_eq!(e.to_string(), "1:6: parse error: unexpected end of input");
        let e = ParseError::new("a\n  + }", PosRange::new(6, 7), "x");
        assert_eq!(e.to_string(), "2:5: parse error: x");
        let e = ParseError::new("", PosRange::default(), "no expression found in input");
        assert_eq!(
            e.to_string(),
            "unknown position: parse error: no expression found in input"
        );
    }
}
