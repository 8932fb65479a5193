//! Turns the root operator's output into a [`QueryValue`], as Prometheus shapes results:
//! delayed name removal is applied here, series whose label sets collide are merged (or the
//! query fails when two have a point at the same step), empty series are dropped, and
//! matrices are sorted by labels.

use std::collections::HashMap;

use rill_model::Labels;

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::operator::Operator;
use crate::operators::dedup::DUPLICATE_LABELSET;
use crate::operators::names::without_metadata_labels;
use crate::result::{MatrixSeries, QueryValue, VectorElement};
use crate::types::{QueryTimeRange, SeriesMetadata};

fn final_labels(meta: SeriesMetadata, delayed_name_removal: bool) -> Labels {
    if delayed_name_removal && meta.drop_name {
        without_metadata_labels(&meta.labels)
    } else {
        meta.labels
    }
}

/// Evaluates `root` completely and shapes its result.
pub fn collect(root: Operator, range: &QueryTimeRange, delayed: bool, cx: &mut QueryContext) -> Result<QueryValue> {
    match root {
        Operator::Scalar(mut op) => {
            let values = op.values(cx)?;
            op.finalize(cx)?;
            if range.is_instant {
                let v = values.values.first().copied().unwrap_or(f64::NAN);
                return Ok(QueryValue::Scalar { t: range.start, v });
            }
            let floats = range
                .times()
                .zip(values.values.iter())
                .map(|(t, &f)| crate::types::FPoint { t, f })
                .collect();
            Ok(QueryValue::Matrix(vec![MatrixSeries {
                labels: Labels::empty(),
                floats,
                histograms: Vec::new(),
            }]))
        }
        Operator::String(mut op) => Ok(QueryValue::String {
            t: range.start,
            v: op.value(cx)?,
        }),
        Operator::Instant(mut op) => {
            let meta = op.series_metadata(cx)?;
            let mut series = Vec::with_capacity(meta.len());
            for m in meta {
                let d = op
                    .next_series(cx)?
                    .ok_or_else(|| Error::Internal("operator returned fewer series than its metadata".into()))?;
                cx.add_samples(d.floats.len() + d.histograms.len())?;
                series.push(MatrixSeries {
                    labels: final_labels(m, delayed),
                    floats: d.floats.to_vec(),
                    histograms: d.histograms.to_vec(),
                });
            }
            op.finalize(cx)?;
            if range.is_instant {
                vector(series, range.start)
            } else {
                Ok(QueryValue::Matrix(merge_and_sort(series)?))
            }
        }
        Operator::Range(mut op) => {
            let meta = op.series_metadata(cx)?;
            let mut series = Vec::with_capacity(meta.len());
            for m in meta {
                if !op.next_series(cx)? {
                    return Err(Error::Internal(
                        "operator returned fewer series than its metadata".into(),
                    ));
                }
                if let Some(w) = op.next_step_samples(cx)? {
                    let floats: Vec<_> = w.floats.iter().copied().collect();
                    let histograms: Vec<_> = w.histograms.iter().cloned().collect();
                    if !floats.is_empty() || !histograms.is_empty() {
                        series.push(MatrixSeries {
                            labels: final_labels(m, delayed),
                            floats,
                            histograms,
                        });
                    }
                }
            }
            op.finalize(cx)?;
            Ok(QueryValue::Matrix(merge_and_sort(series)?))
        }
    }
}

/// The instant-vector result: one element per series with a point; label sets must be unique.
fn vector(series: Vec<MatrixSeries>, t: i64) -> Result<QueryValue> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(series.len());
    for s in series {
        let element = if let Some(p) = s.floats.first() {
            VectorElement {
                labels: s.labels,
                t,
                f: p.f,
                histogram: None,
            }
        } else if let Some(p) = s.histograms.first() {
            VectorElement {
                labels: s.labels,
                t,
                f: 0.0,
                histogram: Some(p.h.clone()),
            }
        } else {
            continue;
        };
        if !seen.insert(element.labels.clone()) {
            return Err(Error::exec(DUPLICATE_LABELSET));
        }
        out.push(element);
    }
    Ok(QueryValue::Vector(out))
}

/// Merges series with equal labels (failing on a shared timestamp), drops empty ones and
/// sorts by labels.
fn merge_and_sort(series: Vec<MatrixSeries>) -> Result<Vec<MatrixSeries>> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut out: Vec<MatrixSeries> = Vec::with_capacity(series.len());
    for s in series {
        if s.floats.is_empty() && s.histograms.is_empty() {
            continue;
        }
        match index.get(&s.labels).and_then(|&i| out.get_mut(i)) {
            Some(base) => {
                base.floats.extend(s.floats);
                base.histograms.extend(s.histograms);
                base.floats.sort_by_key(|p| p.t);
                base.histograms.sort_by_key(|p| p.t);
                let mut ts: Vec<i64> = base.floats.iter().map(|p| p.t).collect();
                ts.extend(base.histograms.iter().map(|p| p.t));
                ts.sort_unstable();
                if ts.windows(2).any(|w| w[0] == w[1]) {
                    return Err(Error::exec(DUPLICATE_LABELSET));
                }
            }
            None => {
                index.insert(s.labels.clone(), out.len());
                out.push(s);
            }
        }
    }
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(out)
}
