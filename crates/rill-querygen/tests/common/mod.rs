//! Shared plumbing of the fuzz harnesses: run budget from the environment, panic capture
//! with the panic's message, and failure collection that names the reproducing case.

#![allow(dead_code)] // each harness uses a different subset

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// Seed of the run: `RILL_FUZZ_SEED` or a fixed default, so CI runs are reproducible.
pub fn seed() -> u64 {
    std::env::var("RILL_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed)
}

/// How long to run: `RILL_FUZZ_SECONDS` or `default_secs`.
pub fn budget(default_secs: u64) -> Duration {
    let secs = std::env::var("RILL_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    Duration::from_secs(secs)
}

/// At most this many cases: `RILL_FUZZ_CASES` or unbounded (the time budget decides).
pub fn max_cases() -> u64 {
    std::env::var("RILL_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX)
}

/// First case index: `RILL_FUZZ_START` or 0 (to replay one case: START=i, CASES=1).
pub fn first_case() -> u64 {
    std::env::var("RILL_FUZZ_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Prints each input before running it when `RILL_FUZZ_TRACE` is set: the way to find the
/// case behind a crash that cannot be caught (a stack overflow aborts the process).
pub fn trace(index: u64, what: &str, input: &str) {
    if std::env::var_os("RILL_FUZZ_TRACE").is_some() {
        eprintln!("case {index} {what}: {input:?}");
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic with a non-string payload".into())
    })
}

/// The class of a problem: its text without quoted parts and digits (which vary by input).
fn class_of(problem: &str) -> String {
    let mut class = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in problem.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => {
                quoted = !quoted;
                if quoted {
                    class.push_str("\"…\"");
                }
            }
            _ if quoted || c.is_ascii_digit() => {}
            c => class.push(c),
        }
    }
    class.chars().take(120).collect()
}

/// Failures found by a run, grouped by class (the problem text without digits), each class
/// with its count and first reproducing case.
#[derive(Default)]
pub struct Failures {
    classes: std::collections::BTreeMap<String, (usize, String)>,
}

impl Failures {
    /// Records a failure of case `index` (of the run's seed) on `input`.
    pub fn add(&mut self, seed: u64, index: u64, kind: &str, input: &str, problem: &str) {
        let class = class_of(problem);
        let entry = self.classes.entry(class).or_insert_with(|| {
            let shown: String = input.chars().take(600).collect();
            (
                0,
                format!("seed={seed} index={index} kind={kind}\n  input: {shown:?}\n  problem: {problem:.600}"),
            )
        });
        entry.0 += 1;
    }

    /// Fails the test listing every class of failure with its first case, if there are any.
    pub fn assert_none(&self, name: &str) {
        let listing: Vec<String> = self
            .classes
            .values()
            .map(|(n, first)| format!("[{n}x] {first}"))
            .collect();
        assert!(
            self.classes.is_empty(),
            "{name}: {} class(es) of failure:\n{}",
            self.classes.len(),
            listing.join("\n")
        );
    }
}

/// Loop control: stops at the time budget or the case limit, and reports the rate.
pub struct Run {
    name: &'static str,
    started: Instant,
    budget: Duration,
    next: u64,
    end: u64,
    /// Executions (parses or query evaluations) done so far.
    pub executions: u64,
}

impl Run {
    /// A run of `name` for `budget`.
    pub fn new(name: &'static str, budget: Duration) -> Self {
        let start = first_case();
        Run {
            name,
            started: Instant::now(),
            budget,
            next: start,
            end: start.saturating_add(max_cases()),
            executions: 0,
        }
    }

    /// The next case index, or `None` when the run is over.
    pub fn next_case(&mut self) -> Option<u64> {
        if self.next >= self.end || self.started.elapsed() >= self.budget {
            return None;
        }
        self.next += 1;
        Some(self.next - 1)
    }

    /// Prints cases, executions, duration and rate (the long-run script greps this line).
    pub fn report(&self) {
        let secs = self.started.elapsed().as_secs_f64();
        let cases = self.next - first_case();
        println!(
            "FUZZ {}: {cases} cases, {} executions in {secs:.1} s ({:.0} exec/s), seed {}",
            self.name,
            self.executions,
            self.executions as f64 / secs.max(1e-9),
            seed()
        );
    }
}

/// Stack size of the fuzz loops' thread: unoptimised builds need far more stack per parser
/// level than release builds, and a stack overflow aborts the whole process (uncatchable), so
/// the loops run with room to spare; `regressions.rs` checks the real limits separately.
pub const FUZZ_STACK_BYTES: usize = 256 << 20;

/// Runs `f` on a thread with [`FUZZ_STACK_BYTES`] of stack, re-raising its panic.
pub fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new().stack_size(FUZZ_STACK_BYTES).spawn(f);
    match handle.map(|h| h.join()) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(e) => panic!("cannot spawn the fuzz thread: {e}"),
    }
}
