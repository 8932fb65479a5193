//! Streaming parser for the Prometheus text exposition format (0.0.4, with Prometheus 3's
//! quoted UTF-8 names) and OpenMetrics 1.0.
//!
//! [`TextParser`] reads one line at a time from any [`BufRead`] (a `&[u8]` works), reusing its
//! line and scratch buffers, and lends out [`Entry`] values that borrow from them: after warm-up,
//! parsing does not allocate. Errors carry the 1-based line number.
//!
//! ```
//! use rill_codec::text::{Entry, TextParser};
//! let doc = b"# TYPE up gauge\nup{job=\"api\"} 1 1700000000000\n";
//! let mut p = TextParser::new(&doc[..], 0);
//! let mut n = 0;
//! while let Some(entry) = p.next_entry().unwrap() {
//!     if let Entry::Sample(s) = entry {
//!         assert_eq!(s.labels().iter().collect::<Vec<_>>(), [("__name__", "up"), ("job", "api")]);
//!         assert_eq!(s.timestamp, 1_700_000_000_000);
//!         n += 1;
//!     }
//! }
//! assert_eq!(n, 1);
//! ```
//!
//! Timestamps: the Prometheus format writes integer milliseconds, OpenMetrics float seconds.
//! [`TextFormat::detect`] picks the format from the start of the input (OpenMetrics if it sees
//! `# EOF`, `# UNIT`, an exemplar or an OpenMetrics-only type); in auto mode a timestamp with a
//! fraction or exponent also switches to OpenMetrics. Pass a format explicitly when known (e.g.
//! from the HTTP `Content-Type`).

mod lexer;
#[cfg(test)]
mod tests;

use std::io::{BufRead, Read};
use std::ops::Range;

use crate::{Error, Result};
use lexer::{Cursor, Span, parse_ts_millis, parse_ts_seconds, parse_value, snippet, unescape_help};

/// Which exposition format to parse; decides how timestamps are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextFormat {
    /// Prometheus text format 0.0.4: timestamps are integer milliseconds.
    Prometheus,
    /// OpenMetrics 1.0: timestamps are float seconds; `# EOF` ends the document.
    OpenMetrics,
}

impl TextFormat {
    /// Guesses the format from the first bytes of a document: OpenMetrics if they contain
    /// `# EOF`, `# UNIT`, an exemplar (` # {`), or a type only OpenMetrics has.
    pub fn detect(prefix: &[u8]) -> Self {
        const MARKERS: [&[u8]; 3] = [b"# EOF", b"# UNIT ", b" # {"];
        const OM_TYPES: [&[u8]; 4] = [b" gaugehistogram", b" stateset", b" info", b" unknown"];
        for line in prefix.split(|&b| b == b'\n') {
            if MARKERS.iter().any(|m| contains(line, m)) {
                return Self::OpenMetrics;
            }
            if line.starts_with(b"# TYPE ") && OM_TYPES.iter().any(|t| line.trim_ascii_end().ends_with(t)) {
                return Self::OpenMetrics;
            }
        }
        Self::Prometheus
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The metric type declared by a `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// Monotonic counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Classic (bucketed) histogram.
    Histogram,
    /// OpenMetrics gauge histogram.
    GaugeHistogram,
    /// Summary with quantiles.
    Summary,
    /// OpenMetrics info metric.
    Info,
    /// OpenMetrics state set.
    StateSet,
    /// `unknown` (OpenMetrics) or `untyped` (Prometheus).
    Unknown,
}

impl MetricType {
    /// Parses a `# TYPE` keyword.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "counter" => Self::Counter,
            "gauge" => Self::Gauge,
            "histogram" => Self::Histogram,
            "gaugehistogram" => Self::GaugeHistogram,
            "summary" => Self::Summary,
            "info" => Self::Info,
            "stateset" => Self::StateSet,
            "unknown" | "untyped" => Self::Unknown,
            _ => return None,
        })
    }
}

/// A label set borrowed from the parser: `(name, value)` pairs sorted by name (byte order, as
/// `rill_model::Labels` wants them), `__name__` included for samples.
#[derive(Debug, Clone, Copy)]
pub struct LabelSet<'a> {
    text: &'a str,
    spans: &'a [Span],
}

impl<'a> LabelSet<'a> {
    /// Iterates the pairs in sorted order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + 'a {
        let text = self.text;
        self.spans
            .iter()
            .map(move |(n, v)| (text.get(n.clone()).unwrap_or(""), text.get(v.clone()).unwrap_or("")))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The value of label `name`, if present.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// An exemplar attached to a sample after ` # `.
#[derive(Debug, Clone, Copy)]
pub struct Exemplar<'a> {
    /// The exemplar's labels (sorted; no `__name__`).
    pub labels: LabelSet<'a>,
    /// The exemplar value.
    pub value: f64,
    /// The exemplar timestamp in milliseconds, if given.
    pub timestamp: Option<i64>,
}

/// One sample line.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// The metric name (also present as `__name__` in [`Sample::labels`]).
    pub name: &'a str,
    /// The sample value (NaN payloads preserved as parsed).
    pub value: f64,
    /// Timestamp in milliseconds: the line's own, or the parser's default.
    pub timestamp: i64,
    /// Whether the line carried its own timestamp.
    pub has_timestamp: bool,
    /// The exemplar, if the line had one.
    pub exemplar: Option<Exemplar<'a>>,
    labels: LabelSet<'a>,
}

impl<'a> Sample<'a> {
    /// All labels including `__name__`, sorted by name.
    pub fn labels(&self) -> LabelSet<'a> {
        self.labels
    }
}

/// One parsed line (blank lines are skipped).
#[derive(Debug, Clone, Copy)]
pub enum Entry<'a> {
    /// `# HELP name text` (text unescaped).
    Help {
        /// Metric family name.
        metric: &'a str,
        /// Help text.
        text: &'a str,
    },
    /// `# TYPE name type`.
    Type {
        /// Metric family name.
        metric: &'a str,
        /// Declared type.
        kind: MetricType,
    },
    /// `# UNIT name unit` (OpenMetrics).
    Unit {
        /// Metric family name.
        metric: &'a str,
        /// Unit, e.g. `seconds`.
        unit: &'a str,
    },
    /// Any other `#` line; the text after `#` with leading whitespace trimmed.
    Comment(&'a str),
    /// A sample.
    Sample(Sample<'a>),
    /// `# EOF`: the end of an OpenMetrics document; the parser returns `Ok(None)` afterwards.
    Eof,
}

/// Default cap on the length of one line, so a document without newlines cannot make the parser
/// buffer unbounded input.
pub const DEFAULT_MAX_LINE_LEN: usize = 16 << 20;

/// Streaming exposition parser over a [`BufRead`]. See the module docs.
#[derive(Debug)]
pub struct TextParser<R> {
    reader: R,
    format: Option<TextFormat>,
    auto: bool,
    default_ts: i64,
    max_line: usize,
    line_no: usize,
    done: bool,
    line: Vec<u8>,
    scratch: String,
    spans: Vec<Span>,
    ex_spans: Vec<Span>,
}

impl<R: BufRead> TextParser<R> {
    /// Parser that detects the format from the first buffered bytes; samples without a
    /// timestamp get `default_ts_ms`.
    pub fn new(reader: R, default_ts_ms: i64) -> Self {
        Self::build(reader, None, default_ts_ms)
    }

    /// Parser for a known format.
    pub fn with_format(reader: R, format: TextFormat, default_ts_ms: i64) -> Self {
        Self::build(reader, Some(format), default_ts_ms)
    }

    fn build(reader: R, format: Option<TextFormat>, default_ts: i64) -> Self {
        Self {
            reader,
            auto: format.is_none(),
            format,
            default_ts,
            max_line: DEFAULT_MAX_LINE_LEN,
            line_no: 0,
            done: false,
            line: Vec::with_capacity(256),
            scratch: String::with_capacity(256),
            spans: Vec::with_capacity(16),
            ex_spans: Vec::new(),
        }
    }

    /// Sets the maximum accepted line length in bytes.
    pub fn max_line_len(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    /// The format in use (detected lazily on the first call to [`TextParser::next_entry`]).
    pub fn format(&self) -> Option<TextFormat> {
        self.format
    }

    /// The 1-based number of the line most recently returned.
    pub fn line_number(&self) -> usize {
        self.line_no
    }

    fn err(&self, reason: String) -> Error {
        Error::Text {
            line: self.line_no,
            reason,
        }
    }

    /// Parses the next non-blank line. `Ok(None)` at the end of input or after `# EOF`.
    /// The entry borrows the parser's buffers until the next call.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>> {
        if self.done {
            return Ok(None);
        }
        if self.format.is_none() {
            let prefix = self.reader.fill_buf().map_err(Error::Io)?;
            self.format = Some(TextFormat::detect(prefix));
        }
        loop {
            self.line.clear();
            let limit = u64::try_from(self.max_line).unwrap_or(u64::MAX).saturating_add(1);
            let n = Read::by_ref(&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.line)
                .map_err(Error::Io)?;
            if n == 0 {
                self.done = true;
                return Ok(None);
            }
            self.line_no += 1;
            if self.line.len() > self.max_line {
                let e = self.err(format!("line longer than {} bytes", self.max_line));
                self.done = true;
                return Err(e);
            }
            let mut bytes = self.line.as_slice();
            if let Some(b) = bytes.strip_suffix(b"\n") {
                bytes = b;
            }
            if let Some(b) = bytes.strip_suffix(b"\r") {
                bytes = b;
            }
            if bytes.iter().all(|&b| b == b' ' || b == b'\t') {
                continue;
            }
            let line_len = bytes.len();
            if std::str::from_utf8(bytes).is_err() {
                return Err(self.err("invalid UTF-8".to_string()));
            }
            self.line.truncate(line_len);
            break;
        }
        self.parse_line()
    }

    fn parse_line(&mut self) -> Result<Option<Entry<'_>>> {
        self.scratch.clear();
        self.spans.clear();
        self.ex_spans.clear();
        let line_no = self.line_no;
        let Ok(line) = std::str::from_utf8(&self.line) else {
            return Err(Error::Text {
                line: line_no,
                reason: "invalid UTF-8".to_string(),
            });
        };
        let fail = |reason: String| Error::Text { line: line_no, reason };
        let om = self.format == Some(TextFormat::OpenMetrics);
        if let Some(comment) = line.strip_prefix('#') {
            return match parse_meta(comment, &mut self.scratch).map_err(fail)? {
                Meta::Eof => {
                    self.done = true;
                    Ok(Some(Entry::Eof))
                }
                Meta::Comment => Ok(Some(Entry::Comment(comment.trim_start()))),
                Meta::Help(m, t) => Ok(Some(Entry::Help {
                    metric: self.scratch.get(m).unwrap_or(""),
                    text: self.scratch.get(t).unwrap_or(""),
                })),
                Meta::Unit(m, u) => Ok(Some(Entry::Unit {
                    metric: self.scratch.get(m).unwrap_or(""),
                    unit: self.scratch.get(u).unwrap_or(""),
                })),
                Meta::Type(m, kind) => Ok(Some(Entry::Type {
                    metric: self.scratch.get(m).unwrap_or(""),
                    kind,
                })),
            };
        }
        let parsed = parse_sample(
            line,
            &mut self.scratch,
            &mut self.spans,
            &mut self.ex_spans,
            om,
            self.auto,
        )
        .map_err(fail)?;
        if parsed.switched_to_om {
            self.format = Some(TextFormat::OpenMetrics);
        }
        let text = self.scratch.as_str();
        let exemplar = parsed.exemplar.map(|(value, timestamp)| Exemplar {
            labels: LabelSet {
                text,
                spans: &self.ex_spans,
            },
            value,
            timestamp,
        });
        Ok(Some(Entry::Sample(Sample {
            name: text.get(parsed.name).unwrap_or(""),
            value: parsed.value,
            timestamp: parsed.timestamp.unwrap_or(self.default_ts),
            has_timestamp: parsed.timestamp.is_some(),
            exemplar,
            labels: LabelSet {
                text,
                spans: &self.spans,
            },
        })))
    }
}

enum Meta {
    Help(Range<usize>, Range<usize>),
    Type(Range<usize>, MetricType),
    Unit(Range<usize>, Range<usize>),
    Eof,
    Comment,
}

/// Parses the part of a `#` line after the `#`.
fn parse_meta(rest: &str, out: &mut String) -> std::result::Result<Meta, String> {
    let mut c = Cursor::new(rest);
    if c.skip_ws() == 0 {
        return Ok(Meta::Comment);
    }
    let keyword = c.token();
    let kind = match keyword {
        "HELP" | "TYPE" | "UNIT" => keyword,
        "EOF" => {
            c.skip_ws();
            return if c.at_end() { Ok(Meta::Eof) } else { Ok(Meta::Comment) };
        }
        _ => return Ok(Meta::Comment),
    };
    if c.skip_ws() == 0 {
        return Err(format!("expected metric name after # {kind}"));
    }
    let name = if c.peek() == Some(b'"') {
        c.quoted(out, "metric name")?
    } else {
        let start = out.len();
        let Some(n) = c.bare_name(true) else {
            return Err(format!("invalid metric name {} in # {kind}", snippet(c.rest())));
        };
        out.push_str(n);
        start..out.len()
    };
    let sep = c.skip_ws();
    if !c.at_end() && sep == 0 {
        return Err(format!(
            "expected whitespace after metric name, got {}",
            snippet(c.rest())
        ));
    }
    match kind {
        "HELP" => {
            let text = unescape_help(c.rest(), out);
            Ok(Meta::Help(name, text))
        }
        "TYPE" => {
            let tok = c.token();
            let t = MetricType::parse(tok).ok_or_else(|| format!("unknown metric type {}", snippet(tok)))?;
            c.skip_ws();
            if !c.at_end() {
                return Err(format!("unexpected text after type: {}", snippet(c.rest())));
            }
            Ok(Meta::Type(name, t))
        }
        _ => {
            let start = out.len();
            out.push_str(c.rest().trim_end());
            Ok(Meta::Unit(name, start..out.len()))
        }
    }
}

struct ParsedSample {
    name: Range<usize>,
    value: f64,
    timestamp: Option<i64>,
    exemplar: Option<(f64, Option<i64>)>,
    switched_to_om: bool,
}

const NAME_LABEL: &str = "__name__";

/// Parses a sample line into `out`/`spans`; sorts the labels and rejects duplicates.
fn parse_sample(
    line: &str,
    out: &mut String,
    spans: &mut Vec<Span>,
    ex_spans: &mut Vec<Span>,
    mut om: bool,
    auto: bool,
) -> std::result::Result<ParsedSample, String> {
    let mut c = Cursor::new(line);
    // `__name__` first so its value range is known; sorted below with the rest.
    let name_label = out.len()..out.len() + NAME_LABEL.len();
    out.push_str(NAME_LABEL);
    let mut name = out.len()..out.len();
    if let Some(n) = c.bare_name(true) {
        out.push_str(n);
        name = name.start..out.len();
    } else if c.peek() != Some(b'{') {
        return Err(format!("expected metric name, got {}", snippet(c.rest())));
    }
    let has_bare_name = !name.is_empty();
    let mut ws = c.skip_ws();
    if c.eat(b'{') {
        if let Some(quoted) = c.label_set(out, spans, !has_bare_name)? {
            name = quoted;
        }
        ws = c.skip_ws();
    }
    if name.is_empty() {
        return Err("missing metric name".to_string());
    }
    spans.push((name_label, name.clone()));
    sort_and_check(out, spans)?;

    if ws == 0 {
        return Err(format!("expected whitespace before value, got {}", snippet(c.rest())));
    }
    let value = parse_value(c.token(), "value")?;
    c.skip_ws();
    let mut timestamp = None;
    let mut switched_to_om = false;
    if !c.at_end() && c.peek() != Some(b'#') {
        let tok = c.token();
        if auto && !om && tok.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            om = true;
            switched_to_om = true;
        }
        timestamp = Some(if om {
            parse_ts_seconds(tok)?
        } else {
            parse_ts_millis(tok)?
        });
        c.skip_ws();
    }
    let mut exemplar = None;
    if c.eat(b'#') {
        c.skip_ws();
        if !c.eat(b'{') {
            return Err(format!(
                "expected '{{' to start exemplar labels, got {}",
                snippet(c.rest())
            ));
        }
        c.label_set(out, ex_spans, false)?;
        sort_and_check(out, ex_spans)?;
        c.skip_ws();
        let ev = parse_value(c.token(), "exemplar value")?;
        c.skip_ws();
        let ets = if c.at_end() {
            None
        } else {
            Some(parse_ts_seconds(c.token())?)
        };
        c.skip_ws();
        exemplar = Some((ev, ets));
    }
    if !c.at_end() {
        return Err(format!("unexpected text {}", snippet(c.rest())));
    }
    Ok(ParsedSample {
        name,
        value,
        timestamp,
        exemplar,
        switched_to_om,
    })
}

fn sort_and_check(out: &str, spans: &mut [Span]) -> std::result::Result<(), String> {
    let name_of = |s: &Span| out.get(s.0.clone()).unwrap_or("");
    if !spans.is_sorted_by(|a, b| name_of(a) <= name_of(b)) {
        spans.sort_unstable_by(|a, b| name_of(a).cmp(name_of(b)));
    }
    for w in spans.windows(2) {
        if let [a, b] = w
            && name_of(a) == name_of(b)
        {
            return Err(format!("duplicate label name {:?}", name_of(a)));
        }
    }
    Ok(())
}
