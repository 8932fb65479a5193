//! Remote write and read through HTTP: round trips, and Prometheus's answers to bad bodies.

mod common;

use common::{T0, TestServer, enc};
use rill_model::{MatchOp, Matcher};
use rill_remote::chunks::decode_proto_chunk;
use rill_remote::convert::matchers_to_proto;
use rill_remote::proto::{
    ChunkedReadResponse, Label, MetricMetadata, Query, ReadRequest, ReadResponse, ResponseType, Sample, TimeSeries,
    WriteRequest,
};
use rill_remote::{FrameReader, decode_snappy_message, encode_snappy_message, snappy_compress};
use rill_server::ServerConfig;

const WRITE_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
];

fn label(n: &str, v: &str) -> Label {
    Label {
        name: n.into(),
        value: v.into(),
    }
}

fn write_request(ts0: i64, n: i64) -> WriteRequest {
    WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![label("__name__", "pushed"), label("src", "rw")],
            samples: (0..n)
                .map(|i| Sample {
                    value: i as f64,
                    timestamp: ts0 + i * 1000,
                })
                .collect(),
            ..Default::default()
        }],
        metadata: vec![MetricMetadata {
            r#type: 2,
            metric_family_name: "pushed".into(),
            help: "A pushed gauge.".into(),
            unit: String::new(),
        }],
    }
}

#[tokio::test]
async fn remote_write_then_query_and_metadata() {
    let s = TestServer::start().await;
    let body = encode_snappy_message(&write_request(T0, 10)).unwrap();
    let r = s.post("/api/v1/write", &WRITE_HEADERS, body).await;
    assert_eq!(r.status().as_u16(), 204);
    let (_, body) = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("pushed"),
            (T0 + 9000) / 1000
        ))
        .await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"pushed","src":"rw"},"value":[1700000009,"9"]}]}}"#
    );
    let (_, body) = s.get("/api/v1/metadata").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":{"pushed":[{"type":"gauge","help":"A pushed gauge.","unit":""}]}}"#
    );
    // Older samples are rejected with 400 (not retried), the newer ones in the batch still land.
    let mut req = write_request(T0, 3);
    req.timeseries[0].samples.push(Sample {
        value: 42.0,
        timestamp: T0 + 20_000,
    });
    let r = s
        .post("/api/v1/write", &WRITE_HEADERS, encode_snappy_message(&req).unwrap())
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("out of order sample"));
    let (_, body) = s
        .get(&format!("/api/v1/query?query=pushed&time={}", (T0 + 20_000) / 1000))
        .await;
    assert!(body.contains(r#""value":[1700000020,"42"]"#), "{body}");
    let (_, metrics) = s.get("/metrics").await;
    assert!(metrics.contains("rill_samples_ingested_total 11"), "{metrics}");
    s.stop().await;
}

#[tokio::test]
async fn remote_write_rejects_bad_bodies() {
    let config = ServerConfig {
        max_body_bytes: 64 * 1024,
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(common::fixture(), config).await;
    let r = s
        .post("/api/v1/write", &WRITE_HEADERS, b"definitely not snappy".to_vec())
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("snappy"));
    let r = s
        .post(
            "/api/v1/write",
            &WRITE_HEADERS,
            snappy_compress(&[0x0a, 0xff, 0xff, 0x7f]).unwrap(),
        )
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("protobuf"));
    let r = s.post("/api/v1/write", &WRITE_HEADERS, vec![0u8; 200 * 1024]).await;
    assert_eq!(r.status().as_u16(), 413);
    // Small on the wire, huge once decompressed.
    let bomb = snappy_compress(&vec![0u8; 1 << 20]).unwrap();
    assert!(bomb.len() < 64 * 1024);
    let r = s.post("/api/v1/write", &WRITE_HEADERS, bomb).await;
    assert_eq!(r.status().as_u16(), 400);
    let r = s
        .post(
            "/api/v1/write",
            &[("Content-Type", "application/json")],
            encode_snappy_message(&write_request(T0, 1)).unwrap(),
        )
        .await;
    assert_eq!(r.status().as_u16(), 415);
    let mut dup = write_request(T0, 1);
    dup.timeseries[0].labels.push(label("src", "again"));
    let r = s
        .post("/api/v1/write", &WRITE_HEADERS, encode_snappy_message(&dup).unwrap())
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("duplicated label src"));
    s.stop().await;
}

fn read_request(kind: ResponseType) -> Vec<u8> {
    let req = ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: T0,
            end_timestamp_ms: T0 + 30_000,
            matchers: matchers_to_proto(&[Matcher::new(MatchOp::Equal, "__name__", "up").unwrap()]),
            hints: None,
        }],
        accepted_response_types: vec![kind as i32],
    };
    encode_snappy_message(&req).unwrap()
}

#[tokio::test]
async fn remote_read_samples_and_streamed_chunks() {
    let s = TestServer::start().await;
    let r = s
        .post("/api/v1/read", &WRITE_HEADERS, read_request(ResponseType::Samples))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-encoding"], "snappy");
    let resp: ReadResponse = decode_snappy_message(&r.bytes().await.unwrap(), 1 << 20).unwrap();
    let series = &resp.results[0].timeseries;
    assert_eq!(series.len(), 2);
    assert_eq!(series[0].labels, vec![label("__name__", "up"), label("job", "api")]);
    let ts: Vec<i64> = series[0].samples.iter().map(|s| s.timestamp).collect();
    assert_eq!(ts, vec![T0, T0 + 15_000, T0 + 30_000]);

    let r = s
        .post(
            "/api/v1/read",
            &WRITE_HEADERS,
            read_request(ResponseType::StreamedXorChunks),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
    );
    let body = r.bytes().await.unwrap();
    let mut frames = FrameReader::new(&body);
    let mut got = Vec::new();
    while let Some(msg) = frames.next_message::<ChunkedReadResponse>().unwrap() {
        for cs in msg.chunked_series {
            let mut samples = Vec::new();
            for c in &cs.chunks {
                decode_proto_chunk(c, i64::MIN, i64::MAX, &mut samples).unwrap();
            }
            got.push((cs.labels[1].value.clone(), samples.len()));
        }
    }
    assert_eq!(got, vec![("api".to_string(), 3), ("web".to_string(), 3)]);
    let r = s.post("/api/v1/read", &WRITE_HEADERS, b"garbage".to_vec()).await;
    assert_eq!(r.status().as_u16(), 400);
    s.stop().await;
}
