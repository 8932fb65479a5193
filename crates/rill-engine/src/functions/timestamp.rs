//! `timestamp(v)`: the time of each sample in seconds. For a selector argument that is the
//! sample's own timestamp (the planner's sample-timestamp mode puts it in the point's value);
//! for any other expression it is the evaluation time, as in Prometheus.
//!
//! `start_timestamp(v)` (experimental): the start ("created") time of each sample in seconds,
//! `0` when unknown. Only storage knows start times, so for anything but a selector argument
//! the result is empty, as in Prometheus.

use rill_promql::{Call, Expr};

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{arg, drop_name, metadata_without_name};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, SeriesMetadata};

/// Emits the timestamp of every point (float or histogram) as a float.
pub struct TimestampOperator {
    input: Box<dyn InstantVectorOperator>,
    /// The input's values already are sample timestamps (selector argument).
    values_are_timestamps: bool,
    delayed_name_removal: bool,
}

impl InstantVectorOperator for TimestampOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        metadata_without_name(self.input.as_mut(), cx, self.delayed_name_removal)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(data) = self.input.next_series(cx)? else {
            return Ok(None);
        };
        if self.values_are_timestamps && data.histograms.is_empty() {
            return Ok(Some(data));
        }
        let n = data.floats.len() + data.histograms.len();
        let mut floats = PooledVec::<FPoint>::with_capacity(n, &cx.tracker)?;
        let secs = |t: i64| t as f64 / 1000.0;
        for p in data.floats.iter() {
            let f = if self.values_are_timestamps { p.f } else { secs(p.t) };
            floats.push(FPoint { t: p.t, f })?;
        }
        for h in data.histograms.iter() {
            floats.push(FPoint { t: h.t, f: secs(h.t) })?;
        }
        floats.sort_by_key(|p| p.t);
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

struct TimestampFactory;

impl FunctionFactory for TimestampFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let expr = arg(call, 0)?;
        let values_are_timestamps = matches!(expr.unparen(), Expr::VectorSelector(_));
        let input = match planner.plan_with_sample_timestamps(expr)? {
            Operator::Instant(op) => op,
            _ => {
                return Err(crate::error::Error::Internal(
                    "timestamp(): argument is not an instant vector".into(),
                ));
            }
        };
        Ok(Operator::Instant(Box::new(TimestampOperator {
            input,
            values_are_timestamps,
            delayed_name_removal: planner.options().features.delayed_name_removal,
        })))
    }
}

/// Emits the start timestamps a selector planned in start-timestamp mode put in its points,
/// or nothing when the argument was not a selector.
pub struct StartTimestampOperator {
    input: Box<dyn InstantVectorOperator>,
    /// The argument is a selector (its values are start timestamps); else there is no output.
    from_selector: bool,
    delayed_name_removal: bool,
}

impl InstantVectorOperator for StartTimestampOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let input = self.input.series_metadata(cx)?;
        if !self.from_selector {
            return Ok(Vec::new());
        }
        let delayed = self.delayed_name_removal;
        Ok(input.into_iter().map(|m| drop_name(m, delayed)).collect())
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if !self.from_selector {
            return Ok(None);
        }
        self.input.next_series(cx)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

struct StartTimestampFactory;

impl FunctionFactory for StartTimestampFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let expr = arg(call, 0)?;
        let from_selector = matches!(expr.unparen(), Expr::VectorSelector(_));
        let Operator::Instant(input) = planner.plan_with_start_timestamps(expr)? else {
            return Err(crate::error::Error::Internal(
                "start_timestamp(): argument is not an instant vector".into(),
            ));
        };
        Ok(Operator::Instant(Box::new(StartTimestampOperator {
            input,
            from_selector,
            delayed_name_removal: planner.options().features.delayed_name_removal,
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("timestamp", TimestampFactory),
        custom("start_timestamp", StartTimestampFactory),
    ]
}
