//! Low-level tokenizing of one exposition line: names, quoted strings, label sets, numbers.
//!
//! Everything here works on one line (without its newline) and writes unescaped text into a
//! caller-owned scratch `String`, recording byte ranges into it, so that parsing a line does not
//! allocate once the scratch buffers have grown. Errors are plain reason strings; the parser adds
//! the line number.

use std::ops::Range;

/// A label as two byte ranges (name, value) into the parser's scratch text.
pub(crate) type Span = (Range<usize>, Range<usize>);

/// A position in one line.
pub(crate) struct Cursor<'l> {
    pub(crate) s: &'l str,
    pub(crate) pos: usize,
}

/// Shows at most 32 bytes of the offending input in error messages.
pub(crate) fn snippet(s: &str) -> String {
    let mut end = s.len().min(32);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let cut = s.get(..end).unwrap_or("");
    if end < s.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

#[inline]
fn is_name_start(b: u8, colon: bool) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || (colon && b == b':')
}

#[inline]
fn is_name_char(b: u8, colon: bool) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || (colon && b == b':')
}

impl<'l> Cursor<'l> {
    pub(crate) fn new(s: &'l str) -> Self {
        Self { s, pos: 0 }
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'l str {
        self.s.get(self.pos..).unwrap_or("")
    }

    #[inline]
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// Skips spaces and tabs; returns how many were skipped.
    #[inline]
    pub(crate) fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Consumes `b` if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Reads a bare name (`[a-zA-Z_:][a-zA-Z0-9_:]*`, colons only if `colon`).
    #[inline]
    pub(crate) fn bare_name(&mut self, colon: bool) -> Option<&'l str> {
        let bytes = self.s.as_bytes();
        let start = self.pos;
        if !bytes.get(start).is_some_and(|&b| is_name_start(b, colon)) {
            return None;
        }
        let mut end = start + 1;
        while bytes.get(end).is_some_and(|&b| is_name_char(b, colon)) {
            end += 1;
        }
        self.pos = end;
        self.s.get(start..end)
    }

    /// Reads a token up to the next space, tab or end of line.
    #[inline]
    pub(crate) fn token(&mut self) -> &'l str {
        let start = self.pos;
        let bytes = self.s.as_bytes();
        let mut end = start;
        while bytes.get(end).is_some_and(|&b| b != b' ' && b != b'\t') {
            end += 1;
        }
        self.pos = end;
        self.s.get(start..end).unwrap_or("")
    }

    /// Reads a double-quoted string starting at the cursor, unescaping `\\`, `\"` and `\n` into
    /// `out` (other escapes are kept verbatim, as Prometheus does). Returns its range in `out`.
    pub(crate) fn quoted(&mut self, out: &mut String, what: &str) -> Result<Range<usize>, String> {
        if !self.eat(b'"') {
            return Err(format!("expected {what} string, got {}", snippet(self.rest())));
        }
        let start_out = out.len();
        let bytes = self.s.as_bytes();
        let mut run = self.pos;
        let mut i = self.pos;
        loop {
            match bytes.get(i) {
                None => return Err(format!("unterminated {what} string")),
                Some(b'"') => {
                    out.push_str(self.s.get(run..i).unwrap_or(""));
                    self.pos = i + 1;
                    return Ok(start_out..out.len());
                }
                Some(b'\\') => {
                    out.push_str(self.s.get(run..i).unwrap_or(""));
                    match bytes.get(i + 1) {
                        Some(b'\\') => out.push('\\'),
                        Some(b'"') => out.push('"'),
                        Some(b'n') => out.push('\n'),
                        Some(_) => {
                            // Keep unknown escapes verbatim: backslash now, the char with the run.
                            out.push('\\');
                            i += 1;
                            run = i;
                            continue;
                        }
                        None => return Err(format!("unterminated {what} string")),
                    }
                    i += 2;
                    run = i;
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Parses a label set after its `{`, up to and including `}`. Label names and values go to
    /// `out`, spans to `spans`. A bare quoted string without `=` is a UTF-8 metric name (Prometheus
    /// 3 syntax) and is returned as a range into `out` instead of becoming a label.
    pub(crate) fn label_set(
        &mut self,
        out: &mut String,
        spans: &mut Vec<Span>,
        allow_name: bool,
    ) -> Result<Option<Range<usize>>, String> {
        let mut metric_name = None;
        loop {
            self.skip_ws();
            if self.eat(b'}') {
                return Ok(metric_name);
            }
            let (name, quoted) = match self.peek() {
                Some(b'"') => (self.quoted(out, "label name")?, true),
                _ => {
                    let start = out.len();
                    let Some(n) = self.bare_name(false) else {
                        return Err(format!("expected label name or '}}', got {}", snippet(self.rest())));
                    };
                    out.push_str(n);
                    (start..out.len(), false)
                }
            };
            self.skip_ws();
            if self.eat(b'=') {
                self.skip_ws();
                let value = self.quoted(out, "label value")?;
                spans.push((name, value));
            } else if allow_name && quoted && metric_name.is_none() {
                metric_name = Some(name);
            } else {
                return Err(format!("expected '=' after label name, got {}", snippet(self.rest())));
            }
            self.skip_ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(metric_name);
            }
            return Err(format!(
                "expected ',' or '}}' in label set, got {}",
                snippet(self.rest())
            ));
        }
    }
}

/// Parses a sample value: decimal or exponent floats, `NaN`, `+Inf`, `-Inf` (any case), integers.
#[inline]
pub(crate) fn parse_value(tok: &str, what: &str) -> Result<f64, String> {
    if tok.is_empty() {
        return Err(format!("expected {what}, got end of line"));
    }
    // Fast path for plain integers, the common case for counters.
    if tok.len() <= 15 && tok.bytes().all(|b| b.is_ascii_digit()) {
        let mut v = 0u64;
        for b in tok.bytes() {
            v = v * 10 + u64::from(b - b'0');
        }
        return Ok(v as f64);
    }
    tok.parse::<f64>()
        .map_err(|_| format!("invalid {what} {}", snippet(tok)))
}

/// Parses a Prometheus-text timestamp: an integer number of milliseconds.
pub(crate) fn parse_ts_millis(tok: &str) -> Result<i64, String> {
    tok.parse::<i64>()
        .map_err(|_| format!("invalid timestamp {} (expected integer milliseconds)", snippet(tok)))
}

/// Parses an OpenMetrics timestamp (float seconds) into milliseconds, rounding to the nearest
/// millisecond so that `1520879607.789` becomes `1520879607789` despite binary rounding.
pub(crate) fn parse_ts_seconds(tok: &str) -> Result<i64, String> {
    let s: f64 = tok
        .parse()
        .map_err(|_| format!("invalid timestamp {} (expected seconds)", snippet(tok)))?;
    let ms = (s * 1000.0).round();
    if !ms.is_finite() || ms < i64::MIN as f64 || ms >= i64::MAX as f64 {
        return Err(format!("timestamp {} out of range", snippet(tok)));
    }
    Ok(ms as i64)
}

/// Unescapes HELP text (`\\`, `\n`, and in OpenMetrics `\"`) into `out`; returns its range.
pub(crate) fn unescape_help(text: &str, out: &mut String) -> Range<usize> {
    let start = out.len();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some('"') => out.push('"'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    start..out.len()
}
