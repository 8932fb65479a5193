//! Comparing a query's value with an eval's expectations, exactly as the Go runner's
//! `compareResult` does: relative float tolerance, compacted histograms, label sets, order
//! only when asked, per-step matrix points.

use rill_engine::{MatrixSeries, QueryValue, VectorElement};
use rill_model::{FloatHistogram, Labels};
use rill_promql::go_float;

use crate::histogram::{compact, describe, indexed};
use crate::script::{EvalCmd, SeqValue};

/// Relative error allowed for sample values.
const EPSILON: f64 = 0.000_001;

/// Smallest positive normal f64 (Go's `minNormal`).
const MIN_NORMAL: f64 = f64::MIN_POSITIVE;

/// Float equality as Prometheus's `almost.Equal`: NaN equals NaN (stale markers included),
/// relative tolerance `epsilon`, and an absolute one near zero.
pub(crate) fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Histogram equality as the Go runner's `compareNativeHistogram` on `Compact(0)`ed histograms.
pub(crate) fn histograms_match(exp: &FloatHistogram, got: &FloatHistogram, hint_set: bool) -> bool {
    let (e, g) = (compact(exp, 0), compact(got, 0));
    let buckets_match = |a: &[(i32, f64)], b: &[(i32, f64)]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.0 == y.0 && almost_equal(x.1, y.1, EPSILON))
    };
    e.schema == g.schema
        && almost_equal(e.count, g.count, EPSILON)
        && almost_equal(e.sum, g.sum, EPSILON)
        && (!e.uses_custom_buckets() || e.custom_values == g.custom_values)
        && e.zero_threshold == g.zero_threshold
        && almost_equal(e.zero_count, g.zero_count, EPSILON)
        && buckets_match(
            &indexed(&e.negative_spans, &e.negative_buckets),
            &indexed(&g.negative_spans, &g.negative_buckets),
        )
        && buckets_match(
            &indexed(&e.positive_spans, &e.positive_buckets),
            &indexed(&g.positive_spans, &g.positive_buckets),
        )
        && (!hint_set || e.counter_reset_hint == g.counter_reset_hint)
}

/// The steps expected values are laid out on: `start + i*step`, never after `end`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

/// A float or histogram value for messages.
fn show_value(f: f64, h: Option<&FloatHistogram>) -> String {
    h.map_or_else(|| go_float(f), describe)
}

fn show_seq(v: &SeqValue) -> String {
    match v {
        SeqValue::Omitted => "_".into(),
        SeqValue::Float(f) => go_float(*f),
        SeqValue::Histogram { h, .. } => describe(h),
    }
}

/// A readable rendering of a vector result.
pub(crate) fn show_vector(v: &[VectorElement]) -> String {
    if v.is_empty() {
        return "(empty vector)".into();
    }
    v.iter()
        .map(|e| format!("{} {}", e.labels, show_value(e.f, e.histogram.as_deref())))
        .collect::<Vec<_>>()
        .join("\n")
}

fn show_series(s: &MatrixSeries) -> String {
    let mut points: Vec<(i64, String)> = s.floats.iter().map(|p| (p.t, go_float(p.f))).collect();
    points.extend(s.histograms.iter().map(|p| (p.t, describe(&p.h))));
    points.sort_by_key(|p| p.0);
    let pts: Vec<String> = points.into_iter().map(|(t, v)| format!("{v} @{t}")).collect();
    format!("{} [{}]", s.labels, pts.join(", "))
}

/// A readable rendering of any query value.
pub(crate) fn show_value_full(v: &QueryValue) -> String {
    match v {
        QueryValue::Scalar { v, .. } => format!("scalar {v}"),
        QueryValue::String { v, .. } => format!("string {v:?}"),
        QueryValue::Vector(v) => show_vector(v),
        QueryValue::Matrix(m) if m.is_empty() => "(empty matrix)".into(),
        QueryValue::Matrix(m) => m.iter().map(show_series).collect::<Vec<_>>().join("\n"),
    }
}

fn expected_entry<'a>(cmd: &'a EvalCmd, labels: &Labels) -> Option<&'a crate::script::ExpectedSeries> {
    cmd.expected.iter().find(|e| &e.labels == labels)
}

/// Compares `value` with the expectations of `cmd`; `Err` says what differs.
pub(crate) fn compare_result(cmd: &EvalCmd, grid: Grid, value: &QueryValue) -> Result<(), String> {
    match value {
        QueryValue::Matrix(m) => compare_matrix(cmd, grid, m),
        QueryValue::Vector(v) => compare_vector(cmd, v),
        QueryValue::Scalar { v, .. } => match cmd.expected_scalar {
            None => Err(format!("expected vector or matrix result, but got scalar {v}")),
            Some(e) if almost_equal(e, *v, EPSILON) => Ok(()),
            Some(e) => Err(format!("expected scalar {e} but got {v}")),
        },
        QueryValue::String { v, .. } if *v == cmd.expected_string => Ok(()),
        QueryValue::String { v, .. } => Err(format!("expected string {:?} but got {v:?}", cmd.expected_string)),
    }
}

/// Checks that a matrix is sorted by labels, as every matrix result must be.
pub(crate) fn assert_sorted(m: &[MatrixSeries]) -> Result<(), String> {
    match m.windows(2).find(|w| w[0].labels > w[1].labels) {
        Some(w) => Err(format!(
            "matrix results should always be sorted by labels, but {} comes before {}",
            w[0].labels, w[1].labels
        )),
        None => Ok(()),
    }
}

fn compare_matrix(cmd: &EvalCmd, grid: Grid, m: &[MatrixSeries]) -> Result<(), String> {
    if cmd.ordered {
        return Err("expected ordered result, but query returned a matrix".into());
    }
    if cmd.expected_scalar.is_some() {
        return Err(format!(
            "expected scalar result, but got matrix:\n{}",
            show_value_full(&QueryValue::Matrix(m.to_vec()))
        ));
    }
    assert_sorted(m)?;
    for s in m {
        let Some(exp) = expected_entry(cmd, &s.labels) else {
            return Err(format!(
                "unexpected metric {} in result, has {}",
                s.labels,
                show_series(s)
            ));
        };
        let mut floats = Vec::new();
        let mut hists = Vec::new();
        for (i, v) in exp.values.iter().enumerate() {
            let t = grid.start + i as i64 * grid.step;
            if t > grid.end {
                return Err(format!(
                    "expected {} points for {}, but query time range cannot return this many points",
                    exp.values.len(),
                    s.labels
                ));
            }
            match v {
                SeqValue::Omitted => {}
                SeqValue::Float(f) => floats.push((t, *f)),
                SeqValue::Histogram { h, hint_set } => hists.push((t, h, *hint_set)),
            }
        }
        if floats.len() != s.floats.len() || hists.len() != s.histograms.len() {
            let want: Vec<String> = exp.values.iter().map(show_seq).collect();
            return Err(format!(
                "expected {} float points and {} histogram points for {}, but got {}\n  expected: {}",
                floats.len(),
                hists.len(),
                s.labels,
                show_series(s),
                want.join(" ")
            ));
        }
        for (i, ((t, f), got)) in floats.iter().zip(&s.floats).enumerate() {
            if *t != got.t {
                return Err(format!(
                    "expected float value at index {i} for {} to have timestamp {t}, but it had timestamp {} \
                     (result has {})",
                    s.labels,
                    got.t,
                    show_series(s)
                ));
            }
            if !almost_equal(got.f, *f, EPSILON) {
                return Err(format!(
                    "expected float value at index {i} (t={t}) for {} to be {f}, but got {} (result has {})",
                    s.labels,
                    got.f,
                    show_series(s)
                ));
            }
        }
        for (i, ((t, h, hint_set), got)) in hists.iter().zip(&s.histograms).enumerate() {
            if *t != got.t {
                return Err(format!(
                    "expected histogram value at index {i} for {} to have timestamp {t}, but it had timestamp {}",
                    s.labels, got.t
                ));
            }
            if !histograms_match(h, &got.h, *hint_set) {
                return Err(format!(
                    "expected histogram value at index {i} (t={t}) for {} to be {}, but got {}",
                    s.labels,
                    describe(h),
                    describe(&got.h)
                ));
            }
        }
    }
    if let Some(missing) = cmd.expected.iter().find(|e| !m.iter().any(|s| s.labels == e.labels)) {
        return Err(format!("expected metric {} not found", missing.labels));
    }
    Ok(())
}

fn compare_vector(cmd: &EvalCmd, v: &[VectorElement]) -> Result<(), String> {
    if cmd.expected_scalar.is_some() {
        return Err(format!("expected scalar result, but got vector:\n{}", show_vector(v)));
    }
    for (pos, e) in v.iter().enumerate() {
        let got = show_value(e.f, e.histogram.as_deref());
        let Some(exp) = expected_entry(cmd, &e.labels) else {
            return Err(format!("unexpected metric {} in result, has value {got}", e.labels));
        };
        if cmd.ordered && exp.pos != pos + 1 {
            return Err(format!(
                "expected metric {} at position {} but was at {}",
                e.labels,
                exp.pos,
                pos + 1
            ));
        }
        let ok = match (exp.values.first(), &e.histogram) {
            (Some(SeqValue::Histogram { h, hint_set }), Some(g)) => histograms_match(h, g, *hint_set),
            (Some(SeqValue::Float(f)), None) => almost_equal(*f, e.f, EPSILON),
            // `_` expects the float 0 as Go's zero-valued SequenceValue does.
            (Some(SeqValue::Omitted), None) => almost_equal(0.0, e.f, EPSILON),
            _ => false,
        };
        if !ok {
            let want = exp.values.first().map_or_else(|| "(no value)".to_string(), show_seq);
            return Err(format!("expected {want} for {} but got {got}", e.labels));
        }
    }
    if let Some(missing) = cmd.expected.iter().find(|x| !v.iter().any(|e| e.labels == x.labels)) {
        let want: Vec<String> = missing.values.iter().map(show_seq).collect();
        return Err(format!(
            "expected metric {} with [{}] not found; got:\n{}",
            missing.labels,
            want.join(" "),
            show_vector(v)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rill_engine::{FPoint, HPoint};

    use super::*;
    use crate::parse::parse_script;
    use crate::script::Command;

    fn eval(text: &str) -> EvalCmd {
        match parse_script("t", text).unwrap().into_iter().next() {
            Some(Command::Eval(e)) => *e,
            _ => panic!("no eval"),
        }
    }

    fn el(labels: &str, f: f64) -> VectorElement {
        let (labels, _) = crate::series::parse_labels_prefix(labels).unwrap();
        VectorElement {
            labels,
            t: 0,
            f,
            histogram: None,
        }
    }

    const GRID: Grid = Grid {
        start: 0,
        end: 0,
        step: 0,
    };

    #[test]
    fn almost_equal_like_go() {
        assert!(almost_equal(f64::NAN, rill_model::stale_nan(), EPSILON));
        assert!(almost_equal(1.0, 1.0 + 1e-7, EPSILON));
        assert!(!almost_equal(1.0, 1.0 + 1e-5, EPSILON));
        assert!(!almost_equal(0.0, 1e-300, EPSILON));
        assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
        assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY, EPSILON));
        assert!(!almost_equal(1.0, f64::NAN, EPSILON));
    }

    #[test]
    fn vectors_ignore_order_unless_ordered() {
        let cmd = eval("eval instant at 0 m\n  m{a=\"1\"} 1\n  m{a=\"2\"} 2\n");
        let v = QueryValue::Vector(vec![el("m{a=\"2\"}", 2.0), el("m{a=\"1\"}", 1.0000001)]);
        assert_eq!(compare_result(&cmd, GRID, &v), Ok(()));
        let ordered = eval("eval instant at 0 m\n  expect ordered\n  m{a=\"1\"} 1\n  m{a=\"2\"} 2\n");
        assert!(compare_result(&ordered, GRID, &v).unwrap_err().contains("position"));
        let missing = QueryValue::Vector(vec![el("m{a=\"1\"}", 1.0)]);
        assert!(compare_result(&cmd, GRID, &missing).unwrap_err().contains("not found"));
        let extra = QueryValue::Vector(vec![el("m{a=\"1\"}", 1.0), el("m{a=\"2\"}", 2.0), el("x", 1.0)]);
        assert!(
            compare_result(&cmd, GRID, &extra)
                .unwrap_err()
                .contains("unexpected metric x")
        );
        let wrong = QueryValue::Vector(vec![el("m{a=\"1\"}", 1.0), el("m{a=\"2\"}", 2.1)]);
        assert!(compare_result(&cmd, GRID, &wrong).is_err());
        let empty = eval("eval instant at 0 m\n");
        assert_eq!(compare_result(&empty, GRID, &QueryValue::Vector(vec![])), Ok(()));
        assert!(compare_result(&empty, GRID, &QueryValue::Scalar { t: 0, v: 1.0 }).is_err());
    }

    #[test]
    fn scalars_and_strings() {
        let cmd = eval("eval instant at 0 1\n  NaN\n");
        assert_eq!(
            compare_result(&cmd, GRID, &QueryValue::Scalar { t: 0, v: f64::NAN }),
            Ok(())
        );
        assert!(compare_result(&cmd, GRID, &QueryValue::Vector(vec![])).is_err());
        let s = eval("eval instant at 0 \"a\"\n  expect string \"a\"\n");
        let got = |v: &str| QueryValue::String { t: 0, v: v.into() };
        assert_eq!(compare_result(&s, GRID, &got("a")), Ok(()));
        assert!(compare_result(&s, GRID, &got("b")).is_err());
    }

    #[test]
    fn matrices_per_step_with_gaps() {
        let cmd = eval("eval range from 0 to 2m step 1m m\n  m 1 _ 3\n");
        let grid = Grid {
            start: 0,
            end: 120_000,
            step: 60_000,
        };
        let series = |pts: &[(i64, f64)]| MatrixSeries {
            labels: el("m", 0.0).labels,
            floats: pts.iter().map(|&(t, f)| FPoint { t, f }).collect(),
            histograms: vec![],
        };
        let good = QueryValue::Matrix(vec![series(&[(0, 1.0), (120_000, 3.0)])]);
        assert_eq!(compare_result(&cmd, grid, &good), Ok(()));
        let shifted = QueryValue::Matrix(vec![series(&[(0, 1.0), (60_000, 3.0)])]);
        assert!(compare_result(&cmd, grid, &shifted).unwrap_err().contains("timestamp"));
        let short = QueryValue::Matrix(vec![series(&[(0, 1.0)])]);
        assert!(compare_result(&cmd, grid, &short).is_err());
        let mut b = series(&[]);
        b.labels = el("a", 0.0).labels;
        let unsorted = QueryValue::Matrix(vec![series(&[(0, 1.0), (120_000, 3.0)]), b]);
        assert!(compare_result(&cmd, grid, &unsorted).unwrap_err().contains("sorted"));
        let too_many = eval("eval range from 0 to 1m step 1m m\n  m 1 2 3\n");
        let g2 = Grid { end: 60_000, ..grid };
        assert!(
            compare_result(&too_many, g2, &good)
                .unwrap_err()
                .contains("cannot return")
        );
    }

    #[test]
    fn histograms_compare_compacted_and_hint_only_when_written() {
        let cmd = eval("eval instant at 0 h\n  h {{count:2 sum:3 buckets:[0 1 1]}}\n");
        let (got, _) = crate::histogram::parse_description(
            "count:2 sum:3.0000001 buckets:[1 1] offset:1 counter_reset_hint:gauge",
        )
        .unwrap();
        let mut e = el("h", 0.0);
        e.histogram = Some(Arc::new(got.clone()));
        assert_eq!(compare_result(&cmd, GRID, &QueryValue::Vector(vec![e.clone()])), Ok(()));
        let hinted = eval("eval instant at 0 h\n  h {{count:2 sum:3 buckets:[0 1 1] counter_reset_hint:reset}}\n");
        assert!(compare_result(&hinted, GRID, &QueryValue::Vector(vec![e.clone()])).is_err());
        let float_expected = eval("eval instant at 0 h\n  h 2\n");
        assert!(compare_result(&float_expected, GRID, &QueryValue::Vector(vec![e])).is_err());
        let range = eval("eval range from 0 to 1m step 1m h\n  h _ {{count:2 sum:3 buckets:[0 1 1]}}\n");
        let m = MatrixSeries {
            labels: el("h", 0.0).labels,
            floats: vec![],
            histograms: vec![HPoint {
                t: 60_000,
                h: Arc::new(got),
            }],
        };
        let grid = Grid {
            start: 0,
            end: 60_000,
            step: 60_000,
        };
        assert_eq!(compare_result(&range, grid, &QueryValue::Matrix(vec![m])), Ok(()));
    }
}
