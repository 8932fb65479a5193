//! Unary minus on vectors and scalars. `-v` drops the metric name (delayed or at once).

use std::sync::Arc;

use rill_model::FloatHistogram;

use crate::context::QueryContext;
use crate::error::Result;
use crate::operator::{InstantVectorOperator, ScalarOperator};
use crate::operators::names::drop_metric_name;
use crate::types::{InstantVectorSeriesData, ScalarData, SeriesMetadata};

/// `-h` for a native histogram: every count and the sum change sign, and the result is a
/// gauge histogram (Prometheus's `Mul(-1)`).
pub fn negate_histogram(h: &FloatHistogram) -> FloatHistogram {
    let mut n = h.clone();
    n.negate();
    n
}

/// `-v` for an instant vector.
pub struct NegateVector {
    inner: Box<dyn InstantVectorOperator>,
    delayed_name_removal: bool,
}

impl NegateVector {
    /// Negates `inner`'s points; wrap in a `DedupMerge` when names are dropped at once.
    pub fn new(inner: Box<dyn InstantVectorOperator>, delayed_name_removal: bool) -> Self {
        NegateVector {
            inner,
            delayed_name_removal,
        }
    }
}

impl InstantVectorOperator for NegateVector {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let mut meta = self.inner.series_metadata(cx)?;
        meta.iter_mut()
            .for_each(|m| drop_metric_name(m, self.delayed_name_removal));
        Ok(meta)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(mut d) = self.inner.next_series(cx)? else {
            return Ok(None);
        };
        d.floats.iter_mut().for_each(|p| p.f = -p.f);
        d.histograms
            .iter_mut()
            .for_each(|p| p.h = Arc::new(negate_histogram(&p.h)));
        Ok(Some(d))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.inner.finalize(cx)
    }
}

/// `-s` for a scalar.
pub struct NegateScalar {
    inner: Box<dyn ScalarOperator>,
}

impl NegateScalar {
    /// Negates `inner`.
    pub fn new(inner: Box<dyn ScalarOperator>) -> Self {
        NegateScalar { inner }
    }
}

impl ScalarOperator for NegateScalar {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let mut v = self.inner.values(cx)?;
        v.values.iter_mut().for_each(|x| *x = -*x);
        Ok(v)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.inner.finalize(cx)
    }
}
