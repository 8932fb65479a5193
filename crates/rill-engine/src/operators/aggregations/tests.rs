//! Tests of the aggregations over a test-double inner operator built from vectors.

use std::sync::Arc;

use rill_model::{FloatHistogram, Labels};
use rill_promql::{AggregateOp, Expr, PosRange};

use super::{AggregationPositions, build_at, positions};
use crate::context::QueryContext;
use crate::error::Result;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator, ScalarOperator};
use crate::operators::literals::{NumberLiteral, StringLiteral};
use crate::options::EngineOptions;
use crate::types::{FPoint, HPoint, InstantVectorSeriesData, QueryTimeRange, ScalarData, SeriesMetadata};

/// One input series: labels and `(t, value)` points, `None` values being the histogram
/// `{count:1, sum:2}`.
type Input = (Labels, Vec<(i64, Option<f64>)>);

/// An inner operator that yields fixed series.
struct VecOperator {
    series: Vec<Input>,
    next: usize,
}

impl InstantVectorOperator for VecOperator {
    fn series_metadata(&mut self, _: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        Ok(self
            .series
            .iter()
            .map(|(l, _)| SeriesMetadata::new(l.clone()))
            .collect())
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        let Some((_, points)) = self.series.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let mut data = InstantVectorSeriesData {
            floats: PooledVec::with_capacity(points.len(), &cx.tracker)?,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        };
        for &(t, v) in points {
            match v {
                Some(f) => data.floats.push(FPoint { t, f })?,
                None => data.histograms.push(HPoint {
                    t,
                    h: Arc::new(FloatHistogram {
                        count: 1.0,
                        sum: 2.0,
                        ..FloatHistogram::default()
                    }),
                })?,
            }
        }
        Ok(Some(data))
    }
}

/// A scalar with a given value per step.
struct Steps(Vec<f64>);

impl ScalarOperator for Steps {
    fn values(&mut self, cx: &mut QueryContext) -> Result<ScalarData> {
        let mut values = PooledVec::with_capacity(self.0.len(), &cx.tracker)?;
        values.extend(self.0.iter().copied());
        Ok(ScalarData { values })
    }
}

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn inner(series: Vec<Input>) -> Box<dyn InstantVectorOperator> {
    Box::new(VecOperator { series, next: 0 })
}

/// Output series as `(labels, points)`, in output order.
type Output = Vec<(Labels, Vec<(i64, f64)>)>;

fn run(mut op: Box<dyn InstantVectorOperator>, cx: &mut QueryContext) -> Result<Output> {
    let meta = op.series_metadata(cx)?;
    let mut out = Vec::new();
    for m in meta {
        let data = op.next_series(cx)?.expect("one series per metadata entry");
        let mut points: Vec<(i64, f64)> = data.floats.iter().map(|p| (p.t, p.f)).collect();
        // Histograms show as their count * 1000 + sum, enough to check sums and means.
        points.extend(data.histograms.iter().map(|p| (p.t, p.h.count * 1000.0 + p.h.sum)));
        out.push((m.labels, points));
    }
    assert!(op.next_series(cx)?.is_none());
    op.finalize(cx)?;
    Ok(out)
}

fn agg(
    op: AggregateOp,
    param: Option<Operator>,
    by: &[&str],
    without: bool,
    range: QueryTimeRange,
    series: Vec<Input>,
) -> (Result<Output>, QueryContext) {
    let mut cx = QueryContext::unlimited();
    let grouping: Vec<String> = by.iter().map(|s| s.to_string()).collect();
    let pos = PosRange::new(0, 10);
    let built = build_at(
        op,
        inner(series),
        param,
        &grouping,
        without,
        AggregationPositions {
            expr: pos,
            inner: pos,
            param: pos,
        },
        range,
        &EngineOptions::default(),
    );
    let out = built.and_then(|o| run(o, &mut cx));
    assert_eq!(cx.tracker.current(), 0, "all buffers returned");
    (out, cx)
}

fn num(v: f64, range: QueryTimeRange) -> Option<Operator> {
    Some(Operator::Scalar(Box::new(NumberLiteral::new(v, &range))))
}

fn http() -> Vec<Input> {
    let s = |job, inst, v: f64| (l(&[("__name__", "x"), ("job", job), ("i", inst)]), vec![(0, Some(v))]);
    vec![
        s("a", "0", 1.0),
        s("b", "0", 10.0),
        s("a", "1", 2.0),
        s("c", "0", 100.0),
        s("b", "1", 20.0),
    ]
}

#[test]
fn groups_are_emitted_in_order_of_their_last_series() {
    let (out, _) = agg(
        AggregateOp::Sum,
        None,
        &["job"],
        false,
        QueryTimeRange::instant(0),
        http(),
    );
    let out = out.unwrap();
    let jobs: Vec<_> = out
        .iter()
        .map(|(l, p)| (l.get("job").unwrap().to_string(), p[0].1))
        .collect();
    assert_eq!(jobs, [("a".into(), 3.0), ("c".into(), 100.0), ("b".into(), 30.0)]);
}

#[test]
fn without_drops_the_name_and_listed_labels() {
    let (out, _) = agg(AggregateOp::Max, None, &["i"], true, QueryTimeRange::instant(0), http());
    let labels: Vec<_> = out.unwrap().into_iter().map(|(l, _)| l).collect();
    assert!(labels.contains(&l(&[("job", "a")])));
    let (out, _) = agg(AggregateOp::Count, None, &[], false, QueryTimeRange::instant(0), http());
    assert_eq!(out.unwrap(), vec![(Labels::empty(), vec![(0, 5.0)])]);
}

#[test]
fn range_aggregation_skips_steps_without_samples() {
    let range = QueryTimeRange::range(0, 20, 10);
    let series = vec![
        (l(&[("a", "1")]), vec![(0, Some(1.0)), (20, Some(3.0))]),
        (l(&[("a", "2")]), vec![(0, Some(f64::NAN)), (20, Some(5.0))]),
    ];
    let (out, _) = agg(AggregateOp::Min, None, &[], false, range, series.clone());
    assert_eq!(out.unwrap()[0].1, vec![(0, 1.0), (20, 3.0)]);
    let (out, _) = agg(AggregateOp::Avg, None, &[], false, range, series.clone());
    let p = &out.unwrap()[0].1;
    assert!(p[0].1.is_nan() && p[1] == (20, 4.0));
    let (out, _) = agg(AggregateOp::Group, None, &[], false, range, series);
    assert_eq!(out.unwrap()[0].1, vec![(0, 1.0), (20, 1.0)]);
}

#[test]
fn avg_switches_to_incremental_mean_on_overflow() {
    let big: f64 = "9.988465674311579e+307".parse().unwrap();
    let series = (0..4)
        .map(|i| (l(&[("p", &i.to_string())]), vec![(0, Some(big))]))
        .collect();
    let (out, _) = agg(AggregateOp::Avg, None, &[], false, QueryTimeRange::instant(0), series);
    assert_eq!(out.unwrap()[0].1, vec![(0, big)]);
    let ten = [2.0, 8.0, 1e100, -1e100];
    let series = ten
        .iter()
        .enumerate()
        .map(|(i, &v)| (l(&[("p", &i.to_string())]), vec![(0, Some(v))]))
        .collect();
    let (out, _) = agg(AggregateOp::Sum, None, &[], false, QueryTimeRange::instant(0), series);
    assert_eq!(out.unwrap()[0].1, vec![(0, 10.0)]);
}

#[test]
fn stddev_and_stdvar_follow_welford() {
    let series: Vec<Input> = [1.0, 2.0]
        .iter()
        .map(|&v| (l(&[("v", &v.to_string())]), vec![(0, Some(v))]))
        .collect();
    let (out, _) = agg(
        AggregateOp::Stdvar,
        None,
        &[],
        false,
        QueryTimeRange::instant(0),
        series.clone(),
    );
    assert_eq!(out.unwrap()[0].1, vec![(0, 0.25)]);
    let (out, _) = agg(
        AggregateOp::Stddev,
        None,
        &[],
        false,
        QueryTimeRange::instant(0),
        series,
    );
    assert_eq!(out.unwrap()[0].1, vec![(0, 0.5)]);
    let same: Vec<Input> = (0..3)
        .map(|i| (l(&[("i", &i.to_string())]), vec![(0, Some(13.3))]))
        .collect();
    let (out, _) = agg(AggregateOp::Stddev, None, &[], false, QueryTimeRange::instant(0), same);
    assert_eq!(out.unwrap()[0].1, vec![(0, 0.0)]);
}

#[test]
fn quantile_interpolates_and_warns_about_bad_phi() {
    let r = QueryTimeRange::instant(0);
    let series: Vec<Input> = [0.0, 1.0, 4.0]
        .iter()
        .map(|&v| (l(&[("v", &v.to_string())]), vec![(0, Some(v))]))
        .collect();
    let (out, cx) = agg(AggregateOp::Quantile, num(0.8, r), &[], false, r, series.clone());
    assert!((out.unwrap()[0].1[0].1 - 2.8).abs() < 1e-12);
    assert!(cx.annotations.is_empty());
    let (out, cx) = agg(AggregateOp::Quantile, num(f64::NAN, r), &[], false, r, series);
    assert!(out.unwrap()[0].1[0].1.is_nan());
    let msgs: Vec<_> = cx.annotations.iter().map(|a| a.msg.clone()).collect();
    assert_eq!(msgs, ["quantile value should be between 0 and 1, got NaN"]);
}

#[test]
fn histograms_are_ignored_with_an_info() {
    let series = vec![
        (l(&[("a", "h")]), vec![(0, None)]),
        (l(&[("a", "f")]), vec![(0, Some(4.0))]),
    ];
    let mut cx = QueryContext::unlimited();
    let pos = AggregationPositions {
        expr: PosRange::new(0, 20),
        inner: PosRange::new(4, 19),
        param: PosRange::new(0, 0),
    };
    let op = build_at(
        AggregateOp::Max,
        inner(series),
        None,
        &[],
        false,
        pos,
        QueryTimeRange::instant(0),
        &EngineOptions::default(),
    )
    .unwrap();
    let out = run(op, &mut cx).unwrap();
    assert_eq!(out[0].1, vec![(0, 4.0)]);
    let notes: Vec<_> = cx.annotations.iter().map(|a| (a.msg.clone(), a.pos)).collect();
    assert_eq!(notes, [("ignored histogram in max aggregation".to_string(), pos.inner)]);
}

#[test]
fn topk_and_bottomk_instant_are_ordered_with_nan_last() {
    let r = QueryTimeRange::instant(0);
    let mut series = http();
    series.push((l(&[("job", "n")]), vec![(0, Some(f64::NAN))]));
    let (out, _) = agg(AggregateOp::Topk, num(3.0, r), &[], false, r, series.clone());
    let vals: Vec<f64> = out.unwrap().iter().map(|(_, p)| p[0].1).collect();
    assert_eq!(vals, [100.0, 20.0, 10.0]);
    let (out, _) = agg(AggregateOp::Topk, num(10.0, r), &[], false, r, series.clone());
    let vals: Vec<f64> = out.unwrap().iter().map(|(_, p)| p[0].1).collect();
    assert_eq!(&vals[..5], [100.0, 20.0, 10.0, 2.0, 1.0]);
    assert!(vals[5].is_nan());
    let (out, _) = agg(AggregateOp::Bottomk, num(10.0, r), &[], false, r, series.clone());
    let vals: Vec<f64> = out.unwrap().iter().map(|(_, p)| p[0].1).collect();
    assert_eq!(&vals[..5], [1.0, 2.0, 10.0, 20.0, 100.0]);
    assert!(vals[5].is_nan());
    let (out, _) = agg(AggregateOp::Topk, num(1.0, r), &["job"], false, r, series);
    let kept: Vec<_> = out
        .unwrap()
        .iter()
        .map(|(l, p)| (l.get("i").unwrap_or("").to_string(), p[0].1))
        .collect();
    assert_eq!(
        kept[..3],
        [
            ("1".to_string(), 2.0),
            ("1".to_string(), 20.0),
            ("0".to_string(), 100.0)
        ]
    );
}

#[test]
fn topk_range_uses_k_per_step_and_keeps_labels() {
    let range = QueryTimeRange::range(0, 20, 10);
    let s = |i: &str, v: [f64; 3]| {
        (
            l(&[("__name__", "m"), ("i", i)]),
            vec![(0, Some(v[0])), (10, Some(v[1])), (20, Some(v[2]))],
        )
    };
    let series = vec![
        s("0", [1.0, 5.0, 9.0]),
        s("1", [2.0, 6.0, 1.0]),
        s("2", [3.0, 4.0, 2.0]),
    ];
    let k = Some(Operator::Scalar(
        Box::new(Steps(vec![1.0, 0.0, 2.0])) as Box<dyn ScalarOperator>
    ));
    let (out, _) = agg(AggregateOp::Topk, k, &[], false, range, series);
    let out = out.unwrap();
    assert_eq!(out.len(), 3, "every input series is announced in range queries");
    assert_eq!(out[0], (l(&[("__name__", "m"), ("i", "0")]), vec![(20, 9.0)]));
    assert_eq!(out[1].1, vec![]);
    assert_eq!(out[2].1, vec![(0, 3.0), (20, 2.0)]);
}

#[test]
fn k_parameter_errors_and_empty_results() {
    let r = QueryTimeRange::instant(0);
    let (out, _) = agg(AggregateOp::Topk, num(f64::NAN, r), &[], false, r, vec![]);
    assert_eq!(out.unwrap_err().to_string(), "Parameter value is NaN");
    let (out, _) = agg(AggregateOp::LimitRatio, num(f64::NAN, r), &[], false, r, vec![]);
    assert_eq!(out.unwrap_err().to_string(), "Ratio value is NaN");
    let (out, _) = agg(AggregateOp::Limitk, num(0.0, r), &[], false, r, http());
    assert!(out.unwrap().is_empty());
}

#[test]
fn limitk_takes_the_first_series_and_limit_ratio_complements() {
    let range = QueryTimeRange::range(0, 10, 10);
    let series: Vec<Input> = (0..20)
        .map(|i| (l(&[("i", &i.to_string())]), vec![(0, Some(i as f64)), (10, None)]))
        .collect();
    let (out, _) = agg(AggregateOp::Limitk, num(2.0, range), &[], false, range, series.clone());
    let non_empty: Vec<_> = out.unwrap().into_iter().filter(|(_, p)| !p.is_empty()).collect();
    assert_eq!(non_empty.len(), 2);
    assert_eq!(non_empty[0].1.len(), 2, "histograms are kept by limitk");
    let kept = |ratio: f64| {
        let (out, _) = agg(
            AggregateOp::LimitRatio,
            num(ratio, range),
            &[],
            false,
            range,
            series.clone(),
        );
        out.unwrap()
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(l, _)| l)
            .collect::<Vec<_>>()
    };
    let (a, b) = (kept(0.3), kept(-0.7));
    assert_eq!(a.len() + b.len(), 20);
    assert!(a.iter().all(|x| !b.contains(x)));
    assert_eq!(kept(1.0).len(), 20);
}

#[test]
fn count_values_counts_formatted_values() {
    let r = QueryTimeRange::range(0, 10, 10);
    let s = |i: &str, a: f64, b: f64| (l(&[("__name__", "v"), ("i", i)]), vec![(0, Some(a)), (10, Some(b))]);
    let series = vec![s("0", 6.0, 7.0), s("1", 6.0, 6.0), s("2", 0.1, f64::INFINITY)];
    let param = Some(Operator::String(Box::new(StringLiteral::new("version".into()))));
    let (out, _) = agg(AggregateOp::CountValues, param, &[], false, r, series.clone());
    let mut out = out.unwrap();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let got: Vec<_> = out
        .iter()
        .map(|(l, p)| (l.get("version").unwrap().to_string(), p.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("+Inf".to_string(), vec![(10, 1.0)]),
            ("0.1".to_string(), vec![(0, 1.0)]),
            ("6".to_string(), vec![(0, 2.0), (10, 1.0)]),
            ("7".to_string(), vec![(10, 1.0)]),
        ]
    );
    let param = Some(Operator::String(Box::new(StringLiteral::new("i".into()))));
    let (out, _) = agg(AggregateOp::CountValues, param, &["i"], true, r, series.clone());
    assert_eq!(out.unwrap(), vec![(Labels::empty(), vec![(0, 3.0), (10, 3.0)])]);
    let param = Some(Operator::String(Box::new(StringLiteral::new(String::new()))));
    let (out, _) = agg(AggregateOp::CountValues, param, &[], false, r, series.clone());
    assert_eq!(out.unwrap_err().to_string(), "invalid label name \"\"");
    // Invalid UTF-8 is rejected and quoted as Go's %q does; U+FFFD itself is a valid name.
    let lit = |q: &str| match rill_promql::parse(q, &rill_promql::StandardFunctions, &Default::default()).unwrap() {
        rill_promql::Expr::String(s) => StringLiteral::from_ast(&s),
        other => panic!("not a string: {other:?}"),
    };
    let param = Some(Operator::String(Box::new(lit(r#""a\xc5z""#))));
    let (out, _) = agg(AggregateOp::CountValues, param, &[], false, r, series.clone());
    assert_eq!(out.unwrap_err().to_string(), r#"invalid label name "a\xc5z""#);
    let param = Some(Operator::String(Box::new(lit(r#""a\ufffdz""#))));
    assert!(agg(AggregateOp::CountValues, param, &[], false, r, series).0.is_ok());
}

#[test]
fn positions_skip_parentheses() {
    let q = "count(limit_ratio((1.1), (x)))";
    let options = rill_promql::ParseOptions {
        experimental_functions: true,
        ..Default::default()
    };
    let Ok(Expr::Aggregate(count)) = rill_promql::parse(q, &rill_promql::StandardFunctions, &options) else {
        panic!("count(...) parses as an aggregation")
    };
    let Expr::Aggregate(a) = &*count.expr else {
        panic!("limit_ratio is an aggregation")
    };
    let p = positions(a);
    assert_eq!((p.expr.start, p.param.start, p.inner.start), (6, 19, 26));
}

#[test]
fn histograms_are_summed_and_averaged_but_not_mixed_with_floats() {
    let r = QueryTimeRange::range(0, 10, 10);
    let series = vec![
        (l(&[("a", "1")]), vec![(0, None), (10, None)]),
        (l(&[("a", "2")]), vec![(0, None), (10, Some(1.0))]),
    ];
    let (out, cx) = agg(AggregateOp::Sum, None, &[], false, r, series.clone());
    assert_eq!(out.unwrap()[0].1, vec![(0, 2004.0)]);
    let msgs: Vec<_> = cx.annotations.iter().map(|a| a.msg.clone()).collect();
    assert_eq!(msgs, ["encountered a mix of histograms and floats for aggregation"]);
    let (out, _) = agg(AggregateOp::Avg, None, &[], false, r, series.clone());
    assert_eq!(out.unwrap()[0].1, vec![(0, 1002.0)]);
    let (out, _) = agg(AggregateOp::Count, None, &[], false, r, series);
    assert_eq!(out.unwrap()[0].1, vec![(0, 2.0), (10, 2.0)]);
}
