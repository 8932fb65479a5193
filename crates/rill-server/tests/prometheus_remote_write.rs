//! A real Prometheus (Debian's `prometheus`) scrapes itself every second and remote-writes to
//! an in-process Rill server over a TSDB data directory; afterwards both answer the same
//! queries at a fixed time inside the scraped window with the same series and values.
//!
//! After a minute of scraping, range and instant queries over the finished part of the window
//! are also compared by `../shared/bench/promcompare.py compare` when that script is present
//! (it lives outside the repository; `PROMCOMPARE` overrides its path).
//!
//! Bounded to about 80 s. A missing `prometheus` skips the test outside CI and fails it in CI.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::peers::{Prometheus, Rill, TempDir, free_port, peer_available};
use serde_json::Value;

/// How long Prometheus scrapes before the comparison.
const SCRAPE_FOR: Duration = Duration::from_secs(60);

/// Queries promcompare.py compares as range queries (step 1 s) and at three instants over a
/// finished stretch of the scraped window.
const RANGE_QUERIES: [&str; 6] = [
    "up",
    "rate(prometheus_http_requests_total[10s])",
    "sum by (job) (scrape_samples_scraped)",
    "max_over_time(scrape_duration_seconds[10s])",
    "count by (__name__) ({__name__=~\"prometheus_tsdb_head_.*\"})",
    "delta(process_resident_memory_bytes[20s])",
];

/// Queries compared, evaluated at one instant. Windows lie wholly inside the scraped data:
/// where a series starts inside the window, Debian's Prometheus 2.42 and Prometheus 3
/// (Rill's reference) extrapolate `rate` differently (3.x applies the zero-clamp after the
/// start-gap threshold), and 2.x windows are closed on the left where 3.x's are open.
const QUERIES: [&str; 6] = [
    "up",
    r#"count({__name__=~"prometheus_.*"})"#,
    "rate(prometheus_http_requests_total[10s])",
    "increase(prometheus_tsdb_head_samples_appended_total[8s])",
    "sum by (job) (scrape_samples_scraped)",
    "max_over_time(scrape_duration_seconds[10s])",
];

fn config(port: u16, rill: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n\
         remote_write:\n  - url: {rill}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n      \
         max_samples_per_send: 500\n      min_backoff: 50ms\n      max_backoff: 1s\n"
    )
}

/// The `data` of an instant query at `t` (unix seconds), with the result sorted by labels.
async fn query(client: &reqwest::Client, base: &str, q: &str, t: f64) -> Value {
    let url = format!(
        "{base}/api/v1/query?query={}&time={t}",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let resp = client.get(&url).send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 200, "{base} {q}: {body}");
    let mut v: Value = serde_json::from_str(&body).unwrap();
    let mut data = v["data"].take();
    if let Some(list) = data["result"].as_array_mut() {
        list.sort_by_key(|e| e["metric"].to_string());
    }
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_remote_writes_to_rill_and_both_answer_alike() {
    if !peer_available("prometheus") {
        return;
    }
    let started = Instant::now();
    let tmp = TempDir::new("promrw");
    let rill_server = Rill::start(&tmp.0.join("rill-data")).await;
    let rill = rill_server.base.clone();
    let port = free_port();
    let mut prom = Prometheus::start(&tmp.0, None, port, &config(port, &rill), &[]);
    let prom_base = prom.base.clone();
    let client = reqwest::Client::new();
    prom.wait_ready(&client).await;
    let ready_at = unix_now();
    tokio::time::sleep(SCRAPE_FOR).await;

    // A fixed instant inside the scraped window, a few scrapes before now, half a scrape
    // interval after a scrape: no sample sits on a window's edge.
    let now = unix_now();
    let scraped = query(&client, &prom_base, "timestamp(up)", (now - 4.0).floor()).await;
    let last_scrape = scraped["result"][0]["value"][1]
        .as_str()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no scrape of up: {scraped}"));
    let t = last_scrape + 0.5;
    let mut expected = Vec::new();
    for q in QUERIES {
        let want = query(&client, &prom_base, q, t).await;
        let n = want["result"].as_array().map_or(0, Vec::len);
        assert!(n > 0, "prometheus has no result for {q}: {want}");
        expected.push(want);
    }
    let failed = query(
        &client,
        &prom_base,
        "sum(prometheus_remote_storage_samples_failed_total)",
        now,
    )
    .await;
    assert_eq!(failed["result"][0]["value"][1], "0", "rejected remote-write samples");

    // Remote write lags by about one batch deadline: give it a few seconds.
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let mut all = true;
        for (q, want) in QUERIES.iter().zip(&expected) {
            all &= query(&client, &rill, q, t).await == *want;
        }
        if all || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Whole-second range: from 20 s after the first scrape (no window reaches before the
    // data) to the instant compared above (all of it delivered).
    let range = (ready_at.ceil() as i64 + 20, t.floor() as i64);
    let promcompare = run_promcompare(&tmp.0, &prom_base, &rill, range, last_scrape);
    prom.stop();

    for (q, want) in QUERIES.iter().zip(&expected) {
        let got = query(&client, &rill, q, t).await;
        assert_eq!(&got, want, "{q} at {t}: rill differs from prometheus");
    }
    if let Some((ok, out)) = promcompare {
        println!("promcompare.py over {range:?}:\n{out}");
        assert!(ok, "promcompare.py found differences");
    }
    let ingested = rill_server.state.metrics.samples_ingested.get();
    assert!(ingested > 0);
    println!(
        "compared {} queries at t={t} after {:.1}s; rill ingested {ingested} samples",
        QUERIES.len(),
        started.elapsed().as_secs_f64(),
    );
    rill_server.stop().await;
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Runs `promcompare.py compare` (Prometheus as reference) over `range` with [`RANGE_QUERIES`];
/// returns success and output, or `None` (with a message) when the script is absent or when
/// scrapes fall within 20 ms of whole seconds, where its whole-second query times would sit
/// on samples and 2.42's closed window edges would differ from 3.x's open ones.
fn run_promcompare(dir: &std::path::Path, a: &str, b: &str, range: (i64, i64), scrape: f64) -> Option<(bool, String)> {
    let script = std::env::var_os("PROMCOMPARE").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/promcompare.py"),
        PathBuf::from,
    );
    if !script.is_file() {
        println!(
            "promcompare.py not found at {}: range comparison skipped",
            script.display()
        );
        return None;
    }
    let phase = scrape.fract();
    if !(0.02..=0.98).contains(&phase) {
        println!("scrape phase {phase:.3} s is too near a whole second: range comparison skipped");
        return None;
    }
    let queries = dir.join("queries.txt");
    std::fs::write(&queries, RANGE_QUERIES.join("\n")).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .args(["compare", "--a", a, "--b", b, "--step", "1", "--instant-times", "3"])
        .arg("--queries")
        .arg(&queries)
        .args(["--start", &range.0.to_string(), "--end", &range.1.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), text))
}
