//! Tests of the JSON writer against hand-written Prometheus responses.

use std::sync::Arc;

use rill_engine::{Annotation, Annotations, FPoint, QueryStats, VectorElement};
use rill_model::Span;

use super::*;

fn result(value: QueryValue) -> QueryResult {
    QueryResult {
        value,
        annotations: Annotations::default(),
        stats: QueryStats::default(),
    }
}

#[test]
fn numbers_and_strings_like_prometheus() {
    assert_eq!(format_value(1e21), "1000000000000000000000");
    assert_eq!(format_value(0.1), "0.1");
    assert_eq!(format_value(f64::NAN), "NaN");
    assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
    assert_eq!(format_timestamp(1_700_000_000_500), "1700000000.500");
    assert_eq!(format_timestamp(1_700_000_000_000), "1700000000");
    assert_eq!(format_timestamp(-1_500), "-1.500");
    assert_eq!(quote("<a>"), "\"\\u003ca\\u003e\"");
    assert_eq!(quote("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
}

#[test]
fn vector_matrix_scalar_string_and_errors() {
    let labels = Labels::from_pairs([("__name__", "up"), ("job", "api")]);
    let v = QueryValue::Vector(vec![VectorElement {
        labels: labels.clone(),
        t: 1_000,
        f: 1.0,
        histogram: None,
    }]);
    assert_eq!(
        success(&result(v), "up"),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"api"},"value":[1,"1"]}]}}"#
    );
    let m = QueryValue::Matrix(vec![MatrixSeries {
        labels,
        floats: vec![FPoint { t: 0, f: 0.5 }, FPoint { t: 15_000, f: 2.0 }],
        histograms: vec![],
    }]);
    let mut r = result(m);
    r.annotations
        .add(Annotation::warning("careful", rill_promql::PosRange::new(0, 2)));
    assert_eq!(
        success(&r, "up"),
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"api"},"values":[[0,"0.5"],[15,"2"]]}]},"warnings":["PromQL warning: careful (1:1)"]}"#
    );
    assert_eq!(
        success(&result(QueryValue::Scalar { t: 1, v: 2.0 }), "2"),
        r#"{"status":"success","data":{"resultType":"scalar","result":[0.001,"2"]}}"#
    );
    assert_eq!(
        success(&result(QueryValue::String { t: 0, v: "a<".into() }), "\"a<\""),
        r#"{"status":"success","data":{"resultType":"string","result":[0,"a\u003c"]}}"#
    );
    assert_eq!(
        error(error_type(ErrorKind::BadData), "1:1: parse error: x"),
        r#"{"status":"error","errorType":"bad_data","error":"1:1: parse error: x"}"#
    );
}

#[test]
fn stats_object_follows_the_result() {
    let mut out = Vec::new();
    let mut r = result(QueryValue::Scalar { t: 0, v: 1.0 });
    r.stats.total_samples = 7;
    r.stats.peak_samples = 3;
    let t = QueryTimings {
        eval_total: 0.5,
        preparation: 0.25,
        queue: 0.0,
    };
    write_success(&mut out, &r, "1", Some(&t)).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["data"]["stats"]["samples"]["totalQueryableSamples"], 7);
    assert_eq!(v["data"]["stats"]["samples"]["peakSamples"], 3);
    assert_eq!(v["data"]["stats"]["timings"]["execTotalTime"], 0.75);
}

#[test]
fn histograms_list_nonempty_buckets_in_order() {
    let h = FloatHistogram {
        schema: 0,
        count: 4.0,
        sum: 5.0,
        zero_threshold: 0.001,
        zero_count: 1.0,
        positive_spans: vec![Span { offset: 0, length: 2 }],
        positive_buckets: vec![2.0, 0.0],
        negative_spans: vec![Span { offset: 1, length: 1 }],
        negative_buckets: vec![1.0],
        ..FloatHistogram::default()
    };
    let mut out = Vec::new();
    write_histogram(&mut out, &h).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"count":"4","sum":"5","buckets":[[1,"-2","-1","1"],[3,"-0.001","0.001","1"],[0,"0.5","1","2"]]}"#
    );
    let v = QueryValue::Vector(vec![VectorElement {
        labels: Labels::empty(),
        t: 0,
        f: 0.0,
        histogram: Some(Arc::new(h)),
    }]);
    assert!(success(&result(v), "h").contains(r#"{"metric":{},"histogram":[0,{"count":"4""#));
}

#[test]
fn annotations_are_capped_at_ten_per_kind() {
    let many: Vec<String> = (0..13).map(|i| format!("w{i:02}")).collect();
    let out = capped(many, "warning");
    assert_eq!(out.len(), 11);
    assert_eq!(out[9], "w09");
    assert_eq!(out[10], "3 more warning annotations omitted");
    let few = vec!["a".to_string(); 10];
    assert_eq!(capped(few.clone(), "info"), few);
}
