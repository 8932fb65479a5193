//! Type checking of a syntactically valid tree, in the order and with the messages of
//! Prometheus's `checkAST`; it also normalises vector matching (`None` unless both sides are
//! instant vectors, many-to-many for set operators).

use crate::ast::*;
use crate::error::ParseError;
use crate::functions::FunctionLookup;
use crate::lexer::go_quote;

type Result<T> = std::result::Result<T, ParseError>;

/// Checks `expr` (the whole query `input`) and returns the first error, as Prometheus reports it.
pub(super) fn check_tree(expr: &mut Expr, input: &str, functions: &dyn FunctionLookup) -> Result<()> {
    Checker { input, functions }.check(expr, false).map(|_| ())
}

struct Checker<'a> {
    input: &'a str,
    functions: &'a dyn FunctionLookup,
}

/// Whether the selector's metric name was written before the braces (Prometheus's `Name`):
/// the parser then appends its `__name__` matcher last.
fn has_outer_name(vs: &VectorSelector) -> bool {
    vs.name.as_deref().is_some_and(|n| {
        vs.matchers.last().is_some_and(|m| {
            &*m.name == rill_model::METRIC_NAME && m.op == rill_model::MatchOp::Equal && &*m.value == n
        })
    })
}

impl Checker<'_> {
    fn err(&self, pos: PosRange, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.input, pos, msg)
    }

    fn expect_type(&self, e: &mut Expr, want: ValueType, context: &str) -> Result<()> {
        let got = self.check(e, false)?;
        if got != want {
            return Err(self.wrong_type(e.pos(), want, context, got));
        }
        Ok(())
    }

    #[inline(never)]
    fn wrong_type(&self, pos: PosRange, want: ValueType, context: &str, got: ValueType) -> ParseError {
        self.err(
            pos,
            format!(
                "expected type {} in {context}, got {}",
                want.document_name(),
                got.document_name()
            ),
        )
    }

    /// Checks a node; `label_selector_only` skips the empty-matcher rule (`info`'s 2nd argument).
    ///
    /// This and the functions it recurses through keep small stack frames (messages are built
    /// in `#[inline(never)]` helpers), since they run once per nesting level.
    fn check(&self, e: &mut Expr, label_selector_only: bool) -> Result<ValueType> {
        let ty = e.value_type();
        match e {
            Expr::Number(_) | Expr::String(_) => {}
            Expr::Paren(p) => {
                self.check(&mut p.expr, false)?;
            }
            Expr::Aggregate(a) => {
                self.expect_type(&mut a.expr, ValueType::Vector, "aggregation expression")?;
                if let (Some(want), Some(param)) = (a.op.param_type(), a.param.as_mut()) {
                    self.expect_type(param, want, "aggregation parameter")?;
                }
            }
            Expr::Binary(b) => self.check_binary(b)?,
            Expr::Call(c) => self.check_call(c)?,
            Expr::Unary(u) => {
                let t = self.check(&mut u.expr, false)?;
                if t != ValueType::Scalar && t != ValueType::Vector {
                    return Err(self.wrong_operand(u.pos, t, false));
                }
            }
            Expr::Subquery(s) => {
                let t = self.check(&mut s.expr, false)?;
                if t != ValueType::Vector {
                    return Err(self.wrong_operand(s.pos, t, true));
                }
            }
            Expr::MatrixSelector(m) => self.check_selector(&m.selector, false)?,
            Expr::VectorSelector(vs) => self.check_selector(vs, label_selector_only)?,
        }
        Ok(ty)
    }

    /// The error for a unary operator's operand, or a subquery's, of the wrong type `t`.
    #[inline(never)]
    fn wrong_operand(&self, pos: PosRange, t: ValueType, subquery: bool) -> ParseError {
        let msg = if subquery {
            format!("subquery is only allowed on instant vector, got {t} instead")
        } else {
            format!(
                "unary expression only allowed on expressions of type scalar or instant vector, got {}",
                go_quote(t.document_name())
            )
        };
        self.err(pos, msg)
    }

    fn check_selector(&self, vs: &VectorSelector, label_selector_only: bool) -> Result<()> {
        if has_outer_name(vs) || label_selector_only {
            return Ok(());
        }
        if !vs.matchers.iter().any(|m| !m.matches_empty()) {
            return Err(self.err(vs.pos, "vector selector must contain at least one non-empty matcher"));
        }
        Ok(())
    }

    /// Prometheus's operator range: from the end of the left side to the start of the right
    /// side, without surrounding whitespace.
    fn op_range(&self, b: &BinaryExpr) -> PosRange {
        let bytes = self.input.as_bytes();
        let mut start = b.lhs.pos().end;
        while bytes.get(start).is_some_and(|c| c.is_ascii_whitespace()) {
            start += 1;
        }
        let mut end = b.rhs.pos().start.saturating_sub(1);
        while end > start && bytes.get(end).is_some_and(|c| c.is_ascii_whitespace()) {
            end -= 1;
        }
        PosRange::new(start, end)
    }

    fn check_binary(&self, b: &mut BinaryExpr) -> Result<()> {
        let lt = self.check(&mut b.lhs, false)?;
        let rt = self.check(&mut b.rhs, false)?;
        self.check_binary_operands(b, lt, rt)
    }

    /// The checks of a binary expression whose operands have types `lt` and `rt`.
    #[inline(never)]
    fn check_binary_operands(&self, b: &mut BinaryExpr, lt: ValueType, rt: ValueType) -> Result<()> {
        if b.return_bool && !b.op.is_comparison() {
            return Err(self.err(
                self.op_range(b),
                "bool modifier can only be used on comparison operators",
            ));
        }
        if b.op.is_comparison() && !b.return_bool && lt == ValueType::Scalar && rt == ValueType::Scalar {
            return Err(self.err(self.op_range(b), "comparisons between scalars must use BOOL modifier"));
        }
        if let Some(m) = b.matching.as_mut() {
            if b.op.is_set() && m.card == Cardinality::OneToOne {
                m.card = Cardinality::ManyToMany;
            }
            if m.on
                && let Some(l) = m.matching_labels.iter().find(|l| m.include.contains(l))
            {
                let msg = format!("label {} must not occur in ON and GROUP clause at once", go_quote(l));
                return Err(self.err(self.op_range(b), msg));
            }
        }
        let operand_ok = |t: ValueType| t == ValueType::Scalar || t == ValueType::Vector;
        if !operand_ok(lt) {
            return Err(self.err(
                b.lhs.pos(),
                "binary expression must contain only scalar and instant vector types",
            ));
        }
        if !operand_ok(rt) {
            return Err(self.err(
                b.rhs.pos(),
                "binary expression must contain only scalar and instant vector types",
            ));
        }
        let has_fill = b.fill.left.is_some() || b.fill.right.is_some();
        let both_vectors = lt == ValueType::Vector && rt == ValueType::Vector;
        if !both_vectors {
            if b.matching.as_ref().is_some_and(|m| !m.matching_labels.is_empty()) {
                return Err(self.err(b.pos, "vector matching only allowed between instant vectors"));
            }
            if has_fill {
                return Err(self.err(b.pos, "filling in missing series only allowed between instant vectors"));
            }
            b.matching = None;
        } else if b.op.is_set() {
            let card = b.matching.as_ref().map_or(Cardinality::ManyToMany, |m| m.card);
            if matches!(card, Cardinality::OneToMany | Cardinality::ManyToOne) {
                return Err(self.err(
                    b.pos,
                    format!("no grouping allowed for {} operation", go_quote(b.op.as_str())),
                ));
            }
            if has_fill {
                return Err(self.err(b.pos, "filling in missing series not allowed for set operators"));
            }
        }
        if (lt == ValueType::Scalar || rt == ValueType::Scalar) && b.op.is_set() {
            return Err(self.err(
                b.pos,
                format!(
                    "set operator {} not allowed in binary scalar expression",
                    go_quote(b.op.as_str())
                ),
            ));
        }
        Ok(())
    }

    fn check_call(&self, c: &mut Call) -> Result<()> {
        let sig = self.check_call_shape(c)?;
        let is_info = c.name == "info";
        for (i, arg) in c.args.iter_mut().enumerate() {
            let want = match sig.arg_types.get(i) {
                Some(t) => *t,
                None if sig.variadic == 0 => break,
                None => match sig.arg_types.last() {
                    Some(t) => *t,
                    None => break,
                },
            };
            let t = self.check(arg, is_info && i == 1)?;
            if t != want {
                return Err(self.wrong_arg_type(arg.pos(), want, &c.name, t));
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn wrong_arg_type(&self, pos: PosRange, want: ValueType, function: &str, got: ValueType) -> ParseError {
        self.wrong_type(pos, want, &format!("call to function {}", go_quote(function)), got)
    }

    /// The checks of a call before its arguments are: the function, the number of arguments,
    /// `info`'s label-selector argument. Returns the signature.
    #[inline(never)]
    fn check_call_shape(&self, c: &Call) -> Result<crate::functions::Signature> {
        // The parser only builds calls of functions the lookup knows.
        let Some(sig) = self.functions.signature(&c.name) else {
            return Err(self.err(c.pos, format!("unknown function with name {}", go_quote(&c.name))));
        };
        let nargs = sig.arg_types.len();
        let got = c.args.len();
        let name = go_quote(&c.name);
        if sig.variadic == 0 {
            if nargs != got {
                return Err(self.err(
                    c.pos,
                    format!("expected {nargs} argument(s) in call to {name}, got {got}"),
                ));
            }
        } else {
            let min = nargs.saturating_sub(1);
            if min > got {
                return Err(self.err(
                    c.pos,
                    format!("expected at least {min} argument(s) in call to {name}, got {got}"),
                ));
            }
            let max = min + sig.variadic.max(0) as usize;
            if sig.variadic > 0 && max < got {
                return Err(self.err(
                    c.pos,
                    format!("expected at most {max} argument(s) in call to {name}, got {got}"),
                ));
            }
        }
        let is_info = c.name == "info";
        if is_info && let Some(arg) = c.args.get(1) {
            if arg.value_type() != ValueType::Vector {
                return Err(self.err(
                    c.pos,
                    format!(
                        "expected type instant vector in call to function {name}, got {}",
                        arg.value_type().document_name()
                    ),
                ));
            }
            match arg {
                Expr::VectorSelector(vs) if has_outer_name(vs) => {
                    return Err(self.err(arg.pos(), "expected label selectors only, got vector selector instead"));
                }
                Expr::VectorSelector(_) => {}
                _ => return Err(self.err(arg.pos(), "expected label selectors only")),
            }
        }
        Ok(sig)
    }
}
