//! Server configuration: a YAML file (`--config`), overridden by command-line flags.
//!
//! ```yaml
//! listen: 127.0.0.1:9090
//! query_timeout: 2m
//! max_concurrent_queries: 20
//! max_queued_queries: 100
//! query_memory_limit_bytes: 1073741824
//! max_samples: 50000000
//! max_body_bytes: 33554432
//! remote_read_sample_limit: 50000000
//! lookback_delta: 5m
//! ```

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Everything `rill serve` can be configured with.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Longest a query may run (Prometheus `--query.timeout`, 2m).
    #[serde(deserialize_with = "duration")]
    pub query_timeout: Duration,
    /// Queries running at once (Prometheus `--query.max-concurrency`, 20).
    pub max_concurrent_queries: usize,
    /// Queries waiting for a slot before new ones get 503.
    pub max_queued_queries: usize,
    /// Per-query memory limit in bytes (0 = none).
    pub query_memory_limit_bytes: usize,
    /// Samples a query may hold at once (Prometheus `--query.max-samples`).
    pub max_samples: usize,
    /// Largest accepted request body, compressed or decompressed.
    pub max_body_bytes: usize,
    /// Samples one remote-read request may return (SAMPLES response type).
    pub remote_read_sample_limit: usize,
    /// Lookback for instant selectors (Prometheus `--query.lookback-delta`).
    #[serde(deserialize_with = "duration")]
    pub lookback_delta: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:9090".into(),
            query_timeout: Duration::from_secs(120),
            max_concurrent_queries: 20,
            max_queued_queries: 100,
            query_memory_limit_bytes: 1 << 30,
            max_samples: 50_000_000,
            max_body_bytes: 32 << 20,
            remote_read_sample_limit: 50_000_000,
            lookback_delta: Duration::from_secs(300),
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is invalid or has unknown fields.
    #[error("invalid configuration {path}: {source}")]
    Yaml {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_yaml::Error,
    },
}

impl ServerConfig {
    /// Parses a YAML document; missing fields keep their defaults.
    pub fn from_yaml(text: &str) -> Result<Self, serde_yaml::Error> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml::from_str(text)
    }

    /// Loads a YAML file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|source| ConfigError::Yaml { path: shown, source })
    }

    /// The settings as Prometheus's `/api/v1/status/flags` lists them (name → value).
    pub fn flags(&self) -> Vec<(String, String)> {
        let d = |d: Duration| rill_model::time::format_duration(i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        vec![
            ("web.listen-address".into(), self.listen.clone()),
            ("query.timeout".into(), d(self.query_timeout)),
            ("query.max-concurrency".into(), self.max_concurrent_queries.to_string()),
            ("query.max-queued".into(), self.max_queued_queries.to_string()),
            (
                "query.memory-limit-bytes".into(),
                self.query_memory_limit_bytes.to_string(),
            ),
            ("query.max-samples".into(), self.max_samples.to_string()),
            ("query.lookback-delta".into(), d(self.lookback_delta)),
            ("web.max-body-bytes".into(), self.max_body_bytes.to_string()),
            (
                "storage.remote.read-sample-limit".into(),
                self.remote_read_sample_limit.to_string(),
            ),
        ]
    }
}

/// Reads a duration written as `1m30s` or as a number of seconds.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(f64),
        Text(String),
    }
    let ms = match Raw::deserialize(d)? {
        Raw::Secs(s) if s.is_finite() && s >= 0.0 => (s * 1000.0).round() as i64,
        Raw::Secs(s) => return Err(serde::de::Error::custom(format!("invalid duration {s}"))),
        Raw::Text(t) => rill_model::time::parse_duration(&t).map_err(serde::de::Error::custom)?,
    };
    Ok(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_overrides_defaults() {
        let c = ServerConfig::from_yaml("query_timeout: 30s\nmax_concurrent_queries: 4\nlookback_delta: 60\n").unwrap();
        assert_eq!(c.query_timeout, Duration::from_secs(30));
        assert_eq!(c.max_concurrent_queries, 4);
        assert_eq!(c.lookback_delta, Duration::from_secs(60));
        assert_eq!(c.max_samples, ServerConfig::default().max_samples);
        assert!(ServerConfig::from_yaml("bogus: 1").is_err());
        assert!(ServerConfig::from_yaml("query_timeout: soon").is_err());
        assert_eq!(ServerConfig::from_yaml("").unwrap(), ServerConfig::default());
        assert!(c.flags().contains(&("query.timeout".to_string(), "30s".to_string())));
    }
}
