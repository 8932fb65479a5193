//! Range-window functions: one output value per series and step, computed from the window of
//! samples of that series at that step (`rate`, `*_over_time`, `deriv`, ...).
//!
//! ```text
//!  RangeVectorOperator ──next_series()──► for each step: next_step_samples() ─► RangeStep window
//!                                                                              │
//!        RangeFunction::step(window, StepContext{args at step, range, name}) ◄──┘
//!                                                                              │
//!  InstantVectorSeriesData (pooled, one point per step with a value)  ◄─────────┘
//! ```
//! [`RangeFunction`] is the one small trait a function of this shape implements; the generic
//! [`RangeFunctionOperator`] does everything else (buffers, annotations), on top of
//! `RangeCall` (planning, scalar arguments per step, metric names, name dropping, the step
//! loop), which the series-at-once driver of WebAssembly UDFs ([`crate::functions::batch`])
//! shares. Steps whose window holds no sample are skipped without calling the function, as
//! Prometheus does.

use std::sync::Arc;

use rill_model::FloatHistogram;
use rill_promql::{Call, PosRange, Signature, ValueType};

use crate::annotations::{Annotation, Annotations};
use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::common::{ScalarArgs, drop_name, plan_range, plan_scalar, step_index};
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator, RangeStep, RangeVectorOperator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// The value a range function produces for one step.
#[derive(Clone, Debug, PartialEq)]
pub enum StepValue {
    /// A float.
    Float(f64),
    /// A native histogram.
    Histogram(Arc<FloatHistogram>),
}

/// What a [`RangeFunction`] may know and report besides the window itself.
pub struct StepContext<'a> {
    /// The call's scalar arguments at this step, in argument order (e.g. `[q]` for
    /// `quantile_over_time(q, m)`, `[t]` for `predict_linear(m, t)`).
    pub args: &'a [f64],
    /// The range of the windows in milliseconds (`5m` → 300000).
    pub range_ms: i64,
    /// The input series' metric name, or `""` when it has none.
    pub metric_name: &'a str,
    /// A reusable scratch buffer (cleared by the user), so steps need not allocate.
    pub scratch: &'a mut Vec<f64>,
    annotations: &'a mut Annotations,
    pos: PosRange,
}

impl StepContext<'_> {
    /// Records a warning about the call's first argument (Prometheus's convention).
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.annotations.add(Annotation::warning(msg, self.pos));
    }

    /// Records an info about the call's first argument.
    pub fn info(&mut self, msg: impl Into<String>) {
        self.annotations.add(Annotation::info(msg, self.pos));
    }
}

/// A function computing one value from the window of one series at one step.
pub trait RangeFunction: Send + Sync + 'static {
    /// Computes the value for one non-empty window; `Ok(None)` means no output at this step.
    /// An error fails the query.
    fn step(&self, window: &RangeStep<'_>, cx: &mut StepContext<'_>) -> Result<Option<StepValue>>;

    /// Number of scalar arguments besides the range vector (for the default signature).
    fn scalar_args(&self) -> usize {
        0
    }

    /// Whether the output keeps the input's metric name (`last_over_time`); most drop it.
    fn keeps_name(&self) -> bool {
        false
    }

    /// Called after the last step of each series with whether any float was produced,
    /// for per-series annotations (`rate`'s "might not be a counter" info).
    fn series_done(&self, _produced_floats: bool, _cx: &mut StepContext<'_>) {}
}

impl FunctionDef {
    /// A function `name(m range-vector, scalars...) instant-vector` computed by `f` window by window.
    pub fn range_window(name: &str, f: impl RangeFunction) -> FunctionDef {
        let mut arg_types = vec![ValueType::Matrix];
        arg_types.extend(std::iter::repeat_n(ValueType::Scalar, f.scalar_args()));
        FunctionDef {
            name: name.to_string(),
            signature: Signature {
                arg_types,
                variadic: 0,
                return_type: ValueType::Vector,
                experimental: false,
            },
            factory: Arc::new(RangeFunctionFactory { f: Arc::new(f) }),
        }
    }
}

/// Plans the call's range-vector argument (wherever it is) and its scalar arguments.
struct RangeFunctionFactory {
    f: Arc<dyn RangeFunction>,
}

impl FunctionFactory for RangeFunctionFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        plan_range_function(call, planner, self.f.clone())
    }
}

/// Plans `call` as the range-window function `f`: its range-vector argument (wherever it is)
/// and its scalar arguments. For factories that choose `f` per call (see
/// [`crate::functions::range_mode`]).
pub(crate) fn plan_range_function(
    call: &Call,
    planner: &mut dyn ArgPlanner,
    f: Arc<dyn RangeFunction>,
) -> Result<Operator> {
    let range = RangeCall::plan(call, RangeCall::matrix_index(call)?, planner, f.keeps_name())?;
    let pos = call.args.first().map_or(call.pos, |a| a.pos());
    Ok(Operator::Instant(Box::new(RangeFunctionOperator {
        range,
        f,
        pos,
        scratch: Vec::new(),
    })))
}

/// What every driver of a range-vector function shares (the built-in one here, window by
/// window, and the series-at-once one in [`crate::functions::batch`]): the planned
/// range-vector input and scalar arguments, the input series' metric names, name dropping,
/// and the loop over one series' step windows.
pub(crate) struct RangeCall {
    input: Box<dyn RangeVectorOperator>,
    args: ScalarArgs,
    n_args: usize,
    time_range: QueryTimeRange,
    delayed_name_removal: bool,
    keeps_name: bool,
    /// Metric names of the input series, in order.
    names: Vec<Option<Arc<str>>>,
    next: usize,
}

impl RangeCall {
    /// The index of `call`'s range-vector argument.
    pub(crate) fn matrix_index(call: &Call) -> Result<usize> {
        call.args
            .iter()
            .position(|a| a.value_type() == ValueType::Matrix)
            .ok_or_else(|| Error::Internal(format!("{}(): no range-vector argument", call.name)))
    }

    /// Plans `call`'s range-vector argument `matrix_idx` and its other (scalar) arguments;
    /// `keeps_name`: whether the output keeps the input's metric name.
    pub(crate) fn plan(
        call: &Call,
        matrix_idx: usize,
        planner: &mut dyn ArgPlanner,
        keeps_name: bool,
    ) -> Result<RangeCall> {
        let input = plan_range(call, matrix_idx, planner)?;
        let scalars = (0..call.args.len())
            .filter(|&i| i != matrix_idx)
            .map(|i| plan_scalar(call, i, planner))
            .collect::<Result<Vec<_>>>()?;
        Ok(RangeCall {
            input,
            n_args: scalars.len(),
            args: ScalarArgs::new(scalars),
            time_range: planner.time_range(),
            delayed_name_removal: planner.options().features.delayed_name_removal,
            keeps_name,
            names: Vec::new(),
            next: 0,
        })
    }

    /// Number of scalar arguments.
    pub(crate) fn n_args(&self) -> usize {
        self.n_args
    }

    /// The range of the input's windows in milliseconds.
    pub(crate) fn range_ms(&self) -> i64 {
        self.input.range_ms()
    }

    /// The output series: the input's, with the metric name dropped unless kept.
    pub(crate) fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.args.resolve(cx)?;
        let input = self.input.series_metadata(cx)?;
        self.names = input.iter().map(|m| m.labels.metric_name().map(Arc::from)).collect();
        let keep = self.keeps_name;
        let delayed = self.delayed_name_removal;
        Ok(input
            .into_iter()
            .map(|m| if keep { m } else { drop_name(m, delayed) })
            .collect())
    }

    /// Moves to the input's next series: `Some(its metric name)`, or `None` after the last.
    pub(crate) fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<Option<Arc<str>>>> {
        if !self.input.next_series(cx)? {
            return Ok(None);
        }
        cx.check("range function")?;
        let name = self.names.get(self.next).cloned().flatten();
        self.next += 1;
        Ok(Some(name))
    }

    /// Hands every non-empty step window of the current series to `f`, with the scalar
    /// arguments at its step.
    pub(crate) fn each_step(
        &mut self,
        cx: &mut QueryContext,
        mut f: impl FnMut(&RangeStep<'_>, &[f64], &mut QueryContext) -> Result<()>,
    ) -> Result<()> {
        let Self {
            input,
            args,
            time_range,
            ..
        } = self;
        while let Some(window) = input.next_step_samples(cx)? {
            if window.floats.is_empty() && window.histograms.is_empty() {
                continue;
            }
            let step_args = if args.is_empty() {
                &[][..]
            } else {
                args.at(step_index(time_range, window.step_time)?)
            };
            f(&window, step_args, cx)?;
        }
        Ok(())
    }

    /// Finalizes the input and the scalar arguments.
    pub(crate) fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)?;
        self.args.finalize(cx)
    }
}

/// Drives a [`RangeFunction`] over every series and step of a range-vector operator.
pub struct RangeFunctionOperator {
    range: RangeCall,
    f: Arc<dyn RangeFunction>,
    pos: PosRange,
    scratch: Vec<f64>,
}

impl InstantVectorOperator for RangeFunctionOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.range.series_metadata(cx)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(name) = self.range.next_series(cx)? else {
            return Ok(None);
        };
        let metric_name = name.as_deref().unwrap_or("");
        let mut floats = PooledVec::<FPoint>::with_capacity(self.range.time_range.steps(), &cx.tracker)?;
        let mut histograms = PooledVec::<HPoint>::with_capacity(0, &cx.tracker)?;
        let range_ms = self.range.range_ms();
        let Self { range, f, pos, scratch } = self;
        range.each_step(cx, |window, args, cx| {
            let t = window.step_time;
            let mut scx = StepContext {
                args,
                range_ms,
                metric_name,
                scratch,
                annotations: &mut cx.annotations,
                pos: *pos,
            };
            match f.step(window, &mut scx)? {
                Some(StepValue::Float(v)) => floats.push(FPoint { t, f: v }),
                Some(StepValue::Histogram(h)) => histograms.push(HPoint { t, h }),
                None => Ok(()),
            }
        })?;
        let mut scx = StepContext {
            args: &[],
            range_ms,
            metric_name,
            scratch: &mut self.scratch,
            annotations: &mut cx.annotations,
            pos: self.pos,
        };
        self.f.series_done(!floats.is_empty(), &mut scx);
        Ok(Some(InstantVectorSeriesData { floats, histograms }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.range.finalize(cx)
    }
}

/// Test helpers: run a [`RangeFunction`] over one hand-made window.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::operator::Window;

    /// Floats from `(seconds, value)` pairs.
    pub(crate) fn points(samples: &[(i64, f64)]) -> Vec<FPoint> {
        samples.iter().map(|&(t, f)| FPoint { t: t * 1000, f }).collect()
    }

    /// Runs `f` on a window ending at `end_s` seconds with range `range_s` seconds.
    pub(crate) fn run(
        f: &dyn RangeFunction,
        floats: &[FPoint],
        end_s: i64,
        range_s: i64,
        args: &[f64],
    ) -> (Result<Option<StepValue>>, Annotations) {
        let mut annotations = Annotations::default();
        let mut scratch = Vec::new();
        let window = RangeStep {
            step_time: end_s * 1000,
            range_start: (end_s - range_s) * 1000,
            range_end: end_s * 1000,
            floats: Window::contiguous(floats),
            histograms: Window::contiguous(&[]),
            start_timestamps: None,
        };
        let mut cx = StepContext {
            args,
            range_ms: range_s * 1000,
            metric_name: "m",
            scratch: &mut scratch,
            annotations: &mut annotations,
            pos: PosRange::new(0, 1),
        };
        let out = f.step(&window, &mut cx);
        (out, annotations)
    }

    /// The float `f` computes, panicking (in tests only) on anything else.
    pub(crate) fn float(f: &dyn RangeFunction, samples: &[(i64, f64)], end_s: i64, range_s: i64, args: &[f64]) -> f64 {
        match run(f, &points(samples), end_s, range_s, args).0 {
            Ok(Some(StepValue::Float(v))) => v,
            other => panic!("expected a float, got {other:?}"),
        }
    }
}
