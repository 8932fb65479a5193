//! Hostile and broken modules: each fails only its own load or query, with an error naming the
//! UDF (or module file) and the reason, within its limit; the engine keeps serving, and
//! queries running during an attack keep a latency within a generous multiple of normal.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use rill_engine::{Engine, EngineOptions, ErrorKind};
use rill_model::MemoryStore;
use rill_udf::{LoadedModule, UdfLimits};

#[test]
fn infinite_loop_runs_out_of_fuel() {
    let started = Instant::now();
    let err = query_error(
        &range_fn("(loop $l (br $l)) (i32.const 0)"),
        limits(),
        EngineOptions::default(),
    );
    assert!(
        err.contains("exhausted its fuel budget of 50000000 instructions per call"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn infinite_loop_hits_the_deadline_when_fuel_is_plentiful() {
    let l = UdfLimits {
        fuel_per_call: u64::MAX / 4,
        fuel_per_query: u64::MAX / 4,
        call_deadline: Duration::from_millis(200),
        ..limits()
    };
    let started = Instant::now();
    let err = query_error(
        &range_fn("(loop $l (br $l)) (i32.const 0)"),
        l,
        EngineOptions::default(),
    );
    assert!(err.contains("ran past its deadline of 200ms per call"), "{err}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn fuel_per_query_bounds_many_modest_calls() {
    // Each call burns ~3M instructions: fine per call, but 108 series-calls exceed 200M.
    let burn = "(local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) \
                (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000)))) (local.get 4)";
    let samples: Vec<(i64, f64)> = (0..10).map(|i| (i * 10, 1.0)).collect();
    let series: Vec<(String, Vec<(i64, f64)>)> = (0..108).map(|i| (format!("m{i}"), samples.clone())).collect();
    let refs: Vec<(&str, Vec<(i64, f64)>)> = series.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    let s = store(&refs);
    let rt = runtime(limits());
    let m = module("evil.wat", range_fn(burn).as_bytes(), &rt);
    let e = engine(&[&m], EngineOptions::default());
    let err = e
        .instant_query(&s, r#"f({__name__=~"m.*"}[1m])"#, 90_000)
        .expect_err("should run out of query fuel");
    assert!(
        err.to_string()
            .contains("exhausted its fuel budget of 200000000 instructions per query"),
        "{err}"
    );
}

/// An engine with a range function `f` burning about 8M instructions per call (one series)
/// and per-query fuel for one such call but not two, and the data.
fn heavy_engine() -> (Engine, MemoryStore) {
    let burn = "(local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) \
                (br_if $l (i32.lt_u (local.get $i) (i32.const 1000000)))) (local.get 4)";
    let rt = runtime(UdfLimits {
        fuel_per_call: 50_000_000,
        fuel_per_query: 12_000_000,
        ..limits()
    });
    let m = module("evil.wat", range_fn(burn).as_bytes(), &rt);
    (engine(&[&m], EngineOptions::default()), data())
}

#[test]
fn fuel_per_query_is_shared_by_every_call_site() {
    let (e, s) = heavy_engine();
    e.instant_query(&s, "f(m[1m])", 300_000)
        .expect("one call fits the per-query budget");
    let err = e
        .instant_query(&s, "f(m[1m]) + f(m[1m])", 300_000)
        .expect_err("two call sites share one budget");
    assert_eq!(err.kind(), ErrorKind::Execution, "{err}");
    assert_eq!(
        err.to_string(),
        "UDF f (evil.wat): exhausted its fuel budget of 12000000 instructions per query \
         (shared by all UDF calls of the query)"
    );
    // The budget is per query: the next query has a full one again.
    assert!(e.instant_query(&s, "f(m[1m])", 300_000).is_ok());
}

#[test]
fn concurrent_queries_each_get_their_own_fuel_budget() {
    let (e, s) = heavy_engine();
    thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| (0..3).all(|_| e.instant_query(&s, "f(m[1m])", 300_000).is_ok())))
            .collect();
        for r in runs {
            assert_eq!(r.join().ok(), Some(true));
        }
    });
}

#[test]
fn unbounded_memory_growth_stops_at_the_cap() {
    let err = query_error(
        &range_fn("(loop $l (drop (memory.grow (i32.const 1))) (br $l)) (i32.const 0)"),
        limits(),
        EngineOptions::default(),
    );
    assert!(
        err.contains("linear memory would grow to 4259840 bytes, over the cap of 4194304 bytes"),
        "{err}"
    );
}

#[test]
fn udf_memory_counts_against_the_query_memory_limit() {
    // 48 pages = 3 MiB of linear memory, with a 2 MiB query limit.
    let src = wat(
        "rill-udf 1\nrange f(matrix)\n",
        48,
        &format!(r#"(func (export "f") {RANGE} (local.get 4))"#),
    );
    let options = EngineOptions {
        memory_limit_bytes: 2 << 20,
        ..EngineOptions::default()
    };
    let err = query_error(&src, limits(), options);
    assert!(
        err.contains("refused: query exceeded its memory limit of 2097152 bytes"),
        "{err}"
    );
    // Without the limit the same query runs, and its peak memory includes the 3 MiB.
    let rt = runtime(limits());
    let m = module("evil.wat", src.as_bytes(), &rt);
    let e = engine(&[&m], EngineOptions::default());
    let r = e.instant_query(&data(), "f(m[1m])", 300_000).unwrap();
    assert!(r.stats.peak_memory_bytes >= 3 << 20, "{}", r.stats.peak_memory_bytes);
}

#[test]
fn deep_recursion_overflows_the_wasm_stack() {
    let src = wat(
        "rill-udf 1\nrange f(matrix)\n",
        16,
        &format!(
            r#"(func $r (param i32) (result i32) (call $r (i32.add (local.get 0) (i32.const 1))))
               (func (export "f") {RANGE} (call $r (i32.const 0)))"#
        ),
    );
    let err = query_error(&src, limits(), EngineOptions::default());
    assert!(err.contains("overflowed its stack (limit 524288 bytes)"), "{err}");
}

#[test]
fn trap_is_reported() {
    let err = query_error(&range_fn("unreachable"), limits(), EngineOptions::default());
    assert!(
        err.contains("trapped: wasm `unreachable` instruction executed"),
        "{err}"
    );
    let err = query_error(
        &range_fn("(drop (i32.load (i32.const -4))) (i32.const 0)"),
        limits(),
        EngineOptions::default(),
    );
    assert!(err.contains("trapped: out of bounds memory access"), "{err}");
}

#[test]
fn garbage_buffer_pointer_is_refused() {
    let src = r#"(module
  (memory (export "memory") 1)
  (data (i32.const 16) "rill-udf 1\nrange f(matrix)\n")
  (func (export "rill_manifest") (result i64) (i64.or (i64.shl (i64.const 27) (i64.const 32)) (i64.const 16)))
  (func (export "rill_alloc") (param i32) (result i32) (i32.const 0x7ffffff8))
  (func (export "f") (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (local.get 4)))"#;
    let err = query_error(src, limits(), EngineOptions::default());
    assert!(
        err.contains("rill_alloc(4096) returned pointer 0x7ffffff8, outside its 65536-byte memory"),
        "{err}"
    );
    let unaligned = src.replace("0x7ffffff8", "4099");
    let err = query_error(&unaligned, limits(), EngineOptions::default());
    assert!(err.contains("returned unaligned pointer 0x1003"), "{err}");
}

#[test]
fn wrong_result_length_and_error_codes_are_refused() {
    let err = query_error(
        &range_fn("(i32.add (local.get 4) (i32.const 1))"),
        limits(),
        EngineOptions::default(),
    );
    assert!(err.contains("returned 55 results for a batch of 54"), "{err}");
    let err = query_error(&range_fn("(i32.const -7)"), limits(), EngineOptions::default());
    assert!(err.contains("reported error code -7"), "{err}");
}

#[test]
fn nan_boxing_and_bad_presence_flags_are_refused() {
    // out[0] = the staleness marker's bits, present[0] = 1.
    let stale = "(f64.store (local.get 7) (f64.reinterpret_i64 (i64.const 0x7ff0000000000002))) \
                 (i32.store8 (local.get 8) (i32.const 1)) (local.get 4)";
    let err = query_error(&range_fn(stale), limits(), EngineOptions::default());
    assert!(err.contains("staleness-marker NaN at result 0"), "{err}");
    let flag = "(i32.store8 (i32.add (local.get 8) (i32.const 3)) (i32.const 7)) (local.get 4)";
    let err = query_error(&range_fn(flag), limits(), EngineOptions::default());
    assert!(err.contains("presence flag 7 at result 3"), "{err}");
}

#[test]
fn other_nan_payloads_are_normalized() {
    let payload = "(f64.store (local.get 7) (f64.reinterpret_i64 (i64.const 0x7ff80000deadbeef))) \
                   (i32.store8 (local.get 8) (i32.const 1)) (local.get 4)";
    let rt = runtime(limits());
    let m = module("nan.wat", range_fn(payload).as_bytes(), &rt);
    let e = engine(&[&m], EngineOptions::default());
    let got = range_points(&e, &data(), "f(m[1m])", 60, 60, 10).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.to_bits(), f64::NAN.to_bits());
}

#[test]
fn forbidden_imports_are_refused() {
    let src = wat(
        "rill-udf 1\nrange f(matrix)\n",
        1,
        &format!(r#"(func (export "f") {RANGE} (local.get 4))"#),
    )
    .replacen(
        "(module",
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
        1,
    );
    let err = load_error(src.as_bytes(), limits());
    assert!(
        err.contains("imports wasi_snapshot_preview1.fd_write, but UDF modules may not import anything"),
        "{err}"
    );
}

#[test]
fn malformed_and_huge_modules_are_refused() {
    let err = load_error(b"\0asm\x01\0\0\0garbage", limits());
    assert!(err.contains("is not a valid module"), "{err}");
    let err = load_error(b"(module (func", limits());
    assert!(err.contains("is not a valid module"), "{err}");
    let huge = vec![0u8; (64 << 10) + 1];
    let err = load_error(&huge, limits());
    assert!(err.contains("is 65537 bytes, over the limit of 65536 bytes"), "{err}");
    // The file size is checked before reading it.
    let dir = std::env::temp_dir().join(format!("rill-udf-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.wasm");
    std::fs::write(&path, &huge).unwrap();
    let err = LoadedModule::load_file(&path, &runtime(limits())).err().unwrap();
    assert!(err.to_string().contains("huge.wasm: is 65537 bytes"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn start_function_is_bounded_like_any_call() {
    let src = wat(
        "rill-udf 1\nrange f(matrix)\n",
        1,
        &format!(r#"(func $s (loop $l (br $l))) (start $s) (func (export "f") {RANGE} (local.get 4))"#),
    );
    let started = Instant::now();
    let err = load_error(src.as_bytes(), limits());
    assert!(
        err.contains("instantiation failed: exhausted its fuel budget of 50000000 instructions per call"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn bad_manifests_and_missing_exports_are_refused() {
    let garbage = r#"(module (memory (export "memory") 1)
  (func (export "rill_manifest") (result i64) (i64.const 0x000000107ffffff0))
  (func (export "rill_alloc") (param i32) (result i32) (i32.const 8)))"#;
    let err = load_error(garbage.as_bytes(), limits());
    assert!(err.contains("rill_manifest() returned a bad pointer"), "{err}");
    let bad_text = wat("rill-udf 1\nrange f(vector)\n", 1, "");
    let err = load_error(bad_text.as_bytes(), limits());
    assert!(err.contains("bad manifest: line 2: f: a range function"), "{err}");
    let missing = wat("rill-udf 1\nrange f(matrix)\n", 1, "");
    let err = load_error(missing.as_bytes(), limits());
    assert!(err.contains("function f: does not export f"), "{err}");
    let wrong_type = wat(
        "rill-udf 1\nrange f(matrix)\n",
        1,
        r#"(func (export "f") (param i32) (result i32) (local.get 0))"#,
    );
    let err = load_error(wrong_type.as_bytes(), limits());
    assert!(err.contains("function f: export f has type"), "{err}");
    let no_memory = r#"(module (func (export "rill_manifest") (result i64) (i64.const 0)))"#;
    let err = load_error(no_memory.as_bytes(), limits());
    assert!(err.contains("does not export a memory named \"memory\""), "{err}");
}

#[test]
fn name_clash_with_a_builtin_is_refused() {
    let src = wat(
        "rill-udf 1\nrange rate(matrix)\n",
        1,
        &format!(r#"(func (export "rate") {RANGE} (local.get 4))"#),
    );
    let rt = runtime(limits());
    let m = module("evil.wat", src.as_bytes(), &rt);
    let mut registry = rill_engine::functions::builtin_registry();
    let err = m.register(&mut registry).err().unwrap();
    assert_eq!(
        err.to_string(),
        "UDF module evil.wat: function rate clashes with an existing function of that name"
    );
}

/// Median of the durations of `n` runs of `f`.
fn median_latency(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

#[test]
fn queries_keep_working_during_an_attack() {
    let l = UdfLimits {
        fuel_per_call: u64::MAX / 4,
        fuel_per_query: u64::MAX / 4,
        call_deadline: Duration::from_millis(100),
        ..limits()
    };
    let rt = runtime(l);
    let xrate_src = std::fs::read(examples_dir().join("xrate.wat")).unwrap();
    let good = module("xrate.wat", &xrate_src, &rt);
    let evil = module("evil.wat", range_fn("(loop $l (br $l)) (i32.const 0)").as_bytes(), &rt);
    let e = Arc::new(engine(&[&good, &evil], EngineOptions::default()));
    let samples: Vec<(i64, f64)> = (0..2000).map(|i| (i * 15, i as f64)).collect();
    let s = Arc::new(store(&[("m", samples.clone()), ("n", samples)]));
    let run_good = |e: &Engine, s: &MemoryStore| {
        let pts = range_points(e, s, "xrate(m[1m]) + sum_over_time(n[5m])", 300, 29_000, 60).unwrap();
        assert_eq!(pts.len(), 479);
    };
    let base = median_latency(15, || run_good(&e, &s));
    let stop = Arc::new(AtomicBool::new(false));
    let attacks = Arc::new(AtomicUsize::new(0));
    let attacker = {
        let (e, s, stop, attacks) = (e.clone(), s.clone(), stop.clone(), attacks.clone());
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let err = e.instant_query(s.as_ref(), "f(m[1m])", 600_000).err().unwrap();
                assert!(err.to_string().contains("ran past its deadline"), "{err}");
                attacks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let attacked = median_latency(15, || run_good(&e, &s));
    thread::sleep(Duration::from_millis(250));
    stop.store(true, Ordering::Relaxed);
    attacker.join().unwrap();
    eprintln!(
        "latency without attack {base:?}, during attack {attacked:?}, attacks {}",
        attacks.load(Ordering::Relaxed)
    );
    assert!(attacks.load(Ordering::Relaxed) >= 2);
    assert!(
        attacked <= base * 10 + Duration::from_millis(100),
        "latency {attacked:?} during the attack vs {base:?} without"
    );
}
