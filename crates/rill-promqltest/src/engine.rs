//! The engine as the runner sees it: parse, instant query, range query. A trait so the
//! runner's logic is tested with scripted fakes and runs against [`RillEngine`] for real.

use std::sync::Arc;

use rill_engine::functions::builtin_registry;
use rill_engine::{EngineOptions, Features, FunctionRegistry, QueryResult};
use rill_model::MemoryStore;
use rill_promql::Expr;

/// What the runner needs from a PromQL engine. Errors are the error texts, which
/// `expect fail msg:` lines compare against.
pub trait QueryEngine {
    /// Parses `query` with every experimental feature enabled.
    fn parse(&self, query: &str) -> Result<Expr, String>;
    /// Evaluates `query` at `t_ms`.
    fn instant(&self, store: &MemoryStore, query: &str, t_ms: i64) -> Result<QueryResult, String>;
    /// Evaluates `query` at `start, start+step, ..., end` (ms).
    fn range(&self, store: &MemoryStore, query: &str, start: i64, end: i64, step: i64) -> Result<QueryResult, String>;
}

/// Prometheus's `DefaultMaxSamplesPerQuery` for its test engine.
const MAX_SAMPLES_PER_QUERY: usize = 10_000;

/// Rill's engine configured as Prometheus's test engine: every experimental feature, 5m
/// lookback, 10,000 max samples, 1m default subquery step.
pub struct RillEngine {
    engine: rill_engine::Engine,
}

impl RillEngine {
    /// The engine with Prometheus's test settings.
    pub fn new() -> Self {
        Self::with_registry(Arc::new(builtin_registry()))
    }

    /// The engine with Prometheus's test settings and the functions of `registry` (built-ins
    /// plus user-defined functions, for `rill test --udf`).
    pub fn with_registry(registry: Arc<FunctionRegistry>) -> Self {
        RillEngine {
            engine: rill_engine::Engine::new(
                EngineOptions {
                    features: Features::all(),
                    lookback_delta_ms: 5 * 60 * 1000,
                    default_subquery_step_ms: 60 * 1000,
                    max_samples: MAX_SAMPLES_PER_QUERY,
                    ..EngineOptions::default()
                },
                registry,
            ),
        }
    }
}

impl Default for RillEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryEngine for RillEngine {
    fn parse(&self, query: &str) -> Result<Expr, String> {
        self.engine.parse(query).map_err(|e| e.to_string())
    }

    fn instant(&self, store: &MemoryStore, query: &str, t_ms: i64) -> Result<QueryResult, String> {
        self.engine.instant_query(store, query, t_ms).map_err(|e| e.to_string())
    }

    fn range(&self, store: &MemoryStore, query: &str, start: i64, end: i64, step: i64) -> Result<QueryResult, String> {
        self.engine
            .range_query(store, query, start, end, step)
            .map_err(|e| e.to_string())
    }
}
