//! Helpers shared by the UDF integration tests: a store from `(seconds, value)` samples, an
//! engine with built-ins plus given modules, and range queries returning plain points.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use rill_engine::functions::builtin_registry;
use rill_engine::{Engine, EngineOptions, QueryValue};
use rill_model::{Labels, MemoryStore, Sample};
use rill_udf::{LoadedModule, UdfLimits, UdfRuntime};

/// `examples/udf` at the repository root.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/udf")
}

/// A store holding one series per `(name, samples)`, samples as `(seconds, value)`.
pub fn store(series: &[(&str, Vec<(i64, f64)>)]) -> MemoryStore {
    let mut s = MemoryStore::new();
    for (name, samples) in series {
        let labels = Labels::from_pairs([("__name__", *name), ("job", "test")]);
        for &(t, v) in samples {
            s.append(&labels, Sample::float(t * 1000, v)).unwrap();
        }
    }
    s
}

/// A runtime with `limits`.
pub fn runtime(limits: UdfLimits) -> Arc<UdfRuntime> {
    UdfRuntime::new(limits).unwrap()
}

/// Loads WAT/WASM `source` as module `file`.
pub fn module(file: &str, source: &[u8], rt: &Arc<UdfRuntime>) -> LoadedModule {
    LoadedModule::from_bytes(file, source, rt).unwrap_or_else(|e| panic!("{e}"))
}

/// An engine with the built-ins and `modules`' functions.
pub fn engine(modules: &[&LoadedModule], options: EngineOptions) -> Engine {
    let mut registry = builtin_registry();
    for m in modules {
        m.register(&mut registry).unwrap();
    }
    Engine::new(options, Arc::new(registry))
}

/// The points of a one-series range query, as `(seconds, value)`.
pub fn range_points(
    e: &Engine,
    s: &MemoryStore,
    q: &str,
    start_s: i64,
    end_s: i64,
    step_s: i64,
) -> rill_engine::Result<Vec<(i64, f64)>> {
    let r = e.range_query(s, q, start_s * 1000, end_s * 1000, step_s * 1000)?;
    match r.value {
        QueryValue::Matrix(m) => {
            assert!(m.len() <= 1, "{q}: expected at most one series, got {}", m.len());
            Ok(m.first()
                .map(|s| s.floats.iter().map(|p| (p.t / 1000, p.f)).collect())
                .unwrap_or_default())
        }
        other => panic!("{q}: expected a matrix, got {other:?}"),
    }
}

/// Asserts that two floats agree to 1e-12 relative (NaN equals NaN).
pub fn assert_close(got: f64, want: f64, what: &str) {
    let ok = (got.is_nan() && want.is_nan()) || (got - want).abs() <= 1e-12 * want.abs().max(1.0);
    assert!(ok, "{what}: got {got}, want {want}");
}
