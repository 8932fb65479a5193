//! Text forms: the promqltest `{{...}}` notation and the HTTP API's bucket list.

use std::fmt;

use super::{CounterResetHint, FloatHistogram};

/// Formats a float as Go's `%g` does (shortest digits; exponent form `1e+06` when the
/// exponent is below −4 or at least 6; `+Inf`, `-Inf`, `NaN`).
pub fn format_g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        return format!("{v}");
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// Widest bucket range the `{{...}}` form expands into one span (larger gaps are printed as
/// several `offset`/`buckets` pairs instead of allocating the gap).
const MAX_DISPLAY_WIDTH: usize = 1 << 16;

fn write_list(f: &mut fmt::Formatter<'_>, values: &[f64]) -> fmt::Result {
    let parts: Vec<String> = values.iter().map(|&v| format_g(v)).collect();
    write!(f, "[{}]", parts.join(" "))
}

/// Prometheus's `TestExpression`: `{{schema:1 count:4 sum:5 z_bucket:1 z_bucket_w:0.001
/// custom_values:[..] counter_reset_hint:gauge offset:1 buckets:[1 2] n_offset:.. n_buckets:[..]}}`,
/// fields left out when zero/default, each side compacted into one span.
impl fmt::Display for FloatHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut h = self.clone();
        let width = |spans: &[super::Span]| {
            spans
                .iter()
                .map(|s| s.offset.unsigned_abs() as usize + s.length as usize)
                .sum::<usize>()
        };
        let max_gap = if width(&h.positive_spans).max(width(&h.negative_spans)) <= MAX_DISPLAY_WIDTH {
            usize::MAX
        } else {
            0
        };
        h.compact(max_gap);
        let mut fields: Vec<String> = Vec::new();
        if h.schema != 0 {
            fields.push(format!("schema:{}", h.schema));
        }
        for (key, v) in [
            ("count", h.count),
            ("sum", h.sum),
            ("z_bucket", h.zero_count),
            ("z_bucket_w", h.zero_threshold),
        ] {
            if v != 0.0 {
                fields.push(format!("{key}:{}", format_g(v)));
            }
        }
        f.write_str("{{")?;
        f.write_str(&fields.join(" "))?;
        let mut sep = if fields.is_empty() { "" } else { " " };
        if h.uses_custom_buckets() {
            write!(f, "{sep}custom_values:")?;
            write_list(f, &h.custom_values)?;
            sep = " ";
        }
        let hint = match h.counter_reset_hint {
            CounterResetHint::Unknown => None,
            CounterResetHint::CounterReset => Some("reset"),
            CounterResetHint::NotCounterReset => Some("not_reset"),
            CounterResetHint::Gauge => Some("gauge"),
        };
        if let Some(hint) = hint {
            write!(f, "{sep}counter_reset_hint:{hint}")?;
            sep = " ";
        }
        for (spans, buckets, offset_key, buckets_key) in [
            (&h.positive_spans, &h.positive_buckets, "offset", "buckets"),
            (&h.negative_spans, &h.negative_buckets, "n_offset", "n_buckets"),
        ] {
            let mut start = 0usize;
            for span in spans.iter() {
                let end = (start + span.length as usize).min(buckets.len());
                if span.offset != 0 {
                    write!(f, "{sep}{offset_key}:{}", span.offset)?;
                    sep = " ";
                }
                if end > start {
                    write!(f, "{sep}{buckets_key}:")?;
                    write_list(f, buckets.get(start..end).unwrap_or_default())?;
                    sep = " ";
                }
                start = end;
            }
        }
        f.write_str("}}")
    }
}

/// One entry of the HTTP API's `buckets` array: `[boundary_rule, lower, upper, count]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JsonBucket {
    /// 0: open left (`(l, u]`), 1: open right (`[l, u)`), 2: open both, 3: closed both.
    pub boundary_rule: u8,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Observations in the bucket.
    pub count: f64,
}

impl FloatHistogram {
    /// The buckets as Prometheus's HTTP API lists them: all buckets in ascending order
    /// (negative, zero, positive, with bounds clamped to the zero threshold), skipping empty
    /// ones. Bounds and counts are rendered by the caller (as strings, like sample values).
    pub fn json_buckets(&self) -> impl Iterator<Item = JsonBucket> + '_ {
        self.all_buckets().filter(|b| b.count != 0.0).map(|b| JsonBucket {
            boundary_rule: match (b.lower_inclusive, b.upper_inclusive) {
                (true, true) => 3,
                (true, false) => 1,
                (false, true) => 0,
                (false, false) => 2,
            },
            lower: b.lower,
            upper: b.upper,
            count: b.count,
        })
    }
}
