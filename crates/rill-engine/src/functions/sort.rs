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
                let ord = names
                    .iter()
                    .map(|n| (a.0.get_or_empty(n), b.0.get_or_empty(n)))
                    .find(|(x, y)| x != y)
                    .map_or_else(|| a.0.cmp(b.0), |(x, y)| natural_cmp(x, y));
                if *desc { ord.reverse() } else { ord }
            }
        }
    }
}

/// Natural order of strings: runs of digits compare as numbers, other runs as text.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
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
