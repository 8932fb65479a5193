//! One binary operation between two vector elements, floats or native histograms, with
//! Prometheus's rules for which combinations exist (`vectorElemBinop`) and its annotations
//! for the ones that do not.

use std::sync::Arc;

use rill_model::{CounterResetHint, FloatHistogram, HistogramError};
use rill_promql::{BinaryOp, PosRange};

use crate::annotations::Annotation;
use crate::context::QueryContext;
use crate::operators::binops::float_binop;
use crate::operators::binops::trim::trim_histogram;

/// An operand: a float or a histogram.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// A float value.
    Float(f64),
    /// A histogram value.
    Histogram(&'a Arc<FloatHistogram>),
}

/// The value of an operation.
#[derive(Clone, Debug)]
pub enum ElemValue {
    /// A float result.
    Float(f64),
    /// A histogram result.
    Histogram(Arc<FloatHistogram>),
}

fn type_name(o: &Operand<'_>) -> &'static str {
    match o {
        Operand::Float(_) => "float",
        Operand::Histogram(_) => "histogram",
    }
}

fn scaled(h: &FloatHistogram, f: impl FnOnce(&mut FloatHistogram)) -> ElemValue {
    let mut h = h.clone();
    f(&mut h);
    h.compact(0);
    ElemValue::Histogram(Arc::new(h))
}

/// `lhs op rhs`: the value and whether a comparison keeps the element, or `None` when the
/// element is dropped (an info or warning is then recorded at `pos`, as Prometheus does).
pub fn elem_binop(
    op: BinaryOp,
    lhs: Operand<'_>,
    rhs: Operand<'_>,
    pos: PosRange,
    cx: &mut QueryContext,
) -> Option<(ElemValue, bool)> {
    use BinaryOp::*;
    let incompatible = |cx: &mut QueryContext| {
        cx.annotate(Annotation::info(
            format!(
                "incompatible sample types encountered for binary operator \"{op}\": {} {op} {}",
                type_name(&lhs),
                type_name(&rhs)
            ),
            pos,
        ));
        None
    };
    match (lhs, rhs) {
        (Operand::Float(l), Operand::Float(r)) => match float_binop(op, l, r) {
            Some((v, keep)) => Some((ElemValue::Float(v), keep)),
            None => incompatible(cx),
        },
        (Operand::Float(l), Operand::Histogram(h)) => match op {
            Mul => Some((scaled(h, |h| h.mul(l)), true)),
            _ => incompatible(cx),
        },
        (Operand::Histogram(h), Operand::Float(r)) => match op {
            Mul => Some((scaled(h, |h| h.mul(r)), true)),
            Div => Some((scaled(h, |h| h.div(r)), true)),
            TrimUpper | TrimLower => Some((
                ElemValue::Histogram(Arc::new(trim_histogram(h, r, op == TrimUpper))),
                true,
            )),
            _ => incompatible(cx),
        },
        (Operand::Histogram(l), Operand::Histogram(r)) => match op {
            Add | Sub => combine(op, l, r, pos, cx),
            Eql => Some((ElemValue::Histogram(l.clone()), l.equals(r))),
            Neq => Some((ElemValue::Histogram(l.clone()), !l.equals(r))),
            _ => incompatible(cx),
        },
    }
}

/// `h1 + h2` or `h1 - h2`.
fn combine(
    op: BinaryOp,
    l: &FloatHistogram,
    r: &FloatHistogram,
    pos: PosRange,
    cx: &mut QueryContext,
) -> Option<(ElemValue, bool)> {
    let mut res = l.clone();
    let (result, operation) = if op == BinaryOp::Add {
        (res.add(r), "addition")
    } else {
        (res.sub(r), "subtraction")
    };
    match result {
        Err(HistogramError::IncompatibleSchema) => {
            cx.annotate(Annotation::warning(
                format!("incompatible bucket layout encountered for binary operator {op}"),
                pos,
            ));
            None
        }
        Err(_) => None,
        Ok(info) => {
            if info.nhcb_bounds_reconciled {
                cx.annotate(Annotation::info(
                    format!("mismatched custom buckets were reconciled during {operation}"),
                    pos,
                ));
            }
            if info.counter_reset_collision {
                cx.annotate(Annotation::warning(
                    format!("conflicting counter resets during histogram {operation}"),
                    pos,
                ));
                return None;
            }
            if op == BinaryOp::Sub {
                res.counter_reset_hint = CounterResetHint::Gauge;
            }
            res.compact(0);
            Some((ElemValue::Histogram(Arc::new(res)), true))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_rules() {
        let mut cx = QueryContext::unlimited();
        let h = Arc::new(FloatHistogram {
            count: 2.0,
            sum: 3.0,
            ..FloatHistogram::default()
        });
        let p = PosRange::new(0, 1);
        let r = elem_binop(BinaryOp::Mul, Operand::Histogram(&h), Operand::Float(2.0), p, &mut cx);
        assert!(matches!(r, Some((ElemValue::Histogram(ref x), true)) if x.count == 4.0));
        assert!(elem_binop(BinaryOp::Gtr, Operand::Histogram(&h), Operand::Float(2.0), p, &mut cx).is_none());
        let texts: Vec<_> = cx.annotations.iter().map(|a| a.msg.clone()).collect();
        assert_eq!(
            texts,
            vec!["incompatible sample types encountered for binary operator \">\": histogram > float"]
        );
        let eq = elem_binop(
            BinaryOp::Eql,
            Operand::Histogram(&h),
            Operand::Histogram(&h),
            p,
            &mut cx,
        );
        assert!(matches!(eq, Some((ElemValue::Histogram(_), true))));
    }
}
