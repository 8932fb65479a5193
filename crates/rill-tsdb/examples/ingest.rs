//! Ingest throughput through the append API (`rill_model::Appendable`), with fsync Never and
//! Always. Each commit is one "scrape": one sample for each of SERIES series. Also prints the
//! WAL's fsync count and mean duration (`Db::fsync_stats`).
//!
//! `cargo run --release -p rill-tsdb --example ingest -- [SERIES] [SCRAPES]` (defaults 10000, 200).

use std::time::{Duration, Instant};

use rill_model::{Appendable, Labels, Sample};
use rill_tsdb::{Db, DbOptions, FsyncPolicy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let series: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let scrapes: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let labels: Vec<Labels> = (0..series)
        .map(|i| {
            Labels::from_pairs([
                ("__name__", format!("metric_{}", i % 100)),
                ("instance", format!("host-{}", i / 100)),
                ("job", "bench".to_string()),
            ])
        })
        .collect();
    for fsync in [
        FsyncPolicy::Never,
        FsyncPolicy::Interval(Duration::from_secs(1)),
        FsyncPolicy::Always,
    ] {
        let dir = tempfile::tempdir()?;
        let db = Db::open(
            dir.path(),
            DbOptions {
                fsync,
                retention_time: None,
                ..DbOptions::default()
            },
        )?;
        let start = Instant::now();
        for s in 0..scrapes {
            let mut app = db.appender();
            for (i, l) in labels.iter().enumerate() {
                app.append(l, Sample::float(s * 15_000, (s as f64) * 1.5 + i as f64))?;
            }
            app.commit()?;
        }
        db.close()?;
        let secs = start.elapsed().as_secs_f64();
        let n = series as f64 * scrapes as f64;
        let fsyncs = db.fsync_stats().snapshot();
        let mean_ms = if fsyncs.count > 0 {
            fsyncs.sum_seconds * 1000.0 / fsyncs.count as f64
        } else {
            0.0
        };
        println!(
            "fsync {fsync:?}: {n:.0} samples in {secs:.2}s = {:.0} samples/s ({:.1} commits/s of {series} samples; \
             {} fsyncs, mean {mean_ms:.2} ms)",
            n / secs,
            scrapes as f64 / secs,
            fsyncs.count
        );
    }
    Ok(())
}
