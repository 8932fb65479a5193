//! Prometheus reads Rill's blocks, and Rill's import equals promtool's backfill.
//!
//! - A block written by [`BlockWriter`] passes `promtool tsdb analyze`, and every sample of
//!   `promtool tsdb dump` equals what was written.
//! - `import_text` of a generated OpenMetrics file gives exactly the series and samples that
//!   `promtool tsdb create-blocks-from openmetrics` gives for the same file.
//!
//! Needs `promtool` (Debian: `apt-get install prometheus`); without it each test prints a SKIP
//! line and passes. The import comparison also needs `python3` and the bench generator in
//! `shared/bench/` next to the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rill_model::{CounterResetHint, FloatHistogram, Labels, Sample, Span, Value};
use rill_tsdb::dump::dump_samples;
use rill_tsdb::{BlockSet, BlockWriter, ImportOptions, import_text};

const T0: i64 = 1_700_000_000_000;

mod promtool_support;
use promtool_support::{promtool_available, temp_dir};

fn promtool(args: &[&str], dir: &Path) -> String {
    let out = Command::new("promtool")
        .args(args)
        .arg(dir)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Series with varied floats (integers, fractions, negatives, huge and tiny values, +Inf).
fn float_series() -> Vec<(Labels, Vec<Sample>)> {
    let mut out: Vec<(Labels, Vec<Sample>)> = (0..500)
        .map(|i| {
            let l = Labels::from_pairs([
                ("__name__", format!("rill_metric_{}", i % 7)),
                ("instance", format!("host-{i:04}:9100")),
                ("path", format!("/api/v{}/{}", i % 3, "x".repeat(i % 11))),
            ]);
            let samples = (0..(50 + i as i64 % 400))
                .map(|k| {
                    let v = match k % 9 {
                        0 => k as f64,
                        1 => -(k as f64) / 3.0,
                        2 => 1e300 * k as f64,
                        3 => 1.0 / (k as f64 + 7.0),
                        4 if k == 4 => f64::INFINITY,
                        _ => (i as f64 + 0.25) * k as f64,
                    };
                    Sample::float(T0 + k * 15_000 + (k * 7) % 1000, v)
                })
                .collect();
            (l, samples)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Parses `promtool tsdb dump` lines: `{labels} value timestamp`.
fn parse_dump(text: &str) -> BTreeMap<String, Vec<(i64, u64)>> {
    let mut out: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let (labels, rest) = line.rsplit_once("} ").expect("dump line");
        let (v, t) = rest.split_once(' ').expect("value and timestamp");
        let v: f64 = v.parse().unwrap_or_else(|_| panic!("value in {line}"));
        out.entry(format!("{labels}}}"))
            .or_default()
            .push((t.parse().expect("timestamp"), v.to_bits()));
    }
    out
}

#[test]
fn promtool_reads_rill_blocks() {
    if !promtool_available() {
        return;
    }
    let dir = temp_dir("wp-dump");
    let series = float_series();
    let maxt = series
        .iter()
        .flat_map(|(_, s)| s.last())
        .map(|s| s.t)
        .max()
        .unwrap_or(T0)
        + 1;
    let started = Instant::now();
    let mut w = BlockWriter::new(&dir, T0, maxt).expect("writer");
    for (l, s) in &series {
        w.add_series(l, s.iter().cloned()).expect("add series");
    }
    let block = w.finish().expect("finish").expect("a block");
    let n = block.meta.stats.num_samples;
    println!(
        "block write: {n} samples in {:?} ({:.0} samples/s)",
        started.elapsed(),
        n as f64 / started.elapsed().as_secs_f64()
    );
    let analyze = promtool(&["tsdb", "analyze"], &dir);
    assert!(analyze.contains(&format!("Block ID: {}", block.meta.ulid)), "{analyze}");
    assert!(analyze.contains("Series: 500"), "{analyze}");
    std::fs::create_dir_all(dir.join("wal")).expect("wal dir for promtool dump");
    let dumped = parse_dump(&promtool(&["tsdb", "dump"], &dir));
    let want: BTreeMap<String, Vec<(i64, u64)>> = series
        .iter()
        .map(|(l, s)| {
            let samples = s
                .iter()
                .map(|s| match s.v {
                    Value::Float(f) => (s.t, f.to_bits()),
                    Value::Histogram(_) => unreachable!("floats only"),
                })
                .collect();
            (format_labels(l), samples)
        })
        .collect();
    assert_eq!(dumped.len(), want.len());
    for (k, v) in &want {
        assert_eq!(dumped.get(k), Some(v), "series {k}");
    }

    // Native histograms (float-histogram chunks) are accepted by promtool's analyzer too.
    let hdir = temp_dir("wp-dump-hist");
    let mut w = BlockWriter::new(&hdir, T0, T0 + 3_600_000).expect("writer");
    let h = |k: f64| FloatHistogram {
        counter_reset_hint: CounterResetHint::Unknown,
        schema: 0,
        count: 3.0 * k,
        sum: 1.5 * k,
        positive_spans: vec![Span { offset: 0, length: 2 }],
        positive_buckets: vec![k, 2.0 * k],
        ..FloatHistogram::default()
    };
    let samples = (0..300).map(|k| Sample::histogram(T0 + k * 10_000, h(k as f64 + 1.0)));
    w.add_series(&Labels::from_pairs([("__name__", "h")]), samples)
        .expect("histograms");
    w.finish().expect("finish").expect("a block");
    let analyze = promtool(&["tsdb", "analyze"], &hdir);
    assert!(analyze.contains("Series: 1"), "{analyze}");
}

/// Labels as promtool prints them: `{a="b", c="d"}`.
fn format_labels(l: &Labels) -> String {
    let pairs: Vec<String> = l.iter().map(|l| format!("{}={:?}", l.name, &*l.value)).collect();
    format!("{{{}}}", pairs.join(", "))
}

fn generator() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/gen_openmetrics.py");
    if p.is_file() {
        return Some(p);
    }
    println!("SKIP: {} not found", p.display());
    None
}

/// Every series and sample of a data dir, as labels text → (t, value bits).
fn read_dir_samples(dir: &Path) -> BTreeMap<String, Vec<(i64, u64)>> {
    let set = BlockSet::open(dir).expect("open blocks");
    dump_samples(&set, i64::MIN, i64::MAX)
        .expect("dump")
        .into_iter()
        .map(|(l, s)| {
            let s = s
                .into_iter()
                .map(|s| match s.v {
                    Value::Float(f) => (s.t, f.to_bits()),
                    Value::Histogram(_) => (s.t, 0),
                })
                .collect();
            (l.to_string(), s)
        })
        .collect()
}

#[test]
fn import_equals_promtool_backfill() {
    if !promtool_available() {
        return;
    }
    let Some(gen_script) = generator() else { return };
    let dir = temp_dir("wp-import");
    let om = dir.join("input.om");
    let ok = Command::new("python3")
        .arg(&gen_script)
        .args(["--series", "100", "--hours", "3", "-o"])
        .arg(&om)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("SKIP: python3 could not run the generator");
        return;
    }
    let theirs = dir.join("promtool");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&theirs)
        .output()
        .expect("run promtool");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let ours = dir.join("rill");
    let file = std::io::BufReader::new(std::fs::File::open(&om).expect("open input"));
    let started = Instant::now();
    let stats = import_text(file, &ours, &ImportOptions::default()).expect("import");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "import: {} samples, {} series, {} blocks in {secs:.2}s ({:.0} samples/s, debug build)",
        stats.samples,
        stats.series,
        stats.blocks.len(),
        stats.samples as f64 / secs
    );
    let want = read_dir_samples(&theirs);
    let got = read_dir_samples(&ours);
    assert_eq!(got.len(), want.len(), "series count");
    assert_eq!(stats.series as usize, want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "series {k}");
    }
    // Same block layout as promtool: one block per 2h window, same time ranges.
    let ranges = |d: &Path| {
        let mut r: Vec<(i64, i64)> = BlockSet::open(d)
            .expect("open")
            .blocks()
            .iter()
            .map(|b| (b.meta().min_time, b.meta().max_time))
            .collect();
        r.sort();
        r
    };
    assert_eq!(ranges(&ours), ranges(&theirs));

    // A spilling import (tiny buffer) gives the same data.
    let spilled = dir.join("rill-spill");
    let file = std::io::BufReader::new(std::fs::File::open(&om).expect("open input"));
    let opts = ImportOptions {
        max_buffered_samples: 40_000,
        ..ImportOptions::default()
    };
    let stats = import_text(file, &spilled, &opts).expect("spilling import");
    assert!(stats.spills > 0);
    assert_eq!(read_dir_samples(&spilled), want);
    assert_eq!(ranges(&spilled), ranges(&theirs));
}
