//! Every JSON endpoint through a real HTTP client: exact bodies for successes, Prometheus's
//! error shapes and status codes for bad input.

mod common;

use common::{T0, TestServer, enc};

fn t(ms: i64) -> String {
    format!("{}", ms as f64 / 1000.0)
}

#[tokio::test]
async fn instant_query_get_and_post() {
    let s = TestServer::start().await;
    let want = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"api"},"value":[1700000600,"1"]},{"metric":{"__name__":"up","job":"web"},"value":[1700000600,"0"]}]}}"#;
    let (code, body) = s.get(&format!("/api/v1/query?query=up&time={}", t(T0 + 600_000))).await;
    assert_eq!((code, body.as_str()), (200, want));
    let (code, body) = s
        .post_form("/api/v1/query", &format!("query=up&time={}", t(T0 + 600_000)))
        .await;
    assert_eq!((code, body.as_str()), (200, want));
    let (code, body) = s.get("/api/v1/query?query=1%2B1&time=2023-11-14T22:13:20Z").await;
    assert_eq!(
        (code, body.as_str()),
        (
            200,
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"2"]}}"#
        )
    );
    let (code, body) = s
        .get(&format!("/api/v1/query?query=up&time={}&limit=1", t(T0 + 600_000)))
        .await;
    assert_eq!(
        (code, body.as_str()),
        (
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"api"},"value":[1700000600,"1"]}]},"warnings":["results truncated due to limit"]}"#
        )
    );
    let (code, body) = s
        .get(&format!(
            "/api/v1/query_range?query=up&start={}&end={}&step=300&limit=2",
            t(T0),
            t(T0 + 300_000)
        ))
        .await;
    assert_eq!(code, 200);
    assert!(!body.contains("warnings"), "{body}");
    let (code, body) = s.get("/api/v1/query?query=up&limit=x").await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": strconv.Atoi: parsing \"x\": invalid syntax"}"#
        )
    );
    let (_, body) = s.get(&format!("/api/v1/query?query=up&time={}&stats=1", t(T0))).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["data"]["stats"]["samples"]["totalQueryableSamples"].as_u64().unwrap() >= 2);
    s.stop().await;
}

#[tokio::test]
async fn range_query_and_annotations() {
    let s = TestServer::start().await;
    let (code, body) = s
        .get(&format!(
            "/api/v1/query_range?query={}&start={}&end={}&step=60",
            enc("rate(http_requests_total[1m])"),
            t(T0 + 60_000),
            t(T0 + 180_000)
        ))
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body,
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"code":"200","job":"api"},"values":[[1700000060,"0.6666666666666666"],[1700000120,"0.6666666666666666"],[1700000180,"0.6666666666666666"]]}]}}"#
    );
    let (code, body) = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("rate(up[5m])"),
            t(T0 + 600_000)
        ))
        .await;
    assert_eq!(code, 200);
    assert!(
        body.contains(r#""infos":["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"up\" (1:6)"]"#),
        "{body}"
    );
    s.stop().await;
}

#[tokio::test]
async fn parameter_and_query_errors_have_prometheus_shapes() {
    let s = TestServer::start().await;
    let cases: [(&str, u16, &str); 9] = [
        (
            "/api/v1/query?query=up%7B",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:4: parse error: unexpected end of input inside braces"}"#,
        ),
        (
            "/api/v1/query?query=up&time=yesterday",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp"}"#,
        ),
        (
            "/api/v1/query?query=up&timeout=soon",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration"}"#,
        ),
        (
            "/api/v1/query_range?query=up&end=10&step=1",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=10&end=5&step=1",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=5&step=0",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}"#,
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=100000&step=1",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}"#,
        ),
        (
            "/api/v1/series",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}"#,
        ),
        (
            "/api/v1/labels?limit=-3",
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"limit\": limit must be non-negative"}"#,
        ),
    ];
    for (path, code, want) in cases {
        let (got_code, body) = s.get(path).await;
        assert_eq!((got_code, body.as_str()), (code, want), "{path}");
    }
    // Evaluation errors are `execution` (422).
    let (code, body) = s
        .get(&format!(
            "/api/v1/query?query={}&time={}",
            enc("label_replace(up, \"job\", \"x\", \"job\", \".*\")"),
            t(T0)
        ))
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body.starts_with(r#"{"status":"error","errorType":"execution","error":"#),
        "{body}"
    );
    s.stop().await;
}

#[tokio::test]
async fn series_labels_and_values() {
    let s = TestServer::start().await;
    let (code, body) = s.get(&format!("/api/v1/series?match[]={}", enc("up"))).await;
    assert_eq!(
        (code, body.as_str()),
        (
            200,
            r#"{"status":"success","data":[{"__name__":"up","job":"api"},{"__name__":"up","job":"web"}]}"#
        )
    );
    let (_, body) = s
        .get(&format!(
            "/api/v1/series?match[]={}&match[]={}&limit=1",
            enc("up{job=\"web\"}"),
            enc("http_requests_total")
        ))
        .await;
    assert_eq!(
        body,
        r#"{"status":"success","data":[{"__name__":"http_requests_total","code":"200","job":"api"}],"warnings":["results truncated due to limit"]}"#
    );
    let (_, body) = s.get("/api/v1/labels").await;
    assert_eq!(body, r#"{"status":"success","data":["__name__","code","job"]}"#);
    let (_, body) = s.get(&format!("/api/v1/labels?match[]={}", enc("up"))).await;
    assert_eq!(body, r#"{"status":"success","data":["__name__","job"]}"#);
    let (_, body) = s.get("/api/v1/label/job/values").await;
    assert_eq!(body, r#"{"status":"success","data":["api","web"]}"#);
    let (_, body) = s.get("/api/v1/label/__name__/values?limit=1").await;
    assert_eq!(
        body,
        r#"{"status":"success","data":["http_requests_total"],"warnings":["results truncated due to limit"]}"#
    );
    let (_, body) = s
        .get(&format!(
            "/api/v1/label/job/values?match[]={}",
            enc("http_requests_total")
        ))
        .await;
    assert_eq!(body, r#"{"status":"success","data":["api"]}"#);
    let (code, body) = s.get(&format!("/api/v1/series?match[]={}", enc("{job=~\".*\"}"))).await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"}"#
        )
    );
    s.stop().await;
}

#[tokio::test]
async fn status_and_misc_endpoints() {
    let s = TestServer::start().await;
    let (code, body) = s.get("/api/v1/status/buildinfo").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((code, v["status"].as_str()), (200, Some("success")));
    assert_eq!(v["data"]["version"], env!("CARGO_PKG_VERSION"));
    let (_, body) = s.get("/api/v1/status/runtimeinfo").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["data"]["startTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["data"]["reloadConfigSuccess"], true);
    let (_, body) = s.get("/api/v1/status/flags").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["query.timeout"], "2m");
    let (_, body) = s
        .get(&format!("/api/v1/format_query?query={}", enc("sum by(job)(up)")))
        .await;
    assert_eq!(body, r#"{"status":"success","data":"sum by (job) (up)"}"#);
    let (code, _) = s.get("/api/v1/format_query?query=sum(").await;
    assert_eq!(code, 400);
    let want = r#"{"status":"success","data":{"expr":{"anchored":false,"matchers":[{"name":"__name__","type":"=","value":"up"}],"name":"up","offset":0,"smoothed":false,"startOrEnd":null,"timestamp":null,"type":"vectorSelector"},"grouping":["job"],"op":"sum","param":null,"type":"aggregation","without":false}}"#;
    let (code, body) = s
        .get(&format!("/api/v1/parse_query?query={}", enc("sum by(job)(up)")))
        .await;
    assert_eq!((code, body.as_str()), (200, want));
    let (code, body) = s
        .post_form("/api/v1/parse_query", &format!("query={}", enc("sum by(job)(up)")))
        .await;
    assert_eq!((code, body.as_str()), (200, want));
    let (code, body) = s.get("/api/v1/parse_query?query=sum(").await;
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}"#
        )
    );
    let (_, body) = s.get("/api/v1/query_exemplars?query=up").await;
    assert_eq!(body, r#"{"status":"success","data":[]}"#);
    let (_, body) = s.get("/api/v1/metadata").await;
    assert_eq!(body, r#"{"status":"success","data":{}}"#);
    assert_eq!(
        s.get("/-/healthy").await,
        (200, "Prometheus Server is Healthy.\n".into())
    );
    assert_eq!(s.get("/-/ready").await, (200, "Prometheus Server is Ready.\n".into()));
    s.get("/api/v1/query?query=up").await;
    let (code, body) = s.get("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        body.contains("rill_query_duration_seconds_count{endpoint=\"query\"} 1"),
        "{body}"
    );
    assert!(body.contains("rill_query_peak_memory_bytes_count 1"), "{body}");
    assert!(body.contains("rill_build_info{version="), "{body}");
    s.stop().await;
}
