//! The engine's element-wise functions and `^`/`atan2` answer with Rill's ports of Go's
//! `math` (`rill_model::go_math`, checked against Go itself in rill-model's `go_math` test),
//! not with libm.

use std::sync::Arc;

use rill_engine::functions::builtin_registry;
use rill_engine::{Engine, EngineOptions, QueryValue};
use rill_model::go_math as gm;
use rill_model::{Labels, MemoryStore, Sample};

/// The engine's element-wise functions and `^`/`atan2` are wired to the ports: for inputs where
/// Go and libm round differently, each query answers the port's bits.
#[test]
fn promql_functions_and_operators_answer_the_go_bits() {
    type Case = (&'static str, f64, Option<f64>, fn(f64, f64) -> f64, fn(f64, f64) -> f64);
    let cases: [Case; 18] = [
        ("exp", 0.8681355693769461, None, |x, _| gm::exp(x), |x, _| x.exp()),
        ("ln", 3.3089333057991173, None, |x, _| gm::log(x), |x, _| x.ln()),
        ("log2", 0.39709901175229634, None, |x, _| gm::log2(x), |x, _| x.log2()),
        (
            "log10",
            0.16063338531311372,
            None,
            |x, _| gm::log10(x),
            |x, _| x.log10(),
        ),
        ("sin", -43.30287426378861, None, |x, _| gm::sin(x), |x, _| x.sin()),
        ("cos", -4.111119770680071, None, |x, _| gm::cos(x), |x, _| x.cos()),
        ("tan", -0.8487621147185059, None, |x, _| gm::tan(x), |x, _| x.tan()),
        ("asin", -0.8044946229840778, None, |x, _| gm::asin(x), |x, _| x.asin()),
        ("acos", 0.9271059326468566, None, |x, _| gm::acos(x), |x, _| x.acos()),
        ("atan", 15.181029243844685, None, |x, _| gm::atan(x), |x, _| x.atan()),
        ("sinh", 0.22740930698854175, None, |x, _| gm::sinh(x), |x, _| x.sinh()),
        ("cosh", 33.249524462094435, None, |x, _| gm::cosh(x), |x, _| x.cosh()),
        ("tanh", 0.149186045627222, None, |x, _| gm::tanh(x), |x, _| x.tanh()),
        ("asinh", 3.0845835475892596, None, |x, _| gm::asinh(x), |x, _| x.asinh()),
        ("acosh", 1.3434567400110846, None, |x, _| gm::acosh(x), |x, _| x.acosh()),
        (
            "atanh",
            0.02433756302316046,
            None,
            |x, _| gm::atanh(x),
            |x, _| x.atanh(),
        ),
        ("^", 0.9619565392897615, Some(-292.3567494183762), gm::pow, f64::powf),
        (
            "atan2",
            1.0003222410801853,
            Some(0.26517704003955656),
            gm::atan2,
            f64::atan2,
        ),
    ];
    let mut store = MemoryStore::new();
    for (i, (_, x, _, _, _)) in cases.iter().enumerate() {
        let labels = Labels::from_pairs([("__name__", "x"), ("case", &i.to_string())]);
        store.append(&labels, Sample::float(0, *x)).expect("append");
    }
    let engine = Engine::new(EngineOptions::default(), Arc::new(builtin_registry()));
    let mut differs_from_libm = 0;
    for (i, (op, x, y, go, libm)) in cases.iter().enumerate() {
        let query = match y {
            Some(y) => format!("x{{case=\"{i}\"}} {op} {y:?}"),
            None => format!("{op}(x{{case=\"{i}\"}})"),
        };
        let result = engine
            .instant_query(&store, &query, 0)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let QueryValue::Vector(v) = result.value else {
            panic!("{query}: not a vector")
        };
        let got = v.first().unwrap_or_else(|| panic!("{query}: empty")).f;
        let y = y.unwrap_or(0.0);
        assert_eq!(
            got.to_bits(),
            go(*x, y).to_bits(),
            "{query}: {got:e} is not Go's {:e}",
            go(*x, y)
        );
        differs_from_libm += usize::from(got.to_bits() != libm(*x, y).to_bits());
    }
    // These inputs were picked where Go and glibc differ (on an AVX+FMA CPU for `exp`).
    assert!(
        differs_from_libm >= 12,
        "only {differs_from_libm} of 18 differ from libm"
    );
}
