//! `vector op scalar` and `scalar op vector`: the scalar's value at each step applies to
//! every point of the vector at that step; comparisons filter (keeping the vector's value)
//! unless `bool` is given. Arithmetic and `bool` drop the metric name.

use rill_promql::BinaryOp;

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, ScalarOperator};
use crate::operators::binops::{changes_metric_schema, float_binop};
use crate::operators::unary::drop_metric_name;
use crate::types::{InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};

/// A binary operation between an instant vector and a scalar.
pub struct VectorScalarBinary {
    op: BinaryOp,
    vector: Box<dyn InstantVectorOperator>,
    scalar: Box<dyn ScalarOperator>,
    scalar_on_left: bool,
    return_bool: bool,
    delayed_name_removal: bool,
    steps: QueryTimeRange,
    scalar_values: Option<ScalarData>,
}

impl VectorScalarBinary {
    /// `vector op scalar`, or `scalar op vector` when `scalar_on_left`.
    pub fn new(
        op: BinaryOp,
        vector: Box<dyn InstantVectorOperator>,
        scalar: Box<dyn ScalarOperator>,
        scalar_on_left: bool,
        return_bool: bool,
        delayed_name_removal: bool,
        steps: QueryTimeRange,
    ) -> Result<Self> {
        if float_binop(op, 0.0, 0.0).is_none() {
            return Err(Error::Internal(format!(
                "operator {op} between a vector and a scalar is not implemented yet"
            )));
        }
        Ok(VectorScalarBinary {
            op,
            vector,
            scalar,
            scalar_on_left,
            return_bool,
            delayed_name_removal,
            steps,
            scalar_values: None,
        })
    }

    fn apply(&self, vector_value: f64, scalar: f64) -> Option<f64> {
        let (l, r) = if self.scalar_on_left {
            (scalar, vector_value)
        } else {
            (vector_value, scalar)
        };
        let (mut v, keep) = float_binop(self.op, l, r)?;
        if self.op.is_comparison() {
            v = vector_value;
        }
        if self.return_bool {
            return Some(f64::from(u8::from(keep)));
        }
        keep.then_some(v)
    }
}

impl InstantVectorOperator for VectorScalarBinary {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let mut meta = self.vector.series_metadata(cx)?;
        if changes_metric_schema(self.op) || self.return_bool {
            meta.iter_mut()
                .for_each(|m| drop_metric_name(m, self.delayed_name_removal));
        }
        self.scalar_values = Some(self.scalar.values(cx)?);
        Ok(meta)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(d) = self.vector.next_series(cx)? else {
            return Ok(None);
        };
        let scalars = self
            .scalar_values
            .as_ref()
            .ok_or_else(|| Error::Internal("next_series before series_metadata".into()))?;
        let mut floats = PooledVec::with_capacity(d.floats.len(), &cx.tracker)?;
        for p in d.floats.iter() {
            let idx = ((p.t - self.steps.start) / self.steps.step) as usize;
            let s = scalars.values.get(idx).copied().unwrap_or(f64::NAN);
            if let Some(v) = self.apply(p.f, s) {
                floats.push(crate::types::FPoint { t: p.t, f: v })?;
            }
        }
        // Native-histogram arithmetic is not supported yet: histogram points are dropped.
        let histograms = PooledVec::with_capacity(0, &cx.tracker)?;
        Ok(Some(InstantVectorSeriesData { floats, histograms }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.vector.finalize(cx)?;
        self.scalar.finalize(cx)
    }
}
