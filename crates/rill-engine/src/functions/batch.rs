//! Series-at-once functions: the shape WebAssembly UDFs need, where crossing into the function
//! costs ~50 ns, so one call must carry all steps of one series instead of one window.
//!
//! ```text
//!  range:       RangeVectorOperator ─► every step's window of one series, merged into one
//!               sorted sample list + per-step [start, end) offsets (+ the sample before the
//!               window, if asked) ─► SeriesRangeRun::series(all steps) ─► one value per step
//!  element-wise: InstantVectorOperator ─► all floats of one series ─► SeriesElementRun::series
//! ```
//! A function is a factory of per-query *runs* ([`SeriesRangeFunction::start`]): a run holds
//! the state of one call site in one query (for a UDF, its sandboxed instance) and is dropped
//! with the query; state all call sites of a query share goes in [`QueryContext::extension`].
//! This is an addition next to [`crate::functions::RangeFunction`] (built-ins keep their
//! per-window shape), sharing its planning and step loop (`range_function::RangeCall`).
//! Only float samples are handed over: histogram samples are ignored by range functions and
//! dropped by element-wise ones, and steps whose window holds no float are skipped.

use std::sync::Arc;

use rill_promql::{Call, DurationExpr, DurationOp, Expr, Signature};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::common::{ScalarArgs, metadata_without_name, plan_instant, plan_scalar, step_index};
use crate::functions::range_function::RangeCall;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator, Window};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory, FunctionOrigin, UserFunctionKind};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// One step of a [`SeriesWindows`] batch: where its window lies in the merged sample list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchStep {
    /// The step's evaluation time (ms), as it appears in the output.
    pub step_time: i64,
    /// Window start in data time, exclusive (the call's own range, after `offset` and `@`).
    pub range_start: i64,
    /// Window end in data time, inclusive.
    pub range_end: i64,
    /// Index of the window's first sample in [`SeriesWindows::samples`].
    pub start: usize,
    /// One past the index of the window's last sample (`start < end` always).
    pub end: usize,
    /// Index of the last sample at or before `range_start` (at most the engine's lookback
    /// delta before it), when the function asked for it and one exists; always `start - 1`.
    pub prev: Option<usize>,
}

/// All non-empty windows of one series, as one batch.
pub struct SeriesWindows<'a> {
    /// The series' float samples used by any step, in time order, each once.
    pub samples: &'a [FPoint],
    /// The steps with a non-empty window, in time order.
    pub steps: &'a [BatchStep],
    /// Scalar arguments per step, row-major: `args[i * n_args + j]` is argument `j` at step `i`.
    pub args: &'a [f64],
    /// Number of scalar arguments.
    pub n_args: usize,
    /// The range of the windows in milliseconds (the call's own range).
    pub range_ms: i64,
    /// The input series' metric name, or `""`.
    pub metric_name: &'a str,
}

/// A range function computing all steps of a series in one call.
pub trait SeriesRangeFunction: Send + Sync + 'static {
    /// Whether each step also needs the last sample before its window (VictoriaMetrics's `xrate`).
    fn needs_previous_sample(&self) -> bool {
        false
    }

    /// Whether the output keeps the input's metric name; most functions drop it.
    fn keeps_name(&self) -> bool {
        false
    }

    /// The module file a user-defined function was loaded from (listed as its origin), or
    /// `None` for a built-in.
    fn module_file(&self) -> Option<&str> {
        None
    }

    /// Starts one query's use of the function (called once, before the first series).
    fn start(&self, cx: &mut QueryContext) -> Result<Box<dyn SeriesRangeRun>>;
}

/// One query's use of a [`SeriesRangeFunction`].
pub trait SeriesRangeRun: Send {
    /// Computes one value per step of `windows` into `out` (same length, all `None` on entry;
    /// `None` means no output at that step).
    fn series(&mut self, windows: &SeriesWindows<'_>, out: &mut [Option<f64>], cx: &mut QueryContext) -> Result<()>;
}

/// An element-wise float function computing all points of a series in one call.
pub trait SeriesElementFunction: Send + Sync + 'static {
    /// The module file a user-defined function was loaded from (listed as its origin), or
    /// `None` for a built-in.
    fn module_file(&self) -> Option<&str> {
        None
    }

    /// Starts one query's use of the function (called once, before the first series).
    fn start(&self, cx: &mut QueryContext) -> Result<Box<dyn SeriesElementRun>>;
}

/// One query's use of a [`SeriesElementFunction`].
pub trait SeriesElementRun: Send {
    /// Computes `out[i]` from `values[i]` and the scalar arguments at that point
    /// (`args[i * n_args + j]`); `None` drops the point.
    fn series(
        &mut self,
        values: &[f64],
        args: &[f64],
        n_args: usize,
        out: &mut [Option<f64>],
        cx: &mut QueryContext,
    ) -> Result<()>;
}

impl FunctionDef {
    /// A range function with the given signature (exactly one range-vector argument, anywhere,
    /// the others scalars) computed series by series by `f`.
    pub fn range_series(name: &str, signature: Signature, f: Arc<dyn SeriesRangeFunction>) -> FunctionDef {
        FunctionDef {
            name: name.to_string(),
            signature,
            factory: Arc::new(RangeSeriesFactory { f }),
        }
    }

    /// An element-wise function with the given signature (an instant vector, then scalars)
    /// computed series by series by `f`.
    pub fn elementwise_series(name: &str, signature: Signature, f: Arc<dyn SeriesElementFunction>) -> FunctionDef {
        FunctionDef {
            name: name.to_string(),
            signature,
            factory: Arc::new(ElementSeriesFactory { f }),
        }
    }
}

/// A series-at-once function's origin: user-defined when it names its module file.
fn origin(module: Option<&str>, kind: UserFunctionKind) -> FunctionOrigin {
    module.map_or(FunctionOrigin::Builtin, |m| FunctionOrigin::UserDefined {
        module: m.to_string(),
        kind,
    })
}

/// `expr` (a range selector or subquery) with its range widened by `extra_ms`, so windows
/// also hold the samples just before the call's own range.
fn widen_range(expr: &Expr, extra_ms: i64) -> Option<Expr> {
    let widen = |range: &DurationExpr| {
        DurationExpr::Binary(
            DurationOp::Add,
            Box::new(range.clone()),
            Box::new(DurationExpr::from_millis(extra_ms)),
        )
    };
    match expr.unparen() {
        Expr::MatrixSelector(m) => {
            let mut m = m.clone();
            m.range = widen(&m.range);
            Some(Expr::MatrixSelector(m))
        }
        Expr::Subquery(s) => {
            let mut s = s.clone();
            s.range = widen(&s.range);
            Some(Expr::Subquery(s))
        }
        _ => None,
    }
}

struct RangeSeriesFactory {
    f: Arc<dyn SeriesRangeFunction>,
}

impl FunctionFactory for RangeSeriesFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let matrix_idx = RangeCall::matrix_index(call)?;
        let extra_ms = if self.f.needs_previous_sample() {
            planner.options().lookback_delta_ms.max(1)
        } else {
            0
        };
        let mut widened = call.clone();
        if extra_ms > 0 {
            let arg = widened
                .args
                .get_mut(matrix_idx)
                .ok_or_else(|| Error::Internal(format!("{}(): missing range argument", call.name)))?;
            *arg = widen_range(arg, extra_ms)
                .ok_or_else(|| Error::Internal(format!("{}(): range argument is not a selector", call.name)))?;
        }
        Ok(Operator::Instant(Box::new(RangeSeriesOperator {
            range: RangeCall::plan(&widened, matrix_idx, planner, self.f.keeps_name())?,
            f: self.f.clone(),
            run: None,
            extra_ms,
            steps: Vec::new(),
            args_buf: Vec::new(),
            out: Vec::new(),
        })))
    }

    fn origin(&self) -> FunctionOrigin {
        origin(self.f.module_file(), UserFunctionKind::Range)
    }
}

/// Drives a [`SeriesRangeFunction`]: gathers each series' windows into one batch.
struct RangeSeriesOperator {
    range: RangeCall,
    f: Arc<dyn SeriesRangeFunction>,
    run: Option<Box<dyn SeriesRangeRun>>,
    /// How much the input's range was widened to find previous samples (0: not widened).
    extra_ms: i64,
    steps: Vec<BatchStep>,
    args_buf: Vec<f64>,
    out: Vec<Option<f64>>,
}

/// Number of samples in `w` at or before `t`.
fn count_until(w: &Window<'_, FPoint>, t: i64) -> usize {
    let head = w.head.partition_point(|p| p.t <= t);
    if head < w.head.len() {
        head
    } else {
        head + w.tail.partition_point(|p| p.t <= t)
    }
}

/// Adds one window to the batch: its samples not yet in `samples`, and its step record.
fn add_window(
    samples: &mut PooledVec<FPoint>,
    w: &Window<'_, FPoint>,
    step_time: i64,
    range_start: i64,
    range_end: i64,
    with_prev: bool,
) -> Result<Option<BatchStep>> {
    let split = count_until(w, range_start);
    if split == w.len() {
        return Ok(None);
    }
    let first = if with_prev && split > 0 { split - 1 } else { split };
    let Some(first_t) = w.get(first).map(|p| p.t) else {
        return Ok(None);
    };
    let last_t = samples.last().map_or(i64::MIN, |p| p.t);
    for p in w.iter().skip(first).filter(|p| p.t > last_t) {
        samples.push(*p)?;
    }
    let base = samples.partition_point(|p| p.t < first_t);
    let start = base + (split - first);
    let end = base + (w.len() - first);
    if samples.get(base).map(|p| p.t) != Some(first_t) || end > samples.len() {
        return Err(Error::Internal(format!(
            "series batch: window at {step_time} does not line up with earlier windows"
        )));
    }
    Ok(Some(BatchStep {
        step_time,
        range_start,
        range_end,
        start,
        end,
        prev: (first < split).then_some(base),
    }))
}

impl InstantVectorOperator for RangeSeriesOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.range.series_metadata(cx)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(name) = self.range.next_series(cx)? else {
            return Ok(None);
        };
        let run = match &mut self.run {
            Some(run) => run,
            None => self.run.insert(self.f.start(cx)?),
        };
        let range_ms = self.range.range_ms() - self.extra_ms;
        let mut samples = PooledVec::<FPoint>::with_capacity(0, &cx.tracker)?;
        let Self {
            range,
            extra_ms,
            steps,
            args_buf,
            out,
            ..
        } = self;
        steps.clear();
        args_buf.clear();
        range.each_step(cx, |w, args, _| {
            let range_start = w.range_start + *extra_ms;
            if let Some(step) = add_window(
                &mut samples,
                &w.floats,
                w.step_time,
                range_start,
                w.range_end,
                *extra_ms > 0,
            )? {
                args_buf.extend_from_slice(args);
                steps.push(step);
            }
            Ok(())
        })?;
        out.clear();
        out.resize(steps.len(), None);
        if !steps.is_empty() {
            let windows = SeriesWindows {
                samples: &samples,
                steps,
                args: args_buf,
                n_args: range.n_args(),
                range_ms,
                metric_name: name.as_deref().unwrap_or(""),
            };
            run.series(&windows, out, cx)?;
        }
        drop(samples);
        series_data(steps.iter().map(|s| s.step_time), out, cx)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.run = None;
        self.range.finalize(cx)
    }
}

/// The output series of a series-at-once function: a point at each of `times` whose result in
/// `out` (same order) is a value.
fn series_data(
    times: impl Iterator<Item = i64>,
    out: &[Option<f64>],
    cx: &QueryContext,
) -> Result<Option<InstantVectorSeriesData>> {
    let mut floats = PooledVec::<FPoint>::with_capacity(out.iter().flatten().count(), &cx.tracker)?;
    for (t, v) in times.zip(out) {
        if let Some(f) = *v {
            floats.push(FPoint { t, f })?;
        }
    }
    Ok(Some(InstantVectorSeriesData {
        floats,
        histograms: PooledVec::with_capacity(0, &cx.tracker)?,
    }))
}

struct ElementSeriesFactory {
    f: Arc<dyn SeriesElementFunction>,
}

impl FunctionFactory for ElementSeriesFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let input = plan_instant(call, 0, planner)?;
        let scalars = (1..call.args.len())
            .map(|i| plan_scalar(call, i, planner))
            .collect::<Result<Vec<_>>>()?;
        Ok(Operator::Instant(Box::new(ElementSeriesOperator {
            input,
            n_args: scalars.len(),
            args: ScalarArgs::new(scalars),
            f: self.f.clone(),
            run: None,
            time_range: planner.time_range(),
            delayed_name_removal: planner.options().features.delayed_name_removal,
            args_buf: Vec::new(),
            out: Vec::new(),
        })))
    }

    fn origin(&self) -> FunctionOrigin {
        origin(self.f.module_file(), UserFunctionKind::Elementwise)
    }
}

/// Drives a [`SeriesElementFunction`] over every series of its input.
struct ElementSeriesOperator {
    input: Box<dyn InstantVectorOperator>,
    n_args: usize,
    args: ScalarArgs,
    f: Arc<dyn SeriesElementFunction>,
    run: Option<Box<dyn SeriesElementRun>>,
    time_range: QueryTimeRange,
    delayed_name_removal: bool,
    args_buf: Vec<f64>,
    out: Vec<Option<f64>>,
}

impl InstantVectorOperator for ElementSeriesOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.args.resolve(cx)?;
        metadata_without_name(self.input.as_mut(), cx, self.delayed_name_removal)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(data) = self.input.next_series(cx)? else {
            return Ok(None);
        };
        let run = match &mut self.run {
            Some(run) => run,
            None => self.run.insert(self.f.start(cx)?),
        };
        let mut values = PooledVec::<f64>::with_capacity(data.floats.len(), &cx.tracker)?;
        self.args_buf.clear();
        for p in data.floats.iter() {
            values.push(p.f)?;
            if !self.args.is_empty() {
                let idx = step_index(&self.time_range, p.t)?;
                self.args_buf.extend_from_slice(self.args.at(idx));
            }
        }
        self.out.clear();
        self.out.resize(values.len(), None);
        if !values.is_empty() {
            run.series(&values, &self.args_buf, self.n_args, &mut self.out, cx)?;
        }
        drop(values);
        series_data(data.floats.iter().map(|p| p.t), &self.out, cx)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.run = None;
        self.input.finalize(cx)?;
        self.args.finalize(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(ts: &[i64]) -> Vec<FPoint> {
        ts.iter().map(|&t| FPoint { t, f: t as f64 }).collect()
    }

    #[test]
    fn overlapping_windows_share_samples_and_find_the_previous_one() {
        let tracker = crate::memory::MemoryTracker::new(0);
        let mut samples = PooledVec::<FPoint>::with_capacity(0, &tracker).unwrap();
        // Range 20, widened by 10: window (0, 30] for step 30 holds 5..30 step 5.
        let w1 = pts(&[5, 10, 15, 20, 25, 30]);
        let s1 = add_window(&mut samples, &Window::contiguous(&w1), 30, 10, 30, true).unwrap();
        assert_eq!(
            s1,
            Some(BatchStep {
                step_time: 30,
                range_start: 10,
                range_end: 30,
                start: 1,
                end: 5,
                prev: Some(0)
            })
        );
        // Next step 40, ring buffer split in two: (10, 40].
        let (h, t) = (pts(&[15, 20, 25]), pts(&[30, 35, 40]));
        let s2 = add_window(&mut samples, &Window { head: &h, tail: &t }, 40, 20, 40, true).unwrap();
        assert_eq!(s2.map(|s| (s.prev, s.start, s.end)), Some((Some(2), 3, 7)));
        assert_eq!(
            samples.iter().map(|p| p.t).collect::<Vec<_>>(),
            vec![10, 15, 20, 25, 30, 35, 40]
        );
        // Only samples before the window: no step.
        let before = pts(&[45]);
        assert_eq!(
            add_window(&mut samples, &Window::contiguous(&before), 60, 50, 60, true).unwrap(),
            None
        );
    }

    #[test]
    fn without_previous_sample_windows_start_inside_the_range() {
        let tracker = crate::memory::MemoryTracker::new(0);
        let mut samples = PooledVec::<FPoint>::with_capacity(0, &tracker).unwrap();
        let w = pts(&[11, 12]);
        let s = add_window(&mut samples, &Window::contiguous(&w), 12, 10, 12, false).unwrap();
        assert_eq!(s.map(|s| (s.prev, s.start, s.end)), Some((None, 0, 2)));
    }
}
