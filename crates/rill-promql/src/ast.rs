//! The PromQL abstract syntax tree.
//!
//! Every node carries a [`PosRange`] (byte offsets into the query text) so errors and the
//! web UI can point at the exact place. The tree is what the parser produces after type
//! checking; the engine's planner turns it into streaming operators.
//!
//! Durations in `[...]`, `offset`, and subquery steps are [`DurationExpr`]s: a constant for
//! classic PromQL (`5m`), or an arithmetic expression over numbers (seconds), durations,
//! `step()`, `range()`, `min_of(a, b)` and `max_of(a, b)` with Prometheus's experimental
//! duration expressions. The engine resolves them once per query with [`DurationExpr::eval`].

use std::fmt;

use rill_model::Matcher;

/// Byte offsets `[start, end)` of a node in the query text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PosRange {
    /// First byte of the node.
    pub start: usize,
    /// One past the last byte of the node.
    pub end: usize,
}

impl PosRange {
    /// A range from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        PosRange { start, end }
    }
}

/// The four PromQL value types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A single float per evaluation step.
    Scalar,
    /// A set of series with one sample each per step.
    Vector,
    /// A set of series with a window of samples each per step.
    Matrix,
    /// A string literal.
    String,
}

impl ValueType {
    /// The name Prometheus uses in messages and the API (`scalar`, `vector`, `matrix`, `string`).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "vector",
            ValueType::Matrix => "matrix",
            ValueType::String => "string",
        }
    }

    /// The name Prometheus uses in type-checking errors (`instant vector`, `range vector`, ...).
    pub fn document_name(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            ValueType::String => "string",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PromQL expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number literal; `1h` in expression position is the number 3600.
    Number(NumberLiteral),
    /// A string literal.
    String(StringLiteral),
    /// `( expr )`.
    Paren(ParenExpr),
    /// `-expr` or `+expr`.
    Unary(UnaryExpr),
    /// `lhs op rhs` with optional `bool`, matching and fill modifiers.
    Binary(BinaryExpr),
    /// `sum by (x) (expr)` and the other aggregations.
    Aggregate(AggregateExpr),
    /// A function call.
    Call(Call),
    /// An instant vector selector `metric{a="b"} offset 5m @ 100`.
    VectorSelector(VectorSelector),
    /// A range vector selector `metric{a="b"}[5m]`.
    MatrixSelector(MatrixSelector),
    /// A subquery `expr[30m:1m]`.
    Subquery(SubqueryExpr),
}

/// A number literal.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberLiteral {
    /// The value (durations are converted to seconds).
    pub value: f64,
    /// Where it is.
    pub pos: PosRange,
}

/// A string literal, unescaped.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLiteral {
    /// The unescaped value; invalid UTF-8 sequences (`"\xff"`) are replaced by U+FFFD.
    pub value: String,
    /// The unescaped bytes when they are not valid UTF-8, else `None`. A Go string, hence
    /// Prometheus's literal, may hold any bytes; where Prometheus rejects such a value (label
    /// names) it quotes these bytes in its message.
    pub invalid_utf8: Option<Vec<u8>>,
    /// Where it is.
    pub pos: PosRange,
}

impl StringLiteral {
    /// The literal's bytes as Prometheus sees them (the invalid ones kept).
    pub fn bytes(&self) -> &[u8] {
        self.invalid_utf8.as_deref().unwrap_or(self.value.as_bytes())
    }
}

/// A parenthesised expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ParenExpr {
    /// The inner expression.
    pub expr: Box<Expr>,
    /// Where it is, parentheses included.
    pub pos: PosRange,
}

/// A unary expression; only `-` changes the value.
#[derive(Clone, Debug, PartialEq)]
pub struct UnaryExpr {
    /// True for `-`, false for `+`.
    pub negate: bool,
    /// The operand.
    pub expr: Box<Expr>,
    /// Where it is, operator included.
    pub pos: PosRange,
}

/// Binary operators, including Prometheus's experimental histogram trim operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
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
    /// `atan2`
    Atan2,
    /// `==`
    Eql,
    /// `!=`
    Neq,
    /// `>`
    Gtr,
    /// `<`
    Lss,
    /// `>=`
    Gte,
    /// `<=`
    Lte,
    /// `and`
    And,
    /// `or`
    Or,
    /// `unless`
    Unless,
    /// `</`: trim histogram buckets above the bound (experimental).
    TrimUpper,
    /// `>/`: trim histogram buckets below the bound (experimental).
    TrimLower,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Atan2 => "atan2",
            Eql => "==",
            Neq => "!=",
            Gtr => ">",
            Lss => "<",
            Gte => ">=",
            Lte => "<=",
            And => "and",
            Or => "or",
            Unless => "unless",
            TrimUpper => "</",
            TrimLower => ">/",
        }
    }

    /// Comparison operators (`==`, `!=`, `>`, `<`, `>=`, `<=`), which filter unless `bool` is given.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eql | Neq | Gtr | Lss | Gte | Lte)
    }

    /// Set operators (`and`, `or`, `unless`), which work on series, not values.
    pub fn is_set(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Unless)
    }

    /// Precedence, higher binds tighter (`or` 1 … `^` 6), as in Prometheus.
    pub fn precedence(self) -> u8 {
        use BinaryOp::*;
        match self {
            Or => 1,
            And | Unless => 2,
            Eql | Neq | Gtr | Lss | Gte | Lte => 3,
            Add | Sub => 4,
            Mul | Div | Mod | Atan2 | TrimUpper | TrimLower => 5,
            Pow => 6,
        }
    }

    /// `^` is the only right-associative operator.
    pub fn is_right_associative(self) -> bool {
        self == BinaryOp::Pow
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side of a one-to-many match may have several series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// Plain one-to-one matching.
    OneToOne,
    /// `group_left`: many left series per right series.
    ManyToOne,
    /// `group_right`: many right series per left series.
    OneToMany,
    /// Set operators match many-to-many.
    ManyToMany,
}

/// `on(...)` / `ignoring(...)` and `group_left(...)` / `group_right(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorMatching {
    /// Matching cardinality.
    pub card: Cardinality,
    /// The label list of `on` or `ignoring`.
    pub matching_labels: Vec<String>,
    /// True for `on(...)`, false for `ignoring(...)` (or no modifier).
    pub on: bool,
    /// Extra labels copied from the "one" side (`group_left(a, b)`).
    pub include: Vec<String>,
}

/// `fill(v)`, `fill_left(v)`, `fill_right(v)`: values for series missing on one side
/// (Prometheus's experimental binop fill modifiers).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FillModifier {
    /// Value used when the left side has no match.
    pub left: Option<f64>,
    /// Value used when the right side has no match.
    pub right: Option<f64>,
}

/// A binary expression.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryExpr {
    /// The operator.
    pub op: BinaryOp,
    /// Left operand.
    pub lhs: Box<Expr>,
    /// Right operand.
    pub rhs: Box<Expr>,
    /// `bool` modifier on a comparison.
    pub return_bool: bool,
    /// Vector matching; `Some` when both sides are vectors (set operators get `ManyToMany`).
    pub matching: Option<VectorMatching>,
    /// Fill modifiers, if any.
    pub fill: FillModifier,
    /// Where it is.
    pub pos: PosRange,
}

/// Aggregation operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateOp {
    /// `sum`
    Sum,
    /// `avg`
    Avg,
    /// `count`
    Count,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `group`
    Group,
    /// `stddev`
    Stddev,
    /// `stdvar`
    Stdvar,
    /// `topk(k, v)`
    Topk,
    /// `bottomk(k, v)`
    Bottomk,
    /// `count_values("label", v)`
    CountValues,
    /// `quantile(q, v)`
    Quantile,
    /// `limitk(k, v)` (experimental)
    Limitk,
    /// `limit_ratio(r, v)` (experimental)
    LimitRatio,
}

impl AggregateOp {
    /// All aggregation operators.
    pub const ALL: [AggregateOp; 14] = [
        AggregateOp::Sum,
        AggregateOp::Avg,
        AggregateOp::Count,
        AggregateOp::Min,
        AggregateOp::Max,
        AggregateOp::Group,
        AggregateOp::Stddev,
        AggregateOp::Stdvar,
        AggregateOp::Topk,
        AggregateOp::Bottomk,
        AggregateOp::CountValues,
        AggregateOp::Quantile,
        AggregateOp::Limitk,
        AggregateOp::LimitRatio,
    ];

    /// The keyword.
    pub fn as_str(self) -> &'static str {
        use AggregateOp::*;
        match self {
            Sum => "sum",
            Avg => "avg",
            Count => "count",
            Min => "min",
            Max => "max",
            Group => "group",
            Stddev => "stddev",
            Stdvar => "stdvar",
            Topk => "topk",
            Bottomk => "bottomk",
            CountValues => "count_values",
            Quantile => "quantile",
            Limitk => "limitk",
            LimitRatio => "limit_ratio",
        }
    }

    /// The type of the parameter, for the parameterised aggregations.
    pub fn param_type(self) -> Option<ValueType> {
        use AggregateOp::*;
        match self {
            Topk | Bottomk | Quantile | Limitk | LimitRatio => Some(ValueType::Scalar),
            CountValues => Some(ValueType::String),
            _ => None,
        }
    }

    /// Whether the operator is experimental in Prometheus (`limitk`, `limit_ratio`).
    pub fn is_experimental(self) -> bool {
        matches!(self, AggregateOp::Limitk | AggregateOp::LimitRatio)
    }
}

impl fmt::Display for AggregateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An aggregation.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateExpr {
    /// The operator.
    pub op: AggregateOp,
    /// The aggregated vector expression.
    pub expr: Box<Expr>,
    /// The parameter of `topk`, `quantile`, `count_values`, ...
    pub param: Option<Box<Expr>>,
    /// Labels of `by (...)` or `without (...)`.
    pub grouping: Vec<String>,
    /// True for `without`.
    pub without: bool,
    /// Whether a `by`/`without` clause was written at all (for printing `sum by () (x)`).
    pub has_grouping_clause: bool,
    /// Where it is.
    pub pos: PosRange,
}

/// A function call. The function's signature was checked by the parser through
/// [`crate::FunctionLookup`]; the engine finds the implementation by `name` in its registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Function name.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// Return type from the signature.
    pub return_type: ValueType,
    /// Where it is.
    pub pos: PosRange,
}

/// The `@` modifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AtModifier {
    /// `@ <unix seconds>`, kept in milliseconds.
    Timestamp(i64),
    /// `@ start()`
    Start,
    /// `@ end()`
    End,
}

/// Binary operators allowed inside duration expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DurationOp {
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
    /// `min_of(a, b)`
    Min,
    /// `max_of(a, b)`
    Max,
}

/// A duration: a constant or an experimental duration expression, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationExpr {
    /// A number of seconds; duration literals such as `5m` are converted (`300`).
    Seconds(f64),
    /// `step()`: the query step (0 for instant queries).
    Step,
    /// `range()`: the query range (`end - start`, 0 for instant queries).
    Range,
    /// `-d` (`+d` parses to `d`).
    Neg(Box<DurationExpr>),
    /// `a op b`, `min_of(a, b)`, `max_of(a, b)`.
    Binary(DurationOp, Box<DurationExpr>, Box<DurationExpr>),
}

impl DurationExpr {
    /// A constant number of milliseconds.
    pub fn from_millis(ms: i64) -> Self {
        DurationExpr::Seconds(ms as f64 / 1000.0)
    }

    /// The constant value in milliseconds, if the expression uses neither `step()` nor `range()`.
    pub fn constant_millis(&self) -> Option<i64> {
        self.eval(None, None).ok()
    }

    /// Evaluates the expression to milliseconds. `step_ms` / `range_ms` are `None` where they
    /// are not known (the parser's constant folding), which makes `step()`/`range()` an error.
    pub fn eval(&self, step_ms: Option<i64>, range_ms: Option<i64>) -> Result<i64, String> {
        let secs = self.eval_seconds(step_ms, range_ms)?;
        let ms = (secs * 1000.0).round();
        if !ms.is_finite() || ms.abs() > i64::MAX as f64 / 2.0 {
            return Err(format!("duration out of range: {secs}s"));
        }
        Ok(ms as i64)
    }

    fn eval_seconds(&self, step_ms: Option<i64>, range_ms: Option<i64>) -> Result<f64, String> {
        Ok(match self {
            DurationExpr::Seconds(s) => *s,
            DurationExpr::Step => step_ms.ok_or("step() is not known here")? as f64 / 1000.0,
            DurationExpr::Range => range_ms.ok_or("range() is not known here")? as f64 / 1000.0,
            DurationExpr::Neg(e) => -e.eval_seconds(step_ms, range_ms)?,
            DurationExpr::Binary(op, a, b) => {
                let a = a.eval_seconds(step_ms, range_ms)?;
                let b = b.eval_seconds(step_ms, range_ms)?;
                match op {
                    DurationOp::Add => a + b,
                    DurationOp::Sub => a - b,
                    DurationOp::Mul => a * b,
                    DurationOp::Div if b == 0.0 => return Err("division by zero".into()),
                    DurationOp::Div => a / b,
                    DurationOp::Mod if b == 0.0 => return Err("modulo by zero".into()),
                    DurationOp::Mod => a % b,
                    DurationOp::Pow => rill_model::go_math::pow(a, b),
                    DurationOp::Min => a.min(b),
                    DurationOp::Max => a.max(b),
                }
            }
        })
    }

    /// Whether the expression depends on `step()` or `range()`.
    pub fn uses_query_params(&self) -> bool {
        match self {
            DurationExpr::Seconds(_) => false,
            DurationExpr::Step | DurationExpr::Range => true,
            DurationExpr::Neg(e) => e.uses_query_params(),
            DurationExpr::Binary(_, a, b) => a.uses_query_params() || b.uses_query_params(),
        }
    }
}

/// An instant vector selector.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorSelector {
    /// The metric name, if given outside braces or as a bare quoted name inside them.
    pub name: Option<String>,
    /// All matchers, including the `__name__` matcher for `name`.
    pub matchers: Vec<Matcher>,
    /// `offset` (may be negative).
    pub offset: Option<DurationExpr>,
    /// `@` modifier.
    pub at: Option<AtModifier>,
    /// `anchored` / `smoothed` on an instant selector (`metric @ 100 smoothed`); a range
    /// selector keeps its modifier in [`MatrixSelector::mode`] and leaves this `Classic`.
    pub mode: RangeMode,
    /// Where it is (selector only, without a following range).
    pub pos: PosRange,
}

/// How a range selector picks samples (Prometheus's experimental extended range selectors).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RangeMode {
    /// Classic left-open window `(t - range, t]`.
    #[default]
    Classic,
    /// `anchored`: also uses the last sample before the window, aligned to its start.
    Anchored,
    /// `smoothed`: interpolates values at the window edges.
    Smoothed,
}

/// A range vector selector.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixSelector {
    /// The selector, with its offset and `@`.
    pub selector: VectorSelector,
    /// The range.
    pub range: DurationExpr,
    /// `anchored` / `smoothed` modifier.
    pub mode: RangeMode,
    /// Where it is, range included.
    pub pos: PosRange,
}

/// A subquery `expr[range:step]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SubqueryExpr {
    /// The inner (instant vector) expression.
    pub expr: Box<Expr>,
    /// The range.
    pub range: DurationExpr,
    /// The resolution; `None` means the default evaluation interval.
    pub step: Option<DurationExpr>,
    /// `offset` (may be negative).
    pub offset: Option<DurationExpr>,
    /// `@` modifier.
    pub at: Option<AtModifier>,
    /// Where it is.
    pub pos: PosRange,
}

impl Expr {
    /// The type of value the expression evaluates to.
    pub fn value_type(&self) -> ValueType {
        match self {
            Expr::Number(_) => ValueType::Scalar,
            Expr::String(_) => ValueType::String,
            Expr::Paren(p) => p.expr.value_type(),
            Expr::Unary(u) => u.expr.value_type(),
            Expr::Binary(b) => {
                if b.lhs.value_type() == ValueType::Scalar && b.rhs.value_type() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Expr::Aggregate(_) => ValueType::Vector,
            Expr::Call(c) => c.return_type,
            Expr::VectorSelector(_) => ValueType::Vector,
            Expr::MatrixSelector(_) | Expr::Subquery(_) => ValueType::Matrix,
        }
    }

    /// Where the expression is in the query text.
    pub fn pos(&self) -> PosRange {
        match self {
            Expr::Number(n) => n.pos,
            Expr::String(s) => s.pos,
            Expr::Paren(p) => p.pos,
            Expr::Unary(u) => u.pos,
            Expr::Binary(b) => b.pos,
            Expr::Aggregate(a) => a.pos,
            Expr::Call(c) => c.pos,
            Expr::VectorSelector(v) => v.pos,
            Expr::MatrixSelector(m) => m.pos,
            Expr::Subquery(s) => s.pos,
        }
    }

    /// The expression without enclosing parentheses.
    pub fn unparen(&self) -> &Expr {
        match self {
            Expr::Paren(p) => p.expr.unparen(),
            e => e,
        }
    }

    /// Calls `f` on this node and every descendant, parents before children.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::String(_) | Expr::VectorSelector(_) | Expr::MatrixSelector(_) => {}
            Expr::Paren(p) => p.expr.walk(f),
            Expr::Unary(u) => u.expr.walk(f),
            Expr::Binary(b) => {
                b.lhs.walk(f);
                b.rhs.walk(f);
            }
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    p.walk(f);
                }
                a.expr.walk(f);
            }
            Expr::Call(c) => c.args.iter().for_each(|a| a.walk(f)),
            Expr::Subquery(s) => s.expr.walk(f),
        }
    }
}
