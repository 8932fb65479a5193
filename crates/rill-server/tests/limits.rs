//! Limits and isolation: a query over its memory limit fails alone, a full queue answers 503,
//! a panicking query answers 500, and the server keeps serving.

mod common;

use std::time::Duration;

use common::{T0, TestServer, enc};
use rill_model::{Labels, MemoryStore, Sample};
use rill_server::ServerConfig;

fn big_store() -> MemoryStore {
    let mut s = common::fixture();
    for i in 0..200 {
        let l = Labels::from_pairs([("__name__", "big".to_string()), ("i", i.to_string())]);
        for j in 0..500 {
            s.append(&l, Sample::float(T0 + j * 1000, j as f64)).unwrap();
        }
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_limit_fails_one_query_while_another_succeeds() {
    let config = ServerConfig {
        query_memory_limit_bytes: 4 * 1024,
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(big_store(), config).await;
    let heavy = format!(
        "/api/v1/query_range?query={}&start={}&end={}&step=1",
        enc("big * 2"),
        T0 / 1000,
        (T0 + 499_000) / 1000
    );
    let light = format!("/api/v1/query?query=up&time={}", T0 / 1000);
    let (a, b) = tokio::join!(s.get(&heavy), s.get(&light));
    assert_eq!(a.0, 422, "{}", a.1.get(..300).unwrap_or(&a.1));
    assert!(
        a.1.contains(r#""errorType":"execution""#) && a.1.contains("memory limit"),
        "{}",
        a.1
    );
    assert_eq!(b.0, 200, "{}", b.1);
    assert!(b.1.contains(r#""job":"api""#));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_answers_503_and_panics_answer_500() {
    let config = ServerConfig {
        max_concurrent_queries: 1,
        max_queued_queries: 0,
        ..ServerConfig::default()
    };
    let s = TestServer::start_with(common::fixture(), config).await;
    let slow_url = format!(
        "{}/api/v1/query?query={}&time={}",
        s.base,
        enc("test_sleep(up)"),
        T0 / 1000
    );
    let client = s.client.clone();
    // The whole body, not only the status: the slot is freed before the body's last buffer.
    let slow = tokio::spawn(async move {
        let r = client.get(slow_url).send().await.unwrap();
        let code = r.status().as_u16();
        let _ = r.text().await;
        code
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (code, body) = s.get(&format!("/api/v1/query?query=up&time={}", T0 / 1000)).await;
    assert_eq!(code, 503, "{body}");
    assert!(body.starts_with(r#"{"status":"error","errorType":"unavailable","error":"too many concurrent queries"#));
    assert_eq!(slow.await.unwrap(), 200);

    let (code, body) = s.get(&format!("/api/v1/query?query={}", enc("test_panic(up)"))).await;
    assert_eq!(
        (code, body.as_str()),
        (
            500,
            r#"{"status":"error","errorType":"internal","error":"unexpected error: test_panic was called"}"#
        )
    );
    let (code, _) = s.get(&format!("/api/v1/query?query=up&time={}", T0 / 1000)).await;
    assert_eq!(code, 200, "the server keeps serving after a panic");
    s.stop().await;
}

#[tokio::test]
async fn timeout_parameter_stops_a_query() {
    let s = TestServer::start().await;
    let (code, body) = s
        .get(&format!(
            "/api/v1/query?query={}&timeout=0.2&time={}",
            enc("test_sleep(up)"),
            T0 / 1000
        ))
        .await;
    assert_eq!(code, 503, "{body}");
    assert!(body.contains(r#""errorType":"timeout""#), "{body}");
    s.stop().await;
}
