//! The generator of well-typed PromQL: expressions are built top-down for a wanted type
//! (instant vector, scalar, range vector, string), with a depth budget that forces leaves
//! when it runs out. Each vector expression carries the labels its series probably have, so
//! `by`, `without`, `on`, `ignoring` and `group_*` lists name labels that exist, and binary
//! operators insert parentheses exactly where precedence would otherwise regroup them.
//!
//! Functions are in `calls.rs`; selectors, ranges and modifiers in `selectors.rs`.

use crate::literals::{self, quoted};
use crate::rng::Rng;
use crate::schema::Schema;

/// How the generator shapes its queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Maximum nesting of operators and functions (leaves at depth 0).
    pub max_depth: u32,
    /// Whether to use experimental syntax and functions (duration expressions, `anchored`,
    /// `smoothed`, `fill`, `limitk`, `info`, ...); such queries need `ParseOptions::all()`.
    pub experimental: bool,
    /// Whether to emit only what a reference Prometheus 2.42 parses and answers like 3.x (see
    /// [`GenConfig::prometheus_2_42`]).
    pub prometheus_2_42: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            max_depth: 4,
            experimental: true,
            prometheus_2_42: false,
        }
    }
}

impl GenConfig {
    /// The dialect of differential runs against Prometheus 2.42 (started with
    /// `--enable-feature=promql-negative-offset`): no experimental syntax, only 2.42's
    /// functions, no UTF-8 quoted names, no durations as numbers, `@` times on whole seconds
    /// that are 7 modulo 10, whole-minute offsets and no nested subqueries, so that 2.x's
    /// left-closed windows select what 3.x's left-open ones do (docs/differential-testing.md).
    pub fn prometheus_2_42() -> Self {
        GenConfig {
            max_depth: 4,
            experimental: false,
            prometheus_2_42: true,
        }
    }
}

/// Precedence of an atom (selector, call, literal, parenthesised expression).
pub(crate) const ATOM: u8 = 10;
/// Precedence of a unary expression (binds like `*`).
pub(crate) const UNARY: u8 = 5;

/// A generated expression: its text, how tightly it binds, and its series' probable labels.
#[derive(Clone, Debug)]
pub(crate) struct Out {
    pub text: String,
    pub prec: u8,
    pub labels: Vec<String>,
}

impl Out {
    /// An atom without labels.
    pub fn atom(text: String) -> Self {
        Out {
            text,
            prec: ATOM,
            labels: Vec::new(),
        }
    }

    /// The text, parenthesised when it binds looser than `min_prec`.
    pub fn at_least(&self, min_prec: u8) -> String {
        if self.prec < min_prec {
            format!("({})", self.text)
        } else {
            self.text.clone()
        }
    }
}

/// A binary operator's text and precedence.
struct Op {
    text: &'static str,
    prec: u8,
}

const ARITH: &[Op] = &[
    Op { text: "+", prec: 4 },
    Op { text: "-", prec: 4 },
    Op { text: "*", prec: 5 },
    Op { text: "/", prec: 5 },
    Op { text: "%", prec: 5 },
    Op { text: "^", prec: 6 },
    Op { text: "atan2", prec: 5 },
];
const COMPARISON: &[Op] = &[
    Op { text: "==", prec: 3 },
    Op { text: "!=", prec: 3 },
    Op { text: ">", prec: 3 },
    Op { text: "<", prec: 3 },
    Op { text: ">=", prec: 3 },
    Op { text: "<=", prec: 3 },
];
const SET: &[Op] = &[
    Op { text: "and", prec: 2 },
    Op { text: "or", prec: 1 },
    Op {
        text: "unless",
        prec: 2,
    },
];
const TRIM: &[Op] = &[Op { text: "</", prec: 5 }, Op { text: ">/", prec: 5 }];

/// Aggregations and the kind of parameter each takes.
pub(crate) const AGGREGATIONS: &[(&str, Param)] = &[
    ("sum", Param::None),
    ("avg", Param::None),
    ("count", Param::None),
    ("min", Param::None),
    ("max", Param::None),
    ("group", Param::None),
    ("stddev", Param::None),
    ("stdvar", Param::None),
    ("topk", Param::K),
    ("bottomk", Param::K),
    ("quantile", Param::Quantile),
    ("count_values", Param::Label),
    ("limitk", Param::K),
    ("limit_ratio", Param::Ratio),
];

/// What an aggregation's first argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    None,
    K,
    Quantile,
    Ratio,
    Label,
}

/// A generator of random well-typed queries over a schema; see the crate docs.
#[derive(Debug, Clone)]
pub struct Generator<'s> {
    pub(crate) schema: &'s Schema,
    pub(crate) cfg: GenConfig,
    pub(crate) rng: Rng,
    /// How many subqueries enclose the expression being generated.
    pub(crate) subquery_depth: u32,
}

impl<'s> Generator<'s> {
    /// A generator drawing from `rng`.
    pub fn new(schema: &'s Schema, cfg: GenConfig, rng: Rng) -> Self {
        Generator {
            schema,
            cfg,
            rng,
            subquery_depth: 0,
        }
    }

    /// One query: usually an instant vector, sometimes a scalar, a range vector or a string.
    pub fn query(&mut self) -> String {
        let depth = self.cfg.max_depth;
        match self.rng.weighted(&[72, 14, 11, 3]) {
            0 => self.vector(depth).text,
            1 => self.scalar(depth).text,
            2 => self.matrix(depth).text,
            _ => quoted(&mut self.rng, "hello ✓"),
        }
    }

    /// An instant-vector expression.
    pub(crate) fn vector(&mut self, depth: u32) -> Out {
        if depth == 0 {
            return self.selector(None);
        }
        let d = depth - 1;
        match self.rng.weighted(&[22, 24, 16, 16, 8, 4, 4, 3]) {
            0 => self.selector(None),
            1 => self.call(rill_promql::ValueType::Vector, d),
            2 => self.aggregate(d),
            3 => self.vector_binary(d),
            4 => self.vector_scalar_binary(d),
            5 => {
                let inner = self.vector(d);
                Out {
                    text: format!("{}{}", if self.rng.chance(0.8) { "-" } else { "+" }, inner.at_least(6)),
                    prec: UNARY,
                    labels: inner.labels,
                }
            }
            6 => {
                let inner = self.vector(d);
                Out {
                    text: format!("({})", inner.text),
                    prec: ATOM,
                    labels: inner.labels,
                }
            }
            _ => self.histogram_expr(d),
        }
    }

    /// A number literal; `finite` excludes `Inf` and `NaN`. Durations as numbers (`5m`) are
    /// 3.x syntax, so Prometheus 2.42 mode draws again when it gets one.
    pub(crate) fn number(&mut self, finite: bool) -> String {
        loop {
            let n = literals::number(&mut self.rng, finite);
            if !self.cfg.prometheus_2_42 || !n.ends_with(['s', 'm', 'h']) {
                return n;
            }
        }
    }

    /// A label name, quoted when it must be and sometimes when it need not (never in
    /// Prometheus 2.42 mode, which has no quoted label names).
    pub(crate) fn label_name(&mut self, name: &str) -> String {
        let chance = if self.cfg.prometheus_2_42 { 0.0 } else { 0.08 };
        literals::label_name(&mut self.rng, name, chance)
    }

    /// A comma-separated label list for `by (...)`, `on (...)` and `group_left (...)`.
    pub(crate) fn label_list(&mut self, names: &[String]) -> String {
        names.iter().map(|n| self.label_name(n)).collect::<Vec<_>>().join(", ")
    }

    /// Whether a subquery may start here: not inside another one in Prometheus 2.42 mode,
    /// because inner subqueries run on the outer grid, where 2.x and 3.x windows differ.
    pub(crate) fn subquery_allowed(&self) -> bool {
        !self.cfg.prometheus_2_42 || self.subquery_depth == 0
    }

    /// A scalar expression.
    pub(crate) fn scalar(&mut self, depth: u32) -> Out {
        if depth == 0 || self.rng.chance(0.45) {
            let finite = self.rng.chance(0.9);
            return Out::atom(self.number(finite));
        }
        let d = depth - 1;
        match self.rng.weighted(&[10, 6, 10, 4, 3]) {
            0 => self.call(rill_promql::ValueType::Scalar, d),
            1 => {
                let inner = self.vector(d);
                Out::atom(format!("scalar({})", inner.text))
            }
            2 => self.scalar_binary(d),
            3 => {
                let inner = self.scalar(d);
                Out {
                    text: format!("-{}", inner.at_least(6)),
                    prec: UNARY,
                    labels: Vec::new(),
                }
            }
            _ => {
                let inner = self.scalar(d);
                Out::atom(format!("({})", inner.text))
            }
        }
    }

    /// A range-vector expression: a matrix selector or a subquery.
    pub(crate) fn matrix(&mut self, depth: u32) -> Out {
        if depth == 0 || !self.subquery_allowed() || self.rng.chance(0.7) {
            self.matrix_selector(None)
        } else {
            self.subquery(depth - 1)
        }
    }

    /// `lhs op rhs` for two vector operands, with matching modifiers that make sense for them.
    fn vector_binary(&mut self, d: u32) -> Out {
        let lhs = self.vector(d);
        let mut rhs = self.vector(d);
        let kind = self
            .rng
            .weighted(&[10, 6, 5, if self.cfg.experimental { 1 } else { 0 }]);
        let op = match kind {
            0 => self.rng.pick(ARITH),
            1 => self.rng.pick(COMPARISON),
            2 => self.rng.pick(SET),
            _ => self.rng.pick(TRIM),
        }
        .unwrap_or(&ARITH[0]);
        let is_set = kind == 2;
        let mut modifiers = String::new();
        if kind == 1 && self.rng.chance(0.4) {
            modifiers.push_str(" bool");
        }
        let shared: Vec<String> = lhs.labels.iter().filter(|l| rhs.labels.contains(l)).cloned().collect();
        let mut labels = if op.text == "or" {
            shared.clone()
        } else {
            lhs.labels.clone()
        };
        if self.rng.chance(0.55) {
            let on = self.rng.chance(0.6);
            let list = self.rng.subset(&shared, 3);
            let keyword = if on { "on" } else { "ignoring" };
            modifiers.push_str(&format!(" {keyword} ({})", self.label_list(&list)));
            if !is_set && self.rng.chance(0.35) {
                let left = self.rng.chance(0.5);
                let (many, one) = if left { (&lhs, &rhs) } else { (&rhs, &lhs) };
                let extra: Vec<String> = one
                    .labels
                    .iter()
                    .filter(|l| !list.contains(l) && !many.labels.contains(l))
                    .cloned()
                    .collect();
                let include = self.rng.subset(&extra, 2);
                if on && left && self.rng.chance(0.7) {
                    // Make the "one" side unique per matching group so the query succeeds.
                    let mut by = list.clone();
                    by.extend(include.iter().cloned());
                    rhs.text = format!("sum by ({}) ({})", self.label_list(&by), rhs.text);
                    rhs.prec = ATOM;
                }
                let side = if left { "group_left" } else { "group_right" };
                // `group_x (` would read a parenthesised right operand as the label list.
                let rhs_opens_paren = rhs.prec <= op.prec || rhs.text.starts_with('(');
                let include_text = if include.is_empty() && !rhs_opens_paren && self.rng.chance(0.5) {
                    String::new()
                } else {
                    format!(" ({})", self.label_list(&include))
                };
                modifiers.push_str(&format!(" {side}{include_text}"));
                labels = if left { lhs.labels.clone() } else { rhs.labels.clone() };
                labels.extend(include);
            } else if on && !is_set {
                labels = list;
            }
        }
        if self.cfg.experimental && !is_set && self.rng.chance(0.1) {
            let v = self.number(true);
            let fill = ["fill", "fill_left", "fill_right"][self.rng.below(3)];
            modifiers.push_str(&format!(" {fill} ({v})"));
        }
        self.binary_text(&lhs, op, &modifiers, &rhs, labels)
    }

    /// A vector and a scalar combined by an arithmetic or comparison operator, either way round.
    fn vector_scalar_binary(&mut self, d: u32) -> Out {
        let v = self.vector(d);
        let s = self.scalar(d);
        let comparison = self.rng.chance(0.4);
        let op = if comparison {
            self.rng.pick(COMPARISON)
        } else {
            self.rng.pick(ARITH)
        }
        .unwrap_or(&ARITH[0]);
        let modifiers = if comparison && self.rng.chance(0.4) {
            " bool"
        } else {
            ""
        };
        let labels = v.labels.clone();
        if self.rng.chance(0.5) {
            self.binary_text(&v, op, modifiers, &s, labels)
        } else {
            self.binary_text(&s, op, modifiers, &v, labels)
        }
    }

    /// Two scalars; comparisons between scalars need `bool`.
    fn scalar_binary(&mut self, d: u32) -> Out {
        let lhs = self.scalar(d);
        let rhs = self.scalar(d);
        if self.rng.chance(0.3) {
            let op = self.rng.pick(COMPARISON).unwrap_or(&COMPARISON[0]);
            self.binary_text(&lhs, op, " bool", &rhs, Vec::new())
        } else {
            let op = self.rng.pick(ARITH).unwrap_or(&ARITH[0]);
            self.binary_text(&lhs, op, "", &rhs, Vec::new())
        }
    }

    /// Joins operands with `op`, parenthesising operands that would otherwise regroup.
    fn binary_text(&mut self, lhs: &Out, op: &Op, modifiers: &str, rhs: &Out, labels: Vec<String>) -> Out {
        let right_assoc = op.text == "^";
        let (lmin, rmin) = if right_assoc {
            (op.prec + 1, op.prec)
        } else {
            (op.prec, op.prec + 1)
        };
        let keyword = if op.text.chars().all(|c| c.is_ascii_alphanumeric()) && self.rng.chance(0.1) {
            op.text.to_ascii_uppercase()
        } else {
            op.text.to_string()
        };
        Out {
            text: format!("{} {keyword}{modifiers} {}", lhs.at_least(lmin), rhs.at_least(rmin)),
            prec: op.prec,
            labels,
        }
    }

    /// An aggregation with an optional parameter and `by` / `without` grouping.
    fn aggregate(&mut self, d: u32) -> Out {
        let usable: Vec<(&str, Param)> = AGGREGATIONS
            .iter()
            .copied()
            .filter(|(name, _)| self.cfg.experimental || !name.starts_with("limit"))
            .collect();
        let (name, param) = self.rng.pick(&usable).copied().unwrap_or(("sum", Param::None));
        let inner = self.vector(d);
        let param_text = match param {
            Param::None => String::new(),
            Param::K if self.rng.chance(0.8) => format!("{}, ", self.rng.range(0, 5)),
            Param::Quantile if self.rng.chance(0.8) => format!("{}, ", literals::quantile(&mut self.rng)),
            Param::Ratio if self.rng.chance(0.8) => format!("{:.2}, ", self.rng.unit() * 2.0 - 1.0),
            Param::Label => {
                // 2.42 sorts `by` labels and the value label together in place, losing a `by`
                // label that sorts after the value label from a range query's second step on;
                // `value` sorts after every label of the differential data.
                let choices: &[&str] = if self.cfg.prometheus_2_42 {
                    &["value"]
                } else {
                    &["value", "le", "service.name", "job"]
                };
                let l = self.rng.pick(choices).copied().unwrap_or("value");
                format!("{}, ", quoted(&mut self.rng, l))
            }
            _ => format!("{}, ", self.scalar(d).text),
        };
        let mut candidates = inner.labels.clone();
        if self.rng.chance(0.1) {
            candidates.extend(self.schema.all_label_names());
            candidates.push("__name__".into());
        }
        let list = self.rng.subset(&candidates, 3);
        let (grouping, mut labels) = match self.rng.below(5) {
            0 | 1 => (
                String::new(),
                if param == Param::None {
                    Vec::new()
                } else {
                    inner.labels.clone()
                },
            ),
            2 | 3 => {
                let text = format!("by ({})", self.label_list(&list));
                (text, list.clone())
            }
            _ => {
                let text = format!("without ({})", self.label_list(&list));
                (
                    text,
                    inner.labels.iter().filter(|l| !list.contains(l)).cloned().collect(),
                )
            }
        };
        if matches!(param, Param::K | Param::Ratio) {
            labels = inner.labels.clone();
        }
        let call = format!("({param_text}{})", inner.text);
        let name = if self.rng.chance(0.05) {
            name.to_ascii_uppercase()
        } else {
            name.to_string()
        };
        let text = if grouping.is_empty() {
            format!("{name}{call}")
        } else if self.rng.chance(0.7) {
            format!("{name} {grouping} {call}")
        } else {
            format!("{name}{call} {grouping}")
        };
        Out {
            text,
            prec: ATOM,
            labels,
        }
    }
}

#[cfg(test)]
mod tests {
    use rill_promql::{ParseOptions, StandardFunctions, parse, standard_function_names};

    use super::*;
    use crate::generate;

    fn corpus(cfg: GenConfig, n: u64) -> Vec<String> {
        let schema = Schema::demo();
        (0..n).map(|i| generate(&schema, cfg, 11, i)).collect()
    }

    #[test]
    fn covers_every_function_aggregation_and_modifier() {
        let all = corpus(GenConfig::default(), 6000).join("\n");
        for f in standard_function_names() {
            assert!(all.contains(&format!("{f}(")), "function {f} never generated");
        }
        for (a, _) in AGGREGATIONS {
            assert!(all.to_ascii_lowercase().contains(a), "aggregation {a} never generated");
        }
        let features = [
            " by (",
            " without (",
            " on (",
            " ignoring (",
            " group_left",
            " group_right",
            " bool ",
            " and ",
            " or ",
            " unless ",
            " atan2 ",
            " </ ",
            " fill",
            "@ start()",
            "@ end()",
            "offset -",
            "=~",
            "!~",
            "!=",
            "{\"",
            "0x",
            "NaN",
            ":]",
            " anchored",
            " smoothed",
            "max_of(",
            ") by (",
            "`",
        ];
        for feature in features {
            assert!(all.contains(feature), "{feature:?} never generated");
        }
        assert!(all.contains(":1m])[") || all.contains(":30s])["), "no nested subquery");
    }

    #[test]
    fn stable_queries_parse_without_experimental_features() {
        let cfg = GenConfig {
            experimental: false,
            ..GenConfig::default()
        };
        for q in corpus(cfg, 1500) {
            let r = parse(&q, &StandardFunctions, &ParseOptions::default());
            assert!(r.is_ok(), "{q}: {r:?}");
        }
    }

    #[test]
    fn prometheus_2_42_mode_stays_in_its_dialect() {
        let queries = corpus(GenConfig::prometheus_2_42(), 1500);
        let mut subqueries = 0;
        let mut ats = 0;
        for q in &queries {
            let expr = parse(q, &StandardFunctions, &ParseOptions::default());
            let Ok(expr) = expr else {
                panic!("{q}: {expr:?}");
            };
            let mut bad = Vec::new();
            expr.walk(&mut |e| match e {
                rill_promql::Expr::Call(c) if !crate::in_prometheus_2_42(&c.name) => bad.push(c.name.clone()),
                rill_promql::Expr::Subquery(sq) => {
                    subqueries += 1;
                    sq.expr.walk(&mut |inner| {
                        if matches!(inner, rill_promql::Expr::Subquery(_)) {
                            bad.push("nested subquery".into());
                        }
                    });
                }
                rill_promql::Expr::VectorSelector(vs) => {
                    if let Some(rill_promql::AtModifier::Timestamp(ms)) = vs.at {
                        ats += 1;
                        if ms.rem_euclid(10_000) != 7_000 {
                            bad.push(format!("@ {ms}"));
                        }
                    }
                    if vs
                        .offset
                        .as_ref()
                        .and_then(|o| o.constant_millis())
                        .is_some_and(|o| o % 60_000 != 0)
                    {
                        bad.push("offset".into());
                    }
                }
                _ => {}
            });
            assert!(bad.is_empty(), "{q}: {bad:?}");
            assert!(!q.contains("{\"") && !q.contains("service.name"), "{q}");
            // No unitless range (`[300]`): each bracket's duration has a unit letter.
            let bare = q.split('[').skip(1).filter_map(|r| r.split([']', ':']).next());
            assert!(bare.clone().all(|d| !d.chars().all(|c| c.is_ascii_digit())), "{q}");
        }
        assert!(subqueries > 50 && ats > 20, "{subqueries} subqueries, {ats} @");
    }
}
