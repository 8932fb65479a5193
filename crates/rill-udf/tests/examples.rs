//! The shipped examples under `examples/udf/` produce the right numbers through the engine:
//! `xrate`/`xincrease` against hand computations, `ewma` and `percentile_over_time` against
//! Rust references, the AssemblyScript module (when built by its `build.sh`) against Rust.

mod common;

use common::*;
use rill_engine::EngineOptions;
use rill_udf::{UdfLimits, load_dir};

fn example(file: &str) -> Vec<u8> {
    std::fs::read(examples_dir().join(file)).unwrap()
}

/// A counter every 10 s with a reset at 40 s.
fn counter() -> Vec<(i64, f64)> {
    vec![
        (0, 0.0),
        (10, 10.0),
        (20, 20.0),
        (30, 30.0),
        (40, 5.0),
        (50, 15.0),
        (60, 35.0),
    ]
}

#[test]
fn xrate_and_xincrease_use_the_sample_before_the_window() {
    let rt = runtime(UdfLimits::default());
    let xrate = module("xrate.wat", &example("xrate.wat"), &rt);
    let xincrease = module("xincrease.wat", &example("xincrease.wat"), &rt);
    let e = engine(&[&xrate, &xincrease], EngineOptions::default());
    let s = store(&[("c", counter())]);
    // t=20: window (-10, 20] = 0, 10, 20 and nothing before: (20 - 0) / 20 s.
    // t=30: window (0, 30] = 10, 20, 30, previous sample 0 @ 0: (30 - 0) / 30 s.
    // t=60: window (30, 60] = 5, 15, 35 (reset after 30), previous 30 @ 30:
    //       (35 + 30 - 30) / 30 s.
    let got = range_points(&e, &s, "xrate(c[30s])", 20, 60, 10).unwrap();
    let want = [
        (20, 1.0),
        (30, 1.0),
        (40, (5.0 + 30.0 - 10.0) / 30.0),
        (50, (15.0 + 30.0 - 20.0) / 30.0),
        (60, 35.0 / 30.0),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((t, v), (wt, wv)) in got.iter().zip(want) {
        assert_eq!(*t, wt);
        assert_close(*v, wv, &format!("xrate at {t}"));
    }
    // The worked example of ABI.md.
    let inc = range_points(&e, &s, "xincrease(c[30s])", 50, 60, 10).unwrap();
    assert_eq!(inc, vec![(50, 25.0), (60, 35.0)]);
    // Prometheus's rate extrapolates and ignores the sample before the window: it differs.
    let rate = range_points(&e, &s, "rate(c[30s])", 40, 40, 10).unwrap();
    assert!((rate[0].1 - 25.0 / 30.0).abs() > 1e-3, "{rate:?}");
    // Works on subqueries too (the subquery's range is widened the same way).
    let sub = range_points(&e, &s, "xincrease(c[30s:10s])", 60, 60, 10).unwrap();
    assert_close(sub[0].1, 35.0, "xincrease over a subquery");
}

#[test]
fn the_previous_sample_is_looked_for_only_within_the_lookback_delta() {
    let rt = runtime(UdfLimits::default());
    let xincrease = module("xincrease.wat", &example("xincrease.wat"), &rt);
    let e = engine(&[&xincrease], EngineOptions::default());
    // 0 @ 0 is 390 s before the window (390, 410]: beyond the 5 m lookback, so unused.
    let s = store(&[("c", vec![(0, 0.0), (400, 100.0), (410, 104.0)])]);
    let got = range_points(&e, &s, "xincrease(c[20s])", 410, 410, 10).unwrap();
    assert_eq!(got, vec![(410, 4.0)]);
    // A single sample in the window with no previous one gives no value.
    let got = range_points(&e, &s, "xincrease(c[5s])", 400, 400, 10).unwrap();
    assert_eq!(got, vec![]);
}

/// Pseudo-random but reproducible values.
fn noisy(n: i64, step_s: i64) -> Vec<(i64, f64)> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (i * step_s, (x % 10_000) as f64 / 100.0)
        })
        .collect()
}

/// The samples of `data` in the window `(t - range, t]`.
fn window(data: &[(i64, f64)], t: i64, range: i64) -> Vec<f64> {
    data.iter()
        .filter(|(ts, _)| *ts > t - range && *ts <= t)
        .map(|p| p.1)
        .collect()
}

#[test]
fn ewma_matches_a_rust_reference() {
    let rt = runtime(UdfLimits::default());
    let ewma = module("ewma.wat", &example("ewma.wat"), &rt);
    let e = engine(&[&ewma], EngineOptions::default());
    let data = noisy(200, 15);
    let s = store(&[("m", data.clone())]);
    let got = range_points(&e, &s, "ewma(m[2m], 0.3)", 120, 2900, 60).unwrap();
    assert_eq!(got.len(), 47);
    for (t, v) in got {
        let w = window(&data, t, 120);
        let want = w.iter().skip(1).fold(w[0], |s, x| 0.3 * x + 0.7 * s);
        assert_close(v, want, &format!("ewma at {t}"));
    }
    // An alpha outside (0, 1] gives no value.
    assert_eq!(range_points(&e, &s, "ewma(m[2m], 1.5)", 120, 600, 60).unwrap(), vec![]);
}

#[test]
fn percentile_over_time_is_nearest_rank() {
    let rt = runtime(UdfLimits::default());
    let p = module("percentile_over_time.wat", &example("percentile_over_time.wat"), &rt);
    let e = engine(&[&p], EngineOptions::default());
    let data = noisy(100, 10);
    let s = store(&[("m", data.clone())]);
    for pct in [0.0, 25.0, 50.0, 90.0, 100.0] {
        let q = format!("percentile_over_time({pct}, m[3m])");
        let got = range_points(&e, &s, &q, 180, 990, 30).unwrap();
        assert_eq!(got.len(), 28, "{q}");
        for (t, v) in got {
            let mut w = window(&data, t, 180);
            w.sort_by(f64::total_cmp);
            let rank = ((pct / 100.0 * w.len() as f64).ceil() as usize).max(1);
            assert_close(v, w[rank - 1], &format!("{q} at {t}"));
        }
    }
    assert_eq!(
        range_points(&e, &s, "percentile_over_time(101, m[3m])", 180, 300, 60).unwrap(),
        vec![]
    );
}

#[test]
fn load_dir_registers_every_example_and_refuses_clashes() {
    let mut registry = rill_engine::functions::builtin_registry();
    let before = registry.names().len();
    let modules = load_dir(&examples_dir(), &mut registry, &UdfLimits::default()).unwrap();
    let names: Vec<&str> = modules
        .iter()
        .flat_map(|m| m.functions())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, vec!["ewma", "percentile_over_time", "xincrease", "xrate"]);
    assert_eq!(registry.names().len(), before + 4);
    assert!(registry.get("xrate").is_some());
    // Loading the same directory again clashes with the functions now registered.
    let err = load_dir(&examples_dir(), &mut registry, &UdfLimits::default())
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("ewma.wat") && err.to_string().contains("clashes"),
        "{err}"
    );
}

#[test]
fn assemblyscript_example_when_built() {
    let built = examples_dir().join("assemblyscript/build/spread.wasm");
    let Ok(bytes) = std::fs::read(&built) else {
        eprintln!(
            "skipped: {} not built (run examples/udf/assemblyscript/build.sh)",
            built.display()
        );
        return;
    };
    let rt = runtime(UdfLimits::default());
    let m = module("spread.wasm", &bytes, &rt);
    let e = engine(&[&m], EngineOptions::default());
    let data = noisy(120, 10);
    let s = store(&[("m", data.clone())]);
    let got = range_points(&e, &s, "spread_over_time(m[1m])", 60, 1190, 10).unwrap();
    assert_eq!(got.len(), 114);
    for (t, v) in got {
        let w = window(&data, t, 60);
        let want = w.iter().cloned().fold(f64::MIN, f64::max) - w.iter().cloned().fold(f64::MAX, f64::min);
        assert_close(v, want, &format!("spread_over_time at {t}"));
    }
    let got = range_points(&e, &s, "sigmoid(m / 50 - 1)", 0, 1190, 10).unwrap();
    assert_eq!(got.len(), 120);
    for ((t, v), (_, x)) in got.iter().zip(&data) {
        assert_close(*v, 1.0 / (1.0 + (-(x / 50.0 - 1.0)).exp()), &format!("sigmoid at {t}"));
    }
}
