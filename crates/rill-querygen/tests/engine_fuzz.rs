//! Engine fuzzing: generated and mutated queries through `rill_engine::Engine` (built-ins,
//! every feature on) over the demo dataset plus a few native-histogram series, as instant and
//! range queries, under a memory limit and a short timeout.
//!
//! Checks: nothing panics (each evaluation runs under `catch_unwind`; a panic is reported with
//! seed, index and query); every error has a message and none is an internal error; generated
//! queries parse; peak memory stays within the limit; every query gives the same result and
//! annotations twice; and, for a share of the queries, planning and draining the operator tree
//! with a context of our own leaves the memory tracker at exactly zero. Bounded by
//! `RILL_FUZZ_SECONDS` (default 30) and `RILL_FUZZ_CASES`.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::{Failures, Run, budget, catch, seed, trace};
use rill_codec::demo::{DEMO_END_MS, DEMO_START_MS, demo_dataset};
use rill_engine::operator::Operator;
use rill_engine::operators::selectors::StorageHandle;
use rill_engine::planner::Planner;
use rill_engine::{Engine, EngineOptions, Error, Features, QueryContext, QueryResult, QueryTimeRange};
use rill_model::histogram::{CounterResetHint, Span};
use rill_model::{FloatHistogram, Labels, MemoryStore, Queryable, Sample};
use rill_querygen::{GenConfig, Rng, Schema, generate, generate_mutated};

const MEMORY_LIMIT: usize = 64 << 20;

/// One way of evaluating the case's query: its name, the evaluation, and its time range.
type Evaluation<'a> = (
    &'static str,
    Box<dyn Fn() -> Result<QueryResult, Error> + 'a>,
    QueryTimeRange,
);

/// The demo dataset plus `rill_fuzz_latency_seconds`, two native-histogram counters with a reset.
fn store() -> MemoryStore {
    let mut s = MemoryStore::new();
    if let Err(e) = demo_dataset(&mut s) {
        panic!("demo dataset: {e}");
    }
    for (job, instance, reset_at) in [("api", "api-0:8080", 200), ("frontend", "frontend-0:3000", 10_000)] {
        let labels = Labels::from_pairs([
            ("__name__", "rill_fuzz_latency_seconds"),
            ("job", job),
            ("instance", instance),
        ]);
        let mut count = 0.0;
        for k in 0..480i64 {
            if k == reset_at {
                count = 0.0;
            }
            count += 10.0 + (k % 7) as f64;
            let h = FloatHistogram {
                counter_reset_hint: CounterResetHint::Unknown,
                schema: 0,
                zero_threshold: 0.001,
                zero_count: count * 0.1,
                count,
                sum: count * 0.25,
                positive_spans: vec![Span { offset: -3, length: 4 }],
                positive_buckets: vec![count * 0.3, count * 0.3, count * 0.2, count * 0.1],
                ..FloatHistogram::default()
            };
            if let Err(e) = s.append(&labels, Sample::histogram(DEMO_START_MS + k * 15_000 + 500, h)) {
                panic!("native histogram sample: {e}");
            }
        }
    }
    s
}

fn engine() -> Engine {
    Engine::with_builtins(EngineOptions {
        features: Features::all(),
        memory_limit_bytes: MEMORY_LIMIT,
        max_samples: 5_000_000,
        timeout: Some(Duration::from_secs(2)),
        ..EngineOptions::default()
    })
}

/// A comparable rendering of an outcome (NaN-safe, unlike `PartialEq`).
fn render(r: &Result<QueryResult, Error>) -> String {
    match r {
        Ok(r) => format!("{:?} {:?}", r.value, r.annotations),
        Err(e) => format!("error: {e}"),
    }
}

/// Checks one outcome; `Err` says what is wrong with it.
fn check_outcome(r: &Result<QueryResult, Error>, well_typed: bool) -> Result<(), String> {
    match r {
        Ok(res) if res.stats.peak_memory_bytes > MEMORY_LIMIT => {
            Err(format!("peak memory {} above the limit", res.stats.peak_memory_bytes))
        }
        Ok(_) => Ok(()),
        Err(e) if e.to_string().trim().is_empty() => Err(format!("empty error message ({e:?})")),
        Err(Error::Internal(m)) => Err(format!("internal error: {m}")),
        Err(Error::Parse(m)) if well_typed => Err(format!("generated query does not parse: {m}")),
        Err(_) => Ok(()),
    }
}

/// Whether an outcome depends on wall-clock time (so two runs may legitimately differ).
fn timed_out(r: &Result<QueryResult, Error>) -> bool {
    matches!(r, Err(Error::Timeout(_)))
}

/// Plans `query` and pulls every series and step through the operators with our own context,
/// then checks that dropping the operators returned every tracked byte.
fn drain_and_check_tracker(
    engine: &Engine,
    storage: &MemoryStore,
    query: &str,
    range: QueryTimeRange,
) -> Result<(), String> {
    let Ok(expr) = engine.parse(query) else {
        return Ok(());
    };
    let mut cx = QueryContext::new(MEMORY_LIMIT, 5_000_000, None, Arc::new(AtomicBool::new(false)));
    let tracker = cx.tracker.clone();
    {
        let handle = Arc::new(StorageHandle::new());
        let mut planner = Planner::new(engine.registry(), engine.options(), handle.clone(), range);
        let Ok(root) = planner.plan_expr(&expr) else {
            return Ok(());
        };
        if let Some((mint, maxt)) = planner.data_range() {
            match storage.querier(mint, maxt) {
                Ok(q) => handle.set(q),
                Err(_) => return Ok(()),
            }
        }
        // Errors part-way are fine: the point is that whatever was charged comes back.
        let _ = drain(root, &mut cx);
    }
    match tracker.current() {
        0 => Ok(()),
        n => Err(format!(
            "memory tracker holds {n} bytes after the query's operators were dropped"
        )),
    }
}

fn drain(root: Operator, cx: &mut QueryContext) -> rill_engine::Result<()> {
    match root {
        Operator::Instant(mut op) => {
            let meta = op.series_metadata(cx)?;
            for _ in 0..meta.len() {
                if op.next_series(cx)?.is_none() {
                    break;
                }
            }
            op.finalize(cx)
        }
        Operator::Range(mut op) => {
            let meta = op.series_metadata(cx)?;
            for _ in 0..meta.len() {
                if !op.next_series(cx)? {
                    break;
                }
                while op.next_step_samples(cx)?.is_some() {}
            }
            op.finalize(cx)
        }
        Operator::Scalar(mut op) => {
            op.values(cx)?;
            op.finalize(cx)
        }
        Operator::String(mut op) => op.value(cx).map(|_| ()),
    }
}

#[test]
fn engine_never_panics_and_is_deterministic() {
    common::on_big_stack(fuzz_engine);
}

fn fuzz_engine() {
    let schema = Schema::demo();
    let storage = store();
    let engine = engine();
    let seed = seed();
    let cfg = GenConfig {
        max_depth: 3,
        ..GenConfig::default()
    };
    let mut run = Run::new("engine", budget(30));
    let mut failures = Failures::default();
    while let Some(index) = run.next_case() {
        let well_typed = index % 3 != 2;
        let query = if well_typed {
            generate(&schema, cfg, seed, index)
        } else {
            generate_mutated(&schema, cfg, seed, index)
        };
        trace(index, if well_typed { "generated" } else { "mutated" }, &query);
        let mut rng = Rng::for_case(seed ^ 0x74696d65, index);
        let t = DEMO_START_MS + 607_000 + rng.range(0, (DEMO_END_MS - DEMO_START_MS) / 1000) * 1000;
        let start = DEMO_START_MS + 907_000 + rng.range(0, 90) * 60_000;
        let step = [60_000, 15_000, 17_000, 300_000][rng.below(4)];
        let end = start + [0, 600_000, 1_800_000][rng.below(3)];
        let runs: [Evaluation<'_>; 2] = [
            (
                "instant",
                Box::new(|| engine.instant_query(&storage, &query, t)),
                QueryTimeRange::instant(t),
            ),
            (
                "range",
                Box::new(|| engine.range_query(&storage, &query, start, end, step)),
                QueryTimeRange::range(start, end, step),
            ),
        ];
        for (what, eval, range) in runs {
            let kind = format!("{what} t={t} start={start} end={end} step={step}");
            let first = match catch(&eval) {
                Ok(r) => r,
                Err(p) => {
                    failures.add(seed, index, &kind, &query, &format!("panic: {p}"));
                    continue;
                }
            };
            run.executions += 1;
            if let Err(problem) = check_outcome(&first, well_typed) {
                failures.add(seed, index, &kind, &query, &problem);
                continue;
            }
            if first.is_err() && !timed_out(&first) && index % 2 == 0 {
                continue; // errors are cheap to repeat but rarely interesting to compare
            }
            let second = match catch(&eval) {
                Ok(r) => r,
                Err(p) => {
                    failures.add(seed, index, &kind, &query, &format!("panic on the second run: {p}"));
                    continue;
                }
            };
            run.executions += 1;
            if !timed_out(&first) && !timed_out(&second) && render(&first) != render(&second) {
                let (a, b) = (render(&first), render(&second));
                let problem = format!("not deterministic:\n    first:  {a:.300}\n    second: {b:.300}");
                failures.add(seed, index, &kind, &query, &problem);
            }
            if index % 4 == 0 {
                match catch(|| drain_and_check_tracker(&engine, &storage, &query, range)) {
                    Ok(Ok(())) => {}
                    Ok(Err(problem)) => failures.add(seed, index, &kind, &query, &problem),
                    Err(p) => failures.add(seed, index, &kind, &query, &format!("panic while draining: {p}")),
                }
            }
        }
    }
    run.report();
    failures.assert_none("engine fuzz");
}
