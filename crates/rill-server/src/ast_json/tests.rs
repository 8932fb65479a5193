//! Exact `translateAST` JSON for every node type (keys in Go's sorted order).

use rill_promql::{ParseOptions, StandardFunctions, parse};

use super::*;

fn tree(q: &str) -> String {
    let expr = parse(q, &StandardFunctions, &ParseOptions::all()).unwrap_or_else(|e| panic!("{q}: {e}"));
    let out = ast_json(
        &expr,
        AstSource {
            functions: &StandardFunctions,
            query: q,
        },
    );
    // Every answer is valid JSON.
    assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok(), "{out}");
    out
}

/// A plain selector `name` with the name matcher only.
fn selector(name: &str) -> String {
    format!(
        r#"{{"anchored":false,"matchers":[{{"name":"__name__","type":"=","value":"{name}"}}],"name":"{name}","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"}}"#
    )
}

#[test]
fn vector_selector() {
    assert_eq!(tree("up"), selector("up"));
    assert_eq!(
        tree(r#"foo{a="<b>", c!~"x|y"} offset -5m @ 100.5"#),
        r#"{"anchored":false,"matchers":[{"name":"a","type":"=","value":"\u003cb\u003e"},{"name":"c","type":"!~","value":"x|y"},{"name":"__name__","type":"=","value":"foo"}],"name":"foo","offset":-300000,"smoothed":false,"startOrEnd":null,"timestamp":100500,"type":"vectorSelector"}"#
    );
    assert_eq!(
        tree(r#"{__name__="foo"} @ end()"#),
        r#"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"}],"name":"","offset":0,"smoothed":false,"startOrEnd":"end","timestamp":null,"type":"vectorSelector"}"#
    );
    // A quoted name inside the braces is a matcher only.
    assert_eq!(
        tree(r#"{"foo", a="b"}[1m]"#),
        r#"{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"foo"},{"name":"a","type":"=","value":"b"}],"name":"","offset":0,"range":60000,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}"#
    );
}

#[test]
fn call_aggregation_and_matrix_selector() {
    assert_eq!(
        tree(r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1m))"#),
        concat!(
            r#"{"expr":{"args":[{"anchored":false,"matchers":[{"name":"code","type":"=~","value":"5.."},"#,
            r#"{"name":"__name__","type":"=","value":"http_requests_total"}],"name":"http_requests_total","#,
            r#""offset":60000,"range":300000,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"matrixSelector"}],"#,
            r#""func":{"argTypes":["matrix"],"name":"rate","returnType":"vector","variadic":0},"type":"call"},"#,
            r#""grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false}"#
        )
    );
    assert_eq!(
        tree("topk without () (3, x)"),
        format!(
            r#"{{"expr":{},"grouping":[],"op":"topk","param":{{"type":"numberLiteral","val":"3"}},"type":"aggregation","without":true}}"#,
            selector("x")
        )
    );
    assert_eq!(
        tree("time()"),
        r#"{"args":[],"func":{"argTypes":[],"name":"time","returnType":"scalar","variadic":0},"type":"call"}"#
    );
    assert_eq!(
        tree(r#"label_join(x, "d", ",", "a", "b")"#),
        format!(
            concat!(
                r#"{{"args":[{},{{"type":"stringLiteral","val":"d"}},{{"type":"stringLiteral","val":","}},"#,
                r#"{{"type":"stringLiteral","val":"a"}},{{"type":"stringLiteral","val":"b"}}],"#,
                r#""func":{{"argTypes":["vector","string","string","string"],"name":"label_join","returnType":"vector","variadic":-1}},"type":"call"}}"#
            ),
            selector("x")
        )
    );
}

#[test]
fn binary_expressions() {
    assert_eq!(
        tree("a / on(x) group_left(y) b"),
        format!(
            r#"{{"bool":false,"lhs":{},"matching":{{"card":"many-to-one","fillValues":{{"lhs":null,"rhs":null}},"include":["y"],"labels":["x"],"on":true}},"op":"/","rhs":{},"type":"binaryExpr"}}"#,
            selector("a"),
            selector("b")
        )
    );
    assert_eq!(
        tree("a and b"),
        format!(
            r#"{{"bool":false,"lhs":{},"matching":{{"card":"many-to-many","fillValues":{{"lhs":null,"rhs":null}},"include":[],"labels":[],"on":false}},"op":"and","rhs":{},"type":"binaryExpr"}}"#,
            selector("a"),
            selector("b")
        )
    );
    // Go's encoding/json escapes HTML characters, operators included.
    assert_eq!(
        tree("1 > bool 2"),
        r#"{"bool":true,"lhs":{"type":"numberLiteral","val":"1"},"matching":null,"op":"\u003e","rhs":{"type":"numberLiteral","val":"2"},"type":"binaryExpr"}"#
    );
    assert_eq!(
        tree("a + fill(0.5) b"),
        format!(
            r#"{{"bool":false,"lhs":{},"matching":{{"card":"one-to-one","fillValues":{{"lhs":0.5,"rhs":0.5}},"include":[],"labels":[],"on":false}},"op":"+","rhs":{},"type":"binaryExpr"}}"#,
            selector("a"),
            selector("b")
        )
    );
}

#[test]
fn literals_unary_paren_and_subquery() {
    assert_eq!(tree("-1.5"), r#"{"type":"numberLiteral","val":"-1.5"}"#);
    assert_eq!(tree("Inf"), r#"{"type":"numberLiteral","val":"+Inf"}"#);
    assert_eq!(
        tree("1e21"),
        r#"{"type":"numberLiteral","val":"1000000000000000000000"}"#
    );
    assert_eq!(tree(r#""a\"b""#), r#"{"type":"stringLiteral","val":"a\"b"}"#);
    assert_eq!(
        tree("-x"),
        format!(r#"{{"expr":{},"op":"-","type":"unaryExpr"}}"#, selector("x"))
    );
    assert_eq!(
        tree("(x)"),
        format!(r#"{{"expr":{},"type":"parenExpr"}}"#, selector("x"))
    );
    assert_eq!(
        tree("x[30m:1m] @ start() offset 10m"),
        format!(
            r#"{{"alignEvalTime":false,"expr":{},"offset":600000,"range":1800000,"startOrEnd":"start","step":60000,"timestamp":null,"type":"subquery"}}"#,
            selector("x")
        )
    );
    assert_eq!(
        tree("x[5m:]"),
        format!(
            r#"{{"alignEvalTime":false,"expr":{},"offset":0,"range":300000,"startOrEnd":null,"step":0,"timestamp":null,"type":"subquery"}}"#,
            selector("x")
        )
    );
}

#[test]
fn extended_range_selectors_and_duration_expressions() {
    let anchored = tree("rate(x[1m] anchored)");
    assert!(anchored.contains(r#"{"anchored":true,"#), "{anchored}");
    assert!(anchored.contains(r#""range":60000,"smoothed":false"#), "{anchored}");
    // Not resolved before evaluation, as in Prometheus.
    let expr = tree("x[step()*2]");
    assert!(expr.contains(r#""range":0,"#), "{expr}");
}

#[test]
fn go_float_encoding() {
    assert_eq!(go_json_float(0.5), "0.5");
    assert_eq!(go_json_float(0.0), "0");
    assert_eq!(go_json_float(1e21), "1e+21");
    assert_eq!(go_json_float(1e-7), "1e-7");
    assert_eq!(go_json_float(-2.5e22), "-2.5e+22");
}
