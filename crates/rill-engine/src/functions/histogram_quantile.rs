//! `histogram_quantile(q, v)` over classic histograms: series of `<name>_bucket{le="..."}`
//! grouped by their labels without `le` (and `__name__`), one quantile per group and step.
//!
//! A group is emitted once its last input series was read; until then the series of open
//! groups stay buffered (pooled and charged). Native histogram samples are not handled yet.

use std::collections::HashMap;

use rill_model::Labels;
use rill_promql::{Call, PosRange};

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{ScalarArgs, arg, drop_name, plan_instant, plan_scalar, step_index};
use crate::functions::custom;
use crate::functions::over_time_stats::invalid_quantile_warning;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// One classic bucket: its upper bound and cumulative count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// `le`.
    pub upper: f64,
    /// Cumulative count.
    pub count: f64,
}

/// The `q`-quantile of classic buckets (any order), interpolating linearly inside the bucket,
/// and whether monotonicity had to be forced. NaN without a `+Inf` bucket, with fewer than two
/// buckets or no observations; ∓Inf for `q` out of range.
pub fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> (f64, bool) {
    if q.is_nan() {
        return (f64::NAN, false);
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, false);
    }
    if q > 1.0 {
        return (f64::INFINITY, false);
    }
    buckets.sort_by(|a, b| a.upper.total_cmp(&b.upper));
    if !buckets.last().is_some_and(|b| b.upper == f64::INFINITY) {
        return (f64::NAN, false);
    }
    // Coalesce equal bounds.
    buckets.dedup_by(|b, a| {
        let same = a.upper == b.upper;
        if same {
            a.count += b.count;
        }
        same
    });
    correct_precision(buckets, 1e-12);
    let forced = ensure_monotonic(buckets);
    let n = buckets.len();
    if n < 2 {
        return (f64::NAN, false);
    }
    let observations = buckets.get(n - 1).map_or(0.0, |b| b.count);
    if observations == 0.0 {
        return (f64::NAN, false);
    }
    let mut rank = q * observations;
    let b = buckets
        .get(..n - 1)
        .map_or(0, |s| s.partition_point(|x| x.count < rank));
    let get = |i: usize| {
        buckets.get(i).copied().unwrap_or(Bucket {
            upper: f64::NAN,
            count: f64::NAN,
        })
    };
    if b == n - 1 {
        return (get(n - 2).upper, forced);
    }
    if b == 0 && get(0).upper <= 0.0 {
        return (get(0).upper, forced);
    }
    let end = get(b).upper;
    let mut count = get(b).count;
    let mut start = 0.0;
    if b > 0 {
        let prev = get(b - 1);
        start = prev.upper;
        count -= prev.count;
        rank -= prev.count;
    }
    (start + (end - start) * (rank / count), forced)
}

/// Removes tiny non-monotonic steps caused by float imprecision.
fn correct_precision(buckets: &mut [Bucket], tolerance: f64) {
    let mut prev = match buckets.first() {
        Some(b) => b.count,
        None => return,
    };
    for b in buckets.iter_mut().skip(1) {
        let delta = (b.count - prev).abs();
        if delta == 0.0 {
            continue;
        }
        if delta / b.count <= tolerance {
            b.count = prev;
        } else {
            prev = b.count;
        }
    }
}

/// Raises every bucket to at least the count of the buckets below it; true if any changed.
fn ensure_monotonic(buckets: &mut [Bucket]) -> bool {
    let mut forced = false;
    let mut max = f64::NEG_INFINITY;
    for b in buckets.iter_mut() {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
            forced = true;
        }
    }
    forced
}

/// One output group: the output metadata and the input series (index, `le`) it gathers.
struct Group {
    meta: SeriesMetadata,
    members: Vec<(usize, f64)>,
    last_member: usize,
}

/// Computes classic-histogram quantiles group by group.
pub struct HistogramQuantileOperator {
    input: Box<dyn InstantVectorOperator>,
    q: ScalarArgs,
    range: QueryTimeRange,
    delayed_name_removal: bool,
    q_pos: PosRange,
    vec_pos: PosRange,
    /// Groups in output order (by their last member).
    groups: Vec<Group>,
    next_group: usize,
    /// Input series read so far and not yet consumed, by input index.
    buffered: Vec<Option<InstantVectorSeriesData>>,
    warned_q: bool,
}

impl InstantVectorOperator for HistogramQuantileOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        self.q.resolve(cx)?;
        let input = self.input.series_metadata(cx)?;
        let mut index: HashMap<Labels, usize> = HashMap::new();
        for (i, m) in input.iter().enumerate() {
            let le = m.labels.get_or_empty("le");
            let Ok(upper) = parse_go_float(le) else {
                cx.annotate(Annotation::warning(
                    format!(
                        "bucket label \"le\" is missing or has a malformed value of {le:?} for metric name {:?}",
                        m.labels.metric_name().unwrap_or("")
                    ),
                    self.vec_pos,
                ));
                continue;
            };
            let key = m.labels.drop_names(&["le", rill_model::METRIC_NAME]);
            let g = *index.entry(key).or_insert_with(|| {
                self.groups.push(Group {
                    meta: drop_name(
                        SeriesMetadata::new(m.labels.drop_names(&["le"])),
                        self.delayed_name_removal,
                    ),
                    members: Vec::new(),
                    last_member: i,
                });
                self.groups.len() - 1
            });
            if let Some(group) = self.groups.get_mut(g) {
                group.members.push((i, upper));
                group.last_member = i;
            }
        }
        self.groups.sort_by_key(|g| g.last_member);
        Ok(self.groups.iter().map(|g| g.meta.clone()).collect())
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some(group) = self.groups.get(self.next_group) else {
            return Ok(None);
        };
        self.next_group += 1;
        while self.buffered.len() <= group.last_member {
            match self.input.next_series(cx)? {
                Some(s) => self.buffered.push(Some(s)),
                None => break,
            }
        }
        let mut parts = Vec::with_capacity(group.members.len());
        for &(i, upper) in &group.members {
            if let Some(data) = self.buffered.get_mut(i).and_then(Option::take) {
                parts.push((upper, data));
            }
        }
        let name = group.meta.labels.metric_name().unwrap_or("").to_string();
        let mut floats = PooledVec::<FPoint>::with_capacity(self.range.steps(), &cx.tracker)?;
        let mut cursors = vec![0usize; parts.len()];
        let mut buckets = Vec::with_capacity(parts.len());
        let mut forced_any = false;
        for t in self.range.times() {
            buckets.clear();
            for ((upper, data), cur) in parts.iter().zip(cursors.iter_mut()) {
                if let Some(p) = data.floats.get(*cur)
                    && p.t == t
                {
                    buckets.push(Bucket {
                        upper: *upper,
                        count: p.f,
                    });
                    *cur += 1;
                }
            }
            if buckets.is_empty() {
                continue;
            }
            let q = self
                .q
                .at(step_index(&self.range, t)?)
                .first()
                .copied()
                .unwrap_or(f64::NAN);
            if !self.warned_q && (q.is_nan() || !(0.0..=1.0).contains(&q)) {
                self.warned_q = true;
                cx.annotate(Annotation::warning(invalid_quantile_warning(q), self.q_pos));
            }
            let (v, forced) = bucket_quantile(q, &mut buckets);
            forced_any |= forced;
            floats.push(FPoint { t, f: v })?;
        }
        if forced_any {
            let mut msg = "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)".to_string();
            if self.delayed_name_removal && !name.is_empty() {
                msg.push_str(&format!(" for metric name {name:?}"));
            }
            cx.annotate(Annotation::info(msg, self.vec_pos));
        }
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        // Drain series nobody asked for so the input sees its full protocol.
        while self.input.next_series(cx)?.is_some() {}
        self.input.finalize(cx)?;
        self.q.finalize(cx)
    }
}

/// Parses a float as Go's `strconv.ParseFloat` does for the usual spellings (`+Inf`, `1e3`, `NaN`).
pub fn parse_go_float(s: &str) -> std::result::Result<f64, std::num::ParseFloatError> {
    s.trim_start_matches('+')
        .parse::<f64>()
        .or_else(|e| if s == "+Inf" { Ok(f64::INFINITY) } else { Err(e) })
}

struct HistogramQuantileFactory;

impl FunctionFactory for HistogramQuantileFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        Ok(Operator::Instant(Box::new(HistogramQuantileOperator {
            q: ScalarArgs::new(vec![plan_scalar(call, 0, planner)?]),
            input: plan_instant(call, 1, planner)?,
            range: planner.time_range(),
            delayed_name_removal: planner.options().features.delayed_name_removal,
            q_pos: arg(call, 0)?.pos(),
            vec_pos: arg(call, 1)?.pos(),
            groups: Vec::new(),
            next_group: 0,
            buffered: Vec::new(),
            warned_q: false,
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![custom("histogram_quantile", HistogramQuantileFactory)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(upper: f64, count: f64) -> Bucket {
        Bucket { upper, count }
    }

    #[test]
    fn interpolates_within_bucket() {
        let mut bs = vec![b(f64::INFINITY, 100.0), b(0.1, 50.0), b(0.2, 100.0)];
        assert_eq!(bucket_quantile(0.5, &mut bs), (0.1, false));
        let mut bs = vec![b(0.1, 50.0), b(0.2, 100.0), b(f64::INFINITY, 100.0)];
        let (v, _) = bucket_quantile(0.75, &mut bs);
        assert!((v - 0.15).abs() < 1e-12);
    }

    #[test]
    fn highest_bucket_and_special_cases() {
        let mut bs = vec![b(1.0, 10.0), b(f64::INFINITY, 20.0)];
        assert_eq!(bucket_quantile(0.99, &mut bs).0, 1.0);
        let mut no_inf = vec![b(1.0, 10.0), b(2.0, 20.0)];
        assert!(bucket_quantile(0.5, &mut no_inf).0.is_nan());
        assert_eq!(bucket_quantile(-1.0, &mut bs).0, f64::NEG_INFINITY);
    }

    #[test]
    fn forces_monotonicity() {
        let mut bs = vec![b(1.0, 10.0), b(2.0, 5.0), b(f64::INFINITY, 10.0)];
        let (v, forced) = bucket_quantile(0.5, &mut bs);
        assert!(forced);
        assert_eq!(v, 0.5);
    }

    #[test]
    fn parses_le_values() {
        assert_eq!(parse_go_float("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_go_float("0.5"), Ok(0.5));
        assert!(parse_go_float("").is_err());
        assert!(parse_go_float("x").is_err());
    }
}
