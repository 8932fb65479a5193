//! The `rill` binary end to end: help texts, queries over a data file, errors and exit codes,
//! and `rill serve`'s data directory (the demo fill of `./rill-data`, `--data`, the lock).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// A fresh, empty directory under the target's temp dir.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A `rill serve` child on a free loopback port, stopped with SIGTERM when dropped.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    /// Starts `rill serve ARGS` in `cwd` and waits until `/-/ready` answers.
    fn start(cwd: &Path, args: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_rill"))
            .arg("serve")
            .args(["--listen", &listen])
            .args(args)
            .current_dir(cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rill serve");
        let served = Served { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while served.get("/-/ready").is_none_or(|r| !r.starts_with("HTTP/1.1 200")) {
            assert!(Instant::now() < deadline, "rill serve did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }

    /// The raw HTTP response to `GET path`, or `None` if the server does not answer.
    fn get(&self, path: &str) -> Option<String> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        conn.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        write!(
            conn,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        conn.read_to_string(&mut out).ok()?;
        Some(out)
    }

    /// Stops the server with SIGTERM and returns its stderr.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let status = self.child.wait().expect("wait for rill serve");
        assert!(status.success(), "rill serve exit {status:?}: {err}");
        err
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Number of demo `up` series with data in the demo's two hours, as `/api/v1/query` answers.
const COUNT_UP: &str = "/api/v1/query?time=1700007200&query=count(count_over_time(up%5B3h%5D))";

#[test]
fn serve_without_data_fills_rill_data_once_and_reopens_it() {
    let cwd = fresh_dir("serve-demo");
    let first = Served::start(&cwd, &[]);
    let answer = first.get(COUNT_UP).expect("query");
    assert!(answer.contains(r#""value":[1700007200,"13"]"#), "{answer}");
    let log = first.stop();
    assert!(log.contains("wrote the demo dataset"), "{log}");
    assert!(cwd.join("rill-data/lock").exists(), "the demo landed in ./rill-data");
    assert!(!cwd.join("rill-data.tmp-demo").exists());

    let second = Served::start(&cwd, &[]);
    let again = second.get(COUNT_UP).expect("query");
    assert!(again.contains(r#""value":[1700007200,"13"]"#), "{again}");
    let log = second.stop();
    assert!(log.contains("using the existing"), "{log}");
    assert!(!log.contains("wrote the demo dataset"), "{log}");
}

#[test]
fn serve_with_an_empty_data_dir_starts_empty() {
    let cwd = fresh_dir("serve-empty");
    std::fs::create_dir(cwd.join("mine")).expect("mkdir");
    let served = Served::start(&cwd, &["--data", "mine"]);
    let answer = served.get(COUNT_UP).expect("query");
    assert!(answer.contains(r#""result":[]"#), "{answer}");
    let metrics = served.get("/metrics").expect("metrics");
    assert!(metrics.contains("rill_wal_fsync_duration_seconds_count"), "{metrics}");
    served.stop();
    assert!(
        !cwd.join("rill-data").exists(),
        "--data never falls back to ./rill-data"
    );
    let blocks = std::fs::read_dir(cwd.join("mine"))
        .expect("read data dir")
        .flatten()
        .filter(|e| e.path().join("meta.json").exists())
        .count();
    assert_eq!(blocks, 0, "a directory named with --data is never filled with the demo");
}

#[test]
fn a_second_serve_on_the_same_dir_fails_naming_it() {
    let cwd = fresh_dir("serve-lock");
    let first = Served::start(&cwd, &["--data", "shared"]);
    let o = Command::new(env!("CARGO_BIN_EXE_rill"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data", "shared"])
        .current_dir(&cwd)
        .output()
        .expect("run second serve");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("data directory shared is in use"), "{err}");
    assert!(
        first.get(COUNT_UP).is_some_and(|r| r.starts_with("HTTP/1.1 200")),
        "first still serves"
    );
    first.stop();
}

/// A fake query API on a free loopback port: the `n`-th request (from 0) is answered with one
/// series `{job="<job(n)>"}` of value 1 (a matrix for range queries, else a vector).
fn fake_prometheus(job: fn(usize) -> &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            // Read the headers and the form body, then answer and close.
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(read @ 1..) = stream.read(&mut buf) {
                request.extend_from_slice(&buf[..read]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(str::to_string)
                        })
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let kind = if String::from_utf8_lossy(&request).contains("query_range") {
                r#""matrix","result":[{"metric":{"job":"JOB"},"values":[[1700000000,"1"]]}]"#
            } else {
                r#""vector","result":[{"metric":{"job":"JOB"},"value":[1700000000,"1"]}]"#
            };
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":{}}}}}"#,
                kind.replace("JOB", job(n))
            );
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}")
}

fn tee(reference: &str, test: &str) -> Output {
    let queries = write("tee-queries.promql", "up\n");
    rill(&[
        "tee",
        "--ref",
        reference,
        "--test",
        test,
        "--queries",
        queries.to_str().unwrap(),
        "--start",
        "1700000000",
        "--end",
        "1700000000",
        "--instant-times",
        "1",
        "--shrink-tries",
        "0",
    ])
}

#[test]
fn tee_tells_a_mismatch_from_an_unstable_reference() {
    let api = fake_prometheus(|_| "api");
    let web = fake_prometheus(|_| "web");
    let flipping = fake_prometheus(|n| if n % 2 == 0 { "api" } else { "web" });
    let o = tee(&api, &api);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("1 queries, 1 passed, 0 failed (0 excluded, 0 with an unstable reference)\n"));
    let o = tee(&api, &web);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("FAIL ["), "{}", stdout(&o));
    // The reference answers `api` to the range query, then `web` on its repeat.
    let o = tee(&flipping, &web);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("UNSTABLE REFERENCE ["), "{}", stdout(&o));
    assert!(stdout(&o).ends_with("1 queries, 0 passed, 0 failed (0 excluded, 1 with an unstable reference)\n"));
}
