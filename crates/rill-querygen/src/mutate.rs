//! The mutator: turns a query into a near miss or a malformed variant, the inputs where
//! parsers and engines break. Text is split into rough tokens (words, strings, single
//! punctuation, whitespace), then one to three mutations are applied: token deletion, swap,
//! duplication and splicing; stray brackets and operators; extreme numbers and durations;
//! deep nesting around the limits; odd Unicode; invalid regexes; truncation; raw bytes;
//! keyword confusion.

use crate::rng::Rng;

/// Numbers and durations at or past the limits of what parses.
const EXTREME_NUMBERS: &[&str] = &[
    "1e309",
    "-1e309",
    "1e-400",
    "0x",
    "0xffffffffffffffffffffffff",
    "99999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "1_000",
    "0b101",
    "0o17",
    "1e",
    "1..2",
    ".",
    "292y",
    "293y",
    "9223372036854775807ms",
    "9223372036854775808ms",
    "106751d",
    "0s",
    "-0s",
    "0",
    "1ms",
    "5m5m",
    "1h1h",
    "1.5m",
    "1m1h",
    "-Inf",
    "NaN",
    "1e-7",
    "4.9e-324",
    "1.7976931348623157e308",
];

/// Strings that are not valid regexes (or are pathological ones).
const BAD_REGEXES: &[&str] = &[
    "\"(\"",
    "\"[z-a]\"",
    "\"\\\\\"",
    "\"(?P<x\"",
    "\"a{99999}\"",
    "\"(a{1000}){1000}\"",
    "\"*\"",
    "\"(?<!x)y\"",
    "\"\\\\p{Nope}\"",
    "\"[[:nope:]]\"",
    "\"x**\"",
    "\"\\\\1\"",
];

/// Code points that tend to confuse lexers.
const ODD_CHARS: &[char] = &[
    '\u{0}',
    '\u{7f}',
    '\u{feff}',
    '\u{200b}',
    '\u{202e}',
    '\u{2028}',
    '\u{301}',
    'é',
    'ß',
    '𝔘',
    '\u{1F600}',
    '\u{fffd}',
    '\t',
    '\n',
    '\r',
    '\\',
    '`',
    '\'',
    '"',
    '#',
    '$',
    '§',
    '＜',
];

/// Punctuation and keywords to insert or substitute.
const STRAY: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "@",
    "=",
    "=~",
    "!~",
    "!",
    "~",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "==",
    "!=",
    "<",
    ">",
    "</",
    ">/",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "atan2",
    "start()",
    "end()",
    "step()",
    "range()",
    "anchored",
    "smoothed",
    "fill",
    "fill_left",
    "inf",
    "nan",
    "sum",
    "topk",
    "count_values",
    "__name__",
    "# comment\n",
    "\n",
    "[5m]",
    "[5m:1m]",
    "[:]",
    "[0s]",
    "@ 0",
    "offset -1y",
    "{}",
    "{,}",
];

/// One rough token of the text, kept verbatim.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let mut tok = String::from(c);
        if c.is_alphanumeric() || c == '_' || c == '.' {
            while let Some(&n) = chars.peek() {
                if n.is_alphanumeric() || n == '_' || n == '.' || n == ':' {
                    tok.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
        } else if c == '"' || c == '\'' || c == '`' {
            while let Some(n) = chars.next() {
                tok.push(n);
                if n == '\\' && c != '`' {
                    if let Some(e) = chars.next() {
                        tok.push(e);
                    }
                } else if n == c {
                    break;
                }
            }
        } else if c.is_whitespace() {
            while let Some(&n) = chars.peek().filter(|n| n.is_whitespace()) {
                tok.push(n);
                chars.next();
            }
        }
        out.push(tok);
    }
    out
}

/// Whether a token looks like a number or duration.
fn is_numeric(tok: &str) -> bool {
    tok.chars().next().is_some_and(|c| c.is_ascii_digit() || c == '.') && tok.len() < 40
}

/// `text` cut at a random char boundary.
fn char_boundary(rng: &mut Rng, text: &str) -> usize {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    rng.pick(&bounds).copied().unwrap_or(0)
}

/// Wraps `q` `n` levels deep in one of several nesting shapes.
fn nest(rng: &mut Rng, q: &str) -> String {
    let n = match rng.below(3) {
        0 => rng.range(120, 135) as usize,
        1 => rng.range(1, 300) as usize,
        _ => rng.range(1000, 5000) as usize,
    };
    match rng.below(8) {
        0 => format!("{}{q}{}", "(".repeat(n), ")".repeat(n)),
        1 => format!("{}{q}", "-".repeat(n)),
        2 => format!("{}{q}{}", "sum(".repeat(n), ")".repeat(n)),
        3 => format!("{}{q}{}", "abs(".repeat(n), ")".repeat(n)),
        4 => format!("{q}{}", " + 1".repeat(n)),
        5 => format!("{q}{}", " ^ 2".repeat(n)),
        6 => format!("({q}){}", "[5m:1m]".repeat(n.min(200))),
        _ => format!(
            "{}{q}{}",
            "max_over_time((".repeat(n.min(200)),
            ")[5m:1m])".repeat(n.min(200))
        ),
    }
}

/// A near-miss or malformed variant of `query`; `donor` supplies tokens for splicing.
pub fn mutate(rng: &mut Rng, query: &str, donor: &str) -> String {
    let mut text = query.to_string();
    for _ in 0..=rng.weighted(&[6, 3, 1]) {
        text = mutate_once(rng, &text, donor);
    }
    text
}

fn mutate_once(rng: &mut Rng, text: &str, donor: &str) -> String {
    let mut toks = tokens(text);
    let i = rng.below(toks.len());
    match rng.weighted(&[12, 8, 8, 10, 8, 3, 6, 6, 5, 3, 6, 4, 5, 2]) {
        0 if !toks.is_empty() => {
            toks.remove(i);
        }
        1 if toks.len() > 1 => {
            let j = (i + 1) % toks.len();
            toks.swap(i, j);
        }
        2 if !toks.is_empty() => {
            let t = toks.get(i).cloned().unwrap_or_default();
            toks.insert(i, t);
        }
        3 => {
            let s = rng.pick(STRAY).copied().unwrap_or("(");
            toks.insert(i, s.to_string());
        }
        4 => {
            let numeric: Vec<usize> = (0..toks.len())
                .filter(|&k| toks.get(k).is_some_and(|t| is_numeric(t)))
                .collect();
            let at = rng.pick(&numeric).copied().unwrap_or(i);
            let s = rng.pick(EXTREME_NUMBERS).copied().unwrap_or("0");
            if let Some(t) = toks.get_mut(at) {
                *t = s.to_string();
            } else {
                toks.push(s.to_string());
            }
        }
        5 => return nest(rng, text),
        6 => {
            let at = char_boundary(rng, text);
            let c = rng.pick(ODD_CHARS).copied().unwrap_or('é');
            let mut s = text.to_string();
            s.insert(at, c);
            return s;
        }
        7 => {
            let bad = rng.pick(BAD_REGEXES).copied().unwrap_or("\"(\"");
            let after_op = (1..toks.len()).find(|&k| toks.get(k - 1).is_some_and(|t| t == "~"));
            match after_op {
                Some(k) => {
                    if let Some(t) = toks.get_mut(k) {
                        *t = bad.to_string();
                    }
                }
                None => return format!("{{job=~{bad}}} + {text}"),
            }
        }
        8 => return text.get(..char_boundary(rng, text)).unwrap_or("").to_string(),
        9 => {
            let bytes: Vec<u8> = (0..rng.range(1, 8)).map(|_| rng.next_u64() as u8).collect();
            toks.insert(i, String::from_utf8_lossy(&bytes).into_owned());
        }
        10 => {
            let d = tokens(donor);
            let start = rng.below(d.len());
            let len = rng.below(6) + 1;
            let piece: String = d.iter().skip(start).take(len).cloned().collect();
            toks.insert(i, piece);
        }
        11 => {
            if let Some(t) = toks.get_mut(i) {
                *t = if rng.chance(0.5) {
                    t.to_ascii_uppercase()
                } else {
                    t.to_ascii_lowercase()
                };
            }
        }
        12 => {
            let s = rng.pick(STRAY).copied().unwrap_or("by");
            if let Some(t) = toks.get_mut(i) {
                *t = s.to_string();
            }
        }
        _ => {
            let joined: String = toks.concat();
            return if rng.chance(0.5) {
                joined.split_whitespace().collect()
            } else {
                joined.replace(' ', "\n  ")
            };
        }
    }
    toks.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_the_text_verbatim() {
        let q = "sum by (job) (rate(foo{a=\"b\\\"c\", d=~`x.*`}[5m])) offset -1h @ 12.5";
        let t = tokens(q);
        assert_eq!(t.concat(), q);
        assert!(t.contains(&"\"b\\\"c\"".to_string()));
        assert!(t.contains(&"5m".to_string()));
    }

    #[test]
    fn mutations_change_the_text_and_are_reproducible() {
        let q = "rate(http_requests_total{job=~\"api|web\"}[5m])";
        let mut changed = 0;
        for i in 0..200 {
            let a = mutate(&mut Rng::for_case(9, i), q, "sum(up)");
            let b = mutate(&mut Rng::for_case(9, i), q, "sum(up)");
            assert_eq!(a, b);
            changed += usize::from(a != q);
        }
        assert!(changed > 180, "{changed}");
    }
}
