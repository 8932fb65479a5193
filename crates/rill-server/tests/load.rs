//! Bounded load test on loopback: an in-process server over a TSDB data directory, first one
//! query client alone (baseline), then `CLIENTS` concurrent query clients plus one
//! remote-write client for `LOAD_FOR`.
//!
//! Asserts only what holds on a noisy shared machine: no request fails, the process's peak
//! RSS (`VmHWM`, server and clients together) stays under the budget, and the p99 latency
//! under load is within `P99_FACTOR` times the p99 alone (or `P99_FLOOR`, whichever is
//! larger), both measured in this run. Prints requests/s, p99s and peak RSS.
//!
//! Budget and duration can be changed with `RILL_LOAD_RSS_BUDGET_MB` and `RILL_LOAD_SECS`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rill_remote::encode_snappy_message;
use rill_remote::proto::{Label, Sample, TimeSeries, WriteRequest};
use rill_server::{Server, ServerConfig};
use tokio::sync::oneshot;

mod common;

/// Concurrent query clients under load.
const CLIENTS: usize = 8;
/// Series written before the test and by the writer.
const SERIES: usize = 200;
/// Preloaded history: one sample per second for this many seconds.
const HISTORY_SECS: i64 = 600;
/// Samples per series in one remote-write request of the writer.
const WRITE_BATCH: i64 = 10;
/// How much worse p99 may get under load.
const P99_FACTOR: f64 = 20.0;
/// A p99 under load below this always passes (a sub-millisecond baseline times 20 is noise).
const P99_FLOOR: Duration = Duration::from_millis(250);

const WRITE_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/x-protobuf"),
    ("Content-Encoding", "snappy"),
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `VmRSS` or `VmHWM` of this process in bytes (0 where `/proc` is missing).
fn proc_status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn label(n: &str, v: String) -> Label {
    Label {
        name: n.into(),
        value: v,
    }
}

/// `load_requests_total{job, instance}` for every series, `n` samples each from `t0` (ms)
/// every `step` ms; values grow with time so `rate` has work to do.
fn write_request(t0: i64, n: i64, step: i64) -> WriteRequest {
    WriteRequest {
        timeseries: (0..SERIES)
            .map(|i| TimeSeries {
                labels: vec![
                    label("__name__", "load_requests_total".into()),
                    label("instance", format!("host-{i:03}")),
                    label("job", format!("job-{}", i % 5)),
                ],
                samples: (0..n)
                    .map(|k| {
                        let t = t0 + k * step;
                        Sample {
                            value: (t / 1000) as f64 * (1 + i % 7) as f64,
                            timestamp: t,
                        }
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The query mix, evaluated at `t` (unix seconds) over the preloaded history.
fn query_paths(t: i64) -> Vec<String> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    vec![
        format!(
            "/api/v1/query?query={}&time={t}",
            enc("sum by (job) (rate(load_requests_total[1m]))")
        ),
        format!("/api/v1/query?query={}&time={t}", enc("topk(5, load_requests_total)")),
        format!(
            "/api/v1/query_range?query={}&start={}&end={t}&step=15",
            enc(r#"rate(load_requests_total{job="job-1"}[2m])"#),
            t - 300
        ),
        format!(
            "/api/v1/series?match[]={}&start={}&end={t}",
            enc(r#"{job="job-2"}"#),
            t - 60
        ),
        "/api/v1/label/instance/values".to_string(),
    ]
}

/// Latencies of successful requests and the count of failed ones.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    errors: Vec<String>,
}

/// Runs the query mix in a loop until `stop`.
async fn query_client(client: reqwest::Client, base: String, paths: Vec<String>, stop: Arc<AtomicBool>) -> Outcome {
    let mut out = Outcome::default();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let path = &paths[i % paths.len()];
        i += 1;
        let began = Instant::now();
        match client.get(format!("{base}{path}")).send().await {
            Ok(r) if r.status().is_success() => match r.bytes().await {
                Ok(_) => out.latencies.push(began.elapsed()),
                Err(e) => out.errors.push(format!("{path}: body: {e}")),
            },
            Ok(r) => out.errors.push(format!("{path}: HTTP {}", r.status())),
            Err(e) => out.errors.push(format!("{path}: {e}")),
        }
    }
    out
}

fn p99(latencies: &mut [Duration]) -> Duration {
    latencies.sort_unstable();
    let idx = (latencies.len() * 99).div_ceil(100).saturating_sub(1);
    latencies.get(idx).copied().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_queries_and_remote_write_stay_within_budget() {
    let load_for = Duration::from_secs(env_u64("RILL_LOAD_SECS", 10));
    let budget = env_u64("RILL_LOAD_RSS_BUDGET_MB", 512) * 1024 * 1024;
    let tmp = common::peers::TempDir::new("load");
    let db = Arc::new(rill_tsdb::Db::open(&tmp.0.join("data"), rill_tsdb::db::DbOptions::default()).unwrap());
    let server = Server::new(ServerConfig::default(), db.clone(), Some(db.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::new();

    // History: HISTORY_SECS of 1 s samples, sent in 60 s requests.
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let t0 = (now_s - HISTORY_SECS) * 1000;
    for chunk in 0..HISTORY_SECS / 60 {
        let body = encode_snappy_message(&write_request(t0 + chunk * 60_000, 60, 1000)).unwrap();
        let r = client
            .post(format!("{base}/api/v1/write"))
            .header(WRITE_HEADERS[0].0, WRITE_HEADERS[0].1)
            .header(WRITE_HEADERS[1].0, WRITE_HEADERS[1].1)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "{}", r.text().await.unwrap_or_default());
    }
    let t_query = now_s - 1;
    let paths = query_paths(t_query);

    // Baseline: one client alone.
    let stop = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn(query_client(client.clone(), base.clone(), paths.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut alone = alone.await.unwrap();
    assert!(alone.errors.is_empty(), "baseline errors: {:?}", alone.errors);
    let p99_alone = p99(&mut alone.latencies);

    // Load: CLIENTS query clients and one writer appending 1 ms-spaced samples after the history.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (client, base, stop, written) = (client.clone(), base.clone(), stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut errors = Vec::new();
            let mut next = now_s * 1000;
            while !stop.load(Ordering::Relaxed) {
                let body = encode_snappy_message(&write_request(next, WRITE_BATCH, 1)).unwrap();
                next += WRITE_BATCH;
                let sent = client
                    .post(format!("{base}/api/v1/write"))
                    .header(WRITE_HEADERS[0].0, WRITE_HEADERS[0].1)
                    .header(WRITE_HEADERS[1].0, WRITE_HEADERS[1].1)
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 204 => {
                        written.fetch_add(SERIES as u64 * WRITE_BATCH as u64, Ordering::Relaxed);
                    }
                    Ok(r) => errors.push(format!("write: HTTP {}", r.status())),
                    Err(e) => errors.push(format!("write: {e}")),
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            errors
        })
    };
    let began = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(query_client(client.clone(), base.clone(), paths.clone(), stop.clone())))
        .collect();
    let mut peak_rss_sampled = 0;
    while began.elapsed() < load_for {
        peak_rss_sampled = peak_rss_sampled.max(proc_status_bytes("VmRSS:"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let mut loaded = Outcome::default();
    for c in clients {
        let o = c.await.unwrap();
        loaded.latencies.extend(o.latencies);
        loaded.errors.extend(o.errors);
    }
    let elapsed = began.elapsed().as_secs_f64();
    loaded.errors.extend(writer.await.unwrap());
    let peak_rss = proc_status_bytes("VmHWM:").max(peak_rss_sampled);
    let requests = loaded.latencies.len();
    let p99_load = p99(&mut loaded.latencies);
    let samples = written.load(Ordering::Relaxed);
    println!(
        "load: {CLIENTS} query clients + 1 writer for {elapsed:.1}s: {:.0} queries/s, {:.0} samples/s written; \
         p99 alone {:.1} ms, p99 under load {:.1} ms; peak RSS {:.1} MiB (budget {} MiB)",
        requests as f64 / elapsed,
        samples as f64 / elapsed,
        p99_alone.as_secs_f64() * 1000.0,
        p99_load.as_secs_f64() * 1000.0,
        peak_rss as f64 / (1024.0 * 1024.0),
        budget / (1024 * 1024)
    );

    assert!(
        loaded.errors.is_empty(),
        "errors under load: {:?}",
        &loaded.errors[..loaded.errors.len().min(10)]
    );
    assert!(
        requests > 0 && samples > 0,
        "no traffic: {requests} queries, {samples} samples"
    );
    assert!(peak_rss < budget, "peak RSS {peak_rss} over budget {budget}");
    let allowed = P99_FLOOR.max(p99_alone.mul_f64(P99_FACTOR));
    assert!(
        p99_load <= allowed,
        "p99 under load {p99_load:?} > {allowed:?} (alone {p99_alone:?})"
    );

    let _ = stop_tx.send(());
    task.await.unwrap().unwrap();
    db.close().unwrap();
}
