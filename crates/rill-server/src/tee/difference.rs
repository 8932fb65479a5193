//! The typed differences between two query answers, each printing as one short line.

use std::fmt;

/// Which server an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The reference server (e.g. Prometheus).
    Reference,
    /// The server under test (e.g. Rill).
    Test,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Reference => "ref",
            Side::Test => "test",
        })
    }
}

/// One way two answers differ. Label sets print as `name{a="b",...}`, values as the servers
/// wrote them.
#[derive(Clone, Debug, PartialEq)]
pub enum Difference {
    /// Only one side answered with an error.
    Error {
        /// The side that failed.
        side: Side,
        /// Its `errorType: error`.
        message: String,
    },
    /// An answer is not in the shape of the Prometheus API.
    Malformed {
        /// The side whose answer is malformed.
        side: Side,
        /// What is wrong.
        what: String,
    },
    /// The `resultType`s differ.
    ResultType {
        /// The reference's type.
        reference: String,
        /// The test's type.
        test: String,
    },
    /// A series is in one answer only.
    OnlyIn {
        /// The side that has it.
        side: Side,
        /// Its labels.
        labels: String,
    },
    /// An answer has the same label set twice.
    DuplicateSeries {
        /// The side with the duplicate.
        side: Side,
        /// Its labels.
        labels: String,
    },
    /// A series (or a scalar / string) has points at different timestamps.
    Timestamps {
        /// Its labels (empty for scalars and strings).
        labels: String,
        /// Timestamps only the reference has.
        only_reference: Vec<f64>,
        /// Timestamps only the test has.
        only_test: Vec<f64>,
    },
    /// A value differs beyond the tolerances (floats), or at all (strings, histogram shapes).
    Value {
        /// The series' labels (empty for scalars and strings).
        labels: String,
        /// The timestamp in seconds.
        t: f64,
        /// The reference's value.
        reference: String,
        /// The test's value.
        test: String,
    },
    /// The values of a top-level `sort` / `sort_desc` come in a different order.
    Order {
        /// The first reference values.
        reference: Vec<String>,
        /// The first test values.
        test: Vec<String>,
    },
}

impl Difference {
    /// The kind of difference, with its side where it has one (`"error ref"`, `"only in
    /// test"`, `"value"`, ...): a minimiser that keeps the kind stays on the same bug.
    pub fn kind(&self) -> String {
        match self {
            Difference::Error { side, .. } => format!("error {side}"),
            Difference::Malformed { side, .. } => format!("malformed {side}"),
            Difference::ResultType { .. } => "result type".into(),
            Difference::OnlyIn { side, .. } => format!("only in {side}"),
            Difference::DuplicateSeries { side, .. } => format!("duplicate in {side}"),
            Difference::Timestamps { .. } => "timestamps".into(),
            Difference::Value { .. } => "value".into(),
            Difference::Order { .. } => "order".into(),
        }
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Error { side, message } => write!(f, "only {side} failed: {message}"),
            Difference::Malformed { side, what } => write!(f, "{side} answer malformed: {what}"),
            Difference::ResultType { reference, test } => write!(f, "result type: ref {reference}, test {test}"),
            Difference::OnlyIn { side, labels } => write!(f, "only in {side}: {labels}"),
            Difference::DuplicateSeries { side, labels } => write!(f, "duplicate series in {side}: {labels}"),
            Difference::Timestamps {
                labels,
                only_reference,
                only_test,
            } => write!(
                f,
                "{labels}: timestamps only in ref {:?}, only in test {:?}",
                first(only_reference),
                first(only_test)
            ),
            Difference::Value {
                labels,
                t,
                reference,
                test,
            } => write!(f, "{labels} @{t}: ref {reference}, test {test}"),
            Difference::Order { reference, test } => write!(f, "sort order: ref {reference:?}, test {test:?}"),
        }
    }
}

/// At most the first three items (the rest is noise in a one-line diff).
fn first(v: &[f64]) -> &[f64] {
    &v[..v.len().min(3)]
}

/// Up to `max` differences, one per line with `indent`, and a count of the rest.
pub fn format_differences(diffs: &[Difference], max: usize, indent: &str) -> String {
    let mut out = String::new();
    for d in diffs.iter().take(max) {
        out.push_str(&format!("{indent}{d}\n"));
    }
    if diffs.len() > max {
        out.push_str(&format!("{indent}... {} differences in total\n", diffs.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_print_on_one_line() {
        let d = Difference::Value {
            labels: "up{job=\"a\"}".into(),
            t: 1.5,
            reference: "1".into(),
            test: "2".into(),
        };
        assert_eq!(d.to_string(), "up{job=\"a\"} @1.5: ref 1, test 2");
        assert_eq!(d.kind(), "value");
        let only = Difference::OnlyIn {
            side: Side::Test,
            labels: String::new(),
        };
        assert_eq!(only.kind(), "only in test");
        let ts = Difference::Timestamps {
            labels: "x{}".into(),
            only_reference: vec![1.0, 2.0, 3.0, 4.0],
            only_test: vec![],
        };
        assert_eq!(
            ts.to_string(),
            "x{}: timestamps only in ref [1.0, 2.0, 3.0], only in test []"
        );
        let text = format_differences(&[d.clone(), d.clone(), d], 2, "  ");
        assert_eq!(text.lines().count(), 3);
        assert!(text.ends_with("  ... 3 differences in total\n"), "{text}");
    }
}
