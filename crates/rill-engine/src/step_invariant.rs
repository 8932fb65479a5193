//! Which expressions Prometheus treats as step invariant (its `preprocessExpr`): their value
//! is the same at every step, so Prometheus evaluates them once, at the first step of the
//! grid they are evaluated on, and repeats the result. Rill evaluates them step by step,
//! which gives the same values; the difference shows only where that first step lies outside
//! every window, as for a subquery whose range holds no point of its grid.

use rill_promql::Expr;

/// Prometheus's `AtModifierUnsafeFunctions`: functions whose result depends on the evaluation
/// time even when every argument is pinned with `@`.
pub const AT_MODIFIER_UNSAFE_FUNCTIONS: [&str; 11] = [
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "time",
    "timestamp",
];

/// Whether `expr` is step invariant by Prometheus's rules: literals, selectors with `@`,
/// subqueries with `@`, and aggregations (by their operand alone), operators and calls of
/// at-safe functions over step-invariant operands.
pub fn is_step_invariant(expr: &Expr) -> bool {
    match expr {
        Expr::Number(_) | Expr::String(_) => true,
        Expr::VectorSelector(vs) => vs.at.is_some(),
        Expr::MatrixSelector(ms) => ms.selector.at.is_some(),
        Expr::Subquery(sq) => sq.at.is_some(),
        Expr::Paren(p) => is_step_invariant(&p.expr),
        Expr::Unary(u) => is_step_invariant(&u.expr),
        // As in Prometheus, an aggregation's parameter does not count.
        Expr::Aggregate(a) => is_step_invariant(&a.expr),
        Expr::Binary(b) => is_step_invariant(&b.lhs) && is_step_invariant(&b.rhs),
        Expr::Call(c) => {
            !AT_MODIFIER_UNSAFE_FUNCTIONS.contains(&c.name.as_str()) && c.args.iter().all(is_step_invariant)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invariant(q: &str) -> bool {
        let e = rill_promql::parse(q, &rill_promql::StandardFunctions, &Default::default())
            .unwrap_or_else(|err| panic!("{q}: {err}"));
        is_step_invariant(&e)
    }

    #[test]
    fn follows_prometheus_preprocessing() {
        for q in [
            "1",
            "vector(18)",
            "stddev(-vector(18))",
            "up @ 100",
            "up @ start() + 1",
            "rate(up[5m] @ end())",
            "topk(scalar(up), up @ 100)",
            "pi()",
            "up[5m:1m] @ 100",
        ] {
            assert!(invariant(q), "{q}");
        }
        for q in [
            "up",
            "up @ 100 + up",
            "time()",
            "vector(time())",
            "predict_linear(up[5m] @ 100, 60)",
            "hour(up @ 100)",
            "(up @ 100)[5m:1m]",
        ] {
            assert!(!invariant(q), "{q}");
        }
    }
}
