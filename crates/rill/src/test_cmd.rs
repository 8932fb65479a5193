//! `rill test`: run promqltest scripts and report like Prometheus's runner would fail them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rill_promqltest::{RillEngine, RunnerOptions, Totals, format_failures, run_script};

use crate::udf_cmd;

/// Runs every file, with the UDFs of `udf_dir` if given; exit 0 when all cases pass, 1 when
/// some fail, 2 when a file or a UDF module cannot be read.
pub fn run(files: &[PathBuf], cross_checks: bool, udf_dir: Option<&Path>) -> ExitCode {
    let engine = match udf_cmd::registry(udf_dir) {
        Ok(registry) => RillEngine::with_registry(registry),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let opts = RunnerOptions { cross_checks };
    let mut totals = Totals::default();
    let mut unreadable = false;
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {name}: {e}");
                unreadable = true;
                continue;
            }
        };
        let report = run_script(&engine, &name, &text, &opts);
        print!("{}", format_failures(&report));
        totals += report.totals();
    }
    println!("{totals}");
    if unreadable {
        ExitCode::from(2)
    } else if totals.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
