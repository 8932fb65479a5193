//! The conformance gate: runs every upstream promqltest script and compares the failing
//! cases (`file.test:<eval line>`) with `expected-failures.txt`. The test fails when a case
//! outside the list fails and when a listed case passes, so the list can only shrink.
//! `RILL_UPDATE_EXPECTED_FAILURES=1` rewrites the list (keeping the reasons of cases still
//! listed, a generic reason for new ones).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rill_promqltest::{RunnerOptions, run_file};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `id -> reason` of the checked-in list.
fn read_list(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(" # ") {
            Some((id, reason)) => (id.trim().to_string(), reason.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

#[test]
fn upstream_conformance_gate() {
    let dir = manifest().join("../../../shared/promql-tests/upstream");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    let mut failing: BTreeMap<String, String> = BTreeMap::new();
    let (mut passed, mut total) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let report = run_file(path, &RunnerOptions::default());
        let t = report.totals();
        println!("{name}: {t}");
        passed += t.passed;
        total += t.passed + t.failed;
        for c in report.failures() {
            let first = c
                .failure
                .as_deref()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            failing.insert(format!("{name}:{}", c.line), first);
        }
    }
    println!("{passed} passed, {} failed", total - passed);
    let list_path = manifest().join("expected-failures.txt");
    let listed = read_list(&list_path);
    if std::env::var_os("RILL_UPDATE_EXPECTED_FAILURES").is_some_and(|v| v == "1") {
        let mut out = String::from(
            "# Upstream promqltest cases Rill fails today: `file.test:<eval line> # reason`.\n\
             # The gate test fails if a listed case passes (remove it) or an unlisted case fails.\n",
        );
        for id in failing.keys() {
            let file = id.split(':').next().unwrap_or("");
            let reason = listed
                .get(id)
                .filter(|r| !r.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("not yet supported in {file}"));
            out.push_str(&format!("{id} # {reason}\n"));
        }
        std::fs::write(&list_path, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", list_path.display()));
        return;
    }
    let failing_ids: BTreeSet<&String> = failing.keys().collect();
    let listed_ids: BTreeSet<&String> = listed.keys().collect();
    let new_failures: Vec<_> = failing_ids.difference(&listed_ids).collect();
    let now_passing: Vec<_> = listed_ids.difference(&failing_ids).collect();
    for id in &new_failures {
        println!("NEW FAILURE {id}: {}", failing.get(**id).map_or("", String::as_str));
    }
    for id in &now_passing {
        println!("NOW PASSING {id} (remove it from expected-failures.txt)");
    }
    assert!(
        new_failures.is_empty() && now_passing.is_empty(),
        "{} new failures, {} listed cases now pass (see output above; \
         RILL_UPDATE_EXPECTED_FAILURES=1 regenerates the list)",
        new_failures.len(),
        now_passing.len()
    );
}
