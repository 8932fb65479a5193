//! Prometheus's pretty printer (`parser.Prettify`, served by `/api/v1/format_query`): an
//! expression whose one-line form is longer than 100 bytes is split over lines, two spaces of
//! indent per nesting level; shorter ones stay on one line as the canonical printer writes
//! them. Every node decides on its own one-line length:
//!
//! - aggregations: `sum by (job) (` / the parameter and the operand one level deeper / `)`;
//! - binary operators: the left operand one level deeper, the operator with its modifiers at
//!   the current level, the right operand one level deeper;
//! - calls and parentheses: the opening on the first line, arguments (one per line, `,`
//!   after each but the last) one level deeper, the closing parenthesis on its own line;
//! - subqueries: the inner expression pretty-printed in place, then `[range:step]` and the
//!   modifiers; a subquery that fits is printed without indent, as Prometheus does;
//! - unary operators: the operand pretty-printed, then trimmed and prefixed by the sign;
//! - selectors, numbers, strings: indent plus their one-line form.

use std::fmt::Write;

use crate::ast::*;
use crate::printer::{AggregateHead, BinaryOperator, SubquerySuffix};

/// Prometheus's line length limit of the pretty printer, in bytes.
pub const PRETTY_LINE_LIMIT: usize = 100;

/// The expression as Prometheus's `format_query` prints it: split over lines where the
/// one-line form exceeds [`PRETTY_LINE_LIMIT`].
pub fn pretty(expr: &Expr) -> String {
    pretty_with_limit(expr, PRETTY_LINE_LIMIT)
}

/// [`pretty`] with another line length limit (Prometheus's own tests use 10).
pub fn pretty_with_limit(expr: &Expr, limit: usize) -> String {
    pretty_at(expr, 0, limit)
}

/// The writer: the limit and the output.
struct Pretty<'a> {
    limit: usize,
    out: &'a mut String,
}

impl Pretty<'_> {
    fn indent(&mut self, level: usize) {
        for _ in 0..level {
            self.out.push_str("  ");
        }
    }

    /// Writes `e` at nesting `level` (the parent already started a new line when level > 0).
    fn node(&mut self, e: &Expr, level: usize) {
        let flat = e.to_string();
        let split = flat.len() > self.limit;
        match e {
            Expr::Aggregate(a) if split => {
                self.indent(level);
                let _ = writeln!(self.out, "{}(", AggregateHead(a));
                if let Some(p) = &a.param {
                    self.node(p, level + 1);
                    self.out.push_str(",\n");
                }
                self.node(&a.expr, level + 1);
                self.close(level);
            }
            Expr::Binary(b) if split => {
                self.node(&b.lhs, level + 1);
                self.out.push('\n');
                self.indent(level);
                let _ = writeln!(self.out, "{}", BinaryOperator(b));
                self.node(&b.rhs, level + 1);
            }
            Expr::Call(c) if split => {
                self.indent(level);
                let _ = writeln!(self.out, "{}(", c.name);
                for (i, arg) in c.args.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(",\n");
                    }
                    self.node(arg, level + 1);
                }
                self.close(level);
            }
            Expr::Paren(p) if split => {
                self.indent(level);
                self.out.push_str("(\n");
                self.node(&p.expr, level + 1);
                self.close(level);
            }
            // Prometheus writes a subquery that fits without its indent.
            Expr::Subquery(_) if !split => self.out.push_str(&flat),
            Expr::Subquery(s) => {
                self.node(&s.expr, level);
                let _ = write!(self.out, "{}", SubquerySuffix(s));
            }
            Expr::Unary(u) => {
                let operand = pretty_at(&u.expr, level, self.limit);
                self.indent(level);
                self.out.push(if u.negate { '-' } else { '+' });
                self.out.push_str(operand.trim());
            }
            _ => {
                self.indent(level);
                self.out.push_str(&flat);
            }
        }
    }

    /// A new line, the indent of `level` and `)`.
    fn close(&mut self, level: usize) {
        self.out.push('\n');
        self.indent(level);
        self.out.push(')');
    }
}

/// `e` pretty-printed at `level` into a fresh string.
fn pretty_at(e: &Expr, level: usize, limit: usize) -> String {
    let mut out = String::new();
    Pretty { limit, out: &mut out }.node(e, level);
    out
}

#[cfg(test)]
mod tests;
