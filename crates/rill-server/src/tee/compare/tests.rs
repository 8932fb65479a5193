//! The comparison rules on hand-written answer pairs, each checked in both directions.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

fn cmp(a: &Value, b: &Value) -> Vec<Difference> {
    compare_data(a, b, false, CompareOptions::default())
}

/// Compares both ways; the differences of `a` vs `b`.
fn both(a: &Value, b: &Value) -> (Vec<Difference>, Vec<Difference>) {
    (cmp(a, b), cmp(b, a))
}

fn vector(samples: &[(&str, f64, &str)]) -> Value {
    let result: Vec<Value> = samples
        .iter()
        .map(|(job, t, v)| json!({"metric": {"__name__": "up", "job": job}, "value": [t, v]}))
        .collect();
    json!({"resultType": "vector", "result": result})
}

fn matrix(points: &[(f64, &str)]) -> Value {
    let values: Vec<Value> = points.iter().map(|(t, v)| json!([t, v])).collect();
    json!({"resultType": "matrix", "result": [{"metric": {"job": "a"}, "values": values}]})
}

#[test]
fn equal_answers_agree() {
    let v = vector(&[("a", 10.0, "1"), ("b", 10.0, "NaN")]);
    assert!(cmp(&v, &v).is_empty());
    let m = matrix(&[(10.0, "1"), (20.0, "+Inf")]);
    assert!(cmp(&m, &m).is_empty());
}

#[test]
fn result_types_must_match() {
    let (ab, ba) = both(&vector(&[]), &matrix(&[]));
    assert_eq!(
        ab,
        [Difference::ResultType {
            reference: "vector".into(),
            test: "matrix".into()
        }]
    );
    assert_eq!(
        ba,
        [Difference::ResultType {
            reference: "matrix".into(),
            test: "vector".into()
        }]
    );
}

#[test]
fn label_sets_must_match() {
    let (ab, ba) = both(
        &vector(&[("a", 1.0, "1"), ("b", 1.0, "1")]),
        &vector(&[("a", 1.0, "1")]),
    );
    let only = |side| Difference::OnlyIn {
        side,
        labels: "up{job=\"b\"}".into(),
    };
    assert_eq!(ab, [only(Side::Reference)]);
    assert_eq!(ba, [only(Side::Test)]);
}

#[test]
fn duplicate_series_are_reported() {
    let dup = vector(&[("a", 1.0, "1"), ("a", 1.0, "1")]);
    let one = vector(&[("a", 1.0, "1")]);
    let (ab, ba) = both(&dup, &one);
    assert!(
        matches!(
            ab.as_slice(),
            [Difference::DuplicateSeries {
                side: Side::Reference,
                ..
            }]
        ),
        "{ab:?}"
    );
    assert!(
        matches!(ba.as_slice(), [Difference::DuplicateSeries { side: Side::Test, .. }]),
        "{ba:?}"
    );
}

#[test]
fn timestamps_must_match_exactly() {
    let (ab, ba) = both(
        &matrix(&[(10.0, "1"), (20.0, "2")]),
        &matrix(&[(10.0, "1"), (20.001, "2")]),
    );
    assert_eq!(
        ab,
        [Difference::Timestamps {
            labels: "{job=\"a\"}".into(),
            only_reference: vec![20.0],
            only_test: vec![20.001],
        }]
    );
    assert!(matches!(ba.as_slice(), [Difference::Timestamps { only_reference, .. }] if only_reference == &[20.001]));
}

#[test]
fn values_compare_within_tolerances() {
    let close = both(&matrix(&[(1.0, "1000000000")]), &matrix(&[(1.0, "1000000000.5")]));
    assert!(close.0.is_empty() && close.1.is_empty());
    let tiny = both(&matrix(&[(1.0, "0")]), &matrix(&[(1.0, "1e-13")]));
    assert!(tiny.0.is_empty() && tiny.1.is_empty());
    let (ab, ba) = both(&matrix(&[(1.0, "1")]), &matrix(&[(1.0, "1.00001")]));
    assert_eq!(
        ab,
        [Difference::Value {
            labels: "{job=\"a\"}".into(),
            t: 1.0,
            reference: "1".into(),
            test: "1.00001".into()
        }]
    );
    assert_eq!(ba.len(), 1);
}

#[test]
fn nan_equals_only_nan_and_infinities_are_exact() {
    let (ab, ba) = both(&matrix(&[(1.0, "NaN")]), &matrix(&[(1.0, "0")]));
    assert_eq!((ab.len(), ba.len()), (1, 1));
    let (ab, ba) = both(&matrix(&[(1.0, "+Inf")]), &matrix(&[(1.0, "-Inf")]));
    assert_eq!((ab.len(), ba.len()), (1, 1));
    let (ab, ba) = both(&matrix(&[(1.0, "+Inf")]), &matrix(&[(1.0, "1e308")]));
    assert_eq!((ab.len(), ba.len()), (1, 1));
    assert!(cmp(&matrix(&[(1.0, "NaN")]), &matrix(&[(1.0, "NaN")])).is_empty());
}

#[test]
fn scalars_and_strings() {
    let s = |t: f64, v: &str| json!({"resultType": "scalar", "result": [t, v]});
    assert!(cmp(&s(1.0, "2"), &s(1.0, "2.0000000000001")).is_empty());
    let (ab, ba) = both(&s(1.0, "2"), &s(1.0, "3"));
    assert_eq!((ab.len(), ba.len()), (1, 1));
    let (ab, ba) = both(&s(1.0, "2"), &s(2.0, "2"));
    assert!(matches!(ab.as_slice(), [Difference::Timestamps { .. }]), "{ab:?}");
    assert_eq!(ba.len(), 1);
    let st = |v: &str| json!({"resultType": "string", "result": [1, v]});
    let (ab, ba) = both(&st("1"), &st("1.0"));
    assert_eq!((ab.len(), ba.len()), (1, 1), "strings compare as text");
    let bad = json!({"resultType": "scalar", "result": "x"});
    assert!(matches!(
        cmp(&bad, &s(1.0, "2")).as_slice(),
        [Difference::Malformed {
            side: Side::Reference,
            ..
        }]
    ));
    assert!(matches!(
        cmp(&s(1.0, "2"), &bad).as_slice(),
        [Difference::Malformed { side: Side::Test, .. }]
    ));
}

#[test]
fn histograms_compare_as_json() {
    let h = |count: &str| json!({"resultType": "vector", "result": [{"metric": {}, "histogram": [1, {"count": count, "sum": "1"}]}]});
    assert!(cmp(&h("2"), &h("2")).is_empty());
    let (ab, ba) = both(&h("2"), &h("3"));
    assert_eq!((ab.len(), ba.len()), (1, 1));
    let floats = vector(&[("a", 1.0, "2")]);
    let only_hist = json!({"resultType": "vector", "result": [{"metric": {"__name__": "up", "job": "a"}, "histogram": [1, {"count": "2"}]}]});
    let (ab, ba) = both(&floats, &only_hist);
    assert!(!ab.is_empty() && !ba.is_empty(), "a float and a histogram differ");
}

#[test]
fn sort_order_matters_only_when_ordered() {
    let asc = vector(&[("a", 1.0, "1"), ("b", 1.0, "2")]);
    let desc = vector(&[("b", 1.0, "2"), ("a", 1.0, "1")]);
    assert!(cmp(&asc, &desc).is_empty());
    let opts = CompareOptions::default();
    assert!(matches!(
        compare_data(&asc, &desc, true, opts).as_slice(),
        [Difference::Order { .. }]
    ));
    assert!(matches!(
        compare_data(&desc, &asc, true, opts).as_slice(),
        [Difference::Order { .. }]
    ));
    let tie = vector(&[("b", 1.0, "1"), ("a", 1.0, "1")]);
    let tie2 = vector(&[("a", 1.0, "1"), ("b", 1.0, "1")]);
    assert!(
        compare_data(&tie, &tie2, true, opts).is_empty(),
        "ties may break differently"
    );
    assert!(is_sorted_query(" sort_desc(up)") && is_sorted_query("sort(x)") && !is_sorted_query("sum(sort(x))"));
}

#[test]
fn replies_agree_when_both_fail() {
    let reply = |outcome| Reply {
        outcome,
        latency: Duration::ZERO,
    };
    let ok = reply(Outcome::Success(vector(&[])));
    let err = reply(Outcome::Error("bad_data: x".into()));
    let opts = CompareOptions::default();
    assert!(compare_replies(&err, &err.clone(), false, opts).is_empty());
    assert_eq!(
        compare_replies(&err, &ok, false, opts),
        [Difference::Error {
            side: Side::Reference,
            message: "bad_data: x".into()
        }]
    );
    assert_eq!(
        compare_replies(&ok, &err, false, opts),
        [Difference::Error {
            side: Side::Test,
            message: "bad_data: x".into()
        }]
    );
}

#[test]
fn numeric_label_values_compare_within_tolerances() {
    let counts = |values: &[&str]| -> Value {
        let result: Vec<Value> = values
            .iter()
            .map(|v| json!({"metric": {"value": v, "job": "a"}, "value": [10.0, "1"]}))
            .collect();
        json!({"resultType": "vector", "result": result})
    };
    // count_values of values one ulp apart: the same series.
    let (a, b) = both(
        &counts(&["0.4173891256656278", "2"]),
        &counts(&["0.4173891256656279", "2"]),
    );
    assert!(a.is_empty() && b.is_empty(), "{a:?} {b:?}");
    // Values far apart, or text labels, stay different series.
    let (a, _) = both(&counts(&["0.41738"]), &counts(&["0.41739"]));
    assert_eq!(a.len(), 2, "{a:?}");
    let (a, _) = both(&counts(&["x"]), &counts(&["y"]));
    assert_eq!(a.len(), 2, "{a:?}");
    // A paired series still compares its points.
    let one =
        json!({"resultType": "vector", "result": [{"metric": {"value": "1.0000000000000002"}, "value": [10.0, "1"]}]});
    let two = json!({"resultType": "vector", "result": [{"metric": {"value": "1"}, "value": [10.0, "2"]}]});
    let (a, b) = both(&one, &two);
    assert!(matches!(a.as_slice(), [Difference::Value { .. }]), "{a:?}");
    assert!(matches!(b.as_slice(), [Difference::Value { .. }]), "{b:?}");
}
