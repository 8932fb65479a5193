//! A UDF as an engine function: per query and call site, a fresh sandboxed instance runs every
//! series of the call through the module's export in one batch per series; all call sites of
//! a query share its fuel budget.

use std::sync::Arc;

use rill_engine::functions::batch::{
    SeriesElementFunction, SeriesElementRun, SeriesRangeFunction, SeriesRangeRun, SeriesWindows,
};
use rill_engine::{Error, FunctionDef, QueryContext, Result};
use wasmtime::TypedFunc;

use crate::fuel::QueryFuel;
use crate::manifest::{FunctionDecl, FunctionKind};
use crate::module::ModuleShared;
use crate::sandbox::{ElementParams, RangeParams, Sandbox};

/// One declared function of a loaded module.
pub(crate) struct UdfFunction {
    module: Arc<ModuleShared>,
    decl: FunctionDecl,
    /// `UDF name (file)`, the prefix of every error.
    label: Arc<str>,
}

/// An execution error with the UDF's label and the reason.
fn error(label: &str, reason: &str) -> Error {
    Error::exec(format!("{label}: {reason}"))
}

impl UdfFunction {
    /// The registry entry for `decl`.
    pub(crate) fn definition(module: &Arc<ModuleShared>, decl: &FunctionDecl) -> FunctionDef {
        let f = Arc::new(UdfFunction {
            module: module.clone(),
            decl: decl.clone(),
            label: Arc::from(format!("UDF {} ({})", decl.name, module.file)),
        });
        match decl.kind {
            FunctionKind::Range => FunctionDef::range_series(&decl.name, decl.signature(), f),
            FunctionKind::Elementwise => FunctionDef::elementwise_series(&decl.name, decl.signature(), f),
        }
    }

    /// A sandbox for one call site of one query, with its memory charged to the query and its
    /// fuel drawn from the query's budget (shared by all call sites), and the export.
    fn instantiate<P: wasmtime::WasmParams>(&self, cx: &mut QueryContext) -> Result<(Sandbox, TypedFunc<P, i32>)> {
        let runtime = &self.module.runtime;
        let budget = QueryFuel::of(cx, runtime);
        let mut sandbox = Sandbox::new(runtime, &self.module.pre, Some(cx.tracker.clone()), budget)
            .map_err(|r| error(&self.label, &r))?;
        let func = sandbox
            .func::<P, i32>(&self.decl.name)
            .map_err(|r| error(&self.label, &r))?;
        Ok((sandbox, func))
    }
}

/// One query's use of a range UDF.
struct RangeRun {
    label: Arc<str>,
    sandbox: Sandbox,
    func: TypedFunc<RangeParams, i32>,
}

impl SeriesRangeFunction for UdfFunction {
    fn needs_previous_sample(&self) -> bool {
        self.decl.needs_previous_sample
    }

    fn module_file(&self) -> Option<&str> {
        Some(&self.module.file)
    }

    fn start(&self, cx: &mut QueryContext) -> Result<Box<dyn SeriesRangeRun>> {
        let (sandbox, func) = self.instantiate::<RangeParams>(cx)?;
        Ok(Box::new(RangeRun {
            label: self.label.clone(),
            sandbox,
            func,
        }))
    }
}

impl SeriesRangeRun for RangeRun {
    fn series(&mut self, windows: &SeriesWindows<'_>, out: &mut [Option<f64>], _cx: &mut QueryContext) -> Result<()> {
        self.sandbox
            .call_range(&self.func, windows, out)
            .map_err(|r| error(&self.label, &r))
    }
}

/// One query's use of an element-wise UDF.
struct ElementRun {
    label: Arc<str>,
    sandbox: Sandbox,
    func: TypedFunc<ElementParams, i32>,
}

impl SeriesElementFunction for UdfFunction {
    fn module_file(&self) -> Option<&str> {
        Some(&self.module.file)
    }

    fn start(&self, cx: &mut QueryContext) -> Result<Box<dyn SeriesElementRun>> {
        let (sandbox, func) = self.instantiate::<ElementParams>(cx)?;
        Ok(Box::new(ElementRun {
            label: self.label.clone(),
            sandbox,
            func,
        }))
    }
}

impl SeriesElementRun for ElementRun {
    fn series(
        &mut self,
        values: &[f64],
        args: &[f64],
        n_args: usize,
        out: &mut [Option<f64>],
        _cx: &mut QueryContext,
    ) -> Result<()> {
        self.sandbox
            .call_elementwise(&self.func, values, args, n_args, out)
            .map_err(|r| error(&self.label, &r))
    }
}
