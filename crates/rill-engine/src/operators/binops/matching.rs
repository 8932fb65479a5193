//! Vector matching: signatures (`on`/`ignoring`), grouping of both sides' series by
//! signature, per-step presence, and the labels of a binary operation's output.

use std::collections::HashMap;

use rill_model::labels::{is_legacy_label_name, write_quoted};
use rill_model::{Labels, METRIC_NAME};
use rill_promql::{BinaryOp, Cardinality, VectorMatching};

use crate::context::QueryContext;
use crate::error::Result;
use crate::memory::PooledVec;
use crate::operators::binops::changes_metric_schema;
use crate::operators::binops::elem::Operand;
use crate::operators::names::METADATA_LABELS;
use crate::types::{InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// The labels two series are matched on: the `on(...)` labels, or all labels except the
/// `ignoring(...)` ones and the metric name (Prometheus's `MatchLabels`).
pub fn match_labels(labels: &Labels, m: &VectorMatching) -> Labels {
    if m.on {
        labels.keep_names(&m.matching_labels)
    } else {
        labels.filter(|l| &*l.name != METRIC_NAME && !m.matching_labels.iter().any(|n| *n == *l.name))
    }
}

/// Assigns signature ordinals to the series of both sides: equal ordinals match.
pub struct Signatures {
    /// Ordinal of each left series.
    pub left: Vec<usize>,
    /// Ordinal of each right series.
    pub right: Vec<usize>,
    /// Number of distinct signatures.
    pub count: usize,
}

impl Signatures {
    /// Computes the signatures of `left` and `right` under `m`.
    pub fn compute(left: &[SeriesMetadata], right: &[SeriesMetadata], m: &VectorMatching) -> Self {
        let mut ords: HashMap<Labels, usize> = HashMap::new();
        let mut ord_of = |meta: &SeriesMetadata| {
            let key = match_labels(&meta.labels, m);
            let n = ords.len();
            *ords.entry(key).or_insert(n)
        };
        let left = left.iter().map(&mut ord_of).collect();
        let right = right.iter().map(&mut ord_of).collect();
        Signatures {
            left,
            right,
            count: ords.len(),
        }
    }
}

/// The labels of the output of `many op one` (Prometheus's `resultMetric`): the many side's
/// labels, without the name for arithmetic, reduced to the matching labels for one-to-one
/// matching, plus the `group_x(...)` labels copied from the one side.
pub fn result_labels(many: &Labels, one: &Labels, op: BinaryOp, m: &VectorMatching) -> Labels {
    let mut b = many.to_builder();
    if changes_metric_schema(op) {
        for n in METADATA_LABELS {
            b.del(n);
        }
    }
    if m.card == Cardinality::OneToOne {
        if m.on {
            b.retain(|l| m.matching_labels.iter().any(|n| *n == *l.name));
        } else {
            for n in &m.matching_labels {
                b.del(n);
            }
        }
    }
    for n in &m.include {
        match one.get(n).filter(|v| !v.is_empty()) {
            Some(v) => {
                b.set(n.clone(), v.to_string());
            }
            None => {
                b.del(n);
            }
        }
    }
    b.build()
}

/// Marks a histogram index in [`Dense`] slots.
const HISTOGRAM_BIT: usize = 1 << (usize::BITS - 1);

/// One series' points indexed by step, so matched series can be compared step by step.
pub struct Dense {
    data: InstantVectorSeriesData,
    /// Per step: `usize::MAX` when absent, else the index of the float point, or of the
    /// histogram point with [`HISTOGRAM_BIT`] set.
    slot: PooledVec<usize>,
}

impl Dense {
    /// Indexes `data` by the steps of `range`.
    pub fn new(data: InstantVectorSeriesData, range: &QueryTimeRange, cx: &QueryContext) -> Result<Self> {
        let mut slot = PooledVec::filled(range.steps(), usize::MAX, &cx.tracker)?;
        let idx = |t: i64| ((t - range.start) / range.step) as usize;
        for (i, p) in data.floats.iter().enumerate() {
            if let Some(s) = slot.get_mut(idx(p.t)) {
                *s = i;
            }
        }
        for (i, p) in data.histograms.iter().enumerate() {
            if let Some(s) = slot.get_mut(idx(p.t)) {
                *s = i | HISTOGRAM_BIT;
            }
        }
        Ok(Dense { data, slot })
    }

    /// Whether there is a point at step `s`.
    pub fn has(&self, s: usize) -> bool {
        self.slot.get(s).is_some_and(|&x| x != usize::MAX)
    }

    /// The point at step `s`.
    pub fn get(&self, s: usize) -> Option<Operand<'_>> {
        let x = *self.slot.get(s)?;
        if x == usize::MAX {
            None
        } else if x & HISTOGRAM_BIT != 0 {
            self.data
                .histograms
                .get(x & !HISTOGRAM_BIT)
                .map(|p| Operand::Histogram(&p.h))
        } else {
            self.data.floats.get(x).map(|p| Operand::Float(p.f))
        }
    }
}

/// Prometheus 3's `Labels.String()` as used in error messages: every label, the name
/// included, inside the braces (`{__name__="a", job="x"}`).
pub fn labels_in_braces(labels: &Labels) -> String {
    let mut out = String::from("{");
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if is_legacy_label_name(&l.name) {
            out.push_str(&l.name);
        } else {
            let _ = write_quoted(&mut out, &l.name);
        }
        out.push('=');
        let _ = write_quoted(&mut out, &l.value);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(card: Cardinality, on: bool, labels: &[&str], include: &[&str]) -> VectorMatching {
        VectorMatching {
            card,
            matching_labels: labels.iter().map(|s| s.to_string()).collect(),
            on,
            include: include.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn labels_of_matching_and_results() {
        let a = Labels::from_pairs([("__name__", "a"), ("job", "x"), ("inst", "1")]);
        let b = Labels::from_pairs([("__name__", "b"), ("job", "x"), ("color", "red")]);
        let on_job = m(Cardinality::OneToOne, true, &["job"], &[]);
        assert_eq!(match_labels(&a, &on_job), Labels::from_pairs([("job", "x")]));
        let ign = m(Cardinality::OneToOne, false, &["inst"], &[]);
        assert_eq!(match_labels(&a, &ign), Labels::from_pairs([("job", "x")]));
        assert_eq!(
            result_labels(&a, &b, BinaryOp::Add, &on_job),
            Labels::from_pairs([("job", "x")])
        );
        assert_eq!(
            result_labels(&a, &b, BinaryOp::Gtr, &ign),
            Labels::from_pairs([("__name__", "a"), ("job", "x")])
        );
        let gl = m(Cardinality::ManyToOne, true, &["job"], &["color"]);
        assert_eq!(
            result_labels(&a, &b, BinaryOp::Mul, &gl),
            Labels::from_pairs([("color", "red"), ("inst", "1"), ("job", "x")])
        );
    }
}
