//! End-to-end queries through `Engine` over a `MemoryStore`: selectors, staleness, offsets,
//! `@`, range selectors, subqueries, binary operators, result shapes, limits and memory.

use std::sync::Arc;

use rill_engine::{Engine, EngineOptions, Error, Features, FunctionRegistry, QueryValue};
use rill_model::{Labels, MemoryStore, Sample, stale_nan};

const M: i64 = 60_000;

/// A series to load: label pairs, then `(minute, value)` samples.
type TestSeries<'a> = (&'a [(&'a str, &'a str)], &'a [(i64, f64)]);

/// Loads `series` into a store.
fn store(series: &[TestSeries<'_>]) -> MemoryStore {
    let mut s = MemoryStore::new();
    for (labels, samples) in series {
        let l = Labels::from_pairs(labels.iter().copied());
        for &(min, v) in *samples {
            s.append(&l, Sample::float(min * M, v)).unwrap();
        }
    }
    s
}

fn engine(delayed: bool) -> Engine {
    let mut features = Features::all();
    features.delayed_name_removal = delayed;
    let options = EngineOptions {
        features,
        ..EngineOptions::default()
    };
    Engine::new(options, Arc::new(FunctionRegistry::empty()))
}

/// Instant query result as sorted `(labels, value)` strings.
fn instant(e: &Engine, s: &MemoryStore, q: &str, t_min: i64) -> Vec<String> {
    let r = e
        .instant_query(s, q, t_min * M)
        .unwrap_or_else(|err| panic!("{q}: {err}"));
    let mut out: Vec<String> = match r.value {
        QueryValue::Vector(v) => v.iter().map(|x| format!("{} {}", x.labels, x.f)).collect(),
        QueryValue::Scalar { v, .. } => vec![format!("scalar {v}")],
        QueryValue::Matrix(m) => m
            .iter()
            .map(|s| {
                let pts: Vec<String> = s.floats.iter().map(|p| format!("{}@{}", p.f, p.t / 1000)).collect();
                format!("{} [{}]", s.labels, pts.join(" "))
            })
            .collect(),
        QueryValue::String { v, .. } => vec![format!("string {v}")],
    };
    out.sort();
    out
}

fn range(e: &Engine, s: &MemoryStore, q: &str, start: i64, end: i64, step: i64) -> Vec<String> {
    let r = e
        .range_query(s, q, start * M, end * M, step * M)
        .unwrap_or_else(|err| panic!("{q}: {err}"));
    let QueryValue::Matrix(m) = r.value else {
        panic!("range query gave {:?}", r.value)
    };
    m.iter()
        .map(|s| {
            let pts: Vec<String> = s.floats.iter().map(|p| format!("{}@{}", p.f, p.t / M)).collect();
            format!("{} [{}]", s.labels, pts.join(" "))
        })
        .collect()
}

fn basic() -> MemoryStore {
    store(&[
        (
            &[("__name__", "a"), ("job", "x")],
            &[(0, 1.0), (1, 2.0), (2, 3.0), (3, 4.0)],
        ),
        (
            &[("__name__", "a"), ("job", "y")],
            &[(0, 10.0), (1, 20.0), (2, 30.0), (3, 40.0)],
        ),
        (
            &[("__name__", "b"), ("job", "x")],
            &[(0, 100.0), (1, 200.0), (2, 300.0), (3, 400.0)],
        ),
    ])
}

#[test]
fn instant_selector_lookback_offset_and_at() {
    let e = engine(false);
    let s = basic();
    assert_eq!(instant(&e, &s, "a", 2), vec![r#"a{job="x"} 3"#, r#"a{job="y"} 30"#]);
    // 5m lookback, left-open: the sample at 3m is visible at 8m but not at 8m + 0.
    assert_eq!(instant(&e, &s, "a{job='x'}", 7), vec![r#"a{job="x"} 4"#]);
    assert!(instant(&e, &s, "a{job='x'}", 8).is_empty());
    assert_eq!(instant(&e, &s, "a{job='x'} offset 2m", 3), vec![r#"a{job="x"} 2"#]);
    assert_eq!(instant(&e, &s, "a{job='x'} offset -1m", 1), vec![r#"a{job="x"} 3"#]);
    assert_eq!(instant(&e, &s, "a{job='x'} @ 60", 3), vec![r#"a{job="x"} 2"#]);
    assert_eq!(
        range(&e, &s, "a{job='x'} @ end()", 0, 2, 1),
        vec![r#"a{job="x"} [3@0 3@1 3@2]"#]
    );
    assert_eq!(
        range(&e, &s, "b", 0, 3, 1),
        vec![r#"b{job="x"} [100@0 200@1 300@2 400@3]"#]
    );
}

/// Prometheus accepts `anchored` on an instant selector but evaluates it like a plain one
/// (only range selectors are anchored).
#[test]
fn anchored_instant_selector_is_a_plain_selector() {
    let e = engine(false);
    let s = basic();
    for t in [2, 7, 8] {
        assert_eq!(instant(&e, &s, "a anchored", t), instant(&e, &s, "a", t), "at {t}m");
    }
    assert_eq!(
        instant(&e, &s, "a{job='x'} anchored offset 2m", 3),
        vec![r#"a{job="x"} 2"#]
    );
    assert_eq!(range(&e, &s, "b anchored", 0, 3, 1), range(&e, &s, "b", 0, 3, 1));
}

#[test]
fn smoothed_selector_interpolates() {
    let e = engine(false);
    let s = store(&[(&[("__name__", "m")], &[(0, 0.0), (2, 20.0), (4, 40.0)])]);
    // Exact at 2m, halfway between 2m and 4m at 3m, carried forward after the last sample.
    assert_eq!(instant(&e, &s, "m smoothed", 2), vec!["m 20"]);
    assert_eq!(instant(&e, &s, "m smoothed", 3), vec!["m 30"]);
    assert_eq!(instant(&e, &s, "m smoothed", 6), vec!["m 40"]);
    assert_eq!(range(&e, &s, "m smoothed", 0, 2, 1), vec!["m [0@0 10@1 20@2]"]);
}

#[test]
fn stale_markers_end_series() {
    let mut s = basic();
    let l = Labels::from_pairs([("__name__", "a"), ("job", "x")]);
    s.append(&l, Sample::float(4 * M, stale_nan())).unwrap();
    let e = engine(false);
    assert!(instant(&e, &s, "a{job='x'}", 5).is_empty());
    assert_eq!(
        instant(&e, &s, "a{job='x'}[5m]", 5),
        vec![r#"a{job="x"} [2@60 3@120 4@180]"#]
    );
}

#[test]
fn range_selector_windows_are_left_open() {
    let e = engine(false);
    let s = basic();
    assert_eq!(instant(&e, &s, "b[2m]", 3), vec![r#"b{job="x"} [300@120 400@180]"#]);
    assert_eq!(
        instant(&e, &s, "b[2m] offset 1m", 3),
        vec![r#"b{job="x"} [200@60 300@120]"#]
    );
    let r = e.range_query(&s, "b[2m]", 0, M, M).unwrap_err();
    assert_eq!(
        r.to_string(),
        r#"invalid expression type "range vector" for range query, must be Scalar or instant Vector"#
    );
}

#[test]
fn subqueries_align_to_their_step() {
    let e = engine(false);
    let s = basic();
    assert_eq!(
        instant(&e, &s, "b[3m:1m]", 3),
        vec![r#"b{job="x"} [200@60 300@120 400@180]"#]
    );
    assert_eq!(instant(&e, &s, "b[3m:2m]", 3), vec![r#"b{job="x"} [300@120]"#]);
    assert_eq!(
        instant(&e, &s, "(-b)[2m:1m] offset 1m", 3),
        vec![r#"{job="x"} [-200@60 -300@120]"#]
    );
    assert_eq!(
        instant(&e, &s, "b[4m:1m] @ 120", 3),
        vec![r#"b{job="x"} [100@0 200@60 300@120]"#]
    );
    assert!(matches!(
        e.instant_query(&s, "(b[2m:1m])[2m:1m]", 0),
        Err(Error::Parse(_))
    ));
}

#[test]
fn arithmetic_and_comparisons() {
    let e = engine(false);
    let s = basic();
    assert_eq!(instant(&e, &s, "1 + 2 * 3", 0), vec!["scalar 7"]);
    assert_eq!(instant(&e, &s, "2 > bool 1", 0), vec!["scalar 1"]);
    assert_eq!(instant(&e, &s, "-b", 1), vec![r#"{job="x"} -200"#]);
    assert_eq!(instant(&e, &s, "a * 2", 1), vec![r#"{job="x"} 4"#, r#"{job="y"} 40"#]);
    assert_eq!(instant(&e, &s, "2 - a", 1), vec![r#"{job="x"} 0"#, r#"{job="y"} -18"#]);
    assert_eq!(instant(&e, &s, "a > 5", 1), vec![r#"a{job="y"} 20"#]);
    assert_eq!(instant(&e, &s, "5 < a", 1), vec![r#"a{job="y"} 20"#]);
    assert_eq!(
        instant(&e, &s, "a > bool 5", 1),
        vec![r#"{job="x"} 0"#, r#"{job="y"} 1"#]
    );
    assert_eq!(instant(&e, &s, "a + b", 1), vec![r#"{job="x"} 202"#]);
    assert_eq!(instant(&e, &s, "b / on(job) a", 1), vec![r#"{job="x"} 100"#]);
    assert_eq!(instant(&e, &s, "a < b", 1), vec![r#"a{job="x"} 2"#]);
    assert_eq!(instant(&e, &s, "b % 7", 1), vec![r#"{job="x"} 4"#]);
    assert_eq!(instant(&e, &s, "a ^ 2", 1), vec![r#"{job="x"} 4"#, r#"{job="y"} 400"#]);
}

#[test]
fn grouped_matching_and_errors() {
    let s = store(&[
        (&[("__name__", "req"), ("job", "x"), ("path", "/a")], &[(0, 1.0)]),
        (&[("__name__", "req"), ("job", "x"), ("path", "/b")], &[(0, 2.0)]),
        (&[("__name__", "info"), ("job", "x"), ("team", "t1")], &[(0, 10.0)]),
    ]);
    let e = engine(false);
    assert_eq!(
        instant(&e, &s, "req * on(job) group_left(team) info", 0),
        vec![
            r#"{job="x", path="/a", team="t1"} 10"#,
            r#"{job="x", path="/b", team="t1"} 20"#
        ]
    );
    assert_eq!(
        instant(&e, &s, "info * on(job) group_right req", 0),
        vec![r#"{job="x", path="/a"} 10"#, r#"{job="x", path="/b"} 20"#]
    );
    let err = e.instant_query(&s, "req * on(job) info", 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
    );
    let err = e.instant_query(&s, "info * on(job) req", 0).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"found duplicate series for the match group {job="x"} on the right hand-side of the operation: [{__name__="req", job="x", path="/a"}, {__name__="req", job="x", path="/b"}];many-to-many matching not allowed: matching labels must be unique on one side"#
    );
}

#[test]
fn fill_modifiers() {
    let e = engine(false);
    let s = basic();
    assert_eq!(
        instant(&e, &s, "a + fill(0) b", 1),
        vec![r#"{job="x"} 202"#, r#"{job="y"} 20"#]
    );
    assert_eq!(
        instant(&e, &s, "b - fill_left(1) a", 1),
        vec![r#"{job="x"} 198"#, r#"{job="y"} -19"#]
    );
    assert_eq!(instant(&e, &s, "b - fill_right(1) a", 1), vec![r#"{job="x"} 198"#]);
    assert_eq!(
        instant(&e, &s, "b > bool fill_left(5) a", 1),
        vec![r#"{job="x"} 1"#, r#"{job="y"} 0"#]
    );
}

#[test]
fn set_operators() {
    let e = engine(false);
    let s = basic();
    assert_eq!(instant(&e, &s, "a and b", 1), vec![r#"a{job="x"} 2"#]);
    assert_eq!(instant(&e, &s, "a unless b", 1), vec![r#"a{job="y"} 20"#]);
    assert_eq!(
        instant(&e, &s, "b or a", 1),
        vec![r#"a{job="y"} 20"#, r#"b{job="x"} 200"#]
    );
    assert_eq!(instant(&e, &s, "a and on() b", 1).len(), 2);
    // Per step: `a` ends at 3m, so from 4m (within lookback) both remain... b or a at 9m has none.
    assert!(instant(&e, &s, "b or a", 9).is_empty());
}

#[test]
fn name_collisions_after_dropping() {
    let e = engine(false);
    let s = basic();
    let err = e.instant_query(&s, "-{job='x'}", M).unwrap_err();
    assert_eq!(err.to_string(), "vector cannot contain metrics with the same labelset");
    let ed = engine(true);
    let err = ed.instant_query(&s, "-{job='x'}", M).unwrap_err();
    assert_eq!(err.to_string(), "vector cannot contain metrics with the same labelset");
    // Delayed removal keeps the name through a filter.
    assert_eq!(instant(&ed, &s, "-a > -5", 1), vec![r#"{job="x"} -2"#]);
}

#[test]
fn scalar_and_string_results() {
    let e = engine(false);
    let s = basic();
    assert_eq!(range(&e, &s, "1 + 1", 0, 2, 1), vec!["{} [2@0 2@1 2@2]"]);
    assert_eq!(instant(&e, &s, "\"hi\"", 0), vec!["string hi"]);
}

#[test]
fn memory_is_returned_and_limited() {
    let s = basic();
    let e = engine(false);
    for q in ["a + b", "b[3m:1m]", "a or b", "-a", "b[2m]"] {
        let r = e.instant_query(&s, q, 3 * M).unwrap();
        assert!(r.stats.peak_memory_bytes > 0, "{q}");
    }
    let tiny = Engine::new(
        EngineOptions {
            memory_limit_bytes: 64,
            ..EngineOptions::default()
        },
        Arc::new(FunctionRegistry::empty()),
    );
    let err = tiny.range_query(&s, "a + b", 0, 3 * M, 1000).unwrap_err();
    assert!(matches!(err, Error::MemoryLimit { .. }), "{err}");
}

#[test]
fn canceled_queries_stop() {
    let s = basic();
    let e = engine(false);
    let expr = e.parse("a").unwrap();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let err = e
        .execute(&s, &expr, "a", rill_engine::QueryTimeRange::instant(0), Some(flag))
        .unwrap_err();
    assert!(matches!(err, Error::Canceled(_)), "{err}");
}

#[test]
fn extreme_times_do_not_panic() {
    let e = engine(false);
    let s = basic();
    for q in [
        "a @ 9223372036854775",
        "a offset -100000000y",
        "a[5m] @ -9223372036854775",
        "a[1y:1m] offset 100000y",
        "a smoothed",
    ] {
        // Errors are fine; panics are not.
        let _ = e.instant_query(&s, q, i64::MAX / 2);
        let _ = e.instant_query(&s, q, i64::MIN / 2);
    }
}
