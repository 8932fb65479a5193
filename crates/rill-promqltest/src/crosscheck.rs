//! The Go runner's implicit cross-checks of instant evals (FORMAT.md §5): which ones apply
//! and the `@`-pinned variant of the expression.

use std::sync::LazyLock;

use regex::Regex;
use rill_engine::step_invariant::AT_MODIFIER_UNSAFE_FUNCTIONS;
use rill_promql::{AtModifier, Expr};

/// The query-context functions, which depend on the query, not on their (absent) arguments:
/// like Prometheus's `AtModifierUnsafeFunctions`, they make an `@`-pinned variant unsafe.
const QUERY_CONTEXT_FUNCTIONS: [&str; 4] = ["start", "end", "range", "step"];

static QUERY_CONTEXT_FUNCS: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(start|end|range|step)\(\)").ok());

/// Whether the query text calls `start()`, `end()`, `range()` or `step()`, which resolve
/// differently in range mode (the range-mode check is skipped for such queries).
pub(crate) fn uses_query_context(query: &str) -> bool {
    QUERY_CONTEXT_FUNCS.as_ref().is_some_and(|r| r.is_match(query))
}

/// The times the `@`-pinned query is re-evaluated at.
pub(crate) fn at_check_times(t: i64) -> Vec<i64> {
    if t == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t, 0, t / 5, t, 10 * t]
    }
}

/// The expression with every selector and subquery outside subqueries pinned to `@ t`, as the
/// Go runner does (an explicit `@ <time>` is kept, `@ start()`/`@ end()` are replaced).
/// `None` when the expression calls a time-dependent function outside subqueries.
pub(crate) fn pinned_expr(expr: &Expr, t: i64) -> Option<Expr> {
    let mut e = expr.clone();
    pin(&mut e, t).then_some(e)
}

fn pin_at(at: &mut Option<AtModifier>, t: i64) {
    if !matches!(at, Some(AtModifier::Timestamp(_))) {
        *at = Some(AtModifier::Timestamp(t));
    }
}

/// Pins in place; returns false when an unsafe function was found.
fn pin(e: &mut Expr, t: i64) -> bool {
    match e {
        Expr::Number(_) | Expr::String(_) => true,
        Expr::VectorSelector(v) => {
            pin_at(&mut v.at, t);
            true
        }
        Expr::MatrixSelector(m) => {
            pin_at(&mut m.selector.at, t);
            true
        }
        // Selectors inside a subquery are never touched: the subquery itself is pinned.
        Expr::Subquery(s) => {
            pin_at(&mut s.at, t);
            true
        }
        Expr::Paren(p) => pin(&mut p.expr, t),
        Expr::Unary(u) => pin(&mut u.expr, t),
        Expr::Binary(b) => pin(&mut b.lhs, t) & pin(&mut b.rhs, t),
        Expr::Aggregate(a) => {
            let param_ok = a.param.as_mut().is_none_or(|p| pin(p, t));
            pin(&mut a.expr, t) & param_ok
        }
        Expr::Call(c) => {
            let name = c.name.as_str();
            let safe = !AT_MODIFIER_UNSAFE_FUNCTIONS.contains(&name) && !QUERY_CONTEXT_FUNCTIONS.contains(&name);
            c.args.iter_mut().fold(safe, |ok, a| pin(a, t) & ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_context_functions() {
        assert_eq!(at_check_times(0), vec![-1000, 0, 1000]);
        assert_eq!(at_check_times(100_000), vec![-1_000_000, 0, 20_000, 100_000, 1_000_000]);
        assert!(uses_query_context("rate(x[step()])"));
        assert!(!uses_query_context("rate(x[5m])"));
    }
}
