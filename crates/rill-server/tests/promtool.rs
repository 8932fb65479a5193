//! Real client: Prometheus's `promtool query instant|range|series|labels` against Rill. One
//! test checks exact outputs on a small in-memory fixture; the differential test runs every
//! command against a real Prometheus and against Rill serving copies of the same promtool
//! blocks and asserts identical stdout and exit codes. A missing promtool or prometheus skips
//! the tests outside CI and fails them in CI.

mod common;

use common::peers::{DATA_START, Pair, peer_available};
use common::{T0, TestServer};

/// Runs promtool; returns exit code, stdout and stderr.
fn promtool(args: &[String]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new("promtool").args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs a promtool command that must succeed; returns its stdout.
fn promtool_ok(parts: &[&str]) -> String {
    let (code, out, err) = promtool(&args(parts));
    assert_eq!(code, Some(0), "promtool {parts:?}: {err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_queries() {
    if !peer_available("promtool") {
        return;
    }
    let s = TestServer::start().await;
    let base = s.base.clone();
    let t = (T0 / 1000 + 600).to_string();
    let start = (T0 / 1000).to_string();
    let end = (T0 / 1000 + 30).to_string();
    let outputs = tokio::task::spawn_blocking(move || {
        [
            promtool_ok(&["query", "instant", "--time", &t, &base, "up"]),
            promtool_ok(&[
                "query",
                "range",
                "--start",
                &start,
                "--end",
                &end,
                "--step",
                "15s",
                &base,
                "up{job=\"api\"}",
            ]),
            promtool_ok(&[
                "query", "series", "--match", "up", "--start", &start, "--end", &end, &base,
            ]),
            promtool_ok(&["query", "labels", "--start", &start, "--end", &end, &base, "job"]),
        ]
    })
    .await
    .unwrap();
    let [instant, range, series, labels] = outputs;
    assert_eq!(
        instant,
        "up{job=\"api\"} => 1 @[1700000600]\nup{job=\"web\"} => 0 @[1700000600]\n"
    );
    assert_eq!(
        range,
        "up{job=\"api\"} =>\n1 @[1700000000]\n1 @[1700000015]\n1 @[1700000030]\n"
    );
    assert_eq!(
        series,
        "{__name__=\"up\", job=\"api\"}\n{__name__=\"up\", job=\"web\"}\n"
    );
    assert_eq!(labels, "api\nweb\n");
    s.stop().await;
}

/// An owned argument list.
fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// The promtool commands of the differential test, `{URL}` standing for the server. Times
/// are whole seconds, never on a (jittered) sample.
fn differential_commands() -> Vec<Vec<String>> {
    let at = |s: i64| (DATA_START + s).to_string();
    let (t1, t2, t3) = (at(1800), at(2000), at(3599));
    let (r0, r1) = (at(600), at(1500));
    let instant = |t: &str, q: &str| args(&["query", "instant", "--time", t, "{URL}", q]);
    let range = |step: &str, q: &str| {
        args(&[
            "query", "range", "--start", &r0, "--end", &r1, "--step", step, "{URL}", q,
        ])
    };
    vec![
        instant(&t1, "http_requests_total{code=\"500\"}"),
        instant(&t2, "sum by (job) (rate(http_requests_total[5m]))"),
        instant(
            &t2,
            "histogram_quantile(0.9, sum by (le) (rate(request_seconds_bucket[10m])))",
        ),
        instant(&t3, "topk(2, temperature_celsius) * on () group_left () build_info"),
        instant(&t2, "scalar(sum(temperature_celsius))"),
        instant(&t2, "1 + 2 * 3"),
        // Not avg_over_time: 2.42 averages by incremental mean, 3.x (and Rill) by a
        // compensated sum, and the last digit differs.
        instant(&t2, "max_over_time(temperature_celsius[10m:1m])"),
        instant(&t1, "absent(nonexistent_metric)"),
        instant(&t1, "sum(rate(http_requests_total[1m])) by (instance) > 1"),
        // Errors: a syntax error and a type error (exit code and empty stdout compared).
        instant(&t1, "sum(rate(http_requests_total[5m])"),
        instant(&t1, "rate(temperature_celsius)"),
        args(&[
            "query",
            "-o",
            "json",
            "instant",
            "--time",
            &t2,
            "{URL}",
            "increase(http_requests_total[10m])",
        ]),
        range("60s", "rate(http_requests_total{job=\"web\"}[2m])"),
        range("1m", "temperature_celsius - on (room) temperature_celsius offset 5m"),
        range("5m", "sum(http_requests_total) by (code)"),
        range("45s", "time()"),
        args(&[
            "query",
            "series",
            "--match",
            "http_requests_total{code=\"500\"}",
            "--match",
            "build_info",
            "--start",
            &r0,
            "--end",
            &r1,
            "{URL}",
        ]),
        args(&[
            "query",
            "series",
            "--match",
            "{__name__=~\"request_seconds_.*\", le!=\"\"}",
            "--start",
            &r0,
            "--end",
            &r1,
            "{URL}",
        ]),
        args(&["query", "labels", "--start", &r0, "--end", &r1, "{URL}", "job"]),
        args(&["query", "labels", "--start", &r0, "--end", &r1, "{URL}", "__name__"]),
        args(&[
            "query",
            "labels",
            "--match",
            "temperature_celsius",
            "--start",
            &r0,
            "--end",
            &r1,
            "{URL}",
            "room",
        ]),
        args(&[
            "query",
            "labels",
            "--start",
            &r0,
            "--end",
            &r1,
            "{URL}",
            "no_such_label",
        ]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_answers_like_against_prometheus() {
    if !peer_available("promtool") || !peer_available("prometheus") {
        return;
    }
    let pair = Pair::start("promtool-diff").await;
    let (prom, rill) = (pair.prometheus.base.clone(), pair.rill.base.clone());
    let cmds = differential_commands();
    let n = cmds.len();
    let report = tokio::task::spawn_blocking(move || {
        let mut mismatches = Vec::new();
        let mut errors = Vec::new();
        for cmd in cmds {
            let with = |url: &str| -> Vec<String> { cmd.iter().map(|a| a.replace("{URL}", url)).collect() };
            let want = promtool(&with(&prom));
            let got = promtool(&with(&rill));
            if want.0 != Some(0) {
                errors.push(format!("{cmd:?}: {}", want.2.trim()));
            } else if want.1.is_empty() && !cmd.iter().any(|a| a == "no_such_label") {
                mismatches.push(format!("{cmd:?}: prometheus printed nothing (a useless case)"));
            }
            // promtool prints the server's error on stderr: the texts must match too.
            if (want.0, &want.1) != (got.0, &got.1) || (want.0 != Some(0) && want.2 != got.2) {
                mismatches.push(format!(
                    "{cmd:?}\n  prometheus (exit {:?}): {}{}\n  rill (exit {:?}): {}{}",
                    want.0, want.1, want.2, got.0, got.1, got.2
                ));
            }
        }
        (mismatches, errors)
    })
    .await
    .unwrap();
    pair.stop().await;
    let (mismatches, errors) = report;
    assert!(
        mismatches.is_empty(),
        "{} of {n} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(errors.len(), 2, "only the two error cases may fail: {errors:#?}");
    println!("{n} promtool commands gave identical output against prometheus and rill");
}
