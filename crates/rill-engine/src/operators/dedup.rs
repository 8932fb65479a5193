//! Merging series whose label sets collide, as Prometheus does after dropping `__name__`.
//!
//! `-a` turns `a{x="1"}` and `b{x="1"}` into two `{x="1"}` series. Prometheus merges such
//! series into one, and fails with `vector cannot contain metrics with the same labelset`
//! only if two of them have a point at the same step. [`DedupMerge`] does that for any
//! operator; when no label set repeats, it passes series through untouched.

use std::collections::HashMap;

use rill_model::Labels;

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::buffer::SeriesBuffer;
use crate::types::{InstantVectorSeriesData, SeriesMetadata};

/// Prometheus's error for two points of one label set at one step.
pub const DUPLICATE_LABELSET: &str = "vector cannot contain metrics with the same labelset";

/// Merges the series of `inner` that have equal labels.
pub struct DedupMerge {
    inner: Option<Box<dyn InstantVectorOperator>>,
    buffer: Option<SeriesBuffer>,
    /// For each output series, the input series merged into it.
    groups: Vec<Vec<usize>>,
    next: usize,
}

impl DedupMerge {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn InstantVectorOperator>) -> Self {
        DedupMerge {
            inner: Some(inner),
            buffer: None,
            groups: Vec::new(),
            next: 0,
        }
    }
}

/// Groups equal label sets: returns, per distinct set in first-seen order, the indexes of
/// `labels` that carry it.
pub fn group_equal_labels<'a>(labels: impl Iterator<Item = &'a Labels>) -> Vec<Vec<usize>> {
    let mut index: HashMap<&Labels, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, l) in labels.enumerate() {
        match index.get(l) {
            Some(&g) => {
                if let Some(group) = groups.get_mut(g) {
                    group.push(i);
                }
            }
            None => {
                index.insert(l, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// Merges the points of several series with the same labels into one, failing when two have
/// a point at the same step.
pub fn merge_series(parts: Vec<InstantVectorSeriesData>, cx: &QueryContext) -> Result<InstantVectorSeriesData> {
    let nf = parts.iter().map(|p| p.floats.len()).sum();
    let nh = parts.iter().map(|p| p.histograms.len()).sum();
    let mut floats = PooledVec::with_capacity(nf, &cx.tracker)?;
    let mut histograms = PooledVec::with_capacity(nh, &cx.tracker)?;
    for p in &parts {
        floats.extend_from_slice(&p.floats);
        histograms.extend(p.histograms.iter().cloned());
    }
    drop(parts);
    floats.sort_by_key(|p| p.t);
    histograms.sort_by_key(|p| p.t);
    let dup_f = floats.windows(2).any(|w| w[0].t == w[1].t);
    let dup_h = histograms.windows(2).any(|w| w[0].t == w[1].t);
    let mut hi = histograms.iter().map(|h| h.t).peekable();
    let mut dup_mixed = false;
    for f in floats.iter() {
        while hi.next_if(|&t| t < f.t).is_some() {}
        if hi.peek() == Some(&f.t) {
            dup_mixed = true;
            break;
        }
    }
    if dup_f || dup_h || dup_mixed {
        return Err(Error::exec(DUPLICATE_LABELSET));
    }
    Ok(InstantVectorSeriesData { floats, histograms })
}

impl InstantVectorOperator for DedupMerge {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let mut inner = self
            .inner
            .take()
            .ok_or_else(|| Error::Internal("series_metadata called twice".into()))?;
        let meta = inner.series_metadata(cx)?;
        self.groups = group_equal_labels(meta.iter().map(|m| &m.labels));
        let wanted = vec![true; meta.len()];
        self.buffer = Some(SeriesBuffer::new(inner, wanted));
        let mut out = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let mut first = None;
            let mut drop_name = false;
            for &i in g {
                if let Some(m) = meta.get(i) {
                    drop_name |= m.drop_name;
                    first.get_or_insert(m);
                }
            }
            if let Some(m) = first {
                out.push(SeriesMetadata {
                    labels: m.labels.clone(),
                    drop_name,
                });
            }
        }
        Ok(out)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(group) = self.groups.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let buffer = self
            .buffer
            .as_mut()
            .ok_or_else(|| Error::Internal("next_series before series_metadata".into()))?;
        if let [only] = group.as_slice() {
            return buffer.take(*only, cx).map(Some);
        }
        let mut parts = Vec::with_capacity(group.len());
        for &i in group {
            parts.push(buffer.take(i, cx)?);
        }
        merge_series(parts, cx).map(Some)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        match self.buffer.as_mut() {
            Some(b) => b.finalize(cx),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::FPoint;

    fn series(cx: &QueryContext, ts: &[i64]) -> InstantVectorSeriesData {
        let mut floats = PooledVec::with_capacity(ts.len(), &cx.tracker).unwrap();
        for &t in ts {
            floats.push(FPoint { t, f: t as f64 }).unwrap();
        }
        InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker).unwrap(),
        }
    }

    #[test]
    fn merges_disjoint_and_rejects_overlapping() {
        let cx = QueryContext::unlimited();
        let m = merge_series(vec![series(&cx, &[3, 1]), series(&cx, &[2])], &cx).unwrap();
        assert_eq!(m.floats.iter().map(|p| p.t).collect::<Vec<_>>(), vec![1, 2, 3]);
        let err = merge_series(vec![series(&cx, &[1]), series(&cx, &[1])], &cx).unwrap_err();
        assert_eq!(err.to_string(), DUPLICATE_LABELSET);
        let a = Labels::from_pairs([("a", "1")]);
        let b = Labels::from_pairs([("a", "2")]);
        assert_eq!(group_equal_labels([&a, &b, &a].into_iter()), vec![vec![0, 2], vec![1]]);
    }
}
