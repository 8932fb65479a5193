//! Parser tests: valid constructs, error messages and positions, depth limit.

use super::*;
use crate::StandardFunctions;

fn ok(q: &str) -> Expr {
    parse(q, &StandardFunctions, &ParseOptions::all()).unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn err(q: &str) -> String {
    match parse(q, &StandardFunctions, &ParseOptions::all()) {
        Ok(e) => panic!("{q} parsed as {e}"),
        Err(e) => e.to_string(),
    }
}

fn err_default(q: &str) -> String {
    match parse(q, &StandardFunctions, &ParseOptions::default()) {
        Ok(e) => panic!("{q} parsed as {e}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn prints_canonical_forms() {
    for (q, want) in [
        (
            "sum by(job)(rate(foo{a='b'}[5m] offset 1m))",
            "sum by (job) (rate(foo{a=\"b\"}[5m] offset 1m))",
        ),
        ("a + on(x) group_left(y) b", "a + on (x) group_left (y) b"),
        ("x[5m:1m] @ 100", "x[5m:1m] @ 100.000"),
        ("topk(3, x) without (a)", "topk without (a) (3, x)"),
        ("-1^2", "-1 ^ 2"),
        ("1 > bool 2", "1 > bool 2"),
        ("{\"my.metric\", \"a.b\"=\"c\"}", "{\"my.metric\",\"a.b\"=\"c\"}"),
        // Prometheus 3.x: matchers sorted and joined by `,`; numbers in Go's 'f' format.
        ("foo{z!~'x', b='1', a=~\"2\"}", "foo{a=~\"2\",b=\"1\",z!~\"x\"}"),
        ("1e6 + 0.00001 - 1e-7", "1000000 + 0.00001 - 0.0000001"),
        ("foo offset -5m @ end()", "foo @ end() offset -5m"),
        ("foo[2m*(10+5)]", "foo[2m * (10s + 5s)]"),
        ("1h", "3600"),
        ("a + fill(0) b", "a + fill (0) b"),
        ("rate(foo[5m] anchored)", "rate(foo[5m] anchored)"),
    ] {
        assert_eq!(ok(q).to_string(), want, "{q}");
    }
}

#[test]
fn unary_minus_binds_like_multiplication() {
    let Expr::Unary(u) = ok("-1^2") else {
        panic!("not unary")
    };
    assert!(u.negate);
    assert!(matches!(*u.expr, Expr::Binary(ref b) if b.op == BinaryOp::Pow));
    let Expr::Binary(b) = ok("-1 * 2") else {
        panic!("not binary")
    };
    assert!(matches!(*b.lhs, Expr::Number(ref n) if n.value == -1.0 && n.pos == PosRange::new(0, 2)));
}

#[test]
fn pow_is_right_associative_and_precedence_holds() {
    let Expr::Binary(b) = ok("2 ^ 3 ^ 2") else { panic!() };
    assert!(matches!(*b.rhs, Expr::Binary(_)));
    let Expr::Binary(b) = ok("a or b and c") else { panic!() };
    assert_eq!(b.op, BinaryOp::Or);
    assert_eq!(b.matching.as_ref().map(|m| m.card), Some(Cardinality::ManyToMany));
}

#[test]
fn selectors_carry_matchers_positions_and_modifiers() {
    let Expr::VectorSelector(vs) = ok("foo{a=\"b\"} offset 1m @ 100.5") else {
        panic!()
    };
    assert_eq!(vs.name.as_deref(), Some("foo"));
    assert_eq!(vs.matchers.len(), 2);
    assert_eq!(vs.offset, Some(DurationExpr::Seconds(60.0)));
    assert_eq!(vs.at, Some(AtModifier::Timestamp(100_500)));
    assert_eq!(vs.pos, PosRange::new(0, 28));
    let Expr::MatrixSelector(m) = ok("foo[5m] smoothed") else {
        panic!()
    };
    assert_eq!(m.mode, RangeMode::Smoothed);
    let Expr::Subquery(s) = ok("rate(x[1m])[30m:]") else {
        panic!()
    };
    assert_eq!(s.step, None);
    let Expr::MatrixSelector(m) = ok("foo[step()+1]") else {
        panic!()
    };
    assert!(m.range.uses_query_params());
}

#[test]
fn error_messages_match_prometheus() {
    for (q, want) in [
        ("", "unknown position: parse error: no expression found in input"),
        ("foo +", "1:6: parse error: unexpected end of input"),
        (
            "{}",
            "1:1: parse error: vector selector must contain at least one non-empty matcher",
        ),
        (
            "{a=~\".*\"}",
            "1:1: parse error: vector selector must contain at least one non-empty matcher",
        ),
        (
            "rate(foo)",
            "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector",
        ),
        (
            "foo[5m] + 1",
            "1:1: parse error: binary expression must contain only scalar and instant vector types",
        ),
        (
            "1 > 2",
            "1:3: parse error: comparisons between scalars must use BOOL modifier",
        ),
        (
            "1 and foo",
            "1:1: parse error: set operator \"and\" not allowed in binary scalar expression",
        ),
        (
            "a and on(x) group_left b",
            "1:1: parse error: no grouping allowed for \"and\" operation",
        ),
        (
            "a + on(x) group_left(x) b",
            "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once",
        ),
        (
            "a + bool b",
            "1:3: parse error: bool modifier can only be used on comparison operators",
        ),
        ("foo(1)", "1:1: parse error: unknown function with name \"foo\""),
        (
            "round()",
            "1:1: parse error: expected at least 1 argument(s) in call to \"round\", got 0",
        ),
        (
            "round(a, 1, 2)",
            "1:1: parse error: expected at most 2 argument(s) in call to \"round\", got 3",
        ),
        (
            "sum()",
            "1:1: parse error: no arguments for aggregate expression provided",
        ),
        (
            "topk(x)",
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1",
        ),
        (
            "sum(1, x)",
            "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 1, got 2",
        ),
        (
            "foo offset 1m [5m]",
            "1:15: parse error: no offset modifiers allowed before range",
        ),
        (
            "sum(x) offset 1m",
            "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery",
        ),
        (
            "foo offset 1m offset 2m",
            "1:1: parse error: offset may not be set multiple times",
        ),
        (
            "(foo)[5m]",
            "1:6: parse error: ranges only allowed for vector selectors",
        ),
        (
            "foo{__name__=\"bar\"}",
            "1:1: parse error: metric name must not be set twice: \"foo\" or \"bar\"",
        ),
        (
            "-foo[5m]",
            "1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got \"range vector\"",
        ),
        ("sum(x) by (a", "1:13: parse error: unclosed left parenthesis"),
        (
            "rate(x[5m],)",
            "1:11: parse error: trailing commas not allowed in function call args",
        ),
        (
            "foo @ bar",
            "1:7: parse error: unexpected identifier \"bar\" in @, expected timestamp",
        ),
        (
            "sum by foo (x)",
            "1:8: parse error: unexpected identifier \"foo\" in grouping opts, expected \"(\"",
        ),
    ] {
        assert_eq!(err(q), want, "{q}");
    }
}

#[test]
fn experimental_features_are_gated() {
    for (q, want) in [
        (
            "foo[5m+1m]",
            "1:5: parse error: experimental duration expression is not enabled",
        ),
        (
            "foo offset (1m)",
            "1:12: parse error: experimental duration expression is not enabled",
        ),
        (
            "rate(foo[5m] anchored)",
            "1:6: parse error: anchored modifier is experimental and not enabled",
        ),
        (
            "a + fill(0) b",
            "1:1: parse error: binop fill modifiers are experimental and not enabled",
        ),
        (
            "limitk(1, x)",
            "1:1: parse error: limitk() is experimental and must be enabled with --enable-feature=promql-experimental-functions",
        ),
        (
            "mad_over_time(x[5m])",
            "1:1: parse error: function \"mad_over_time\" is not enabled",
        ),
    ] {
        assert_eq!(err_default(q), want, "{q}");
    }
    assert!(parse("foo[1800] offset -5m", &StandardFunctions, &ParseOptions::default()).is_ok());
}

#[test]
fn info_accepts_label_only_selectors() {
    ok("info(metric, {data=~\".*\"})");
    assert_eq!(
        err("info(metric, other{a=\"b\"})"),
        "1:14: parse error: expected label selectors only, got vector selector instead"
    );
}

/// Parses, prints, clones and drops `q` on a thread with a 2 MiB stack, a typical server
/// worker's; a stack overflow would abort the test process.
fn on_small_stack(q: String) -> std::result::Result<(), String> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let e = parse(&q, &StandardFunctions, &ParseOptions::all()).map_err(|e| e.msg)?;
            let printed = e.to_string();
            drop(e.clone());
            drop(e);
            parse(&printed, &StandardFunctions, &ParseOptions::all())
                .map(drop)
                .map_err(|e| e.msg)
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let nest = |open: &'static str, inner: &'static str, close: &'static str| {
        move |n: usize| format!("{}{inner}{}", open.repeat(n), close.repeat(n))
    };
    type Shape = Box<dyn Fn(usize) -> String>;
    let shapes: Vec<(&str, Shape)> = vec![
        ("parentheses", Box::new(nest("(", "up", ")"))),
        ("unary minus", Box::new(nest("-", "up", ""))),
        ("negated parentheses", Box::new(nest("-(", "up", ")"))),
        ("aggregations", Box::new(nest("sum(", "up", ")"))),
        ("parameter aggregations", Box::new(nest("topk(1, ", "up", ")"))),
        ("function calls", Box::new(nest("abs(", "up", ")"))),
        ("subqueries", Box::new(nest("max_over_time((", "up", ")[5m:1m])"))),
        ("binary chain", Box::new(nest("", "up", " + 1"))),
        ("matching chain", Box::new(nest("", "up", " and on(a) up"))),
        ("power chain", Box::new(nest("", "2", " ^ 2"))),
        ("duration chain", Box::new(|n| format!("up[1m{}]", " + 1m".repeat(n)))),
        (
            "duration parentheses",
            Box::new(|n| format!("up[{}1m{}]", "(".repeat(n), ")".repeat(n))),
        ),
    ];
    for (name, deep) in &shapes {
        // Well below the limit: parses (and prints to something that parses).
        let r = on_small_stack(deep(MAX_DEPTH / 4));
        assert!(r.is_ok(), "{name} x {}: {r:?}", MAX_DEPTH / 4);
        // Around and far beyond it: an error at worst, never a crash.
        for n in [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 5000] {
            let r = on_small_stack(deep(n));
            assert!(
                r.is_ok() || r.as_ref().is_err_and(|m| m.contains("nesting too deep")),
                "{name} x {n}: {r:?}"
            );
            if n > MAX_DEPTH {
                assert!(r.is_err(), "{name} x {n} is deeper than MAX_DEPTH");
            }
        }
    }
    // Nested subqueries are rejected by the type checker, deep or not, but never crash.
    let r = on_small_stack(format!("up{}", "[1m:]".repeat(5000)));
    assert!(r.is_err_and(|m| m.contains("nesting too deep")));
}

#[test]
fn numbers_parse_like_go() {
    assert_eq!(parse_number("0x1F"), Some(31.0));
    assert_eq!(parse_number("010"), Some(8.0));
    assert_eq!(parse_number("1e3"), Some(1000.0));
    assert_eq!(parse_number(".5"), Some(0.5));
    assert!(parse_number("NaN").is_some_and(f64::is_nan));
}
