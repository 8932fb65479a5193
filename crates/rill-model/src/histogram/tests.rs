//! Unit and property tests for native-histogram operations, with hand-computed expectations.

use proptest::prelude::*;

use super::*;

fn sp(spans: &[(i32, u32)]) -> Vec<Span> {
    spans.iter().map(|&(offset, length)| Span { offset, length }).collect()
}

/// An exponential histogram with positive buckets only.
fn exp(schema: i32, spans: &[(i32, u32)], buckets: &[f64]) -> FloatHistogram {
    let count = buckets.iter().sum();
    FloatHistogram {
        schema,
        count,
        sum: count,
        positive_spans: sp(spans),
        positive_buckets: buckets.to_vec(),
        ..Default::default()
    }
}

/// A custom-bucket histogram with buckets `0..buckets.len()`.
fn nhcb(bounds: &[f64], buckets: &[f64]) -> FloatHistogram {
    let len = u32::try_from(buckets.len()).unwrap_or(0);
    FloatHistogram {
        schema: CUSTOM_BUCKETS_SCHEMA,
        custom_values: bounds.to_vec(),
        ..exp(0, &[(0, len)], buckets)
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn add_merges_layouts() {
    let mut a = exp(0, &[(0, 2)], &[1.0, 2.0]);
    let info = a.add(&exp(0, &[(1, 2)], &[3.0, 4.0])).unwrap_or_default();
    assert_eq!(info, CombineInfo::default());
    assert_eq!(a.positive_spans, sp(&[(0, 3)]));
    assert_eq!(a.positive_buckets, vec![1.0, 5.0, 4.0]);
    assert_eq!(a.count, 10.0);
}

#[test]
fn add_keeps_gaps_as_separate_spans() {
    let mut a = exp(0, &[(0, 1)], &[1.0]);
    assert!(a.add(&exp(0, &[(3, 1)], &[2.0])).is_ok());
    assert_eq!(a.positive_spans, sp(&[(0, 1), (2, 1)]));
    assert_eq!(a.positive_buckets, vec![1.0, 2.0]);
}

#[test]
fn add_reduces_to_the_lower_schema() {
    // Schema 1 buckets 1..=4 fold pairwise into schema 0 buckets 1 and 2.
    let mut a = exp(1, &[(1, 4)], &[1.0, 1.0, 1.0, 1.0]);
    assert!(a.add(&exp(0, &[(1, 1)], &[10.0])).is_ok());
    assert_eq!(a.schema, 0);
    assert_eq!(a.positive_spans, sp(&[(1, 2)]));
    assert_eq!(a.positive_buckets, vec![12.0, 2.0]);
    // The other way round the receiver keeps its lower schema.
    let mut b = exp(0, &[(1, 1)], &[10.0]);
    assert!(b.add(&exp(1, &[(1, 4)], &[1.0, 1.0, 1.0, 1.0])).is_ok());
    assert_eq!((b.schema, b.positive_buckets.clone()), (0, vec![12.0, 2.0]));
}

#[test]
fn add_widens_the_zero_bucket() {
    // (0.5,1] lies inside the other histogram's zero bucket [-1,1] and is merged into it.
    let mut a = exp(0, &[(0, 2)], &[3.0, 4.0]);
    let b = FloatHistogram {
        zero_threshold: 1.0,
        zero_count: 2.0,
        count: 2.0,
        ..Default::default()
    };
    assert!(a.add(&b).is_ok());
    assert_eq!((a.zero_threshold, a.zero_count), (1.0, 5.0));
    assert_eq!(a.positive_spans, sp(&[(1, 1)]));
    assert_eq!(a.positive_buckets, vec![4.0]);
}

#[test]
fn zero_threshold_moves_out_of_populated_buckets() {
    // A threshold of 0.7 cuts (0.5,1]; it moves up to 1 and takes the bucket along.
    let h = FloatHistogram {
        zero_count: 1.0,
        ..exp(0, &[(0, 2)], &[3.0, 4.0])
    };
    assert_eq!(h.zero_count_for_larger_threshold(0.7), (4.0, 1.0));
    // An empty bucket does not move it.
    let h = exp(0, &[(0, 2)], &[0.0, 4.0]);
    assert_eq!(h.zero_count_for_larger_threshold(0.7), (0.0, 0.7));
}

#[test]
fn sub_subtracts_and_keeps_hint_rules() {
    let mut a = exp(0, &[(0, 2)], &[5.0, 5.0]);
    a.counter_reset_hint = CounterResetHint::CounterReset;
    let mut b = exp(0, &[(1, 1)], &[2.0]);
    b.counter_reset_hint = CounterResetHint::NotCounterReset;
    let info = a.sub(&b).unwrap_or_default();
    assert!(info.counter_reset_collision);
    assert_eq!(a.counter_reset_hint, CounterResetHint::Unknown);
    assert_eq!(a.positive_buckets, vec![5.0, 3.0]);
    assert_eq!(a.count, 8.0);
}

#[test]
fn mixing_custom_and_exponential_fails_without_change() {
    let mut a = exp(0, &[(0, 1)], &[1.0]);
    let before = a.clone();
    assert_eq!(
        a.add(&nhcb(&[1.0], &[1.0, 1.0])),
        Err(HistogramError::IncompatibleSchema)
    );
    assert_eq!(a, before);
    assert_eq!(
        HistogramError::IncompatibleSchema.to_string(),
        "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
    );
}

#[test]
fn custom_buckets_with_equal_bounds_add_directly() {
    let mut a = nhcb(&[1.0, 2.0], &[1.0, 2.0, 3.0]);
    let info = a.add(&nhcb(&[1.0, 2.0], &[1.0, 1.0, 1.0])).unwrap_or_default();
    assert!(!info.nhcb_bounds_reconciled);
    assert_eq!(a.positive_buckets, vec![2.0, 3.0, 4.0]);
}

#[test]
fn mismatched_custom_buckets_are_reconciled() {
    let mut a = nhcb(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]);
    let info = a.add(&nhcb(&[1.0, 3.0], &[10.0, 20.0, 30.0])).unwrap_or_default();
    assert!(info.nhcb_bounds_reconciled);
    assert_eq!(a.custom_values, vec![1.0, 3.0]);
    assert_eq!(a.positive_spans, sp(&[(0, 3)]));
    assert_eq!(a.positive_buckets, vec![11.0, 25.0, 34.0]);
}

#[test]
fn invalid_spans_are_errors() {
    let mut a = exp(0, &[(0, 1)], &[1.0]);
    let bad = exp(0, &[(0, 3)], &[1.0]);
    assert_eq!(
        a.add(&bad),
        Err(HistogramError::SpansBucketsMismatch { needed: 3, have: 1 })
    );
    let bad = exp(0, &[(0, 1), (-2, 1)], &[1.0, 1.0]);
    assert_eq!(
        a.sub(&bad),
        Err(HistogramError::SpanNegativeOffset { span: 2, offset: -2 })
    );
    assert_eq!(a.add(&exp(12, &[], &[])), Err(HistogramError::InvalidSchema(12)));
    assert!(bad.validate().is_err());
    assert!(a.validate().is_ok());
}

#[test]
fn scaling_and_division_by_zero() {
    let mut h = exp(0, &[(0, 2)], &[1.0, 3.0]);
    h.mul(2.0);
    assert_eq!((h.count, h.positive_buckets.clone()), (8.0, vec![2.0, 6.0]));
    assert_eq!(h.counter_reset_hint, CounterResetHint::Unknown);
    h.negate();
    assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
    assert_eq!(h.positive_buckets, vec![-2.0, -6.0]);
    let mut z = exp(0, &[(0, 2)], &[1.0, 3.0]);
    z.div(0.0);
    assert_eq!(z.count, f64::INFINITY);
    assert!(z.positive_buckets.is_empty() && z.positive_spans.is_empty());
    let mut e = FloatHistogram::default();
    e.div(0.0);
    assert!(e.count.is_nan());
}

#[test]
fn compact_drops_and_keeps_empty_buckets() {
    let mut h = exp(0, &[(0, 4)], &[0.0, 1.0, 0.0, 2.0]);
    h.compact(0);
    assert_eq!(
        (h.positive_spans.clone(), h.positive_buckets.clone()),
        (sp(&[(1, 1), (1, 1)]), vec![1.0, 2.0])
    );
    h.compact(1);
    assert_eq!(
        (h.positive_spans.clone(), h.positive_buckets.clone()),
        (sp(&[(1, 3)]), vec![1.0, 0.0, 2.0])
    );
    let mut z = exp(0, &[(0, 0), (2, 1), (0, 1)], &[1.0, 2.0]);
    z.compact(0);
    assert_eq!(z.positive_spans, sp(&[(2, 2)]));
}

#[test]
fn reduce_resolution_and_copy_to_schema() {
    let mut h = exp(2, &[(-1, 6)], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let copy = h.copy_to_schema(0).unwrap_or_default();
    assert!(h.reduce_resolution(0).is_ok());
    // Schema 2 indexes -1..=4 map to schema 0 indexes 0, 0, 1, 1, 1, 1.
    assert_eq!(
        (h.positive_spans.clone(), h.positive_buckets.clone()),
        (sp(&[(0, 2)]), vec![3.0, 18.0])
    );
    assert_eq!(copy.positive_buckets, h.positive_buckets);
    assert!(h.reduce_resolution(1).is_err());
    assert!(nhcb(&[1.0], &[1.0]).copy_to_schema(0).is_err());
}

#[test]
fn detect_reset_cases() {
    let prev = exp(0, &[(0, 2)], &[1.0, 2.0]);
    assert!(!exp(0, &[(0, 3)], &[1.0, 2.0, 5.0]).detect_reset(&prev));
    assert!(exp(0, &[(0, 2)], &[2.0, 1.0]).detect_reset(&prev));
    assert!(exp(0, &[(1, 1)], &[5.0]).detect_reset(&prev), "bucket 0 disappeared");
    assert!(exp(1, &[(0, 2)], &[1.0, 2.0]).detect_reset(&prev), "higher schema");
    // A lower schema compares merged buckets: schema -1 bucket (1,4] = schema 0 buckets (1,2] and (2,4].
    assert!(!exp(-1, &[(0, 2)], &[1.0, 2.0]).detect_reset(&prev));
    // Widened zero bucket swallowing (0.5,1] with enough zero count.
    let widened = FloatHistogram {
        zero_threshold: 1.0,
        zero_count: 1.0,
        count: 3.0,
        ..exp(0, &[(1, 1)], &[2.0])
    };
    assert!(!widened.detect_reset(&prev));
    let mut hinted = exp(0, &[], &[]);
    hinted.counter_reset_hint = CounterResetHint::NotCounterReset;
    assert!(!hinted.detect_reset(&prev));
    // Custom buckets with different bounds compare per common range.
    let p = nhcb(&[1.0, 2.0], &[1.0, 1.0, 1.0]);
    assert!(!nhcb(&[1.0], &[1.0, 2.0]).detect_reset(&p));
    assert!(nhcb(&[1.0], &[0.0, 3.0]).detect_reset(&p));
    assert!(
        nhcb(&[1.0], &[1.0, 2.0]).detect_reset(&prev),
        "switch to custom buckets"
    );
}

#[test]
fn counter_reset_hints() {
    use CounterResetHint::*;
    assert!(CounterReset.conflicts_with(NotCounterReset));
    assert!(!CounterReset.conflicts_with(Unknown));
    assert_eq!(Gauge.combine(CounterReset), (Gauge, false));
    assert_eq!(NotCounterReset.combine(Unknown), (Unknown, false));
    assert_eq!(NotCounterReset.combine(CounterReset), (Unknown, true));
}

#[test]
fn equals_ignores_span_splits_and_matches_nan_sums() {
    let mut a = exp(0, &[(0, 2)], &[1.0, 2.0]);
    let mut b = exp(0, &[(0, 1), (0, 0), (0, 1)], &[1.0, 2.0]);
    assert!(a.equals(&b));
    a.sum = f64::NAN;
    b.sum = f64::NAN;
    assert!(a.equals(&b));
    assert!(!a.equals(&exp(0, &[(0, 3)], &[1.0, 2.0, 0.0])));
}

#[test]
fn quantile_exponential_zero_and_custom() {
    let h = exp(0, &[(1, 2)], &[2.0, 2.0]);
    assert!(close(h.quantile(0.25), std::f64::consts::SQRT_2));
    assert!(close(h.quantile(0.5), 2.0));
    assert!(close(h.quantile(0.75), 2.0 * std::f64::consts::SQRT_2));
    assert_eq!(h.quantile(-0.1), f64::NEG_INFINITY);
    assert_eq!(h.quantile(1.1), f64::INFINITY);
    assert!(h.quantile(f64::NAN).is_nan());
    assert!(FloatHistogram::default().quantile(0.5).is_nan());
    // Zero bucket with positive buckets only: linear from 0.
    let z = FloatHistogram {
        zero_threshold: 1.0,
        zero_count: 2.0,
        ..exp(0, &[(1, 1)], &[2.0])
    };
    let z = FloatHistogram { count: 4.0, ..z };
    assert!(close(z.quantile(0.25), 0.5));
    // Negative buckets mirror: (-2,-1] holds everything.
    let n = FloatHistogram {
        count: 2.0,
        negative_spans: sp(&[(1, 1)]),
        negative_buckets: vec![2.0],
        ..Default::default()
    };
    assert!(close(n.quantile(0.5), -std::f64::consts::SQRT_2));
    // Custom buckets interpolate linearly; first bucket starts at 0, +Inf bucket gives its lower bound.
    let c = nhcb(&[1.0, 5.0], &[2.0, 2.0, 0.0]);
    assert!(close(c.quantile(0.25), 0.5));
    assert!(close(c.quantile(0.75), 3.0));
    assert_eq!(nhcb(&[1.0, 5.0], &[0.0, 0.0, 3.0]).quantile(0.9), 5.0);
}

#[test]
fn fraction_exponential_and_custom() {
    let h = exp(0, &[(1, 2)], &[2.0, 2.0]);
    assert!(close(h.fraction(0.0, 2.0), 0.5));
    assert!(close(h.fraction(1.5, 3.0), 0.5));
    assert_eq!(h.fraction(3.0, 1.0), 0.0);
    assert!(h.fraction(f64::NAN, 1.0).is_nan());
    assert!(close(h.fraction(f64::NEG_INFINITY, f64::INFINITY), 1.0));
    let c = nhcb(&[1.0, 5.0], &[2.0, 2.0, 0.0]);
    assert!(close(c.fraction(0.0, 3.0), 0.75));
    // A lower bound inside the (-Inf, -3] bucket: that bucket counts as entirely below it.
    let neg = nhcb(&[-3.0, -2.0, -1.0], &[10.0, 2.0, 3.0, 85.0]);
    assert!(close(neg.fraction(-4.0, -2.0), 0.02));
}

#[test]
fn variance_uses_bucket_means() {
    let h = FloatHistogram {
        sum: 6.0,
        ..exp(0, &[(1, 2)], &[2.0, 2.0])
    };
    let (g1, g2) = (2f64.sqrt(), 8f64.sqrt());
    let expected = (2.0 * (g1 - 1.5).powi(2) + 2.0 * (g2 - 1.5).powi(2)) / 4.0;
    assert!(close(h.stdvar(), expected));
    assert!(close(h.stddev(), expected.sqrt()));
    assert_eq!(h.avg(), 1.5);
    let c = FloatHistogram {
        sum: 8.0,
        ..nhcb(&[1.0, 5.0], &[0.0, 4.0])
    };
    assert!(close(c.stdvar(), 1.0), "all at midpoint 3, mean 2");
}

#[test]
fn display_uses_promqltest_notation() {
    let h = FloatHistogram {
        schema: 1,
        zero_threshold: 0.001,
        zero_count: 1.0,
        sum: 5.0,
        negative_spans: sp(&[(0, 1), (1, 1)]),
        negative_buckets: vec![1.0, 2.0],
        counter_reset_hint: CounterResetHint::Gauge,
        ..exp(1, &[(1, 2)], &[1.0, 2.0])
    };
    let h = FloatHistogram { count: 7.0, ..h };
    assert_eq!(
        h.to_string(),
        "{{schema:1 count:7 sum:5 z_bucket:1 z_bucket_w:0.001 counter_reset_hint:gauge offset:1 buckets:[1 2] n_buckets:[1 0 2]}}"
    );
    assert_eq!(
        nhcb(&[1.0, 2.5], &[1.0]).to_string(),
        "{{schema:-53 count:1 sum:1 custom_values:[1 2.5] buckets:[1]}}"
    );
    assert_eq!(FloatHistogram::default().to_string(), "{{}}");
    assert_eq!(format_g(1e6), "1e+06");
    assert_eq!(format_g(123456.0), "123456");
    assert_eq!(format_g(0.00001234), "1.234e-05");
    assert_eq!(format_g(f64::INFINITY), "+Inf");
}

#[test]
fn json_buckets_have_boundary_rules() {
    let h = FloatHistogram {
        zero_threshold: 0.5,
        zero_count: 1.0,
        negative_spans: sp(&[(0, 1)]),
        negative_buckets: vec![2.0],
        ..exp(0, &[(0, 2)], &[0.0, 3.0])
    };
    let got: Vec<(u8, f64, f64, f64)> = h
        .json_buckets()
        .map(|b| (b.boundary_rule, b.lower, b.upper, b.count))
        .collect();
    assert_eq!(got, vec![(1, -1.0, -0.5, 2.0), (3, -0.5, 0.5, 1.0), (0, 1.0, 2.0, 3.0)]);
    let c: Vec<u8> = nhcb(&[1.0], &[1.0, 1.0])
        .json_buckets()
        .map(|b| b.boundary_rule)
        .collect();
    assert_eq!(c, vec![3, 0]);
}

/// A histogram with any spans (possibly inconsistent) and any schema.
fn arb_any() -> impl Strategy<Value = FloatHistogram> {
    (
        prop_oneof![-6i32..=10, Just(CUSTOM_BUCKETS_SCHEMA)],
        prop::collection::vec((-4i32..6, 0u32..4), 0..4),
        prop::collection::vec(0u8..6, 0..12),
        prop_oneof![Just(0.0), Just(0.001), Just(0.7), Just(1.0), Just(f64::NAN)],
        prop::collection::vec(-2.0f64..20.0, 0..4),
    )
        .prop_map(|(schema, spans, buckets, zt, mut custom)| {
            custom.sort_by(f64::total_cmp);
            let buckets: Vec<f64> = buckets.into_iter().map(f64::from).collect();
            FloatHistogram {
                schema,
                zero_threshold: zt,
                count: buckets.iter().sum(),
                positive_spans: sp(&spans),
                negative_buckets: buckets.iter().rev().copied().collect(),
                negative_spans: sp(&spans),
                positive_buckets: buckets,
                custom_values: custom,
                ..Default::default()
            }
        })
}

/// A valid exponential histogram with zero threshold 0 and integer counts.
fn arb_exp(schema: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = FloatHistogram> {
    (
        schema,
        -5i32..5,
        prop::collection::vec((0i32..4, 1u32..4), 0..4),
        prop::collection::vec(0u8..9, 24),
    )
        .prop_map(|(schema, first, spans, pool)| {
            let mut spans = sp(&spans);
            if let Some(s) = spans.first_mut() {
                s.offset = first;
            }
            let n: usize = spans.iter().map(|s| s.length as usize).sum();
            let buckets: Vec<f64> = pool.iter().take(n).map(|&c| f64::from(c)).collect();
            let mut h = exp(schema, &[], &[]);
            h.negative_buckets = buckets.iter().rev().copied().collect();
            h.negative_spans = spans.clone();
            h.positive_spans = spans;
            h.positive_buckets = buckets;
            h.count = 2.0 * h.positive_buckets.iter().sum::<f64>();
            h
        })
}

fn total(h: &FloatHistogram) -> f64 {
    h.zero_count + h.positive_buckets.iter().sum::<f64>() + h.negative_buckets.iter().sum::<f64>()
}

/// Counts per index of one side, without empty buckets.
fn populated(spans: &[Span], buckets: &[f64]) -> Vec<(i64, f64)> {
    iter::SparseIter::new(spans, buckets)
        .filter(|&(_, c)| c != 0.0)
        .collect()
}

proptest! {
    #[test]
    fn no_panics_on_arbitrary_input(a in arb_any(), b in arb_any(), q in -0.5f64..1.5) {
        let mut sum = a.clone();
        let added = sum.add(&b);
        if a.check_operand().is_err() || b.check_operand().is_err() {
            prop_assert!(added.is_err());
        }
        let mut diff = a.clone();
        let _ = diff.sub(&b);
        let _ = (a.detect_reset(&b), a.equals(&b), a.quantile(q), a.fraction(q, 1.0), a.stdvar());
        let _ = (a.to_string(), a.json_buckets().count(), a.validate(), a.copy_to_schema(-4));
        let mut c = a.clone();
        c.compact(2);
        c.div(0.0);
    }

    #[test]
    fn add_then_sub_restores(a in arb_exp(0..=0), b in arb_exp(0..=0)) {
        let mut r = a.clone();
        prop_assert!(r.add(&b).is_ok());
        prop_assert!(r.sub(&b).is_ok());
        prop_assert_eq!(r.count, a.count);
        prop_assert_eq!(populated(&r.positive_spans, &r.positive_buckets), populated(&a.positive_spans, &a.positive_buckets));
        prop_assert_eq!(populated(&r.negative_spans, &r.negative_buckets), populated(&a.negative_spans, &a.negative_buckets));
    }

    #[test]
    fn add_preserves_bucket_totals(a in arb_exp(-4..=8), b in arb_exp(-4..=8)) {
        let mut r = a.clone();
        prop_assert!(r.add(&b).is_ok());
        prop_assert_eq!(r.schema, a.schema.min(b.schema));
        prop_assert_eq!(total(&r), total(&a) + total(&b));
        prop_assert!(r.validate().is_ok());
    }

    #[test]
    fn compact_keeps_populated_buckets(a in arb_exp(-4..=8), max in 0usize..3) {
        let mut c = a.clone();
        c.compact(max);
        prop_assert_eq!(populated(&c.positive_spans, &c.positive_buckets), populated(&a.positive_spans, &a.positive_buckets));
        prop_assert!(c.validate().is_ok());
        if max == 0 {
            prop_assert!(c.positive_buckets.iter().all(|&b| b != 0.0));
        }
    }

    #[test]
    fn reduced_histograms_are_not_resets(a in arb_exp(1..=8)) {
        let lower = a.copy_to_schema(a.schema - 1);
        prop_assert!(lower.is_ok());
        let lower = lower.unwrap_or_default();
        prop_assert_eq!(total(&lower), total(&a));
        prop_assert!(!lower.detect_reset(&a));
    }
}
