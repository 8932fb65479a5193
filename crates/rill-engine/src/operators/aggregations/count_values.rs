//! `count_values("label", v)`: counts, per group and step, how many samples have each value;
//! the value (formatted as Go's `strconv.FormatFloat(v, 'f', -1, 64)`) becomes the label.
//!
//! The output series depend on the values, so all input is read in `series_metadata`; what is
//! kept is, per output series, the steps it counted (no input points are held).
//! A histogram sample's label value is Prometheus's `FloatHistogram.String()`.

use std::collections::HashMap;

use rill_model::histogram::format_g;
use rill_model::labels::{is_valid_label_name, write_quoted_bytes};
use rill_model::{FloatHistogram, Labels};

use super::grouped::{Sample, empty_series, for_each_point};
use super::grouping::Grouping;
use crate::context::QueryContext;
use crate::declare_pool;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, StringOperator};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// One output series: the steps at which a sample had its value (with repeats).
struct Output {
    steps: PooledVec<usize>,
}
declare_pool!(Output);

/// The `count_values` operator.
pub(super) struct CountValues {
    inner: Box<dyn InstantVectorOperator>,
    label: Box<dyn StringOperator>,
    grouping: Grouping,
    range: QueryTimeRange,
    outputs: Option<PooledVec<Output>>,
    next: usize,
}

impl CountValues {
    /// `count_values(label, inner)` grouped by `grouping`.
    pub(super) fn new(
        inner: Box<dyn InstantVectorOperator>,
        label: Box<dyn StringOperator>,
        grouping: Grouping,
        range: QueryTimeRange,
    ) -> Self {
        CountValues {
            inner,
            label,
            grouping,
            range,
            outputs: None,
            next: 0,
        }
    }
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest digits, never an exponent.
fn format_f(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { format_g(v) }
}

/// Prometheus's `FloatHistogram.String()`: count, sum, then the populated buckets from the
/// lowest to the highest, e.g. `{count:4, sum:10, [-1,-0.5):1, [-0.001,0.001]:2, (1,2]:1}`.
fn histogram_text(h: &FloatHistogram) -> String {
    let mut out = format!("{{count:{}, sum:{}", format_g(h.count), format_g(h.sum));
    let zero = h.zero_bucket().filter(|_| h.zero_count != 0.0);
    let buckets = h.negative_buckets_rev().chain(zero).chain(h.positive_buckets());
    for b in buckets.filter(|b| b.count != 0.0) {
        out.push_str(&format!(
            ", {}{},{}{}:{}",
            if b.lower_inclusive { '[' } else { '(' },
            format_g(b.lower),
            format_g(b.upper),
            if b.upper_inclusive { ']' } else { ')' },
            format_g(b.count)
        ));
    }
    out.push('}');
    out
}

/// Prometheus 3 accepts any non-empty valid UTF-8 label name; the message quotes the
/// literal's bytes as Go's `%q` does (`"a\xc5z"`).
fn check_label_name(name: &[u8]) -> Result<()> {
    if !is_valid_label_name(name) {
        let mut quoted = String::new();
        // Writing into a String cannot fail.
        let _ = write_quoted_bytes(&mut quoted, name);
        return Err(Error::exec(format!("invalid label name {quoted}")));
    }
    Ok(())
}

impl InstantVectorOperator for CountValues {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let label = self.label.value(cx)?;
        check_label_name(self.label.invalid_utf8().unwrap_or(label.as_bytes()))?;
        let inner = self.inner.series_metadata(cx)?;
        // The value label is kept unless `without` lists it (or it is `__name__`).
        let include =
            !(self.grouping.is_without() && (self.grouping.lists(&label) || label == rill_model::METRIC_NAME));
        let mut bases: HashMap<Labels, usize> = HashMap::new();
        let mut keys: HashMap<(usize, Option<String>), usize> = HashMap::new();
        let mut outputs = PooledVec::<Output>::with_capacity(0, &cx.tracker)?;
        let mut metadata = Vec::new();
        for meta in &inner {
            cx.check("count_values")?;
            let Some(series) = self.inner.next_series(cx)? else {
                break;
            };
            let base_labels = self.grouping.group_labels_without(&meta.labels, &label);
            let next_base = bases.len();
            let base = *bases.entry(base_labels.clone()).or_insert(next_base);
            for_each_point(&series, &self.range, |step, sample| {
                let value = include.then(|| match sample {
                    Sample::Float(f) => format_f(f),
                    Sample::Histogram(h) => histogram_text(h),
                });
                let key = (base, value);
                let idx = match keys.get(&key) {
                    Some(&i) => i,
                    None => {
                        let labels = match &key.1 {
                            Some(v) => base_labels.to_builder().set(label.as_str(), v.as_str()).build(),
                            None => base_labels.clone(),
                        };
                        metadata.push(SeriesMetadata::new(labels));
                        outputs.push(Output {
                            steps: PooledVec::with_capacity(0, &cx.tracker)?,
                        })?;
                        keys.insert(key, outputs.len() - 1);
                        outputs.len() - 1
                    }
                };
                match outputs.get_mut(idx) {
                    Some(out) => out.steps.push(step),
                    None => Ok(()),
                }
            })?;
        }
        self.outputs = Some(outputs);
        Ok(metadata)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(out) = self.outputs.as_mut().and_then(|o| o.get_mut(self.next)) else {
            return Ok(None);
        };
        self.next += 1;
        let mut steps = std::mem::replace(&mut out.steps, PooledVec::with_capacity(0, &cx.tracker)?);
        steps.sort_unstable();
        let mut data = empty_series(&cx.tracker)?;
        for run in steps.chunk_by(|a, b| a == b) {
            data.floats.push(FPoint {
                t: self.range.time_of(run[0]),
                f: run.len() as f64,
            })?;
        }
        Ok(Some(data))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.inner.finalize(cx)
    }
}
