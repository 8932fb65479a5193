//! The deterministic demo dataset: a few hundred realistic series over a fixed two hours.
//!
//! Used by tests, benches, the CLI demo and the web UI, so every run sees the same data. It is
//! generated from a hand-written SplitMix64 PRNG with a fixed seed (no `rand`), and it models a
//! small deployment scraped every 15 s with a few milliseconds of scrape jitter:
//!
//! | family | series | notes |
//! |---|---|---|
//! | `up{job,instance}` | 13 | `worker-1` is down for 5 minutes (`up == 0`, no other samples) |
//! | `http_requests_total{job,instance,method,status}` | 43 | counters; reset when a process restarts |
//! | `http_request_duration_seconds_{bucket,sum,count}{job,instance,method}` | 196 | classic histograms |
//! | `http_requests_in_flight{job,instance}` | 7 | gauge |
//! | `process_resident_memory_bytes{job,instance}` | 10 | gauge, drops at restarts |
//! | `node_memory_MemAvailable_bytes{job,instance}` | 3 | gauge |
//! | `node_cpu_seconds_total{job,instance,cpu,mode}` | 48 | counters, 4 CPUs × 4 modes per host |
//!
//! Between scrapes 300 and 340 the `api` job has an incident: more traffic, more 500s, slower
//! requests. Data goes to any [`DemoSink`]; [`demo_dataset`] fills a [`MemoryStore`] and
//! [`write_demo_openmetrics`] writes OpenMetrics text (e.g. for `promtool tsdb
//! create-blocks-from openmetrics`).

use std::io::Write;
use std::ops::Range;

use rill_model::{Label, Labels, MemoryStore, Sample};

use crate::text::MetricType;
use crate::{Error, Result};

/// Length of the dataset: two hours, in milliseconds.
pub const DEMO_SPAN_MS: i64 = 2 * 60 * 60 * 1000;
/// Start of the dataset (ms since the epoch): 2023-11-14T22:13:20Z.
pub const DEMO_START_MS: i64 = 1_700_000_000_000;
/// End of the dataset: every sample is at or before this timestamp.
pub const DEMO_END_MS: i64 = DEMO_START_MS + DEMO_SPAN_MS;
/// Scrape interval of every target.
pub const DEMO_SCRAPE_INTERVAL_MS: i64 = 15_000;
/// Number of scrapes per target.
pub const DEMO_SCRAPES: usize = (DEMO_SPAN_MS / DEMO_SCRAPE_INTERVAL_MS) as usize;
/// Seed of the generator.
pub const DEMO_SEED: u64 = 0x5eed_0f04_110c_0d00;
/// Scrapes during which the `api` job has an incident (more traffic, errors and latency).
pub const DEMO_INCIDENT: Range<usize> = 300..340;

/// SplitMix64: a tiny, fast, well-mixed PRNG, good enough for synthetic data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1]
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A non-negative integer count with mean `lambda` (normal approximation of Poisson).
    pub fn count(&mut self, lambda: f64) -> f64 {
        (lambda + lambda.sqrt() * self.normal()).round().max(0.0)
    }
}

/// Receives the generated data. Series are declared before their samples; each series' samples
/// arrive in increasing time order. Labels are sorted by name and include `__name__`.
pub trait DemoSink {
    /// Called once per metric family, before the family's series. `name` is the family name
    /// (for counters, without the `_total` suffix).
    fn family(&mut self, name: &str, kind: MetricType, help: &str) -> Result<()>;
    /// Declares a series and returns the id that [`DemoSink::sample`] will receive for it.
    fn series(&mut self, labels: &[(&str, &str)]) -> Result<usize>;
    /// One sample of a declared series.
    fn sample(&mut self, series: usize, t: i64, v: f64) -> Result<()>;
}

/// Fills `store` with the demo dataset.
pub fn demo_dataset(store: &mut MemoryStore) -> Result<()> {
    struct StoreSink<'s> {
        store: &'s mut MemoryStore,
        series: Vec<Labels>,
    }
    impl DemoSink for StoreSink<'_> {
        fn family(&mut self, _: &str, _: MetricType, _: &str) -> Result<()> {
            Ok(())
        }
        fn series(&mut self, labels: &[(&str, &str)]) -> Result<usize> {
            let v = labels.iter().map(|&(n, v)| Label::new(n, v)).collect();
            self.series.push(Labels::from_sorted(v));
            Ok(self.series.len() - 1)
        }
        fn sample(&mut self, series: usize, t: i64, v: f64) -> Result<()> {
            let labels = self.series.get(series).ok_or(Error::Internal {
                reason: "demo sample for an undeclared series",
            })?;
            self.store.append(labels, Sample::float(t, v))?;
            Ok(())
        }
    }
    generate_demo(&mut StoreSink {
        store,
        series: Vec::new(),
    })
}

/// Writes the demo dataset as one OpenMetrics document (float-second timestamps, `# EOF`).
pub fn write_demo_openmetrics(w: &mut impl Write) -> Result<()> {
    struct OmSink<'w, W: Write> {
        w: &'w mut W,
        series: Vec<String>,
    }
    impl<W: Write> DemoSink for OmSink<'_, W> {
        fn family(&mut self, name: &str, kind: MetricType, help: &str) -> Result<()> {
            let kind = match kind {
                MetricType::Counter => "counter",
                MetricType::Gauge => "gauge",
                MetricType::Histogram => "histogram",
                _ => "unknown",
            };
            self.series.clear();
            writeln!(self.w, "# HELP {name} {help}\n# TYPE {name} {kind}")?;
            Ok(())
        }
        fn series(&mut self, labels: &[(&str, &str)]) -> Result<usize> {
            let name = labels.iter().find(|(n, _)| *n == "__name__").map_or("", |(_, v)| *v);
            let mut s = format!("{name}{{");
            let mut first = true;
            for (n, v) in labels.iter().filter(|(n, _)| *n != "__name__") {
                if !first {
                    s.push(',');
                }
                first = false;
                let v = v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
                s.push_str(&format!("{n}=\"{v}\""));
            }
            s.push('}');
            self.series.push(s);
            Ok(self.series.len() - 1)
        }
        fn sample(&mut self, series: usize, t: i64, v: f64) -> Result<()> {
            let prefix = self.series.get(series).map_or("", String::as_str);
            let (secs, ms) = (t.div_euclid(1000), t.rem_euclid(1000));
            writeln!(self.w, "{prefix} {} {secs}.{ms:03}", rill_model::format_value(v))?;
            Ok(())
        }
    }
    let mut sink = OmSink { w, series: Vec::new() };
    generate_demo(&mut sink)?;
    writeln!(sink.w, "# EOF")?;
    Ok(())
}

/// One scrape target.
struct Target {
    job: &'static str,
    instance: String,
    /// Scrape timestamps (ms), one per scrape, `None` while the target is down.
    ts: Vec<Option<i64>>,
    /// Scrapes at which the process (re)started: counters start again from zero.
    restarts: Vec<usize>,
}

fn targets(rng: &mut SplitMix64) -> Vec<Target> {
    let specs: [(&str, &str, usize, u16); 4] = [
        ("api", "api", 4, 8080),
        ("frontend", "frontend", 3, 3000),
        ("worker", "worker", 3, 8081),
        ("node", "host", 3, 9100),
    ];
    let mut out = Vec::new();
    for (job, host, n, port) in specs {
        for i in 0..n {
            let instance = format!("{host}-{i}:{port}");
            let phase = (rng.next_u64() % 14_000) as i64;
            let down = if job == "worker" && i == 1 { 200..220 } else { 0..0 };
            let restarts = match (job, i) {
                ("api", 1) => vec![150],
                ("frontend", 2) => vec![320],
                ("worker", 1) => vec![220],
                _ => vec![],
            };
            let ts = (0..DEMO_SCRAPES)
                .map(|k| {
                    let jitter = (rng.next_u64() % 7) as i64 - 3;
                    let t = DEMO_START_MS + phase + k as i64 * DEMO_SCRAPE_INTERVAL_MS + jitter;
                    (!down.contains(&k)).then_some(t.clamp(DEMO_START_MS, DEMO_END_MS))
                })
                .collect();
            out.push(Target {
                job,
                instance,
                ts,
                restarts,
            });
        }
    }
    out
}

/// Sorts labels by name, as [`DemoSink::series`] promises.
fn sorted<'a>(mut labels: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
    labels
}

/// Request rate (per second) of a target at scrape `k`: a slow wave, plus the api incident.
fn traffic(job: &str, k: usize, base: f64) -> f64 {
    let wave = 1.0 + 0.3 * (k as f64 / DEMO_SCRAPES as f64 * std::f64::consts::TAU).sin();
    let incident = if job == "api" && DEMO_INCIDENT.contains(&k) {
        2.5
    } else {
        1.0
    };
    base * wave * incident
}

/// Histogram bucket bounds of `http_request_duration_seconds`.
const BUCKETS: [(f64, &str); 12] = [
    (0.005, "0.005"),
    (0.01, "0.01"),
    (0.025, "0.025"),
    (0.05, "0.05"),
    (0.1, "0.1"),
    (0.25, "0.25"),
    (0.5, "0.5"),
    (1.0, "1"),
    (2.5, "2.5"),
    (5.0, "5"),
    (10.0, "10"),
    (f64::INFINITY, "+Inf"),
];

/// Generates the whole dataset into `sink`, deterministically.
pub fn generate_demo(sink: &mut impl DemoSink) -> Result<()> {
    let mut rng = SplitMix64::new(DEMO_SEED);
    let targets = targets(&mut rng);
    let secs = DEMO_SCRAPE_INTERVAL_MS as f64 / 1000.0;

    sink.family("up", MetricType::Gauge, "Whether the target was scraped successfully.")?;
    for t in &targets {
        let id = sink.series(&sorted(vec![
            ("__name__", "up"),
            ("job", t.job),
            ("instance", &t.instance),
        ]))?;
        for k in 0..DEMO_SCRAPES {
            let ts = DEMO_START_MS + k as i64 * DEMO_SCRAPE_INTERVAL_MS;
            match t.ts.get(k).copied().flatten() {
                Some(at) => sink.sample(id, at, 1.0)?,
                None => sink.sample(id, ts, 0.0)?,
            }
        }
    }

    let http_targets = || targets.iter().filter(|t| t.job == "api" || t.job == "frontend");

    sink.family(
        "http_requests",
        MetricType::Counter,
        "Total HTTP requests by method and status.",
    )?;
    for t in http_targets() {
        let combos: &[(&str, &str, f64)] = if t.job == "api" {
            &[
                ("GET", "200", 20.0),
                ("GET", "404", 0.8),
                ("GET", "500", 0.1),
                ("POST", "201", 5.0),
                ("POST", "500", 0.05),
                ("PUT", "200", 1.5),
                ("DELETE", "200", 0.3),
            ]
        } else {
            &[
                ("GET", "200", 40.0),
                ("GET", "304", 12.0),
                ("GET", "404", 1.0),
                ("GET", "500", 0.05),
                ("POST", "200", 3.0),
            ]
        };
        for &(method, status, base) in combos {
            let id = sink.series(&sorted(vec![
                ("__name__", "http_requests_total"),
                ("job", t.job),
                ("instance", &t.instance),
                ("method", method),
                ("status", status),
            ]))?;
            // The process has been up for a while before the window starts.
            let mut v = (base * (3600.0 + rng.next_f64() * 86_400.0)).round();
            for k in 0..DEMO_SCRAPES {
                let Some(at) = t.ts.get(k).copied().flatten() else {
                    continue;
                };
                if t.restarts.contains(&k) {
                    v = 0.0;
                }
                let mut rate = traffic(t.job, k, base);
                if status == "500" && t.job == "api" && DEMO_INCIDENT.contains(&k) {
                    rate *= 20.0;
                }
                v += rng.count(rate * secs);
                sink.sample(id, at, v)?;
            }
        }
    }

    sink.family(
        "http_request_duration_seconds",
        MetricType::Histogram,
        "HTTP request latency.",
    )?;
    for t in http_targets() {
        for (method, base, median) in [("GET", 20.0, 0.04), ("POST", 5.0, 0.12)] {
            let base = if t.job == "frontend" { base * 2.0 } else { base };
            let mut ids = Vec::with_capacity(BUCKETS.len() + 2);
            for (_, le) in BUCKETS {
                ids.push(sink.series(&sorted(vec![
                    ("__name__", "http_request_duration_seconds_bucket"),
                    ("job", t.job),
                    ("instance", &t.instance),
                    ("method", method),
                    ("le", le),
                ]))?);
            }
            let labels = |name| {
                sorted(vec![
                    ("__name__", name),
                    ("job", t.job),
                    ("instance", t.instance.as_str()),
                    ("method", method),
                ])
            };
            let count_id = sink.series(&labels("http_request_duration_seconds_count"))?;
            let sum_id = sink.series(&labels("http_request_duration_seconds_sum"))?;
            let mut bins = [0.0f64; BUCKETS.len()];
            let mut sum = 0.0f64;
            for k in 0..DEMO_SCRAPES {
                let Some(at) = t.ts.get(k).copied().flatten() else {
                    continue;
                };
                if t.restarts.contains(&k) {
                    bins = [0.0; BUCKETS.len()];
                    sum = 0.0;
                }
                let slow = if t.job == "api" && DEMO_INCIDENT.contains(&k) {
                    4.0
                } else {
                    1.0
                };
                let n = rng.count(traffic(t.job, k, base) * secs) as usize;
                for _ in 0..n {
                    let latency = median * slow * (0.8 * rng.normal()).exp();
                    sum += latency;
                    let i = BUCKETS
                        .iter()
                        .position(|&(le, _)| latency <= le)
                        .unwrap_or(BUCKETS.len() - 1);
                    if let Some(b) = bins.get_mut(i) {
                        *b += 1.0;
                    }
                }
                let mut cumulative = 0.0;
                for (&id, &b) in ids.iter().zip(&bins) {
                    cumulative += b;
                    sink.sample(id, at, cumulative)?;
                }
                sink.sample(count_id, at, cumulative)?;
                sink.sample(sum_id, at, sum)?;
            }
        }
    }

    sink.family(
        "http_requests_in_flight",
        MetricType::Gauge,
        "HTTP requests currently being served.",
    )?;
    for t in http_targets() {
        let id = sink.series(&sorted(vec![
            ("__name__", "http_requests_in_flight"),
            ("job", t.job),
            ("instance", &t.instance),
        ]))?;
        for k in 0..DEMO_SCRAPES {
            let Some(at) = t.ts.get(k).copied().flatten() else {
                continue;
            };
            let v = rng.count(traffic(t.job, k, 0.2));
            sink.sample(id, at, v)?;
        }
    }

    sink.family(
        "process_resident_memory_bytes",
        MetricType::Gauge,
        "Resident memory size in bytes.",
    )?;
    for t in targets.iter().filter(|t| t.job != "node") {
        let id = sink.series(&sorted(vec![
            ("__name__", "process_resident_memory_bytes"),
            ("job", t.job),
            ("instance", &t.instance),
        ]))?;
        let base = match t.job {
            "api" => 180e6,
            "frontend" => 90e6,
            _ => 400e6,
        };
        let mut v = base * (1.2 + 0.3 * rng.next_f64());
        for k in 0..DEMO_SCRAPES {
            let Some(at) = t.ts.get(k).copied().flatten() else {
                continue;
            };
            if t.restarts.contains(&k) {
                v = base;
            }
            // Slow growth with noise, as heaps do; whole pages.
            v = (v * (1.0 + 0.0004 + 0.002 * rng.normal())).max(base * 0.5);
            sink.sample(id, at, (v / 4096.0).round() * 4096.0)?;
        }
    }

    let nodes = || targets.iter().filter(|t| t.job == "node");
    sink.family(
        "node_memory_MemAvailable_bytes",
        MetricType::Gauge,
        "Memory information field MemAvailable_bytes.",
    )?;
    for t in nodes() {
        let id = sink.series(&sorted(vec![
            ("__name__", "node_memory_MemAvailable_bytes"),
            ("job", t.job),
            ("instance", &t.instance),
        ]))?;
        let total = 16.0 * 1024.0 * 1024.0 * 1024.0;
        let mut used = 0.4 + 0.2 * rng.next_f64();
        for k in 0..DEMO_SCRAPES {
            let Some(at) = t.ts.get(k).copied().flatten() else {
                continue;
            };
            used = (used + 0.005 * rng.normal()).clamp(0.1, 0.95);
            sink.sample(id, at, ((1.0 - used) * total / 4096.0).round() * 4096.0)?;
        }
    }

    sink.family(
        "node_cpu_seconds",
        MetricType::Counter,
        "Seconds the CPUs spent in each mode.",
    )?;
    const CPUS: [&str; 4] = ["0", "1", "2", "3"];
    const MODES: [(&str, f64); 4] = [("idle", 0.7), ("iowait", 0.02), ("system", 0.08), ("user", 0.2)];
    for t in nodes() {
        for cpu in CPUS {
            for (mode, share) in MODES {
                let id = sink.series(&sorted(vec![
                    ("__name__", "node_cpu_seconds_total"),
                    ("job", t.job),
                    ("instance", &t.instance),
                    ("cpu", cpu),
                    ("mode", mode),
                ]))?;
                let mut v = (share * 1.2e6 * (0.9 + 0.2 * rng.next_f64()) * 100.0).round() / 100.0;
                for k in 0..DEMO_SCRAPES {
                    let Some(at) = t.ts.get(k).copied().flatten() else {
                        continue;
                    };
                    let inc = (secs * share * (1.0 + 0.2 * rng.normal())).max(0.0);
                    v = ((v + inc) * 100.0).round() / 100.0;
                    sink.sample(id, at, v)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{Entry, TextFormat, TextParser};

    #[test]
    fn deterministic() {
        let mut a = MemoryStore::new();
        let mut b = MemoryStore::new();
        demo_dataset(&mut a).expect("demo loads");
        demo_dataset(&mut b).expect("demo loads");
        assert_eq!(a.num_series(), b.num_series());
        for ((la, sa), (lb, sb)) in a.iter().zip(b.iter()) {
            assert_eq!(la, lb);
            assert_eq!(sa.len(), sb.len());
            for (x, y) in sa.iter().zip(sb) {
                assert_eq!(format!("{x:?}"), format!("{y:?}"));
            }
        }
        let mut oa = Vec::new();
        let mut ob = Vec::new();
        write_demo_openmetrics(&mut oa).expect("writes");
        write_demo_openmetrics(&mut ob).expect("writes");
        assert_eq!(oa, ob);
    }

    #[test]
    fn sane() {
        let mut s = MemoryStore::new();
        demo_dataset(&mut s).expect("demo loads");
        assert_eq!(s.num_series(), 13 + 43 + 196 + 7 + 10 + 3 + 48);
        let mut resets = 0;
        for (labels, samples) in s.iter() {
            let name = labels.metric_name().unwrap_or("");
            assert!(!samples.is_empty(), "{labels}");
            let floats: Vec<(i64, f64)> = samples
                .iter()
                .map(|smp| {
                    let v = match &smp.v {
                        rill_model::Value::Float(f) => *f,
                        other => panic!("unexpected {other:?}"),
                    };
                    (smp.t, v)
                })
                .collect();
            for w in floats.windows(2) {
                let [(t0, v0), (t1, v1)] = [w[0], w[1]];
                assert!(t1 > t0, "{labels}: timestamps must increase");
                let counter = ["_total", "_bucket", "_count", "_sum"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix));
                if counter && v1 < v0 {
                    resets += 1;
                    let inst = labels.get("instance").unwrap_or("");
                    assert!(
                        ["api-1:8080", "frontend-2:3000", "worker-1:8081"].contains(&inst),
                        "unexpected reset in {labels}"
                    );
                }
            }
            for &(t, v) in &floats {
                assert!((DEMO_START_MS..=DEMO_END_MS).contains(&t));
                assert!(v.is_finite() && v >= 0.0, "{labels} {v}");
            }
        }
        assert!(resets > 30, "restarts should reset counters ({resets})");
    }

    #[test]
    fn openmetrics_output_parses_back() {
        let mut out = Vec::new();
        write_demo_openmetrics(&mut out).expect("writes");
        let mut store = MemoryStore::new();
        demo_dataset(&mut store).expect("demo loads");
        let mut p = TextParser::new(&out[..], 0);
        let mut samples = 0usize;
        let mut eof = false;
        while let Some(e) = p.next_entry().expect("own output parses") {
            match e {
                Entry::Sample(s) => {
                    assert!(s.has_timestamp);
                    samples += 1;
                }
                Entry::Eof => eof = true,
                _ => {}
            }
        }
        assert_eq!(p.format(), Some(TextFormat::OpenMetrics));
        assert!(eof);
        assert_eq!(samples, store.num_samples());
    }
}
