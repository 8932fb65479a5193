//! Selectors and their modifiers: instant and range selectors with every matcher kind
//! (`=`, `!=`, `=~`, `!~`, UTF-8 quoted names), ranges and subquery steps (literal or, when
//! experimental syntax is on, duration expressions), `offset` (also negative), `@` (also
//! `start()` / `end()`), and the `anchored` / `smoothed` range modes.

use crate::generator::{ATOM, Generator, Out};
use crate::literals::{self, double_quoted, quoted};
use crate::schema::{Metric, MetricKind};

/// Range and subquery lengths in milliseconds.
const RANGES_MS: &[i64] = &[
    15_000, 30_000, 60_000, 90_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
];
/// Subquery steps in milliseconds.
const STEPS_MS: &[i64] = &[10_000, 15_000, 30_000, 60_000, 120_000, 300_000];
/// Offsets in milliseconds (negative ones look into the future).
const OFFSETS_MS: &[i64] = &[
    60_000, 300_000, 600_000, 1_800_000, 3_600_000, -300_000, -60_000, 86_400_000, 90_500,
];

/// Escapes regex metacharacters so a label value matches itself literally.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Generator<'_> {
    /// A metric of the schema, of `kind` when given and available.
    pub(crate) fn metric(&mut self, kind: Option<MetricKind>) -> Metric {
        let pool: Vec<&Metric> = match kind {
            Some(k) if !self.schema.of_kind(k).is_empty() => self.schema.of_kind(k),
            _ => self.schema.metrics.iter().collect(),
        };
        let fallback = Metric::new("up", MetricKind::Gauge, &[]);
        self.rng.pick(&pool).map_or(fallback, |m| (*m).clone())
    }

    /// An instant vector selector with optional `offset` / `@`.
    pub(crate) fn selector(&mut self, kind: Option<MetricKind>) -> Out {
        let m = self.metric(kind);
        let mut out = self.bare_selector(&m);
        if self.cfg.experimental && self.rng.chance(0.03) {
            out.text
                .push_str(if self.rng.chance(0.5) { " anchored" } else { " smoothed" });
        }
        out.text.push_str(&self.modifiers());
        out
    }

    /// `name{matchers}` in one of its spellings, without modifiers.
    fn bare_selector(&mut self, m: &Metric) -> Out {
        let mut matchers = self.matchers(m);
        // `{"name"}` is 3.x syntax.
        let quoted_name = if self.cfg.prometheus_2_42 { 0 } else { 8 };
        let text = match self.rng.weighted(&[60, 10, quoted_name, 6, 4]) {
            0 => {
                if matchers.is_empty() && self.rng.chance(0.7) {
                    m.name.clone()
                } else {
                    format!("{}{{{}}}", m.name, matchers.join(", "))
                }
            }
            1 => {
                matchers.insert(0, format!("__name__={}", quoted(&mut self.rng, &m.name)));
                format!("{{{}}}", matchers.join(", "))
            }
            2 => {
                let at = self.rng.below(matchers.len() + 1);
                matchers.insert(at, double_quoted(&m.name));
                format!("{{{}}}", matchers.join(", "))
            }
            3 => {
                // A regex over names: this family and maybe others of the same kind.
                let others = self.schema.of_kind(m.kind);
                let mut names: Vec<String> = others.iter().map(|o| regex_escape(&o.name)).collect();
                names.truncate(2);
                names.push(regex_escape(&m.name));
                matchers.insert(0, format!("__name__=~{}", quoted(&mut self.rng, &names.join("|"))));
                format!("{{{}}}", matchers.join(","))
            }
            _ => {
                let prefix: String = m.name.chars().take(4).collect();
                matchers.push(format!("__name__!~{}", double_quoted("nonexistent_.*")));
                matchers.insert(0, format!("__name__=~\"{}.*\"", regex_escape(&prefix)));
                format!("{{{}}}", matchers.join(", "))
            }
        };
        Out {
            text,
            prec: ATOM,
            labels: m.label_names(),
        }
    }

    /// Zero to three matchers over the family's labels, of every kind.
    fn matchers(&mut self, m: &Metric) -> Vec<String> {
        let n = self.rng.weighted(&[40, 35, 18, 7]);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let Some((name, values)) = self.rng.pick(&m.labels).cloned() else {
                break;
            };
            let value = self.rng.pick(&values).cloned().unwrap_or_default();
            let (op, v) = match self.rng.weighted(&[40, 15, 25, 10, 3, 3]) {
                0 => ("=", value),
                1 => ("!=", value),
                2 => ("=~", self.regex_for(&values)),
                3 => ("!~", self.regex_for(&values)),
                4 => ("=", String::new()),
                _ => ("!=", "ünïcødé ✓ \u{1F600}".to_string()),
            };
            let name = self.label_name(&name);
            let v = quoted(&mut self.rng, &v);
            out.push(format!("{name}{op}{v}"));
        }
        out
    }

    /// A regex matching some of `values`: alternatives, a prefix, or a catch-all.
    fn regex_for(&mut self, values: &[String]) -> String {
        match self.rng.below(5) {
            0 => ".+".into(),
            1 => ".*".into(),
            2 => {
                let v = self.rng.pick(values).cloned().unwrap_or_default();
                let prefix: String = v.chars().take(2).collect();
                format!("{}.*", regex_escape(&prefix))
            }
            _ => {
                let picked = self.rng.subset(values, 3);
                picked.iter().map(|v| regex_escape(v)).collect::<Vec<_>>().join("|")
            }
        }
    }

    /// A range selector `sel[range]` with optional mode and modifiers.
    pub(crate) fn matrix_selector(&mut self, kind: Option<MetricKind>) -> Out {
        let m = self.metric(kind);
        let base = self.bare_selector(&m);
        let range = self.bracket_duration(RANGES_MS);
        let mut text = format!("{}[{range}]", base.text);
        if self.cfg.experimental && self.rng.chance(0.08) {
            text.push_str(if self.rng.chance(0.5) { " anchored" } else { " smoothed" });
        }
        text.push_str(&self.modifiers());
        Out {
            text,
            prec: ATOM,
            labels: base.labels,
        }
    }

    /// A subquery `expr[range:step]` (step sometimes omitted), possibly nested.
    pub(crate) fn subquery(&mut self, d: u32) -> Out {
        self.subquery_depth += 1;
        let inner = self.vector(d);
        self.subquery_depth -= 1;
        let range = self.bracket_duration(RANGES_MS);
        let step = if self.rng.chance(0.25) {
            String::new()
        } else {
            self.bracket_duration(STEPS_MS)
        };
        Out {
            text: format!("{}[{range}:{step}]{}", inner.at_least(ATOM), self.modifiers()),
            prec: ATOM,
            labels: inner.labels,
        }
    }

    /// A duration inside brackets: a literal, seconds as a number, or a duration expression.
    fn bracket_duration(&mut self, choices: &[i64]) -> String {
        let ms = self.rng.pick(choices).copied().unwrap_or(60_000);
        // Bare seconds (`[300]`) are 3.x syntax; 2.42 wants a unit.
        let seconds = if self.cfg.prometheus_2_42 { 0 } else { 5 };
        match self
            .rng
            .weighted(&[85, seconds, if self.cfg.experimental { 10 } else { 0 }])
        {
            0 => literals::duration(ms),
            1 => (ms / 1000).max(1).to_string(),
            _ => match self.rng.below(4) {
                0 => format!("{} + {}", literals::duration(ms), literals::duration(15_000)),
                1 => format!("2 * {}", literals::duration(ms)),
                2 => format!("max_of({}, 30s)", literals::duration(ms)),
                _ => format!("({}) / 2", literals::duration(ms * 2)),
            },
        }
    }

    /// Optional `@` and `offset` modifiers, in either order.
    pub(crate) fn modifiers(&mut self) -> String {
        let mut parts = Vec::new();
        if self.rng.chance(0.12) {
            let (lo, hi) = self.schema.time_range_s;
            let at = match self.rng.below(6) {
                0 => "start()".to_string(),
                1 => "end()".to_string(),
                _ if self.cfg.prometheus_2_42 => crate::compat::off_grid_second(self.rng.range(lo, hi)).to_string(),
                2 => format!("{}.{}", self.rng.range(lo, hi), self.rng.range(0, 999)),
                _ => self.rng.range(lo, hi).to_string(),
            };
            parts.push(format!(" @ {at}"));
        }
        if self.rng.chance(0.15) {
            let ms = loop {
                let ms = self.rng.pick(OFFSETS_MS).copied().unwrap_or(60_000);
                // Off-minute offsets would move 2.42's window edges onto grid points.
                if !self.cfg.prometheus_2_42 || ms % 60_000 == 0 {
                    break ms;
                }
            };
            let text = if self.cfg.experimental && self.rng.chance(0.1) {
                format!("({} * 2)", literals::duration(ms.abs()))
            } else {
                literals::duration(ms)
            };
            parts.push(format!(" offset {text}"));
        }
        if self.rng.chance(0.5) {
            parts.reverse();
        }
        parts.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_escape_quotes_metacharacters() {
        assert_eq!(regex_escape("+Inf"), "\\+Inf");
        assert_eq!(regex_escape("0.5"), "0\\.5");
        assert_eq!(regex_escape("api-0:8080"), "api-0:8080");
    }
}
