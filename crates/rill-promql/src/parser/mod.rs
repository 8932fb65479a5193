//! The PromQL parser: recursive descent with precedence climbing for binary operators.
//!
//! Parsing happens in two phases, as in Prometheus: the syntax phase builds the tree and
//! reports the first syntax error (with Prometheus's text); only a syntactically valid tree is
//! then type-checked by [`check`], which also normalises vector matching. Precedence follows
//! Prometheus's grammar: `or` < `and`/`unless` < comparisons < `+ -` < `* / % atan2` < `^`
//! (right-associative); unary `-`/`+` binds like `*` (so `-1^2` is `-(1^2)`); the postfix
//! modifiers `[...]`, `offset`, `@`, `anchored`, `smoothed` bind tightest.
//!
//! Files: this one holds the token cursor and expressions; `selector.rs` vector selectors and
//! postfix modifiers; `duration.rs` durations and duration expressions; `check.rs` types.

mod check;
mod duration;
mod selector;

use crate::ast::*;
use crate::error::{ParseError, ParseOptions};
use crate::functions::FunctionLookup;
use crate::lexer::{Token, TokenKind, describe, lossy, tokenize, unquote, unquote_bytes};

/// Nesting deeper than this is rejected ("expression nesting too deep"), so that no query
/// can overflow the stack. Prometheus has no such limit, but a server must not crash.
///
/// Every level of the tree counts: parentheses, unary operators, function and aggregation
/// arguments, subqueries, duration expressions, and each operator of a chain like
/// `a + b + c` (whose tree is as deep as the chain is long). The parsed tree is thus at most
/// this deep, which bounds every later recursive pass over it: type checking, printing,
/// cloning, dropping, planning. The budget: in an unoptimised build the parser and checker
/// take up to about 8 KiB of stack per level (the functions on the recursive path keep small
/// frames; see `parse_primary`), so 128 levels need about 1 MiB and fit a 2 MiB thread with
/// room for the caller; optimised builds need several times less.
pub const MAX_DEPTH: usize = 128;

type Result<T> = std::result::Result<T, ParseError>;

/// Parses and type-checks a PromQL expression.
///
/// `functions` supplies the signatures of callable functions (normally the engine's registry);
/// `options` switches Prometheus's experimental syntax on. Errors carry Prometheus's message and
/// position.
pub fn parse(input: &str, functions: &dyn FunctionLookup, options: &ParseOptions) -> Result<Expr> {
    let mut expr = parse_syntax(input, functions, options)?;
    check::check_tree(&mut expr, input, functions)?;
    Ok(expr)
}

/// Parses a series selector such as `up{job="a"}` as Prometheus's `ParseMetricSelector`
/// does for the API's `match[]`: syntax only, so a selector whose matchers all match the
/// empty string parses (the API rejects it with its own message). Returns `None` when the
/// input is valid PromQL syntax but not a plain selector.
pub fn parse_selector_unchecked(input: &str, options: &ParseOptions) -> Result<Option<VectorSelector>> {
    Ok(match parse_syntax(input, &crate::StandardFunctions, options)? {
        Expr::VectorSelector(vs) => Some(vs),
        _ => None,
    })
}

/// The whole input as one expression, before type checking.
fn parse_syntax(input: &str, functions: &dyn FunctionLookup, options: &ParseOptions) -> Result<Expr> {
    let mut p = Parser {
        input,
        tokens: tokenize(input),
        idx: 0,
        functions,
        options,
        depth: 0,
    };
    if matches!(p.peek().kind, TokenKind::Eof) {
        return Err(ParseError::new(
            input,
            PosRange::default(),
            "no expression found in input",
        ));
    }
    let expr = p.parse_expr(0)?;
    if !matches!(p.peek().kind, TokenKind::Eof) {
        return Err(p.unexpected("", ""));
    }
    Ok(expr)
}

/// A parsed `bool` / `on` / `ignoring` / `group_*` / `fill*` modifier set.
struct BinModifiers {
    return_bool: bool,
    matching: VectorMatching,
    fill: FillModifier,
}

pub(crate) struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    idx: usize,
    functions: &'a dyn FunctionLookup,
    options: &'a ParseOptions,
    depth: usize,
}

impl<'a> Parser<'a> {
    // ---- token cursor -------------------------------------------------------------------

    fn peek(&self) -> &Token {
        self.peek_nth(0)
    }

    fn peek_nth(&self, n: usize) -> &Token {
        // The stream always ends with Eof or Error; stay on it.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.idx + n).min(last)]
    }

    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.idx < self.tokens.len().saturating_sub(1) {
            self.idx += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &'a str {
        self.input.get(t.pos.start..t.pos.end).unwrap_or("")
    }

    /// The current token, if it is a word equal (ignoring ASCII case) to `word`.
    fn at_word(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == TokenKind::Ident && self.text(t).eq_ignore_ascii_case(word)
    }

    fn err(&self, pos: PosRange, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.input, pos, msg)
    }

    /// Prometheus's `unexpected <token>[ in <context>][, expected <expected>]`, at the current
    /// token; a lexer error token reports its own message instead.
    fn unexpected(&self, context: &str, expected: &str) -> ParseError {
        let t = self.peek();
        if let TokenKind::Error(msg) = &t.kind {
            return self.err(t.pos, msg.clone());
        }
        let mut msg = format!("unexpected {}", describe(t, self.input));
        if !context.is_empty() {
            msg.push_str(" in ");
            msg.push_str(context);
        }
        if !expected.is_empty() {
            msg.push_str(", expected ");
            msg.push_str(expected);
        }
        self.err(t.pos, msg)
    }

    fn expect(&mut self, kind: TokenKind, context: &str, expected: &str) -> Result<Token> {
        if self.peek().kind == kind {
            Ok(self.advance())
        } else {
            Err(self.unexpected(context, expected))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let pos = self.peek().pos;
            return Err(self.err(
                pos,
                format!("expression nesting too deep (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    // ---- expressions --------------------------------------------------------------------

    /// Parses an expression whose binary operators bind at least as tightly as `min_prec`.
    fn parse_expr(&mut self, min_prec: u8) -> Result<Expr> {
        self.enter()?;
        let result = self.parse_expr_inner(min_prec);
        self.depth -= 1;
        result
    }

    fn parse_expr_inner(&mut self, min_prec: u8) -> Result<Expr> {
        let mut lhs = self.parse_unary()?;
        let depth = self.depth;
        while let Some(op) = self.peek_binary_op() {
            if op.precedence() < min_prec {
                break;
            }
            lhs = self.parse_binary_rhs(lhs, op)?;
        }
        self.depth = depth;
        Ok(lhs)
    }

    /// The operator `op` (the current token), its modifiers and its right operand.
    fn parse_binary_rhs(&mut self, lhs: Expr, op: BinaryOp) -> Result<Expr> {
        self.advance();
        // A chain `a + b + c + ...` is parsed by the caller's loop, but the tree it builds is
        // as deep as the chain is long, so each operator counts as one more level.
        self.enter()?;
        let modifiers = self.parse_bin_modifiers()?;
        let next_min = if op.is_right_associative() {
            op.precedence()
        } else {
            op.precedence() + 1
        };
        let rhs = self.parse_expr(next_min)?;
        self.make_binary(lhs, op, modifiers, rhs)
    }

    #[inline(never)]
    fn make_binary(&self, lhs: Expr, op: BinaryOp, modifiers: BinModifiers, rhs: Expr) -> Result<Expr> {
        let pos = PosRange::new(lhs.pos().start, rhs.pos().end);
        let has_fill = modifiers.fill.left.is_some() || modifiers.fill.right.is_some();
        if has_fill && !self.options.binop_fill_modifiers {
            return Err(self.err(pos, "binop fill modifiers are experimental and not enabled"));
        }
        Ok(Expr::Binary(BinaryExpr {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            return_bool: modifiers.return_bool,
            matching: Some(modifiers.matching),
            fill: modifiers.fill,
            pos,
        }))
    }

    fn peek_binary_op(&self) -> Option<BinaryOp> {
        let t = self.peek();
        Some(match t.kind {
            TokenKind::Add => BinaryOp::Add,
            TokenKind::Sub => BinaryOp::Sub,
            TokenKind::Mul => BinaryOp::Mul,
            TokenKind::Div => BinaryOp::Div,
            TokenKind::Mod => BinaryOp::Mod,
            TokenKind::Pow => BinaryOp::Pow,
            TokenKind::Eql => BinaryOp::Eql,
            TokenKind::Neq => BinaryOp::Neq,
            TokenKind::Gtr => BinaryOp::Gtr,
            TokenKind::Lss => BinaryOp::Lss,
            TokenKind::Gte => BinaryOp::Gte,
            TokenKind::Lte => BinaryOp::Lte,
            TokenKind::TrimUpper => BinaryOp::TrimUpper,
            TokenKind::TrimLower => BinaryOp::TrimLower,
            TokenKind::Ident => match self.text(t).to_ascii_lowercase().as_str() {
                "and" => BinaryOp::And,
                "or" => BinaryOp::Or,
                "unless" => BinaryOp::Unless,
                "atan2" => BinaryOp::Atan2,
                _ => return None,
            },
            _ => return None,
        })
    }

    fn parse_bin_modifiers(&mut self) -> Result<BinModifiers> {
        let mut m = BinModifiers {
            return_bool: false,
            matching: VectorMatching {
                card: Cardinality::OneToOne,
                matching_labels: Vec::new(),
                on: false,
                include: Vec::new(),
            },
            fill: FillModifier::default(),
        };
        if self.at_word("bool") {
            self.advance();
            m.return_bool = true;
        }
        let on = self.at_word("on");
        if on || self.at_word("ignoring") {
            self.advance();
            m.matching.on = on;
            m.matching.matching_labels = self.parse_grouping_labels()?;
            let left = self.at_word("group_left");
            if left || self.at_word("group_right") {
                self.advance();
                m.matching.card = if left {
                    Cardinality::ManyToOne
                } else {
                    Cardinality::OneToMany
                };
                if self.peek().kind == TokenKind::LeftParen {
                    m.matching.include = self.parse_grouping_labels()?;
                }
            }
        }
        loop {
            let (left, right) = if self.at_word("fill") {
                (true, true)
            } else if self.at_word("fill_left") {
                (true, false)
            } else if self.at_word("fill_right") {
                (false, true)
            } else {
                break;
            };
            if self.peek_nth(1).kind != TokenKind::LeftParen {
                break;
            }
            self.advance();
            self.advance();
            let value = self.parse_signed_number("fill modifier", "number")?;
            self.expect(TokenKind::RightParen, "fill modifier", "\")\"")?;
            if left {
                m.fill.left = Some(value);
            }
            if right {
                m.fill.right = Some(value);
            }
        }
        Ok(m)
    }

    /// `[+-]<number or duration>` as a float (durations in seconds).
    fn parse_signed_number(&mut self, context: &str, expected: &str) -> Result<f64> {
        let negate = match self.peek().kind {
            TokenKind::Sub => {
                self.advance();
                true
            }
            TokenKind::Add => {
                self.advance();
                false
            }
            _ => false,
        };
        let t = self.peek().clone();
        let value = match t.kind {
            TokenKind::Number => self.number_value(&t)?,
            TokenKind::Duration => duration::literal_seconds(self, &t)?,
            _ => return Err(self.unexpected(context, expected)),
        };
        self.advance();
        Ok(if negate { -value } else { value })
    }

    /// `( label, ... )` with an optional trailing comma; labels may be quoted.
    fn parse_grouping_labels(&mut self) -> Result<Vec<String>> {
        self.expect(TokenKind::LeftParen, "grouping opts", "\"(\"")?;
        let mut labels = Vec::new();
        loop {
            let t = self.peek().clone();
            match t.kind {
                TokenKind::RightParen => {
                    self.advance();
                    return Ok(labels);
                }
                TokenKind::Ident if is_label_word(self.text(&t)) => labels.push(self.text(&t).to_string()),
                TokenKind::String => labels.push(self.string_value(&t)?),
                _ => return Err(self.unexpected("grouping opts", "label")),
            }
            self.advance();
            match self.peek().kind {
                TokenKind::Comma => {
                    self.advance();
                }
                TokenKind::RightParen => {}
                _ => return Err(self.unexpected("grouping opts", "\",\" or \")\"")),
            }
        }
    }

    fn parse_unary(&mut self) -> Result<Expr> {
        let negate = match self.peek().kind {
            TokenKind::Sub => true,
            TokenKind::Add => false,
            _ => return self.parse_postfix(),
        };
        let start = self.advance().pos.start;
        // The operand binds like `*`: only `^` (and postfix modifiers) bind tighter.
        let operand = self.parse_expr(BinaryOp::Pow.precedence())?;
        Ok(make_unary(negate, start, operand))
    }

    /// A primary expression. This, like every function on the path of a nesting, keeps a
    /// small stack frame: the work that does not recurse is done in `#[inline(never)]`
    /// helpers, so [`MAX_DEPTH`] levels fit a small thread stack even in debug builds.
    fn parse_primary(&mut self) -> Result<Expr> {
        match self.peek().kind {
            TokenKind::LeftParen => self.parse_paren(),
            TokenKind::LeftBrace => self.parse_vector_selector(None),
            TokenKind::Ident => self.parse_identifier_expr(),
            _ => self.parse_literal(),
        }
    }

    fn parse_paren(&mut self) -> Result<Expr> {
        let start = self.advance().pos.start;
        let inner = self.parse_expr(0)?;
        let end = self.expect(TokenKind::RightParen, "", "")?.pos.end;
        Ok(Expr::Paren(ParenExpr {
            expr: Box::new(inner),
            pos: PosRange::new(start, end),
        }))
    }

    /// A number, duration (in seconds) or string literal.
    #[inline(never)]
    fn parse_literal(&mut self) -> Result<Expr> {
        let t = self.peek().clone();
        match &t.kind {
            TokenKind::Number => {
                self.advance();
                let value = self.number_value(&t)?;
                Ok(Expr::Number(NumberLiteral { value, pos: t.pos }))
            }
            TokenKind::Duration => {
                self.advance();
                let value = duration::literal_seconds(self, &t)?;
                Ok(Expr::Number(NumberLiteral { value, pos: t.pos }))
            }
            TokenKind::String => {
                self.advance();
                let bytes = unquote_bytes(self.text(&t)).map_err(|e| self.err(t.pos, e))?;
                let (value, invalid_utf8) = match String::from_utf8(bytes) {
                    Ok(value) => (value, None),
                    Err(e) => (lossy(e.as_bytes()), Some(e.into_bytes())),
                };
                Ok(Expr::String(StringLiteral {
                    value,
                    invalid_utf8,
                    pos: t.pos,
                }))
            }
            _ => Err(self.unexpected("", "")),
        }
    }

    /// An aggregation, a function call or a vector selector starting with a word.
    fn parse_identifier_expr(&mut self) -> Result<Expr> {
        let t = &self.peek().clone();
        let lower = self.text(t).to_ascii_lowercase();
        let next = self.peek_nth(1);
        let opens_aggregation = next.kind == TokenKind::LeftParen
            || (next.kind == TokenKind::Ident && {
                let w = self.text(next);
                w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("without")
            });
        // As in Prometheus's grammar, an aggregation keyword not followed by `(`, `by` or
        // `without` is a metric name (`sum{a="b"}`, `count + 1`).
        if let Some(op) = AggregateOp::ALL.iter().copied().find(|a| a.as_str() == lower)
            && opens_aggregation
        {
            return self.parse_aggregation(op, t);
        }
        if next.kind == TokenKind::LeftParen {
            return self.parse_call(t);
        }
        self.parse_vector_selector(Some(t.clone()))
    }

    fn parse_aggregation(&mut self, op: AggregateOp, op_token: &Token) -> Result<Expr> {
        self.advance();
        let mut grouping: Option<(bool, Vec<String>)> = None;
        if self.at_word("by") || self.at_word("without") {
            grouping = Some(self.parse_aggregate_modifier()?);
        }
        if self.peek().kind != TokenKind::LeftParen {
            return Err(self.unexpected("aggregation", ""));
        }
        let (args, end) = self.parse_call_body()?;
        self.finish_aggregation(op, op_token.pos.start, grouping, args, end)
    }

    /// An aggregation after its arguments: a trailing grouping clause, the argument checks.
    #[inline(never)]
    fn finish_aggregation(
        &mut self,
        op: AggregateOp,
        start: usize,
        mut grouping: Option<(bool, Vec<String>)>,
        args: Vec<Expr>,
        mut end: usize,
    ) -> Result<Expr> {
        if grouping.is_none() && (self.at_word("by") || self.at_word("without")) {
            grouping = Some(self.parse_aggregate_modifier()?);
            end = self.tokens[self.idx.saturating_sub(1)].pos.end;
        }
        let pos = PosRange::new(start, end);
        if args.is_empty() {
            return Err(self.err(pos, "no arguments for aggregate expression provided"));
        }
        let wants = if op.param_type().is_some() {
            if op.is_experimental() && !self.options.experimental_functions {
                return Err(self.err(
                    pos,
                    format!(
                        "{op}() is experimental and must be enabled with --enable-feature=promql-experimental-functions"
                    ),
                ));
            }
            2
        } else {
            1
        };
        if args.len() != wants {
            return Err(self.err(
                pos,
                format!(
                    "wrong number of arguments for aggregate expression provided, expected {wants}, got {}",
                    args.len()
                ),
            ));
        }
        let mut args = args.into_iter();
        let param = if wants == 2 { args.next().map(Box::new) } else { None };
        let expr = args
            .next()
            .ok_or_else(|| self.err(pos, "no arguments for aggregate expression provided"))?;
        let has_grouping_clause = grouping.is_some();
        let (without, grouping) = grouping.unwrap_or_default();
        Ok(Expr::Aggregate(AggregateExpr {
            op,
            expr: Box::new(expr),
            param,
            grouping,
            without,
            has_grouping_clause,
            pos,
        }))
    }

    fn parse_aggregate_modifier(&mut self) -> Result<(bool, Vec<String>)> {
        let without = self.at_word("without");
        self.advance();
        Ok((without, self.parse_grouping_labels()?))
    }

    /// `( expr, ... )`; returns the arguments and the end of the closing parenthesis.
    fn parse_call_body(&mut self) -> Result<(Vec<Expr>, usize)> {
        self.expect(TokenKind::LeftParen, "", "")?;
        let mut args = Vec::new();
        if self.peek().kind == TokenKind::RightParen {
            return Ok((args, self.advance().pos.end));
        }
        loop {
            args.push(self.parse_expr(0)?);
            match self.peek().kind {
                TokenKind::Comma => {
                    let comma = self.advance();
                    if self.peek().kind == TokenKind::RightParen {
                        return Err(self.err(comma.pos, "trailing commas not allowed in function call args"));
                    }
                }
                TokenKind::RightParen => return Ok((args, self.advance().pos.end)),
                _ => return Err(self.unexpected("", "")),
            }
        }
    }

    fn parse_call(&mut self, name_token: &Token) -> Result<Expr> {
        let return_type = self.call_return_type(name_token)?;
        self.advance();
        let (args, end) = self.parse_call_body()?;
        Ok(Expr::Call(Call {
            name: self.text(name_token).to_string(),
            args,
            return_type,
            pos: PosRange::new(name_token.pos.start, end),
        }))
    }

    /// The return type of the function `name_token` names, if it may be called.
    #[inline(never)]
    fn call_return_type(&self, name_token: &Token) -> Result<ValueType> {
        let name = self.text(name_token);
        let Some(sig) = self.functions.signature(name) else {
            return Err(self.err(
                name_token.pos,
                format!("unknown function with name {}", crate::lexer::go_quote(name)),
            ));
        };
        if sig.experimental && !self.options.experimental_functions {
            return Err(self.err(
                name_token.pos,
                format!("function {} is not enabled", crate::lexer::go_quote(name)),
            ));
        }
        Ok(sig.return_type)
    }

    // ---- literals -----------------------------------------------------------------------

    fn number_value(&self, t: &Token) -> Result<f64> {
        parse_number(self.text(t)).ok_or_else(|| {
            self.err(
                t.pos,
                format!(
                    "error parsing number: strconv.ParseFloat: parsing {}: invalid syntax",
                    crate::lexer::go_quote(self.text(t))
                ),
            )
        })
    }

    fn string_value(&self, t: &Token) -> Result<String> {
        unquote(self.text(t)).map_err(|e| self.err(t.pos, e))
    }
}

/// `-operand` / `+operand`; a number absorbs the sign, as in Prometheus's grammar.
#[inline(never)]
fn make_unary(negate: bool, start: usize, operand: Expr) -> Expr {
    let pos = PosRange::new(start, operand.pos().end);
    match operand {
        Expr::Number(n) => Expr::Number(NumberLiteral {
            value: if negate { -n.value } else { n.value },
            pos,
        }),
        other => Expr::Unary(UnaryExpr {
            negate,
            expr: Box::new(other),
            pos,
        }),
    }
}

/// Whether a word may be a label name in a grouping list (keywords included, `:` excluded).
fn is_label_word(word: &str) -> bool {
    rill_model::labels::is_legacy_label_name(word)
}

/// Parses a PromQL number like Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat`: decimal,
/// `0x` hex, `0o`/leading-`0` octal, `0b`, `_` separators, exponents, `Inf`, `NaN`.
pub fn parse_number(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "+inf" => return Some(f64::INFINITY),
        "-inf" => return Some(f64::NEG_INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    let clean: String = lower.chars().filter(|&c| c != '_').collect();
    let int = if let Some(hex) = clean.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = clean.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if let Some(bin) = clean.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if clean.len() > 1 && clean.starts_with('0') && clean.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&clean[1..], 8).ok()
    } else if clean.bytes().all(|b| b.is_ascii_digit()) && !clean.is_empty() {
        clean.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(i as f64);
    }
    if let Some(hex) = clean.strip_prefix("0x") {
        // Hex integers beyond i64 still parse as floats in Go.
        return u128::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    clean.parse::<f64>().ok()
}

#[cfg(test)]
mod tests;
