//! Human-readable output of `rill query`: one line per series, aligned values.

use std::fmt::Write;

use rill_engine::{QueryValue, VectorElement};
use rill_model::FloatHistogram;

use rill_server::json::{format_timestamp, format_value};

fn histogram(h: &FloatHistogram) -> String {
    format!(
        "histogram{{count={}, sum={}, buckets={}}}",
        format_value(h.count),
        format_value(h.sum),
        h.positive_buckets.len() + h.negative_buckets.len()
    )
}

fn element_value(e: &VectorElement) -> String {
    e.histogram.as_deref().map_or_else(|| format_value(e.f), histogram)
}

/// The value as a table; an empty result says so.
pub fn render(value: &QueryValue) -> String {
    let mut out = String::new();
    match value {
        QueryValue::Scalar { v, .. } => {
            let _ = writeln!(out, "scalar  {}", format_value(*v));
        }
        QueryValue::String { v, .. } => {
            let _ = writeln!(out, "string  {v}");
        }
        QueryValue::Vector(v) if v.is_empty() => out.push_str("(empty vector)\n"),
        QueryValue::Vector(v) => {
            let names: Vec<String> = v.iter().map(|e| e.labels.to_string()).collect();
            let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
            for (name, e) in names.iter().zip(v) {
                let _ = writeln!(out, "{name:<width$}  {}", element_value(e));
            }
        }
        QueryValue::Matrix(m) if m.is_empty() => out.push_str("(empty matrix)\n"),
        QueryValue::Matrix(m) => {
            for s in m {
                let _ = writeln!(out, "{}", s.labels);
                let mut points: Vec<(i64, String)> = s.floats.iter().map(|p| (p.t, format_value(p.f))).collect();
                points.extend(s.histograms.iter().map(|p| (p.t, histogram(&p.h))));
                points.sort_by_key(|p| p.0);
                for (t, v) in points {
                    let _ = writeln!(out, "  {:>16}  {v}", format_timestamp(t));
                }
            }
        }
    }
    out
}
