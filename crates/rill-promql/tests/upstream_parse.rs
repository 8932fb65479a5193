//! Every `eval` expression of Prometheus's conformance scripts must parse with all
//! experimental features on and the standard functions.

use std::path::PathBuf;

use rill_promql::{ParseOptions, StandardFunctions, parse};

/// The expression of an `eval` line, per the promqltest format:
/// `eval[_x] instant at <t> <expr>` or `eval[_x] range from <t> to <t> step <d> <expr>`.
fn eval_expression(line: &str) -> Option<&str> {
    let mut words = line.splitn(2, char::is_whitespace);
    let cmd = words.next()?;
    if !cmd.starts_with("eval") {
        return None;
    }
    let rest = words.next()?.trim_start();
    let skip = if rest.starts_with("instant") { 3 } else { 7 };
    let mut s = rest;
    for _ in 0..skip {
        s = s.trim_start();
        let end = s.find(char::is_whitespace)?;
        s = &s[end..];
    }
    Some(s.trim())
}

#[test]
fn every_upstream_eval_expression_parses() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/promql-tests/upstream");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable test file");
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            let Some(expr) = eval_expression(line) else { continue };
            total += 1;
            match parse(expr, &StandardFunctions, &ParseOptions::all()) {
                Err(e) => failures.push(format!("{}:{}: {expr}\n    {e}", file.display(), n + 1)),
                Ok(ast) => {
                    // Round trip: the printed form re-parses to a tree that prints the same.
                    let printed = ast.to_string();
                    match parse(&printed, &StandardFunctions, &ParseOptions::all()) {
                        Ok(again) if again.to_string() == printed => {}
                        Ok(again) => failures.push(format!("round trip of {expr}: {printed} became {again}")),
                        Err(e) => failures.push(format!("round trip of {expr}: {printed} fails: {e}")),
                    }
                }
            }
        }
    }
    println!("parsed {} of {total} upstream eval expressions", total - failures.len());
    assert_eq!(total, 2214, "number of eval lines changed");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
