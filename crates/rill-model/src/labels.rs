//! Label sets: the identity of a series.
//!
//! A [`Labels`] value is an immutable, sorted-by-name list of [`Label`] pairs behind an `Arc`,
//! so cloning a label set (which the engine does for every output series) is one reference
//! count bump. Names and values are `Arc<str>` as well, so deriving a new set (dropping
//! `__name__`, grouping `by (job)`) shares the strings instead of copying them.
//! Ordering is Prometheus's `labels.Compare`: pairwise by name, then value; a prefix sorts first.

use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

/// The reserved label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// One `name="value"` pair.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// Label name.
    pub name: Arc<str>,
    /// Label value; never empty in a stored series (an empty value means "absent").
    pub value: Arc<str>,
}

impl Label {
    /// Builds a label from anything string-like.
    pub fn new(name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> Self {
        Label {
            name: name.into(),
            value: value.into(),
        }
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?}", self.name, &*self.value)
    }
}

/// An immutable label set, sorted by name with unique names and no empty values.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Labels(Arc<[Label]>);

impl Labels {
    /// The empty label set.
    pub fn empty() -> Self {
        Labels(Arc::from(Vec::new()))
    }

    /// Builds a label set from pairs in any order. Later duplicates win; empty values are dropped.
    pub fn from_pairs<N: Into<Arc<str>>, V: Into<Arc<str>>>(pairs: impl IntoIterator<Item = (N, V)>) -> Self {
        let mut builder = LabelsBuilder::default();
        for (n, v) in pairs {
            builder.set(n, v);
        }
        builder.build()
    }

    /// Wraps labels that the caller guarantees are sorted by name, unique and non-empty.
    pub fn from_sorted(labels: Vec<Label>) -> Self {
        debug_assert!(
            labels.windows(2).all(|w| w[0].name < w[1].name),
            "labels not sorted/unique"
        );
        Labels(labels.into())
    }

    /// The labels as a slice, sorted by name.
    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    /// Iterates over the labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set has no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`, or `None` when absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| (*l.name).cmp(name))
            .ok()
            .map(|i| &*self.0[i].value)
    }

    /// The value of `name`, or `""` when absent (Prometheus's convention).
    pub fn get_or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Whether the set has a label called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The metric name (`__name__`), if any.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// A copy without `__name__` (shares the strings).
    pub fn without_metric_name(&self) -> Labels {
        if !self.has(METRIC_NAME) {
            return self.clone();
        }
        self.filter(|l| &*l.name != METRIC_NAME)
    }

    /// Keeps only the labels for which `keep` returns true.
    pub fn filter(&self, mut keep: impl FnMut(&Label) -> bool) -> Labels {
        Labels(self.0.iter().filter(|l| keep(l)).cloned().collect::<Vec<_>>().into())
    }

    /// Keeps only the labels whose names are in `names` (`by (...)` grouping).
    pub fn keep_names(&self, names: &[impl AsRef<str>]) -> Labels {
        self.filter(|l| names.iter().any(|n| n.as_ref() == &*l.name))
    }

    /// Drops the labels whose names are in `names` (`without (...)` grouping).
    pub fn drop_names(&self, names: &[impl AsRef<str>]) -> Labels {
        self.filter(|l| !names.iter().any(|n| n.as_ref() == &*l.name))
    }

    /// A builder initialised with these labels, for modifications.
    pub fn to_builder(&self) -> LabelsBuilder {
        LabelsBuilder {
            labels: self.0.to_vec(),
        }
    }

    /// A 64-bit hash of the whole set, stable within one process.
    pub fn hash64(&self) -> u64 {
        foldhash::quality::FixedState::with_seed(0x5eed).hash_one(self)
    }

    /// A 64-bit hash of only the labels named in `names` (or of all others with `without`).
    ///
    /// Used by vector matching and grouping; a missing label hashes like an empty value,
    /// matching Prometheus, where `by (x)` groups series without `x` with `x=""`.
    pub fn hash_for(&self, names: &[impl AsRef<str>], without: bool) -> u64 {
        let mut h = foldhash::quality::FixedState::with_seed(0x5eed).build_hasher();
        for l in self.0.iter() {
            let listed = names.iter().any(|n| n.as_ref() == &*l.name);
            if listed != without {
                l.name.hash(&mut h);
                l.value.hash(&mut h);
            }
        }
        h.finish()
    }

    /// Whether any two labels share a name (impossible for sets built here; for checks).
    pub fn has_duplicate_names(&self) -> bool {
        self.0.windows(2).any(|w| w[0].name == w[1].name)
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Writes a string as a Go-style double-quoted literal, as Prometheus prints label values.
pub fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    write_quoted_bytes(f, s.as_bytes())
}

/// Like [`write_quoted`] for bytes that may not be valid UTF-8 (a Go string may hold any
/// bytes): each invalid byte is written as `\xNN`, as Go's `%q` does.
pub fn write_quoted_bytes(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    f.write_char('"')?;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        for b in chunk.invalid() {
            write!(f, "\\x{b:02x}")?;
        }
    }
    f.write_char('"')
}

/// Whether `name` is a valid label name under Prometheus 3's UTF-8 validation: any
/// non-empty valid UTF-8 (given as bytes, because a PromQL literal may hold invalid UTF-8).
pub fn is_valid_label_name(name: &[u8]) -> bool {
    !name.is_empty() && std::str::from_utf8(name).is_ok()
}

/// Whether `s` is a legacy (unquoted) label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `s` is a legacy (unquoted) metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

impl fmt::Display for Labels {
    /// Prometheus's text form: `name{a="b", c="d"}`, `{a="b"}` without a name, `{}` when empty.
    /// Names that are not legacy identifiers are quoted, as Prometheus 3 does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.metric_name();
        let mut first = true;
        match name {
            Some(n) if is_legacy_metric_name(n) => f.write_str(n)?,
            Some(n) => {
                f.write_str("{")?;
                write_quoted(f, n)?;
                first = false;
            }
            None => {}
        }
        let rest: Vec<&Label> = self.0.iter().filter(|l| &*l.name != METRIC_NAME).collect();
        if matches!(name, Some(n) if is_legacy_metric_name(n)) && rest.is_empty() {
            return Ok(());
        }
        if first {
            f.write_str("{")?;
        }
        for l in rest {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            if is_legacy_label_name(&l.name) {
                f.write_str(&l.name)?;
            } else {
                write_quoted(f, &l.name)?;
            }
            f.write_str("=")?;
            write_quoted(f, &l.value)?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Mutable label set used to derive new [`Labels`]; keeps names sorted and unique.
#[derive(Clone, Default, Debug)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl LabelsBuilder {
    /// Sets `name` to `value`; an empty value deletes the label (Prometheus semantics).
    pub fn set(&mut self, name: impl Into<Arc<str>>, value: impl Into<Arc<str>>) -> &mut Self {
        let name = name.into();
        let value = value.into();
        match self.labels.binary_search_by(|l| l.name.cmp(&name)) {
            Ok(i) if value.is_empty() => {
                self.labels.remove(i);
            }
            Ok(i) => self.labels[i].value = value,
            Err(_) if value.is_empty() => {}
            Err(i) => self.labels.insert(i, Label { name, value }),
        }
        self
    }

    /// Removes `name` if present.
    pub fn del(&mut self, name: &str) -> &mut Self {
        if let Ok(i) = self.labels.binary_search_by(|l| (*l.name).cmp(name)) {
            self.labels.remove(i);
        }
        self
    }

    /// The current value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|l| (*l.name).cmp(name))
            .ok()
            .map(|i| &*self.labels[i].value)
    }

    /// Keeps only labels for which `keep` is true.
    pub fn retain(&mut self, keep: impl FnMut(&Label) -> bool) -> &mut Self {
        self.labels.retain(keep);
        self
    }

    /// Finishes the set.
    pub fn build(&self) -> Labels {
        Labels(self.labels.clone().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_invalid_utf8_like_go() {
        let mut out = String::new();
        write_quoted_bytes(&mut out, b"a\xc5z\"\n").unwrap();
        assert_eq!(out, r#""a\xc5z\"\n""#);
        assert!(is_valid_label_name("é".as_bytes()));
        assert!(!is_valid_label_name(b"a\xc5z"));
        assert!(!is_valid_label_name(b""));
    }

    #[test]
    fn from_pairs_sorts_dedups_and_drops_empty() {
        let l = Labels::from_pairs([("b", "2"), ("a", "1"), ("c", ""), ("a", "3")]);
        assert_eq!(l.len(), 2);
        assert_eq!(l.get("a"), Some("3"));
        assert_eq!(l.get("b"), Some("2"));
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn display_matches_prometheus() {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "a\"b")]);
        assert_eq!(l.to_string(), r#"up{job="a\"b"}"#);
        assert_eq!(Labels::from_pairs([("__name__", "up")]).to_string(), "up");
        assert_eq!(Labels::empty().to_string(), "{}");
        let l = Labels::from_pairs([("__name__", "my.metric"), ("a.b", "1")]);
        assert_eq!(l.to_string(), r#"{"my.metric", "a.b"="1"}"#);
    }

    #[test]
    fn ordering_is_pairwise() {
        let a = Labels::from_pairs([("a", "1")]);
        let b = Labels::from_pairs([("a", "1"), ("b", "1")]);
        let c = Labels::from_pairs([("a", "2")]);
        assert!(a < b && b < c);
    }

    #[test]
    fn hash_for_groups_missing_like_empty() {
        let x = Labels::from_pairs([("job", "a"), ("i", "1")]);
        let y = Labels::from_pairs([("job", "a"), ("i", "2")]);
        assert_eq!(x.hash_for(&["job"], false), y.hash_for(&["job"], false));
        assert_ne!(x.hash_for(&["i"], false), y.hash_for(&["i"], false));
        assert_eq!(x.hash_for(&["i"], true), y.hash_for(&["i"], true));
    }

    #[test]
    fn builder_set_and_delete() {
        let l = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let mut b = l.to_builder();
        b.set("c", "3").del("a").set("b", "");
        assert_eq!(b.build(), Labels::from_pairs([("c", "3")]));
    }
}
