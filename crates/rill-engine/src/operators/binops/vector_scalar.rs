//! `vector op scalar` and `scalar op vector`: the scalar's value at each step applies to
//! every point of the vector at that step; comparisons filter (keeping the vector's value)
//! unless `bool` is given. Arithmetic and `bool` drop the metric name.

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, ScalarOperator};
use crate::operators::binops::{BinarySpec, ElemValue, Operand, changes_metric_schema, elem_binop};
use crate::operators::names::drop_metric_name;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, ScalarData, SeriesMetadata};

/// A binary operation between an instant vector and a scalar.
pub struct VectorScalarBinary {
    spec: BinarySpec,
    vector: Box<dyn InstantVectorOperator>,
    scalar: Box<dyn ScalarOperator>,
    scalar_on_left: bool,
    scalar_values: Option<ScalarData>,
}

impl VectorScalarBinary {
    /// `vector op scalar`, or `scalar op vector` when `scalar_on_left`.
    pub fn new(
        spec: BinarySpec,
        vector: Box<dyn InstantVectorOperator>,
        scalar: Box<dyn ScalarOperator>,
        scalar_on_left: bool,
    ) -> Result<Self> {
        let op = spec.op;
        if op.is_set() {
            return Err(Error::Internal(format!(
                "operator {op} between a vector and a scalar is not implemented yet"
            )));
        }
        Ok(VectorScalarBinary {
            spec,
            vector,
            scalar,
            scalar_on_left,
            scalar_values: None,
        })
    }

    /// The output for one vector element at a step, or `None` when it is dropped.
    fn apply(&self, element: Operand<'_>, scalar: f64, cx: &mut QueryContext) -> Option<ElemValue> {
        let s = Operand::Float(scalar);
        let (l, r) = if self.scalar_on_left {
            (s, element)
        } else {
            (element, s)
        };
        let (mut v, keep) = elem_binop(self.spec.op, l, r, self.spec.pos, cx)?;
        if self.spec.op.is_comparison() {
            // Comparisons keep the vector's value, whichever side it is on.
            v = match element {
                Operand::Float(f) => ElemValue::Float(f),
                Operand::Histogram(h) => ElemValue::Histogram(h.clone()),
            };
        }
        if self.spec.return_bool {
            return Some(ElemValue::Float(f64::from(u8::from(keep))));
        }
        keep.then_some(v)
    }
}

impl InstantVectorOperator for VectorScalarBinary {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let mut meta = self.vector.series_metadata(cx)?;
        if changes_metric_schema(self.spec.op) || self.spec.return_bool {
            meta.iter_mut()
                .for_each(|m| drop_metric_name(m, self.spec.delayed_name_removal));
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
            .take()
            .ok_or_else(|| Error::Internal("next_series before series_metadata".into()))?;
        let out = self.apply_series(&d, &scalars, cx);
        self.scalar_values = Some(scalars);
        out
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.vector.finalize(cx)?;
        self.scalar.finalize(cx)
    }
}

impl VectorScalarBinary {
    fn apply_series(
        &self,
        d: &InstantVectorSeriesData,
        scalars: &ScalarData,
        cx: &mut QueryContext,
    ) -> Result<Option<InstantVectorSeriesData>> {
        let mut out = InstantVectorSeriesData {
            floats: PooledVec::with_capacity(d.floats.len(), &cx.tracker)?,
            histograms: PooledVec::with_capacity(d.histograms.len(), &cx.tracker)?,
        };
        let elements = d
            .floats
            .iter()
            .map(|p| (p.t, Operand::Float(p.f)))
            .chain(d.histograms.iter().map(|p| (p.t, Operand::Histogram(&p.h))));
        for (t, e) in elements {
            let idx = ((t - self.spec.steps.start) / self.spec.steps.step) as usize;
            let s = scalars.values.get(idx).copied().unwrap_or(f64::NAN);
            match self.apply(e, s, cx) {
                Some(ElemValue::Float(f)) => out.floats.push(FPoint { t, f })?,
                Some(ElemValue::Histogram(h)) => out.histograms.push(HPoint { t, h })?,
                None => {}
            }
        }
        out.histograms.sort_by_key(|p| p.t);
        out.floats.sort_by_key(|p| p.t);
        Ok(Some(out))
    }
}
