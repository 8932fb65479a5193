//! Numbers as promqltest scripts write them.
//!
//! Series descriptions use PromQL's number syntax (decimal, exponent, `Inf`, `NaN`; no hex, since
//! `x` is the repeat marker), and their items are parsed as *prefixes* (`1+2x3`). Bare scalar
//! result lines use Go's `strconv` rules (`0x10`, `0x1p-2`, `1_000` with a base prefix...).

/// Parses a float at the start of `s` (optional sign, digits with fraction and exponent, or
/// `Inf`/`Infinity`/`NaN` in any case). Returns the value and the rest.
pub(crate) fn float_prefix(s: &str) -> Option<(f64, &str)> {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let signed = |v: f64| if negative { -v } else { v };
    let word = &s[i..];
    for (name, value) in [("infinity", f64::INFINITY), ("inf", f64::INFINITY), ("nan", f64::NAN)] {
        if word.len() >= name.len()
            && word.is_char_boundary(name.len())
            && word[..name.len()].eq_ignore_ascii_case(name)
        {
            return Some((signed(value), &word[name.len()..]));
        }
    }
    let start = i;
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    let mut n = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digits(&mut j) > 0 {
            i = j;
        }
    }
    let v: f64 = s[start..i].parse().ok()?;
    Some((signed(v), &s[i..]))
}

/// Parses a whole string as a PromQL-style float.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    match float_prefix(s) {
        Some((v, "")) => Some(v),
        _ => None,
    }
}

/// Parses a bare scalar result line as Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat`
/// would: base prefixes (`0x`, `0o`, `0b`, leading `0` octal), hex floats (`0x1p-2`).
pub(crate) fn parse_go_number(s: &str) -> Option<f64> {
    if let Some(v) = parse_float(s) {
        // A leading-zero integer is octal for ParseInt(s, 0, 64).
        let digits = s.trim_start_matches(['+', '-']);
        if digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|c| c.is_ascii_digit()) {
            return parse_prefixed_int(s);
        }
        return Some(v);
    }
    parse_prefixed_int(s).or_else(|| parse_hex_float(s))
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn parse_prefixed_int(s: &str) -> Option<f64> {
    let (neg, body) = split_sign(s);
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        return None;
    };
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    let v = i64::from_str_radix(&digits, radix).ok()? as f64;
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = split_sign(s);
    let body = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X"))?;
    let (mantissa, exp) = body.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0.0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let v = v * 2f64.powi(exp);
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_stop_before_repeat_markers() {
        assert_eq!(float_prefix("1+2x3"), Some((1.0, "+2x3")));
        assert_eq!(float_prefix("-1.5e3x2"), Some((-1500.0, "x2")));
        assert_eq!(float_prefix("2.258E+220"), Some((2.258e220, "")));
        assert_eq!(float_prefix("1ex"), Some((1.0, "ex")));
        assert_eq!(float_prefix("-Inf"), Some((f64::NEG_INFINITY, "")));
        assert!(float_prefix("NaN").is_some_and(|(v, r)| v.is_nan() && r.is_empty()));
        assert_eq!(float_prefix("abc"), None);
        assert_eq!(parse_float("1x"), None);
    }

    #[test]
    fn go_numbers() {
        assert_eq!(parse_go_number("0x10"), Some(16.0));
        assert_eq!(parse_go_number("0x1p-2"), Some(0.25));
        assert_eq!(parse_go_number("010"), Some(8.0));
        assert_eq!(parse_go_number("-3.5"), Some(-3.5));
        assert_eq!(parse_go_number("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_go_number("foo"), None);
        assert_eq!(parse_go_number("foo 1"), None);
    }
}
