//! A greedy minimiser of failing queries (test-case reduction): given a query and a predicate
//! "still fails" (e.g. "Prometheus and Rill still answer differently"), it tries smaller
//! variants of the parsed query, one edit at a time, and keeps the first (shortest) one that
//! still fails, until no candidate does or the try budget is spent.
//!
//! Edits: replace a node by a child of the same type (`abs(x)` → `x`, `a + b` → `a`, an
//! aggregation by its argument, a parenthesis by its content), a range function's call by its
//! selector (`rate(x[5m])` → `x`), a vector subexpression by a plain selector it contains and a
//! scalar one by `1`; drop `offset`, `@`, matchers, grouping and matching labels, `group_x`
//! includes, `bool` and trailing optional arguments; shorten ranges and subquery steps.
//! Candidates are printed with `rill_promql`'s printer and must parse again; only strictly
//! shorter texts are tried, so the search ends.

use rill_promql::{
    AggregateExpr, BinaryExpr, Call, Cardinality, DurationExpr, Expr, MatrixSelector, NumberLiteral, ParseOptions,
    PosRange, StandardFunctions, SubqueryExpr, ValueType, VectorSelector, parse,
};

/// The outcome of [`shrink`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shrunk {
    /// The smallest failing query found, as `rill_promql` prints it; the input as given when
    /// no edit was kept (re-printing alone may change what fails) or it does not parse.
    pub query: String,
    /// How many times the predicate ran.
    pub tries: usize,
    /// How many edits were kept.
    pub steps: usize,
}

/// Minimises `query` under `still_fails`, calling it at most `max_tries` times. Candidates
/// must parse with `options` (and the standard functions).
pub fn shrink(
    query: &str,
    options: &ParseOptions,
    max_tries: usize,
    mut still_fails: impl FnMut(&str) -> bool,
) -> Shrunk {
    let mut out = Shrunk {
        query: query.to_string(),
        tries: 0,
        steps: 0,
    };
    let Ok(mut current) = parse(query, &StandardFunctions, options) else {
        return out;
    };
    let mut text = current.to_string();
    'edits: while out.tries < max_tries {
        let mut candidates: Vec<(String, Expr)> = variants(&current)
            .into_iter()
            .map(|e| (e.to_string(), e))
            .filter(|(t, _)| t.len() < text.len())
            .collect();
        candidates.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
        candidates.dedup_by(|a, b| a.0 == b.0);
        for (candidate, _) in candidates {
            if out.tries >= max_tries {
                break 'edits;
            }
            // Re-parse: an edit may break a typing rule the tree alone does not show.
            let Ok(reparsed) = parse(&candidate, &StandardFunctions, options) else {
                continue;
            };
            out.tries += 1;
            if still_fails(&candidate) {
                current = reparsed;
                text = candidate;
                out.steps += 1;
                continue 'edits;
            }
        }
        break;
    }
    if out.steps > 0 {
        out.query = text;
    }
    out
}

/// Every tree one edit away from `e`: edits of `e` itself, then of each child in place.
fn variants(e: &Expr) -> Vec<Expr> {
    let mut out = local_edits(e);
    match e {
        Expr::Number(_) | Expr::String(_) => {}
        Expr::Paren(p) => out.extend(variants(&p.expr).into_iter().map(|v| {
            let mut p = p.clone();
            p.expr = Box::new(v);
            Expr::Paren(p)
        })),
        Expr::Unary(u) => out.extend(variants(&u.expr).into_iter().map(|v| {
            let mut u = u.clone();
            u.expr = Box::new(v);
            Expr::Unary(u)
        })),
        Expr::Binary(b) => {
            out.extend(variants(&b.lhs).into_iter().map(|v| {
                let mut b = b.clone();
                b.lhs = Box::new(v);
                Expr::Binary(b)
            }));
            out.extend(variants(&b.rhs).into_iter().map(|v| {
                let mut b = b.clone();
                b.rhs = Box::new(v);
                Expr::Binary(b)
            }));
        }
        Expr::Aggregate(a) => {
            if let Some(param) = &a.param {
                out.extend(variants(param).into_iter().map(|v| {
                    let mut a = a.clone();
                    a.param = Some(Box::new(v));
                    Expr::Aggregate(a)
                }));
            }
            out.extend(variants(&a.expr).into_iter().map(|v| {
                let mut a = a.clone();
                a.expr = Box::new(v);
                Expr::Aggregate(a)
            }));
        }
        Expr::Call(c) => {
            for (i, arg) in c.args.iter().enumerate() {
                out.extend(variants(arg).into_iter().map(|v| {
                    let mut c = c.clone();
                    if let Some(slot) = c.args.get_mut(i) {
                        *slot = v;
                    }
                    Expr::Call(c)
                }));
            }
        }
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {}
        Expr::Subquery(s) => out.extend(variants(&s.expr).into_iter().map(|v| {
            let mut s = s.clone();
            s.expr = Box::new(v);
            Expr::Subquery(s)
        })),
    }
    out
}

/// Replacements of the node `e` itself.
fn local_edits(e: &Expr) -> Vec<Expr> {
    let ty = e.value_type();
    let mut out = Vec::new();
    match ty {
        ValueType::Vector if !matches!(e, Expr::VectorSelector(_)) => out.extend(first_selector(e)),
        ValueType::Scalar if !matches!(e, Expr::Number(_)) => out.push(Expr::Number(NumberLiteral {
            value: 1.0,
            pos: PosRange::default(),
        })),
        _ => {}
    }
    match e {
        Expr::Number(_) | Expr::String(_) => {}
        Expr::Paren(p) => out.push((*p.expr).clone()),
        Expr::Unary(u) => out.push((*u.expr).clone()),
        Expr::Binary(b) => binary_edits(b, ty, &mut out),
        Expr::Aggregate(a) => aggregate_edits(a, &mut out),
        Expr::Call(c) => call_edits(c, ty, &mut out),
        Expr::VectorSelector(vs) => out.extend(selector_edits(vs).into_iter().map(Expr::VectorSelector)),
        Expr::MatrixSelector(m) => matrix_edits(m, &mut out),
        Expr::Subquery(s) => subquery_edits(s, &mut out),
    }
    out
}

/// The first vector selector inside `e`, without its modifiers.
fn first_selector(e: &Expr) -> Option<Expr> {
    let mut found = None;
    e.walk(&mut |n| {
        if found.is_some() {
            return;
        }
        let vs = match n {
            Expr::VectorSelector(vs) => vs,
            Expr::MatrixSelector(m) => &m.selector,
            _ => return,
        };
        let mut vs = vs.clone();
        vs.offset = None;
        vs.at = None;
        found = Some(Expr::VectorSelector(vs));
    });
    found
}

fn binary_edits(b: &BinaryExpr, ty: ValueType, out: &mut Vec<Expr>) {
    for side in [&b.lhs, &b.rhs] {
        if side.value_type() == ty {
            out.push((**side).clone());
        }
    }
    let with = |f: &dyn Fn(&mut BinaryExpr)| {
        let mut b = b.clone();
        f(&mut b);
        Expr::Binary(b)
    };
    if b.return_bool {
        out.push(with(&|b| b.return_bool = false));
    }
    let Some(m) = &b.matching else {
        return;
    };
    if !m.include.is_empty() {
        out.push(with(&|b| b.matching.iter_mut().for_each(|m| m.include.clear())));
    }
    if matches!(m.card, Cardinality::ManyToOne | Cardinality::OneToMany) {
        out.push(with(&|b| {
            b.matching.iter_mut().for_each(|m| {
                m.card = Cardinality::OneToOne;
                m.include.clear();
            })
        }));
    }
    if m.on || !m.matching_labels.is_empty() {
        out.push(with(&|b| {
            b.matching.iter_mut().for_each(|m| {
                m.on = false;
                m.matching_labels.clear();
            })
        }));
    }
    for i in 0..m.matching_labels.len() {
        out.push(with(&|b| {
            b.matching.iter_mut().for_each(|m| {
                if i < m.matching_labels.len() {
                    m.matching_labels.remove(i);
                }
            })
        }));
    }
}

fn aggregate_edits(a: &AggregateExpr, out: &mut Vec<Expr>) {
    out.push((*a.expr).clone());
    if a.has_grouping_clause {
        let mut plain = a.clone();
        plain.grouping.clear();
        plain.without = false;
        plain.has_grouping_clause = false;
        out.push(Expr::Aggregate(plain));
    }
    for i in 0..a.grouping.len() {
        let mut fewer = a.clone();
        fewer.grouping.remove(i);
        out.push(Expr::Aggregate(fewer));
    }
}

fn call_edits(c: &Call, ty: ValueType, out: &mut Vec<Expr>) {
    for arg in &c.args {
        match arg {
            a if a.value_type() == ty => out.push(a.clone()),
            Expr::MatrixSelector(m) if ty == ValueType::Vector => out.push(Expr::VectorSelector(m.selector.clone())),
            Expr::Subquery(s) if ty == ValueType::Vector => out.push((*s.expr).clone()),
            _ => {}
        }
    }
    if !c.args.is_empty() {
        let mut shorter = c.clone();
        shorter.args.pop();
        out.push(Expr::Call(shorter));
    }
}

/// The selector without `offset`, without `@`, and without each non-name matcher in turn.
fn selector_edits(vs: &VectorSelector) -> Vec<VectorSelector> {
    let mut out = Vec::new();
    if vs.offset.is_some() {
        let mut v = vs.clone();
        v.offset = None;
        out.push(v);
    }
    if vs.at.is_some() {
        let mut v = vs.clone();
        v.at = None;
        out.push(v);
    }
    for (i, m) in vs.matchers.iter().enumerate() {
        if vs.name.is_some() && &*m.name == "__name__" {
            continue;
        }
        let mut v = vs.clone();
        v.matchers.remove(i);
        out.push(v);
    }
    out
}

/// A shorter duration than `d` (one minute, or half of it when that is a whole 15 s).
fn shorter(d: &DurationExpr) -> Vec<DurationExpr> {
    let Some(ms) = d.constant_millis() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if ms > 60_000 {
        out.push(DurationExpr::from_millis(60_000));
    }
    if ms > 30_000 && (ms / 2) % 15_000 == 0 {
        out.push(DurationExpr::from_millis(ms / 2));
    }
    out
}

fn matrix_edits(m: &MatrixSelector, out: &mut Vec<Expr>) {
    for vs in selector_edits(&m.selector) {
        let mut m = m.clone();
        m.selector = vs;
        out.push(Expr::MatrixSelector(m));
    }
    for range in shorter(&m.range) {
        let mut m = m.clone();
        m.range = range;
        out.push(Expr::MatrixSelector(m));
    }
}

fn subquery_edits(s: &SubqueryExpr, out: &mut Vec<Expr>) {
    let with = |f: &dyn Fn(&mut SubqueryExpr)| {
        let mut s = s.clone();
        f(&mut s);
        Expr::Subquery(s)
    };
    if s.offset.is_some() {
        out.push(with(&|s| s.offset = None));
    }
    if s.at.is_some() {
        out.push(with(&|s| s.at = None));
    }
    if s.step.is_some() {
        out.push(with(&|s| s.step = None));
    }
    for range in shorter(&s.range) {
        out.push(with(&|s| s.range = range.clone()));
    }
    if let Some(step) = &s.step {
        for step in shorter(step) {
            out.push(with(&|s| s.step = Some(step.clone())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ParseOptions {
        ParseOptions::default()
    }

    #[test]
    fn shrinks_to_the_failing_core() {
        // The fake bug: any query that still calls `deriv` on `b` over a range.
        let q =
            r#"sum by (job) (rate(a{x="1"}[5m] offset 1m)) + on (job) group_left () max(deriv(b{y!="2"}[10m] @ 100))"#;
        let r = shrink(q, &opts(), 500, |c| c.contains("deriv(b"));
        assert_eq!(r.query, "deriv(b[1m])");
        assert!(r.steps >= 3 && r.tries <= 500, "{r:?}");
    }

    #[test]
    fn keeps_what_the_predicate_needs() {
        let q = r#"topk(3, sum without (instance) (x{job="a"} offset 5m))"#;
        let r = shrink(q, &opts(), 200, |c| c.contains("offset 5m") && c.contains("topk"));
        assert_eq!(r.query, "topk(3, x offset 5m)");
        let sub = "max_over_time(rate(c[5m])[30m:1m] offset 1h)";
        let r = shrink(sub, &opts(), 200, |c| c.contains(":"));
        assert_eq!(r.query, "max_over_time(c[1m:])");
    }

    #[test]
    fn candidates_parse_and_are_shorter() {
        let q = "clamp(a, 1 + 2, 3) > bool on (job) group_right (x) b";
        let mut seen = Vec::new();
        let r = shrink(q, &opts(), 1000, |c| {
            seen.push(c.to_string());
            false
        });
        assert!(!seen.is_empty());
        for c in &seen {
            assert!(parse(c, &StandardFunctions, &opts()).is_ok(), "{c}");
            assert!(c.len() < q.len(), "{c}");
        }
        assert_eq!((r.steps, r.query.as_str()), (0, q));
    }

    #[test]
    fn respects_the_try_budget_and_bad_input() {
        let mut calls = 0;
        let r = shrink("sum(rate(a[5m])) / sum(rate(b[5m]))", &opts(), 3, |_| {
            calls += 1;
            false
        });
        assert_eq!((calls, r.tries), (3, 3));
        let bad = shrink("sum(", &opts(), 10, |_| true);
        assert_eq!((bad.query.as_str(), bad.tries), ("sum(", 0));
    }
}
