//! Pretty-printer cases in the style of Prometheus's prettier tests (most with a 10-byte
//! limit, so small expressions split), plus the 100-byte default on realistic queries.

use super::*;

fn parse(q: &str) -> Expr {
    crate::parse(q, &crate::StandardFunctions, &crate::ParseOptions::all()).unwrap_or_else(|e| panic!("{q}: {e}"))
}

/// Asserts each `(input, output)` pair at a 10-byte limit.
fn check10(cases: &[(&str, &str)]) {
    for (input, want) in cases {
        assert_eq!(pretty_with_limit(&parse(input), 10), *want, "input: {input}");
    }
}

#[test]
fn aggregations_split_around_their_operand() {
    check10(&[
        ("max(up)", "max(up)"),
        (
            "max by () (errors:rate5m{env=\"p\"})",
            "max(\n  errors:rate5m{env=\"p\"}\n)",
        ),
        (
            "max(errors:rate5m{env=\"p\"}) without (env, zone)",
            "max without (env, zone) (\n  errors:rate5m{env=\"p\"}\n)",
        ),
        ("bottomk(3, errors:rate5m)", "bottomk(\n  3,\n  errors:rate5m\n)"),
        (
            "avg by (a) (max by (b) (errors:rate5m))",
            "avg by (a) (\n  max by (b) (\n    errors:rate5m\n  )\n)",
        ),
        ("count_values(\"v\", up)", "count_values(\n  \"v\",\n  up\n)"),
    ]);
}

#[test]
fn binary_operators_put_the_operator_between_deeper_operands() {
    check10(&[
        ("x*y", "x * y"),
        ("x != bool 2", "  x\n!= bool\n  2"),
        ("x / on(zone) y", "  x\n/ on (zone)\n  y"),
        ("left_1 - left_2", "  left_1\n-\n  left_2"),
        ("aa_1 * aa_2 * aa_3", "    aa_1\n  *\n    aa_2\n*\n  aa_3"),
        ("ab + cd + efgh_5", "  ab + cd\n+\n  efgh_5"),
        (
            "m_1 - ignoring(a) m_2 - on(b) group_left(c) m_3",
            "    m_1\n  - ignoring (a)\n    m_2\n- on (b) group_left (c)\n  m_3",
        ),
        ("abc unless on() defghij", "  abc\nunless on ()\n  defghij"),
    ]);
}

#[test]
fn calls_put_one_argument_per_line() {
    check10(&[
        ("irate(foo[5m])", "irate(\n  foo[5m]\n)"),
        (
            "delta(some_gauge[1h:5m] @ end() offset 2m)",
            "delta(\n  some_gauge[1h:5m] @ end() offset 2m\n)",
        ),
        (
            "quantile_over_time(0.5, x[1m])",
            "quantile_over_time(\n  0.5,\n  x[1m]\n)",
        ),
        (
            "label_join(up{a=\"b\"}, \"d\", \",\", \"a\")",
            "label_join(\n  up{a=\"b\"},\n  \"d\",\n  \",\",\n  \"a\"\n)",
        ),
        (
            "clamp(abs(foo_metric), 0, 1)",
            "clamp(\n  abs(\n    foo_metric\n  ),\n  0,\n  1\n)",
        ),
        // A split subquery pretty-prints its inner expression in place.
        (
            "min_over_time(irate(requests_total[2m])[10m:] offset 1m)",
            "min_over_time(\n  irate(\n    requests_total[2m]\n  )[10m:] offset 1m\n)",
        ),
        ("time()", "time()"),
    ]);
}

#[test]
fn parentheses_split_when_long() {
    check10(&[
        ("(up)", "(up)"),
        ("(long_name_x)", "(\n  long_name_x\n)"),
        ("((abcdefgh))", "(\n  (abcdefgh)\n)"),
        ("((long_name_x))", "(\n  (\n    long_name_x\n  )\n)"),
        ("(3 - 4)", "(3 - 4)"),
        ("(first + second)", "(\n    first\n  +\n    second\n)"),
        ("(1234 / 5678)", "(\n    1234\n  /\n    5678\n)"),
    ]);
}

#[test]
fn unary_operators_prefix_the_pretty_operand() {
    check10(&[
        ("-2", "-2"),
        ("-some_metric", "-some_metric"),
        ("(-some_metric)", "(\n  -some_metric\n)"),
        ("-ln(abs(x_total))", "-ln(\n  abs(\n    x_total\n  )\n)"),
        ("-sgn(-resets(y[1m]))", "-sgn(\n  -resets(\n    y[1m]\n  )\n)"),
    ]);
}

#[test]
fn selectors_and_modifiers_stay_on_one_line() {
    check10(&[
        ("sel @ 10", "sel @ 10.000"),
        ("a_long_selector @ end()", "a_long_selector @ end()"),
        ("a_long_selector offset 5m", "a_long_selector offset 5m"),
        ("\"a long string literal\"", "\"a long string literal\""),
    ]);
}

#[test]
fn a_subquery_that_fits_loses_its_indent_like_prometheus() {
    // Prometheus prints an unsplit subquery without indent even as an argument.
    let name = "a".repeat(80);
    let q = format!("quantile_over_time(scalar({name}), rate(x[5m])[10m:1m])");
    let want = format!("quantile_over_time(\n  scalar({name}),\nrate(x[5m])[10m:1m]\n)");
    assert_eq!(pretty(&parse(&q)), want);
}

#[test]
fn default_limit_splits_only_long_expressions() {
    let short = "sum by (job) (rate(http_requests_total[5m]))";
    assert_eq!(pretty(&parse(short)), short);
    let long = "sum by (job, instance) (rate(http_requests_total{code=~\"5..\"}[5m])) / ignoring (code) \
                sum by (job, instance) (rate(http_requests_total[5m])) > 0.01";
    assert_eq!(
        pretty(&parse(long)),
        "    sum by (job, instance) (rate(http_requests_total{code=~\"5..\"}[5m]))\n  / ignoring (code)\n    \
         sum by (job, instance) (rate(http_requests_total[5m]))\n>\n  0.01"
    );
    let nested = "histogram_quantile(0.99, sum by (le, service) (rate(request_duration_seconds_bucket{service=\"checkout\"}[5m])))";
    assert_eq!(
        pretty(&parse(nested)),
        "histogram_quantile(\n  0.99,\n  sum by (le, service) (rate(request_duration_seconds_bucket{service=\"checkout\"}[5m]))\n)"
    );
}

#[test]
fn pretty_output_parses_back_to_the_same_tree() {
    for q in [
        "(node_load1 > 2 * count by (instance) (node_cpu_seconds_total{mode=\"idle\"}) and on (instance) \
         predict_linear(node_load1[30m], 3600) > 4) or vector(0)",
        "-(a_long_metric_name_one + a_long_metric_name_two) * on (x) group_right (y) b_metric_with_a_long_name_too",
        "topk(5, max_over_time(deriv(some_gauge_with_a_long_name[5m])[1h:1m] @ start() offset 10m)) / 1e3",
    ] {
        let tree = parse(q);
        let printed = pretty_with_limit(&tree, 10);
        assert_eq!(parse(&printed).to_string(), tree.to_string(), "{printed}");
    }
}
