//! Engine options: lookback, limits and Prometheus's feature flags.

use std::time::Duration;

/// Prometheus's experimental PromQL features. `rill test` enables all of them, as
/// Prometheus's own test runner does; `rill serve` starts from Prometheus 3.x's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Features {
    /// `--enable-feature=promql-experimental-functions`.
    pub experimental_functions: bool,
    /// `--enable-feature=promql-duration-expr`.
    pub duration_expressions: bool,
    /// `--enable-feature=promql-extended-range-selectors` (`anchored`, `smoothed`).
    pub extended_range_selectors: bool,
    /// `--enable-feature=promql-binop-fill-modifiers` (`fill`, `fill_left`, `fill_right`).
    pub binop_fill_modifiers: bool,
    /// `--enable-feature=promql-delayed-name-removal`.
    pub delayed_name_removal: bool,
    /// `--enable-feature=st-storage` style start timestamps used by counter functions.
    pub start_timestamps: bool,
}

impl Features {
    /// Every experimental feature on (what promqltest scripts expect).
    pub fn all() -> Self {
        Features {
            experimental_functions: true,
            duration_expressions: true,
            extended_range_selectors: true,
            binop_fill_modifiers: true,
            delayed_name_removal: true,
            start_timestamps: true,
        }
    }

    /// Prometheus 3.x defaults: every experimental feature off.
    pub fn prometheus_defaults() -> Self {
        Features {
            experimental_functions: false,
            duration_expressions: false,
            extended_range_selectors: false,
            binop_fill_modifiers: false,
            delayed_name_removal: false,
            start_timestamps: false,
        }
    }
}

/// Options shared by all queries of an engine.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (Prometheus: 5m).
    pub lookback_delta_ms: i64,
    /// Default subquery step when none is given, in ms (Prometheus: the global evaluation interval, 1m).
    pub default_subquery_step_ms: i64,
    /// Feature flags.
    pub features: Features,
    /// Per-query memory limit in bytes (0 = none).
    pub memory_limit_bytes: usize,
    /// Maximum samples a query may hold at once (0 = none; Prometheus default 50,000,000).
    pub max_samples: usize,
    /// Per-query timeout.
    pub timeout: Option<Duration>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta_ms: 5 * 60 * 1000,
            default_subquery_step_ms: 60 * 1000,
            features: Features::prometheus_defaults(),
            memory_limit_bytes: 0,
            max_samples: 50_000_000,
            timeout: Some(Duration::from_secs(120)),
        }
    }
}
