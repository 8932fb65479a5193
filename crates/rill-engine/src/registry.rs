//! The function registry: every PromQL function the engine can run, built-in or user-defined.
//!
//! An entry is a [`FunctionDef`]: a signature (which the parser checks through
//! [`rill_promql::FunctionLookup`], implemented here) plus a [`FunctionFactory`] that builds
//! the operator for one call. Built-ins are registered exactly like WebAssembly UDFs will be,
//! so the planner has no special cases for any function.

use std::collections::HashMap;
use std::sync::Arc;

use rill_promql::{Call, Expr, FunctionLookup, Signature};

use crate::error::Result;
use crate::operator::Operator;
use crate::options::EngineOptions;
use crate::types::QueryTimeRange;

/// What a factory may ask of the planner while building a call's operator.
pub trait ArgPlanner {
    /// Plans an argument expression the ordinary way.
    fn plan(&mut self, expr: &Expr) -> Result<Operator>;
    /// Plans an instant-vector selector argument so that its points carry the timestamps of
    /// the underlying samples instead of the step times (what `timestamp()` needs).
    fn plan_with_sample_timestamps(&mut self, expr: &Expr) -> Result<Operator>;
    /// Plans an instant-vector selector argument so that its float points carry the
    /// timestamps of the underlying samples while histogram points stay histograms (what
    /// `info()` needs: the newest info sample wins, and histogram info series are an error).
    /// The default plans it like [`ArgPlanner::plan_with_sample_timestamps`], which turns
    /// histograms into timestamps too.
    fn plan_with_float_sample_timestamps(&mut self, expr: &Expr) -> Result<Operator> {
        self.plan_with_sample_timestamps(expr)
    }
    /// Plans an instant-vector selector argument so that its points carry the start
    /// ("created") timestamps of the underlying samples in seconds, `0` when unknown (what
    /// `start_timestamp()` needs); other expressions are planned the ordinary way. The default
    /// plans every expression the ordinary way.
    fn plan_with_start_timestamps(&mut self, expr: &Expr) -> Result<Operator> {
        self.plan(expr)
    }
    /// The steps the call is evaluated at.
    fn time_range(&self) -> QueryTimeRange;
    /// The steps of the whole query, even inside a subquery (what `step()`, `range()`,
    /// `start()` and `end()` report). Planners that plan subqueries must override it; the
    /// default is only right outside subqueries.
    fn query_range(&self) -> QueryTimeRange {
        self.time_range()
    }
    /// The engine's options (lookback, feature flags).
    fn options(&self) -> &EngineOptions;
}

/// Builds the operator for one call of a function.
pub trait FunctionFactory: Send + Sync {
    /// Builds the operator for `call`, planning its arguments through `planner`.
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator>;

    /// Where the function comes from, for listings (the server's `/api/v1/status/functions`);
    /// built-ins keep the default.
    fn origin(&self) -> FunctionOrigin {
        FunctionOrigin::Builtin
    }
}

/// Where a registered function comes from, as listings show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionOrigin {
    /// Built into the engine.
    Builtin,
    /// A user-defined (WebAssembly) function.
    UserDefined {
        /// The module file it was loaded from, as given when loading.
        module: String,
        /// Its shape.
        kind: UserFunctionKind,
    },
}

/// The shape of a user-defined function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFunctionKind {
    /// One value per series and step from the window of samples at that step.
    Range,
    /// One float in, one float out, point by point.
    Elementwise,
}

impl UserFunctionKind {
    /// `range` or `elementwise`, as the UDF manifest and listings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            UserFunctionKind::Range => "range",
            UserFunctionKind::Elementwise => "elementwise",
        }
    }
}

/// A registered function.
#[derive(Clone)]
pub struct FunctionDef {
    /// The name users call it by.
    pub name: String,
    /// Its PromQL signature.
    pub signature: Signature,
    /// Builds its operator.
    pub factory: Arc<dyn FunctionFactory>,
}

/// All functions known to an engine. Cheap to share behind an `Arc`.
#[derive(Clone, Default)]
pub struct FunctionRegistry {
    functions: HashMap<String, FunctionDef>,
}

impl FunctionRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Adds or replaces a function; returns the definition it replaced, if any.
    pub fn register(&mut self, def: FunctionDef) -> Option<FunctionDef> {
        self.functions.insert(def.name.clone(), def)
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.get(name)
    }

    /// All registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.functions.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// All definitions, sorted by name (for listings).
    pub fn definitions(&self) -> Vec<&FunctionDef> {
        let mut defs: Vec<&FunctionDef> = self.functions.values().collect();
        defs.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        defs
    }
}

impl FunctionLookup for FunctionRegistry {
    fn signature(&self, name: &str) -> Option<Signature> {
        self.functions.get(name).map(|d| d.signature.clone())
    }
}
