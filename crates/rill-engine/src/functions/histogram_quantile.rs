//! `histogram_quantile(q, v)`, `histogram_quantiles(v, "label", q...)` and
//! `histogram_fraction(lower, upper, v)` over classic and native histograms.
//!
//! Input series are grouped by their labels without `le`: float points of series with a valid
//! `le` are the group's classic buckets at that step, histogram points are native histograms.
//! A step where a group has both yields nothing and Prometheus's mixed-histograms warning.
//! A group is computed once its last input series was read; until then the series of open
//! groups stay buffered (pooled and charged).

use std::collections::HashMap;

use rill_model::{FloatHistogram, Labels};
use rill_promql::{Call, PosRange};

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::classic_buckets::{Bucket, bucket_fraction, bucket_quantile, parse_go_float};
use crate::functions::common::{ScalarArgs, arg, drop_name, go_format_g, plan_instant, plan_scalar, string_arg};
use crate::functions::custom;
use crate::functions::histogram_annotations as notes;
use crate::functions::over_time_stats::invalid_quantile_warning;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// What a NaN-observation histogram did to a quantile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NanObservations {
    /// The rank lies among the NaN observations: the result is NaN.
    ResultIsNaN,
    /// The result is an estimate skewed towards higher values.
    SkewedHigher,
}

/// The `q`-quantile of a native histogram, and what NaN observations (a NaN sum) did to it.
pub fn native_quantile(q: f64, h: &FloatHistogram) -> (f64, Option<NanObservations>) {
    let v = h.quantile(q);
    if !h.sum.is_nan() || q.is_nan() || !(0.0..=1.0).contains(&q) {
        return (v, None);
    }
    if h.count == 0.0 || q * h.count > observations_in_buckets(h) || v.is_nan() {
        (f64::NAN, Some(NanObservations::ResultIsNaN))
    } else {
        (v, Some(NanObservations::SkewedHigher))
    }
}

/// The fraction of a native histogram's observations in `[lower, upper]`; NaN observations
/// (a NaN sum) count in the total but in no range, as in Prometheus.
pub fn native_fraction(lower: f64, upper: f64, h: &FloatHistogram) -> f64 {
    if !h.sum.is_nan() || h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return h.fraction(lower, upper);
    }
    let in_buckets = observations_in_buckets(h);
    if in_buckets == 0.0 {
        return 0.0;
    }
    let mut only_buckets = h.clone();
    only_buckets.count = in_buckets;
    only_buckets.fraction(lower, upper) * in_buckets / h.count
}

/// The observations the buckets hold (fewer than the count when some were NaN).
fn observations_in_buckets(h: &FloatHistogram) -> f64 {
    h.zero_count + h.positive_buckets.iter().sum::<f64>() + h.negative_buckets.iter().sum::<f64>()
}

/// Which function of the family an operator computes.
#[derive(Clone, Debug)]
enum Kind {
    /// `histogram_quantile(q, v)`: args `[q]`.
    Quantile,
    /// `histogram_quantiles(v, label, q...)`: args `[q...]`, one output per group and `q`.
    Quantiles { label: String },
    /// `histogram_fraction(lower, upper, v)`: args `[lower, upper]`.
    Fraction,
}

/// One input series of a group: its index and its parsed `le` (or the raw text when invalid).
struct Member {
    index: usize,
    le: std::result::Result<f64, String>,
}

/// One group of input series sharing their labels without `le`.
struct Group {
    /// The output labels (without `le`), before any quantile label.
    meta: SeriesMetadata,
    metric_name: String,
    members: Vec<Member>,
    last_member: usize,
}

/// Computes the family's functions group by group.
struct HistogramFunctionOperator {
    kind: Kind,
    input: Box<dyn InstantVectorOperator>,
    args: ScalarArgs,
    arg_pos: Vec<PosRange>,
    range: QueryTimeRange,
    delayed_name_removal: bool,
    vec_pos: PosRange,
    groups: Vec<Group>,
    next_group: usize,
    /// Input series read so far and not yet consumed, by input index.
    buffered: Vec<Option<InstantVectorSeriesData>>,
    /// Outputs of the current group not yet returned (`histogram_quantiles`).
    pending: Vec<InstantVectorSeriesData>,
}

impl HistogramFunctionOperator {
    /// Warns once per argument about quantiles outside `[0, 1]` at any step.
    fn validate_quantiles(&mut self, cx: &mut QueryContext) {
        if matches!(self.kind, Kind::Fraction) {
            return;
        }
        let mut warned = vec![false; self.arg_pos.len()];
        for i in 0..self.range.steps() {
            for (k, &q) in self.args.at(i).iter().enumerate() {
                if (q.is_nan() || !(0.0..=1.0).contains(&q))
                    && let (Some(w), Some(pos)) = (warned.get_mut(k), self.arg_pos.get(k))
                    && !*w
                {
                    *w = true;
                    cx.annotate(Annotation::warning(invalid_quantile_warning(q), *pos));
                }
            }
        }
    }

    /// The outputs' labels: one per group, or one per group and quantile.
    fn output_metadata(&mut self) -> Result<Vec<SeriesMetadata>> {
        let Kind::Quantiles { label } = &self.kind else {
            return Ok(self.groups.iter().map(|g| g.meta.clone()).collect());
        };
        let qs: Vec<f64> = if self.range.steps() > 0 {
            self.args.at(0).to_vec()
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(self.groups.len() * qs.len());
        for g in &self.groups {
            if g.meta.labels.has(label) {
                return Err(Error::exec(format!(
                    "histogram_quantiles(): label {label:?} already exists in the input series {}",
                    g.meta.labels
                )));
            }
            for &q in &qs {
                let mut b = g.meta.labels.to_builder();
                b.set(label.as_str(), openmetrics_float(q));
                out.push(SeriesMetadata {
                    labels: b.build(),
                    drop_name: g.meta.drop_name,
                });
            }
        }
        Ok(out)
    }

    /// Reads input series until every member of `group` is buffered.
    fn fill_buffer(&mut self, last_member: usize, cx: &mut QueryContext) -> Result<()> {
        while self.buffered.len() <= last_member {
            match self.input.next_series(cx)? {
                Some(s) => self.buffered.push(Some(s)),
                None => break,
            }
        }
        Ok(())
    }

    /// Computes every output series of group `g` (one, or one per quantile).
    fn compute_group(&mut self, g: usize, cx: &mut QueryContext) -> Result<Vec<InstantVectorSeriesData>> {
        let Some(group) = self.groups.get(g) else {
            return Ok(Vec::new());
        };
        let mut parts = Vec::with_capacity(group.members.len());
        for m in &group.members {
            if let Some(data) = self.buffered.get_mut(m.index).and_then(Option::take) {
                parts.push((&m.le, data));
            }
        }
        let outputs = match self.kind {
            Kind::Quantiles { .. } => self.arg_pos.len(),
            _ => 1,
        };
        let mut results = Vec::with_capacity(outputs);
        for _ in 0..outputs {
            results.push(PooledVec::<FPoint>::with_capacity(self.range.steps(), &cx.tracker)?);
        }
        let name = group.metric_name.as_str();
        let note_name = if self.delayed_name_removal { name } else { "" };
        let mut float_cur = vec![0usize; parts.len()];
        let mut hist_cur = vec![0usize; parts.len()];
        let mut buckets = Vec::with_capacity(parts.len());
        let mut forced_any = false;
        for (step, t) in self.range.times().enumerate() {
            buckets.clear();
            let mut native: Option<&FloatHistogram> = None;
            for (((le, data), fc), hc) in parts.iter().zip(float_cur.iter_mut()).zip(hist_cur.iter_mut()) {
                if let Some(p) = data.floats.get(*fc)
                    && p.t == t
                {
                    *fc += 1;
                    match le {
                        Ok(upper) => buckets.push(Bucket {
                            upper: *upper,
                            count: p.f,
                        }),
                        Err(raw) => cx.annotate(Annotation::warning(notes::bad_bucket_label(name, raw), self.vec_pos)),
                    }
                }
                if let Some(p) = data.histograms.get(*hc)
                    && p.t == t
                {
                    *hc += 1;
                    native = native.or(Some(&*p.h));
                }
            }
            if native.is_some() && !buckets.is_empty() {
                cx.annotate(Annotation::warning(notes::mixed_classic_native(name), self.vec_pos));
                continue;
            }
            if native.is_none() && buckets.is_empty() {
                continue;
            }
            let args = self.args.at(step);
            for (k, out) in results.iter_mut().enumerate() {
                let value = match (&self.kind, native) {
                    (Kind::Fraction, h) => {
                        let (lower, upper) = (arg_at(args, 0), arg_at(args, 1));
                        match h {
                            Some(h) => {
                                if h.sum.is_nan() {
                                    cx.annotate(Annotation::info(notes::fraction_nans(note_name), self.vec_pos));
                                }
                                native_fraction(lower, upper, h)
                            }
                            None => bucket_fraction(lower, upper, &mut buckets),
                        }
                    }
                    (_, Some(h)) => {
                        let (v, nan) = native_quantile(arg_at(args, k), h);
                        match nan {
                            Some(NanObservations::ResultIsNaN) => {
                                cx.annotate(Annotation::info(notes::quantile_nan_result(note_name), self.vec_pos))
                            }
                            Some(NanObservations::SkewedHigher) => {
                                cx.annotate(Annotation::info(notes::quantile_nan_skew(note_name), self.vec_pos))
                            }
                            None => {}
                        }
                        v
                    }
                    (_, None) => {
                        let (v, forced) = bucket_quantile(arg_at(args, k), &mut buckets);
                        forced_any |= forced;
                        v
                    }
                };
                out.push(FPoint { t, f: value })?;
            }
        }
        if forced_any {
            cx.annotate(Annotation::info(notes::forced_monotonicity(note_name), self.vec_pos));
        }
        let mut series = Vec::with_capacity(results.len());
        for floats in results {
            series.push(InstantVectorSeriesData {
                floats,
                histograms: PooledVec::with_capacity(0, &cx.tracker)?,
            });
        }
        Ok(series)
    }
}

/// Argument `k` of a step, NaN when missing.
fn arg_at(args: &[f64], k: usize) -> f64 {
    args.get(k).copied().unwrap_or(f64::NAN)
}

/// Formats a quantile label value as Prometheus's `FormatOpenMetricsFloat` (`0.0`, `0.25`, `1.0`).
pub fn openmetrics_float(q: f64) -> String {
    let s = go_format_g(q);
    if q.is_finite() && !s.contains(['.', 'e']) {
        format!("{s}.0")
    } else {
        s
    }
}

impl InstantVectorOperator for HistogramFunctionOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.args.resolve(cx)?;
        self.validate_quantiles(cx);
        let input = self.input.series_metadata(cx)?;
        let mut index: HashMap<Labels, usize> = HashMap::new();
        for (i, m) in input.iter().enumerate() {
            let raw = m.labels.get_or_empty("le");
            let le = parse_go_float(raw).map_err(|_| raw.to_string());
            let key = m.labels.drop_names(&["le"]);
            let g = *index.entry(key).or_insert_with_key(|key| {
                self.groups.push(Group {
                    meta: drop_name(SeriesMetadata::new(key.clone()), self.delayed_name_removal),
                    metric_name: key.metric_name().unwrap_or("").to_string(),
                    members: Vec::new(),
                    last_member: i,
                });
                self.groups.len() - 1
            });
            if let Some(group) = self.groups.get_mut(g) {
                group.members.push(Member { index: i, le });
                group.last_member = i;
            }
        }
        self.groups.sort_by_key(|g| g.last_member);
        self.output_metadata()
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if self.pending.is_empty() {
            let g = self.next_group;
            let Some(last_member) = self.groups.get(g).map(|g| g.last_member) else {
                return Ok(None);
            };
            self.next_group += 1;
            self.fill_buffer(last_member, cx)?;
            self.pending = self.compute_group(g, cx)?;
            self.pending.reverse();
        }
        Ok(self.pending.pop())
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        // Drain series nobody asked for so the input sees its full protocol.
        while self.input.next_series(cx)?.is_some() {}
        self.input.finalize(cx)?;
        self.args.finalize(cx)
    }
}

struct Factory(fn(&Call) -> Result<Kind>);

impl FunctionFactory for Factory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let kind = (self.0)(call)?;
        let (vec_arg, scalar_args): (usize, Vec<usize>) = match kind {
            Kind::Quantile => (1, vec![0]),
            Kind::Quantiles { .. } => (0, (2..call.args.len()).collect()),
            Kind::Fraction => (2, vec![0, 1]),
        };
        let mut scalars = Vec::with_capacity(scalar_args.len());
        let mut arg_pos = Vec::with_capacity(scalar_args.len());
        for &i in &scalar_args {
            scalars.push(plan_scalar(call, i, planner)?);
            arg_pos.push(arg(call, i)?.pos());
        }
        Ok(Operator::Instant(Box::new(HistogramFunctionOperator {
            kind,
            input: plan_instant(call, vec_arg, planner)?,
            args: ScalarArgs::new(scalars),
            arg_pos,
            range: planner.time_range(),
            delayed_name_removal: planner.options().features.delayed_name_removal,
            vec_pos: arg(call, vec_arg)?.pos(),
            groups: Vec::new(),
            next_group: 0,
            buffered: Vec::new(),
            pending: Vec::new(),
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("histogram_quantile", Factory(|_| Ok(Kind::Quantile))),
        custom(
            "histogram_quantiles",
            Factory(|call| {
                Ok(Kind::Quantiles {
                    label: string_arg(call, 1)?.to_string(),
                })
            }),
        ),
        custom("histogram_fraction", Factory(|_| Ok(Kind::Fraction))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_model::Span;

    fn nan_histogram(count: f64, bucket: f64) -> FloatHistogram {
        FloatHistogram {
            count,
            sum: f64::NAN,
            positive_spans: vec![Span { offset: 0, length: 1 }],
            positive_buckets: vec![bucket],
            ..FloatHistogram::default()
        }
    }

    #[test]
    fn nan_observations_make_high_quantiles_nan() {
        // 12 of 15 observations in (0.5, 1], 3 NaN observations.
        let h = nan_histogram(15.0, 12.0);
        assert_eq!(native_quantile(0.8, &h), (1.0, Some(NanObservations::SkewedHigher)));
        let (v, note) = native_quantile(0.81, &h);
        assert!(v.is_nan());
        assert_eq!(note, Some(NanObservations::ResultIsNaN));
        assert_eq!(native_quantile(1.5, &h).1, None);
    }

    #[test]
    fn nan_observations_are_in_no_fraction() {
        let h = nan_histogram(15.0, 12.0);
        assert!((native_fraction(f64::NEG_INFINITY, f64::INFINITY, &h) - 0.8).abs() < 1e-12);
        let all_nan = FloatHistogram {
            count: 3.0,
            sum: f64::NAN,
            ..FloatHistogram::default()
        };
        assert_eq!(native_fraction(0.0, 1.0, &all_nan), 0.0);
    }

    #[test]
    fn quantile_labels_use_openmetrics_floats() {
        assert_eq!(openmetrics_float(0.0), "0.0");
        assert_eq!(openmetrics_float(0.25), "0.25");
        assert_eq!(openmetrics_float(1.0), "1.0");
        assert_eq!(openmetrics_float(f64::NAN), "NaN");
        assert_eq!(openmetrics_float(-0.1), "-0.1");
    }
}
