//! Conversions between scalars and vectors, and scalar constants: `pi()`, `time()`,
//! `vector(s)`, `scalar(v)`.

use rill_model::Labels;
use rill_promql::Call;

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{plan_instant, plan_scalar, step_index};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator, ScalarOperator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};

/// The same value at every step.
pub struct ConstantScalar {
    value: f64,
    steps: usize,
}

impl ConstantScalar {
    /// `value` at each of `steps` steps.
    pub fn new(value: f64, steps: usize) -> Self {
        ConstantScalar { value, steps }
    }
}

impl ScalarOperator for ConstantScalar {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        Ok(ScalarData {
            values: PooledVec::filled(self.steps, self.value, &cx.tracker)?,
        })
    }
}

/// The evaluation time of each step in seconds (`time()`).
pub struct TimeScalar {
    range: QueryTimeRange,
}

impl TimeScalar {
    /// `time()` over `range`.
    pub fn new(range: QueryTimeRange) -> Self {
        TimeScalar { range }
    }
}

impl ScalarOperator for TimeScalar {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let mut values = PooledVec::with_capacity(self.range.steps(), &cx.tracker)?;
        for t in self.range.times() {
            values.push(t as f64 / 1000.0)?;
        }
        Ok(ScalarData { values })
    }
}

/// One series without labels holding a scalar's value at every step (`vector(s)`).
pub struct VectorOfScalar {
    source: Box<dyn ScalarOperator>,
    range: QueryTimeRange,
    done: bool,
}

impl VectorOfScalar {
    /// `vector(source)` over `range`.
    pub fn new(source: Box<dyn ScalarOperator>, range: QueryTimeRange) -> Self {
        VectorOfScalar {
            source,
            range,
            done: false,
        }
    }
}

impl InstantVectorOperator for VectorOfScalar {
    fn series_metadata(&mut self, _cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        Ok(vec![SeriesMetadata::new(Labels::empty())])
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        let values = self.source.values(cx)?;
        let mut floats = PooledVec::with_capacity(values.values.len(), &cx.tracker)?;
        for (t, f) in self.range.times().zip(values.values.iter()) {
            floats.push(FPoint { t, f: *f })?;
        }
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.source.finalize(cx)
    }
}

/// The single float of a vector at each step, NaN when there are none or several (`scalar(v)`).
pub struct ScalarOfVector {
    input: Box<dyn InstantVectorOperator>,
    range: QueryTimeRange,
}

impl ScalarOperator for ScalarOfVector {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let steps = self.range.steps();
        let mut values = PooledVec::filled(steps, f64::NAN, &cx.tracker)?;
        let mut counts = PooledVec::filled(steps, 0usize, &cx.tracker)?;
        self.input.series_metadata(cx)?;
        while let Some(series) = self.input.next_series(cx)? {
            for p in series.floats.iter() {
                let i = step_index(&self.range, p.t)?;
                if let (Some(v), Some(c)) = (values.get_mut(i), counts.get_mut(i)) {
                    *c += 1;
                    *v = if *c == 1 { p.f } else { f64::NAN };
                }
            }
        }
        Ok(ScalarData { values })
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

/// Which of this file's functions a factory builds.
#[derive(Clone, Copy)]
enum Kind {
    Pi,
    Time,
    Vector,
    Scalar,
}

struct Factory(Kind);

impl FunctionFactory for Factory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let range = planner.time_range();
        Ok(match self.0 {
            Kind::Pi => Operator::Scalar(Box::new(ConstantScalar {
                value: std::f64::consts::PI,
                steps: range.steps(),
            })),
            Kind::Time => Operator::Scalar(Box::new(TimeScalar::new(range))),
            Kind::Vector => Operator::Instant(Box::new(VectorOfScalar::new(plan_scalar(call, 0, planner)?, range))),
            Kind::Scalar => Operator::Scalar(Box::new(ScalarOfVector {
                input: plan_instant(call, 0, planner)?,
                range,
            })),
        })
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("pi", Factory(Kind::Pi)),
        custom("time", Factory(Kind::Time)),
        custom("vector", Factory(Kind::Vector)),
        custom("scalar", Factory(Kind::Scalar)),
    ]
}
