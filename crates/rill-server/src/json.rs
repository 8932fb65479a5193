//! Query results and errors in exactly the JSON shape of Prometheus's HTTP API, written
//! streaming: series by series into any [`std::io::Write`], so a large result is never
//! turned into a second, serialized copy in memory. The CLI (`rill query --format json`)
//! uses the same writer.
//!
//! Written by hand rather than through `serde` because Prometheus's number layout matters:
//! timestamps are unix seconds with at most three decimals (`1700000000.5` is written
//! `1700000000.500`), values are strings in Go's `strconv.FormatFloat(v, 'f', -1, 64)` form,
//! strings are escaped like Go's `encoding/json` (HTML characters included).

use std::io::{self, Write};

use rill_engine::{AnnotationLevel, ErrorKind, MatrixSeries, QueryResult, QueryValue, VectorElement};
use rill_model::{FloatHistogram, Labels};

/// Sample values are written as Prometheus writes them (defined in `rill-model`, shared with
/// the text writers).
pub use rill_model::format_value;

/// A millisecond timestamp as Prometheus writes it: seconds, then `.` and three digits if needed.
pub fn format_timestamp(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    match abs % 1000 {
        0 => format!("{sign}{}", abs / 1000),
        frac => format!("{sign}{}.{frac:03}", abs / 1000),
    }
}

/// Writes `s` as a JSON string literal, escaped as Go's `encoding/json` does.
pub fn write_str<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '<' => Some("\\u003c"),
            '>' => Some("\\u003e"),
            '&' => Some("\\u0026"),
            '\u{2028}' => Some("\\u2028"),
            '\u{2029}' => Some("\\u2029"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        w.write_all(bytes.get(start..i).unwrap_or_default())?;
        match esc {
            Some(e) => w.write_all(e.as_bytes())?,
            None => write!(w, "\\u{:04x}", c as u32)?,
        }
        start = i + c.len_utf8();
    }
    w.write_all(bytes.get(start..).unwrap_or_default())?;
    w.write_all(b"\"")
}

/// `s` as a JSON string literal (see [`write_str`]).
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    // Writing into a Vec cannot fail.
    let _ = write_str(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes a label set as a JSON object (`{"__name__":"up","job":"api"}`).
pub fn write_labels<W: Write>(w: &mut W, labels: &Labels) -> io::Result<()> {
    w.write_all(b"{")?;
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_str(w, &l.name)?;
        w.write_all(b":")?;
        write_str(w, &l.value)?;
    }
    w.write_all(b"}")
}

fn write_point<W: Write>(w: &mut W, t: i64, v: f64) -> io::Result<()> {
    write!(w, "[{},\"{}\"]", format_timestamp(t), format_value(v))
}

/// The `{"count","sum","buckets":[[rule,"lower","upper","count"],...]}` object of a histogram,
/// buckets in ascending order, empty ones left out.
fn write_histogram<W: Write>(w: &mut W, h: &FloatHistogram) -> io::Result<()> {
    write!(
        w,
        "{{\"count\":\"{}\",\"sum\":\"{}\"",
        format_value(h.count),
        format_value(h.sum)
    )?;
    let mut first = true;
    for b in h.json_buckets() {
        w.write_all(if first { b",\"buckets\":[" } else { b"," })?;
        first = false;
        write!(
            w,
            "[{},\"{}\",\"{}\",\"{}\"]",
            b.boundary_rule,
            format_value(b.lower),
            format_value(b.upper),
            format_value(b.count)
        )?;
    }
    if !first {
        w.write_all(b"]")?;
    }
    w.write_all(b"}")
}

fn write_matrix_series<W: Write>(w: &mut W, s: &MatrixSeries) -> io::Result<()> {
    w.write_all(b"{\"metric\":")?;
    write_labels(w, &s.labels)?;
    if !s.floats.is_empty() {
        w.write_all(b",\"values\":[")?;
        for (i, p) in s.floats.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            write_point(w, p.t, p.f)?;
        }
        w.write_all(b"]")?;
    }
    if !s.histograms.is_empty() {
        w.write_all(b",\"histograms\":[")?;
        for (i, p) in s.histograms.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            write!(w, "[{},", format_timestamp(p.t))?;
            write_histogram(w, &p.h)?;
            w.write_all(b"]")?;
        }
        w.write_all(b"]")?;
    }
    w.write_all(b"}")
}

fn write_vector_element<W: Write>(w: &mut W, e: &VectorElement) -> io::Result<()> {
    w.write_all(b"{\"metric\":")?;
    write_labels(w, &e.labels)?;
    match &e.histogram {
        Some(h) => {
            write!(w, ",\"histogram\":[{},", format_timestamp(e.t))?;
            write_histogram(w, h)?;
            w.write_all(b"]}")
        }
        None => {
            w.write_all(b",\"value\":")?;
            write_point(w, e.t, e.f)?;
            w.write_all(b"}")
        }
    }
}

fn write_list<W: Write, T>(
    w: &mut W,
    items: &[T],
    mut item: impl FnMut(&mut W, &T) -> io::Result<()>,
) -> io::Result<()> {
    w.write_all(b"[")?;
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        item(w, x)?;
    }
    w.write_all(b"]")
}

/// Writes `"resultType":...,"result":...` (the inside of the `data` object).
fn write_data<W: Write>(w: &mut W, value: &QueryValue) -> io::Result<()> {
    match value {
        QueryValue::Scalar { t, v } => {
            w.write_all(b"\"resultType\":\"scalar\",\"result\":")?;
            write_point(w, *t, *v)
        }
        QueryValue::String { t, v } => {
            write!(w, "\"resultType\":\"string\",\"result\":[{},", format_timestamp(*t))?;
            write_str(w, v)?;
            w.write_all(b"]")
        }
        QueryValue::Vector(v) => {
            w.write_all(b"\"resultType\":\"vector\",\"result\":")?;
            write_list(w, v, write_vector_element)
        }
        QueryValue::Matrix(m) => {
            w.write_all(b"\"resultType\":\"matrix\",\"result\":")?;
            write_list(w, m, write_matrix_series)
        }
    }
}

/// Timings of one query for the `stats` parameter (seconds).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueryTimings {
    /// Total time spent in the engine (parse excluded).
    pub eval_total: f64,
    /// Time spent parsing and planning.
    pub preparation: f64,
    /// Time spent waiting for a query slot.
    pub queue: f64,
}

fn write_stats<W: Write>(w: &mut W, result: &QueryResult, t: &QueryTimings) -> io::Result<()> {
    let num = |v: f64| serde_json::Number::from_f64(v).map_or_else(|| "0".to_string(), |n| n.to_string());
    write!(
        w,
        ",\"stats\":{{\"timings\":{{\"evalTotalTime\":{},\"resultSortTime\":0,\"queryPreparationTime\":{},\
         \"innerEvalTime\":{},\"execQueueTime\":{},\"execTotalTime\":{}}},\
         \"samples\":{{\"totalQueryableSamples\":{},\"peakSamples\":{}}}}}",
        num(t.eval_total),
        num(t.preparation),
        num(t.eval_total),
        num(t.queue),
        num(t.queue + t.preparation + t.eval_total),
        result.stats.total_samples,
        result.stats.peak_samples
    )
}

/// Writes `,"warnings":[...]` and `,"infos":[...]` when there are any.
pub fn write_annotations<W: Write>(w: &mut W, warnings: &[String], infos: &[String]) -> io::Result<()> {
    for (key, list) in [("warnings", warnings), ("infos", infos)] {
        if !list.is_empty() {
            write!(w, ",\"{key}\":")?;
            write_list(w, list, |w, s| write_str(w, s))?;
        }
    }
    Ok(())
}

/// Most warnings (and, separately, infos) a query response lists, as in Prometheus's API.
pub const MAX_ANNOTATIONS: usize = 10;

/// Keeps the first [`MAX_ANNOTATIONS`] of `list` and, when some were cut, appends
/// Prometheus's `N more <kind> annotations omitted`.
pub fn capped(mut list: Vec<String>, kind: &str) -> Vec<String> {
    if list.len() > MAX_ANNOTATIONS {
        let omitted = list.len() - MAX_ANNOTATIONS;
        list.truncate(MAX_ANNOTATIONS);
        list.push(format!("{omitted} more {kind} annotations omitted"));
    }
    list
}

/// Writes a successful query response; `query` is the text annotations' positions refer to,
/// `stats` adds the `stats` object when the caller asked for it.
pub fn write_success<W: Write>(
    w: &mut W,
    result: &QueryResult,
    query: &str,
    stats: Option<&QueryTimings>,
) -> io::Result<()> {
    write_success_warned(w, result, query, stats, &[])
}

/// [`write_success`] with `extra` warnings from the API itself (`results truncated due to
/// limit`) listed after the engine's, all capped together.
pub fn write_success_warned<W: Write>(
    w: &mut W,
    result: &QueryResult,
    query: &str,
    stats: Option<&QueryTimings>,
    extra: &[String],
) -> io::Result<()> {
    w.write_all(b"{\"status\":\"success\",\"data\":{")?;
    write_data(w, &result.value)?;
    if let Some(t) = stats {
        write_stats(w, result, t)?;
    }
    w.write_all(b"}")?;
    let mut warnings = result.annotations.rendered(AnnotationLevel::Warning, query);
    warnings.extend_from_slice(extra);
    let warnings = capped(warnings, "warning");
    let infos = capped(result.annotations.rendered(AnnotationLevel::Info, query), "info");
    write_annotations(w, &warnings, &infos)?;
    w.write_all(b"}")
}

/// A successful response as a string (see [`write_success`]).
pub fn success(result: &QueryResult, query: &str) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_success(&mut out, result, query, None);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `{"status":"success","data":<data>}` plus annotations, where `data` writes the value.
pub fn write_success_with<W: Write>(
    w: &mut W,
    warnings: &[String],
    data: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    w.write_all(b"{\"status\":\"success\",\"data\":")?;
    data(w)?;
    write_annotations(w, warnings, &[])?;
    w.write_all(b"}")
}

/// Writes a list of strings as a JSON array.
pub fn write_string_list<W: Write>(w: &mut W, items: &[String]) -> io::Result<()> {
    write_list(w, items, |w, s| write_str(w, s))
}

/// Prometheus's `errorType` for an engine error kind.
pub fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadData => "bad_data",
        ErrorKind::Execution | ErrorKind::ResourceExhausted => "execution",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Canceled => "canceled",
        ErrorKind::Internal => "internal",
        ErrorKind::Unavailable => "unavailable",
    }
}

/// An error response.
pub fn error(error_type: &str, msg: &str) -> String {
    format!(
        "{{\"status\":\"error\",\"errorType\":{},\"error\":{}}}",
        quote(error_type),
        quote(msg)
    )
}

#[cfg(test)]
mod tests;
