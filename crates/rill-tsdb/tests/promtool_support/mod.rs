//! Helpers shared by the tests that run Prometheus's `promtool` against Rill's storage.

use std::path::PathBuf;
use std::process::Command;

/// Whether `promtool` can run. Outside CI a missing promtool skips the test with a message;
/// in CI (`CI` set) it is a failure, since the test script installs it.
pub fn promtool_available() -> bool {
    let ok = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool is not on PATH in CI; scripts/test.sh installs Debian's prometheus package"
        );
        println!("SKIP: promtool is not on PATH; install Prometheus (apt-get install prometheus) to run this test");
    }
    ok
}

/// A fresh, empty temporary directory unique to this test process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rill-tsdb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
