//! Running scripts: commands in order against one store, each `eval` a case that passes
//! only if its query and every cross-check of the Go runner pass.

use std::path::Path;

use rill_engine::{AnnotationLevel, QueryResult, QueryValue, VectorElement};
use rill_model::MemoryStore;

use crate::compare::{Grid, assert_sorted, compare_result};
use crate::crosscheck::{at_check_times, pinned_expr, uses_query_context};
use crate::engine::{QueryEngine, RillEngine};
use crate::load::apply_load;
use crate::parse::parse_script;
use crate::report::FileReport;
use crate::script::{Command, EvalCmd, EvalTime, TextMatch};

/// How scripts are run.
#[derive(Clone, Debug)]
pub struct RunnerOptions {
    /// Run the implicit cross-checks of instant evals (range mode, `@` pinning). On by
    /// default, as in Prometheus; off only to narrow down a failure.
    pub cross_checks: bool,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions { cross_checks: true }
    }
}

/// The outcome of one case (one `eval` command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// 1-based line of the `eval` command (or of a script parse error).
    pub line: usize,
    /// The PromQL expression.
    pub expr: String,
    /// Why the case failed; `None` when it passed.
    pub failure: Option<String>,
}

/// Reads and runs one script file with Rill's engine.
pub fn run_file(path: &Path, opts: &RunnerOptions) -> FileReport {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(&RillEngine::new(), &name, &text, opts),
        Err(e) => FileReport::broken(name, 0, format!("cannot read file: {e}")),
    }
}

/// Parses and runs a script's text against `engine`. `file` names it in the report.
pub fn run_script(engine: &dyn QueryEngine, file: &str, text: &str, opts: &RunnerOptions) -> FileReport {
    let cmds = match parse_script(file, text) {
        Ok(c) => c,
        Err(e) => return FileReport::broken(file.to_string(), e.line, e.msg),
    };
    let mut report = FileReport::new(file.to_string());
    let mut store = MemoryStore::new();
    let mut broken: Option<String> = None;
    for cmd in &cmds {
        match cmd {
            Command::Clear => store.clear(),
            Command::Load(l) => {
                if let Err(e) = apply_load(&mut store, l) {
                    broken.get_or_insert(format!("not run: load at line {} failed: {e}", l.line));
                }
            }
            Command::Eval(e) => {
                let failure = match &broken {
                    Some(b) => Some(b.clone()),
                    None => run_guarded(engine, &store, e, opts).err(),
                };
                report.cases.push(CaseResult {
                    line: e.line,
                    expr: e.expr.clone(),
                    failure,
                });
            }
        }
    }
    report
}

/// Runs one case; a panic in the engine fails the case instead of the whole run.
fn run_guarded(
    engine: &dyn QueryEngine,
    store: &MemoryStore,
    cmd: &EvalCmd,
    opts: &RunnerOptions,
) -> Result<(), String> {
    let run = std::panic::AssertUnwindSafe(|| run_eval(engine, store, cmd, opts));
    std::panic::catch_unwind(run).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("engine panicked: {msg}"))
    })
}

fn run_eval(engine: &dyn QueryEngine, store: &MemoryStore, cmd: &EvalCmd, opts: &RunnerOptions) -> Result<(), String> {
    match cmd.time {
        EvalTime::Range { start, end, step } => {
            let res = engine.range(store, &cmd.expr, start, end, step);
            let Some(res) = check_outcome(cmd, &cmd.expr, res)? else {
                return Ok(());
            };
            check_annotations(cmd, &cmd.expr, &res)?;
            compare_result(cmd, Grid { start, end, step }, &res.value)
        }
        EvalTime::Instant(_) => {
            let t = cmd.instant_time().unwrap_or(0);
            let mut queries = vec![(cmd.expr.clone(), t, String::new())];
            if opts.cross_checks {
                let expr = engine.parse(&cmd.expr).map_err(|e| format!("parse error: {e}"))?;
                if let Some(pinned) = pinned_expr(&expr, t) {
                    let text = pinned.to_string();
                    for at in at_check_times(t) {
                        queries.push((text.clone(), at, format!(" (@ check: {text} evaluated at {at}ms)")));
                    }
                }
            }
            for (text, at, label) in &queries {
                run_instant(engine, store, cmd, text, *at, opts).map_err(|e| format!("{e}{label}"))?;
            }
            Ok(())
        }
    }
}

/// Handles errors and `expect fail`: `Ok(None)` when the case is done (an expected failure).
fn check_outcome(cmd: &EvalCmd, query: &str, res: Result<QueryResult, String>) -> Result<Option<QueryResult>, String> {
    match res {
        Err(e) if cmd.fail => match &cmd.fail_match {
            Some(m) if !m.matches(&e) => Err(format!("expected error matching {}, but got: {e}", m.describe())),
            _ => Ok(None),
        },
        Err(e) => Err(format!("error evaluating query {query:?}: {e}")),
        Ok(_) if cmd.fail => Err(format!("expected error evaluating query {query:?} but got none")),
        Ok(r) => Ok(Some(r)),
    }
}

fn run_instant(
    engine: &dyn QueryEngine,
    store: &MemoryStore,
    cmd: &EvalCmd,
    query: &str,
    t: i64,
    opts: &RunnerOptions,
) -> Result<(), String> {
    let Some(res) = check_outcome(cmd, query, engine.instant(store, query, t))? else {
        return Ok(());
    };
    check_annotations(cmd, query, &res)?;
    let grid = match (cmd.range_vector, cmd.time) {
        (Some((start, end, step)), _) => Grid { start, end, step },
        (None, EvalTime::Instant(at)) => Grid {
            start: at,
            end: 0,
            step: 0,
        },
        (None, EvalTime::Range { start, end, step }) => Grid { start, end, step },
    };
    compare_result(cmd, grid, &res.value)?;
    if !opts.cross_checks || cmd.excluded_from_range_check() || uses_query_context(query) {
        return Ok(());
    }
    let ranged = engine
        .range(store, query, t - 60_000, t + 60_000, 60_000)
        .map_err(|e| format!("error evaluating query {query:?} in range mode: {e}"))?;
    if cmd.ordered {
        return Ok(());
    }
    let QueryValue::Matrix(m) = &ranged.value else {
        return Err(format!("range mode: expected a matrix, got {:?}", ranged.value));
    };
    assert_sorted(m).map_err(|e| format!("range mode: {e}"))?;
    let mut vec = Vec::new();
    for s in m {
        if let Some(p) = s.floats.iter().find(|p| p.t == t) {
            vec.push(VectorElement {
                labels: s.labels.clone(),
                t,
                f: p.f,
                histogram: None,
            });
        }
        if let Some(p) = s.histograms.iter().find(|p| p.t == t) {
            vec.push(VectorElement {
                labels: s.labels.clone(),
                t,
                f: 0.0,
                histogram: Some(p.h.clone()),
            });
        }
    }
    let value = if matches!(res.value, QueryValue::Scalar { .. }) {
        let v = vec
            .first()
            .ok_or("range mode: scalar query returned no point at the instant's time")?;
        QueryValue::Scalar { t, v: v.f }
    } else {
        QueryValue::Vector(vec)
    };
    compare_result(cmd, grid, &value).map_err(|e| format!("range mode (middle step of {query:?}): {e}"))
}

/// Checks `expect warn/info/no_warn/no_info` (and legacy `eval_warn`/`eval_info`).
fn check_annotations(cmd: &EvalCmd, query: &str, res: &QueryResult) -> Result<(), String> {
    let warnings = res.annotations.rendered(AnnotationLevel::Warning, query);
    let infos = res.annotations.rendered(AnnotationLevel::Info, query);
    if cmd.legacy_warn && warnings.is_empty() {
        return Err(format!("expected warnings evaluating query {query:?} but got none"));
    }
    if cmd.legacy_info && infos.is_empty() {
        return Err(format!(
            "expected info annotations evaluating query {query:?} but got none"
        ));
    }
    let all = || {
        let mut v = warnings.clone();
        v.extend(infos.iter().cloned());
        v
    };
    for (kind, expected, actual) in [("warn", &cmd.warn, &warnings), ("info", &cmd.info, &infos)] {
        validate_kind(kind, expected, actual, query).map_err(|e| format!("{e}; all annotations: {:?}", all()))?;
    }
    if cmd.no_warn && !warnings.is_empty() {
        return Err(format!(
            "unexpected warning annotations evaluating query {query:?}: {:?}",
            all()
        ));
    }
    if cmd.no_info && !infos.is_empty() {
        return Err(format!(
            "unexpected info annotations evaluating query {query:?}: {:?}",
            all()
        ));
    }
    Ok(())
}

fn validate_kind(kind: &str, expected: &[TextMatch], actual: &[String], query: &str) -> Result<(), String> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(format!(
            "expected {kind} annotations but none were found for query {query:?}"
        ));
    }
    if let Some(e) = expected.iter().find(|e| !actual.iter().any(|a| e.matches(a))) {
        return Err(format!(
            "expected {kind} annotation matching {} but no matching annotation was found for query {query:?}",
            e.describe()
        ));
    }
    if let Some(a) = actual.iter().find(|a| !expected.iter().any(|e| e.matches(a))) {
        return Err(format!("unexpected {kind} annotation {a:?} found for query {query:?}"));
    }
    Ok(())
}
