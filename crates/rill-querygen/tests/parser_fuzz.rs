//! Parser fuzzing: generated, mutated and random inputs through `rill_promql::parse` with
//! every experimental feature on and with Prometheus's defaults.
//!
//! Checks: no input panics (each parse runs under `catch_unwind`, a panic is reported with
//! its seed, index and input); every generated query parses (stable ones under both option
//! sets, experimental ones under `ParseOptions::all()`); whatever parses prints to text that
//! parses again and prints identically. Bounded by `RILL_FUZZ_SECONDS` (default 20) and
//! `RILL_FUZZ_CASES`; `RILL_FUZZ_SEED` picks the run, `RILL_FUZZ_START` the first case.

mod common;

use common::{Failures, Run, budget, catch, seed, trace};
use rill_promql::{ParseOptions, StandardFunctions, parse};
use rill_querygen::{GenConfig, Schema, generate, generate_mutated, random_input};

/// Where an input came from, which decides what must hold for it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Well-typed with experimental syntax: must parse with `ParseOptions::all()`.
    Experimental,
    /// Well-typed without experimental syntax: must parse with both option sets.
    Stable,
    /// Mutated or random: must only not panic, and round-trip if it parses.
    Malformed,
}

/// Checks one input; `Err` describes the first problem.
fn check(input: &str, kind: Kind) -> Result<(), String> {
    for (opts, name) in [(ParseOptions::all(), "all"), (ParseOptions::default(), "default")] {
        let parsed = catch(|| parse(input, &StandardFunctions, &opts))
            .map_err(|p| format!("parse panicked with options {name}: {p}"))?;
        let must_parse = kind == Kind::Stable || (kind == Kind::Experimental && name == "all");
        let expr = match parsed {
            Ok(e) => e,
            Err(e) if must_parse => return Err(format!("generated query does not parse ({name}): {e}")),
            Err(e) => {
                if e.to_string().is_empty() {
                    return Err("empty parse error message".into());
                }
                continue;
            }
        };
        let printed = catch(|| expr.to_string()).map_err(|p| format!("printing panicked: {p}"))?;
        let reparsed = catch(|| parse(&printed, &StandardFunctions, &opts))
            .map_err(|p| format!("re-parse of {printed:?} panicked: {p}"))?
            .map_err(|e| format!("printed form {printed:?} does not parse ({name}): {e}"))?;
        let again = reparsed.to_string();
        if again != printed {
            return Err(format!("print is not stable: {printed:?} re-prints as {again:?}"));
        }
    }
    Ok(())
}

#[test]
fn parser_never_panics_and_round_trips() {
    common::on_big_stack(fuzz_parser);
}

fn fuzz_parser() {
    let schema = Schema::demo();
    let seed = seed();
    let experimental = GenConfig::default();
    let stable = GenConfig {
        experimental: false,
        ..GenConfig::default()
    };
    let mut run = Run::new("parser", budget(20));
    let mut failures = Failures::default();
    while let Some(index) = run.next_case() {
        let (input, kind) = match index % 5 {
            0 | 1 => (generate(&schema, experimental, seed, index), Kind::Experimental),
            2 => (generate(&schema, stable, seed, index), Kind::Stable),
            3 => (generate_mutated(&schema, experimental, seed, index), Kind::Malformed),
            _ => (random_input(seed, index), Kind::Malformed),
        };
        trace(index, &format!("{kind:?}"), &input);
        run.executions += 2;
        if let Err(problem) = check(&input, kind) {
            failures.add(seed, index, &format!("{kind:?}"), &input, &problem);
        }
    }
    run.report();
    failures.assert_none("parser fuzz");
}
