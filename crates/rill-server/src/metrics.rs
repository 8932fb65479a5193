//! The server's own metrics, exposed at `/metrics` in the OpenMetrics text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// Label set of per-endpoint metrics.
type EndpointLabels = Vec<(String, String)>;

/// Every metric the server updates.
pub struct Metrics {
    registry: Registry,
    /// Query latency per endpoint (`query`, `query_range`), queueing included.
    pub query_duration: Family<EndpointLabels, Histogram>,
    /// Peak bytes held by each query's buffers.
    pub query_peak_memory: Histogram,
    /// Samples read from storage by queries.
    pub query_samples: Counter,
    /// Finished queries by endpoint and outcome (`success` or the `errorType`).
    pub queries: Family<EndpointLabels, Counter>,
    /// Queries running now.
    pub queries_running: Gauge,
    /// Samples (floats and histograms) accepted by remote write.
    pub samples_ingested: Counter,
    /// Remote-write requests by HTTP status code.
    pub remote_write_requests: Family<EndpointLabels, Counter>,
    /// Series sent by remote read.
    pub remote_read_series: Counter,
    /// WAL fsync durations, fed by the storage (e.g. `rill_tsdb::wal::FsyncStats`'s observer).
    pub wal_fsync: Histogram,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

impl Metrics {
    /// Registers all metrics, with `version` in the build-info metric.
    pub fn new(version: &str) -> Self {
        let mut registry = Registry::default();
        let query_duration = Family::<EndpointLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "rill_query_duration_seconds",
            "Query latency by endpoint, queueing included",
            query_duration.clone(),
        );
        let query_peak_memory = Histogram::new(exponential_buckets(1024.0, 4.0, 14));
        registry.register(
            "rill_query_peak_memory_bytes",
            "Peak bytes held by one query's buffers",
            query_peak_memory.clone(),
        );
        let query_samples = Counter::default();
        registry.register(
            "rill_query_samples",
            "Samples read from storage by queries",
            query_samples.clone(),
        );
        let queries = Family::<EndpointLabels, Counter>::default();
        registry.register(
            "rill_queries",
            "Finished queries by endpoint and outcome",
            queries.clone(),
        );
        let queries_running = Gauge::default();
        registry.register("rill_queries_running", "Queries running now", queries_running.clone());
        let samples_ingested = Counter::default();
        registry.register(
            "rill_samples_ingested",
            "Samples accepted through remote write",
            samples_ingested.clone(),
        );
        let remote_write_requests = Family::<EndpointLabels, Counter>::default();
        registry.register(
            "rill_remote_write_requests",
            "Remote-write requests by HTTP status code",
            remote_write_requests.clone(),
        );
        let remote_read_series = Counter::default();
        registry.register(
            "rill_remote_read_series",
            "Series sent through remote read",
            remote_read_series.clone(),
        );
        let wal_fsync = Histogram::new(exponential_buckets(0.0001, 2.5, 10));
        registry.register(
            "rill_wal_fsync_duration_seconds",
            "Duration of WAL fsyncs",
            wal_fsync.clone(),
        );
        registry.register(
            "rill_build",
            "Build information",
            Info::new(vec![("version".to_string(), version.to_string())]),
        );
        Metrics {
            registry,
            query_duration,
            query_peak_memory,
            query_samples,
            queries,
            queries_running,
            samples_ingested,
            remote_write_requests,
            remote_read_series,
            wal_fsync,
        }
    }

    /// Records one finished query.
    pub fn observe_query(&self, endpoint: &str, outcome: &str, seconds: f64) {
        self.query_duration
            .get_or_create(&vec![("endpoint".into(), endpoint.into())])
            .observe(seconds);
        self.queries
            .get_or_create(&vec![
                ("endpoint".into(), endpoint.into()),
                ("outcome".into(), outcome.into()),
            ])
            .inc();
    }

    /// Records a remote-write answer.
    pub fn observe_remote_write(&self, code: u16) {
        self.remote_write_requests
            .get_or_create(&vec![("code".into(), code.to_string())])
            .inc();
    }

    /// The OpenMetrics text of all metrics.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "encoding metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_registered_metrics() {
        let m = Metrics::new("1.2.3");
        m.observe_query("query", "success", 0.01);
        m.samples_ingested.inc_by(5);
        m.wal_fsync.observe(0.002);
        let text = m.render();
        assert!(
            text.contains("rill_query_duration_seconds_count{endpoint=\"query\"} 1"),
            "{text}"
        );
        assert!(text.contains("rill_samples_ingested_total 5"), "{text}");
        assert!(text.contains("rill_wal_fsync_duration_seconds_count 1"), "{text}");
        assert!(text.contains("rill_build_info{version=\"1.2.3\"} 1"), "{text}");
    }
}
