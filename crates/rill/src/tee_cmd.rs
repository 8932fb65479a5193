//! `rill tee`: differential testing of a server against a reference Prometheus. Each query
//! (from a file, or generated over the reference's own series) runs as one range query and
//! `--instant-times` instant queries on both; differing answers are minimised with
//! `rill_querygen::shrink` and appended, with the diff as comments, to a regression file,
//! unless an exclusion (a regex over the minimised query, citing the Prometheus change that
//! explains it) excuses them. The last line is `N queries, N passed, N failed (N excluded)`;
//! the exit code is 1 if any query failed without an exclusion.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use regex::Regex;
use rill_promql::{AggregateOp, Expr, ParseOptions, StandardFunctions};
use rill_querygen::{GenConfig, Schema, generate, shrink};
use rill_server::tee::{
    CompareOptions, Difference, Reply, TeeClient, TeeQuery, compare_replies, format_differences, is_sorted_query,
};

/// Arguments of `rill tee`.
#[derive(clap::Args, Debug)]
pub struct TeeArgs {
    /// Base URL of the reference server (e.g. Prometheus at http://127.0.0.1:9090).
    #[arg(long = "ref")]
    reference: String,
    /// Base URL of the server under test.
    #[arg(long)]
    test: String,
    /// Queries to run, one per line (`#` comments; `$START`, `$END`, `$MID` are replaced by
    /// whole seconds).
    #[arg(long, conflicts_with = "generate", required_unless_present = "generate")]
    queries: Option<PathBuf>,
    /// Generate this many queries over the reference's series (Prometheus 2.42 dialect).
    #[arg(long)]
    generate: Option<u64>,
    /// Seed of the generated queries (query i of seed s is always the same).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First generated query index (to resume or split a run).
    #[arg(long, default_value_t = 0)]
    first: u64,
    /// Range query start, unix seconds (keep it off subquery grids, e.g. data start + 607).
    #[arg(long)]
    start: i64,
    /// Range query end, unix seconds.
    #[arg(long)]
    end: i64,
    /// Range query step in seconds.
    #[arg(long, default_value_t = 60)]
    step: i64,
    /// Instant queries per query, at range steps spread over [start, end].
    #[arg(long, default_value_t = 3)]
    instant_times: usize,
    /// Append minimised mismatches to this file.
    #[arg(long)]
    regressions: Option<PathBuf>,
    /// Exclusions: lines `REGEX<TAB>cited change`; a mismatch whose minimised query matches
    /// a regex is counted as excluded, not failed.
    #[arg(long)]
    exclusions: Option<PathBuf>,
    /// Write `results.tsv` (index, status, ref ms, test ms, query) into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Predicate runs allowed when minimising one mismatch (0: do not minimise).
    #[arg(long, default_value_t = 150)]
    shrink_tries: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Print PASS lines too (failures and the summary are always printed).
    #[arg(long)]
    verbose: bool,
}

/// One excusing pattern.
struct Exclusion {
    /// Matched against the minimised query.
    pattern: Regex,
    /// When set, every difference of the query (as printed) must match it too.
    differences: Option<Regex>,
    /// The cited change.
    cause: String,
}

impl Exclusion {
    /// Whether this exclusion excuses a query minimised to `minimised` with differences `found`.
    fn excuses(&self, minimised: &str, found: &[Found]) -> bool {
        self.pattern.is_match(minimised)
            && self.differences.as_ref().is_none_or(|d| {
                found
                    .iter()
                    .flat_map(|(_, diffs)| diffs)
                    .all(|diff| d.is_match(&diff.to_string()))
            })
    }
}

/// The differences of one API query of a checked query, with its label.
type Found = (String, Vec<Difference>);

/// The kinds of all differences found.
fn kinds(found: &[Found]) -> std::collections::BTreeSet<String> {
    found.iter().flat_map(|(_, d)| d.iter().map(Difference::kind)).collect()
}

/// Prints the differences of each API query under its label, `max` per query.
fn format_found(found: &[Found], max: usize, indent: &str) -> String {
    let mut out = String::new();
    for (label, diffs) in found {
        out.push_str(&format!("{indent}{label}:\n"));
        out.push_str(&format_differences(diffs, max, &format!("{indent}  ")));
    }
    out
}

/// How many more times the reference is asked each API query of a mismatch to tell an
/// unstable reference answer (see `Tee::reference_is_unstable`).
const REFERENCE_REPEATS: usize = 8;

/// What [`Tee::check`] found for one query.
#[derive(Default)]
struct Checked {
    /// The differences of each API query (labelled `range` or `instant @T`) that has any.
    diffs: Vec<Found>,
    /// The reference's answers, one per API query.
    references: Vec<Reply>,
    /// The summed latencies of the reference.
    ref_time: Duration,
    /// The summed latencies of the server under test.
    test_time: Duration,
}

/// The state of a run: servers, client, the runtime that drives it, and the query times.
struct Tee<'a> {
    args: &'a TeeArgs,
    client: TeeClient,
    runtime: tokio::runtime::Runtime,
    instants: Vec<i64>,
}

/// Runs `rill tee`.
pub fn run(args: &TeeArgs) -> ExitCode {
    match tee(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `count` times spread over `[start, end]` on the range's step grid.
fn instant_times(start: i64, end: i64, step: i64, count: usize) -> Vec<i64> {
    let steps = (end - start).max(0) / step.max(1);
    match count {
        0 => Vec::new(),
        1 => vec![start + steps * step],
        n => (0..n)
            .map(|i| start + (steps * i as i64 / (n as i64 - 1)) * step)
            .collect(),
    }
}

/// Reads `QUERY-REGEX<TAB>cause` and `QUERY-REGEX<TAB>DIFFERENCE-REGEX<TAB>cause` lines (`#`
/// comments and blank lines skipped).
fn read_exclusions(path: &Path) -> Result<Vec<Exclusion>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let regex = |pattern: &str| Regex::new(pattern).with_context(|| format!("bad exclusion regex {pattern:?}"));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            let (pattern, differences, cause) = match fields[..] {
                [p, d, c] => (p, Some(d), c),
                [p, c] => (p, None, c),
                _ => (l, None, ""),
            };
            Ok(Exclusion {
                pattern: regex(pattern)?,
                differences: differences.map(regex).transpose()?,
                cause: cause.trim().to_string(),
            })
        })
        .collect()
}

/// The queries of a file, with the time placeholders filled in.
fn read_queries(path: &Path, args: &TeeArgs) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mid = args.start + (args.end - args.start) / 2;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.replace("$START", &args.start.to_string())
                .replace("$END", &args.end.to_string())
                .replace("$MID", &mid.to_string())
        })
        .collect())
}

impl Tee<'_> {
    /// The range query and the instant queries `query` is run as.
    fn requests(&self, query: &str) -> Vec<TeeQuery> {
        let a = self.args;
        let mut requests = vec![TeeQuery::Range {
            query: query.to_string(),
            start: a.start as f64,
            end: a.end as f64,
            step: a.step as f64,
        }];
        requests.extend(self.instants.iter().map(|t| TeeQuery::Instant {
            query: query.to_string(),
            time: *t as f64,
        }));
        requests
    }

    /// Whether the reference answers `query` differently when asked again than it did in
    /// `first` (its answers in [`Tee::check`]). Prometheus's series order out of a range
    /// evaluation is Go's map order, randomised per evaluation, so, say, `bottomk` ties over a
    /// subquery may pick other series from run to run; a mismatch with an answer that
    /// changes by itself says nothing about the server under test.
    fn reference_is_unstable(&self, query: &str, first: &[Reply]) -> Result<bool> {
        for (q, first) in self.requests(query).iter().zip(first) {
            let ordered = is_ordered(q, query);
            for _ in 0..REFERENCE_REPEATS {
                let again = self.runtime.block_on(self.client.query(&self.args.reference, q))?;
                if !compare_replies(first, &again, ordered, CompareOptions::default()).is_empty() {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Runs `query` as the range query and every instant query on both servers.
    fn check(&self, query: &str) -> Result<Checked> {
        let a = self.args;
        let mut checked = Checked::default();
        for q in &self.requests(query) {
            let (r, t): (Reply, Reply) = self.runtime.block_on(self.client.run(&a.reference, &a.test, q))?;
            checked.ref_time += r.latency;
            checked.test_time += t.latency;
            let ordered = is_ordered(q, query);
            let found = compare_replies(&r, &t, ordered, CompareOptions::default());
            if !found.is_empty() {
                let label = match q {
                    TeeQuery::Range { .. } => "range".to_string(),
                    TeeQuery::Instant { time, .. } => format!("instant @{time}"),
                };
                checked.diffs.push((label, found));
            }
            checked.references.push(r);
        }
        Ok(checked)
    }

    /// The smallest variant of `query` that still differs in a way `found` does (so the
    /// search does not drift from, say, an error to another bug's wrong value); the query
    /// itself if none does.
    fn minimise(&self, query: &str, found: &[Found]) -> String {
        if self.args.shrink_tries == 0 {
            return query.to_string();
        }
        let wanted = kinds(found);
        let still_differs = |q: &str| self.check(q).is_ok_and(|c| !kinds(&c.diffs).is_disjoint(&wanted));
        let minimised = shrink(query, &ParseOptions::default(), self.args.shrink_tries, still_differs).query;
        // `count_values` prints its operand's values as labels, so a difference in its series
        // is its operand's value difference (another kind, which the shrinker keeps apart):
        // when the operand differs on its own, that is the smaller case.
        match count_values_operand(&minimised) {
            Some(operand) => match self.check(&operand) {
                Ok(c) if !c.diffs.is_empty() => self.minimise(&operand, &c.diffs),
                _ => minimised,
            },
            None => minimised,
        }
    }

    /// The schema of the reference's series over the query range.
    fn live_schema(&self) -> Result<Schema> {
        let a = self.args;
        let (lo, hi) = ((a.start - 3600) as f64, a.end as f64);
        let series = self
            .runtime
            .block_on(self.client.series(&a.reference, "{__name__=~\".+\"}", lo, hi))?;
        let schema = Schema::from_series(series, (a.start, a.end), 8);
        schema.context("the reference server has no series in the query range")
    }
}

/// Whether the answer to `request` (of `query`) is compared in order: the instant answers of
/// a top-level `sort`/`sort_desc`.
fn is_ordered(request: &TeeQuery, query: &str) -> bool {
    matches!(request, TeeQuery::Instant { .. }) && is_sorted_query(query)
}

/// The operand of a query that is a `count_values` aggregation, printed.
fn count_values_operand(query: &str) -> Option<String> {
    match rill_promql::parse(query, &StandardFunctions, &ParseOptions::default()).ok()? {
        Expr::Aggregate(a) if a.op == AggregateOp::CountValues => Some(a.expr.to_string()),
        _ => None,
    }
}

/// Appends a minimised mismatch to the regression file.
fn append_regression(path: &Path, origin: &str, original: &str, minimised: &str, diffs: &[Found]) -> Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut text = format!("\n# {origin}: {original}\n");
    text.push_str(&format_found(diffs, 3, "#   "));
    text.push_str(minimised);
    text.push('\n');
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tee(args: &TeeArgs) -> Result<bool> {
    if args.step <= 0 || args.end < args.start {
        bail!("need --step > 0 and --end >= --start");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let client = TeeClient::new(Duration::from_secs(args.timeout))?;
    let tee = Tee {
        args,
        client,
        runtime,
        instants: instant_times(args.start, args.end, args.step, args.instant_times),
    };
    let exclusions = match &args.exclusions {
        Some(p) => read_exclusions(p)?,
        None => Vec::new(),
    };
    let queries: Vec<(String, String)> = match (&args.queries, args.generate) {
        (Some(path), _) => read_queries(path, args)?
            .into_iter()
            .enumerate()
            .map(|(i, q)| (format!("{}:{}", path.display(), i + 1), q))
            .collect(),
        (None, Some(n)) => {
            let schema = tee.live_schema()?;
            let cfg = GenConfig::prometheus_2_42();
            (args.first..args.first + n)
                .map(|i| {
                    (
                        format!("seed {} index {i}", args.seed),
                        generate(&schema, cfg, args.seed, i),
                    )
                })
                .collect()
        }
        (None, None) => bail!("need --queries or --generate"),
    };
    let mut results = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let path = dir.join("results.tsv");
            Some(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => None,
    };
    let (mut passed, mut failed, mut excluded, mut unstable) = (0usize, 0usize, 0usize, 0usize);
    for (origin, query) in &queries {
        let Checked {
            diffs,
            references,
            ref_time,
            test_time,
        } = tee.check(query)?;
        let times = format!("ref {:.1} ms, test {:.1} ms", ms(ref_time), ms(test_time));
        let status = if diffs.is_empty() {
            passed += 1;
            if args.verbose {
                println!("PASS [{origin}] ({times}) {query}");
            }
            "pass"
        } else if tee.reference_is_unstable(query, &references)? {
            unstable += 1;
            println!("UNSTABLE REFERENCE [{origin}] ({times}) {query}");
            print!("{}", format_found(&diffs, 2, "    "));
            "unstable"
        } else {
            let minimised = tee.minimise(query, &diffs);
            let excuse = exclusions.iter().find(|e| e.excuses(&minimised, &diffs));
            let word = if excuse.is_some() { "EXCLUDED" } else { "FAIL" };
            println!("{word} [{origin}] ({times}) {query}");
            print!("{}", format_found(&diffs, 4, "    "));
            println!("    minimised: {minimised}");
            if let Some(e) = excuse {
                println!("    excluded: {}", e.cause);
                excluded += 1;
                "excluded"
            } else {
                failed += 1;
                if let Some(path) = &args.regressions {
                    let min_diffs = tee.check(&minimised)?.diffs;
                    append_regression(path, origin, query, &minimised, &min_diffs)?;
                }
                "fail"
            }
        };
        if let Some(f) = results.as_mut() {
            writeln!(
                f,
                "{origin}\t{status}\t{:.3}\t{:.3}\t{query}",
                ms(ref_time),
                ms(test_time)
            )
            .context("writing results.tsv")?;
        }
    }
    println!(
        "{} queries, {passed} passed, {failed} failed ({excluded} excluded, {unstable} with an unstable reference)",
        queries.len()
    );
    Ok(failed == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_server::tee::Side;

    #[test]
    fn instant_times_stay_on_the_range_grid() {
        assert_eq!(instant_times(607, 7147, 60, 3), vec![607, 3847, 7147]);
        assert_eq!(instant_times(607, 7150, 60, 3), vec![607, 3847, 7147]);
        assert_eq!(instant_times(607, 7150, 60, 1), vec![7147]);
        assert!(instant_times(607, 7147, 60, 0).is_empty());
        for t in instant_times(1_700_000_607, 1_700_007_147, 60, 5) {
            assert_eq!((t - 1_700_000_607) % 60, 0);
        }
    }

    #[test]
    fn count_values_operands() {
        let operand = count_values_operand("count_values by (le) (\"value\", rate(x[1h]))");
        assert_eq!(operand.as_deref(), Some("rate(x[1h])"));
        assert_eq!(count_values_operand("sum(rate(x[1h]))"), None);
        assert_eq!(count_values_operand("count_values("), None);
    }

    #[test]
    fn exclusions_parse_tab_separated_lines() {
        let dir = std::env::temp_dir().join(format!("rill-tee-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let path = dir.join("ex.txt");
        std::fs::write(&path, "# comment\n\n^rate\\(\tPR #13725\n").ok();
        let ex = read_exclusions(&path).unwrap_or_default();
        assert_eq!(ex.len(), 1);
        assert!(
            ex.iter()
                .all(|e| e.pattern.is_match("rate(x[5m])") && e.cause == "PR #13725")
        );
        // With a difference regex, every difference must match it.
        std::fs::write(&path, "<\tonly test failed: .*multiple matches\t3.x operators.test\n").ok();
        let ex = read_exclusions(&path).unwrap_or_default();
        let failed = |message: &str| Difference::Error {
            side: Side::Test,
            message: message.to_string(),
        };
        let found = |d: Vec<Difference>| vec![("range".to_string(), d)];
        let multiple = failed("execution: multiple matches for labels");
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].cause, "3.x operators.test");
        assert!(ex[0].excuses("a < b", &found(vec![multiple.clone()])));
        assert!(!ex[0].excuses("a + b", &found(vec![multiple.clone()])));
        assert!(!ex[0].excuses("a < b", &found(vec![multiple, failed("other")])));
        std::fs::write(&path, "(\tbad\n").ok();
        assert!(read_exclusions(&path).is_err());
        std::fs::write(&path, "a\t(\tbad difference regex\n").ok();
        assert!(read_exclusions(&path).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
