//! Durations: literals (`1h30m`, `5ms`, plain numbers as seconds) and Prometheus's experimental
//! duration expressions (`[2m*(10+5)]`, `offset (1m+2)`, `step()`, `range()`, `min_of`, `max_of`).
//!
//! Inside brackets a full arithmetic expression is allowed; after `offset` only an atom
//! (a literal, `-`/`+` atom, a parenthesised expression or a duration function), so that
//! `x offset 1m * 2` multiplies the selector, as in Prometheus.

use super::{Parser, Result};
use crate::ast::{DurationExpr, DurationOp, PosRange};
use crate::lexer::{Token, TokenKind, go_quote};

/// Largest duration literal in seconds that fits Go's `time.Duration`.
const MAX_DURATION_SECS: f64 = 9_223_372_036.854_775;

/// Largest duration literal in whole milliseconds that fits Go's `time.Duration` (nanoseconds
/// in an `i64`, about 292 years), the bound of Prometheus's `model.ParseDuration`.
const MAX_DURATION_MS: i64 = i64::MAX / 1_000_000;

/// Parses a duration literal token (`1h30m`) into seconds, with Prometheus's messages.
pub(super) fn literal_seconds(p: &Parser<'_>, t: &Token) -> Result<f64> {
    let text = p.text(t);
    parse_duration_ms(text)
        .map(|ms| ms as f64 / 1000.0)
        .map_err(|msg| p.err(t.pos, msg))
}

/// Prometheus's `model.ParseDuration`: units `y w d h m s ms`, each at most once, largest first,
/// and at most [`MAX_DURATION_MS`] in total ("duration out of range").
pub fn parse_duration_ms(text: &str) -> std::result::Result<i64, String> {
    let invalid = || format!("not a valid duration string: {}", go_quote(text));
    if text == "0" {
        return Ok(0);
    }
    if text.is_empty() {
        return Err("empty duration string".into());
    }
    const UNITS: [(&str, i64); 7] = [
        ("y", 365 * 24 * 3_600_000),
        ("w", 7 * 24 * 3_600_000),
        ("d", 24 * 3_600_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ];
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return Err(invalid());
        }
        // Go parses the digits as a `uint64` first: longer numbers are not valid at all.
        let n: u64 = text[digits_start..i].parse().map_err(|_| invalid())?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[unit_start..i];
        let Some(idx) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(invalid());
        };
        if idx < next_unit {
            return Err(invalid());
        }
        next_unit = idx + 1;
        total = i64::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(UNITS[idx].1))
            .and_then(|v| total.checked_add(v))
            .filter(|&t| t <= MAX_DURATION_MS)
            .ok_or_else(|| "duration out of range".to_string())?;
    }
    Ok(total)
}

/// Parses a duration expression with binary operators binding at least `min_prec`; the flag
/// tells whether it was a single unsigned literal (classic PromQL, no feature needed).
pub(super) fn parse_duration_expr(p: &mut Parser<'_>, min_prec: u8) -> Result<(DurationExpr, bool)> {
    p.enter()?;
    let result = parse_duration_binary(p, min_prec);
    p.depth -= 1;
    result
}

fn parse_duration_binary(p: &mut Parser<'_>, min_prec: u8) -> Result<(DurationExpr, bool)> {
    let (mut lhs, mut literal) = parse_duration_unary(p)?;
    let depth = p.depth;
    loop {
        let (op, prec) = match p.peek().kind {
            TokenKind::Add => (DurationOp::Add, 4),
            TokenKind::Sub => (DurationOp::Sub, 4),
            TokenKind::Mul => (DurationOp::Mul, 5),
            TokenKind::Div => (DurationOp::Div, 5),
            TokenKind::Mod => (DurationOp::Mod, 5),
            TokenKind::Pow => (DurationOp::Pow, 6),
            _ => break,
        };
        if prec < min_prec {
            break;
        }
        p.advance();
        // As in expressions: each operator of a chain nests the tree one level deeper.
        p.enter()?;
        let next_min = if op == DurationOp::Pow { prec } else { prec + 1 };
        let (rhs, _) = parse_duration_expr(p, next_min)?;
        lhs = DurationExpr::Binary(op, Box::new(lhs), Box::new(rhs));
        literal = false;
    }
    p.depth = depth;
    Ok((lhs, literal))
}

fn parse_duration_unary(p: &mut Parser<'_>) -> Result<(DurationExpr, bool)> {
    match p.peek().kind {
        TokenKind::Sub | TokenKind::Add => {
            let negate = p.peek().kind == TokenKind::Sub;
            p.advance();
            // Like unary minus in expressions: binds like `*`, so only `^` binds tighter.
            let (operand, _) = parse_duration_expr(p, 6)?;
            Ok((if negate { negate_duration(operand) } else { operand }, false))
        }
        _ => parse_duration_atom(p),
    }
}

fn negate_duration(d: DurationExpr) -> DurationExpr {
    match d {
        DurationExpr::Seconds(s) => DurationExpr::Seconds(-s),
        other => DurationExpr::Neg(Box::new(other)),
    }
}

/// A literal, `( expr )`, `step()`, `range()`, `min_of(a, b)` or `max_of(a, b)`.
fn parse_duration_atom(p: &mut Parser<'_>) -> Result<(DurationExpr, bool)> {
    let t = p.peek().clone();
    match t.kind {
        TokenKind::Number => {
            p.advance();
            let v = p.number_value(&t)?;
            if !v.is_finite() || v.abs() > MAX_DURATION_SECS {
                return Err(p.err(t.pos, "duration out of range"));
            }
            Ok((DurationExpr::Seconds(v), true))
        }
        TokenKind::Duration => {
            p.advance();
            Ok((DurationExpr::Seconds(literal_seconds(p, &t)?), true))
        }
        TokenKind::LeftParen => {
            p.advance();
            let (inner, _) = parse_duration_expr(p, 0)?;
            p.expect(TokenKind::RightParen, "duration expression", "\")\"")?;
            Ok((inner, false))
        }
        TokenKind::Ident => {
            let word = p.text(&t).to_ascii_lowercase();
            let func = match word.as_str() {
                "step" => None,
                "range" => None,
                "min_of" => Some(DurationOp::Min),
                "max_of" => Some(DurationOp::Max),
                _ => return Err(p.unexpected("duration expression", "number or duration")),
            };
            p.advance();
            p.expect(TokenKind::LeftParen, "duration expression", "\"(\"")?;
            let expr = match func {
                None => {
                    if word == "step" {
                        DurationExpr::Step
                    } else {
                        DurationExpr::Range
                    }
                }
                Some(op) => {
                    let (a, _) = parse_duration_expr(p, 0)?;
                    p.expect(TokenKind::Comma, "duration expression", "\",\"")?;
                    let (b, _) = parse_duration_expr(p, 0)?;
                    DurationExpr::Binary(op, Box::new(a), Box::new(b))
                }
            };
            p.expect(TokenKind::RightParen, "duration expression", "\")\"")?;
            Ok((expr, false))
        }
        _ => Err(p.unexpected("duration expression", "number or duration")),
    }
}

impl Parser<'_> {
    /// The value after `offset`: `[-+]` and an atom (literal, `( expr )` or duration function).
    pub(super) fn parse_offset_value(&mut self) -> Result<DurationExpr> {
        let start = self.peek().pos.start;
        let sign = match self.peek().kind {
            TokenKind::Sub => Some(true),
            TokenKind::Add => Some(false),
            _ => None,
        };
        if sign.is_some() {
            self.advance();
        }
        let t = self.peek().clone();
        let starts_atom = match t.kind {
            TokenKind::Number | TokenKind::Duration | TokenKind::LeftParen => true,
            TokenKind::Ident => ["step", "range", "min_of", "max_of"].iter().any(|w| self.at_word(w)),
            _ => false,
        };
        if !starts_atom {
            return Err(self.unexpected("offset", "number or duration"));
        }
        let (atom, literal) = parse_duration_atom(self)?;
        let end = self.tokens[self.idx.saturating_sub(1)].pos.end;
        if !literal || sign == Some(false) {
            self.require_duration_exprs(PosRange::new(start, end))?;
        }
        Ok(if sign == Some(true) {
            negate_duration(atom)
        } else {
            atom
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_prometheus() {
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("10s53ms"), Ok(10_053));
        assert_eq!(parse_duration_ms("1y2w3d"), Ok((365 + 14 + 3) * 86_400_000));
        assert_eq!(parse_duration_ms("5ms"), Ok(5));
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert_eq!(
            parse_duration_ms("1m1h"),
            Err("not a valid duration string: \"1m1h\"".into())
        );
        assert_eq!(
            parse_duration_ms("1hs"),
            Err("not a valid duration string: \"1hs\"".into())
        );
        assert_eq!(
            parse_duration_ms("1h1h"),
            Err("not a valid duration string: \"1h1h\"".into())
        );
    }

    #[test]
    fn durations_are_bounded_by_go_time_duration() {
        assert_eq!(parse_duration_ms("9223372036854ms"), Ok(MAX_DURATION_MS));
        assert_eq!(parse_duration_ms("292y171d"), Ok((292 * 365 + 171) * 86_400_000));
        let out_of_range = Err("duration out of range".to_string());
        assert_eq!(parse_duration_ms("9223372036855ms"), out_of_range);
        assert_eq!(parse_duration_ms("9223372036854775807ms"), out_of_range);
        assert_eq!(parse_duration_ms("293y"), out_of_range);
        assert_eq!(parse_duration_ms("292y172d"), out_of_range);
        assert_eq!(
            parse_duration_ms("99999999999999999999s"),
            Err("not a valid duration string: \"99999999999999999999s\"".into())
        );
    }
}
