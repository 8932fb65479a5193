//! Remote write 2.0 through HTTP: `Content-Type` negotiation between 1.0 and 2.0, symbol
//! tables, per-series metadata, native histograms, the `X-Prometheus-Remote-Write-*-Written`
//! response headers, and Prometheus's answers to bad requests.

mod common;

use common::{T0, TestServer, enc};
use rill_remote::encode_snappy_message;
use rill_remote::proto::{BucketSpan, Histogram, HistogramCount, HistogramZeroCount, Sample};
use rill_remote::proto_v2::{Exemplar, Metadata, Request, TimeSeries};

const V2: &str = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

fn symbols() -> Vec<String> {
    [
        "",
        "__name__",
        "jobs_total",
        "job",
        "api",
        "latency",
        "Jobs done.",
        "trace_id",
        "abc",
        "seconds",
    ]
    .map(String::from)
    .to_vec()
}

fn float_series(ts0: i64, n: i64) -> TimeSeries {
    TimeSeries {
        labels_refs: vec![1, 2, 3, 4],
        samples: (0..n)
            .map(|i| Sample {
                value: (i * 10) as f64,
                timestamp: ts0 + i * 1000,
            })
            .collect(),
        exemplars: vec![Exemplar {
            labels_refs: vec![7, 8],
            value: 1.0,
            timestamp: ts0,
        }],
        metadata: Some(Metadata {
            r#type: 1,
            help_ref: 6,
            unit_ref: 0,
        }),
        ..Default::default()
    }
}

fn histogram_series(t: i64) -> TimeSeries {
    TimeSeries {
        labels_refs: vec![1, 5, 3, 4],
        histograms: vec![Histogram {
            count: Some(HistogramCount::CountInt(5)),
            sum: 2.5,
            schema: 0,
            zero_threshold: 0.001,
            zero_count: Some(HistogramZeroCount::ZeroCountInt(1)),
            positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
            positive_deltas: vec![3, -2],
            timestamp: t,
            ..Default::default()
        }],
        metadata: Some(Metadata {
            r#type: 3,
            help_ref: 0,
            unit_ref: 9,
        }),
        ..Default::default()
    }
}

fn body(timeseries: Vec<TimeSeries>) -> Vec<u8> {
    encode_snappy_message(&Request {
        symbols: symbols(),
        timeseries,
    })
    .unwrap()
}

/// The three written-count headers of a response.
fn written(r: &reqwest::Response) -> [String; 3] {
    ["samples", "histograms", "exemplars"].map(|kind| {
        r.headers()
            .get(format!("x-prometheus-remote-write-{kind}-written"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("missing")
            .to_string()
    })
}

#[tokio::test]
async fn v2_requests_are_stored_and_counted() {
    let s = TestServer::start().await;
    let headers = [("Content-Type", V2), ("Content-Encoding", "snappy")];
    let r = s
        .post(
            "/api/v1/write",
            &headers,
            body(vec![float_series(T0, 5), histogram_series(T0)]),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    // Exemplars are not stored: 0 is the honest count.
    assert_eq!(written(&r), ["5", "1", "0"]);

    let (_, out) = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("jobs_total"),
            (T0 + 4000) / 1000
        ))
        .await;
    assert_eq!(
        out,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"jobs_total","job":"api"},"value":[1700000004,"40"]}]}}"#
    );
    let (_, out) = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("histogram_count(latency)"),
            T0 / 1000
        ))
        .await;
    assert!(out.contains(r#""value":[1700000000,"5"]"#), "{out}");
    let (_, out) = s
        .get(&format!("/api/v1/query?query={}&time={}", enc("latency"), T0 / 1000))
        .await;
    assert!(
        out.contains(r#""buckets":[[3,"-0.001","0.001","1"],[0,"0.5","1","3"],[0,"1","2","1"]]"#),
        "{out}"
    );
    let (_, meta) = s.get("/api/v1/metadata").await;
    assert!(
        meta.contains(r#""jobs_total":[{"type":"counter","help":"Jobs done.","unit":""}]"#),
        "{meta}"
    );
    assert!(
        meta.contains(r#""latency":[{"type":"histogram","help":"","unit":"seconds"}]"#),
        "{meta}"
    );

    // Out of order: 400, the in-order samples of the batch land and are counted.
    let mut late = float_series(T0, 2);
    late.samples.push(Sample {
        value: 7.0,
        timestamp: T0 + 60_000,
    });
    let r = s.post("/api/v1/write", &headers, body(vec![late])).await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(written(&r), ["1", "0", "0"]);
    assert!(r.text().await.unwrap().contains("out of order sample"));
    s.stop().await;
}

#[tokio::test]
async fn v2_bad_requests_get_prometheus_answers() {
    let s = TestServer::start().await;
    let headers = [("Content-Type", V2), ("Content-Encoding", "snappy")];
    let mut bad = float_series(T0, 1);
    bad.labels_refs = vec![1, 42];
    let r = s.post("/api/v1/write", &headers, body(vec![bad])).await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(written(&r), ["0", "0", "0"]);
    assert_eq!(
        r.text().await.unwrap(),
        "symbol reference 42 outside of the symbols table (size 10)\n"
    );
    let mut odd = float_series(T0, 1);
    odd.labels_refs = vec![1, 2, 3];
    let r = s.post("/api/v1/write", &headers, body(vec![odd])).await;
    assert_eq!(r.status().as_u16(), 400);

    for (ct, want) in [
        (
            "application/x-protobuf;proto=io.prometheus.write.v3.Request",
            "got application/x-protobuf;proto=io.prometheus.write.v3.Request content type; unknown remote write \
             protobuf message io.prometheus.write.v3.Request, supported: prometheus.WriteRequest, \
             io.prometheus.write.v2.Request\n",
        ),
        (
            "application/json",
            "expected application/x-protobuf as the first (media) part, got application/json content-type\n",
        ),
        (
            "application/x-protobuf;v2",
            "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got v2 in \
             application/x-protobuf;v2 content-type\n",
        ),
    ] {
        let r = s
            .post(
                "/api/v1/write",
                &[("Content-Type", ct)],
                body(vec![float_series(T0, 1)]),
            )
            .await;
        assert_eq!(r.status().as_u16(), 415, "{ct}");
        assert_eq!(r.text().await.unwrap(), want);
    }
    let r = s
        .post(
            "/api/v1/write",
            &[("Content-Type", V2), ("Content-Encoding", "gzip")],
            body(vec![float_series(T0, 1)]),
        )
        .await;
    assert_eq!(r.status().as_u16(), 415);
    s.stop().await;
}

#[tokio::test]
async fn v1_is_chosen_by_its_proto_name_and_answers_without_counts() {
    let s = TestServer::start().await;
    let req = rill_remote::proto::WriteRequest {
        timeseries: vec![rill_remote::proto::TimeSeries {
            labels: vec![rill_remote::proto::Label {
                name: "__name__".into(),
                value: "v1_metric".into(),
            }],
            samples: vec![Sample {
                value: 1.0,
                timestamp: T0,
            }],
            ..Default::default()
        }],
        metadata: Vec::new(),
    };
    let r = s
        .post(
            "/api/v1/write",
            &[("Content-Type", "application/x-protobuf;proto=prometheus.WriteRequest")],
            encode_snappy_message(&req).unwrap(),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(written(&r), ["missing", "missing", "missing"]);
    // A 2.0 body announced as 1.0 decodes as an empty 1.0 request (fields 1-3 are reserved in
    // 2.0 for this): nothing is written.
    let r = s
        .post(
            "/api/v1/write",
            &[("Content-Type", "application/x-protobuf")],
            body(vec![float_series(T0 + 100_000, 1)]),
        )
        .await;
    assert_eq!(r.status().as_u16(), 204);
    let (_, out) = s
        .get(&format!(
            "/api/v1/query?query=jobs_total&time={}",
            (T0 + 100_000) / 1000
        ))
        .await;
    assert!(out.contains(r#""result":[]"#), "{out}");
    s.stop().await;
}
