//! Element-wise functions: one float in, one float out, same series, name dropped
//! (`abs`, `sqrt`, `sin`, `clamp(v, min, max)`, `round(v, to)`, `hour(v)`, ...).
//!
//! Histogram samples are dropped, as Prometheus's `simpleFloatFunc` does. Extra scalar
//! arguments are evaluated once for all steps and handed to the function per step.

use std::sync::Arc;

use rill_promql::{Call, Signature, ValueType};

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{ScalarArgs, metadata_without_name, plan_instant, plan_scalar, step_index};
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// An element-wise function of a value and the call's scalar arguments at that step;
/// `None` drops the point (e.g. `clamp` with `min > max`).
pub type ElementFn = Arc<dyn Fn(f64, &[f64]) -> Option<f64> + Send + Sync>;

impl FunctionDef {
    /// An element-wise function `name(v instant-vector) instant-vector` computing `f` on every
    /// float sample; histogram samples are dropped and the metric name is removed.
    pub fn elementwise(name: &str, f: fn(f64) -> f64) -> FunctionDef {
        Self::elementwise_with_args(name, 0, Arc::new(move |v, _| Some(f(v))))
    }

    /// Like [`FunctionDef::elementwise`] with `scalar_args` scalar arguments after the vector,
    /// whose values at each step are passed to `f` (`clamp`, `round`).
    pub fn elementwise_with_args(name: &str, scalar_args: usize, f: ElementFn) -> FunctionDef {
        let mut arg_types = vec![ValueType::Vector];
        arg_types.extend(std::iter::repeat_n(ValueType::Scalar, scalar_args));
        FunctionDef {
            name: name.to_string(),
            signature: Signature {
                arg_types,
                variadic: 0,
                return_type: ValueType::Vector,
                experimental: false,
            },
            factory: Arc::new(ElementwiseFactory { f }),
        }
    }
}

/// Builds [`ElementwiseOperator`]s; scalar arguments the call omits get no value (the
/// function decides its default, as `round` does).
struct ElementwiseFactory {
    f: ElementFn,
}

impl FunctionFactory for ElementwiseFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let input = plan_instant(call, 0, planner)?;
        let scalars = (1..call.args.len())
            .map(|i| plan_scalar(call, i, planner))
            .collect::<Result<Vec<_>>>()?;
        Ok(Operator::Instant(Box::new(ElementwiseOperator::new(
            input,
            ScalarArgs::new(scalars),
            self.f.clone(),
            planner.time_range(),
            planner.options().features.delayed_name_removal,
        ))))
    }
}

/// Applies an [`ElementFn`] to every float point of its input.
pub(crate) struct ElementwiseOperator {
    input: Box<dyn InstantVectorOperator>,
    args: ScalarArgs,
    f: ElementFn,
    time_range: QueryTimeRange,
    delayed_name_removal: bool,
}

impl ElementwiseOperator {
    /// An operator applying `f` to `input`'s floats.
    pub(crate) fn new(
        input: Box<dyn InstantVectorOperator>,
        args: ScalarArgs,
        f: ElementFn,
        time_range: QueryTimeRange,
        delayed_name_removal: bool,
    ) -> Self {
        ElementwiseOperator {
            input,
            args,
            f,
            time_range,
            delayed_name_removal,
        }
    }
}

impl InstantVectorOperator for ElementwiseOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.args.resolve(cx)?;
        metadata_without_name(self.input.as_mut(), cx, self.delayed_name_removal)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(data) = self.input.next_series(cx)? else {
            return Ok(None);
        };
        let mut floats = PooledVec::<FPoint>::with_capacity(data.floats.len(), &cx.tracker)?;
        for p in data.floats.iter() {
            let out = if self.args.is_empty() {
                (self.f)(p.f, &[])
            } else {
                let idx = step_index(&self.time_range, p.t)?;
                (self.f)(p.f, self.args.at(idx))
            };
            if let Some(f) = out {
                floats.push(FPoint { t: p.t, f })?;
            }
        }
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)?;
        self.args.finalize(cx)
    }
}
