//! Every upstream script parses, and the number of eval commands matches STATS.md (2,214).

use std::path::PathBuf;

use rill_promqltest::{Command, parse_script};

#[test]
fn all_upstream_scripts_parse() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/promql-tests/upstream");
    let mut evals = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "test") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let cmds = parse_script(&path.display().to_string(), &text).unwrap_or_else(|e| panic!("{e}"));
        evals += cmds.iter().filter(|c| matches!(c, Command::Eval(_))).count();
    }
    assert_eq!(files, 21);
    assert_eq!(evals, 2214);
}
