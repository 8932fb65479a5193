//! Random PromQL for fuzzing Rill: a deterministic generator of **well-typed** queries over a
//! [`Schema`] (metric families with their kinds, labels and label values), a [`mutate`]r that
//! turns them into near misses and malformed text, and random byte soup.
//!
//! Every case is a pure function of `(seed, index)`, drawn from a hand-written SplitMix64, so
//! a failure found after a million executions is reproduced by calling [`generate`] (or
//! [`generate_mutated`], [`random_input`]) with the same two numbers.
//!
//! ```
//! use rill_querygen::{GenConfig, Schema, generate};
//! let schema = Schema::demo();
//! let q = generate(&schema, GenConfig::default(), 42, 7);
//! assert_eq!(q, generate(&schema, GenConfig::default(), 42, 7));
//! let expr = rill_promql::parse(&q, &rill_promql::StandardFunctions, &rill_promql::ParseOptions::all());
//! assert!(expr.is_ok(), "{q}");
//! ```
//!
//! Coverage: selectors with `=`, `!=`, `=~`, `!~` and UTF-8 quoted names and labels; every
//! function of [`rill_promql::standard_function_names`] with typed arguments; every aggregation
//! (parameterised ones too) with `by` / `without` before or after; arithmetic, comparison (with
//! and without `bool`), set and trim operators with `on` / `ignoring` / `group_left` /
//! `group_right` / `fill`; `offset` (negative too), `@` (`start()` / `end()` too), nested
//! subqueries, number literals (hex, exponents, `Inf`, `NaN`, durations), strings in three quote
//! styles, parentheses, and duration expressions.

mod calls;
mod compat;
mod generator;
mod literals;
mod mutate;
mod rng;
mod schema;
mod selectors;
mod shrink;

pub use compat::{PROMETHEUS_2_42_FUNCTIONS, in_prometheus_2_42, off_grid_second};
pub use generator::{GenConfig, Generator};
pub use mutate::mutate;
pub use rng::Rng;
pub use schema::{Metric, MetricKind, Schema};
pub use shrink::{Shrunk, shrink};

/// The well-typed query number `index` of run `seed`.
pub fn generate(schema: &Schema, cfg: GenConfig, seed: u64, index: u64) -> String {
    Generator::new(schema, cfg, Rng::for_case(seed, index)).query()
}

/// A mutated (usually malformed) variant of a generated query, for case `index` of run `seed`.
pub fn generate_mutated(schema: &Schema, cfg: GenConfig, seed: u64, index: u64) -> String {
    let mut rng = Rng::for_case(seed ^ 0x6d75_7461_7465, index);
    let mut g = Generator::new(schema, cfg, rng.clone());
    let base = g.query();
    let donor = g.query();
    rng.next_u64();
    mutate(&mut rng, &base, &donor)
}

/// Random input for case `index` of run `seed`: raw bytes (lossily decoded) or a soup of
/// PromQL's own characters and words.
pub fn random_input(seed: u64, index: u64) -> String {
    let mut rng = Rng::for_case(seed ^ 0x7261_6e64, index);
    let len = rng.below(80);
    if rng.chance(0.3) {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    const ALPHABET: &[&str] = &[
        "a", "x", "_", "0", "1", "9", ".", "e", "(", ")", "[", "]", "{", "}", ",", ":", "@", "=", "~", "!", "\"", "'",
        "`", "\\", "+", "-", "*", "/", "%", "^", "<", ">", " ", "\n", "#", "m", "s", "h", "by", "on", "sum", "rate",
        "offset", "bool", "inf", "nan", "0x", "5m", "__name__", "é",
    ];
    (0..len).map(|_| rng.pick(ALPHABET).copied().unwrap_or("a")).collect()
}
