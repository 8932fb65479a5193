//! Series selection by label matchers over one block's index, with Prometheus's
//! `PostingsForMatchers` semantics:
//!
//! - a matcher that rejects the empty string selects the union of the postings of the values it
//!   accepts (intersected with the other matchers);
//! - a matcher that accepts the empty string also selects series *without* the label, so it is
//!   applied by subtracting the postings of the values it rejects;
//! - with no selecting matcher at all, subtraction starts from all series.
//!
//! Equality and `=~` matchers with a literal or an alternation of literals look values up
//! directly; other regexes test every value of the label once, never every series.

use rill_model::{MatchOp, Matcher};

use super::index::IndexReader;
use super::postings::{BoxPostings, EmptyPostings, intersect, merge, without};
use crate::error::Result;

/// The refs of the series matching all `matchers`, sorted (i.e. in label order).
pub fn postings_for_matchers(ix: &IndexReader, matchers: &[Matcher]) -> Result<BoxPostings> {
    let mut its: Vec<BoxPostings> = Vec::new();
    let mut subtract: Vec<BoxPostings> = Vec::new();
    for m in matchers {
        if is_match_all(m) {
            continue;
        }
        if m.matches_empty() {
            // Series lacking the label match; drop those whose value is rejected.
            let rejected = rejected_postings(ix, m)?;
            if !rejected.is_empty() {
                subtract.push(merge(rejected));
            }
        } else {
            let accepted = accepted_postings(ix, m)?;
            if accepted.is_empty() {
                return Ok(Box::new(EmptyPostings));
            }
            its.push(merge(accepted));
        }
    }
    if its.is_empty() {
        its.push(ix.all_postings()?);
    }
    let mut p = intersect(its);
    if !subtract.is_empty() {
        p = without(p, merge(subtract));
    }
    Ok(p)
}

/// `=~".*"` accepts everything, including a missing label: it never restricts.
fn is_match_all(m: &Matcher) -> bool {
    m.op == MatchOp::Regex && &*m.value == ".*"
}

/// Postings of the values `m` accepts, using the literal / set fast paths when possible.
fn accepted_postings(ix: &IndexReader, m: &Matcher) -> Result<Vec<BoxPostings>> {
    if let Some(v) = m.literal_value() {
        return Ok(vec![ix.postings(&m.name, v)?]);
    }
    if let Some(set) = m.set_values() {
        return set.iter().map(|v| ix.postings(&m.name, v)).collect();
    }
    ix.postings_where(&m.name, |v| m.matches(v))
}

/// Postings of the values `m` rejects (for matchers that accept the empty string).
fn rejected_postings(ix: &IndexReader, m: &Matcher) -> Result<Vec<BoxPostings>> {
    match m.op {
        // `l!="v"` rejects exactly `v`.
        MatchOp::NotEqual => Ok(vec![ix.postings(&m.name, &m.value)?]),
        _ => ix.postings_where(&m.name, |v| !m.matches(v)),
    }
}
