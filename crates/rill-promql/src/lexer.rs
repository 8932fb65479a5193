//! PromQL lexer: turns a query into tokens with byte positions.
//!
//! Like Prometheus's lexer it is context-sensitive: inside `{...}` every word is a plain label
//! identifier and `=~` / `!~` exist; inside `[...]` a `:` separates range and step instead of
//! being part of a metric name. Keywords are not separate token kinds: the parser decides,
//! case-insensitively, whether a word is a keyword in the place it appears (so `by` can be a
//! label name and `sum` a metric name before `{`). Comments are dropped. A lexing error ends
//! the token stream with an [`TokenKind::Error`] token carrying Prometheus's message, which the
//! parser reports when it reaches it (the same order in which Prometheus reports it).

use crate::ast::PosRange;

/// The kind of a token.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A word: metric name (may contain `:` outside brackets), label name, keyword or function.
    Ident,
    /// A number literal, including `Inf` and `NaN` (case-insensitive).
    Number,
    /// A duration literal such as `1h30m`.
    Duration,
    /// A quoted string, escapes still in place (see [`unquote`]).
    String,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `{`
    LeftBrace,
    /// `}`
    RightBrace,
    /// `[`
    LeftBracket,
    /// `]`
    RightBracket,
    /// `,`
    Comma,
    /// `:` inside brackets.
    Colon,
    /// `=`
    Assign,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `<`
    Lss,
    /// `<=`
    Lte,
    /// `>`
    Gtr,
    /// `>=`
    Gte,
    /// `=~`
    EqlRegex,
    /// `!~`
    NeqRegex,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
    /// `@`
    At,
    /// `</`
    TrimUpper,
    /// `>/`
    TrimLower,
    /// End of input.
    Eof,
    /// A lexing error with Prometheus's message; always the last token.
    Error(String),
}

/// A token and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte range in the query.
    pub pos: PosRange,
}

/// Words that are keywords outside braces (lower case), as Prometheus's lexer lists them.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "smoothed",
    "anchored",
    "fill",
    "fill_left",
    "fill_right",
    "start",
    "end",
    "step",
    "range",
];

/// Keyword-like operators.
const WORD_OPERATORS: &[&str] = &["and", "or", "unless", "atan2"];

/// Splits `input` into tokens; the last one is [`TokenKind::Eof`] or [`TokenKind::Error`].
pub fn tokenize(input: &str) -> Vec<Token> {
    let mut lx = Lexer {
        input,
        bytes: input.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
        brace_open: false,
        bracket_open: false,
    };
    lx.run();
    lx.tokens
}

/// Describes a token the way Prometheus's `Item.desc()` does in "unexpected ..." errors.
pub fn describe(token: &Token, input: &str) -> String {
    let text = input.get(token.pos.start..token.pos.end).unwrap_or("");
    match &token.kind {
        TokenKind::Eof => "end of input".to_string(),
        TokenKind::Error(msg) => msg.clone(),
        TokenKind::Ident => {
            let lower = text.to_ascii_lowercase();
            if crate::ast::AggregateOp::ALL.iter().any(|a| a.as_str() == lower) {
                format!("<aggr:{lower}>")
            } else if WORD_OPERATORS.contains(&lower.as_str()) {
                format!("<op:{lower}>")
            } else if KEYWORDS.contains(&lower.as_str()) {
                format!("<{text}>")
            } else {
                format!("identifier {}", go_quote(text))
            }
        }
        TokenKind::Number => format!("number {}", go_quote(text)),
        TokenKind::Duration => format!("duration {}", go_quote(text)),
        TokenKind::String => {
            if text.chars().count() > 10 {
                let short: String = text.chars().take(10).collect();
                format!("string {}...", go_quote(&short))
            } else {
                format!("string {}", go_quote(text))
            }
        }
        TokenKind::Add
        | TokenKind::Sub
        | TokenKind::Mul
        | TokenKind::Div
        | TokenKind::Mod
        | TokenKind::Pow
        | TokenKind::At
        | TokenKind::Eql
        | TokenKind::Neq
        | TokenKind::Lss
        | TokenKind::Lte
        | TokenKind::Gtr
        | TokenKind::Gte
        | TokenKind::EqlRegex
        | TokenKind::NeqRegex
        | TokenKind::TrimUpper
        | TokenKind::TrimLower => format!("<op:{text}>"),
        _ => go_quote(text),
    }
}

/// Whether `word` (any case) is an aggregation keyword, operator word or other keyword.
pub fn is_keyword(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    KEYWORDS.contains(&lower.as_str())
        || WORD_OPERATORS.contains(&lower.as_str())
        || crate::ast::AggregateOp::ALL.iter().any(|a| a.as_str() == lower)
}

/// Quotes like Go's `%q` (the same quoting Prometheus uses for label values).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing into a String cannot fail.
    let _ = rill_model::labels::write_quoted(&mut out, s);
    out
}

/// Go's `%q` of a single rune, for lexer messages (`'x'`).
fn rune_quote(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '\\' => "'\\\\'".to_string(),
        '\n' => "'\\n'".to_string(),
        '\t' => "'\\t'".to_string(),
        '\r' => "'\\r'".to_string(),
        c if (c as u32) < 0x20 => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_alpha(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_alnum(c: u8) -> bool {
    is_alpha(c) || c.is_ascii_digit()
}

struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: i32,
    brace_open: bool,
    bracket_open: bool,
}

impl Lexer<'_> {
    fn peek_at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn emit(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            pos: PosRange::new(start, self.pos),
        });
    }

    /// Ends the stream with an error token spanning from `start` to the end of the input.
    fn error(&mut self, start: usize, msg: String) {
        self.tokens.push(Token {
            kind: TokenKind::Error(msg),
            pos: PosRange::new(start, self.input.len()),
        });
    }

    fn current_char(&self) -> char {
        self.input
            .get(self.pos..)
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{fffd}')
    }

    fn run(&mut self) {
        loop {
            let Some(c) = self.peek_at(self.pos) else {
                if self.brace_open {
                    return self.error(self.pos, "unexpected end of input inside braces".into());
                }
                if self.paren_depth > 0 {
                    return self.error(self.pos, "unclosed left parenthesis".into());
                }
                if self.bracket_open {
                    return self.error(self.pos, "unclosed left bracket".into());
                }
                self.emit(TokenKind::Eof, self.pos);
                return;
            };
            let start = self.pos;
            if is_space(c) {
                self.pos += 1;
                continue;
            }
            if c == b'#' {
                while self.peek_at(self.pos).is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
                continue;
            }
            let ok = if self.brace_open {
                self.lex_in_braces(c, start)
            } else {
                self.lex_statement(c, start)
            };
            if !ok {
                return;
            }
        }
    }

    /// Lexes one token inside `{...}`; returns false after an error.
    fn lex_in_braces(&mut self, c: u8, start: usize) -> bool {
        let next = self.peek_at(self.pos + 1);
        match c {
            _ if is_alpha(c) => {
                while self.peek_at(self.pos).is_some_and(is_alnum) {
                    self.pos += 1;
                }
                self.emit(TokenKind::Ident, start);
            }
            b',' => self.single(TokenKind::Comma, start),
            b'"' | b'\'' | b'`' => return self.lex_string(c, start),
            b'=' if next == Some(b'~') => self.double(TokenKind::EqlRegex, start),
            b'=' => self.single(TokenKind::Assign, start),
            b'!' if next == Some(b'~') => self.double(TokenKind::NeqRegex, start),
            b'!' if next == Some(b'=') => self.double(TokenKind::Neq, start),
            b'!' => {
                self.pos += 1;
                let ch = self.current_char();
                let msg = format!("unexpected character after '!' inside braces: {}", rune_quote(ch));
                self.error(start, msg);
                return false;
            }
            b'{' => {
                self.error(start, "unexpected left brace '{'".into());
                return false;
            }
            b'}' => {
                self.single(TokenKind::RightBrace, start);
                self.brace_open = false;
            }
            _ => {
                let ch = self.current_char();
                self.error(start, format!("unexpected character inside braces: {}", rune_quote(ch)));
                return false;
            }
        }
        true
    }

    fn single(&mut self, kind: TokenKind, start: usize) {
        self.pos += 1;
        self.emit(kind, start);
    }

    fn double(&mut self, kind: TokenKind, start: usize) {
        self.pos += 2;
        self.emit(kind, start);
    }

    /// Lexes one token outside braces; returns false after an error.
    fn lex_statement(&mut self, c: u8, start: usize) -> bool {
        let next = self.peek_at(self.pos + 1);
        match c {
            b',' => self.single(TokenKind::Comma, start),
            b'*' => self.single(TokenKind::Mul, start),
            b'/' => self.single(TokenKind::Div, start),
            b'%' => self.single(TokenKind::Mod, start),
            b'+' => self.single(TokenKind::Add, start),
            b'-' => self.single(TokenKind::Sub, start),
            b'^' => self.single(TokenKind::Pow, start),
            b'@' => self.single(TokenKind::At, start),
            b'=' if next == Some(b'=') => self.double(TokenKind::Eql, start),
            b'=' if next == Some(b'~') => {
                self.error(start, "unexpected character after '=': '~'".into());
                return false;
            }
            b'=' => self.single(TokenKind::Assign, start),
            b'!' if next == Some(b'=') => self.double(TokenKind::Neq, start),
            b'!' => {
                self.pos += 1;
                let ch = if self.pos >= self.bytes.len() {
                    "EOF".to_string()
                } else {
                    rune_quote(self.current_char())
                };
                self.error(start, format!("unexpected character after '!': {ch}"));
                return false;
            }
            b'<' if next == Some(b'=') => self.double(TokenKind::Lte, start),
            b'<' if next == Some(b'/') => self.double(TokenKind::TrimUpper, start),
            b'<' => self.single(TokenKind::Lss, start),
            b'>' if next == Some(b'=') => self.double(TokenKind::Gte, start),
            b'>' if next == Some(b'/') => self.double(TokenKind::TrimLower, start),
            b'>' => self.single(TokenKind::Gtr, start),
            b'0'..=b'9' => return self.lex_number_or_duration(start),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => return self.lex_number_or_duration(start),
            b'"' | b'\'' | b'`' => return self.lex_string(c, start),
            b':' if self.bracket_open => self.single(TokenKind::Colon, start),
            _ if is_alpha(c) || c == b':' => self.lex_word(start),
            b'(' => {
                self.paren_depth += 1;
                self.single(TokenKind::LeftParen, start);
            }
            b')' => {
                self.single(TokenKind::RightParen, start);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.error(start, "unexpected right parenthesis ')'".into());
                    return false;
                }
            }
            b'{' => {
                self.single(TokenKind::LeftBrace, start);
                self.brace_open = true;
            }
            b'}' => {
                self.error(start, "unexpected character: '}'".into());
                return false;
            }
            b'[' => {
                if self.bracket_open {
                    self.error(start, "unexpected left bracket '['".into());
                    return false;
                }
                self.single(TokenKind::LeftBracket, start);
                self.bracket_open = true;
            }
            b']' => {
                if !self.bracket_open {
                    self.error(start, "unexpected right bracket ']'".into());
                    return false;
                }
                self.single(TokenKind::RightBracket, start);
                self.bracket_open = false;
            }
            _ => {
                let ch = self.current_char();
                self.error(start, format!("unexpected character: {}", rune_quote(ch)));
                return false;
            }
        }
        true
    }

    /// A word; outside brackets it may contain `:`. `Inf` and `NaN` become numbers.
    fn lex_word(&mut self, start: usize) {
        let colon_ok = !self.bracket_open;
        while self
            .peek_at(self.pos)
            .is_some_and(|b| is_alnum(b) || (colon_ok && b == b':'))
        {
            self.pos += 1;
        }
        let word = &self.input[start..self.pos];
        let kind = if word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan") {
            TokenKind::Number
        } else {
            TokenKind::Ident
        };
        self.emit(kind, start);
    }

    fn lex_number_or_duration(&mut self, start: usize) -> bool {
        if self.scan_number() {
            self.emit(TokenKind::Number, start);
            return true;
        }
        if self.accept_remaining_duration() {
            self.emit(TokenKind::Duration, start);
            return true;
        }
        let text = self.input.get(start..self.pos).unwrap_or("");
        self.error(start, format!("bad number or duration syntax: {}", go_quote(text)));
        false
    }

    fn accept(&mut self, set: &[u8]) -> bool {
        if self.peek_at(self.pos).is_some_and(|b| set.contains(&b)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Mirrors Prometheus's `scanNumber`: decimal, hex, `.5`, exponents and `_` separators; the
    /// next character must not be alphanumeric.
    fn scan_number(&mut self) -> bool {
        let initial = self.pos;
        let mut hex = false;
        if self.peek_at(self.pos) == Some(b'0') && matches!(self.peek_at(self.pos + 1), Some(b'x' | b'X')) {
            self.pos += 2;
            self.accept(b"_");
            hex = true;
        }
        let is_digit = |b: u8| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() };
        self.accept(b".");
        if self.peek_at(self.pos).is_some_and(is_digit) {
            self.pos += 1;
        }
        let (mut dot, mut exp) = (false, false);
        while let Some(b) = self.peek_at(self.pos) {
            if b == b'.' {
                self.pos += 1;
                if dot || hex {
                    return false;
                }
                dot = true;
                if self.accept(b"_.") {
                    return false;
                }
            } else if !hex && (b == b'e' || b == b'E') {
                self.pos += 1;
                if exp {
                    return false;
                }
                exp = true;
                self.accept(b"+-");
                if self.accept(b"._eE") || self.pos >= self.bytes.len() {
                    return false;
                }
            } else if b == b'_' {
                self.pos += 1;
                if self.accept(b"._eE") || self.pos >= self.bytes.len() {
                    return false;
                }
            } else if is_digit(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.pos != initial && !self.peek_at(self.pos).is_some_and(is_alnum)
    }

    /// After the digits of a duration: units and further `<digits><unit>` groups.
    fn accept_remaining_duration(&mut self) -> bool {
        if !self.accept(b"smhdwy") {
            return false;
        }
        self.accept(b"s");
        while self.accept(b"0123456789") {
            while self.accept(b"0123456789") {}
            if !self.accept(b"smhdw") {
                return false;
            }
            self.accept(b"s");
        }
        !self.peek_at(self.pos).is_some_and(is_alnum)
    }

    fn lex_string(&mut self, quote: u8, start: usize) -> bool {
        self.pos += 1;
        loop {
            let Some(b) = self.peek_at(self.pos) else {
                let msg = if quote == b'`' {
                    "unterminated raw string"
                } else {
                    "unterminated quoted string"
                };
                self.error(start, msg.into());
                return false;
            };
            self.pos += 1;
            if b == quote {
                break;
            }
            if quote != b'`' {
                if b == b'\n' {
                    self.error(start, "unterminated quoted string".into());
                    return false;
                }
                if b == b'\\' && self.pos < self.bytes.len() {
                    self.pos += 1;
                }
            }
        }
        let body = &self.input[start + 1..self.pos - 1];
        if let Err(msg) = unquote_body(body, quote as char) {
            self.error(start, msg);
            return false;
        }
        self.emit(TokenKind::String, start);
        true
    }
}

/// Unquotes a string token (with its quotes), applying Go escapes for `"` and `'` strings.
/// Bytes that are not valid UTF-8 (`"\xff"`) become U+FFFD; [`unquote_bytes`] keeps them.
pub fn unquote(token_text: &str) -> Result<String, String> {
    unquote_bytes(token_text).map(|b| String::from_utf8(b).unwrap_or_else(|e| lossy(e.as_bytes())))
}

/// Unquotes a string token into the bytes Go's `strconv.Unquote` gives: like a Go string,
/// the result may be invalid UTF-8 (`"\xff"`), which PromQL must be able to reject exactly.
pub fn unquote_bytes(token_text: &str) -> Result<Vec<u8>, String> {
    let quote = token_text.chars().next().ok_or("empty string token")?;
    let body = token_text
        .get(1..token_text.len().saturating_sub(1))
        .ok_or("unterminated quoted string")?;
    unquote_body(body, quote)
}

/// `bytes` with each invalid UTF-8 sequence replaced by U+FFFD.
pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn unquote_body(body: &str, quote: char) -> Result<Vec<u8>, String> {
    if quote == '`' {
        return Ok(body.as_bytes().to_vec());
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let Some(e) = chars.next() else {
            return Err("escape sequence not terminated".into());
        };
        let simple = match e {
            'a' => Some(0x07),
            'b' => Some(0x08),
            'f' => Some(0x0c),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(0x0b),
            '\\' => Some(b'\\'),
            c if c == quote => Some(c as u8),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let (digits, base, max, first) = match e {
            '0'..='7' => (3, 8, 255, Some(e)),
            'x' => (2, 16, 255, None),
            'u' => (4, 16, 0x10ffff, None),
            'U' => (8, 16, 0x10ffff, None),
            other => {
                return Err(format!(
                    "unknown escape sequence U+{:04X} {}",
                    other as u32,
                    rune_quote(other)
                ));
            }
        };
        let mut value: u32 = 0;
        for i in 0..digits {
            let d = if i == 0 && first.is_some() { first } else { chars.next() };
            let Some(d) = d else {
                return Err("escape sequence not terminated".into());
            };
            let Some(v) = d.to_digit(base) else {
                return Err(format!(
                    "illegal character U+{:04X} {} in escape sequence",
                    d as u32,
                    rune_quote(d)
                ));
            };
            value = value * base + v;
        }
        if value > max || (0xd800..0xe000).contains(&value) {
            return Err("escape sequence is an invalid Unicode code point".into());
        }
        if matches!(e, 'u' | 'U') {
            let c = char::from_u32(value).ok_or("escape sequence is an invalid Unicode code point")?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            out.push(value as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
