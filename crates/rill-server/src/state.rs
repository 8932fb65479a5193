//! What every handler shares: storage, engine settings, limits, metrics, readiness.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::RwLock;
use rill_engine::{Engine, EngineOptions, FunctionRegistry};
use rill_model::{Appendable, Queryable};

use crate::config::ServerConfig;
use crate::gate::QueryGate;
use crate::metrics::Metrics;

/// Metadata of one metric family as `/api/v1/metadata` lists it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, `histogram`, ...
    pub typ: String,
    /// Help text.
    pub help: String,
    /// Unit.
    pub unit: String,
}

/// Shared state of a running server.
pub struct AppState {
    /// The configuration in force.
    pub config: ServerConfig,
    /// Where queries read.
    pub queryable: Arc<dyn Queryable>,
    /// Where remote write appends (`None`: read-only store).
    pub appendable: Option<Arc<dyn Appendable>>,
    /// Engine options every query starts from.
    pub options: EngineOptions,
    /// Functions queries may call.
    pub registry: Arc<FunctionRegistry>,
    /// Concurrency limit and queue.
    pub gate: QueryGate,
    /// Self-metrics.
    pub metrics: Metrics,
    /// Metric metadata received through remote write, by metric family.
    pub metadata: RwLock<BTreeMap<String, Vec<MetricMetadata>>>,
    /// Server start (ms since the epoch).
    pub start_time_ms: i64,
    ready: AtomicBool,
}

impl AppState {
    /// State for `config` over the given stores.
    pub fn new(
        config: ServerConfig,
        queryable: Arc<dyn Queryable>,
        appendable: Option<Arc<dyn Appendable>>,
        registry: Arc<FunctionRegistry>,
    ) -> Self {
        let options = EngineOptions {
            lookback_delta_ms: i64::try_from(config.lookback_delta.as_millis()).unwrap_or(i64::MAX),
            memory_limit_bytes: config.query_memory_limit_bytes,
            max_samples: config.max_samples,
            timeout: Some(config.query_timeout),
            ..EngineOptions::default()
        };
        AppState {
            gate: QueryGate::new(
                config.max_concurrent_queries,
                config.max_queued_queries,
                config.query_timeout,
            ),
            metrics: Metrics::new(env!("CARGO_PKG_VERSION")),
            metadata: RwLock::default(),
            start_time_ms: now_ms(),
            ready: AtomicBool::new(false),
            config,
            queryable,
            appendable,
            options,
            registry,
        }
    }

    /// An engine for one query: the configured options, with the request's `timeout`
    /// (never beyond the configured one) and `lookback_delta` applied.
    pub fn engine(&self, timeout: Option<Duration>, lookback_ms: Option<i64>) -> Engine {
        let mut options = self.options.clone();
        if let Some(t) = timeout {
            options.timeout = Some(options.timeout.map_or(t, |c| c.min(t)));
        }
        if let Some(l) = lookback_ms.filter(|l| *l > 0) {
            options.lookback_delta_ms = l;
        }
        Engine::new(options, self.registry.clone())
    }

    /// Whether queries can be served (`/-/ready`).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Marks the server ready or not.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
