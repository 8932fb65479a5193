//! Lexer tests.

use super::*;

fn kinds(input: &str) -> Vec<TokenKind> {
    tokenize(input).into_iter().map(|t| t.kind).collect()
}

#[test]
fn lexes_operators_and_positions() {
    let toks = tokenize("a</ 1 >/ b @ 3");
    assert_eq!(toks[1].kind, TokenKind::TrimUpper);
    assert_eq!(toks[1].pos, PosRange::new(1, 3));
    assert_eq!(toks[3].kind, TokenKind::TrimLower);
    assert_eq!(toks[5].kind, TokenKind::At);
    assert_eq!(
        kinds("== != <= >= < > + - * / % ^"),
        vec![
            TokenKind::Eql,
            TokenKind::Neq,
            TokenKind::Lte,
            TokenKind::Gte,
            TokenKind::Lss,
            TokenKind::Gtr,
            TokenKind::Add,
            TokenKind::Sub,
            TokenKind::Mul,
            TokenKind::Div,
            TokenKind::Mod,
            TokenKind::Pow,
            TokenKind::Eof
        ]
    );
}

#[test]
fn lexes_numbers_and_durations() {
    for n in ["1", ".5", "1e3", "0x1F", "Inf", "nAn", "1_000", "2.5E-3"] {
        assert_eq!(kinds(n), vec![TokenKind::Number, TokenKind::Eof], "{n}");
    }
    for d in ["1h30m", "10s53ms", "1y2w3d", "5ms"] {
        assert_eq!(kinds(d), vec![TokenKind::Duration, TokenKind::Eof], "{d}");
    }
    assert!(matches!(kinds("1a").first(), Some(TokenKind::Error(m)) if m == "bad number or duration syntax: \"1\""));
}

#[test]
fn colons_belong_to_names_outside_brackets_only() {
    let toks = tokenize("foo:bar[5m:1m]");
    assert_eq!(toks[0].pos, PosRange::new(0, 7));
    assert_eq!(toks[3].kind, TokenKind::Colon);
}

#[test]
fn braces_have_regex_operators_and_plain_words() {
    assert_eq!(
        kinds("{a=~\"x\",by!~'y'}"),
        vec![
            TokenKind::LeftBrace,
            TokenKind::Ident,
            TokenKind::EqlRegex,
            TokenKind::String,
            TokenKind::Comma,
            TokenKind::Ident,
            TokenKind::NeqRegex,
            TokenKind::String,
            TokenKind::RightBrace,
            TokenKind::Eof
        ]
    );
}

#[test]
fn strings_unescape_like_go() {
    assert_eq!(unquote(r#""\x41\u00e9\U0001F600\101\n""#).as_deref(), Ok("Aé😀A\n"));
    assert_eq!(unquote(r"'it\'s'").as_deref(), Ok("it's"));
    assert_eq!(unquote("`raw\\n`").as_deref(), Ok("raw\\n"));
    assert!(unquote(r#""\q""#).is_err());
    // Go strings may hold invalid UTF-8: the bytes are kept, the String form is lossy.
    assert_eq!(unquote_bytes(r#""a\xc5z""#), Ok(b"a\xc5z".to_vec()));
    assert_eq!(unquote(r#""a\xc5z""#).as_deref(), Ok("a\u{FFFD}z"));
    assert!(matches!(kinds("\"abc").first(), Some(TokenKind::Error(m)) if m == "unterminated quoted string"));
}

#[test]
fn comments_are_skipped_and_parens_tracked() {
    assert_eq!(kinds("foo # comment\n"), vec![TokenKind::Ident, TokenKind::Eof]);
    assert!(matches!(kinds("(foo").last(), Some(TokenKind::Error(m)) if m == "unclosed left parenthesis"));
    assert!(matches!(kinds("foo)").last(), Some(TokenKind::Error(m)) if m == "unexpected right parenthesis ')'"));
}
