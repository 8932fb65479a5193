//! Real peers for the differential tests: a reference Prometheus process and an in-process
//! Rill server over a TSDB directory, both on 127.0.0.1 with free ports, both loaded with the
//! same promtool blocks built from a small generated OpenMetrics file. Processes are stopped by
//! PID on drop, so a failing test leaves nothing behind.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rill_server::{AppState, Server, ServerConfig};
use tokio::sync::oneshot;

/// First sample time of [`openmetrics`] data, unix seconds (2023-11-14T22:13:20Z).
pub const DATA_START: i64 = 1_700_000_000;
/// Length of the generated data, seconds (one hour: it fits one 2 h promtool block).
pub const DATA_SECONDS: i64 = 3600;
/// Scrape interval of the generated data, seconds.
pub const DATA_INTERVAL: i64 = 15;

/// Whether the real peer `cmd` is on PATH. Outside CI a missing peer skips the test with a
/// message; in CI (`CI` set) it is a failure, since scripts/test.sh installs it.
pub fn peer_available(cmd: &str) -> bool {
    let found =
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(cmd).is_file()));
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "the real peer {cmd} is missing in CI; scripts/test.sh installs it"
        );
        println!("SKIP: {cmd} is not on PATH");
    }
    found
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `rill-<tag>-<pid>-<nanos>` under the temp dir.
    pub fn new(tag: &str) -> TempDir {
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

/// A port that was free on 127.0.0.1 a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A Prometheus child process on 127.0.0.1; SIGTERM by PID and wait on drop.
pub struct Prometheus {
    child: Child,
    log: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Prometheus {
    /// Starts `prometheus` with the YAML `config`, storage in `dir/data` (or `data` if given),
    /// on `port`, with `extra` flags; its log goes to `dir/prometheus.log`.
    pub fn start(dir: &Path, data: Option<&Path>, port: u16, config: &str, extra: &[&str]) -> Prometheus {
        let config_file = dir.join("prometheus.yml");
        std::fs::write(&config_file, config).unwrap();
        let log = dir.join("prometheus.log");
        let out = std::fs::File::create(&log).unwrap();
        let data = data.map_or_else(|| dir.join("data"), Path::to_path_buf);
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap();
        Prometheus {
            child,
            log,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Sends SIGTERM (by PID) and waits up to 15 s for the exit; Prometheus flushes its
    /// remote-write queues on the way out.
    pub fn stop(&mut self) {
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

    /// The last 20 lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Waits until `/-/ready` answers 200; panics with the log tail after 30 s.
    pub async fn wait_ready(&self, client: &reqwest::Client) {
        assert!(
            wait_ready(client, &self.base, Duration::from_secs(30)).await,
            "prometheus did not become ready:\n{}",
            self.log_tail()
        );
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `base/-/ready` until it answers 2xx or `within` passes.
pub async fn wait_ready(client: &reqwest::Client, base: &str, within: Duration) -> bool {
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

/// Rill as `rill serve --data DIR` runs it: a server over a TSDB opened on `DIR`, in-process.
pub struct Rill {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The server's state (metrics).
    pub state: Arc<AppState>,
    db: Arc<rill_tsdb::Db>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Rill {
    /// Opens the TSDB at `dir` and serves it on a free loopback port.
    pub async fn start(dir: &Path) -> Rill {
        let db = Arc::new(rill_tsdb::Db::open(dir, rill_tsdb::db::DbOptions::default()).unwrap());
        let server = Server::new(ServerConfig::default(), db.clone(), Some(db.clone()));
        let state = server.state().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(listener, async {
            let _ = rx.await;
        }));
        Rill {
            base,
            state,
            db,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Shuts the server down gracefully and closes the TSDB.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.db.close().unwrap();
    }
}

/// A small deterministic OpenMetrics file of [`DATA_SECONDS`] from [`DATA_START`]: counters
/// (with one reset), gauges, a classic histogram and an info metric. Sample `k` of a series is
/// at `DATA_START + k * DATA_INTERVAL` plus 1..997 ms of jitter, so whole-second query times
/// never hit a sample and Prometheus 2.x (left-closed windows) and 3.x (left-open) agree.
pub fn openmetrics() -> String {
    let mut out = String::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let steps = DATA_SECONDS / DATA_INTERVAL;
    let mut series = |out: &mut String, name: &str, labels: &str, value: &mut dyn FnMut(i64, u64) -> f64| {
        for k in 0..steps {
            let r = next();
            let ms = DATA_START * 1000 + k * DATA_INTERVAL * 1000 + 1 + (r % 997) as i64;
            let v = value(k, r >> 20);
            let _ = writeln!(out, "{name}{{{labels}}} {v} {}.{:03}", ms / 1000, ms % 1000);
        }
    };
    out.push_str("# HELP http_requests Requests handled.\n# TYPE http_requests counter\n");
    for job in ["api", "web"] {
        for instance in ["a:80", "b:80"] {
            for (code, rate) in [("200", 7u64), ("500", 1)] {
                let labels = format!("job=\"{job}\",instance=\"{instance}\",code=\"{code}\"");
                let mut total = 0.0;
                let reset = job == "web" && instance == "b:80";
                series(&mut out, "http_requests_total", &labels, &mut |k, r| {
                    if reset && k == 120 {
                        total = 0.0;
                    }
                    total += (r % (rate * 15 + 1)) as f64;
                    total
                });
            }
        }
    }
    out.push_str("# HELP temperature_celsius Room temperature.\n# TYPE temperature_celsius gauge\n");
    for (room, base) in [("hall", 19.0), ("lab", 22.5), ("roof", 8.0)] {
        series(
            &mut out,
            "temperature_celsius",
            &format!("room=\"{room}\""),
            &mut |k, r| base + (k as f64 / 20.0).sin() * 3.0 + (r % 100) as f64 / 100.0,
        );
    }
    out.push_str("# HELP request_seconds Request latency.\n# TYPE request_seconds histogram\n");
    let mut counts = [0u64; 4];
    let mut sums = Vec::new();
    let mut buckets: Vec<Vec<u64>> = vec![Vec::new(); 4];
    let mut rng = 12345u64;
    for _ in 0..steps {
        let mut sum_step = 0.0;
        for _ in 0..5 {
            rng = rng
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let obs = (rng >> 33) as f64 / (1u64 << 31) as f64 * 2.0;
            sum_step += obs;
            for (i, le) in [0.1, 0.5, 1.0, f64::INFINITY].iter().enumerate() {
                if obs <= *le {
                    counts[i] += 1;
                }
            }
        }
        for (i, c) in counts.iter().enumerate() {
            buckets[i].push(*c);
        }
        sums.push(sums.last().copied().unwrap_or(0.0) + sum_step);
    }
    for (i, le) in ["0.1", "0.5", "1.0", "+Inf"].iter().enumerate() {
        let b = &buckets[i];
        series(
            &mut out,
            "request_seconds_bucket",
            &format!("job=\"api\",le=\"{le}\""),
            &mut |k, _| b[k as usize] as f64,
        );
    }
    series(&mut out, "request_seconds_count", "job=\"api\"", &mut |k, _| {
        buckets[3][k as usize] as f64
    });
    series(&mut out, "request_seconds_sum", "job=\"api\"", &mut |k, _| {
        sums[k as usize]
    });
    out.push_str("# HELP build Build information.\n# TYPE build gauge\n");
    series(
        &mut out,
        "build_info",
        "version=\"1.2.3\",goversion=\"go1.21\"",
        &mut |_, _| 1.0,
    );
    out.push_str("# EOF\n");
    out
}

/// Copies the regular files of `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A reference Prometheus and Rill serving copies of the same promtool blocks.
pub struct Pair {
    /// The reference Prometheus.
    pub prometheus: Prometheus,
    /// Rill over its own copy.
    pub rill: Rill,
    /// Scratch directory (blocks, copies, logs); removed on drop, after the servers stop.
    pub tmp: TempDir,
}

impl Pair {
    /// Builds blocks from [`openmetrics`] with promtool and starts both servers on copies.
    /// Prometheus runs with compaction off (2 h min = max block range), so it serves exactly
    /// promtool's blocks, and with a scrape config that scrapes nothing.
    pub async fn start(tag: &str) -> Pair {
        let tmp = TempDir::new(tag);
        let om = tmp.0.join("data.om");
        std::fs::write(&om, openmetrics()).unwrap();
        let blocks = tmp.0.join("blocks");
        let out = Command::new("promtool")
            .args(["tsdb", "create-blocks-from", "openmetrics"])
            .arg(&om)
            .arg(&blocks)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "promtool create-blocks-from: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (ref_dir, rill_dir) = (tmp.0.join("ref"), tmp.0.join("rill"));
        copy_dir(&blocks, &ref_dir);
        copy_dir(&blocks, &rill_dir);
        let prometheus = Prometheus::start(
            &tmp.0,
            Some(&ref_dir),
            free_port(),
            "global:\n  scrape_interval: 1h\nscrape_configs: []\n",
            &[
                "--storage.tsdb.retention.time=100y",
                "--storage.tsdb.min-block-duration=2h",
                "--storage.tsdb.max-block-duration=2h",
            ],
        );
        let rill = Rill::start(&rill_dir).await;
        prometheus.wait_ready(&reqwest::Client::new()).await;
        Pair { prometheus, rill, tmp }
    }

    /// Stops both servers.
    pub async fn stop(mut self) {
        self.prometheus.stop();
        self.rill.stop().await;
    }
}
