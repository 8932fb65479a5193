//! The parsed form of a promqltest script: commands, expectations and value sequences.

use std::sync::Arc;

use regex::Regex;
use rill_model::{FloatHistogram, Labels};

/// One item of an expanded value sequence (`load` lines and expected result lines).
#[derive(Clone, Debug, PartialEq)]
pub enum SeqValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A float (possibly the stale marker).
    Float(f64),
    /// A native histogram; `hint_set` says whether `counter_reset_hint` was written, which is
    /// the only case where the hint is compared.
    Histogram {
        /// The histogram.
        h: Arc<FloatHistogram>,
        /// Whether the description spelled out `counter_reset_hint`.
        hint_set: bool,
    },
}

/// A series line of a `load` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadSeries {
    /// 1-based line in the script.
    pub line: usize,
    /// The series' labels.
    pub labels: Labels,
    /// Values; the k-th is at `k * step`.
    pub values: Vec<SeqValue>,
    /// Start-timestamp offsets (ms, relative to each sample) from a preceding `@st` line.
    pub start_offsets: Option<Vec<Option<i64>>>,
}

/// `load <step>` / `load_with_nhcb <step>`.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadCmd {
    /// 1-based line of the `load` command.
    pub line: usize,
    /// Interval between samples (ms).
    pub step_ms: i64,
    /// Whether classic histograms are also converted to custom-bucket native histograms.
    pub with_nhcb: bool,
    /// The series, in file order (a later line for the same labels replaces an earlier one).
    pub series: Vec<LoadSeries>,
}

/// When an `eval` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalTime {
    /// `eval instant at <t>` (ms).
    Instant(i64),
    /// `eval range from <start> to <end> step <step>` (ms).
    Range {
        /// First step.
        start: i64,
        /// Last step (inclusive bound).
        end: i64,
        /// Step.
        step: i64,
    },
}

/// How an expected error or annotation text is matched.
#[derive(Clone, Debug)]
pub enum TextMatch {
    /// `msg: <text>`: exact equality.
    Exact(String),
    /// `regex: <re>`: unanchored regex match.
    Regex(Regex),
    /// No `msg:`/`regex:`: anything matches.
    Any,
}

impl TextMatch {
    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            TextMatch::Exact(m) => m == text,
            TextMatch::Regex(r) => r.is_match(text),
            TextMatch::Any => true,
        }
    }

    /// The pattern, for messages.
    pub fn describe(&self) -> String {
        match self {
            TextMatch::Exact(m) => format!("message {m:?}"),
            TextMatch::Regex(r) => format!("pattern {:?}", r.as_str()),
            TextMatch::Any => "pattern \".*\"".to_string(),
        }
    }
}

/// An expected element of a vector or matrix result.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpectedSeries {
    /// 1-based position among the result lines (used by `expect ordered`).
    pub pos: usize,
    /// The labels.
    pub labels: Labels,
    /// One value for instant vectors; one per step for matrices.
    pub values: Vec<SeqValue>,
}

/// An `eval` command with all its expectations.
#[derive(Clone, Debug)]
pub struct EvalCmd {
    /// 1-based line of the `eval` command; identifies the case.
    pub line: usize,
    /// The PromQL expression.
    pub expr: String,
    /// Instant time, or range.
    pub time: EvalTime,
    /// The query must fail (`expect fail` or `eval_fail`).
    pub fail: bool,
    /// How the error text must match (`expect fail msg:/regex:`, `expected_fail_message`...);
    /// `None` accepts any error.
    pub fail_match: Option<TextMatch>,
    /// Legacy `eval_warn`: at least one warning.
    pub legacy_warn: bool,
    /// Legacy `eval_info`: at least one info.
    pub legacy_info: bool,
    /// `expect ordered` / `eval_ordered`.
    pub ordered: bool,
    /// `expect warn` lines.
    pub warn: Vec<TextMatch>,
    /// `expect info` lines.
    pub info: Vec<TextMatch>,
    /// `expect no_warn`.
    pub no_warn: bool,
    /// `expect no_info`.
    pub no_info: bool,
    /// `expect range vector from .. to .. step ..` of an instant eval: `(start, end, step)` ms.
    pub range_vector: Option<(i64, i64, i64)>,
    /// `expect string`: the expected string (Prometheus compares `""` when none is given).
    pub expected_string: String,
    /// Whether `expect string` was given.
    pub expects_string: bool,
    /// A bare-number result line: a scalar result is expected.
    pub expected_scalar: Option<f64>,
    /// Result lines of a vector/matrix result (empty = empty result).
    pub expected: Vec<ExpectedSeries>,
}

impl EvalCmd {
    /// A new eval with no expectations.
    pub fn new(line: usize, expr: String, time: EvalTime) -> Self {
        EvalCmd {
            line,
            expr,
            time,
            fail: false,
            fail_match: None,
            legacy_warn: false,
            legacy_info: false,
            ordered: false,
            warn: Vec::new(),
            info: Vec::new(),
            no_warn: false,
            no_info: false,
            range_vector: None,
            expected_string: String::new(),
            expects_string: false,
            expected_scalar: None,
            expected: Vec::new(),
        }
    }

    /// Whether the range-mode cross-check is skipped by the script (`expect range vector` / `expect string`).
    pub fn excluded_from_range_check(&self) -> bool {
        self.range_vector.is_some() || self.expects_string
    }

    /// The instant evaluation time (the end of `expect range vector` when given).
    pub fn instant_time(&self) -> Option<i64> {
        match (self.time, self.range_vector) {
            (EvalTime::Instant(_), Some((_, end, _))) => Some(end),
            (EvalTime::Instant(t), None) => Some(t),
            (EvalTime::Range { .. }, _) => None,
        }
    }
}

/// A script command.
#[derive(Clone, Debug)]
pub enum Command {
    /// Load series.
    Load(LoadCmd),
    /// Drop all series.
    Clear,
    /// Evaluate and compare.
    Eval(Box<EvalCmd>),
}
