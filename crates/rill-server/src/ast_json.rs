//! The PromQL syntax tree as `/api/v1/parse_query` shows it: the same JSON objects as
//! Prometheus's `translateAST` (for the web UI's tree view), nodes `vectorSelector`,
//! `matrixSelector`, `binaryExpr`, `aggregation`, `call`, `subquery`, `numberLiteral`,
//! `stringLiteral`, `unaryExpr` and `parenExpr`.
//!
//! Prometheus builds Go maps, which `encoding/json` writes with their keys sorted; the writers
//! below therefore emit every object's keys in byte order. Durations are milliseconds; a
//! duration given as an expression (`[5m+1m]`, `step()`) is not resolved before evaluation in
//! Prometheus and shows as `0`, and so it does here.

use std::io::{self, Write};

use rill_model::Matcher;
use rill_promql::{
    AggregateExpr, AtModifier, BinaryExpr, Call, Cardinality, DurationExpr, Expr, FunctionLookup, MatrixSelector,
    RangeMode, SubqueryExpr, VectorSelector,
};

use crate::json::{format_value, write_str};

/// What the writers need beside the tree: call signatures, and the query text (a selector's
/// `name` is only the one written before the braces, as in Prometheus).
#[derive(Clone, Copy)]
pub struct AstSource<'a> {
    /// Signatures of the functions the query may call.
    pub functions: &'a dyn FunctionLookup,
    /// The text `expr` was parsed from.
    pub query: &'a str,
}

/// Writes `expr` as Prometheus's `translateAST` JSON.
pub fn write_ast<W: Write>(w: &mut W, expr: &Expr, src: AstSource<'_>) -> io::Result<()> {
    match expr {
        Expr::Aggregate(a) => write_aggregation(w, a, src),
        Expr::Binary(b) => write_binary(w, b, src),
        Expr::Call(c) => write_call(w, c, src),
        Expr::MatrixSelector(m) => write_matrix_selector(w, m, src.query),
        Expr::Subquery(s) => write_subquery(w, s, src),
        Expr::Number(n) => {
            w.write_all(b"{\"type\":\"numberLiteral\",\"val\":")?;
            write_str(w, &format_value(n.value))?;
            w.write_all(b"}")
        }
        Expr::Paren(p) => {
            w.write_all(b"{\"expr\":")?;
            write_ast(w, &p.expr, src)?;
            w.write_all(b",\"type\":\"parenExpr\"}")
        }
        Expr::String(s) => {
            w.write_all(b"{\"type\":\"stringLiteral\",\"val\":")?;
            write_str(w, &s.value)?;
            w.write_all(b"}")
        }
        Expr::Unary(u) => {
            w.write_all(b"{\"expr\":")?;
            write_ast(w, &u.expr, src)?;
            let op = if u.negate { "-" } else { "+" };
            write!(w, ",\"op\":\"{op}\",\"type\":\"unaryExpr\"}}")
        }
        Expr::VectorSelector(v) => write_vector_selector(w, v, src.query),
    }
}

/// The whole tree as a string (see [`write_ast`]).
pub fn ast_json(expr: &Expr, src: AstSource<'_>) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_ast(&mut out, expr, src);
    String::from_utf8(out).unwrap_or_default()
}

fn write_aggregation<W: Write>(w: &mut W, a: &AggregateExpr, src: AstSource<'_>) -> io::Result<()> {
    w.write_all(b"{\"expr\":")?;
    write_ast(w, &a.expr, src)?;
    w.write_all(b",\"grouping\":")?;
    write_strings(w, &a.grouping)?;
    write!(w, ",\"op\":\"{}\",\"param\":", a.op.as_str())?;
    match &a.param {
        Some(p) => write_ast(w, p, src)?,
        None => w.write_all(b"null")?,
    }
    write!(w, ",\"type\":\"aggregation\",\"without\":{}}}", a.without)
}

fn write_binary<W: Write>(w: &mut W, b: &BinaryExpr, src: AstSource<'_>) -> io::Result<()> {
    write!(w, "{{\"bool\":{},\"lhs\":", b.return_bool)?;
    write_ast(w, &b.lhs, src)?;
    w.write_all(b",\"matching\":")?;
    match &b.matching {
        Some(m) => {
            let card = match m.card {
                Cardinality::OneToOne => "one-to-one",
                Cardinality::ManyToOne => "many-to-one",
                Cardinality::OneToMany => "one-to-many",
                Cardinality::ManyToMany => "many-to-many",
            };
            write!(w, "{{\"card\":\"{card}\",\"fillValues\":{{\"lhs\":")?;
            write_fill(w, b.fill.left)?;
            w.write_all(b",\"rhs\":")?;
            write_fill(w, b.fill.right)?;
            w.write_all(b"},\"include\":")?;
            write_strings(w, &m.include)?;
            w.write_all(b",\"labels\":")?;
            write_strings(w, &m.matching_labels)?;
            write!(w, ",\"on\":{}}}", m.on)?;
        }
        None => w.write_all(b"null")?,
    }
    w.write_all(b",\"op\":")?;
    write_str(w, b.op.as_str())?;
    w.write_all(b",\"rhs\":")?;
    write_ast(w, &b.rhs, src)?;
    w.write_all(b",\"type\":\"binaryExpr\"}")
}

/// A fill value as Go's `encoding/json` writes a `*float64`: `null`, or the shortest decimal
/// form, with an exponent (`1e+21`, `1e-7`) outside `[1e-6, 1e21)`. Go cannot encode NaN or
/// infinities at all; they are written `null` here rather than failing the response.
fn write_fill<W: Write>(w: &mut W, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(v) if v.is_finite() => w.write_all(go_json_float(v).as_bytes()),
        _ => w.write_all(b"null"),
    }
}

/// Go's `encoding/json` text of a finite float.
fn go_json_float(v: f64) -> String {
    let abs = v.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{v}");
    }
    // Rust writes `1e21` / `1e-7`; Go writes `1e+21` / `1e-7`.
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

fn write_call<W: Write>(w: &mut W, c: &Call, src: AstSource<'_>) -> io::Result<()> {
    w.write_all(b"{\"args\":[")?;
    for (i, a) in c.args.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_ast(w, a, src)?;
    }
    w.write_all(b"],\"func\":{\"argTypes\":[")?;
    let sig = src.functions.signature(&c.name);
    let (arg_types, variadic) = sig.as_ref().map_or((&[][..], 0), |s| (&s.arg_types[..], s.variadic));
    for (i, t) in arg_types.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write!(w, "\"{}\"", t.as_str())?;
    }
    w.write_all(b"],\"name\":")?;
    write_str(w, &c.name)?;
    write!(
        w,
        ",\"returnType\":\"{}\",\"variadic\":{variadic}}},\"type\":\"call\"}}",
        c.return_type.as_str()
    )
}

/// Milliseconds of a duration; `0` for one that needs `step()`/`range()` or other
/// arithmetic (Prometheus resolves those only at evaluation).
fn duration_ms(d: Option<&DurationExpr>) -> i64 {
    match d {
        Some(DurationExpr::Seconds(s)) => (s * 1000.0).round() as i64,
        _ => 0,
    }
}

/// The `matchers`, `name` and `offset` fields shared by both selectors, then `range` when given.
fn write_selector_fields<W: Write>(
    w: &mut W,
    v: &VectorSelector,
    range: Option<&DurationExpr>,
    query: &str,
) -> io::Result<()> {
    w.write_all(b",\"matchers\":")?;
    write_matchers(w, &v.matchers)?;
    w.write_all(b",\"name\":")?;
    // A name quoted inside the braces (`{"foo"}`) is only a matcher to Prometheus.
    let inside_braces = query.get(v.pos.start..).is_some_and(|rest| rest.starts_with('{'));
    let name = if inside_braces { None } else { v.name.as_deref() };
    write_str(w, name.unwrap_or(""))?;
    write!(w, ",\"offset\":{}", duration_ms(v.offset.as_ref()))?;
    if let Some(r) = range {
        write!(w, ",\"range\":{}", duration_ms(Some(r)))?;
    }
    Ok(())
}

/// The `startOrEnd` and `timestamp` values of an `@` modifier (`null` when absent).
fn at_fields(at: Option<AtModifier>) -> (&'static str, String) {
    match at {
        None => ("null", "null".into()),
        Some(AtModifier::Start) => ("\"start\"", "null".into()),
        Some(AtModifier::End) => ("\"end\"", "null".into()),
        Some(AtModifier::Timestamp(ms)) => ("null", ms.to_string()),
    }
}

/// `"startOrEnd":...,"timestamp":...,"type":...}`: the tail of both selectors.
fn write_selector_tail<W: Write>(w: &mut W, at: Option<AtModifier>, typ: &str) -> io::Result<()> {
    let (start_or_end, timestamp) = at_fields(at);
    write!(
        w,
        ",\"startOrEnd\":{start_or_end},\"timestamp\":{timestamp},\"type\":\"{typ}\"}}"
    )
}

fn write_vector_selector<W: Write>(w: &mut W, v: &VectorSelector, query: &str) -> io::Result<()> {
    write!(w, "{{\"anchored\":{}", v.mode == RangeMode::Anchored)?;
    write_selector_fields(w, v, None, query)?;
    write!(w, ",\"smoothed\":{}", v.mode == RangeMode::Smoothed)?;
    write_selector_tail(w, v.at, "vectorSelector")
}

fn write_matrix_selector<W: Write>(w: &mut W, m: &MatrixSelector, query: &str) -> io::Result<()> {
    write!(w, "{{\"anchored\":{}", m.mode == RangeMode::Anchored)?;
    write_selector_fields(w, &m.selector, Some(&m.range), query)?;
    write!(w, ",\"smoothed\":{}", m.mode == RangeMode::Smoothed)?;
    write_selector_tail(w, m.selector.at, "matrixSelector")
}

fn write_subquery<W: Write>(w: &mut W, s: &SubqueryExpr, src: AstSource<'_>) -> io::Result<()> {
    w.write_all(b"{\"alignEvalTime\":false,\"expr\":")?;
    write_ast(w, &s.expr, src)?;
    write!(
        w,
        ",\"offset\":{},\"range\":{}",
        duration_ms(s.offset.as_ref()),
        duration_ms(Some(&s.range))
    )?;
    // `startOrEnd` sorts before `step`, `timestamp` after it.
    let (start_or_end, timestamp) = at_fields(s.at);
    write!(
        w,
        ",\"startOrEnd\":{start_or_end},\"step\":{},\"timestamp\":{timestamp},\"type\":\"subquery\"}}",
        duration_ms(s.step.as_ref())
    )
}

fn write_matchers<W: Write>(w: &mut W, matchers: &[Matcher]) -> io::Result<()> {
    w.write_all(b"[")?;
    for (i, m) in matchers.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"{\"name\":")?;
        write_str(w, &m.name)?;
        write!(w, ",\"type\":\"{}\",\"value\":", m.op.as_str())?;
        write_str(w, &m.value)?;
        w.write_all(b"}")?;
    }
    w.write_all(b"]")
}

fn write_strings<W: Write>(w: &mut W, items: &[String]) -> io::Result<()> {
    crate::json::write_string_list(w, items)
}

#[cfg(test)]
mod tests;
