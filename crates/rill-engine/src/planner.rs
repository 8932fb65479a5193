//! The planner: turns a type-checked AST into a tree of streaming operators.
//!
//! It resolves everything that is fixed for the query before any data is read: `@ start()` /
//! `@ end()`, duration expressions (`step()` is the query step, `range()` its length),
//! offsets, subquery step grids, and the time range every selector reads. The engine opens
//! one storage querier over the union of those ranges after planning. Functions are planned
//! by their registry factories through [`ArgPlanner`]; aggregations by
//! [`crate::operators::aggregations::build_at`].

use std::sync::Arc;

use rill_model::SelectHints;
use rill_promql::{
    AtModifier, BinaryExpr, BinaryOp, Call, Cardinality, DurationExpr, Expr, MatrixSelector, PosRange, RangeMode,
    SubqueryExpr, UnaryExpr, ValueType, VectorMatching, VectorSelector,
};

use crate::error::{Error, Result};
use crate::operator::{InstantVectorOperator, Operator, ScalarOperator};
use crate::operators::aggregations;
use crate::operators::binops::{
    BinarySpec, ScalarScalarBinary, SetOperation, VectorScalarBinary, VectorVectorBinary, changes_metric_schema,
};
use crate::operators::dedup::DedupMerge;
use crate::operators::literals::{NumberLiteral, StringLiteral};
use crate::operators::selectors::{
    BoundaryPoints, HistogramStats, InstantMode, InstantSelector, SelectorSource, StorageHandle, range_selector,
};
use crate::operators::subquery::{SubqueryGrid, subquery, subquery_steps};
use crate::operators::unary::{NegateScalar, NegateVector};
use crate::operators::window::{DataTime, WindowExtension};
use crate::options::EngineOptions;
use crate::registry::{ArgPlanner, FunctionRegistry};
use crate::step_invariant::{AT_MODIFIER_UNSAFE_FUNCTIONS, is_step_invariant};
use crate::types::QueryTimeRange;

/// Plans one query.
pub struct Planner<'a> {
    registry: &'a FunctionRegistry,
    options: &'a EngineOptions,
    storage: Arc<StorageHandle>,
    /// The query's own steps (for `@ start()`, `@ end()`, `step()`, `range()`).
    query: QueryTimeRange,
    /// The steps of the expression being planned (a subquery's grid inside subqueries).
    current: QueryTimeRange,
    /// Union of the data ranges of all selectors planned so far.
    data_range: Option<(i64, i64)>,
    /// The nearest enclosing function or aggregation (not crossing a binary operator), for
    /// the storage hints of selectors, as Prometheus's `extractFuncFromPath`.
    enclosing_func: Option<String>,
    /// Whether selectors planned now read histograms with on-the-fly counter-reset hints
    /// (Prometheus's `detectHistogramStatsDecoding`).
    histogram_stats: HistogramStats,
    /// The position of the range argument being planned for an at-modifier-unsafe function
    /// (`predict_linear`), whose `@` time drifts with the steps.
    drifting_at: Option<PosRange>,
    /// Whether the subquery about to be planned is the root of an instant query, whose
    /// answer is the subquery's points themselves.
    bare_subquery: bool,
}

impl<'a> Planner<'a> {
    /// A planner for a query evaluated at `query`, whose selectors read through `storage`.
    pub fn new(
        registry: &'a FunctionRegistry,
        options: &'a EngineOptions,
        storage: Arc<StorageHandle>,
        query: QueryTimeRange,
    ) -> Self {
        Planner {
            registry,
            options,
            storage,
            query,
            current: query,
            data_range: None,
            enclosing_func: None,
            histogram_stats: HistogramStats::Unset,
            drifting_at: None,
            bare_subquery: false,
        }
    }

    /// The time range (inclusive, ms) all selectors of the plan read, if there are any.
    pub fn data_range(&self) -> Option<(i64, i64)> {
        self.data_range
    }

    /// Plans the query's root expression: as [`Planner::plan_expr`], except that a bare
    /// `anchored` / `smoothed` range selector returns the points at its bounds, as Prometheus's
    /// `extendFloats` (inside function calls the functions handle the bounds themselves).
    pub fn plan_root(&mut self, expr: &Expr) -> Result<Operator> {
        self.bare_subquery = matches!(expr.unparen(), Expr::Subquery(_)) && self.query.is_instant;
        let op = self.plan_expr(expr);
        self.bare_subquery = false;
        let op = op?;
        match (expr.unparen(), op) {
            (Expr::MatrixSelector(ms), Operator::Range(r)) if ms.mode != RangeMode::Classic => Ok(Operator::Range(
                Box::new(BoundaryPoints::new(r, ms.mode == RangeMode::Smoothed)),
            )),
            (_, op) => Ok(op),
        }
    }

    /// Runs `f` with `func` as the enclosing function of the selectors it plans.
    fn within<T>(&mut self, func: Option<&str>, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.scoped(|p| &mut p.enclosing_func, func.map(str::to_string), f)
    }

    /// Runs `f` with `stats` as the histogram-statistics state of the selectors it plans.
    fn with_stats<T>(&mut self, stats: HistogramStats, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.scoped(|p| &mut p.histogram_stats, stats, f)
    }

    /// Runs `f` with the planner state in `slot` set to `value`, restoring it afterwards.
    fn scoped<V, T>(
        &mut self,
        slot: fn(&mut Self) -> &mut V,
        value: V,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let saved = std::mem::replace(slot(self), value);
        let out = f(self);
        *slot(self) = saved;
        out
    }

    fn record_range(&mut self, start: i64, end: i64) {
        self.data_range = Some(match self.data_range {
            Some((s, e)) => (s.min(start), e.max(end)),
            None => (start, end),
        });
    }

    /// Resolves a duration expression to milliseconds.
    fn duration(&self, d: &DurationExpr) -> Result<i64> {
        let step = if self.query.is_instant { 0 } else { self.query.step };
        d.eval(Some(step), Some(self.query.end - self.query.start))
            .map_err(Error::bad_data)
    }

    fn data_time(&self, at: Option<AtModifier>, offset: Option<&DurationExpr>) -> Result<DataTime> {
        let at = at.map(|a| match a {
            AtModifier::Timestamp(ms) => ms,
            AtModifier::Start => self.query.start,
            AtModifier::End => self.query.end,
        });
        let offset = offset.map(|o| self.duration(o)).transpose()?.unwrap_or(0);
        Ok(DataTime { at, offset })
    }

    /// `dt`, the data time of the range selector or subquery at `pos`, as its windows move.
    /// As the range argument of an at-modifier-unsafe function, its `@` time is the
    /// data time of the grid's first step only and moves on with the steps: Prometheus turns
    /// `@ t` into the offset `start - t` once per (sub)query grid, and only step-invariant
    /// expressions, which these calls are not, are evaluated at the first step alone. (The
    /// samples a drifting range selector reads stay those of `dt`: Prometheus selects them
    /// for the `@` time.)
    fn drifted(&self, pos: PosRange, dt: DataTime) -> DataTime {
        match dt.at {
            Some(at) if self.drifting_at == Some(pos) => DataTime {
                at: None,
                offset: dt.offset.saturating_add(self.current.start.saturating_sub(at)),
            },
            _ => dt,
        }
    }

    /// The source of a selector whose steps read `(d - before, d + after]` around each data
    /// time `d`.
    fn source(
        &mut self,
        vs: &VectorSelector,
        data_time: DataTime,
        before: i64,
        after: i64,
        range: i64,
    ) -> SelectorSource {
        let (first, last) = data_time.span(&self.current);
        let start = first.saturating_sub(before).saturating_add(1);
        let end = last.saturating_add(after);
        self.record_range(start, end);
        let hints = SelectHints {
            start,
            end,
            step: if self.current.is_instant { 0 } else { self.current.step },
            range,
            func: self.enclosing_func.clone(),
        };
        SelectorSource::new(self.storage.clone(), vs.matchers.clone(), hints)
            .with_histogram_stats(self.histogram_stats.is_on())
    }

    fn plan_vector_selector(&mut self, vs: &VectorSelector, timestamps: Option<InstantMode>) -> Result<Operator> {
        let dt = self.data_time(vs.at, vs.offset.as_ref())?;
        let lookback = self.options.lookback_delta_ms;
        // As in Prometheus, `anchored` changes only range selectors: an anchored instant
        // selector is evaluated like a plain one (its engine only looks at `Smoothed` there).
        let (mode, after) = match (vs.mode, timestamps) {
            (RangeMode::Smoothed, _) => (InstantMode::Smoothed, lookback),
            (RangeMode::Classic | RangeMode::Anchored, Some(mode)) => (mode, 0),
            (RangeMode::Classic | RangeMode::Anchored, None) => (InstantMode::Latest, 0),
        };
        let source = self.source(vs, dt, lookback, after, 0);
        Ok(Operator::Instant(Box::new(InstantSelector::new(
            source,
            self.current,
            dt,
            lookback,
            mode,
            vs.pos,
        ))))
    }

    fn plan_matrix_selector(&mut self, ms: &MatrixSelector) -> Result<Operator> {
        let dt = self.data_time(ms.selector.at, ms.selector.offset.as_ref())?;
        let range = self.duration(&ms.range)?;
        let lookback = self.options.lookback_delta_ms;
        let extension = match ms.mode {
            RangeMode::Classic => WindowExtension::default(),
            RangeMode::Anchored => WindowExtension {
                before: lookback,
                after: 0,
            },
            RangeMode::Smoothed => WindowExtension {
                before: lookback,
                after: lookback,
            },
        };
        let source = self.source(
            &ms.selector,
            dt,
            range.saturating_add(extension.before),
            extension.after,
            range,
        );
        Ok(Operator::Range(Box::new(range_selector(
            source,
            self.current,
            self.drifted(ms.pos, dt),
            range,
            extension,
        ))))
    }

    fn plan_subquery(&mut self, sq: &SubqueryExpr) -> Result<Operator> {
        let bare = std::mem::take(&mut self.bare_subquery);
        let dt = self.drifted(sq.pos, self.data_time(sq.at, sq.offset.as_ref())?);
        let range = self.duration(&sq.range)?;
        let step = match &sq.step {
            Some(s) => self.duration(s)?,
            None => self.options.default_subquery_step_ms,
        };
        if step <= 0 {
            return Err(Error::bad_data(format!("subquery step must be positive, got {step}ms")));
        }
        let outer = self.current;
        let (grid, evaluated, windows) = match subquery_steps(&outer, dt, range, step) {
            SubqueryGrid::Steps(grid) => (grid, true, dt),
            SubqueryGrid::Empty { next } => {
                // Planned on a one-step grid even when never evaluated, so that planning
                // errors surface. A bare subquery shows the step-invariant point at `next`
                // (after the evaluation time), as Prometheus's answer does.
                let grid = QueryTimeRange::range(next, next, step);
                let evaluated = is_step_invariant(&sq.expr);
                let windows = match bare && evaluated {
                    true => DataTime {
                        at: Some(next),
                        offset: 0,
                    },
                    false => dt,
                };
                (grid, evaluated, windows)
            }
        };
        self.current = grid;
        let inner = self.with_stats(HistogramStats::Vetoed, |p| p.plan_instant(&sq.expr));
        self.current = outer;
        let inner = inner?;
        Ok(Operator::Range(Box::new(subquery(
            evaluated.then_some(inner),
            outer,
            windows,
            range,
        ))))
    }

    fn plan_unary(&mut self, u: &UnaryExpr) -> Result<Operator> {
        let inner = self.plan_expr(&u.expr)?;
        if !u.negate {
            return Ok(inner);
        }
        let delayed = self.options.features.delayed_name_removal;
        Ok(match inner {
            Operator::Instant(v) => {
                let neg: Box<dyn InstantVectorOperator> = Box::new(NegateVector::new(v, delayed));
                Operator::Instant(if delayed { neg } else { Box::new(DedupMerge::new(neg)) })
            }
            Operator::Scalar(s) => Operator::Scalar(Box::new(NegateScalar::new(s))),
            _ => return Err(Error::Internal("unary minus on a range vector or string".into())),
        })
    }

    fn plan_binary(&mut self, b: &BinaryExpr) -> Result<Operator> {
        let lhs = self.plan_expr(&b.lhs)?;
        let rhs = self.plan_expr(&b.rhs)?;
        let delayed = self.options.features.delayed_name_removal;
        let steps = self.current;
        let spec = BinarySpec {
            op: b.op,
            return_bool: b.return_bool,
            delayed_name_removal: delayed,
            steps,
            pos: b.pos,
        };
        let op: Box<dyn InstantVectorOperator> = match (lhs, rhs) {
            (Operator::Scalar(l), Operator::Scalar(r)) => {
                return Ok(Operator::Scalar(Box::new(ScalarScalarBinary::new(b.op, l, r))));
            }
            (Operator::Instant(v), Operator::Scalar(s)) | (Operator::Scalar(s), Operator::Instant(v)) => {
                let scalar_on_left = b.lhs.value_type() == rill_promql::ValueType::Scalar;
                let op = Box::new(VectorScalarBinary::new(spec, v, s, scalar_on_left)?);
                if !delayed && (changes_metric_schema(b.op) || b.return_bool) {
                    Box::new(DedupMerge::new(op))
                } else {
                    op
                }
            }
            (Operator::Instant(l), Operator::Instant(r)) => {
                let default_card = if b.op.is_set() {
                    Cardinality::ManyToMany
                } else {
                    Cardinality::OneToOne
                };
                let matching = b.matching.clone().unwrap_or(VectorMatching {
                    card: default_card,
                    matching_labels: Vec::new(),
                    on: false,
                    include: Vec::new(),
                });
                let op: Box<dyn InstantVectorOperator> = if b.op.is_set() {
                    Box::new(SetOperation::new(b.op, l, r, matching, steps)?)
                } else {
                    Box::new(VectorVectorBinary::new(spec, l, r, matching, b.fill)?)
                };
                Box::new(DedupMerge::new(op))
            }
            _ => {
                return Err(Error::Internal(format!(
                    "operator {} on unsupported operand types",
                    b.op
                )));
            }
        };
        Ok(Operator::Instant(op))
    }

    /// Plans `expr`, which must be an instant vector.
    pub fn plan_instant(&mut self, expr: &Expr) -> Result<Box<dyn InstantVectorOperator>> {
        match self.plan_expr(expr)? {
            Operator::Instant(op) => Ok(op),
            _ => Err(Error::Internal("expected an instant vector expression".into())),
        }
    }

    /// Plans `expr`, which must be a scalar.
    pub fn plan_scalar(&mut self, expr: &Expr) -> Result<Box<dyn ScalarOperator>> {
        match self.plan_expr(expr)? {
            Operator::Scalar(op) => Ok(op),
            _ => Err(Error::Internal("expected a scalar expression".into())),
        }
    }

    /// Plans any expression.
    pub fn plan_expr(&mut self, expr: &Expr) -> Result<Operator> {
        match expr {
            Expr::Number(n) => Ok(Operator::Scalar(Box::new(NumberLiteral::new(n.value, &self.current)))),
            Expr::String(s) => Ok(Operator::String(Box::new(StringLiteral::from_ast(s)))),
            Expr::Paren(p) => self.plan_expr(&p.expr),
            Expr::Unary(u) => self.plan_unary(u),
            Expr::Binary(b) if matches!(b.op, BinaryOp::TrimUpper | BinaryOp::TrimLower) => {
                self.with_stats(HistogramStats::Vetoed, |p| p.within(None, |p| p.plan_binary(b)))
            }
            Expr::Binary(b) => self.within(None, |p| p.plan_binary(b)),
            Expr::VectorSelector(vs) => self.plan_vector_selector(vs, None),
            Expr::MatrixSelector(ms) => self.plan_matrix_selector(ms),
            Expr::Subquery(sq) => self.plan_subquery(sq),
            Expr::Aggregate(a) => {
                let param = a.param.as_deref().map(|p| self.plan_expr(p)).transpose()?;
                let inner = self.within(Some(a.op.as_str()), |p| p.plan_instant(&a.expr))?;
                let op = aggregations::build_at(
                    a.op,
                    inner,
                    param,
                    &a.grouping,
                    a.without,
                    aggregations::positions(a),
                    self.current,
                    self.options,
                )?;
                Ok(Operator::Instant(op))
            }
            Expr::Call(c) => {
                check_extended_range_args(c)?;
                let registry = self.registry;
                let def = registry
                    .get(&c.name)
                    .ok_or_else(|| Error::Internal(format!("function {:?} is not registered", c.name)))?;
                let stats = self.histogram_stats.below_function(&c.name);
                let drifting = AT_MODIFIER_UNSAFE_FUNCTIONS
                    .contains(&c.name.as_str())
                    .then(|| {
                        c.args
                            .iter()
                            .map(|a| a.unparen())
                            .find(|a| a.value_type() == ValueType::Matrix)
                    })
                    .flatten()
                    .map(Expr::pos);
                let op = self.scoped(
                    |p| &mut p.drifting_at,
                    drifting,
                    |p| p.with_stats(stats, |p| p.within(Some(&c.name), |p| def.factory.build(c, p))),
                )?;
                // A function that drops `__name__` can make label sets collide; Prometheus merges
                // them (failing on a shared step) right there, not only at the query's top.
                Ok(match op {
                    Operator::Instant(v) if !self.options.features.delayed_name_removal => {
                        Operator::Instant(Box::new(DedupMerge::new(v)))
                    }
                    other => other,
                })
            }
        }
    }
}

/// Functions whose range argument may be `anchored` (Prometheus's `AnchoredSafeFunctions`):
/// such windows hold samples outside their bounds, which only these functions expect.
const ANCHORED_SAFE: [&str; 5] = ["changes", "delta", "increase", "rate", "resets"];
/// Functions whose range argument may be `smoothed` (Prometheus's `SmoothedSafeFunctions`).
const SMOOTHED_SAFE: [&str; 3] = ["delta", "increase", "rate"];

/// Rejects `anchored` / `smoothed` range arguments of functions that cannot take them, with
/// Prometheus's error.
fn check_extended_range_args(c: &Call) -> Result<()> {
    for arg in &c.args {
        let Expr::MatrixSelector(ms) = arg.unparen() else {
            continue;
        };
        let (name, safe): (&str, &[&str]) = match ms.mode {
            RangeMode::Classic => continue,
            RangeMode::Anchored => ("anchored", &ANCHORED_SAFE),
            RangeMode::Smoothed => ("smoothed", &SMOOTHED_SAFE),
        };
        if !safe.contains(&c.name.as_str()) {
            return Err(Error::exec(format!(
                "{name} modifier can only be used with: {} - not with {}",
                safe.join(", "),
                c.name
            )));
        }
    }
    Ok(())
}

impl ArgPlanner for Planner<'_> {
    fn plan(&mut self, expr: &Expr) -> Result<Operator> {
        self.plan_expr(expr)
    }

    fn plan_with_sample_timestamps(&mut self, expr: &Expr) -> Result<Operator> {
        match expr.unparen() {
            Expr::VectorSelector(vs) => self.plan_vector_selector(vs, Some(InstantMode::SampleTimestamps)),
            other => self.plan_expr(other),
        }
    }

    fn plan_with_float_sample_timestamps(&mut self, expr: &Expr) -> Result<Operator> {
        match expr.unparen() {
            Expr::VectorSelector(vs) => self.plan_vector_selector(vs, Some(InstantMode::FloatSampleTimestamps)),
            other => self.plan_expr(other),
        }
    }

    fn plan_with_start_timestamps(&mut self, expr: &Expr) -> Result<Operator> {
        match expr.unparen() {
            Expr::VectorSelector(vs) => self.plan_vector_selector(vs, Some(InstantMode::StartTimestamps)),
            other => self.plan_expr(other),
        }
    }

    fn time_range(&self) -> QueryTimeRange {
        self.current
    }

    fn options(&self) -> &EngineOptions {
        self.options
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rill_model::{Labels, Matcher, MemoryStore, Querier, Queryable, Sample, SeriesSet};

    use super::*;
    use crate::engine::Engine;

    /// A store that records the querier range and every select's hints.
    struct Recording {
        inner: MemoryStore,
        log: Arc<Mutex<Vec<String>>>,
    }

    struct RecordingQuerier {
        inner: Box<dyn Querier>,
        log: Arc<Mutex<Vec<String>>>,
    }

    impl Queryable for Recording {
        fn querier(&self, mint: i64, maxt: i64) -> rill_model::Result<Box<dyn Querier>> {
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("querier {mint}..{maxt}"));
            Ok(Box::new(RecordingQuerier {
                inner: self.inner.querier(mint, maxt)?,
                log: self.log.clone(),
            }))
        }
    }

    impl Querier for RecordingQuerier {
        fn select(&self, h: &SelectHints, m: &[Matcher]) -> rill_model::Result<Box<dyn SeriesSet>> {
            self.log.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                "select {}..{} step {} range {} func {:?}",
                h.start, h.end, h.step, h.range, h.func
            ));
            self.inner.select(h, m)
        }
        fn label_names(&self, m: &[Matcher]) -> rill_model::Result<Vec<String>> {
            self.inner.label_names(m)
        }
        fn label_values(&self, n: &str, m: &[Matcher]) -> rill_model::Result<Vec<String>> {
            self.inner.label_values(n, m)
        }
    }

    #[test]
    fn one_querier_and_precise_hints_per_selector() {
        let mut inner = MemoryStore::new();
        let l = Labels::from_pairs([("__name__", "foo")]);
        inner
            .append(&l, Sample::float(0, 1.0))
            .unwrap_or_else(|e| panic!("{e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let store = Recording {
            inner,
            log: log.clone(),
        };
        let engine = Engine::new(EngineOptions::default(), Arc::new(FunctionRegistry::empty()));
        engine
            .range_query(&store, "foo offset 1m + sum(foo @ 600)", 1_000_000, 1_060_000, 30_000)
            .unwrap_or_else(|e| panic!("{e}"));
        engine
            .instant_query(&store, "foo[2m:30s] @ 600", 1_000_000)
            .unwrap_or_else(|e| panic!("{e}"));
        let got = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(
            got,
            vec![
                "querier 300001..1000000".to_string(),
                "select 640001..1000000 step 30000 range 0 func None".to_string(),
                "select 300001..600000 step 30000 range 0 func Some(\"sum\")".to_string(),
                // Subquery steps 510s..600s read back to 510s minus the 5m lookback.
                "querier 210001..600000".to_string(),
                "select 210001..600000 step 30000 range 0 func None".to_string(),
            ]
        );
    }
}
