//! Minimal reproductions of the bugs the fuzzers found, each asserting the correct behaviour
//! (or, where the right value is not known here, only that nothing panics or fails internally).
//! The fixes belong to `rill-promql` and `rill-engine`; see each test's doc.

use std::process::Command;

use rill_engine::{Engine, EngineOptions, Error, Features};
use rill_model::MemoryStore;
use rill_promql::{ParseOptions, StandardFunctions, parse};

/// Parses `q`, prints it, and checks that the printed form parses and prints the same.
fn assert_round_trip(q: &str) {
    let opts = ParseOptions::all();
    let Ok(expr) = parse(q, &StandardFunctions, &opts) else {
        return; // rejecting the input is also consistent
    };
    let printed = expr.to_string();
    let reparsed = parse(&printed, &StandardFunctions, &opts)
        .unwrap_or_else(|e| panic!("{q:?} prints as {printed:?}, which does not parse: {e}"));
    assert_eq!(reparsed.to_string(), printed, "{q:?}: printing is not stable");
}

/// `Inf ^ x` prints as `+Inf ^ x`, which re-parses as `+(Inf ^ x)` and prints `++Inf ^ x`.
/// Fix (printer.rs `write_binary`): parenthesise a number operand whose text starts with a
/// sign (`+Inf`, `-Inf`, negatives) when it is the left operand of `^`.
#[test]
fn infinite_base_of_power_round_trips() {
    assert_round_trip("Inf ^ up");
    assert_round_trip("inf ^ 2");
    assert_round_trip("1 + Inf ^ 2 ^ up");
}

/// `up[9223372036854775807ms]` parses, but its range prints as `9.223372036854776e+15` seconds,
/// which is "duration out of range". Fix (printer.rs `DurationDisplay`): print every whole
/// number of milliseconds that fits an `i64` as a duration (the `ms.abs() < 9.0e18` bound is
/// below `i64::MAX`), or make the parser's limits for numbers and duration literals agree.
#[test]
fn largest_millisecond_duration_round_trips() {
    assert_round_trip("up[9223372036854775807ms]");
    assert_round_trip("up offset 9223372036854775807ms");
    assert_round_trip("rate(up[10m + 9223372036854775807ms])");
}

/// `{"node", "foo"}` (two quoted metric names) parses and prints as `node{__name__="foo"}`,
/// which is rejected ("metric name must not be set twice"). Fix (parser selector.rs or
/// printer.rs `write_selector`): reject a second bare name inside the braces as
/// `node{"foo"}` is rejected, or print the second name matcher without promoting the first.
#[test]
fn two_quoted_metric_names_print_reparseably() {
    assert_round_trip("{\"node\", \"foo\"}");
    assert_round_trip("{# comment\n\"a\", \"b\"}");
}

fn engine() -> Engine {
    Engine::with_builtins(EngineOptions {
        features: Features::all(),
        ..EngineOptions::default()
    })
}

/// `up anchored` parses but the planner answers with an internal error ("anchored instant
/// vector selectors are not implemented yet"), which the API would report as a 500. Fix
/// (planner.rs `plan_vector_selector`): implement it, or reject it with Prometheus's
/// user-facing error. The right value is not asserted here, only that it is not internal.
#[test]
fn anchored_instant_selector_is_not_an_internal_error() {
    let store = MemoryStore::new();
    for q in ["up anchored", "sum(up anchored offset 5m)"] {
        let r = engine().instant_query(&store, q, 1_000_000);
        assert!(!matches!(r, Err(Error::Internal(_))), "{q}: {r:?}");
    }
}

/// `info` and `start_timestamp` are in `rill_promql::standard_function_names()` but not in the
/// engine's built-in registry, so `info(up)` fails with "unknown function". Fix: register
/// them in `rill-engine/src/functions/mod.rs`.
#[test]
fn every_standard_function_is_registered() {
    let e = engine();
    let missing: Vec<&str> = rill_promql::standard_function_names()
        .filter(|name| e.registry().get(name).is_none())
        .collect();
    assert!(missing.is_empty(), "functions missing from the engine: {missing:?}");
}

/// Nestings the parser accepts (below `MAX_DEPTH`) must not overflow a 2 MiB thread stack,
/// the size of a typical server worker thread; an overflow aborts the whole process. In an
/// unoptimised build, `max_over_time((...)[5m:1m])` nested 64 deep overflows it (about 3
/// parser frames per level, tens of KiB each). Fix (parser/mod.rs): count depth in every
/// recursive production so `MAX_DEPTH` bounds the real recursion, and keep frames small (or
/// run parsing on a thread with a known, larger stack).
#[test]
fn deep_nesting_fits_a_two_mib_stack() {
    const CHILD: &str = "RILL_QUERYGEN_STACK_PROBE";
    if std::env::var_os(CHILD).is_some() {
        stack_probe();
        return;
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current exe: {e}"));
    let out = Command::new(exe)
        .args([
            "--exact",
            "deep_nesting_fits_a_two_mib_stack",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the probe: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last_try = stderr.lines().rfind(|l| l.starts_with("probe ")).unwrap_or("none");
    assert!(out.status.success(), "the probe crashed; last input tried: {last_try}");
}

/// Parses deeply nested shapes on a 2 MiB thread, printing each before trying it.
fn stack_probe() {
    let shapes: [(&str, &str, &str); 7] = [
        ("(", "up", ")"),
        ("-", "up", ""),
        ("sum(", "up", ")"),
        ("abs(", "up", ")"),
        ("max_over_time((", "up", ")[5m:1m])"),
        ("", "up", " + 1"),
        ("", "2", " ^ 2"),
    ];
    let handle = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        for (open, inner, close) in shapes {
            for n in [16, 32, 48, 64, 96, 127, 128, 129, 1000, 5000] {
                let q = format!("{}{inner}{}", open.repeat(n), close.repeat(n));
                eprintln!("probe {n} x {open:?}{inner}{close:?}");
                if let Ok(e) = parse(&q, &StandardFunctions, &ParseOptions::all()) {
                    let _ = e.to_string();
                }
            }
        }
    });
    let joined = handle.map(|h| h.join());
    assert!(matches!(joined, Ok(Ok(()))), "probe thread failed");
}

/// `sort_by_label_desc` over the demo's classic-histogram buckets panics inside the standard
/// library's sort ("user-provided comparison function does not correctly implement a total
/// order"): `natural_cmp` (functions/sort.rs) returns `Equal` for different strings whose digit
/// runs have the same value (`"0.05"` vs `"0.005"`: `05` and `005` are both 5), and `compare`
/// then skips the full-label-set tie break. Fix: in `natural_cmp`, break numeric ties by the
/// text (`i.cmp(&j).then_with(|| x.cmp(y))`), and in `SortBy::compare` fall back to
/// `a.0.cmp(b.0)` whenever the label comparison is `Equal`.
#[test]
fn sort_by_label_on_bucket_bounds_does_not_panic() {
    let mut store = MemoryStore::new();
    rill_codec::demo::demo_dataset(&mut store).unwrap_or_else(|e| panic!("demo: {e}"));
    let t = 1_700_006_901_000;
    for q in [
        "sort_by_label_desc(http_request_duration_seconds_bucket, \"le\", \"method\", \"job\")",
        "sort_by_label(http_request_duration_seconds_bucket, \"le\")",
        "month(stddev(process_resident_memory_bytes) or sort_by_label_desc(http_request_duration_seconds_bucket, \"le\", `method`, `job`))",
    ] {
        let r = std::panic::catch_unwind(|| engine().instant_query(&store, q, t).map(|r| r.value));
        assert!(r.is_ok(), "{q} panicked");
    }
}
