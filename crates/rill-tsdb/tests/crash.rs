//! Crash safety: a child process (this test binary, re-executed) appends and commits batches
//! with fsync Always and prints each acknowledged batch id; the parent SIGKILLs it at a random
//! moment, reopens the Db and checks that every acknowledged sample is queryable, once. The
//! block duration is short, so the background compactor runs while the child is killed.
//!
//! `RILL_CRASH_ROUNDS` sets the number of rounds (default 20; `scripts/crash-campaign.sh` runs
//! 1,000).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rill_model::{Appendable, Labels, Matcher, Sample};
use rill_tsdb::{Db, DbOptions, FsyncPolicy};

const CHILD_ENV: &str = "RILL_CRASH_CHILD";
const SERIES: u64 = 10;

/// Batch ids are millisecond timestamps, so a 300 ms block duration makes the background
/// compactor write a block every few hundred batches: kills also land during compactions,
/// checkpoints and segment switches.
fn opts() -> DbOptions {
    DbOptions {
        fsync: FsyncPolicy::Always,
        segment_size: 64 * 1024,
        block_duration: Duration::from_millis(300),
        retention_time: None,
        ..DbOptions::default()
    }
}

fn labels(s: u64) -> Labels {
    Labels::from_pairs([("__name__", "crash_test".to_string()), ("series", s.to_string())])
}

/// The batch id is the timestamp: batch `b` writes `t = b` to every series with value `b`.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = Db::open(Path::new(&dir), opts()).expect("child open");
    let start = db.head().max_time().max(db.head().min_valid_time()).max(0) + 1;
    for b in start.. {
        let mut app = db.appender();
        for s in 0..SERIES {
            app.append(&labels(s), Sample::float(b, b as f64)).expect("append");
        }
        app.commit().expect("commit");
        println!("ack {b}");
    }
}

fn pseudo_random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn acknowledged_samples_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let rounds: u64 = std::env::var("RILL_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("current exe");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(std::process::id());
    let mut acked_total = 0u64;
    let mut max_acked = 0i64;
    let mut blocks = 0;
    let started = Instant::now();
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let kill_after = Duration::from_millis(50 + pseudo_random(&mut seed) % 400);
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(b) = line.strip_prefix("ack ").and_then(|b| b.parse::<i64>().ok()) {
                    let _ = tx.send(b);
                }
            }
        });
        std::thread::sleep(kill_after);
        child.kill().expect("SIGKILL child");
        let _ = child.wait();
        let _ = reader.join();
        let acked: Vec<i64> = rx.try_iter().collect();
        acked_total += acked.len() as u64;
        if let Some(&m) = acked.iter().max() {
            max_acked = max_acked.max(m);
        }
        // Reopen in-process and check every acknowledged batch so far.
        let db = Db::open(dir.path(), opts()).expect("reopen after SIGKILL");
        let got = common::samples(&db, &[Matcher::equal("__name__", "crash_test")]);
        for s in 0..SERIES {
            let l = labels(s);
            let series = got.iter().find(|(gl, _)| *gl == l);
            let have: Vec<i64> = series.map(|(_, v)| v.iter().map(|x| x.t).collect()).unwrap_or_default();
            assert!(
                have.windows(2).all(|w| w[0] < w[1]),
                "round {round}: series {s} returns a sample twice"
            );
            for b in 1..=max_acked {
                assert!(
                    have.binary_search(&b).is_ok(),
                    "round {round}: acknowledged batch {b} of series {s} missing (have up to {:?})",
                    have.last()
                );
            }
        }
        blocks = db.blocks().blocks().len();
        db.close().expect("close");
    }
    println!(
        "crash rounds: {rounds}, acknowledged batches: {acked_total}, samples verified: {}, max batch {max_acked}, \
         blocks compacted {blocks}, {:.1}s",
        max_acked as u64 * SERIES,
        started.elapsed().as_secs_f64()
    );
    assert!(max_acked > 0, "the child never acknowledged anything");
}
