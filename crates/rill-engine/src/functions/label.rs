//! `label_replace` and `label_join`: rewrite one label of every series. Series whose rewritten
//! label sets coincide are merged by [`DedupMerge`], failing when two of them have a sample
//! at the same step (Prometheus's `vector cannot contain metrics with the same labelset`).

use regex::Regex;
use rill_model::labels::is_valid_label_name;
use rill_model::{Labels, METRIC_NAME};
use rill_promql::Call;

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::functions::common::{plan_instant, string_arg, string_literal_arg};
use crate::functions::custom;
use crate::operator::{InstantVectorOperator, Operator};
use crate::operators::dedup::DedupMerge;
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{InstantVectorSeriesData, SeriesMetadata};

/// A label rewrite computed from a series' labels.
#[derive(Clone, Debug)]
pub enum Rewrite {
    /// `label_replace(v, dst, replacement, src, regex)`.
    Replace {
        /// Destination label.
        dst: String,
        /// Replacement template with `$1` / `${name}` references.
        replacement: String,
        /// Source label.
        src: String,
        /// The fully anchored regex.
        regex: Regex,
    },
    /// `label_join(v, dst, separator, src...)`.
    Join {
        /// Destination label.
        dst: String,
        /// Separator.
        sep: String,
        /// Source labels.
        srcs: Vec<String>,
    },
}

impl Rewrite {
    fn dst(&self) -> &str {
        match self {
            Rewrite::Replace { dst, .. } | Rewrite::Join { dst, .. } => dst,
        }
    }

    /// The rewritten labels (an empty value removes the label).
    pub fn apply(&self, labels: &Labels) -> Labels {
        let value = match self {
            Rewrite::Replace {
                replacement,
                src,
                regex,
                ..
            } => {
                let Some(caps) = regex.captures(labels.get_or_empty(src)) else {
                    return labels.clone();
                };
                let mut out = String::new();
                caps.expand(replacement, &mut out);
                out
            }
            Rewrite::Join { sep, srcs, .. } => srcs
                .iter()
                .map(|s| labels.get_or_empty(s))
                .collect::<Vec<_>>()
                .join(sep),
        };
        let mut b = labels.to_builder();
        b.set(self.dst(), value);
        b.build()
    }
}

/// Applies a [`Rewrite`] to the labels of every series (the data passes through); the
/// factory wraps it in a [`DedupMerge`] for the series that end up with equal labels.
pub struct LabelRewriteOperator {
    input: Box<dyn InstantVectorOperator>,
    rewrite: Rewrite,
}

impl InstantVectorOperator for LabelRewriteOperator {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let to_name = self.rewrite.dst() == METRIC_NAME;
        Ok(self
            .input
            .series_metadata(cx)?
            .into_iter()
            .map(|m| SeriesMetadata {
                labels: self.rewrite.apply(&m.labels),
                drop_name: m.drop_name && !to_name,
            })
            .collect())
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        self.input.next_series(cx)
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.input.finalize(cx)
    }
}

struct LabelFactory {
    join: bool,
}

impl FunctionFactory for LabelFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let rewrite = if self.join {
            let srcs = (3..call.args.len())
                .map(|i| label_name_arg(call, i, "source"))
                .collect::<Result<Vec<_>>>()?;
            Rewrite::Join {
                dst: label_name_arg(call, 1, "destination")?,
                sep: string_arg(call, 2)?.to_string(),
                srcs,
            }
        } else {
            let pattern = string_arg(call, 4)?;
            let regex = Regex::new(&format!("^(?s:{pattern})$"))
                .map_err(|_| Error::exec(format!("invalid regular expression in label_replace(): {pattern}")))?;
            Rewrite::Replace {
                dst: label_name_arg(call, 1, "destination")?,
                replacement: string_arg(call, 2)?.to_string(),
                src: string_arg(call, 3)?.to_string(),
                regex,
            }
        };
        let rewritten = LabelRewriteOperator {
            input: plan_instant(call, 0, planner)?,
            rewrite,
        };
        Ok(Operator::Instant(Box::new(DedupMerge::new(Box::new(rewritten)))))
    }
}

/// String argument `i` as a label name, checked as Prometheus 3 checks it (non-empty, valid
/// UTF-8): else `invalid <role> label name in <function>(): <name>`.
fn label_name_arg(call: &Call, i: usize, role: &str) -> Result<String> {
    let lit = string_literal_arg(call, i)?;
    if !is_valid_label_name(lit.bytes()) {
        return Err(Error::exec(format!(
            "invalid {role} label name in {}(): {}",
            call.name, lit.value
        )));
    }
    Ok(lit.value.clone())
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("label_replace", LabelFactory { join: false }),
        custom("label_join", LabelFactory { join: true }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(dst: &str, repl: &str, src: &str, re: &str) -> Rewrite {
        Rewrite::Replace {
            dst: dst.into(),
            replacement: repl.into(),
            src: src.into(),
            regex: Regex::new(&format!("^(?s:{re})$")).unwrap(),
        }
    }

    #[test]
    fn replace_is_anchored_and_expands_like_go() {
        let l = Labels::from_pairs([("src", "source-value-10"), ("dst", "orig")]);
        let out = replace("dst", "destination-value-$1", "src", "source-value-(.*)").apply(&l);
        assert_eq!(out.get("dst"), Some("destination-value-10"));
        let out = replace("dst", "x-$1", "src", "value-(.*)").apply(&l);
        assert_eq!(out.get("dst"), Some("orig"), "no substring match");
        let out = replace("dst", "${name}-$1x", "src", "(?P<name>source)-.*").apply(&l);
        assert_eq!(out.get("dst"), Some("source-"), "$1x names group `1x`, which is empty");
        let out = replace("dst", "", "dst", ".*").apply(&l);
        assert_eq!(out.get("dst"), None, "an empty value removes the label");
    }

    #[test]
    fn join_treats_missing_labels_as_empty() {
        let l = Labels::from_pairs([("a", "1"), ("c", "3")]);
        let j = Rewrite::Join {
            dst: "d".into(),
            sep: "-".into(),
            srcs: vec!["a".into(), "b".into(), "c".into()],
        };
        assert_eq!(j.apply(&l).get("d"), Some("1--3"));
    }

    #[test]
    fn label_names_must_be_non_empty_valid_utf8() {
        let call = |q: &str| match rill_promql::parse(q, &rill_promql::StandardFunctions, &Default::default()) {
            Ok(rill_promql::Expr::Call(c)) => c,
            other => panic!("not a call: {other:?}"),
        };
        let c = call(r#"label_replace(m, "\xff", "", "src", "(.*)")"#);
        assert!(label_name_arg(&c, 1, "destination").is_err());
        let c = call(r#"label_replace(m, "ünïcode.name", "", "src", "(.*)")"#);
        assert_eq!(label_name_arg(&c, 1, "destination").unwrap(), "ünïcode.name");
        let c = call(r#"label_join(m, "d", ",", "")"#);
        assert_eq!(
            label_name_arg(&c, 3, "source").unwrap_err().to_string(),
            "invalid source label name in label_join(): "
        );
    }
}
