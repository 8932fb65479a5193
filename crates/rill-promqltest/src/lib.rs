//! Prometheus's promqltest script format for Rill.
//!
//! A script (`*.test`) loads series into a [`rill_model::MemoryStore`] and evaluates PromQL
//! expressions against expected results (see `/work/shared/promql-tests/FORMAT.md`).
//! [`parse_script`] turns the text into [`Command`]s; [`run_script`] executes them against a
//! [`QueryEngine`] with the same comparisons and implicit cross-checks as Prometheus's Go
//! runner (range-mode re-run, `@` pinning); [`run_file`] does both for a file with Rill's
//! engine. One `eval` command is one *case*; it passes only if every check passes.

mod compare;
mod crosscheck;
mod engine;
mod error;
mod histogram;
mod load;
mod number;
mod parse;
mod report;
mod runner;
mod script;
mod series;

pub use error::ParseError;
pub use parse::parse_script;

pub use engine::{QueryEngine, RillEngine};
pub use report::{FileReport, Totals, format_failures};
pub use runner::{CaseResult, RunnerOptions, run_file, run_script};
pub use script::{Command, EvalCmd, EvalTime, ExpectedSeries, LoadCmd, LoadSeries, SeqValue, TextMatch};
