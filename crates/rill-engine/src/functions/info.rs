//! `info(v, {data-label selector})` (experimental, Prometheus's `promql/info.go`): enriches each
//! series of `v` with the data labels of the info series (default `target_info`) that share its
//! identifying labels `instance` and `job`.
//!
//! ```text
//!  plan:  v ─► inner operator        info selector (name/data matchers, v's @ and offset)
//!                                     planned through ArgPlanner with float sample timestamps
//!  series_metadata: inner labels ─► signatures (instance, job) ─► read the info series of
//!         those signatures ─► per signature and step, the winning info series of each info
//!         metric (newest sample) ─► one output series per (inner series, group of info series)
//!  next_series: an inner series' points are routed by step to its output series
//! ```
//! Info series are selected with the selector's matchers only (not narrowed to the inner
//! series' `instance`/`job` values, which are only known at run time); the ones whose
//! signature no inner series has are dropped after reading.

use std::collections::{HashMap, VecDeque};

use rill_model::{Labels, MatchOp, Matcher};
use rill_promql::{AtModifier, Call, DurationExpr, Expr, RangeMode, VectorSelector};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::common::{plan_instant, step_index};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::operators::dedup::DUPLICATE_LABELSET;
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// The labels that tie a series to its info series.
const IDENTIFYING: [&str; 2] = ["instance", "job"];
/// The info metric used when the selector names none.
const TARGET_INFO: &str = "target_info";

/// The `info` function.
pub fn definitions() -> Vec<FunctionDef> {
    vec![custom("info", InfoFactory)]
}

struct InfoFactory;

impl FunctionFactory for InfoFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let inner = plan_instant(call, 0, planner)?;
        let selector: Vec<Matcher> = match call.args.get(1).map(Expr::unparen) {
            Some(Expr::VectorSelector(vs)) => vs.matchers.clone(),
            Some(_) => {
                return Err(Error::Internal(
                    "info(): the second argument must be a label selector".into(),
                ));
            }
            None => Vec::new(),
        };
        let names = effective_name_matchers(&selector)?;
        let data: Vec<Matcher> = selector.iter().filter(|m| &*m.name != "__name__").cloned().collect();
        let mut fetch = names.clone();
        fetch.extend(data.iter().cloned());
        let (at, offset) = match call.args.first() {
            Some(e) => reference_time(e, planner)?,
            None => (None, 0),
        };
        let vs = VectorSelector {
            name: None,
            matchers: fetch,
            offset: Some(DurationExpr::from_millis(offset)),
            at: at.map(AtModifier::Timestamp),
            mode: RangeMode::Classic,
            pos: call.pos,
        };
        let info = match planner.plan_with_float_sample_timestamps(&Expr::VectorSelector(vs))? {
            Operator::Instant(op) => op,
            _ => {
                return Err(Error::Internal(
                    "info(): the info selector is not an instant vector".into(),
                ));
            }
        };
        Ok(Operator::Instant(Box::new(InfoOperator {
            inner,
            info,
            names,
            data,
            steps: planner.time_range(),
            plan: Vec::new(),
            variants: Vec::new(),
            next_inner: 0,
            pending: VecDeque::new(),
        })))
    }
}

/// The `__name__` matchers that pick info metrics: the selector's (default `target_info`);
/// with only negative ones, `=~".+_info"` is added so that no other metric counts as one.
fn effective_name_matchers(selector: &[Matcher]) -> Result<Vec<Matcher>> {
    let mut names: Vec<Matcher> = selector.iter().filter(|m| &*m.name == "__name__").cloned().collect();
    if names.is_empty() {
        names.push(Matcher::equal("__name__", TARGET_INFO));
    } else if !names.iter().any(|m| matches!(m.op, MatchOp::Equal | MatchOp::Regex)) {
        names.insert(
            0,
            Matcher::new(MatchOp::Regex, "__name__", ".+_info").map_err(|e| Error::Internal(e.to_string()))?,
        );
    }
    Ok(names)
}

/// The `@` and offset at which the info series are read: those of the first selector of `e`
/// (depth first), composed with those of the subqueries around it.
fn reference_time(e: &Expr, planner: &dyn ArgPlanner) -> Result<(Option<i64>, i64)> {
    let q = planner.query_range();
    let resolve = |at: Option<AtModifier>| {
        at.map(|a| match a {
            AtModifier::Timestamp(ms) => ms,
            AtModifier::Start => q.start,
            AtModifier::End => q.end,
        })
    };
    let step = if q.is_instant { 0 } else { q.step };
    let millis = |d: Option<&DurationExpr>| {
        d.map(|d| d.eval(Some(step), Some(q.end - q.start)))
            .transpose()
            .map_err(Error::bad_data)
            .map(|o| o.unwrap_or(0))
    };
    // Composing t ↦ at.unwrap_or(t) - offset, outer layers first.
    let compose = |outer: (Option<i64>, i64), at: Option<i64>, offset: i64| match at {
        Some(a) => (Some(a.saturating_sub(offset)), 0),
        None => (outer.0, outer.1.saturating_add(offset)),
    };
    let mut acc = (None, 0);
    let mut cur = e;
    loop {
        cur = match cur {
            Expr::VectorSelector(vs) => return Ok(compose(acc, resolve(vs.at), millis(vs.offset.as_ref())?)),
            Expr::MatrixSelector(ms) => {
                let vs = &ms.selector;
                return Ok(compose(acc, resolve(vs.at), millis(vs.offset.as_ref())?));
            }
            Expr::Subquery(sq) => {
                acc = compose(acc, resolve(sq.at), millis(sq.offset.as_ref())?);
                &sq.expr
            }
            Expr::Paren(p) => &p.expr,
            Expr::Unary(u) => &u.expr,
            Expr::Binary(b) => match first_selector_side(&b.lhs) {
                true => &b.lhs,
                false => &b.rhs,
            },
            Expr::Aggregate(a) => &a.expr,
            Expr::Call(c) => match c.args.iter().find(|a| first_selector_side(a)) {
                Some(a) => a,
                None => return Ok(acc),
            },
            Expr::Number(_) | Expr::String(_) => return Ok(acc),
        };
    }
}

/// Whether `e` holds a selector (so the depth-first search should go into it).
fn first_selector_side(e: &Expr) -> bool {
    match e {
        Expr::VectorSelector(_) | Expr::MatrixSelector(_) => true,
        Expr::Subquery(sq) => first_selector_side(&sq.expr),
        Expr::Paren(p) => first_selector_side(&p.expr),
        Expr::Unary(u) => first_selector_side(&u.expr),
        Expr::Binary(b) => first_selector_side(&b.lhs) || first_selector_side(&b.rhs),
        Expr::Aggregate(a) => first_selector_side(&a.expr),
        Expr::Call(c) => c.args.iter().any(first_selector_side),
        Expr::Number(_) | Expr::String(_) => false,
    }
}

/// The identifying labels a series has, as a key (`None` without any).
fn signature(labels: &Labels) -> Option<Vec<(String, String)>> {
    let sig: Vec<(String, String)> = IDENTIFYING
        .iter()
        .filter_map(|n| {
            labels
                .get(n)
                .filter(|v| !v.is_empty())
                .map(|v| (n.to_string(), v.to_string()))
        })
        .collect();
    (!sig.is_empty()).then_some(sig)
}

/// What the output series of one inner series are.
enum InnerPlan {
    /// Passed through unchanged (an info series itself).
    Unchanged,
    /// Routed by step: `group_of_step[k]` is the group enriching step `k` (0: none), and
    /// `targets` maps a group to its output variant (`None`: the points are dropped).
    Routed {
        group_of_step: std::sync::Arc<Vec<u32>>,
        targets: HashMap<u32, Option<usize>>,
    },
}

/// Runs `info`.
struct InfoOperator {
    inner: Box<dyn InstantVectorOperator>,
    info: Box<dyn InstantVectorOperator>,
    /// `__name__` matchers that pick info metrics.
    names: Vec<Matcher>,
    /// Data-label matchers.
    data: Vec<Matcher>,
    steps: QueryTimeRange,
    /// Per inner series, where its points go.
    plan: Vec<InnerPlan>,
    /// Per inner series, its number of output series.
    variants: Vec<usize>,
    next_inner: usize,
    pending: VecDeque<InstantVectorSeriesData>,
}

/// The info series of one signature, read in full.
struct SignatureInfo {
    /// (labels, metric index, original sample time (s) per step, NaN where absent).
    series: Vec<(Labels, usize, PooledVec<f64>)>,
}

impl InfoOperator {
    /// Reads the info series whose signature is in `sigs`, grouped by signature.
    fn read_info(
        &mut self,
        sigs: &HashMap<Vec<(String, String)>, usize>,
        cx: &mut QueryContext,
    ) -> Result<Vec<SignatureInfo>> {
        let meta = self.info.series_metadata(cx)?;
        let mut out: Vec<SignatureInfo> = (0..sigs.len()).map(|_| SignatureInfo { series: Vec::new() }).collect();
        let mut metric_index: HashMap<String, usize> = HashMap::new();
        for m in meta {
            let d = self
                .info
                .next_series(cx)?
                .ok_or_else(|| Error::Internal("info(): fewer info series than metadata".into()))?;
            let Some(slot) = signature(&m.labels)
                .and_then(|s| sigs.get(&s))
                .and_then(|&i| out.get_mut(i))
            else {
                continue;
            };
            if !d.histograms.is_empty() {
                return Err(Error::exec("info sample should be float"));
            }
            let name = m.labels.metric_name().unwrap_or("").to_string();
            let n = metric_index.len();
            let idx = *metric_index.entry(name).or_insert(n);
            let mut times = PooledVec::filled(self.steps.steps(), f64::NAN, &cx.tracker)?;
            for p in d.floats.iter() {
                if let Some(v) = times.get_mut(step_index(&self.steps, p.t)?) {
                    *v = p.f;
                }
            }
            slot.series.push((m.labels, idx, times));
        }
        self.info.finalize(cx)?;
        Ok(out)
    }
}

/// Per step, the group of winning info series (interned; 0 = none), and the groups.
fn resolve_groups(sig: &SignatureInfo, steps: usize) -> Result<(Vec<u32>, Vec<Vec<usize>>)> {
    let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
    let mut ids: HashMap<Vec<usize>, u32> = HashMap::new();
    let mut of_step = Vec::with_capacity(steps);
    let mut winners: HashMap<usize, (usize, f64)> = HashMap::new();
    for k in 0..steps {
        winners.clear();
        for (i, (labels, metric, times)) in sig.series.iter().enumerate() {
            let Some(&t) = times.get(k).filter(|t| !t.is_nan()) else {
                continue;
            };
            match winners.get(metric) {
                Some(&(j, tw)) if tw == t => {
                    let other = sig.series.get(j).map(|s| s.0.to_string()).unwrap_or_default();
                    return Err(Error::exec(format!(
                        "found duplicate series for info metric: existing {other} @ {}, new {labels} @ {}",
                        (tw * 1000.0) as i64,
                        (t * 1000.0) as i64
                    )));
                }
                Some(&(_, tw)) if tw > t => {}
                _ => {
                    winners.insert(*metric, (i, t));
                }
            }
        }
        let mut group: Vec<usize> = winners.values().map(|&(i, _)| i).collect();
        group.sort_unstable();
        let id = if group.is_empty() {
            0
        } else {
            let n = groups.len() as u32;
            *ids.entry(group.clone()).or_insert_with(|| {
                groups.push(group);
                n
            })
        };
        of_step.push(id);
    }
    Ok((of_step, groups))
}

/// The inner labels enriched with the data labels of `group`'s info series.
fn enrich(base: &Labels, group: &[usize], sig: &SignatureInfo, data: &[Matcher]) -> Result<Labels> {
    let mut added: Vec<(String, String)> = Vec::new();
    for (labels, _, _) in group.iter().filter_map(|&i| sig.series.get(i)) {
        for l in labels.iter() {
            let name: &str = &l.name;
            if name == "__name__" || (!data.is_empty() && !data.iter().any(|m| &*m.name == name)) {
                continue;
            }
            if let Some((_, v)) = added.iter().find(|(n, _)| n == name) {
                if v.as_str() != &*l.value {
                    return Err(Error::exec(format!("conflicting label: {name}")));
                }
                continue;
            }
            if base.has(name) {
                continue;
            }
            added.push((name.to_string(), l.value.to_string()));
        }
    }
    let mut b = base.to_builder();
    for (n, v) in added {
        b.set(n, v);
    }
    Ok(b.build())
}

impl InstantVectorOperator for InfoOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let inner = self.inner.series_metadata(cx)?;
        let ignored: Vec<bool> = inner
            .iter()
            .map(|m| {
                let name = m.labels.metric_name().unwrap_or("");
                self.names.iter().all(|n| n.matches(name))
            })
            .collect();
        let mut sigs: HashMap<Vec<(String, String)>, usize> = HashMap::new();
        for (m, _) in inner.iter().zip(&ignored).filter(|(_, ig)| !**ig) {
            if let Some(s) = signature(&m.labels) {
                let n = sigs.len();
                sigs.entry(s).or_insert(n);
            }
        }
        let infos = self.read_info(&sigs, cx)?;
        let steps = self.steps.steps();
        let mut resolved = Vec::with_capacity(infos.len());
        for s in &infos {
            let (of_step, groups) = resolve_groups(s, steps)?;
            resolved.push((std::sync::Arc::new(of_step), groups));
        }
        let strict = self.data.iter().any(|m| !m.matches(""));
        let mut out: Vec<SeriesMetadata> = Vec::with_capacity(inner.len());
        let mut owner: HashMap<Labels, usize> = HashMap::new();
        let mut push = |i: usize, m: SeriesMetadata, out: &mut Vec<SeriesMetadata>| -> Result<()> {
            if owner.insert(m.labels.clone(), i).is_some_and(|o| o != i) {
                return Err(Error::exec(DUPLICATE_LABELSET));
            }
            out.push(m);
            Ok(())
        };
        for (i, (m, ig)) in inner.into_iter().zip(ignored).enumerate() {
            let before = out.len();
            let sig = if ig {
                None
            } else {
                signature(&m.labels).and_then(|s| sigs.get(&s).copied())
            };
            let found = sig.and_then(|s| resolved.get(s).zip(infos.get(s)));
            let plan = match (ig, found) {
                (true, _) => {
                    push(i, m, &mut out)?;
                    InnerPlan::Unchanged
                }
                (false, Some(((of_step, groups), info))) if groups.len() > 1 => {
                    let mut targets = HashMap::new();
                    let mut next = 0;
                    if !strict {
                        push(i, m.clone(), &mut out)?;
                        targets.insert(0, Some(0));
                        next = 1;
                    } else {
                        targets.insert(0, None);
                    }
                    for (g, members) in groups.iter().enumerate().skip(1) {
                        let labels = enrich(&m.labels, members, info, &self.data)?;
                        push(
                            i,
                            SeriesMetadata {
                                labels,
                                drop_name: m.drop_name,
                            },
                            &mut out,
                        )?;
                        targets.insert(g as u32, Some(next));
                        next += 1;
                    }
                    InnerPlan::Routed {
                        group_of_step: of_step.clone(),
                        targets,
                    }
                }
                (false, _) if strict => InnerPlan::Routed {
                    group_of_step: std::sync::Arc::new(Vec::new()),
                    targets: HashMap::from([(0, None)]),
                },
                (false, _) => {
                    push(i, m, &mut out)?;
                    InnerPlan::Unchanged
                }
            };
            self.plan.push(plan);
            self.variants.push(out.len() - before);
        }
        Ok(out)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        loop {
            if let Some(d) = self.pending.pop_front() {
                return Ok(Some(d));
            }
            let i = self.next_inner;
            let Some(plan) = self.plan.get(i) else {
                return Ok(None);
            };
            self.next_inner += 1;
            let Some(d) = self.inner.next_series(cx)? else {
                return Ok(None);
            };
            let (group_of_step, targets) = match plan {
                InnerPlan::Unchanged => return Ok(Some(d)),
                InnerPlan::Routed { group_of_step, targets } => (group_of_step, targets),
            };
            let n = self.variants.get(i).copied().unwrap_or(0);
            let mut outs: Vec<InstantVectorSeriesData> = Vec::with_capacity(n);
            for _ in 0..n {
                outs.push(InstantVectorSeriesData {
                    floats: PooledVec::<FPoint>::with_capacity(0, &cx.tracker)?,
                    histograms: PooledVec::<HPoint>::with_capacity(0, &cx.tracker)?,
                });
            }
            let target = |t: i64| -> Result<Option<usize>> {
                let k = step_index(&self.steps, t)?;
                let g = group_of_step.get(k).copied().unwrap_or(0);
                Ok(targets.get(&g).copied().flatten())
            };
            for p in d.floats.iter() {
                if let Some(o) = target(p.t)?.and_then(|v| outs.get_mut(v)) {
                    o.floats.push(*p)?;
                }
            }
            for p in d.histograms.iter() {
                if let Some(o) = target(p.t)?.and_then(|v| outs.get_mut(v)) {
                    o.histograms.push(p.clone())?;
                }
            }
            self.pending.extend(outs);
        }
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.inner.finalize(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_matchers_default_to_target_info_and_guard_negative_ones() {
        let names = effective_name_matchers(&[]).unwrap();
        assert!(names.len() == 1 && names[0].matches("target_info") && !names[0].matches("build_info"));
        let neg = Matcher::new(MatchOp::NotEqual, "__name__", "target_info").unwrap();
        let names = effective_name_matchers(&[neg]).unwrap();
        let all = |v: &str| names.iter().all(|m| m.matches(v));
        assert!(all("build_info") && !all("target_info") && !all("metric"));
    }

    #[test]
    fn enrich_adds_data_labels_and_rejects_conflicts() {
        let tracker = crate::memory::MemoryTracker::new(usize::MAX);
        let times = || PooledVec::filled(1, 1.0, &tracker).unwrap();
        let sig = SignatureInfo {
            series: vec![
                (
                    Labels::from_pairs([("__name__", "a_info"), ("job", "1"), ("x", "1")]),
                    0,
                    times(),
                ),
                (
                    Labels::from_pairs([("__name__", "b_info"), ("job", "1"), ("x", "2")]),
                    1,
                    times(),
                ),
            ],
        };
        let base = Labels::from_pairs([("__name__", "m"), ("job", "1")]);
        let out = enrich(&base, &[0], &sig, &[]).unwrap();
        assert_eq!(out.get("x"), Some("1"));
        assert_eq!(out.metric_name(), Some("m"));
        let err = enrich(&base, &[0, 1], &sig, &[]).unwrap_err();
        assert!(err.to_string().contains("conflicting label: x"), "{err}");
        // Only the selected data labels are added.
        let only_y = [Matcher::equal("y", "")];
        assert_eq!(enrich(&base, &[0], &sig, &only_y).unwrap().get("x"), None);
    }

    #[test]
    fn groups_pick_the_newest_info_series_per_metric() {
        let tracker = crate::memory::MemoryTracker::new(usize::MAX);
        let mut old = PooledVec::filled(2, f64::NAN, &tracker).unwrap();
        old[0] = 0.0;
        old[1] = 60.0;
        let mut new = PooledVec::filled(2, f64::NAN, &tracker).unwrap();
        new[1] = 120.0;
        let sig = SignatureInfo {
            series: vec![
                (Labels::from_pairs([("__name__", "i"), ("v", "old")]), 0, old),
                (Labels::from_pairs([("__name__", "i"), ("v", "new")]), 0, new),
            ],
        };
        let (of_step, groups) = resolve_groups(&sig, 2).unwrap();
        assert_eq!(of_step.len(), 2);
        assert_eq!(groups.get(of_step[0] as usize), Some(&vec![0]));
        assert_eq!(groups.get(of_step[1] as usize), Some(&vec![1]));
    }

    #[test]
    fn signature_needs_an_identifying_label() {
        assert_eq!(signature(&Labels::from_pairs([("__name__", "m")])), None);
        assert!(signature(&Labels::from_pairs([("instance", "a")])).is_some());
    }
}
