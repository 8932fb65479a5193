//! The runner against a scripted fake engine: cross-checks, expected failures, annotations.

use std::cell::RefCell;

use rill_engine::{Annotation, Annotations, FPoint, MatrixSeries, QueryResult, QueryStats, QueryValue, VectorElement};
use rill_model::{Labels, MemoryStore};
use rill_promql::{Expr, ParseOptions, PosRange, StandardFunctions, parse};
use rill_promqltest::{QueryEngine, RunnerOptions, run_script};

/// Answers every selector query with `m{} = value`; range queries may use another value.
/// Queries starting with `fail` return the error `boom`; `warn` ones add a warning.
struct Fake {
    instant_value: f64,
    range_value: f64,
    calls: RefCell<Vec<String>>,
}

impl Fake {
    fn new(instant_value: f64, range_value: f64) -> Self {
        Fake {
            instant_value,
            range_value,
            calls: RefCell::new(Vec::new()),
        }
    }

    fn result(query: &str, value: QueryValue) -> Result<QueryResult, String> {
        if query.starts_with("fail") {
            return Err("boom".into());
        }
        let mut annotations = Annotations::default();
        if query.starts_with("warn") {
            annotations.add(Annotation::warning("careful", PosRange::new(0, 4)));
        }
        Ok(QueryResult {
            value,
            annotations,
            stats: QueryStats::default(),
        })
    }
}

fn m() -> Labels {
    Labels::from_pairs([("__name__", "m")])
}

impl QueryEngine for Fake {
    fn parse(&self, query: &str) -> Result<Expr, String> {
        parse(query, &StandardFunctions, &ParseOptions::all()).map_err(|e| e.to_string())
    }

    fn instant(&self, _: &MemoryStore, query: &str, t: i64) -> Result<QueryResult, String> {
        self.calls.borrow_mut().push(format!("instant {query} {t}"));
        let v = vec![VectorElement {
            labels: m(),
            t,
            f: self.instant_value,
            histogram: None,
        }];
        Fake::result(query, QueryValue::Vector(v))
    }

    fn range(&self, _: &MemoryStore, query: &str, start: i64, end: i64, step: i64) -> Result<QueryResult, String> {
        self.calls
            .borrow_mut()
            .push(format!("range {query} {start} {end} {step}"));
        let floats = (0..=(end - start) / step)
            .map(|i| FPoint {
                t: start + i * step,
                f: self.range_value,
            })
            .collect();
        let s = MatrixSeries {
            labels: m(),
            floats,
            histograms: vec![],
        };
        Fake::result(query, QueryValue::Matrix(vec![s]))
    }
}

fn run(engine: &Fake, text: &str) -> Vec<Option<String>> {
    let report = run_script(engine, "t.test", text, &RunnerOptions::default());
    report.cases.into_iter().map(|c| c.failure).collect()
}

#[test]
fn instant_eval_runs_every_cross_check() {
    let fake = Fake::new(1.0, 1.0);
    assert_eq!(run(&fake, "eval instant at 1m m\n  m 1\n"), vec![None]);
    let calls = fake.calls.borrow();
    assert_eq!(calls[0], "instant m 60000");
    assert_eq!(calls[1], "range m 0 120000 60000");
    // The pinned query at -10t, 0, t/5, t, 10t, each with its own range-mode check.
    assert_eq!(calls[2], "instant m @ 60.000 -600000");
    assert_eq!(calls.iter().filter(|c| c.starts_with("instant m @ 60.000")).count(), 5);
    assert_eq!(calls.len(), 12);
}

#[test]
fn range_mode_mismatch_fails_the_case() {
    let fake = Fake::new(1.0, 2.0);
    let out = run(&fake, "eval instant at 1m m\n  m 1\n");
    assert!(out[0].as_deref().is_some_and(|f| f.contains("range mode")), "{out:?}");
}

#[test]
fn time_dependent_functions_skip_the_at_check() {
    let fake = Fake::new(1.0, 1.0);
    assert_eq!(run(&fake, "eval instant at 1m timestamp(m)\n  m 1\n"), vec![None]);
    assert_eq!(fake.calls.borrow().len(), 2);
}

#[test]
fn expected_failures() {
    let fake = Fake::new(1.0, 1.0);
    let text = "eval instant at 0 fail_a\n  expect fail msg: boom\n\n\
                eval instant at 0 fail_b\n  expect fail msg: bang\n\n\
                eval instant at 0 fail_c\n  expect fail regex: ^bo+m$\n\n\
                eval instant at 0 m\n  expect fail\n\n\
                eval_fail range from 0 to 1m step 1m fail_d\n";
    let out = run(&fake, text);
    assert_eq!(out[0], None);
    assert!(out[1].as_deref().is_some_and(|f| f.contains("but got: boom")));
    assert_eq!(out[2], None);
    assert!(out[3].as_deref().is_some_and(|f| f.contains("expected error")));
    assert_eq!(out[4], None);
}

#[test]
fn annotation_expectations() {
    let fake = Fake::new(1.0, 1.0);
    let text = "eval instant at 0 warn_m\n  expect warn msg: PromQL warning: careful (1:1)\n  m 1\n\n\
                eval instant at 0 warn_m\n  expect no_warn\n  m 1\n\n\
                eval instant at 0 warn_m\n  expect warn regex: other\n  m 1\n\n\
                eval instant at 0 m\n  expect warn\n  m 1\n\n\
                eval instant at 0 warn_m\n  m 1\n";
    let out = run(&fake, text);
    assert_eq!(out[0], None, "{out:?}");
    assert!(out[1].is_some());
    assert!(out[2].is_some());
    assert!(out[3].as_deref().is_some_and(|f| f.contains("none were found")));
    assert_eq!(out[4], None);
}

#[test]
fn parse_errors_and_totals() {
    let fake = Fake::new(1.0, 1.0);
    let report = run_script(
        &fake,
        "bad.test",
        "eval instant at 0 m\n  m 1\n\nnonsense\n",
        &RunnerOptions::default(),
    );
    assert_eq!(report.cases.len(), 1);
    assert_eq!(report.cases[0].line, 4);
    assert_eq!(report.totals().to_string(), "0 passed, 1 failed");
    let text = "eval instant at 0 m\n  m 1\n\neval instant at 0 m\n  m 2\n";
    let report = run_script(&fake, "two.test", text, &RunnerOptions::default());
    assert_eq!(report.totals().to_string(), "1 passed, 1 failed");
    let listing = rill_promqltest::format_failures(&report);
    assert!(listing.starts_with("FAIL two.test:4: m\n"), "{listing}");
    assert!(listing.ends_with("two.test: 1 passed, 1 failed\n"));
}
