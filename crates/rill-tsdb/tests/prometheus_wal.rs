//! Replays the `wal/` of a real Prometheus: starts Debian's `prometheus` on 127.0.0.1 scraping
//! itself every second for ~30 s, stops it with SIGTERM, copies its data directory and opens
//! the copy (read-only and read-write); its `up` and `prometheus_*` series must be in the head.
//! Prints SKIP if `prometheus` is not installed.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rill_model::{MatchOp, Matcher};
use rill_tsdb::{Db, DbOptions};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[test]
fn replays_a_prometheus_wal() {
    if Command::new("prometheus").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the real peer is missing in CI; scripts/test.sh installs it"
        );
        println!("SKIP: prometheus is not installed");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let port = free_port();
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    )
    .expect("config");
    let mut child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let secs: u64 = std::env::var("RILL_PROM_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    std::thread::sleep(Duration::from_secs(secs));
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();

    let copy = tmp.path().join("copy");
    common::copy_dir(&data, &copy);
    for read_only in [true, false] {
        let db = if read_only {
            Db::open_read_only(&copy).expect("open read-only")
        } else {
            Db::open(&copy, DbOptions::default()).expect("open")
        };
        let stats = db.replay_stats().clone();
        assert!(stats.series > 50, "few series replayed: {stats:?}");
        let up = common::samples(&db, &[Matcher::equal("__name__", "up")]);
        assert_eq!(up.len(), 1, "up series");
        let (_, ups) = &up[0];
        assert!(ups.len() >= 3, "only {} up samples", ups.len());
        assert!(
            ups.iter()
                .all(|s| s.v == rill_model::Value::Float(1.0) || s.v.is_stale())
        );
        let prom = common::samples(
            &db,
            &[Matcher::new(MatchOp::Regex, "__name__", "prometheus_.*").expect("regex")],
        );
        assert!(prom.len() > 50, "only {} prometheus_* series", prom.len());
        println!(
            "prometheus wal (read_only={read_only}): {} series, {} samples, up samples {}, prometheus_* series {}",
            stats.series,
            stats.samples,
            ups.len(),
            prom.len()
        );
        db.close().expect("close");
    }
}
