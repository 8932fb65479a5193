//! `absent(v)` and `absent_over_time(m)`: one series, valued 1 at the steps where the argument
//! has no sample, labelled from the equality matchers of the argument's selector.

use rill_model::{Labels, LabelsBuilder, METRIC_NAME, MatchOp};
use rill_promql::{Call, Expr};

use crate::context::QueryContext;
use crate::error::Result;
use crate::functions::common::{arg, plan_instant, plan_range, step_index};
use crate::functions::custom;
use crate::memory::PooledVec;
use crate::operator::{InstantVectorOperator, Operator, RangeVectorOperator};
use crate::registry::{ArgPlanner, FunctionDef, FunctionFactory};
use crate::types::{FPoint, InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// The labels of `absent`'s output: every `name="value"` matcher of the selector argument,
/// except `__name__` and names matched more than once (Prometheus's historic behaviour).
pub fn absent_labels(expr: &Expr) -> Labels {
    let matchers = match expr {
        Expr::VectorSelector(vs) => &vs.matchers,
        Expr::MatrixSelector(ms) => &ms.selector.matchers,
        _ => return Labels::empty(),
    };
    let mut b = LabelsBuilder::default();
    let mut seen: Vec<&str> = Vec::new();
    for m in matchers {
        if &*m.name == METRIC_NAME {
            continue;
        }
        if m.op == MatchOp::Equal && !seen.contains(&&*m.name) {
            b.set(m.name.clone(), m.value.clone());
            seen.push(&m.name);
        } else {
            b.del(&m.name);
        }
    }
    b.build()
}

/// Where `absent` reads presence from.
enum Input {
    Instant(Box<dyn InstantVectorOperator>),
    Range(Box<dyn RangeVectorOperator>),
}

/// Emits 1 at every step where no input series has a sample.
pub struct AbsentOperator {
    input: Input,
    labels: Labels,
    range: QueryTimeRange,
    done: bool,
}

impl AbsentOperator {
    /// Marks the steps at which any input series has a sample.
    fn present_steps(&mut self, cx: &mut QueryContext) -> Result<PooledVec<bool>> {
        let mut present = PooledVec::filled(self.range.steps(), false, &cx.tracker)?;
        let mark = |t: i64, present: &mut PooledVec<bool>| -> Result<()> {
            if let Some(p) = present.get_mut(step_index(&self.range, t)?) {
                *p = true;
            }
            Ok(())
        };
        match &mut self.input {
            Input::Instant(op) => {
                op.series_metadata(cx)?;
                while let Some(s) = op.next_series(cx)? {
                    for t in s.floats.iter().map(|p| p.t).chain(s.histograms.iter().map(|p| p.t)) {
                        mark(t, &mut present)?;
                    }
                }
            }
            Input::Range(op) => {
                op.series_metadata(cx)?;
                while op.next_series(cx)? {
                    while let Some(w) = op.next_step_samples(cx)? {
                        if !w.floats.is_empty() || !w.histograms.is_empty() {
                            mark(w.step_time, &mut present)?;
                        }
                    }
                }
            }
        }
        Ok(present)
    }
}

impl InstantVectorOperator for AbsentOperator {
    fn series_metadata(&mut self, _cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        Ok(vec![SeriesMetadata::new(self.labels.clone())])
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        let present = self.present_steps(cx)?;
        let absent = present.iter().filter(|p| !**p).count();
        let mut floats = PooledVec::with_capacity(absent, &cx.tracker)?;
        for (t, p) in self.range.times().zip(present.iter()) {
            if !*p {
                floats.push(FPoint { t, f: 1.0 })?;
            }
        }
        Ok(Some(InstantVectorSeriesData {
            floats,
            histograms: PooledVec::with_capacity(0, &cx.tracker)?,
        }))
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        match &mut self.input {
            Input::Instant(op) => op.finalize(cx),
            Input::Range(op) => op.finalize(cx),
        }
    }
}

struct AbsentFactory {
    over_time: bool,
}

impl FunctionFactory for AbsentFactory {
    fn build(&self, call: &Call, planner: &mut dyn ArgPlanner) -> Result<Operator> {
        let labels = absent_labels(arg(call, 0)?);
        let input = if self.over_time {
            Input::Range(plan_range(call, 0, planner)?)
        } else {
            Input::Instant(plan_instant(call, 0, planner)?)
        };
        Ok(Operator::Instant(Box::new(AbsentOperator {
            input,
            labels,
            range: planner.time_range(),
            done: false,
        })))
    }
}

/// The definitions of this family.
pub(crate) fn definitions() -> Vec<FunctionDef> {
    vec![
        custom("absent", AbsentFactory { over_time: false }),
        custom("absent_over_time", AbsentFactory { over_time: true }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_model::Matcher;
    use rill_promql::{PosRange, VectorSelector};

    #[test]
    fn labels_from_equality_matchers() {
        let m = |op, n: &str, v: &str| Matcher::new(op, n, v).unwrap();
        let vs = Expr::VectorSelector(VectorSelector {
            name: Some("x".into()),
            matchers: vec![
                m(MatchOp::Equal, "__name__", "x"),
                m(MatchOp::Equal, "job", "a"),
                m(MatchOp::Equal, "job", "b"),
                m(MatchOp::Equal, "foo", "bar"),
                m(MatchOp::Regex, "re", "a.*"),
            ],
            offset: None,
            at: None,
            mode: Default::default(),
            pos: PosRange::new(0, 1),
        });
        assert_eq!(absent_labels(&vs), Labels::from_pairs([("foo", "bar")]));
    }
}
