//! Real client: Prometheus's `promtool query instant|range|series|labels` against the server.
//! Prints SKIP when `promtool` is not installed.

mod common;

use common::{T0, TestServer};

fn promtool(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("promtool").args(args).output().ok()?;
    assert!(
        out.status.success(),
        "promtool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_queries() {
    if std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "the real peer is missing in CI; scripts/test.sh installs it"
        );
        println!("SKIP: promtool not installed");
        return;
    }
    let s = TestServer::start().await;
    let base = s.base.clone();
    let t = (T0 / 1000 + 600).to_string();
    let start = (T0 / 1000).to_string();
    let end = (T0 / 1000 + 30).to_string();
    let outputs = tokio::task::spawn_blocking(move || {
        [
            promtool(&["query", "instant", "--time", &t, &base, "up"]),
            promtool(&[
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
            promtool(&[
                "query", "series", "--match", "up", "--start", &start, "--end", &end, &base,
            ]),
            promtool(&["query", "labels", "--start", &start, "--end", &end, &base, "job"]),
        ]
    })
    .await
    .unwrap();
    let [instant, range, series, labels] = outputs.map(Option::unwrap_or_default);
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
