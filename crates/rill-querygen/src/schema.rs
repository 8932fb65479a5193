//! What the generator knows about the data: metric families, their kinds, their labels with
//! the values they take, and the time span the data covers.
//!
//! Queries built from a schema select series that exist, group by labels that exist and match
//! on labels both sides share, so most generated queries return data rather than nothing.

/// How a metric family behaves, which decides the functions it is a natural argument of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// A monotonic counter (`rate`, `increase`, `resets`).
    Counter,
    /// A gauge (`delta`, `deriv`, `*_over_time`).
    Gauge,
    /// The `_bucket` series of a classic histogram, with an `le` label.
    ClassicHistogram,
    /// Native histogram samples.
    NativeHistogram,
}

/// One metric family.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// The metric name (e.g. `http_requests_total`; for classic histograms, the `_bucket` name).
    pub name: String,
    /// Its kind.
    pub kind: MetricKind,
    /// Label names with values that occur (excluding `__name__`; `le` for classic histograms).
    pub labels: Vec<(String, Vec<String>)>,
}

impl Metric {
    /// A metric from string slices, for building schemas tersely.
    pub fn new(name: &str, kind: MetricKind, labels: &[(&str, &[&str])]) -> Self {
        Metric {
            name: name.to_string(),
            kind,
            labels: labels
                .iter()
                .map(|(n, vs)| (n.to_string(), vs.iter().map(|v| v.to_string()).collect()))
                .collect(),
        }
    }

    /// The label names of the family (without `__name__`).
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// The metric families a generator draws from, and the data's time span.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    /// The families; must not be empty.
    pub metrics: Vec<Metric>,
    /// First and last timestamp of the data, in seconds (for `@` values).
    pub time_range_s: (i64, i64),
}

const JOBS_HTTP: &[&str] = &["api", "frontend"];
const INSTANCES_HTTP: &[&str] = &[
    "api-0:8080",
    "api-1:8080",
    "api-2:8080",
    "api-3:8080",
    "frontend-0:3000",
    "frontend-1:3000",
    "frontend-2:3000",
];
const LE: &[&str] = &[
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];

impl Schema {
    /// The schema of `rill_codec::demo` (two hours from 2023-11-14T22:13:20Z), plus the
    /// native-histogram family `rill_fuzz_latency_seconds{job,instance}` that fuzz harnesses
    /// add to the store themselves (the demo has only classic histograms).
    pub fn demo() -> Self {
        use MetricKind::*;
        let all_jobs: &[&str] = &["api", "frontend", "worker", "node"];
        let all_instances: &[&str] = &[
            "api-0:8080",
            "api-1:8080",
            "frontend-0:3000",
            "worker-1:8081",
            "host-0:9100",
            "host-2:9100",
        ];
        let methods: &[&str] = &["GET", "POST", "PUT", "DELETE"];
        let hosts: &[&str] = &["host-0:9100", "host-1:9100", "host-2:9100"];
        let start = rill_codec::demo::DEMO_START_MS / 1000;
        let end = rill_codec::demo::DEMO_END_MS / 1000;
        Schema {
            metrics: vec![
                Metric::new("up", Gauge, &[("job", all_jobs), ("instance", all_instances)]),
                Metric::new(
                    "http_requests_total",
                    Counter,
                    &[
                        ("job", JOBS_HTTP),
                        ("instance", INSTANCES_HTTP),
                        ("method", methods),
                        ("status", &["200", "201", "304", "404", "500"]),
                    ],
                ),
                Metric::new(
                    "http_request_duration_seconds_bucket",
                    ClassicHistogram,
                    &[
                        ("job", JOBS_HTTP),
                        ("instance", INSTANCES_HTTP),
                        ("method", &["GET", "POST"]),
                        ("le", LE),
                    ],
                ),
                Metric::new(
                    "http_request_duration_seconds_sum",
                    Counter,
                    &[
                        ("job", JOBS_HTTP),
                        ("instance", INSTANCES_HTTP),
                        ("method", &["GET", "POST"]),
                    ],
                ),
                Metric::new(
                    "http_request_duration_seconds_count",
                    Counter,
                    &[
                        ("job", JOBS_HTTP),
                        ("instance", INSTANCES_HTTP),
                        ("method", &["GET", "POST"]),
                    ],
                ),
                Metric::new(
                    "http_requests_in_flight",
                    Gauge,
                    &[("job", JOBS_HTTP), ("instance", INSTANCES_HTTP)],
                ),
                Metric::new(
                    "process_resident_memory_bytes",
                    Gauge,
                    &[("job", &["api", "frontend", "worker"]), ("instance", all_instances)],
                ),
                Metric::new(
                    "node_memory_MemAvailable_bytes",
                    Gauge,
                    &[("job", &["node"]), ("instance", hosts)],
                ),
                Metric::new(
                    "node_cpu_seconds_total",
                    Counter,
                    &[
                        ("job", &["node"]),
                        ("instance", hosts),
                        ("cpu", &["0", "1", "2", "3"]),
                        ("mode", &["idle", "user", "system", "iowait"]),
                    ],
                ),
                Metric::new(
                    "rill_fuzz_latency_seconds",
                    NativeHistogram,
                    &[("job", JOBS_HTTP), ("instance", &["api-0:8080", "frontend-0:3000"])],
                ),
            ],
            time_range_s: (start, end),
        }
    }

    /// A schema of the series a live server reports (e.g. from `/api/v1/series`), each as its
    /// label pairs with `__name__` among them, for differential runs over real data. A family's
    /// kind is guessed from its name (`_bucket` with `le`: classic histogram; `_total`,
    /// `_count`, `_sum`: counter; else gauge); at most `max_values` values are kept per label
    /// (the first in sorted order), so regexes built from them stay short. Series without a
    /// name are skipped. `None` when no series has a name.
    pub fn from_series<I>(series: I, time_range_s: (i64, i64), max_values: usize) -> Option<Self>
    where
        I: IntoIterator<Item = Vec<(String, String)>>,
    {
        use std::collections::{BTreeMap, BTreeSet};
        let mut families: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
        for labels in series {
            let Some(name) = labels.iter().find(|(n, _)| n == "__name__").map(|(_, v)| v.clone()) else {
                continue;
            };
            let family = families.entry(name).or_default();
            for (n, v) in labels {
                if n != "__name__" {
                    family.entry(n).or_default().insert(v);
                }
            }
        }
        let metrics: Vec<Metric> = families
            .into_iter()
            .map(|(name, labels)| {
                let has_le = labels.contains_key("le");
                let kind = if name.ends_with("_bucket") && has_le {
                    MetricKind::ClassicHistogram
                } else if name.ends_with("_total") || name.ends_with("_count") || name.ends_with("_sum") {
                    MetricKind::Counter
                } else {
                    MetricKind::Gauge
                };
                let labels = labels
                    .into_iter()
                    .map(|(n, vs)| (n, vs.into_iter().take(max_values.max(1)).collect()))
                    .collect();
                Metric { name, kind, labels }
            })
            .collect();
        if metrics.is_empty() {
            return None;
        }
        Some(Schema { metrics, time_range_s })
    }

    /// The families of one kind.
    pub fn of_kind(&self, kind: MetricKind) -> Vec<&Metric> {
        self.metrics.iter().filter(|m| m.kind == kind).collect()
    }

    /// Every label name that occurs in the schema, deduplicated.
    pub fn all_label_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.metrics.iter().flat_map(Metric::label_names).collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_schema_covers_every_kind() {
        let s = Schema::demo();
        for kind in [
            MetricKind::Counter,
            MetricKind::Gauge,
            MetricKind::ClassicHistogram,
            MetricKind::NativeHistogram,
        ] {
            assert!(!s.of_kind(kind).is_empty(), "{kind:?}");
        }
        assert!(s.all_label_names().contains(&"le".to_string()));
        assert!(s.time_range_s.0 < s.time_range_s.1);
    }

    fn series(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn from_series_groups_families_and_guesses_kinds() {
        let s = Schema::from_series(
            vec![
                series(&[("__name__", "req_total"), ("job", "a")]),
                series(&[("__name__", "req_total"), ("job", "b"), ("code", "200")]),
                series(&[("__name__", "lat_bucket"), ("le", "0.5")]),
                series(&[("__name__", "lat_count")]),
                series(&[("__name__", "temp"), ("job", "c")]),
                series(&[("job", "nameless")]),
            ],
            (10, 20),
            1,
        );
        let s = s.unwrap_or_else(Schema::demo);
        let kinds: Vec<(&str, MetricKind)> = s.metrics.iter().map(|m| (m.name.as_str(), m.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("lat_bucket", MetricKind::ClassicHistogram),
                ("lat_count", MetricKind::Counter),
                ("req_total", MetricKind::Counter),
                ("temp", MetricKind::Gauge),
            ]
        );
        let req = &s.metrics[2];
        assert_eq!(
            req.labels,
            vec![("code".into(), vec!["200".into()]), ("job".into(), vec!["a".into()])]
        );
        assert_eq!(s.time_range_s, (10, 20));
        assert!(Schema::from_series(vec![series(&[("job", "x")])], (0, 1), 5).is_none());
    }
}
