//! Prints the AST in Prometheus's canonical `String()` form, e.g.
//! `sum by (job) (rate(foo{a="b"}[5m] offset 1m))`, so a (possibly modified) tree can be
//! re-parsed: `parse(print(parse(q)))` equals `parse(q)` up to positions.

use std::fmt::{self, Write};

use rill_model::format_value;
use rill_model::labels::{is_legacy_label_name, is_legacy_metric_name, write_quoted, write_quoted_bytes};

use crate::ast::*;

/// Go's `fmt.Sprint` / `%v` float formatting (`1e+06`, `0.5`, `+Inf`, `NaN`); one
/// implementation for the workspace, in `rill_model`.
pub use rill_model::histogram::format_g as go_float;

/// Go's `%f` (six decimals), used in Prometheus's `@` bounds message.
pub fn go_fixed6(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v:.6}")
    }
}

/// Prometheus's `model.Duration.String()` of a number of milliseconds (`1h30m`, `0s`).
pub fn format_duration_ms(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let (sign, mut rest) = if ms < 0 {
        ("-", ms.unsigned_abs())
    } else {
        ("", ms as u64)
    };
    let mut out = String::from(sign);
    const UNITS: [(&str, u64, bool); 7] = [
        ("y", 365 * 24 * 3_600_000, true),
        ("w", 7 * 24 * 3_600_000, true),
        ("d", 24 * 3_600_000, false),
        ("h", 3_600_000, false),
        ("m", 60_000, false),
        ("s", 1000, false),
        ("ms", 1, false),
    ];
    for (unit, mult, exact) in UNITS {
        if exact && rest % mult != 0 {
            continue;
        }
        let v = rest / mult;
        if v > 0 {
            let _ = write!(out, "{v}{unit}");
            rest -= v * mult;
        }
    }
    out
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => f.write_str(&format_value(n.value)),
            Expr::String(s) => write_quoted_bytes(f, s.bytes()),
            Expr::Paren(p) => write!(f, "({})", p.expr),
            Expr::Unary(u) => {
                f.write_str(if u.negate { "-" } else { "+" })?;
                // The operand of a unary operator binds like `*`: only `^` may stay bare.
                match &*u.expr {
                    Expr::Binary(b) if b.op != BinaryOp::Pow => write!(f, "({})", u.expr),
                    e => write!(f, "{e}"),
                }
            }
            Expr::Binary(b) => write_binary(f, b),
            Expr::Aggregate(a) => write_aggregate(f, a),
            Expr::Call(c) => {
                write!(f, "{}(", c.name)?;
                write_joined(f, &c.args)?;
                f.write_char(')')
            }
            Expr::VectorSelector(vs) => {
                write_selector(f, vs)?;
                write_mode(f, vs.mode)?;
                write_at_offset(f, vs.at, vs.offset.as_ref())
            }
            Expr::MatrixSelector(m) => {
                write_selector(f, &m.selector)?;
                write!(f, "[{}]", DurationDisplay(&m.range))?;
                write_mode(f, m.mode)?;
                write_at_offset(f, m.selector.at, m.selector.offset.as_ref())
            }
            Expr::Subquery(s) => write!(f, "{}{}", s.expr, SubquerySuffix(s)),
        }
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

/// Label names joined by `, `, quoted when they are not legacy names.
fn write_labels(f: &mut fmt::Formatter<'_>, labels: &[String]) -> fmt::Result {
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if is_legacy_label_name(l) {
            f.write_str(l)?;
        } else {
            write_quoted(f, l)?;
        }
    }
    Ok(())
}

/// Writes an operand of the binary operator `op`, parenthesised where printing it bare would
/// re-parse with a different grouping. A parsed tree keeps its parentheses as
/// [`Expr::Paren`], so this only matters for a signed number on the left of `^` (`Inf ^ x`
/// would print `+Inf ^ x`, which is `+(Inf ^ x)`) and for trees built by hand.
fn write_operand(f: &mut fmt::Formatter<'_>, e: &Expr, op: BinaryOp, left: bool) -> fmt::Result {
    let binds_looser = match e {
        Expr::Binary(inner) => {
            let (p, q) = (inner.op.precedence(), op.precedence());
            p < q || (p == q && left == op.is_right_associative())
        }
        // Unary operators bind like `*`, and a number's sign is one: both only lose to `^`.
        Expr::Unary(_) => left && op == BinaryOp::Pow,
        Expr::Number(n) => left && op == BinaryOp::Pow && format_value(n.value).starts_with(['+', '-']),
        _ => false,
    };
    if binds_looser {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_binary(f: &mut fmt::Formatter<'_>, b: &BinaryExpr) -> fmt::Result {
    write_operand(f, &b.lhs, b.op, true)?;
    write!(f, " {} ", BinaryOperator(b))?;
    write_operand(f, &b.rhs, b.op, false)
}

/// A binary expression's operator with its modifiers, as printed between the operands:
/// `/ ignoring (code) group_left (x)`, `== bool`; shared with the pretty printer.
pub(crate) struct BinaryOperator<'a>(pub(crate) &'a BinaryExpr);

impl fmt::Display for BinaryOperator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{}", b.op)?;
        if b.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &b.matching
            && (m.on || !m.matching_labels.is_empty())
        {
            f.write_str(if m.on { " on (" } else { " ignoring (" })?;
            write_labels(f, &m.matching_labels)?;
            f.write_char(')')?;
            let group = match m.card {
                Cardinality::ManyToOne => Some("left"),
                Cardinality::OneToMany => Some("right"),
                _ => None,
            };
            if let Some(side) = group {
                write!(f, " group_{side} (")?;
                write_labels(f, &m.include)?;
                f.write_char(')')?;
            }
        }
        match (b.fill.left, b.fill.right) {
            (Some(l), Some(r)) if l.to_bits() == r.to_bits() => write!(f, " fill ({})", go_float(l))?,
            (l, r) => {
                if let Some(l) = l {
                    write!(f, " fill_left ({})", go_float(l))?;
                }
                if let Some(r) = r {
                    write!(f, " fill_right ({})", go_float(r))?;
                }
            }
        }
        Ok(())
    }
}

fn write_aggregate(f: &mut fmt::Formatter<'_>, a: &AggregateExpr) -> fmt::Result {
    write!(f, "{}(", AggregateHead(a))?;
    if let Some(p) = &a.param {
        write!(f, "{p}, ")?;
    }
    write!(f, "{})", a.expr)
}

/// An aggregation's operator and grouping before its opening parenthesis: `sum`,
/// `sum by (job) ` (Prometheus's `ShortString`); shared with the pretty printer.
pub(crate) struct AggregateHead<'a>(pub(crate) &'a AggregateExpr);

impl fmt::Display for AggregateHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        f.write_str(a.op.as_str())?;
        if a.without || !a.grouping.is_empty() {
            f.write_str(if a.without { " without (" } else { " by (" })?;
            write_labels(f, &a.grouping)?;
            f.write_str(") ")?;
        }
        Ok(())
    }
}

/// A subquery's `[range:step]` with its `@` and offset modifiers; shared with the pretty
/// printer.
pub(crate) struct SubquerySuffix<'a>(pub(crate) &'a SubqueryExpr);

impl fmt::Display for SubquerySuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "[{}:", DurationDisplay(&s.range))?;
        if let Some(step) = &s.step {
            write!(f, "{}", DurationDisplay(step))?;
        }
        f.write_char(']')?;
        write_at_offset(f, s.at, s.offset.as_ref())
    }
}

/// Writes a selector: its name before the braces when it is a legacy name and no other
/// `__name__` matcher exists (`a{__name__="b"}` is rejected as a name set twice), else as a
/// bare quoted name first inside them (`{"a",__name__="b"}`), then the other matchers.
fn write_selector(f: &mut fmt::Formatter<'_>, vs: &VectorSelector) -> fmt::Result {
    let name = vs.name.as_deref().filter(|n| !n.is_empty());
    // The matcher the name stands for, which is not printed again.
    let name_matcher = name.and_then(|n| {
        vs.matchers
            .iter()
            .position(|m| &*m.name == rill_model::METRIC_NAME && m.op == rill_model::MatchOp::Equal && &*m.value == n)
    });
    let other_name_matchers = vs
        .matchers
        .iter()
        .enumerate()
        .any(|(i, m)| Some(i) != name_matcher && &*m.name == rill_model::METRIC_NAME);
    let outside = name.filter(|n| is_legacy_metric_name(n) && !other_name_matchers);
    let mut parts: Vec<String> = Vec::with_capacity(vs.matchers.len() + 1);
    if let Some(n) = name
        && outside.is_none()
    {
        let mut q = String::new();
        write_quoted(&mut q, n)?;
        parts.push(q);
    }
    // Like Prometheus, the matchers are printed sorted by their text and joined by `,`.
    let mut matchers: Vec<String> = vs
        .matchers
        .iter()
        .enumerate()
        .filter(|&(i, _)| Some(i) != name_matcher)
        .map(|(_, m)| m.to_string())
        .collect();
    matchers.sort_unstable();
    parts.append(&mut matchers);
    if let Some(n) = outside {
        f.write_str(n)?;
    }
    if !parts.is_empty() || name.is_none() {
        write!(f, "{{{}}}", parts.join(","))?;
    }
    Ok(())
}

fn write_mode(f: &mut fmt::Formatter<'_>, mode: RangeMode) -> fmt::Result {
    match mode {
        RangeMode::Classic => Ok(()),
        RangeMode::Anchored => f.write_str(" anchored"),
        RangeMode::Smoothed => f.write_str(" smoothed"),
    }
}

fn write_at_offset(f: &mut fmt::Formatter<'_>, at: Option<AtModifier>, offset: Option<&DurationExpr>) -> fmt::Result {
    match at {
        Some(AtModifier::Timestamp(ms)) => write!(f, " @ {:.3}", ms as f64 / 1000.0)?,
        Some(AtModifier::Start) => f.write_str(" @ start()")?,
        Some(AtModifier::End) => f.write_str(" @ end()")?,
        None => {}
    }
    if let Some(d) = offset
        && d.constant_millis() != Some(0)
    {
        f.write_str(" offset ")?;
        match d {
            DurationExpr::Seconds(_) | DurationExpr::Step | DurationExpr::Range => write!(f, "{}", DurationDisplay(d))?,
            DurationExpr::Binary(DurationOp::Min | DurationOp::Max, ..) => write!(f, "{}", DurationDisplay(d))?,
            _ => write!(f, "({})", DurationDisplay(d))?,
        }
    }
    Ok(())
}

/// Prints a [`DurationExpr`] with the parentheses its structure needs.
struct DurationDisplay<'a>(&'a DurationExpr);

fn duration_prec(op: DurationOp) -> u8 {
    match op {
        DurationOp::Add | DurationOp::Sub => 4,
        DurationOp::Mul | DurationOp::Div | DurationOp::Mod => 5,
        DurationOp::Pow => 6,
        DurationOp::Min | DurationOp::Max => 7,
    }
}

impl fmt::Display for DurationDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            DurationExpr::Seconds(s) => {
                let ms = s * 1000.0;
                // `i64::MAX as f64` is 2^63: every whole number below it converts exactly.
                if ms.fract() == 0.0 && ms.abs() < i64::MAX as f64 {
                    f.write_str(&format_duration_ms(ms as i64))
                } else {
                    f.write_str(&go_float(*s))
                }
            }
            DurationExpr::Step => f.write_str("step()"),
            DurationExpr::Range => f.write_str("range()"),
            DurationExpr::Neg(inner) => match **inner {
                DurationExpr::Binary(op, ..) if duration_prec(op) < 7 => write!(f, "-({})", DurationDisplay(inner)),
                _ => write!(f, "-{}", DurationDisplay(inner)),
            },
            DurationExpr::Binary(op @ (DurationOp::Min | DurationOp::Max), a, b) => {
                let name = if *op == DurationOp::Min { "min_of" } else { "max_of" };
                write!(f, "{name}({}, {})", DurationDisplay(a), DurationDisplay(b))
            }
            DurationExpr::Binary(op, a, b) => {
                let prec = duration_prec(*op);
                let sym = match op {
                    DurationOp::Add => "+",
                    DurationOp::Sub => "-",
                    DurationOp::Mul => "*",
                    DurationOp::Div => "/",
                    DurationOp::Mod => "%",
                    _ => "^",
                };
                let right_assoc = *op == DurationOp::Pow;
                write_duration_operand(f, a, prec, right_assoc)?;
                write!(f, " {sym} ")?;
                write_duration_operand(f, b, prec, !right_assoc)
            }
        }
    }
}

/// An operand of a binary duration operator; parenthesised when it binds looser than the
/// operator (or equally, on the side where associativity would regroup it), and negative
/// numbers and negations, which would otherwise re-parse with a different grouping.
fn write_duration_operand(f: &mut fmt::Formatter<'_>, d: &DurationExpr, prec: u8, strict: bool) -> fmt::Result {
    let needs_parens = match d {
        DurationExpr::Binary(op, ..) => {
            let p = duration_prec(*op);
            p < prec || (strict && p == prec)
        }
        DurationExpr::Neg(_) => true,
        DurationExpr::Seconds(s) => *s < 0.0,
        _ => false,
    };
    if needs_parens {
        write!(f, "({})", DurationDisplay(d))
    } else {
        write!(f, "{}", DurationDisplay(d))
    }
}

impl fmt::Display for DurationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        DurationDisplay(self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(0.5), "0.5");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(f64::INFINITY), "+Inf");
        assert_eq!(go_float(f64::NAN), "NaN");
        assert_eq!(go_float(1e-5), "1e-05");
        assert_eq!(go_float(-2.5), "-2.5");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(123456.0), "123456");
    }

    fn parse(q: &str) -> Expr {
        crate::parse(q, &crate::StandardFunctions, &crate::ParseOptions::all()).unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn print(q: &str) -> String {
        parse(q).to_string()
    }

    #[test]
    fn signed_numbers_are_parenthesised_as_base_of_power() {
        assert_eq!(print("Inf ^ up"), "(+Inf) ^ up");
        assert_eq!(print("1 + Inf ^ 2 ^ up"), "1 + (+Inf) ^ 2 ^ up");
        assert_eq!(print("-1 ^ 2"), "-1 ^ 2");
        assert_eq!(print("2 ^ -1"), "2 ^ -1");
        assert_eq!(print("-1 * 2"), "-1 * 2");
    }

    #[test]
    fn hand_built_trees_keep_their_grouping() {
        let Expr::Binary(mut mul) = parse("x * c") else {
            panic!()
        };
        mul.lhs = Box::new(parse("a + b"));
        let Expr::Binary(mut pow) = parse("x ^ c") else {
            panic!()
        };
        pow.lhs = Box::new(parse("a ^ b"));
        let neg = Expr::Unary(UnaryExpr {
            negate: true,
            expr: Box::new(parse("a - b")),
            pos: PosRange::default(),
        });
        let Expr::Binary(mut neg_pow) = parse("x ^ 2") else {
            panic!()
        };
        neg_pow.lhs = Box::new(parse("-a"));
        let cases = [
            (Expr::Binary(mul), "(a + b) * c"),
            (Expr::Binary(pow), "(a ^ b) ^ c"),
            (neg, "-(a - b)"),
            (Expr::Binary(neg_pow), "(-a) ^ 2"),
        ];
        for (e, want) in cases {
            assert_eq!(e.to_string(), want);
        }
    }

    #[test]
    fn invalid_utf8_in_strings_prints_as_go_escapes() {
        assert_eq!(print(r#"count_values("a\xc5z", x)"#), r#"count_values("a\xc5z", x)"#);
    }

    #[test]
    fn selector_names_print_where_they_reparse() {
        assert_eq!(print("{\"foo\"}"), "foo");
        assert_eq!(print("foo{a=\"b\"}"), "foo{a=\"b\"}");
        assert_eq!(print("{\"node\", \"foo\"}"), "{\"node\",__name__=\"foo\"}");
        assert_eq!(print("{__name__=~\"f.*\", \"node\"}"), "{\"node\",__name__=~\"f.*\"}");
        assert_eq!(print("{\"my.metric\", a=\"b\"}"), "{\"my.metric\",a=\"b\"}");
    }

    #[test]
    fn durations_print_like_prometheus() {
        assert_eq!(format_duration_ms(0), "0s");
        assert_eq!(format_duration_ms(5_400_000), "1h30m");
        assert_eq!(format_duration_ms(10_053), "10s53ms");
        assert_eq!(format_duration_ms(90 * 86_400_000), "90d");
        assert_eq!(format_duration_ms(14 * 86_400_000), "2w");
        assert_eq!(format_duration_ms(-300_000), "-5m");
    }
}
