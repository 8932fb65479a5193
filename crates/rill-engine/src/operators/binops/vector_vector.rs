//! `vector op vector` with one-to-one or grouped (`group_left` / `group_right`) matching.
//!
//! The matching is computed from both sides' metadata: series are grouped by signature, and
//! every (many, one) pair of a group yields an output series (pairs with equal output labels
//! share one). Output series are produced group by group; a group's input series are taken
//! from [`SeriesBuffer`]s, so only series of groups not yet produced are held. Per step, the
//! checks of Prometheus apply: duplicates on the "one" side, several "many" series matching
//! one-to-one, and grouped outputs that collide.

use std::collections::{HashMap, VecDeque};

use rill_model::Labels;
use rill_promql::{Cardinality, VectorMatching};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::binops::matching::{Dense, Signatures, labels_in_braces, match_labels, result_labels};
use crate::operators::binops::{BinarySpec, ElemValue, changes_metric_schema, elem_binop, float_binop};
use crate::operators::buffer::SeriesBuffer;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, SeriesMetadata};

/// One output series: its labels and the (many, one) pairs that produce it.
struct Output {
    pairs: Vec<(usize, usize)>,
}

/// The series of one signature on both sides, and the outputs they produce.
struct Group {
    many: Vec<usize>,
    one: Vec<usize>,
    outputs: Vec<Output>,
}

/// A binary arithmetic or comparison operation between two instant vectors.
pub struct VectorVectorBinary {
    spec: BinarySpec,
    matching: VectorMatching,
    left: Option<Box<dyn InstantVectorOperator>>,
    right: Option<Box<dyn InstantVectorOperator>>,
    many: Option<SeriesBuffer>,
    one: Option<SeriesBuffer>,
    one_labels: Vec<Labels>,
    groups: VecDeque<Group>,
    ready: VecDeque<InstantVectorSeriesData>,
}

impl VectorVectorBinary {
    /// `left op right` under `matching`.
    pub fn new(
        spec: BinarySpec,
        left: Box<dyn InstantVectorOperator>,
        right: Box<dyn InstantVectorOperator>,
        matching: VectorMatching,
    ) -> Result<Self> {
        let op = spec.op;
        if float_binop(op, 0.0, 0.0).is_none() || matching.card == Cardinality::ManyToMany {
            return Err(Error::Internal(format!(
                "operator {op} between vectors is not implemented yet"
            )));
        }
        Ok(VectorVectorBinary {
            spec,
            matching,
            left: Some(left),
            right: Some(right),
            many: None,
            one: None,
            one_labels: Vec::new(),
            groups: VecDeque::new(),
            ready: VecDeque::new(),
        })
    }

    fn swapped(&self) -> bool {
        self.matching.card == Cardinality::OneToMany
    }

    /// Computes the outputs of the next group.
    fn produce_group(&mut self, cx: &mut QueryContext) -> Result<bool> {
        let Some(group) = self.groups.pop_front() else {
            return Ok(false);
        };
        cx.check("expression evaluation")?;
        let (Some(many_buf), Some(one_buf)) = (self.many.as_mut(), self.one.as_mut()) else {
            return Err(Error::Internal("next_series before series_metadata".into()));
        };
        let mut many = Vec::with_capacity(group.many.len());
        for &i in &group.many {
            many.push(Dense::new(many_buf.take(i, cx)?, &self.spec.steps, cx)?);
        }
        let mut one = Vec::with_capacity(group.one.len());
        for &j in &group.one {
            one.push(Dense::new(one_buf.take(j, cx)?, &self.spec.steps, cx)?);
        }
        // Output slot of each (many position, one position) pair.
        let mut slot: HashMap<(usize, usize), usize> = HashMap::new();
        for (o, out) in group.outputs.iter().enumerate() {
            for &(i, j) in &out.pairs {
                let pi = group.many.iter().position(|&x| x == i);
                let pj = group.one.iter().position(|&x| x == j);
                if let (Some(pi), Some(pj)) = (pi, pj) {
                    slot.insert((pi, pj), o);
                }
            }
        }
        let mut results: Vec<InstantVectorSeriesData> = Vec::with_capacity(group.outputs.len());
        for _ in &group.outputs {
            results.push(InstantVectorSeriesData {
                floats: PooledVec::with_capacity(0, &cx.tracker)?,
                histograms: PooledVec::with_capacity(0, &cx.tracker)?,
            });
        }
        let mut hit_at = vec![usize::MAX; group.outputs.len()];
        for s in 0..self.spec.steps.steps() {
            if !many.iter().any(|d| d.has(s)) {
                continue;
            }
            let mut present_one = (0..one.len()).filter(|&j| one.get(j).is_some_and(|d| d.has(s)));
            let Some(pj) = present_one.next() else {
                continue;
            };
            if let Some(dup) = present_one.next() {
                return Err(self.duplicate_error(&group, dup, pj));
            }
            let Some(fo) = one.get(pj).and_then(|x| x.get(s)) else {
                continue;
            };
            let mut matched = 0;
            for (pi, d) in many.iter().enumerate() {
                let Some(fm) = d.get(s) else {
                    continue;
                };
                matched += 1;
                if self.matching.card == Cardinality::OneToOne && matched > 1 {
                    return Err(Error::exec(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
                    ));
                }
                let (l, r) = if self.swapped() { (fo, fm) } else { (fm, fo) };
                let Some((v, keep)) = elem_binop(self.spec.op, l, r, self.spec.pos, cx) else {
                    continue;
                };
                let Some(&o) = slot.get(&(pi, pj)) else { continue };
                if let Some(h) = hit_at.get_mut(o) {
                    if *h == s {
                        return Err(Error::exec(
                            "multiple matches for labels: grouping labels must ensure unique matches",
                        ));
                    }
                    *h = s;
                }
                let v = if self.spec.return_bool {
                    ElemValue::Float(f64::from(u8::from(keep)))
                } else if keep {
                    v
                } else {
                    continue;
                };
                let t = self.spec.steps.time_of(s);
                if let Some(out) = results.get_mut(o) {
                    match v {
                        ElemValue::Float(f) => out.floats.push(FPoint { t, f })?,
                        ElemValue::Histogram(h) => out.histograms.push(HPoint { t, h })?,
                    }
                }
            }
        }
        self.ready.extend(results);
        Ok(true)
    }

    fn duplicate_error(&self, group: &Group, later: usize, earlier: usize) -> Error {
        let label = |pos: usize| {
            group
                .one
                .get(pos)
                .and_then(|&j| self.one_labels.get(j))
                .cloned()
                .unwrap_or_default()
        };
        let (a, b) = (label(later), label(earlier));
        let (first, second) = if a <= b { (&a, &b) } else { (&b, &a) };
        let side = if self.swapped() { "left" } else { "right" };
        Error::exec(format!(
            "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
            labels_in_braces(&match_labels(&a, &self.matching)),
            labels_in_braces(first),
            labels_in_braces(second),
        ))
    }
}

impl InstantVectorOperator for VectorVectorBinary {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let (Some(mut left), Some(mut right)) = (self.left.take(), self.right.take()) else {
            return Err(Error::Internal("series_metadata called twice".into()));
        };
        let lmeta = left.series_metadata(cx)?;
        let rmeta = right.series_metadata(cx)?;
        let sigs = Signatures::compute(&lmeta, &rmeta, &self.matching);
        let (many_op, one_op, many_meta, one_meta, many_sig, one_sig) = if self.swapped() {
            (right, left, rmeta, lmeta, sigs.right, sigs.left)
        } else {
            (left, right, lmeta, rmeta, sigs.left, sigs.right)
        };
        let mut by_sig: Vec<Group> = (0..sigs.count)
            .map(|_| Group {
                many: Vec::new(),
                one: Vec::new(),
                outputs: Vec::new(),
            })
            .collect();
        for (i, &g) in many_sig.iter().enumerate() {
            if let Some(group) = by_sig.get_mut(g) {
                group.many.push(i);
            }
        }
        for (j, &g) in one_sig.iter().enumerate() {
            if let Some(group) = by_sig.get_mut(g) {
                group.one.push(j);
            }
        }
        let mut many_wanted = vec![false; many_meta.len()];
        let mut one_wanted = vec![false; one_meta.len()];
        let mut out_meta = Vec::new();
        let mut order: Vec<Group> = by_sig
            .into_iter()
            .filter(|g| !g.many.is_empty() && !g.one.is_empty())
            .collect();
        order.sort_by_key(|g| g.many.first().copied().unwrap_or(usize::MAX));
        for group in &mut order {
            let mut index: HashMap<Labels, usize> = HashMap::new();
            for &i in &group.many {
                for &j in &group.one {
                    let (Some(mm), Some(om)) = (many_meta.get(i), one_meta.get(j)) else {
                        continue;
                    };
                    let mut labels = result_labels(&mm.labels, &om.labels, self.spec.op, &self.matching);
                    let mut drop_name = !changes_metric_schema(self.spec.op) && mm.drop_name;
                    if self.spec.return_bool {
                        if self.spec.delayed_name_removal {
                            drop_name = true;
                        } else {
                            labels = labels.without_metric_name();
                        }
                    }
                    let n = group.outputs.len();
                    let o = *index.entry(labels.clone()).or_insert(n);
                    if o == n {
                        group.outputs.push(Output { pairs: Vec::new() });
                        out_meta.push(SeriesMetadata { labels, drop_name });
                    }
                    if let Some(out) = group.outputs.get_mut(o) {
                        out.pairs.push((i, j));
                    }
                }
            }
            for &i in &group.many {
                if let Some(w) = many_wanted.get_mut(i) {
                    *w = true;
                }
            }
            for &j in &group.one {
                if let Some(w) = one_wanted.get_mut(j) {
                    *w = true;
                }
            }
        }
        self.one_labels = one_meta.into_iter().map(|m| m.labels).collect();
        self.many = Some(SeriesBuffer::new(many_op, many_wanted));
        self.one = Some(SeriesBuffer::new(one_op, one_wanted));
        self.groups = order.into();
        Ok(out_meta)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        loop {
            if let Some(d) = self.ready.pop_front() {
                return Ok(Some(d));
            }
            if !self.produce_group(cx)? {
                return Ok(None);
            }
        }
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        if let Some(b) = self.many.as_mut() {
            b.finalize(cx)?;
        }
        if let Some(b) = self.one.as_mut() {
            b.finalize(cx)?;
        }
        Ok(())
    }
}
