//! Real client: a Python program using `requests` (tests/python/client_test.py) exercises every
//! endpoint against a real Prometheus and against Rill serving copies of the same promtool
//! blocks, comparing status codes, JSON shapes and data. A missing python3, `requests`,
//! promtool or prometheus skips the test outside CI and fails it in CI.

mod common;

use common::peers::{Pair, peer_available};

/// Whether python3 can import `requests` (scripts/test.sh installs python3-requests).
fn requests_available() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with requests is missing in CI; scripts/test.sh installs python3-requests"
        );
        println!("SKIP: python3 cannot import requests");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_sees_rill_like_prometheus() {
    if !peer_available("promtool") || !peer_available("prometheus") || !requests_available() {
        return;
    }
    let pair = Pair::start("pyclient").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/client_test.py");
    let (a, b) = (pair.prometheus.base.clone(), pair.rill.base.clone());
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new("python3").args([script, &a, &b]).output())
            .await
            .unwrap()
            .unwrap();
    pair.stop().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "client_test.py failed (exit {:?})",
        out.status.code()
    );
    assert!(stdout.contains(" checks, 0 failed"), "no summary line");
}
