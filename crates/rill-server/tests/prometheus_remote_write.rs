//! A real Prometheus (Debian's `prometheus`) scrapes itself every second and remote-writes to
//! an in-process Rill server over a TSDB data directory; afterwards both answer the same
//! queries at a fixed time inside the scraped window with the same series and values.
//!
//! Bounded to about 40 s. Prints SKIP when `prometheus` is not on PATH (CI installs it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rill_server::{Server, ServerConfig};
use serde_json::Value;
use tokio::sync::oneshot;

/// How long Prometheus scrapes before the comparison.
const SCRAPE_FOR: Duration = Duration::from_secs(22);

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

fn on_path(cmd: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(cmd).is_file()))
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("rill-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The Prometheus child process; SIGTERM and wait on drop, so a failing test leaves nothing behind.
struct Prometheus {
    child: Child,
    log: PathBuf,
}

impl Prometheus {
    fn start(dir: &Path, port: u16, rill: &str) -> Prometheus {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n\
                 remote_write:\n  - url: {rill}/api/v1/write\n    queue_config:\n      batch_send_deadline: 1s\n      \
                 max_samples_per_send: 500\n      min_backoff: 50ms\n      max_backoff: 1s\n"
            ),
        )
        .unwrap();
        let log = dir.join("prometheus.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap();
        Prometheus { child, log }
    }

    /// Sends SIGTERM (by PID) and waits up to 15 s for the exit; Prometheus flushes its
    /// remote-write queues on the way out.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
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

async fn wait_ready(client: &reqwest::Client, base: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/-/ready")).send().await
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_remote_writes_to_rill_and_both_answer_alike() {
    if !on_path("prometheus") {
        assert!(
            std::env::var_os("CI").is_none(),
            "the real peer is missing in CI; scripts/test.sh installs it"
        );
        println!("SKIP: prometheus is not on PATH");
        return;
    }
    let started = Instant::now();
    let tmp = TempDir::new("promrw");
    let data = tmp.0.join("rill-data");
    let db = Arc::new(rill_tsdb::Db::open(&data, rill_tsdb::db::DbOptions::default()).unwrap());
    let server = Server::new(ServerConfig::default(), db.clone(), Some(db.clone()));
    let state = server.state().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rill = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async {
        let _ = stop_rx.await;
    }));

    let port = free_port();
    let prom_base = format!("http://127.0.0.1:{port}");
    let mut prom = Prometheus::start(&tmp.0, port, &rill);
    let client = reqwest::Client::new();
    assert!(
        wait_ready(&client, &prom_base, Duration::from_secs(10)).await,
        "prometheus did not become ready:\n{}",
        prom.log_tail()
    );
    tokio::time::sleep(SCRAPE_FOR).await;

    // A fixed instant inside the scraped window, a few scrapes before now, half a scrape
    // interval after a scrape: no sample sits on a window's edge.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
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

    // Remote write lags by about one batch deadline: give it a few seconds before stopping.
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
    prom.stop();

    for (q, want) in QUERIES.iter().zip(&expected) {
        let got = query(&client, &rill, q, t).await;
        assert_eq!(&got, want, "{q} at {t}: rill differs from prometheus");
    }
    let ingested = state.metrics.samples_ingested.get();
    assert!(ingested > 0);
    println!(
        "compared {} queries at t={t} after {:.1}s; rill ingested {ingested} samples",
        QUERIES.len(),
        started.elapsed().as_secs_f64(),
    );

    let _ = stop_tx.send(());
    task.await.unwrap().unwrap();
    db.close().unwrap();
}
