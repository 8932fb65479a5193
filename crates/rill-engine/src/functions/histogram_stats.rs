//! Statistics of native histograms, one float per histogram sample: `histogram_count`,
//! `histogram_sum`, `histogram_avg`, `histogram_stddev`, `histogram_stdvar`.
//!
//! Float samples are dropped, as Prometheus's `simpleHistogramFunc` does; the metric name is
//! removed. The math itself lives in [`rill_model::FloatHistogram`].

use rill_model::FloatHistogram;
use rill_promql::Call;

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{metadata_without_name, plan_instant};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, SeriesMetadata};

/// A statistic of one histogram.
pub type HistogramStat = fn(&FloatHistogram) -> f64;

/// Applies a [`HistogramStat`] to every histogram point of its input.
struct HistogramStatOperator {
    input: Box<dyn InstantVectorOperator>,
    f: HistogramStat,
    delayed_name_removal: bool,
}

impl InstantVectorOperator for HistogramStatOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        metadata_without_name(self.input.as_mut(), cx, self.delayed_name_removal)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(data) = self.input.next_series(cx)? else {
            return Ok(None);
        };
        let mut floats = PooledVec::<FPoint>::with_capacity(data.histograms.len(), &cx.tracker)?;
        for p in data.histograms.iter() {
            floats.push(FPoint {
                t: p.t,
                f: (self.f)(&p.h),
            })?;
        }
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

struct Factory(HistogramStat);

impl FunctionFactory for Factory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        Ok(Operator::Instant(Box::new(HistogramStatOperator {
            input: plan_instant(call, 0, planner)?,
            f: self.0,
            delayed_name_removal: planner.options().features.delayed_name_removal,
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    let stats: [(&str, HistogramStat); 5] = [
        ("histogram_count", |h| h.count),
        ("histogram_sum", |h| h.sum),
        ("histogram_avg", FloatHistogram::avg),
        ("histogram_stddev", FloatHistogram::stddev),
        ("histogram_stdvar", FloatHistogram::stdvar),
    ];
    stats.into_iter().map(|(name, f)| custom(name, Factory(f))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_every_statistic() {
        let defs = definitions();
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "histogram_count",
                "histogram_sum",
                "histogram_avg",
                "histogram_stddev",
                "histogram_stdvar"
            ]
        );
    }
}
