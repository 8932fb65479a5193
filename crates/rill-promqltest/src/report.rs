//! Reports: per-file case results, totals and the human-readable failure listing.

use std::fmt::Write;

use crate::runner::CaseResult;

/// The results of one script file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// The file as given.
    pub file: String,
    /// One entry per `eval` command, in file order (or one entry for an unparsable script).
    pub cases: Vec<CaseResult>,
}

impl FileReport {
    /// An empty report for `file`.
    pub fn new(file: String) -> Self {
        FileReport {
            file,
            cases: Vec::new(),
        }
    }

    /// A report for a script that could not be read or parsed: one failed case at `line`.
    pub fn broken(file: String, line: usize, msg: String) -> Self {
        FileReport {
            file,
            cases: vec![CaseResult {
                line,
                expr: String::new(),
                failure: Some(msg),
            }],
        }
    }

    /// Passed and failed case counts.
    pub fn totals(&self) -> Totals {
        let failed = self.cases.iter().filter(|c| c.failure.is_some()).count();
        Totals {
            passed: self.cases.len() - failed,
            failed,
        }
    }

    /// The failed cases.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| c.failure.is_some())
    }
}

/// Case counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, o: Totals) {
        self.passed += o.passed;
        self.failed += o.failed;
    }
}

impl std::fmt::Display for Totals {
    /// `N passed, N failed`, the format of the final line of `rill test`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Each failing case as `file:line: query` followed by the indented reason, then the
/// file's `file: N passed, N failed` line.
pub fn format_failures(report: &FileReport) -> String {
    let mut out = String::new();
    for c in report.failures() {
        let _ = writeln!(out, "FAIL {}:{}: {}", report.file, c.line, c.expr);
        for l in c.failure.as_deref().unwrap_or("").lines() {
            let _ = writeln!(out, "    {l}");
        }
    }
    let _ = writeln!(out, "{}: {}", report.file, report.totals());
    out
}
