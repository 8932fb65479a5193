//! The `rill` binary end to end: help texts, queries over a data file, errors and exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn rill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rill"))
        .args(args)
        .output()
        .expect("run rill")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

const DATA: &str = "# TYPE up gauge\nup{job=\"api\"} 1 1700000000000\nup{job=\"web\"} 0 1700000000000\n";

#[test]
fn help_works_for_every_command() {
    for args in [&["--help"][..], &["test", "--help"], &["query", "--help"]] {
        let o = rill(args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage"), "{args:?}");
    }
}

#[test]
fn query_data_file_as_table_and_json() {
    let data = write("up.prom", DATA);
    let data = data.to_str().unwrap();
    let o = rill(&["query", "--data", data, "--time", "1700000000", "up"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "up{job=\"api\"}  1\nup{job=\"web\"}  0\n");
    let o = rill(&["query", "--data", data, "--format", "json", "sum(up)"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000,"1"]}]}}"#
    );
    let o = rill(&[
        "query",
        "--data",
        data,
        "--start",
        "1699999970",
        "--end",
        "2023-11-14T22:13:20Z",
        "--step",
        "30s",
        "--format",
        "json",
        "up{job=\"api\"}",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"api"},"values":[[1700000000,"1"]]}]}}"#
    );
}

#[test]
fn malformed_data_file_names_the_line() {
    let data = write("bad.prom", "up 1\nup{job=\"a\" 2\n");
    let o = rill(&["query", "--data", data.to_str().unwrap(), "up"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
}

#[test]
fn bad_promql_reports_position_and_fails() {
    let o = rill(&["query", "sum(up"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("1:") && stderr(&o).contains("parse error"),
        "{}",
        stderr(&o)
    );
    let o = rill(&["query", "--format", "json", "sum(up"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).starts_with(r#"{"status":"error","errorType":"bad_data","error":"1:"#),
        "{}",
        stdout(&o)
    );
}

#[test]
fn test_command_exit_codes_and_final_line() {
    let good = write("good.test", "load 1m\n  m 1 2\n\neval instant at 1m m\n  m 2\n");
    let bad = write("bad.test", "load 1m\n  m 1 2\n\neval instant at 1m m\n  m 3\n");
    let o = rill(&["test", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().last(), Some("1 passed, 0 failed"));
    let o = rill(&["test", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().last(), Some("1 passed, 1 failed"));
    assert!(out.contains("bad.test:4: m"), "{out}");
    assert!(out.contains("bad.test: 0 passed, 1 failed"), "{out}");
    let o = rill(&["test", "/nonexistent/x.test"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rill(&["test"]);
    assert_eq!(o.status.code(), Some(2));
}
