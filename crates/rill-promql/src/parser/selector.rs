//! Vector selectors, label matchers and the postfix modifiers: `[range]`, `[range:step]`,
//! `offset`, `@`, `anchored` and `smoothed`.

use rill_model::{METRIC_NAME, MatchOp, Matcher};

use super::{Parser, Result, duration};
use crate::ast::*;
use crate::lexer::{Token, TokenKind, go_quote};

/// Which postfix modifier is being applied, for messages.
#[derive(Clone, Copy)]
enum Modifier {
    Offset,
    At,
}

impl Parser<'_> {
    /// A primary expression followed by any number of postfix modifiers.
    pub(super) fn parse_postfix(&mut self) -> Result<Expr> {
        let expr = self.parse_primary()?;
        self.parse_postfix_modifiers(expr)
    }

    /// The postfix modifiers after `expr`, in a helper of its own so that its large frame is
    /// not on the stack while the primary expression recurses.
    #[inline(never)]
    fn parse_postfix_modifiers(&mut self, mut expr: Expr) -> Result<Expr> {
        let depth = self.depth;
        loop {
            let t = self.peek().clone();
            expr = match t.kind {
                TokenKind::LeftBracket => {
                    // `x[1m:][1m:]...` nests a subquery per bracket: count each as a level.
                    self.enter()?;
                    self.parse_range_or_subquery(expr)?
                }
                TokenKind::At => {
                    self.advance();
                    let at = self.parse_at_value()?;
                    self.apply_at(expr, at)?
                }
                TokenKind::Ident if self.at_word("offset") => {
                    self.advance();
                    let offset = self.parse_offset_value()?;
                    self.apply_offset(expr, offset)?
                }
                TokenKind::Ident if self.at_word("anchored") => {
                    self.advance();
                    self.apply_mode(expr, RangeMode::Anchored, t.pos.end)?
                }
                TokenKind::Ident if self.at_word("smoothed") => {
                    self.advance();
                    self.apply_mode(expr, RangeMode::Smoothed, t.pos.end)?
                }
                _ => {
                    self.depth = depth;
                    return Ok(expr);
                }
            };
        }
    }

    /// A vector selector: optional metric name (already current token when `name` is given)
    /// and optional `{...}` matchers.
    pub(super) fn parse_vector_selector(&mut self, name: Option<Token>) -> Result<Expr> {
        let start = self.peek().pos.start;
        let mut end = self.peek().pos.end;
        let outer_name = name.map(|t| {
            self.advance();
            self.text(&t).to_string()
        });
        let mut matchers = Vec::new();
        let mut inner_name = None;
        if self.peek().kind == TokenKind::LeftBrace {
            end = self.parse_matchers(&mut matchers, &mut inner_name)?;
        }
        let pos = PosRange::new(start, end);
        if let Some(n) = &outer_name {
            if let Some(m) = matchers.iter().find(|m: &&Matcher| &*m.name == METRIC_NAME) {
                return Err(self.err(
                    pos,
                    format!(
                        "metric name must not be set twice: {} or {}",
                        go_quote(n),
                        go_quote(&m.value)
                    ),
                ));
            }
            matchers.push(Matcher::equal(METRIC_NAME, n.as_str()));
        }
        Ok(Expr::VectorSelector(VectorSelector {
            name: outer_name.or(inner_name),
            matchers,
            offset: None,
            at: None,
            mode: RangeMode::Classic,
            pos,
        }))
    }

    /// `{ matcher, ... }`; returns the end of `}`. A bare quoted string is a metric name.
    fn parse_matchers(&mut self, matchers: &mut Vec<Matcher>, name: &mut Option<String>) -> Result<usize> {
        self.advance();
        loop {
            let t = self.peek().clone();
            match t.kind {
                TokenKind::RightBrace => return Ok(self.advance().pos.end),
                TokenKind::Ident | TokenKind::String => {
                    self.advance();
                    let label = if t.kind == TokenKind::String {
                        self.string_value(&t)?
                    } else {
                        self.text(&t).to_string()
                    };
                    let op = match self.peek().kind {
                        TokenKind::Assign => Some(MatchOp::Equal),
                        TokenKind::Neq => Some(MatchOp::NotEqual),
                        TokenKind::EqlRegex => Some(MatchOp::Regex),
                        TokenKind::NeqRegex => Some(MatchOp::NotRegex),
                        _ => None,
                    };
                    match op {
                        Some(op) => {
                            self.advance();
                            let value_token = self.peek().clone();
                            if value_token.kind != TokenKind::String {
                                return Err(self.unexpected("label matching", "string"));
                            }
                            self.advance();
                            let value = self.string_value(&value_token)?;
                            let m = Matcher::new(op, label.as_str(), value.as_str()).map_err(|e| {
                                self.err(PosRange::new(t.pos.start, value_token.pos.end), e.to_string())
                            })?;
                            matchers.push(m);
                        }
                        None if t.kind == TokenKind::String => {
                            if name.is_none() {
                                *name = Some(label.clone());
                            }
                            matchers.push(Matcher::equal(METRIC_NAME, label.as_str()));
                        }
                        None => return Err(self.unexpected("label matching", "label matching operator")),
                    }
                }
                _ => return Err(self.unexpected("label matching", "identifier or \"}\"")),
            }
            match self.peek().kind {
                TokenKind::Comma => {
                    self.advance();
                }
                TokenKind::RightBrace => {}
                _ => return Err(self.unexpected("label matching", "\",\" or \"}\"")),
            }
        }
    }

    /// `[range]` on a vector selector or `[range:step]` / `[range:]` on any expression.
    fn parse_range_or_subquery(&mut self, expr: Expr) -> Result<Expr> {
        let open = self.advance();
        if !starts_duration(&self.peek().kind) {
            return Err(self.unexpected("subquery selector", "number or duration"));
        }
        let range = self.parse_bracket_duration()?;
        match self.peek().kind {
            TokenKind::RightBracket => {
                let close = self.advance();
                let bracket = PosRange::new(open.pos.start, close.pos.end);
                let Expr::VectorSelector(mut vs) = expr else {
                    return Err(self.err(bracket, "ranges only allowed for vector selectors"));
                };
                if vs.offset.is_some() {
                    return Err(self.err(bracket, "no offset modifiers allowed before range"));
                }
                if vs.at.is_some() {
                    return Err(self.err(bracket, "no @ modifiers allowed before range"));
                }
                let mode = std::mem::take(&mut vs.mode);
                let pos = PosRange::new(vs.pos.start, close.pos.end);
                Ok(Expr::MatrixSelector(MatrixSelector {
                    selector: vs,
                    range,
                    mode,
                    pos,
                }))
            }
            TokenKind::Colon => {
                self.advance();
                let step = if self.peek().kind == TokenKind::RightBracket {
                    None
                } else if starts_duration(&self.peek().kind) {
                    Some(self.parse_bracket_duration()?)
                } else {
                    return Err(self.unexpected("subquery selector", "number or duration or \"]\""));
                };
                let close = self.expect(TokenKind::RightBracket, "subquery selector", "\"]\"")?;
                Ok(Expr::Subquery(SubqueryExpr {
                    pos: PosRange::new(expr.pos().start, close.pos.end),
                    expr: Box::new(expr),
                    range,
                    step,
                    offset: None,
                    at: None,
                }))
            }
            _ => Err(self.unexpected("subquery or range", "\":\" or \"]\"")),
        }
    }

    /// The value after `@`: a signed number (seconds) or `start()` / `end()`.
    fn parse_at_value(&mut self) -> Result<AtModifier> {
        let start = self.peek().pos.start;
        if self.at_word("start") || self.at_word("end") {
            let is_start = self.at_word("start");
            self.advance();
            self.expect(TokenKind::LeftParen, "@", "\"(\"")?;
            self.expect(TokenKind::RightParen, "@", "\")\"")?;
            return Ok(if is_start { AtModifier::Start } else { AtModifier::End });
        }
        if !matches!(
            self.peek().kind,
            TokenKind::Number | TokenKind::Duration | TokenKind::Sub | TokenKind::Add
        ) {
            return Err(self.unexpected("@", "timestamp"));
        }
        let ts = self.parse_signed_number("@", "timestamp")?;
        let end = self.tokens[self.idx.saturating_sub(1)].pos.end;
        if !ts.is_finite() || ts >= i64::MAX as f64 || ts <= i64::MIN as f64 {
            return Err(self.err(
                PosRange::new(start, end),
                format!(
                    "timestamp out of bounds for @ modifier: {}",
                    crate::printer::go_fixed6(ts)
                ),
            ));
        }
        Ok(AtModifier::Timestamp((ts * 1000.0).round() as i64))
    }

    fn apply_at(&mut self, expr: Expr, at: AtModifier) -> Result<Expr> {
        let end = self.tokens[self.idx.saturating_sub(1)].pos.end;
        self.apply_modifier(expr, Modifier::At, end, |slot_at, _| {
            if slot_at.is_some() {
                return Err("@ <timestamp> may not be set multiple times");
            }
            *slot_at = Some(at);
            Ok(())
        })
    }

    fn apply_offset(&mut self, expr: Expr, offset: DurationExpr) -> Result<Expr> {
        let end = self.tokens[self.idx.saturating_sub(1)].pos.end;
        self.apply_modifier(expr, Modifier::Offset, end, |_, slot_offset| {
            if slot_offset.is_some() {
                return Err("offset may not be set multiple times");
            }
            *slot_offset = Some(offset);
            Ok(())
        })
    }

    /// Sets `@` or `offset` on a selector or subquery and extends its position to `end`.
    fn apply_modifier(
        &self,
        mut expr: Expr,
        which: Modifier,
        end: usize,
        set: impl FnOnce(&mut Option<AtModifier>, &mut Option<DurationExpr>) -> std::result::Result<(), &'static str>,
    ) -> Result<Expr> {
        let pos = expr.pos();
        let result = match &mut expr {
            Expr::VectorSelector(vs) => {
                vs.pos.end = end;
                set(&mut vs.at, &mut vs.offset)
            }
            Expr::MatrixSelector(ms) => {
                ms.pos.end = end;
                set(&mut ms.selector.at, &mut ms.selector.offset)
            }
            Expr::Subquery(sq) => {
                sq.pos.end = end;
                set(&mut sq.at, &mut sq.offset)
            }
            _ => Err(match which {
                Modifier::Offset => {
                    "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
                }
                Modifier::At => {
                    "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"
                }
            }),
        };
        result.map(|()| expr).map_err(|msg| self.err(pos, msg))
    }

    fn apply_mode(&mut self, mut expr: Expr, mode: RangeMode, end: usize) -> Result<Expr> {
        let pos = expr.pos();
        let name = if mode == RangeMode::Anchored {
            "anchored"
        } else {
            "smoothed"
        };
        if !self.options.extended_range_selectors {
            return Err(self.err(pos, format!("{name} modifier is experimental and not enabled")));
        }
        let slot = match &mut expr {
            Expr::VectorSelector(vs) => {
                vs.pos.end = end;
                &mut vs.mode
            }
            Expr::MatrixSelector(ms) => {
                ms.pos.end = end;
                &mut ms.mode
            }
            Expr::Subquery(_) => return Err(self.err(pos, format!("{name} modifier is not supported for subqueries"))),
            _ => return Err(self.err(pos, format!("{name} modifier not implemented"))),
        };
        if *slot != RangeMode::Classic && *slot != mode {
            return Err(self.err(pos, "anchored and smoothed modifiers cannot be used together"));
        }
        *slot = mode;
        Ok(expr)
    }

    /// Reports a duration-expression error at the current position if the feature is off.
    pub(super) fn require_duration_exprs(&self, pos: PosRange) -> Result<()> {
        if self.options.duration_expressions {
            Ok(())
        } else {
            Err(self.err(pos, "experimental duration expression is not enabled"))
        }
    }

    /// The range or step inside brackets: a literal, or a duration expression.
    fn parse_bracket_duration(&mut self) -> Result<DurationExpr> {
        let start = self.peek().pos.start;
        let (expr, literal) = duration::parse_duration_expr(self, 0)?;
        if !literal {
            let end = self.tokens[self.idx.saturating_sub(1)].pos.end;
            self.require_duration_exprs(PosRange::new(start, end))?;
        }
        Ok(expr)
    }
}

/// Whether a token can start a duration (expression).
fn starts_duration(kind: &TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Number
            | TokenKind::Duration
            | TokenKind::LeftParen
            | TokenKind::Sub
            | TokenKind::Add
            | TokenKind::Ident
    )
}
