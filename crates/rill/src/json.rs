//! Query results and errors in exactly the JSON shape of Prometheus's `/api/v1/query` and
//! `/api/v1/query_range` responses. Independent of the CLI so the HTTP server can reuse it.
//!
//! Written by hand rather than through `serde` because Prometheus's number layout matters:
//! timestamps are unix seconds with at most three decimals (`1700000000.5` is written
//! `1700000000.500`), values are strings in Go's `strconv.FormatFloat(v, 'f', -1, 64)` form.

use rill_engine::{AnnotationLevel, ErrorKind, MatrixSeries, QueryResult, QueryValue};
use rill_model::{FloatHistogram, Labels};

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`, with Prometheus's `NaN`, `+Inf`, `-Inf`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        // Rust's shortest round-trip `Display` never uses an exponent, like Go's 'f' with -1.
        format!("{v}")
    }
}

/// A millisecond timestamp as Prometheus writes it: seconds, then `.` and three digits if needed.
pub fn format_timestamp(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    match abs % 1000 {
        0 => format!("{sign}{}", abs / 1000),
        frac => format!("{sign}{}.{frac:03}", abs / 1000),
    }
}

/// A JSON string literal, escaped as Go's `encoding/json` does (HTML characters included).
fn quote(s: &str) -> String {
    let json = serde_json::Value::String(s.to_string()).to_string();
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn metric(labels: &Labels) -> String {
    let fields: Vec<String> = labels
        .iter()
        .map(|l| format!("{}:{}", quote(&l.name), quote(&l.value)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn point(t: i64, v: f64) -> String {
    format!("[{},{}]", format_timestamp(t), quote(&format_value(v)))
}

/// Upper bound of bucket `idx` of an exponential schema.
fn exp_bound(idx: i32, schema: i32) -> f64 {
    if schema <= 0 {
        2f64.powi(idx.saturating_mul(1 << (-schema).min(30)))
    } else {
        2f64.powf(f64::from(idx) / f64::from(1 << schema.min(30)))
    }
}

/// The `{"count","sum","buckets":[[rule,"lower","upper","count"],...]}` object of a histogram,
/// buckets in ascending order, empty ones left out.
fn histogram(h: &FloatHistogram) -> String {
    let mut buckets: Vec<(u8, f64, f64, f64)> = Vec::new();
    let indexed = |spans: &[rill_model::Span], counts: &[f64]| {
        let mut out = Vec::new();
        let mut idx = 0i32;
        let mut it = counts.iter();
        for s in spans {
            idx += s.offset;
            for _ in 0..s.length {
                if let Some(&c) = it.next() {
                    out.push((idx, c));
                }
                idx += 1;
            }
        }
        out
    };
    if h.uses_custom_buckets() {
        for (i, c) in indexed(&h.positive_spans, &h.positive_buckets) {
            let lower = usize::try_from(i - 1)
                .ok()
                .and_then(|j| h.custom_values.get(j).copied())
                .unwrap_or(f64::NEG_INFINITY);
            let upper = usize::try_from(i)
                .ok()
                .and_then(|j| h.custom_values.get(j).copied())
                .unwrap_or(f64::INFINITY);
            buckets.push((0, lower, upper, c));
        }
    } else {
        for (i, c) in indexed(&h.negative_spans, &h.negative_buckets).into_iter().rev() {
            buckets.push((1, -exp_bound(i, h.schema), -exp_bound(i - 1, h.schema), c));
        }
        buckets.push((3, -h.zero_threshold, h.zero_threshold, h.zero_count));
        for (i, c) in indexed(&h.positive_spans, &h.positive_buckets) {
            buckets.push((0, exp_bound(i - 1, h.schema), exp_bound(i, h.schema), c));
        }
    }
    let list: Vec<String> = buckets
        .into_iter()
        .filter(|b| b.3 != 0.0)
        .map(|(rule, lo, hi, c)| {
            format!(
                "[{rule},{},{},{}]",
                quote(&format_value(lo)),
                quote(&format_value(hi)),
                quote(&format_value(c))
            )
        })
        .collect();
    let buckets = if list.is_empty() {
        String::new()
    } else {
        format!(",\"buckets\":[{}]", list.join(","))
    };
    format!(
        "{{\"count\":{},\"sum\":{}{buckets}}}",
        quote(&format_value(h.count)),
        quote(&format_value(h.sum))
    )
}

fn matrix_series(s: &MatrixSeries) -> String {
    let mut out = format!("{{\"metric\":{}", metric(&s.labels));
    if !s.floats.is_empty() {
        let pts: Vec<String> = s.floats.iter().map(|p| point(p.t, p.f)).collect();
        out.push_str(&format!(",\"values\":[{}]", pts.join(",")));
    }
    if !s.histograms.is_empty() {
        let pts: Vec<String> = s
            .histograms
            .iter()
            .map(|p| format!("[{},{}]", format_timestamp(p.t), histogram(&p.h)))
            .collect();
        out.push_str(&format!(",\"histograms\":[{}]", pts.join(",")));
    }
    out.push('}');
    out
}

/// The `data` object: `resultType` and `result`.
fn data(value: &QueryValue) -> String {
    let (kind, result) = match value {
        QueryValue::Scalar { t, v } => ("scalar", point(*t, *v)),
        QueryValue::String { t, v } => ("string", format!("[{},{}]", format_timestamp(*t), quote(v))),
        QueryValue::Vector(v) => {
            let items: Vec<String> = v
                .iter()
                .map(|e| match &e.histogram {
                    Some(h) => format!(
                        "{{\"metric\":{},\"histogram\":[{},{}]}}",
                        metric(&e.labels),
                        format_timestamp(e.t),
                        histogram(h)
                    ),
                    None => format!("{{\"metric\":{},\"value\":{}}}", metric(&e.labels), point(e.t, e.f)),
                })
                .collect();
            ("vector", format!("[{}]", items.join(",")))
        }
        QueryValue::Matrix(m) => {
            let items: Vec<String> = m.iter().map(matrix_series).collect();
            ("matrix", format!("[{}]", items.join(",")))
        }
    };
    format!("{{\"resultType\":\"{kind}\",\"result\":{result}}}")
}

/// A successful response; `query` is the text annotations' positions refer to.
pub fn success(result: &QueryResult, query: &str) -> String {
    let mut out = format!("{{\"status\":\"success\",\"data\":{}", data(&result.value));
    for (key, level) in [("warnings", AnnotationLevel::Warning), ("infos", AnnotationLevel::Info)] {
        let texts = result.annotations.rendered(level, query);
        if !texts.is_empty() {
            let list: Vec<String> = texts.iter().map(|t| quote(t)).collect();
            out.push_str(&format!(",\"{key}\":[{}]", list.join(",")));
        }
    }
    out.push('}');
    out
}

/// Prometheus's `errorType` for an engine error kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadData => "bad_data",
        ErrorKind::Execution | ErrorKind::ResourceExhausted => "execution",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Canceled => "canceled",
        ErrorKind::Internal => "internal",
        ErrorKind::Unavailable => "unavailable",
    }
}

/// An error response.
pub fn error(error_type: &str, msg: &str) -> String {
    format!(
        "{{\"status\":\"error\",\"errorType\":{},\"error\":{}}}",
        quote(error_type),
        quote(msg)
    )
}

#[cfg(test)]
mod tests {
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
    fn numbers_like_prometheus() {
        assert_eq!(format_value(1e21), "1000000000000000000000");
        assert_eq!(format_value(0.1), "0.1");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_timestamp(1_700_000_000_500), "1700000000.500");
        assert_eq!(format_timestamp(1_700_000_000_000), "1700000000");
        assert_eq!(format_timestamp(-1_500), "-1.500");
        assert_eq!(quote("<a>"), "\"\\u003ca\\u003e\"");
    }

    #[test]
    fn vector_matrix_scalar_and_errors() {
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
            error(error_type(ErrorKind::BadData), "1:1: parse error: x"),
            r#"{"status":"error","errorType":"bad_data","error":"1:1: parse error: x"}"#
        );
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
        assert_eq!(
            histogram(&h),
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
}
