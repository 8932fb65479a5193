//! Helpers shared by the UDF integration tests: a store from `(seconds, value)` samples, an
//! engine with built-ins plus given modules, range queries returning plain points, and
//! hand-written hostile modules with small limits and the checks of their errors.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rill_engine::functions::builtin_registry;
use rill_engine::{Engine, EngineOptions, ErrorKind, QueryValue};
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

/// Parameters of a range function.
pub const RANGE: &str = "(param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)";

/// A module of `pages` 64 KiB pages declaring `manifest`, whose `rill_alloc` hands out a fixed
/// buffer at 4096, plus `body` (the functions).
pub fn wat(manifest: &str, pages: u32, body: &str) -> String {
    let len = manifest.len();
    let esc = manifest.replace('\n', "\\n");
    format!(
        r#"(module
  (memory (export "memory") {pages})
  (data (i32.const 16) "{esc}")
  (func (export "rill_manifest") (result i64) (i64.or (i64.shl (i64.const {len}) (i64.const 32)) (i64.const 16)))
  (func (export "rill_alloc") (param i32) (result i32) (i32.const 4096))
  {body})"#
    )
}

/// A module with one range function `f` whose body is `code`.
pub fn range_fn(code: &str) -> String {
    wat(
        "rill-udf 1\nrange f(matrix)\n",
        16,
        &format!(r#"(func (export "f") {RANGE} {code})"#),
    )
}

/// Test limits: small enough that every attack ends fast.
pub fn limits() -> UdfLimits {
    UdfLimits {
        fuel_per_call: 50_000_000,
        fuel_per_query: 200_000_000,
        max_memory_bytes: 4 << 20,
        call_deadline: Duration::from_secs(2),
        max_module_bytes: 64 << 10,
        ..UdfLimits::default()
    }
}

/// Two series `m` and `n`, a sample every 10 s for 10 minutes.
pub fn data() -> MemoryStore {
    let samples: Vec<(i64, f64)> = (0..60).map(|i| (i * 10, i as f64)).collect();
    store(&[("m", samples.clone()), ("n", samples)])
}

/// Runs `f(m[1m])` with module `source` (named `evil.wat`) and returns the error text,
/// checking that it is an execution error naming the UDF and the file, and that a plain query
/// on the same engine still works afterwards.
pub fn query_error(source: &str, limits: UdfLimits, options: EngineOptions) -> String {
    let rt = runtime(limits);
    let m = module("evil.wat", source.as_bytes(), &rt);
    let e = engine(&[&m], options);
    let s = data();
    let err = range_points(&e, &s, "f(m[1m])", 60, 590, 10).expect_err("the query should fail");
    assert_eq!(err.kind(), ErrorKind::Execution, "{err}");
    let text = err.to_string();
    assert!(text.starts_with("UDF f (evil.wat): "), "{text}");
    let ok = range_points(&e, &s, "sum_over_time(m[1m])", 60, 590, 10).unwrap();
    assert_eq!(ok.len(), 54);
    text
}

/// Loads module `source` as `evil.wat` and returns the error text, checking that it names the file.
pub fn load_error(source: &[u8], limits: UdfLimits) -> String {
    let rt = runtime(limits);
    let err = LoadedModule::from_bytes("evil.wat", source, &rt)
        .err()
        .expect("load should fail");
    let text = err.to_string();
    assert!(text.starts_with("UDF module evil.wat: "), "{text}");
    text
}
