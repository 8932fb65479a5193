//! `sort`, `sort_desc`, `sort_by_label`, `sort_by_label_desc`: reorder the series of an
//! instant query. Range query results are always ordered by labels, so there they pass the
//! series through unchanged with Prometheus's "ineffective" warning.

use std::cmp::Ordering;

use rill_model::Labels;
use rill_promql::{Call, PosRange};

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{plan_instant, string_arg};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{InstantVectorSeriesData, SeriesMetadata};

/// How to order the series.
#[derive(Clone, Debug)]
pub enum SortBy {
    /// By value ascending (`sort`) or descending (`sort_desc`); NaN last either way.
    Value {
        /// Descending order.
        desc: bool,
    },
    /// By the given labels in natural order, then by the full label set.
    Labels {
        /// Label names, most significant first.
        names: Vec<String>,
        /// Descending order.
        desc: bool,
    },
}

impl SortBy {
    fn by_value(&self) -> bool {
        matches!(self, SortBy::Value { .. })
    }

    /// Compares two series by this order.
    fn compare(&self, a: (&Labels, f64), b: (&Labels, f64)) -> Ordering {
        match self {
            SortBy::Value { desc } => match (a.1.is_nan(), b.1.is_nan()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ if *desc => b.1.total_cmp(&a.1),
                _ => a.1.total_cmp(&b.1),
            },
            SortBy::Labels { names, desc } => {
                // As Prometheus: the first named label whose values differ decides, in natural
                // order; when all are equal, the full label sets do, so the order is total.
                let ord = names
                    .iter()
                    .map(|n| (a.0.get_or_empty(n), b.0.get_or_empty(n)))
                    .find(|(x, y)| x != y)
                    .map_or(Ordering::Equal, |(x, y)| natural_cmp(x, y))
                    .then_with(|| a.0.cmp(b.0));
                if *desc { ord.reverse() } else { ord }
            }
        }
    }
}

/// Natural order of strings, as Prometheus's `natsort.Compare` (github.com/facette/natsort):
/// both strings are split into runs of ASCII digits and runs of other characters; two digit
/// runs compare as numbers, any other pair of runs as bytes; a string whose runs are a prefix
/// of the other's comes first (`"a" < "a1"`, `"1.2.3" < "1.11.3"`).
///
/// natsort is not a total order, and Rust's sort may panic on one that is not, so where it is
/// inconsistent this decides: digit runs of equal value but different text (`"0.05"` vs
/// `"0.005"`, which natsort calls each less than the other) are ordered by their text, but
/// only once every run compared equal by value (so `"05b"` still sorts after `"5a"`, as in
/// Prometheus); digit runs beyond `i64`, which Go compares as text (not transitively), compare
/// by value. Only equal strings compare `Equal`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ca, cb) = (chunks(a), chunks(b));
    let mut text_tie = Ordering::Equal;
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = if is_digits(x) && is_digits(y) {
            if text_tie == Ordering::Equal {
                text_tie = x.cmp(y);
            }
            numeric_cmp(x, y)
        } else {
            x.cmp(y)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then(text_tie)
}

/// Whether a run is a digit run (runs are never empty).
fn is_digits(run: &str) -> bool {
    run.bytes().all(|b| b.is_ascii_digit())
}

/// Compares two digit runs by the numbers they spell, whatever their length.
fn numeric_cmp(x: &str, y: &str) -> Ordering {
    let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_digit = None;
    for (i, c) in s.char_indices() {
        let d = c.is_ascii_digit();
        if prev_digit.is_some_and(|p| p != d) {
            out.push(&s[start..i]);
            start = i;
        }
        prev_digit = Some(d);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Reorders an instant query's series, or passes a range query's through.
pub struct SortOperator {
    input: Box<dyn InstantVectorOperator>,
    by: SortBy,
    instant: bool,
    pos: PosRange,
    /// Buffered input in output order (instant queries only).
    sorted: Vec<InstantVectorSeriesData>,
}

impl InstantVectorOperator for SortOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let meta = self.input.series_metadata(cx)?;
        if !self.instant {
            cx.annotate(Annotation::warning(
                "sort is ineffective for range queries since results are always ordered by labels",
                self.pos,
            ));
            return Ok(meta);
        }
        let mut all = Vec::with_capacity(meta.len());
        for m in meta {
            let Some(mut data) = self.input.next_series(cx)? else {
                break;
            };
            if self.by.by_value() {
                data.histograms.clear();
            }
            let v = data.floats.first().map_or(f64::NAN, |p| p.f);
            all.push((m, v, data));
        }
        all.sort_by(|a, b| self.by.compare((&a.0.labels, a.1), (&b.0.labels, b.1)));
        let mut out = Vec::with_capacity(all.len());
        // Stored reversed so `next_series` can pop from the end.
        for (m, _, data) in all.into_iter().rev() {
            out.push(m);
            self.sorted.push(data);
        }
        out.reverse();
        Ok(out)
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if self.instant {
            return Ok(self.sorted.pop());
        }
        let Some(mut data) = self.input.next_series(cx)? else {
            return Ok(None);
        };
        if self.by.by_value() {
            data.histograms = PooledVec::with_capacity(0, &cx.tracker)?;
        }
        Ok(Some(data))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

struct SortFactory {
    desc: bool,
    by_label: bool,
}

impl FunctionFactory for SortFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let by = if self.by_label {
            let names = (1..call.args.len())
                .map(|i| string_arg(call, i).map(str::to_string))
                .collect::<Result<Vec<_>>>()?;
            SortBy::Labels { names, desc: self.desc }
        } else {
            SortBy::Value { desc: self.desc }
        };
        Ok(Operator::Instant(Box::new(SortOperator {
            input: plan_instant(call, 0, planner)?,
            by,
            instant: planner.time_range().is_instant,
            pos: call.pos,
            sorted: Vec::new(),
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom(
            "sort",
            SortFactory {
                desc: false,
                by_label: false,
            },
        ),
        custom(
            "sort_desc",
            SortFactory {
                desc: true,
                by_label: false,
            },
        ),
        custom(
            "sort_by_label",
            SortFactory {
                desc: false,
                by_label: true,
            },
        ),
        custom(
            "sort_by_label_desc",
            SortFactory {
                desc: true,
                by_label: true,
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("a2", "a10"), Ordering::Less);
        assert_eq!(natural_cmp("a10", "a2"), Ordering::Greater);
        assert_eq!(natural_cmp("b", "a10"), Ordering::Greater);
        assert_eq!(natural_cmp("a", "a1"), Ordering::Less);
        assert_eq!(natural_cmp("1.2.3", "1.11.3"), Ordering::Less);
        assert_eq!(natural_cmp("1.11.3", "1.111.3"), Ordering::Less);
        assert_eq!(natural_cmp("4m5", "4m600"), Ordering::Less);
        // natsort decides by the later run before looking at leading zeros.
        assert_eq!(natural_cmp("05b", "5a"), Ordering::Greater);
    }

    #[test]
    fn natural_order_matches_natsort_examples() {
        let mut list = vec![
            "1000X Radonius Maximus",
            "000050X Radonius",
            "10X Radonius",
            "200X Radonius",
            "20X Radonius",
            "20X Radonius Prime",
            "Allegia 50 Clasteron",
            "Allegia 500 Clasteron",
            "Allegia 50B Clasteron",
            "Allegia 6R Clasteron",
            "Alpha 2A-8000",
            "Alpha 2A-900",
            "Alpha 2",
            "Alpha 2A",
        ];
        list.sort_by(|a, b| natural_cmp(a, b));
        let want = [
            "10X Radonius",
            "20X Radonius",
            "20X Radonius Prime",
            "000050X Radonius",
            "200X Radonius",
            "1000X Radonius Maximus",
            "Allegia 6R Clasteron",
            "Allegia 50 Clasteron",
            "Allegia 50B Clasteron",
            "Allegia 500 Clasteron",
            "Alpha 2",
            "Alpha 2A",
            "Alpha 2A-900",
            "Alpha 2A-8000",
        ];
        assert_eq!(list, want);
    }

    /// Equal-valued digit runs and huge numbers, where natsort itself is inconsistent, still
    /// get a total order: only equal strings tie, and the order is antisymmetric and
    /// transitive over every triple.
    #[test]
    fn natural_order_is_total() {
        let words = [
            "",
            "0",
            "00",
            "5",
            "05",
            "005",
            "0.05",
            "0.005",
            "0.5",
            "a",
            "a1",
            "a01",
            "1a",
            "01a",
            "10",
            "3",
            "+Inf",
            "le",
            "200000000000000000000",
            "99999999999999999999",
            "18446744073709551616",
        ];
        for a in words {
            for b in words {
                let ab = natural_cmp(a, b);
                assert_eq!(ab, natural_cmp(b, a).reverse(), "{a:?} vs {b:?}");
                assert_eq!(ab == Ordering::Equal, a == b, "{a:?} vs {b:?}");
                for c in words {
                    if ab != Ordering::Greater && natural_cmp(b, c) != Ordering::Greater {
                        assert_ne!(natural_cmp(a, c), Ordering::Greater, "{a:?} <= {b:?} <= {c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn label_order_breaks_ties_by_label_set() {
        let by = SortBy::Labels {
            names: vec!["le".to_string()],
            desc: false,
        };
        let a = Labels::from_pairs([("le", "0.05"), ("x", "1")]);
        let b = Labels::from_pairs([("le", "0.005"), ("x", "1")]);
        let c = Labels::from_pairs([("le", "0.05"), ("x", "2")]);
        assert_eq!(by.compare((&b, 0.0), (&a, 0.0)), Ordering::Less);
        assert_eq!(by.compare((&a, 0.0), (&c, 0.0)), Ordering::Less);
        assert_eq!(by.compare((&c, 0.0), (&a, 0.0)), Ordering::Greater);
    }

    #[test]
    fn value_order_puts_nan_last() {
        let l = Labels::empty();
        let asc = SortBy::Value { desc: false };
        let desc = SortBy::Value { desc: true };
        assert_eq!(asc.compare((&l, 1.0), (&l, 2.0)), Ordering::Less);
        assert_eq!(desc.compare((&l, 1.0), (&l, 2.0)), Ordering::Greater);
        assert_eq!(asc.compare((&l, f64::NAN), (&l, 2.0)), Ordering::Greater);
        assert_eq!(desc.compare((&l, f64::NAN), (&l, 2.0)), Ordering::Greater);
    }
}
