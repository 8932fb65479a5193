//! Engine regressions found by the differential fuzzer (`scripts/difffuzz.sh`) against a
//! real Prometheus, with Prometheus 3.x's default features (no delayed name removal, as
//! `rill serve`). The minimised queries are also kept in
//! `crates/rill-querygen/regressions/differential.promql`.

use std::sync::Arc;

use rill_engine::functions::builtin_registry;
use rill_engine::{Engine, EngineOptions, Features, QueryValue};
use rill_model::{Labels, MemoryStore, Sample};

const M: i64 = 60_000;
/// Label pairs and the values at 0 and 1m.
type TestSeries = (&'static [(&'static str, &'static str)], [f64; 2]);

const DUPLICATE: &str = "vector cannot contain metrics with the same labelset";

fn setup() -> (Engine, MemoryStore) {
    let mut s = MemoryStore::new();
    let series: [TestSeries; 6] = [
        (&[("__name__", "m1"), ("x", "1")], [1.0, 2.0]),
        (&[("__name__", "m2"), ("x", "1")], [3.0, 4.0]),
        (&[("__name__", "n"), ("x", "1"), ("y", "a")], [5.0, 6.0]),
        (&[("__name__", "n"), ("x", "1"), ("y", "b")], [7.0, 8.0]),
        (&[("__name__", "k"), ("x", "2"), ("y", "a")], [9.0, f64::NAN]),
        (&[("__name__", "k"), ("x", "2"), ("y", "b")], [10.0, 11.0]),
    ];
    for (labels, values) in series {
        let l = Labels::from_pairs(labels.iter().copied());
        for (i, v) in values.into_iter().enumerate() {
            s.append(&l, Sample::float(i as i64 * M, v)).unwrap_or_default();
        }
    }
    let options = EngineOptions {
        features: Features::prometheus_defaults(),
        ..EngineOptions::default()
    };
    (Engine::new(options, Arc::new(builtin_registry())), s)
}

/// The error text of an instant query at 1m, or its result.
fn instant(q: &str) -> Result<QueryValue, String> {
    let (e, s) = setup();
    e.instant_query(&s, q, M)
        .map(|r| r.value)
        .map_err(|err| err.to_string())
}

fn range(q: &str) -> Result<QueryValue, String> {
    let (e, s) = setup();
    e.range_query(&s, q, 0, M, M)
        .map(|r| r.value)
        .map_err(|err| err.to_string())
}

#[test]
fn name_dropping_functions_fail_on_colliding_label_sets_below_aggregations() {
    // Minimised from `avg(atanh({__name__=~"node.*"}))` and `sum(rate({method="GET"}[1m]))`.
    for q in ["sum(abs({__name__=~\"m.\"}))", "avg(-{__name__=~\"m.\"})"] {
        let r = instant(q);
        assert!(r.as_ref().is_err_and(|e| e.contains(DUPLICATE)), "{q}: {r:?}");
    }
    let r = range("count(rate({__name__=~\"m.\"}[2m]))");
    assert!(r.as_ref().is_err_and(|e| e.contains(DUPLICATE)), "{r:?}");
    let r = instant("sum(abs(m1))");
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn operands_are_evaluated_in_full_even_when_nothing_matches() {
    // Minimised from `stdvar(deg(a @ start() + on () b)) == ignoring () (histogram_fraction(...))`.
    let dup = "found duplicate series for the match group {x=\"1\"} on the right hand-side of the operation";
    for q in [
        "(m1 + on (x) n) == nonexistent",
        "nonexistent * on (x) (m1 + on (x) n)",
        "(m1 + on (x) n) and nonexistent",
        "nonexistent unless (m1 + on (x) n)",
    ] {
        let r = instant(q);
        assert!(r.as_ref().is_err_and(|e| e.contains(dup)), "{q}: {r:?}");
    }
}

#[test]
fn duplicates_on_the_one_side_fail_even_without_a_match() {
    // Minimised from `node_load1 > on (instance) http_requests_total`: Prometheus indexes the
    // whole right-hand side, so its duplicates fail the query whenever the left side has any
    // sample at that step, matching or not.
    let dup = "found duplicate series for the match group {x=\"2\"} on the right hand-side of the operation";
    for q in ["m1 > on (x) k", "m1 + on (x) group_left k", "k + on (x) group_right m1"] {
        let r = instant(q);
        assert!(
            r.as_ref()
                .is_err_and(|e| e.contains(dup) || e.contains("left hand-side")),
            "{q}: {r:?}"
        );
    }
    let r = range("m1 > on (x) k");
    assert!(r.as_ref().is_err_and(|e| e.contains(dup)), "{r:?}");
    // No sample on the left: nothing to match, no error (Prometheus short-circuits).
    let r = instant("nonexistent > on (x) k");
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn subqueries_whose_range_holds_no_grid_point_evaluate_only_step_invariant_inner_expressions() {
    // Minimised from `rate(tan({job="api"})[15s:])`: at 1m, the 1m grid of `[15s:20s]` has
    // 40s and 60s in (45s, 60s]; of `[10s:40s]` nothing in (50s, 60s], so Prometheus never
    // evaluates `abs(...)` and the colliding label sets there cannot fail the query.
    let r = instant("count_over_time(abs({__name__=~\"m.\"})[15s:20s])");
    assert!(r.as_ref().is_err_and(|e| e.contains(DUPLICATE)), "{r:?}");
    let r = instant("count_over_time(abs({__name__=~\"m.\"})[10s:40s])");
    assert!(matches!(&r, Ok(QueryValue::Vector(v)) if v.is_empty()), "{r:?}");
    // The same with `@` on the subquery: (20s, 30s] holds no multiple of 40s.
    let r = instant("count_over_time(abs({__name__=~\"m.\"})[10s:40s] @ 30)");
    assert!(matches!(&r, Ok(QueryValue::Vector(v)) if v.is_empty()), "{r:?}");
    // A step-invariant inner expression is evaluated once, at the first grid step (80s),
    // even so: its errors surface, and a bare subquery shows that point, after the
    // evaluation time (minimised from `vector(18)[2m:5m]` and `up @ start()[15s:]`).
    let dup = "found duplicate series for the match group {} on the right hand-side";
    let r = instant("count_over_time((m1 @ 60 + on () n @ 60)[10s:40s])");
    assert!(r.as_ref().is_err_and(|e| e.contains(dup)), "{r:?}");
    let r = instant("count_over_time((m1 + on () n)[10s:40s])");
    assert!(matches!(&r, Ok(QueryValue::Vector(v)) if v.is_empty()), "{r:?}");
    let r = instant("vector(18)[10s:40s]");
    let points = match &r {
        Ok(QueryValue::Matrix(m)) => m
            .iter()
            .map(|s| (s.labels.clone(), s.floats.clone()))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(points.len(), 1, "{r:?}");
    assert_eq!(points[0].0, Labels::default());
    assert_eq!(
        points[0].1.iter().map(|p| (p.t, p.f)).collect::<Vec<_>>(),
        [(80_000, 18.0)]
    );
    let r = instant("m1 @ 60 [10s:40s]");
    assert!(
        matches!(&r, Ok(QueryValue::Matrix(m)) if m.len() == 1 && m[0].floats.len() == 1),
        "{r:?}"
    );
    let r = instant("m1[10s:40s]");
    assert!(matches!(&r, Ok(QueryValue::Matrix(m)) if m.is_empty()), "{r:?}");
}

/// The points `(t, v)` of each series of a range query over `square{}`, whose value at
/// minute `m` (0..=10) is `m²`.
fn range_over_squares(q: &str, start: i64, end: i64) -> Vec<Vec<(i64, f64)>> {
    let mut s = MemoryStore::new();
    let l = Labels::from_pairs([("__name__", "square")]);
    for m in 0..=10i64 {
        s.append(&l, Sample::float(m * M, (m * m) as f64)).unwrap_or_default();
    }
    let (e, _) = setup();
    match e.range_query(&s, q, start, end, M).map(|r| r.value) {
        Ok(QueryValue::Matrix(series)) => series
            .into_iter()
            .map(|s| s.floats.into_iter().map(|p| (p.t / M, p.f)).collect())
            .collect(),
        other => panic!("{q}: {other:?}"),
    }
}

/// A range query from minute to minute (step 1m) and the points (minute, value) it must give.
type RangeCase = (&'static str, i64, i64, &'static [(i64, f64)]);

/// Whether two point lists agree in times and, within 1e-9, in values.
fn same_points(a: &[Vec<(i64, f64)>], b: &[Vec<(i64, f64)>]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.0 == q.0 && (p.1 - q.1).abs() < 1e-9))
}

#[test]
fn the_at_time_of_predict_linears_range_drifts_with_the_steps() {
    // Minimised from `predict_linear(node_memory_MemAvailable_bytes[1m] @ start(), -300)`:
    // Prometheus reads `@ t` as the offset `start - t`, and predict_linear is not step
    // invariant, so at step `s` its window ends at `t + (s - start)`; the samples stay those
    // selected for `@ t`, so each window holds fewer of them, and none from `t + range` on.
    let cases: [RangeCase; 3] = [
        // (0m, 3m] at 3m: 1, 4, 9 at 1m, 2m, 3m: slope 4/min, 26/3 at 3m. (1m, 4m] at 4m: 4
        // and 9 only: 14 at 4m (a window pinned at 3m would give 38/3). (2m, 5m]: one point.
        (
            "predict_linear(square[3m] @ 180, 0)",
            3,
            5,
            &[(3, 26.0 / 3.0), (4, 14.0)],
        ),
        // Windows (2m, 4m] then (3m, 5m] over the samples of (2m, 4m]; extrapolated 4m ahead.
        (
            "predict_linear(square[2m] @ 300 offset 1m, 0)",
            8,
            10,
            &[(8, 16.0 + 7.0 * 4.0)],
        ),
        // Other range functions keep a pinned window: `@` makes them step invariant.
        (
            "deriv(square[2m] @ 180)",
            3,
            5,
            &[(3, 5.0 / 60.0), (4, 5.0 / 60.0), (5, 5.0 / 60.0)],
        ),
    ];
    for (q, start, end, want) in cases {
        let got = range_over_squares(q, start * M, end * M);
        assert!(same_points(&got, &[want.to_vec()]), "{q}: got {got:?}, want {want:?}");
    }
}

#[test]
fn topk_with_no_k_above_zero_still_evaluates_its_operand() {
    // Minimised from `scalar(topk(0, resets({__name__=~"node.*"}[30s])))`: Prometheus
    // evaluates the operand before looking at k, so its colliding label sets fail the query.
    for q in [
        "topk(0, abs({__name__=~\"m.\"}))",
        "bottomk(-1, rate({__name__=~\"m.\"}[2m]))",
    ] {
        let r = instant(q);
        assert!(r.as_ref().is_err_and(|e| e.contains(DUPLICATE)), "{q}: {r:?}");
    }
    let r = instant("topk(0, abs(m1))");
    assert!(matches!(&r, Ok(QueryValue::Vector(v)) if v.is_empty()), "{r:?}");
}
