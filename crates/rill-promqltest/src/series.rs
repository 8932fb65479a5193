//! Series descriptions: `metric{a="b"} 1 2+3x4 _ stale {{schema:0 count:1}}x2`, as in
//! `load` blocks and expected results, plus Go-quoted strings.

use std::sync::Arc;

use rill_model::{Labels, METRIC_NAME, stale_nan};

use crate::histogram::{combine, parse_description};
use crate::number::float_prefix;
use crate::script::SeqValue;

/// Parses a whole series description line into labels and expanded values.
pub(crate) fn parse_series_desc(line: &str) -> Result<(Labels, Vec<SeqValue>), String> {
    let (labels, rest) = parse_labels_prefix(line)?;
    let mut values = Vec::new();
    for item in split_items(rest) {
        values.extend(parse_item(item)?);
    }
    Ok((labels, values))
}

/// Parses the series at the start of `s` (`name`, `name{...}`, `{...}`, `"name"{...}`);
/// returns the labels and the rest of the line.
pub(crate) fn parse_labels_prefix(s: &str) -> Result<(Labels, &str), String> {
    let s = s.trim_start();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut rest = s;
    if rest.starts_with(['"', '\'', '`']) {
        let (name, r) = unquote_prefix(rest)?;
        pairs.push((METRIC_NAME.to_string(), name));
        rest = r;
    } else {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        if end > 0 {
            if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                return Err(format!(
                    "invalid series description {s:?}: expected a metric name or '{{'"
                ));
            }
            pairs.push((METRIC_NAME.to_string(), rest[..end].to_string()));
            rest = &rest[end..];
        }
    }
    if let Some(inner) = rest.strip_prefix('{') {
        rest = parse_label_block(inner, &mut pairs)?;
    } else if pairs.is_empty() {
        return Err(format!(
            "invalid series description {s:?}: expected a metric name or '{{'"
        ));
    }
    let labels = Labels::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    Ok((labels, rest))
}

/// Parses `a="b", "c"="d", "name"}` (after the `{`); returns the rest after `}`.
fn parse_label_block<'a>(mut rest: &'a str, pairs: &mut Vec<(String, String)>) -> Result<&'a str, String> {
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix('}') {
            return Ok(r);
        }
        let (name, r) = if rest.starts_with(['"', '\'', '`']) {
            unquote_prefix(rest)?
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                return Err(format!(
                    "unexpected {:?} in label set",
                    rest.chars().next().unwrap_or(' ')
                ));
            }
            (rest[..end].to_string(), &rest[end..])
        };
        rest = r.trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            if r.starts_with('~') {
                return Err("only equality matchers are allowed in series descriptions".into());
            }
            let (value, r) = unquote_prefix(r.trim_start())?;
            pairs.push((name, value));
            rest = r.trim_start();
        } else {
            // A bare quoted string is the metric name.
            pairs.push((METRIC_NAME.to_string(), name));
        }
        if let Some(r) = rest.strip_prefix(',') {
            rest = r;
        } else if !rest.starts_with('}') {
            return Err(format!("expected ',' or '}}' in label set, got {rest:?}"));
        }
    }
}

/// Unquotes a Go string literal at the start of `s` (`"..."` with escapes, `'...'`, or raw
/// `` `...` ``); returns the value and the rest.
pub(crate) fn unquote_prefix(s: &str) -> Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let quote = match chars.next() {
        Some((_, q @ ('"' | '\'' | '`'))) => q,
        _ => return Err(format!("expected a quoted string, got {s:?}")),
    };
    let mut out: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4];
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((String::from_utf8_lossy(&out).into_owned(), &s[i + 1..]));
        }
        if c != '\\' || quote == '`' {
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let (_, e) = chars.next().ok_or("unterminated escape")?;
        let simple = match e {
            'a' => Some(7u8),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            '\\' => Some(b'\\'),
            '"' => Some(b'"'),
            '\'' => Some(b'\''),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let mut take = |n: usize, radix: u32| -> Result<u32, String> {
            let mut v = 0u32;
            for _ in 0..n {
                let (_, d) = chars.next().ok_or("unterminated escape")?;
                v = v * radix + d.to_digit(radix).ok_or_else(|| format!("invalid escape digit {d:?}"))?;
            }
            Ok(v)
        };
        match e {
            'x' => out.push(take(2, 16)? as u8),
            'u' | 'U' => {
                let v = take(if e == 'u' { 4 } else { 8 }, 16)?;
                let c = char::from_u32(v).ok_or("invalid unicode escape")?;
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            '0'..='7' => {
                let v = e.to_digit(8).unwrap_or(0) * 64 + take(2, 8)?;
                out.push(u8::try_from(v).map_err(|_| "octal escape out of range")?);
            }
            other => return Err(format!("unknown escape sequence \\{other}")),
        }
    }
    Err(format!("unterminated quoted string {s:?}"))
}

/// Splits the value part of a line into items; `{{...}}` may contain spaces.
fn split_items(s: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            if s[i..].starts_with("{{") {
                i = s[i..].find("}}").map_or(b.len(), |e| i + e + 2);
            } else {
                i += 1;
            }
        }
        items.push(&s[start..i]);
    }
    items
}

/// Parses `xN` (the whole string); N is the repeat count.
fn times(s: &str) -> Result<u64, String> {
    s.strip_prefix('x')
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("invalid repeat {s:?}, expected xN"))
}

/// Expands one value item.
fn parse_item(item: &str) -> Result<Vec<SeqValue>, String> {
    let bad = |e: String| format!("invalid value {item:?}: {e}");
    if item == "_" {
        return Ok(vec![SeqValue::Omitted]);
    }
    if let Some(r) = item.strip_prefix('_') {
        return Ok(vec![SeqValue::Omitted; times(r).map_err(bad)? as usize]);
    }
    if item == "stale" {
        return Ok(vec![SeqValue::Float(stale_nan())]);
    }
    if item.starts_with("{{") {
        return parse_histogram_item(item).map_err(bad);
    }
    let (a, rest) = float_prefix(item).ok_or_else(|| bad("not a number".into()))?;
    if rest.is_empty() {
        return Ok(vec![SeqValue::Float(a)]);
    }
    if rest.starts_with('x') {
        return Ok(vec![SeqValue::Float(a); times(rest).map_err(bad)? as usize + 1]);
    }
    // `A+BxN` / `A-BxN`: the sign belongs to B.
    let (b, rest) = float_prefix(rest)
        .filter(|_| rest.starts_with(['+', '-']))
        .ok_or_else(|| bad("expected +BxN, -BxN or xN".into()))?;
    let n = times(rest).map_err(bad)?;
    let mut out = Vec::with_capacity(n as usize + 1);
    let mut v = a;
    for _ in 0..=n {
        out.push(SeqValue::Float(v));
        v += b;
    }
    Ok(out)
}

/// Splits `{{...}}rest` into the description body and the rest.
fn histogram_prefix(s: &str) -> Result<(&str, &str), String> {
    let inner = s.strip_prefix("{{").ok_or("expected {{")?;
    let end = inner.find("}}").ok_or("unterminated {{")?;
    Ok((&inner[..end], &inner[end + 2..]))
}

fn parse_histogram_item(item: &str) -> Result<Vec<SeqValue>, String> {
    let (body, rest) = histogram_prefix(item)?;
    let (base, hint_set) = parse_description(body)?;
    let value = |h| SeqValue::Histogram {
        h: Arc::new(h),
        hint_set,
    };
    if rest.is_empty() {
        return Ok(vec![value(base)]);
    }
    if rest.starts_with('x') {
        let n = times(rest)? as usize;
        let h = Arc::new(base);
        return Ok(vec![SeqValue::Histogram { h, hint_set }; n + 1]);
    }
    let sign = match rest.as_bytes().first() {
        Some(b'+') => 1.0,
        Some(b'-') => -1.0,
        _ => return Err("expected +{{..}}xN, -{{..}}xN or xN after histogram".into()),
    };
    let (inc_body, rest) = histogram_prefix(&rest[1..])?;
    let (inc, _) = parse_description(inc_body)?;
    let n = times(rest)?;
    let mut out = Vec::with_capacity(n as usize + 1);
    let mut cur = base;
    for i in 0..=n {
        if i > 0 {
            cur = combine(&cur, &inc, sign);
        }
        out.push(value(cur.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rill_model::is_stale_nan;

    use super::*;

    fn floats(v: &[SeqValue]) -> Vec<Option<f64>> {
        v.iter()
            .map(|x| match x {
                SeqValue::Float(f) => Some(*f),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn expands_float_notation() {
        let (l, v) = parse_series_desc(r#"http_requests{job="api", instance="0"}  0+10x3 1 _ _x2 2x1 5-2x2"#).unwrap();
        assert_eq!(l.to_string(), r#"http_requests{instance="0", job="api"}"#);
        assert_eq!(
            floats(&v),
            vec![
                Some(0.0),
                Some(10.0),
                Some(20.0),
                Some(30.0),
                Some(1.0),
                None,
                None,
                None,
                Some(2.0),
                Some(2.0),
                Some(5.0),
                Some(3.0),
                Some(1.0)
            ]
        );
        let (_, v) = parse_series_desc("m stale -Inf NaN 1e3").unwrap();
        assert!(matches!(v[0], SeqValue::Float(f) if is_stale_nan(f)));
        assert!(matches!(v[2], SeqValue::Float(f) if f.is_nan() && !is_stale_nan(f)));
        assert_eq!(floats(&v)[3], Some(1000.0));
        assert!(parse_series_desc("m 1+x").is_err());
        assert!(parse_series_desc("m 1y").is_err());
    }

    #[test]
    fn label_forms() {
        let (l, _) = parse_series_desc(r#"{__name__="x", a="b",} 1"#).unwrap();
        assert_eq!(l.to_string(), r#"x{a="b"}"#);
        let (l, v) = parse_series_desc(r#"{"utf8.metric", "a.b"="c\n"}"#).unwrap();
        assert_eq!(l.metric_name(), Some("utf8.metric"));
        assert_eq!(l.get("a.b"), Some("c\n"));
        assert!(v.is_empty());
        let (l, _) = parse_series_desc("{} 3").unwrap();
        assert!(l.is_empty());
        assert!(parse_series_desc(r#"m{a=~"b"} 1"#).is_err());
        assert!(parse_series_desc("1 2").is_err());
        assert_eq!(unquote_prefix(r#""a\xc5\u00e9" x"#).unwrap().1, " x");
        assert_eq!(unquote_prefix("`raw\\n`").unwrap().0, "raw\\n");
    }

    #[test]
    fn histogram_items() {
        let (_, v) = parse_series_desc("h {{schema:0 sum:5 count:4 buckets:[1 2 1]}}x2 {{}}").unwrap();
        assert_eq!(v.len(), 4);
        let (_, v) = parse_series_desc("h {{sum:1 count:1 buckets:[1]}}+{{sum:2 count:2 buckets:[2]}}x2").unwrap();
        let sums: Vec<f64> = v
            .iter()
            .filter_map(|x| match x {
                SeqValue::Histogram { h, .. } => Some(h.sum),
                _ => None,
            })
            .collect();
        assert_eq!(sums, vec![1.0, 3.0, 5.0]);
        assert!(parse_series_desc("h {{sum:1}}*{{sum:1}}x2").is_err());
    }
}
