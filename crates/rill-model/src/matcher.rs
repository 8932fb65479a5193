//! Label matchers: `=`, `!=`, `=~`, `!~`.
//!
//! Regular expressions are fully anchored as in Prometheus (`^(?s:RE)$`, so `.` also matches a
//! newline). Common shapes skip the regex engine: a pattern without meta characters is an
//! equality test, an alternation of literals (`a|b|c`) a set lookup, and `.*` / `.+` are
//! "anything" / "anything non-empty". A missing label matches like an empty value.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::labels::{Labels, is_legacy_label_name, write_quoted};

/// The four matching operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    /// The operator as written in PromQL.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// How a regex matcher tests values, chosen once at construction.
#[derive(Clone, Debug)]
enum RegexKind {
    /// `.*`: every value.
    Any,
    /// `.+`: every non-empty value.
    NonEmpty,
    /// No meta characters: plain equality.
    Literal(Arc<str>),
    /// `a|b|c` of literals.
    Set(Arc<[Box<str>]>),
    /// Anything else.
    Compiled(regex::Regex),
}

/// A label matcher such as `job=~"api|web"`.
#[derive(Clone)]
pub struct Matcher {
    /// Label name the matcher applies to.
    pub name: Arc<str>,
    /// The operator.
    pub op: MatchOp,
    /// The value or pattern as written (unescaped).
    pub value: Arc<str>,
    regex: Option<RegexKind>,
}

impl Matcher {
    /// Builds a matcher, compiling the regex for `=~` / `!~`.
    pub fn new(op: MatchOp, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Result<Self> {
        let value = value.into();
        let regex = match op {
            MatchOp::Regex | MatchOp::NotRegex => Some(compile(&value)?),
            _ => None,
        };
        Ok(Matcher {
            name: name.into(),
            op,
            value,
            regex,
        })
    }

    /// Shorthand for an `=` matcher, which cannot fail.
    pub fn equal(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        Matcher {
            name: name.into(),
            op: MatchOp::Equal,
            value: value.into(),
            regex: None,
        }
    }

    /// Whether `value` (use `""` for a missing label) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self.op {
            MatchOp::Equal => *self.value == *value,
            MatchOp::NotEqual => *self.value != *value,
            MatchOp::Regex => self.regex_matches(value),
            MatchOp::NotRegex => !self.regex_matches(value),
        }
    }

    /// Whether the label set satisfies the matcher.
    pub fn matches_labels(&self, labels: &Labels) -> bool {
        self.matches(labels.get_or_empty(&self.name))
    }

    /// Whether the matcher accepts the empty string (and so also series without the label).
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }

    /// For `=` and literal `=~` matchers, the single value they accept.
    pub fn literal_value(&self) -> Option<&str> {
        match (&self.op, &self.regex) {
            (MatchOp::Equal, _) => Some(&self.value),
            (MatchOp::Regex, Some(RegexKind::Literal(v))) => Some(v),
            _ => None,
        }
    }

    /// For `=~"a|b|c"` matchers, the finite set of values they accept.
    pub fn set_values(&self) -> Option<&[Box<str>]> {
        match (&self.op, &self.regex) {
            (MatchOp::Regex, Some(RegexKind::Set(s))) => Some(s),
            _ => None,
        }
    }

    fn regex_matches(&self, value: &str) -> bool {
        match &self.regex {
            Some(RegexKind::Any) => true,
            Some(RegexKind::NonEmpty) => !value.is_empty(),
            Some(RegexKind::Literal(l)) => **l == *value,
            Some(RegexKind::Set(s)) => s.iter().any(|v| **v == *value),
            Some(RegexKind::Compiled(re)) => re.is_match(value),
            None => false,
        }
    }
}

fn is_plain_literal(s: &str) -> bool {
    !s.chars().any(|c| "\\.+*?()|[]{}^$".contains(c))
}

fn compile(pattern: &str) -> Result<RegexKind> {
    match pattern {
        ".*" => return Ok(RegexKind::Any),
        ".+" => return Ok(RegexKind::NonEmpty),
        _ => {}
    }
    if is_plain_literal(pattern) {
        return Ok(RegexKind::Literal(pattern.into()));
    }
    if pattern.contains('|') && pattern.split('|').all(is_plain_literal) {
        return Ok(RegexKind::Set(
            pattern.split('|').map(Box::from).collect::<Vec<_>>().into(),
        ));
    }
    let anchored = format!("^(?s:{pattern})$");
    regex::Regex::new(&anchored)
        .map(RegexKind::Compiled)
        .map_err(|e| Error::InvalidRegex {
            pattern: pattern.to_string(),
            reason: regex_reason(&e),
        })
}

fn regex_reason(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(s) => s
            .lines()
            .last()
            .unwrap_or(s)
            .trim()
            .trim_start_matches("error: ")
            .to_string(),
        other => other.to_string(),
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_legacy_label_name(&self.name) {
            f.write_str(&self.name)?;
        } else {
            write_quoted(f, &self.name)?;
        }
        f.write_str(self.op.as_str())?;
        write_quoted(f, &self.value)
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(op: MatchOp, v: &str) -> Matcher {
        Matcher::new(op, "l", v).unwrap()
    }

    #[test]
    fn regex_is_fully_anchored() {
        let r = m(MatchOp::Regex, "fo+");
        assert!(r.matches("foo"));
        assert!(!r.matches("xfoo"));
        assert!(!r.matches("foox"));
        assert!(m(MatchOp::NotRegex, "fo+").matches("xfoo"));
    }

    #[test]
    fn dot_matches_newline() {
        assert!(m(MatchOp::Regex, "a.b").matches("a\nb"));
    }

    #[test]
    fn fast_paths_agree_with_regex() {
        for (pat, yes, no) in [
            (".*", "", "\n"),
            (".+", "x", ""),
            ("abc", "abc", "ab"),
            ("a|bc|", "bc", "b"),
        ] {
            let fast = m(MatchOp::Regex, pat);
            let slow = regex::Regex::new(&format!("^(?s:{pat})$")).unwrap();
            for v in [yes, no, "", "abc", "a"] {
                assert_eq!(fast.matches(v), slow.is_match(v), "pattern {pat} value {v:?}");
            }
        }
        assert!(m(MatchOp::Regex, "a|bc|").matches(""));
    }

    #[test]
    fn equality_and_missing_labels() {
        let l = Labels::from_pairs([("job", "api")]);
        assert!(Matcher::equal("job", "api").matches_labels(&l));
        assert!(Matcher::equal("x", "").matches_labels(&l));
        assert!(!m(MatchOp::NotEqual, "").matches(""));
    }

    #[test]
    fn bad_regex_is_an_error() {
        let err = Matcher::new(MatchOp::Regex, "l", "(").unwrap_err();
        assert!(err.to_string().contains("invalid regular expression"), "{err}");
    }

    #[test]
    fn display_quotes() {
        assert_eq!(m(MatchOp::Regex, "a\"b").to_string(), r#"l=~"a\"b""#);
    }
}
