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
