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
use rill_promql::{Cardinality, FillModifier, VectorMatching};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::binops::matching::{Dense, Signatures, labels_in_braces, match_labels, result_labels};
use crate::operators::binops::{BinarySpec, ElemValue, Operand, changes_metric_schema, elem_binop};
use crate::operators::buffer::SeriesBuffer;
use crate::operators::names::without_metadata_labels;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, SeriesMetadata};

/// The series of one signature on both sides, and the output series they produce
/// (positions index `many` and `one`).
#[derive(Default)]
struct Group {
    many: Vec<usize>,
    one: Vec<usize>,
    /// Output of each (many position, one position) pair.
    pair_output: HashMap<(usize, usize), usize>,
    /// With a fill value for the "one" side: the output of each many series alone.
    filled_one: Vec<Option<usize>>,
    /// With a fill value for the "many" side: the output of each one series alone.
    filled_many: Vec<Option<usize>>,
    outputs: usize,
    /// A group with no "many" series and several "one" series: it produces nothing, but
    /// Prometheus still fails on its duplicates at every step where the other side has any
    /// sample (it indexes the whole "one" side before matching).
    check_only: bool,
}

/// Assigns output slots to label sets within one group.
struct OutputIndex<'a> {
    index: HashMap<Labels, usize>,
    group_outputs: &'a mut usize,
    meta: &'a mut Vec<SeriesMetadata>,
}

impl OutputIndex<'_> {
    fn slot(&mut self, meta: SeriesMetadata) -> usize {
        if let Some(&o) = self.index.get(&meta.labels) {
            return o;
        }
        let o = *self.group_outputs;
        *self.group_outputs += 1;
        self.index.insert(meta.labels.clone(), o);
        self.meta.push(meta);
        o
    }
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
    /// Value for a missing "one"-side series: `fill_right`, also with `group_right` (where
    /// Prometheus swaps the sides before applying the fill values, so it fills the left side).
    fill_one: Option<f64>,
    /// Value for a missing "many"-side series: `fill_left` (see `fill_one`).
    fill_many: Option<f64>,
}

impl VectorVectorBinary {
    /// `left op right` under `matching`.
    pub fn new(
        spec: BinarySpec,
        left: Box<dyn InstantVectorOperator>,
        right: Box<dyn InstantVectorOperator>,
        matching: VectorMatching,
        fill: FillModifier,
    ) -> Result<Self> {
        let op = spec.op;
        if op.is_set() || matching.card == Cardinality::ManyToMany {
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
            fill_one: fill.right,
            fill_many: fill.left,
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
        if group.check_only {
            let many_times = many_buf.read_all_times(cx)?.cloned().unwrap_or_default();
            let mut one = Vec::with_capacity(group.one.len());
            for &j in &group.one {
                one.push(Dense::new(one_buf.take(j, cx)?, &self.spec.steps, cx)?);
            }
            for s in 0..self.spec.steps.steps() {
                if !many_times.contains(&self.spec.steps.time_of(s)) {
                    continue;
                }
                let mut present = (0..one.len()).filter(|&j| one.get(j).is_some_and(|d| d.has(s)));
                if let (Some(first), Some(dup)) = (present.next(), present.next()) {
                    return Err(self.duplicate_error(&group, dup, first));
                }
            }
            return Ok(true);
        }
        let mut many = Vec::with_capacity(group.many.len());
        for &i in &group.many {
            many.push(Dense::new(many_buf.take(i, cx)?, &self.spec.steps, cx)?);
        }
        let mut one = Vec::with_capacity(group.one.len());
        for &j in &group.one {
            one.push(Dense::new(one_buf.take(j, cx)?, &self.spec.steps, cx)?);
        }
        let mut results: Vec<InstantVectorSeriesData> = Vec::with_capacity(group.outputs);
        for _ in 0..group.outputs {
            results.push(InstantVectorSeriesData {
                floats: PooledVec::with_capacity(0, &cx.tracker)?,
                histograms: PooledVec::with_capacity(0, &cx.tracker)?,
            });
        }
        let mut hit_at = vec![usize::MAX; group.outputs];
        for s in 0..self.spec.steps.steps() {
            let any_many = many.iter().any(|d| d.has(s));
            let mut present_one = (0..one.len()).filter(|&j| one.get(j).is_some_and(|d| d.has(s)));
            let pj = present_one.next();
            if !any_many && (pj.is_none() || self.fill_many.is_none()) {
                continue;
            }
            if let (Some(pj), Some(dup)) = (pj, present_one.next()) {
                return Err(self.duplicate_error(&group, dup, pj));
            }
            let t = self.spec.steps.time_of(s);
            if !any_many {
                // Only the "one" side is present: fill the "many" side.
                let (Some(pj), Some(fill)) = (pj, self.fill_many) else {
                    continue;
                };
                let (Some(fo), Some(&Some(o))) = (one.get(pj).and_then(|x| x.get(s)), group.filled_many.get(pj)) else {
                    continue;
                };
                self.emit(Operand::Float(fill), fo, o, s, t, &mut hit_at, &mut results, cx)?;
                continue;
            }
            let fo = match pj.and_then(|pj| one.get(pj)).and_then(|x| x.get(s)) {
                Some(v) => v,
                None => match self.fill_one {
                    Some(f) => Operand::Float(f),
                    None => continue,
                },
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
                let o = match pj {
                    Some(pj) => group.pair_output.get(&(pi, pj)).copied(),
                    None => group.filled_one.get(pi).copied().flatten(),
                };
                let Some(o) = o else { continue };
                self.emit(fm, fo, o, s, t, &mut hit_at, &mut results, cx)?;
            }
        }
        self.ready.extend(results);
        Ok(true)
    }

    /// Applies the operator to a (many, one) pair of values at step `s` and appends the
    /// result to output `o`.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        many: Operand<'_>,
        one: Operand<'_>,
        o: usize,
        s: usize,
        t: i64,
        hit_at: &mut [usize],
        results: &mut [InstantVectorSeriesData],
        cx: &mut QueryContext,
    ) -> Result<()> {
        let (l, r) = if self.swapped() { (one, many) } else { (many, one) };
        let Some((v, keep)) = elem_binop(self.spec.op, l, r, self.spec.pos, cx) else {
            return Ok(());
        };
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
            return Ok(());
        };
        if let Some(out) = results.get_mut(o) {
            match v {
                ElemValue::Float(f) => out.floats.push(FPoint { t, f })?,
                ElemValue::Histogram(h) => out.histograms.push(HPoint { t, h })?,
            }
        }
        Ok(())
    }

    /// The metadata of the output for `many op one` labels.
    fn output_meta(&self, many: &SeriesMetadata, one: &Labels) -> SeriesMetadata {
        let mut labels = result_labels(&many.labels, one, self.spec.op, &self.matching);
        let mut drop_name = !changes_metric_schema(self.spec.op) && many.drop_name;
        if self.spec.return_bool {
            if self.spec.delayed_name_removal {
                drop_name = true;
            } else {
                labels = without_metadata_labels(&labels);
            }
        }
        SeriesMetadata { labels, drop_name }
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
        let mut by_sig: Vec<Group> = (0..sigs.count).map(|_| Group::default()).collect();
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
        let (fill_one, fill_many) = (self.fill_one.is_some(), self.fill_many.is_some());
        let mut order: Vec<Group> = by_sig
            .into_iter()
            .filter_map(|mut g| {
                if (!g.many.is_empty() && (fill_one || !g.one.is_empty())) || (fill_many && !g.one.is_empty()) {
                    Some(g)
                } else if g.many.is_empty() && g.one.len() > 1 {
                    g.check_only = true;
                    Some(g)
                } else {
                    None
                }
            })
            .collect();
        // Check-only groups last: by then the "many" side has been read, so its steps are known.
        order.sort_by_key(|g| (g.check_only, g.many.first().copied().unwrap_or(usize::MAX)));
        let any_check_only = order.iter().any(|g| g.check_only);
        for group in &mut order {
            let mut outputs = 0;
            let mut index = OutputIndex {
                index: HashMap::new(),
                group_outputs: &mut outputs,
                meta: &mut out_meta,
            };
            let mut pair_output = HashMap::new();
            for (pi, &i) in group.many.iter().enumerate() {
                for (pj, &j) in group.one.iter().enumerate() {
                    if let (Some(mm), Some(om)) = (many_meta.get(i), one_meta.get(j)) {
                        pair_output.insert((pi, pj), index.slot(self.output_meta(mm, &om.labels)));
                    }
                }
            }
            let filled_one = group
                .many
                .iter()
                .map(|&i| {
                    let mm = many_meta.get(i).filter(|_| fill_one)?;
                    Some(index.slot(self.output_meta(mm, &match_labels(&mm.labels, &self.matching))))
                })
                .collect();
            let filled_many = group
                .one
                .iter()
                .map(|&j| {
                    let om = one_meta.get(j).filter(|_| fill_many)?;
                    let filled = SeriesMetadata::new(match_labels(&om.labels, &self.matching));
                    Some(index.slot(self.output_meta(&filled, &om.labels)))
                })
                .collect();
            group.pair_output = pair_output;
            group.filled_one = filled_one;
            group.filled_many = filled_many;
            group.outputs = outputs;
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
        let mut many_buffer = SeriesBuffer::new(many_op, many_wanted);
        if any_check_only {
            many_buffer.track_times();
        }
        self.many = Some(many_buffer);
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
