//! The query engine: parses, plans, runs and shapes a query.
//!
//! ```text
//! Engine::instant_query / range_query
//!   └► parse (registry as FunctionLookup) ─► execute
//!        └► Planner (AST ─► operators, selector time ranges) ─► open one Querier
//!             └► collect (pull series, delayed name removal, merge, sort) ─► QueryResult
//! ```

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use rill_model::Queryable;
use rill_promql::{Expr, ParseOptions, ValueType};

use crate::collect::collect;
use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::builtin_registry;
use crate::operators::selectors::StorageHandle;
use crate::options::EngineOptions;
use crate::planner::Planner;
use crate::registry::FunctionRegistry;
use crate::result::{QueryResult, QueryStats};
use crate::types::QueryTimeRange;

/// A PromQL engine: options plus the functions it knows. Cheap to share; queries run
/// independently.
pub struct Engine {
    options: EngineOptions,
    registry: Arc<FunctionRegistry>,
}

impl Engine {
    /// An engine with `options` and the functions of `registry`.
    pub fn new(options: EngineOptions, registry: Arc<FunctionRegistry>) -> Self {
        Engine { options, registry }
    }

    /// An engine with `options` and every built-in function.
    pub fn with_builtins(options: EngineOptions) -> Self {
        Self::new(options, Arc::new(builtin_registry()))
    }

    /// The engine's options.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// The engine's functions.
    pub fn registry(&self) -> &Arc<FunctionRegistry> {
        &self.registry
    }

    /// Parses `query` with the registry's signatures and the parser features enabled in the
    /// options. Errors carry Prometheus's `1:5: parse error: ...` text.
    pub fn parse(&self, query: &str) -> Result<Expr> {
        let f = &self.options.features;
        let opts = ParseOptions {
            experimental_functions: f.experimental_functions,
            duration_expressions: f.duration_expressions,
            extended_range_selectors: f.extended_range_selectors,
            binop_fill_modifiers: f.binop_fill_modifiers,
        };
        rill_promql::parse(query, self.registry.as_ref(), &opts).map_err(|e| Error::Parse(e.to_string()))
    }

    /// Evaluates `query` at `t_ms`.
    pub fn instant_query(&self, storage: &dyn Queryable, query: &str, t_ms: i64) -> Result<QueryResult> {
        let expr = self.parse(query)?;
        self.execute(storage, &expr, query, QueryTimeRange::instant(t_ms), None)
    }

    /// Evaluates `query` at every step from `start_ms` to `end_ms`.
    pub fn range_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<QueryResult> {
        if step_ms <= 0 {
            return Err(Error::bad_data(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        if end_ms < start_ms {
            return Err(Error::bad_data("end timestamp must not be before start time"));
        }
        let expr = self.parse(query)?;
        self.execute(
            storage,
            &expr,
            query,
            QueryTimeRange::range(start_ms, end_ms, step_ms),
            None,
        )
    }

    /// Runs an already parsed expression over `range`. `query_text` is the text `expr` was
    /// parsed from (annotation positions refer to it); `cancel` may be set from another thread
    /// to stop the query.
    pub fn execute(
        &self,
        storage: &dyn Queryable,
        expr: &Expr,
        _query_text: &str,
        range: QueryTimeRange,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Result<QueryResult> {
        if !range.is_instant {
            let ty = expr.value_type();
            if !matches!(ty, ValueType::Scalar | ValueType::Vector) {
                return Err(Error::bad_data(format!(
                    "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                    ty.document_name()
                )));
            }
        }
        let deadline = self.options.timeout.map(|d| Instant::now() + d);
        let cancel = cancel.unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
        let mut cx = QueryContext::new(
            self.options.memory_limit_bytes,
            self.options.max_samples,
            deadline,
            cancel,
        );
        let storage_handle = Arc::new(StorageHandle::new());
        let mut planner = Planner::new(&self.registry, &self.options, storage_handle.clone(), range);
        let root = planner.plan_root(expr)?;
        if let Some((mint, maxt)) = planner.data_range() {
            storage_handle.set(storage.querier(mint, maxt)?);
        }
        let value = collect(root, &range, self.options.features.delayed_name_removal, &mut cx)?;
        let stats = QueryStats {
            peak_memory_bytes: cx.tracker.peak(),
            peak_samples: cx.peak_samples,
            total_samples: cx.total_samples,
        };
        Ok(QueryResult {
            value,
            annotations: std::mem::take(&mut cx.annotations),
            stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use rill_model::{Labels, MemoryStore, Sample};

    use super::*;
    use crate::options::Features;

    fn store() -> MemoryStore {
        let mut s = MemoryStore::new();
        for (name, job, k) in [("a", "x", 1.0), ("a", "y", 2.0), ("b", "x", 3.0)] {
            let l = Labels::from_pairs([("__name__", name), ("job", job)]);
            for i in 0..300 {
                s.append(&l, Sample::float(i * 15_000, k * i as f64))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
        s
    }

    /// Plans and runs `q` with an explicit context, so the tracker can be inspected after the
    /// operators are gone.
    fn run(q: &str, range: QueryTimeRange) -> QueryContext {
        let options = EngineOptions {
            features: Features::all(),
            ..EngineOptions::default()
        };
        let engine = Engine::new(options, Arc::new(FunctionRegistry::empty()));
        let expr = engine.parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let s = store();
        let mut cx = QueryContext::unlimited();
        let handle = Arc::new(StorageHandle::new());
        let mut planner = Planner::new(engine.registry(), engine.options(), handle.clone(), range);
        let root = planner.plan_root(&expr).unwrap_or_else(|e| panic!("{q}: {e}"));
        if let Some((mint, maxt)) = planner.data_range() {
            handle.set(s.querier(mint, maxt).unwrap_or_else(|e| panic!("{e}")));
        }
        collect(root, &range, true, &mut cx).unwrap_or_else(|e| panic!("{q}: {e}"));
        cx
    }

    #[test]
    fn tracker_returns_to_zero_after_every_query() {
        let queries = [
            "a",
            "a[5m]",
            "a + on(job) group_left b",
            "a * 2 > 10",
            "-a or b",
            "a unless b",
            "a and b",
            "(a + 1)[10m:1m]",
            "a @ 600 offset 1m",
        ];
        for q in queries {
            for range in [
                QueryTimeRange::instant(3_000_000),
                QueryTimeRange::range(0, 4_000_000, 30_000),
            ] {
                if !range.is_instant && q.ends_with(']') {
                    continue;
                }
                let cx = run(q, range);
                assert!(cx.tracker.peak() > 0, "{q}");
                assert_eq!(cx.tracker.current(), 0, "{q} leaks memory");
            }
        }
    }
}
