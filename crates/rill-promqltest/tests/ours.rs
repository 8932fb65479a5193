//! Rill's own promqltest scripts (`testdata/ours/` at the repository root): every case must pass.

use std::path::PathBuf;

use rill_promqltest::{RunnerOptions, format_failures, run_file};

#[test]
fn every_case_of_our_scripts_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ours");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = String::new();
    let mut cases = 0;
    for path in &files {
        let report = run_file(path, &RunnerOptions::default());
        cases += report.cases.len();
        if report.totals().failed > 0 {
            failures.push_str(&format_failures(&report));
        }
    }
    assert!(cases > 0);
    assert!(failures.is_empty(), "{failures}");
}
