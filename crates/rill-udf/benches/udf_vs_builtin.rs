//! The cost of a WebAssembly UDF against the equivalent built-in: `xrate` (examples/udf) vs
//! `rate` over the same data, as whole range queries through the engine (100 series × 2 h of
//! 15 s samples, 5 m windows every 1 m), plus `xrate` alone on one series to show the fixed
//! per-query cost (instantiation from the pool).

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rill_engine::functions::builtin_registry;
use rill_engine::{Engine, EngineOptions};
use rill_model::{Labels, MemoryStore, Sample};
use rill_udf::{LoadedModule, UdfLimits, UdfRuntime};

fn setup(series: usize) -> (Engine, MemoryStore) {
    let rt = UdfRuntime::new(UdfLimits::default()).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/udf/xrate.wat");
    let m = LoadedModule::load_file(&path, &rt).unwrap();
    let mut registry = builtin_registry();
    m.register(&mut registry).unwrap();
    let engine = Engine::new(EngineOptions::default(), Arc::new(registry));
    let mut store = MemoryStore::new();
    for s in 0..series {
        let labels = Labels::from_pairs([("__name__", "c".to_string()), ("i", s.to_string())]);
        let mut v = 0.0;
        for i in 0..480i64 {
            v += (i % 7) as f64 + s as f64;
            store.append(&labels, Sample::float(i * 15_000, v)).unwrap();
        }
    }
    (engine, store)
}

fn bench(c: &mut Criterion) {
    let (engine, store) = setup(100);
    let mut g = c.benchmark_group("100 series x 2h, [5m] every 1m");
    for q in ["rate(c[5m])", "xrate(c[5m])"] {
        g.bench_function(q, |b| {
            b.iter(|| engine.range_query(&store, q, 300_000, 7_200_000, 60_000).unwrap())
        });
    }
    g.finish();
    let (engine, store) = setup(1);
    let mut g = c.benchmark_group("1 series");
    for q in ["rate(c[5m])", "xrate(c[5m])"] {
        g.bench_function(q, |b| {
            b.iter(|| engine.range_query(&store, q, 300_000, 7_200_000, 60_000).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
