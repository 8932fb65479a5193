//! Literal text the generator writes: quoted strings in all three quote styles, number
//! literals in every spelling PromQL accepts (decimal, exponent, hex, `Inf`, `NaN`, duration
//! numbers), durations, and label names (bare or UTF-8 quoted).

use crate::rng::Rng;

/// `s` as a PromQL string literal in double quotes, escaping what needs it.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a string literal in a randomly chosen quote style (double, single, or backtick raw
/// strings when `s` allows it).
pub fn quoted(rng: &mut Rng, s: &str) -> String {
    match rng.below(6) {
        0 if !s.contains(['\'', '\\', '\n']) => format!("'{s}'"),
        1 if !s.contains('`') => format!("`{s}`"),
        _ => double_quoted(s),
    }
}

/// Whether `s` is a legacy (unquoted) label name.
fn is_legacy_label(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A label name for `by`/`on`/matchers: bare when possible, UTF-8 quoted anyway with
/// probability `quote_chance`.
pub fn label_name(rng: &mut Rng, name: &str, quote_chance: f64) -> String {
    if !is_legacy_label(name) || rng.chance(quote_chance) {
        double_quoted(name)
    } else {
        name.to_string()
    }
}

/// A duration literal of `ms` milliseconds in Prometheus's compound form (`1h30m`, `90s`).
pub fn duration(ms: i64) -> String {
    rill_promql::format_duration_ms(ms)
}

/// A number literal in one of PromQL's spellings; `finite` excludes `Inf` and `NaN`.
pub fn number(rng: &mut Rng, finite: bool) -> String {
    let choice = rng.weighted(&[30, 12, 6, 6, 5, 4, 4, 3, 3, 3, 2]);
    match choice {
        0 => rng.range(0, 100).to_string(),
        1 => format!("{:.2}", rng.unit() * 10.0),
        2 => format!("0x{:x}", rng.range(0, 4096)),
        3 => format!("{}e{}", rng.range(1, 9), rng.range(-3, 3)),
        4 => format!(".{}", rng.range(1, 99)),
        5 => format!("{}.", rng.range(0, 9)),
        6 => ["1s", "5m", "1h", "30s", "1m30s"][rng.below(5)].to_string(),
        7 => format!("0X{:X}", rng.range(0, 255)),
        8 if !finite => ["Inf", "+Inf", "inf", "INF"][rng.below(4)].to_string(),
        9 if !finite => ["NaN", "nan", "NAN"][rng.below(3)].to_string(),
        10 if !finite => "-Inf".to_string(),
        _ => format!("{}E+{}", rng.range(1, 9), rng.range(0, 2)),
    }
}

/// A quantile-like value, mostly in `[0, 1]` and sometimes just outside it.
pub fn quantile(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => "-0.5".into(),
        1 => "1.5".into(),
        2 => "0".into(),
        3 => "1".into(),
        _ => format!("0.{}", rng.range(1, 99)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(double_quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        let mut rng = Rng::for_case(1, 2);
        for _ in 0..100 {
            let q = quoted(&mut rng, "x'y");
            assert!(q.starts_with('"') || q.starts_with('`'), "{q}");
        }
    }

    #[test]
    fn label_names_quote_only_when_needed_or_chosen() {
        let mut rng = Rng::for_case(3, 4);
        assert_eq!(label_name(&mut rng, "service.name", 0.08), "\"service.name\"");
        let bare = (0..200).filter(|_| label_name(&mut rng, "job", 0.08) == "job").count();
        assert!(bare > 150 && bare < 200, "{bare}");
    }

    #[test]
    fn numbers_cover_special_values() {
        let mut rng = Rng::for_case(5, 6);
        let all: Vec<String> = (0..2000).map(|_| number(&mut rng, false)).collect();
        assert!(all.iter().any(|n| n.starts_with("0x")));
        assert!(all.iter().any(|n| n.eq_ignore_ascii_case("nan")));
        let finite: Vec<String> = (0..2000).map(|_| number(&mut rng, true)).collect();
        assert!(!finite.iter().any(|n| n.to_ascii_lowercase().contains("inf")));
    }
}
