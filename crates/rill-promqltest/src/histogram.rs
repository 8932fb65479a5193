//! Native histograms in scripts: the `{{key:value ...}}` description, the field-wise
//! arithmetic of `{{a}}+{{b}}xN`, compaction (as Prometheus's `Compact`), and the
//! description printer used in failure messages.

use std::collections::BTreeMap;
use std::fmt::Write;

use rill_model::{CounterResetHint, FloatHistogram, Span};
use rill_promql::go_float;

use crate::number::parse_float;

/// Parses the inside of `{{...}}` (without the braces). Returns the histogram and whether
/// `counter_reset_hint` was given.
pub(crate) fn parse_description(body: &str) -> Result<(FloatHistogram, bool), String> {
    let mut h = FloatHistogram::default();
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let (mut offset, mut n_offset) = (0i32, 0i32);
    let mut hint_set = false;
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (key, after) = rest
            .split_once(':')
            .ok_or_else(|| format!("invalid histogram description {body:?}: expected key:value"))?;
        let key = key.trim();
        let after = after.trim_start();
        let (value, next) = if let Some(list) = after.strip_prefix('[') {
            let (inner, next) = list
                .split_once(']')
                .ok_or_else(|| format!("unterminated list in histogram description {body:?}"))?;
            (inner, next)
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        let float = |v: &str| parse_float(v).ok_or_else(|| format!("invalid value {v:?} for {key} in histogram"));
        let int = |v: &str| {
            v.parse::<i32>()
                .map_err(|_| format!("invalid value {v:?} for {key} in histogram"))
        };
        let list = |v: &str| v.split_whitespace().map(float).collect::<Result<Vec<f64>, String>>();
        match key {
            "schema" => h.schema = int(value)?,
            "sum" => h.sum = float(value)?,
            "count" => h.count = float(value)?,
            "z_bucket" => h.zero_count = float(value)?,
            "z_bucket_w" => h.zero_threshold = float(value)?,
            "buckets" => pos = list(value)?,
            "n_buckets" => neg = list(value)?,
            "offset" => offset = int(value)?,
            "n_offset" => n_offset = int(value)?,
            "custom_values" => h.custom_values = list(value)?,
            "counter_reset_hint" => {
                hint_set = true;
                h.counter_reset_hint = match value {
                    "unknown" => CounterResetHint::Unknown,
                    "reset" => CounterResetHint::CounterReset,
                    "not_reset" => CounterResetHint::NotCounterReset,
                    "gauge" => CounterResetHint::Gauge,
                    other => return Err(format!("invalid counter_reset_hint {other:?}")),
                }
            }
            other => return Err(format!("unknown histogram key {other:?}")),
        }
        rest = next.trim_start();
    }
    if !pos.is_empty() {
        h.positive_spans = vec![Span {
            offset,
            length: pos.len() as u32,
        }];
        h.positive_buckets = pos;
    }
    if !neg.is_empty() {
        h.negative_spans = vec![Span {
            offset: n_offset,
            length: neg.len() as u32,
        }];
        h.negative_buckets = neg;
    }
    Ok((h, hint_set))
}

/// Absolute bucket indexes and counts of a span/bucket pair.
pub(crate) fn indexed(spans: &[Span], buckets: &[f64]) -> Vec<(i32, f64)> {
    let mut out = Vec::with_capacity(buckets.len());
    let mut idx = 0i32;
    let mut counts = buckets.iter();
    // The first offset is the start index; later offsets count from the previous span's end.
    for s in spans {
        idx += s.offset;
        for _ in 0..s.length {
            if let Some(&c) = counts.next() {
                out.push((idx, c));
            }
            idx += 1;
        }
    }
    out
}

/// Spans and buckets from sorted `(index, count)` pairs, keeping runs of at most `max_empty`
/// empty buckets inside a span and dropping all other empty buckets (Prometheus's `Compact`).
pub(crate) fn from_indexed(pairs: &[(i32, f64)], max_empty: i32) -> (Vec<Span>, Vec<f64>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut buckets = Vec::new();
    let mut end = 0i32; // one past the last bucket index covered by the spans
    for &(idx, c) in pairs.iter().filter(|(_, c)| *c != 0.0) {
        match spans.last_mut() {
            Some(last) if idx - end <= max_empty => {
                buckets.extend(std::iter::repeat_n(0.0, (idx - end) as usize));
                last.length += (idx - end) as u32 + 1;
            }
            Some(_) => spans.push(Span {
                offset: idx - end,
                length: 1,
            }),
            None => spans.push(Span { offset: idx, length: 1 }),
        }
        buckets.push(c);
        end = idx + 1;
    }
    (spans, buckets)
}

/// A copy with empty buckets removed as `Compact(max_empty)` does.
pub(crate) fn compact(h: &FloatHistogram, max_empty: i32) -> FloatHistogram {
    let mut out = h.clone();
    let (ps, pb) = from_indexed(&indexed(&h.positive_spans, &h.positive_buckets), max_empty);
    let (ns, nb) = from_indexed(&indexed(&h.negative_spans, &h.negative_buckets), max_empty);
    out.positive_spans = ps;
    out.positive_buckets = pb;
    out.negative_spans = ns;
    out.negative_buckets = nb;
    out
}

/// Bucket pairs of an exponential histogram re-expressed at a lower `target` schema.
fn reduce(pairs: Vec<(i32, f64)>, from: i32, target: i32) -> Vec<(i32, f64)> {
    if from <= target || from < -4 {
        return pairs;
    }
    let shift = from - target;
    let mut map: BTreeMap<i32, f64> = BTreeMap::new();
    for (idx, c) in pairs {
        *map.entry(((idx - 1) >> shift) + 1).or_default() += c;
    }
    map.into_iter().collect()
}

/// `a + sign*b` field by field (sum, count, zero bucket, buckets by index), at the lower schema.
pub(crate) fn combine(a: &FloatHistogram, b: &FloatHistogram, sign: f64) -> FloatHistogram {
    let schema = a.schema.min(b.schema);
    let merge = |sa: &[Span], ba: &[f64], sb: &[Span], bb: &[f64]| {
        let mut map: BTreeMap<i32, f64> = BTreeMap::new();
        for (i, c) in reduce(indexed(sa, ba), a.schema, schema) {
            *map.entry(i).or_default() += c;
        }
        for (i, c) in reduce(indexed(sb, bb), b.schema, schema) {
            *map.entry(i).or_default() += sign * c;
        }
        let pairs: Vec<(i32, f64)> = map.into_iter().collect();
        // Keep every touched index (zeros included) in one covering layout, as Add does.
        from_indexed_keep_zeros(&pairs)
    };
    let (ps, pb) = merge(
        &a.positive_spans,
        &a.positive_buckets,
        &b.positive_spans,
        &b.positive_buckets,
    );
    let (ns, nb) = merge(
        &a.negative_spans,
        &a.negative_buckets,
        &b.negative_spans,
        &b.negative_buckets,
    );
    FloatHistogram {
        counter_reset_hint: a.counter_reset_hint,
        schema,
        zero_threshold: a.zero_threshold.max(b.zero_threshold),
        zero_count: a.zero_count + sign * b.zero_count,
        count: a.count + sign * b.count,
        sum: a.sum + sign * b.sum,
        positive_spans: ps,
        negative_spans: ns,
        positive_buckets: pb,
        negative_buckets: nb,
        custom_values: a.custom_values.clone(),
    }
}

fn from_indexed_keep_zeros(pairs: &[(i32, f64)]) -> (Vec<Span>, Vec<f64>) {
    let mut spans: Vec<Span> = Vec::new();
    let mut buckets = Vec::with_capacity(pairs.len());
    let mut end = 0i32;
    for &(idx, c) in pairs {
        match spans.last_mut() {
            Some(last) if idx == end => last.length += 1,
            Some(_) => spans.push(Span {
                offset: idx - end,
                length: 1,
            }),
            None => spans.push(Span { offset: idx, length: 1 }),
        }
        buckets.push(c);
        end = idx + 1;
    }
    (spans, buckets)
}

/// The histogram in the script's `{{...}}` notation, for failure messages.
pub(crate) fn describe(h: &FloatHistogram) -> String {
    let mut s = String::from("{{");
    let mut parts = Vec::new();
    if h.schema != 0 {
        parts.push(format!("schema:{}", h.schema));
    }
    parts.push(format!("count:{}", go_float(h.count)));
    parts.push(format!("sum:{}", go_float(h.sum)));
    if h.zero_threshold != 0.0 {
        parts.push(format!("z_bucket_w:{}", go_float(h.zero_threshold)));
    }
    if h.zero_count != 0.0 {
        parts.push(format!("z_bucket:{}", go_float(h.zero_count)));
    }
    let list = |v: &[f64]| v.iter().map(|c| go_float(*c)).collect::<Vec<_>>().join(" ");
    let c = compact(h, 0);
    if !c.custom_values.is_empty() {
        parts.push(format!("custom_values:[{}]", list(&c.custom_values)));
    }
    for (name, spans, buckets) in [
        ("", &c.positive_spans, &c.positive_buckets),
        ("n_", &c.negative_spans, &c.negative_buckets),
    ] {
        if buckets.is_empty() {
            continue;
        }
        // Offsets of spans after the first are written as explicit bucket lists with zeros.
        let pairs = indexed(spans, buckets);
        let first = pairs.first().map_or(0, |p| p.0);
        let last = pairs.last().map_or(0, |p| p.0);
        let mut dense = vec![0.0; (last - first + 1).max(0) as usize];
        for (i, v) in pairs {
            if let Some(slot) = dense.get_mut((i - first) as usize) {
                *slot = v;
            }
        }
        if first != 0 {
            parts.push(format!("{name}offset:{first}"));
        }
        parts.push(format!("{name}buckets:[{}]", list(&dense)));
    }
    let hint = match h.counter_reset_hint {
        CounterResetHint::Unknown => None,
        CounterResetHint::CounterReset => Some("reset"),
        CounterResetHint::NotCounterReset => Some("not_reset"),
        CounterResetHint::Gauge => Some("gauge"),
    };
    if let Some(hint) = hint {
        parts.push(format!("counter_reset_hint:{hint}"));
    }
    let _ = write!(s, "{}}}}}", parts.join(" "));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let (h, hint) = parse_description(
            "schema:1 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2 1] offset:-1 n_buckets:[ 3 ] \
             n_offset:2 counter_reset_hint:gauge",
        )
        .unwrap();
        assert!(hint);
        assert_eq!(
            (h.schema, h.sum, h.count, h.zero_count, h.zero_threshold),
            (1, 5.0, 4.0, 1.0, 0.001)
        );
        assert_eq!(h.positive_spans, vec![Span { offset: -1, length: 3 }]);
        assert_eq!(h.negative_buckets, vec![3.0]);
        assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
        let (e, hint) = parse_description("").unwrap();
        assert!(!hint && e == FloatHistogram::default());
        assert!(parse_description("bogus:1").is_err());
        assert!(parse_description("buckets:[1 2").is_err());
    }

    #[test]
    fn compaction_drops_zeros_and_splits() {
        let (h, _) = parse_description("buckets:[0 1 0 0 2 0] offset:1").unwrap();
        let c = compact(&h, 0);
        assert_eq!(
            c.positive_spans,
            vec![Span { offset: 2, length: 1 }, Span { offset: 2, length: 1 }]
        );
        assert_eq!(c.positive_buckets, vec![1.0, 2.0]);
        let c2 = compact(&h, 2);
        assert_eq!(c2.positive_spans, vec![Span { offset: 2, length: 4 }]);
        assert_eq!(c2.positive_buckets, vec![1.0, 0.0, 0.0, 2.0]);
    }

    #[test]
    fn combine_adds_by_index_and_reduces_schema() {
        let (a, _) = parse_description("schema:0 sum:1 count:2 buckets:[1 1]").unwrap();
        let (b, _) = parse_description("schema:0 sum:1 count:1 buckets:[1] offset:3").unwrap();
        let s = combine(&a, &b, 1.0);
        assert_eq!((s.sum, s.count), (2.0, 3.0));
        assert_eq!(
            indexed(&s.positive_spans, &s.positive_buckets),
            vec![(0, 1.0), (1, 1.0), (3, 1.0)]
        );
        let d = combine(&s, &b, -1.0);
        assert_eq!(compact(&d, 0).positive_buckets, vec![1.0, 1.0]);
        let (hi, _) = parse_description("schema:1 buckets:[1 1] offset:1").unwrap();
        let r = combine(&a, &hi, 1.0);
        // schema-1 indexes 1,2 map to schema-0 indexes 1,1.
        assert_eq!(
            indexed(&r.positive_spans, &r.positive_buckets),
            vec![(0, 1.0), (1, 3.0)]
        );
        assert!(describe(&r).contains("buckets:[1 3]"));
    }
}
