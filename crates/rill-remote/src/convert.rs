//! Conversions between the protobuf messages and `rill_model` types: labels, matchers,
//! float samples and native histograms (integer histograms arrive as bucket deltas and are
//! turned into absolute float counts; histograms leave as float histograms).

use rill_model::{CounterResetHint, FloatHistogram, Labels, MatchOp, Matcher, Span};

use crate::error::{Error, Result};
use crate::{proto, proto_v2};

/// Builds a label set from protobuf labels. Duplicate names are rejected (Prometheus answers
/// 400 for them); labels with empty values are dropped, as in Prometheus's label sets.
pub fn labels_from_proto(labels: &[proto::Label]) -> Result<Labels> {
    let pairs: Vec<(&str, &str)> = labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
    labels_from_pairs(&pairs)
}

/// Builds a label set from remote write 2.0 label references into `symbols` (name, value,
/// name, value...), with the checks of [`labels_from_proto`].
pub fn labels_from_refs(refs: &[u32], symbols: &[String]) -> Result<Labels> {
    if !refs.len().is_multiple_of(2) {
        return Err(Error::Invalid(format!(
            "odd number of label references ({}): they must come in name/value pairs",
            refs.len()
        )));
    }
    let names = refs.iter().step_by(2);
    let values = refs.iter().skip(1).step_by(2);
    let pairs = names
        .zip(values)
        .map(|(&n, &v)| Ok((proto_v2::symbol(symbols, n)?, proto_v2::symbol(symbols, v)?)))
        .collect::<Result<Vec<_>>>()?;
    labels_from_pairs(&pairs)
}

/// The label set of name/value pairs; duplicate and empty names are rejected.
fn labels_from_pairs(pairs: &[(&str, &str)]) -> Result<Labels> {
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        let shown = Labels::from_pairs(pairs.iter().copied());
        return Err(Error::Invalid(format!(
            "invalid labels for series, labels {shown}, duplicated label {}",
            w[0]
        )));
    }
    if let Some((n, v)) = pairs.iter().find(|(n, _)| n.is_empty()) {
        return Err(Error::Invalid(format!("invalid label name {n:?} with value {v:?}")));
    }
    Ok(Labels::from_pairs(pairs.iter().copied()))
}

/// Protobuf labels of a label set, in its (sorted) order.
pub fn labels_to_proto(labels: &Labels) -> Vec<proto::Label> {
    labels
        .iter()
        .map(|l| proto::Label {
            name: l.name.to_string(),
            value: l.value.to_string(),
        })
        .collect()
}

/// Compiles remote-read matchers.
pub fn matchers_from_proto(matchers: &[proto::LabelMatcher]) -> Result<Vec<Matcher>> {
    matchers
        .iter()
        .map(|m| {
            let op = match proto::MatcherType::try_from(m.r#type) {
                Ok(proto::MatcherType::Eq) => MatchOp::Equal,
                Ok(proto::MatcherType::Neq) => MatchOp::NotEqual,
                Ok(proto::MatcherType::Re) => MatchOp::Regex,
                Ok(proto::MatcherType::Nre) => MatchOp::NotRegex,
                Err(_) => return Err(Error::Invalid(format!("invalid matcher type {}", m.r#type))),
            };
            Matcher::new(op, m.name.as_str(), m.value.as_str()).map_err(|e| Error::Invalid(e.to_string()))
        })
        .collect()
}

/// Protobuf matchers for a list of matchers (used by remote-read clients and tests).
pub fn matchers_to_proto(matchers: &[Matcher]) -> Vec<proto::LabelMatcher> {
    matchers
        .iter()
        .map(|m| proto::LabelMatcher {
            r#type: match m.op {
                MatchOp::Equal => proto::MatcherType::Eq,
                MatchOp::NotEqual => proto::MatcherType::Neq,
                MatchOp::Regex => proto::MatcherType::Re,
                MatchOp::NotRegex => proto::MatcherType::Nre,
            } as i32,
            name: m.name.to_string(),
            value: m.value.to_string(),
        })
        .collect()
}

fn spans_from_proto(spans: &[proto::BucketSpan]) -> Vec<Span> {
    spans
        .iter()
        .map(|s| Span {
            offset: s.offset,
            length: s.length,
        })
        .collect()
}

fn spans_to_proto(spans: &[Span]) -> Vec<proto::BucketSpan> {
    spans
        .iter()
        .map(|s| proto::BucketSpan {
            offset: s.offset,
            length: s.length,
        })
        .collect()
}

/// Absolute counts from Prometheus's delta encoding (first absolute, then differences).
fn deltas_to_counts(deltas: &[i64]) -> Vec<f64> {
    let mut acc = 0i64;
    deltas
        .iter()
        .map(|d| {
            acc = acc.wrapping_add(*d);
            acc as f64
        })
        .collect()
}

fn check_buckets(spans: &[Span], counts: usize, side: &str) -> Result<()> {
    let want: u64 = spans.iter().map(|s| u64::from(s.length)).sum();
    if want != counts as u64 {
        return Err(Error::Invalid(format!(
            "histogram spans need {want} {side} buckets, have {counts}"
        )));
    }
    Ok(())
}

/// A float histogram from a protobuf histogram (integer or float form).
pub fn histogram_from_proto(h: &proto::Histogram) -> Result<FloatHistogram> {
    let is_int = !matches!(h.count, Some(proto::HistogramCount::CountFloat(_)));
    let count = match h.count {
        Some(proto::HistogramCount::CountInt(c)) => c as f64,
        Some(proto::HistogramCount::CountFloat(c)) => c,
        None => 0.0,
    };
    let zero_count = match h.zero_count {
        Some(proto::HistogramZeroCount::ZeroCountInt(c)) => c as f64,
        Some(proto::HistogramZeroCount::ZeroCountFloat(c)) => c,
        None => 0.0,
    };
    let (positive_buckets, negative_buckets) = if is_int {
        (
            deltas_to_counts(&h.positive_deltas),
            deltas_to_counts(&h.negative_deltas),
        )
    } else {
        (h.positive_counts.clone(), h.negative_counts.clone())
    };
    let fh = FloatHistogram {
        counter_reset_hint: match proto::ResetHint::try_from(h.reset_hint) {
            Ok(proto::ResetHint::Yes) => CounterResetHint::CounterReset,
            Ok(proto::ResetHint::No) => CounterResetHint::NotCounterReset,
            Ok(proto::ResetHint::Gauge) => CounterResetHint::Gauge,
            _ => CounterResetHint::Unknown,
        },
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count,
        count,
        sum: h.sum,
        positive_spans: spans_from_proto(&h.positive_spans),
        negative_spans: spans_from_proto(&h.negative_spans),
        positive_buckets,
        negative_buckets,
        custom_values: h.custom_values.clone(),
    };
    if !rill_model::histogram::schema::is_valid_schema(fh.schema) {
        return Err(Error::Invalid(format!("histogram has invalid schema {}", fh.schema)));
    }
    check_buckets(&fh.positive_spans, fh.positive_buckets.len(), "positive")?;
    check_buckets(&fh.negative_spans, fh.negative_buckets.len(), "negative")?;
    Ok(fh)
}

/// A protobuf float histogram at `t` (ms).
pub fn histogram_to_proto(t: i64, h: &FloatHistogram) -> proto::Histogram {
    proto::Histogram {
        count: Some(proto::HistogramCount::CountFloat(h.count)),
        sum: h.sum,
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: Some(proto::HistogramZeroCount::ZeroCountFloat(h.zero_count)),
        negative_spans: spans_to_proto(&h.negative_spans),
        negative_deltas: Vec::new(),
        negative_counts: h.negative_buckets.clone(),
        positive_spans: spans_to_proto(&h.positive_spans),
        positive_deltas: Vec::new(),
        positive_counts: h.positive_buckets.clone(),
        reset_hint: match h.counter_reset_hint {
            CounterResetHint::Unknown => proto::ResetHint::Unknown,
            CounterResetHint::CounterReset => proto::ResetHint::Yes,
            CounterResetHint::NotCounterReset => proto::ResetHint::No,
            CounterResetHint::Gauge => proto::ResetHint::Gauge,
        } as i32,
        timestamp: t,
        custom_values: h.custom_values.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(n: &str, v: &str) -> proto::Label {
        proto::Label {
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn labels_from_symbol_references() {
        let symbols: Vec<String> = ["", "__name__", "up", "job", "api", "zone"].map(String::from).to_vec();
        let l = labels_from_refs(&[1, 2, 3, 4, 5, 0], &symbols).unwrap();
        assert_eq!(l.to_string(), "up{job=\"api\"}");
        let odd = labels_from_refs(&[1, 2, 3], &symbols).unwrap_err().to_string();
        assert!(odd.contains("odd number of label references (3)"), "{odd}");
        let out = labels_from_refs(&[1, 9], &symbols).unwrap_err().to_string();
        assert_eq!(out, "symbol reference 9 outside of the symbols table (size 6)");
        let dup = labels_from_refs(&[3, 4, 3, 2], &symbols).unwrap_err().to_string();
        assert!(dup.contains("duplicated label job"), "{dup}");
        assert!(labels_from_refs(&[0, 2], &symbols).is_err(), "empty label name");
    }

    #[test]
    fn labels_sorted_and_duplicates_rejected() {
        let l = labels_from_proto(&[label("job", "a"), label("__name__", "up"), label("empty", "")]).unwrap();
        assert_eq!(l.to_string(), r#"up{job="a"}"#);
        assert_eq!(labels_to_proto(&l), vec![label("__name__", "up"), label("job", "a")]);
        let err = labels_from_proto(&[label("a", "1"), label("a", "2")]).unwrap_err();
        assert!(err.to_string().contains("duplicated label a"), "{err}");
    }

    #[test]
    fn matchers_round_trip() {
        let ms = vec![
            Matcher::new(MatchOp::Regex, "job", "a|b").unwrap(),
            Matcher::new(MatchOp::NotEqual, "x", "y").unwrap(),
        ];
        let back = matchers_from_proto(&matchers_to_proto(&ms)).unwrap();
        assert_eq!(back, ms);
        let bad = proto::LabelMatcher {
            r#type: 2,
            name: "a".into(),
            value: "(".into(),
        };
        assert!(matchers_from_proto(&[bad]).is_err());
    }

    #[test]
    fn integer_histogram_deltas_become_counts() {
        let h = proto::Histogram {
            count: Some(proto::HistogramCount::CountInt(9)),
            zero_count: Some(proto::HistogramZeroCount::ZeroCountInt(1)),
            sum: 12.5,
            schema: 1,
            zero_threshold: 0.001,
            positive_spans: vec![proto::BucketSpan { offset: 0, length: 3 }],
            positive_deltas: vec![2, 1, -1],
            negative_spans: vec![proto::BucketSpan { offset: 1, length: 1 }],
            negative_deltas: vec![3],
            reset_hint: proto::ResetHint::No as i32,
            ..Default::default()
        };
        let fh = histogram_from_proto(&h).unwrap();
        assert_eq!(fh.positive_buckets, vec![2.0, 3.0, 2.0]);
        assert_eq!(fh.negative_buckets, vec![3.0]);
        assert_eq!((fh.count, fh.zero_count), (9.0, 1.0));
        assert_eq!(fh.counter_reset_hint, CounterResetHint::NotCounterReset);
        let back = histogram_from_proto(&histogram_to_proto(5, &fh)).unwrap();
        assert_eq!(back, fh);
        let broken = proto::Histogram {
            positive_deltas: vec![1],
            ..h
        };
        assert!(histogram_from_proto(&broken).is_err());
    }
}
