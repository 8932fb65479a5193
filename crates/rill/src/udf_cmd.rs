//! `rill udf check FILE` and the `--udf DIR` option of `rill query` / `rill test`: WebAssembly
//! user-defined functions loaded into the function registry next to the built-ins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Subcommand;
use rill_engine::FunctionRegistry;
use rill_engine::functions::builtin_registry;

/// `rill udf ...` subcommands.
#[derive(Subcommand, Debug)]
pub enum UdfCommand {
    /// Validate a module (.wasm or .wat), instantiate it under the sandbox limits and print its
    /// functions. Exit code 1 if it is refused.
    Check {
        /// The module file.
        file: PathBuf,
    },
}

/// The built-in functions plus those of every module in `dir`, if given.
pub fn registry(dir: Option<&Path>) -> Result<Arc<FunctionRegistry>> {
    let mut registry = builtin_registry();
    if let Some(dir) = dir {
        load_into(dir, &mut registry)?;
    }
    Ok(Arc::new(registry))
}

#[cfg(feature = "wasm")]
fn load_into(dir: &Path, registry: &mut FunctionRegistry) -> Result<()> {
    rill_udf::load_dir(dir, registry, &rill_udf::UdfLimits::default())?;
    Ok(())
}

#[cfg(not(feature = "wasm"))]
fn load_into(dir: &Path, _registry: &mut FunctionRegistry) -> Result<()> {
    anyhow::bail!(
        "cannot load UDFs from {}: rill was built without the `wasm` feature",
        dir.display()
    )
}

/// Runs a `rill udf` subcommand.
pub fn run(cmd: &UdfCommand) -> ExitCode {
    match cmd {
        UdfCommand::Check { file } => match check(file) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        },
    }
}

/// Loads `file` as `--udf` would (clashes with built-ins included) and describes its functions.
#[cfg(feature = "wasm")]
fn check(file: &Path) -> Result<Vec<String>> {
    let runtime = rill_udf::UdfRuntime::new(rill_udf::UdfLimits::default())
        .map_err(|e| rill_udf::LoadError::new(file.display().to_string(), e))?;
    let module = rill_udf::LoadedModule::load_file(file, &runtime)?;
    module.register(&mut builtin_registry())?;
    let mut lines = vec![format!(
        "{}: ok, {} function(s)",
        module.file(),
        module.functions().len()
    )];
    lines.extend(module.functions().iter().map(|f| format!("  {}", f.describe())));
    Ok(lines)
}

#[cfg(not(feature = "wasm"))]
fn check(file: &Path) -> Result<Vec<String>> {
    anyhow::bail!(
        "cannot check {}: rill was built without the `wasm` feature",
        file.display()
    )
}

#[cfg(all(test, feature = "wasm"))]
mod tests {
    use super::*;

    fn examples() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/udf")
    }

    #[test]
    fn check_lists_the_functions_of_an_example() {
        let lines = check(&examples().join("xrate.wat")).unwrap();
        assert!(lines[0].ends_with("xrate.wat: ok, 1 function(s)"), "{lines:?}");
        assert_eq!(lines[1], "  range xrate(matrix) prev");
    }

    #[test]
    fn check_names_the_file_of_a_broken_module() {
        let err = check(Path::new("/nonexistent/evil.wasm")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("UDF module /nonexistent/evil.wasm: cannot read"),
            "{err}"
        );
    }

    /// The body of `GET path` from a server over an empty store with `registry`.
    fn serve_and_get(registry: Arc<FunctionRegistry>, path: &str) -> String {
        use std::io::{Read, Write};
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let store = Arc::new(rill_server::SharedMemoryStore::new(rill_model::MemoryStore::new()));
        let server = rill_server::Server::with_registry(rill_server::ServerConfig::default(), store, None, registry);
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(server.serve(listener, std::future::pending()));
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        write!(conn, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn server_lists_the_udfs_of_its_dir_and_the_builtins() {
        let body = serve_and_get(registry(Some(&examples())).unwrap(), "/api/v1/status/functions");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "success");
        let list = v["data"].as_array().unwrap();
        let names: Vec<&str> = list.iter().filter_map(|f| f["name"].as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        let find = |name: &str| list.iter().find(|f| f["name"] == name).cloned().unwrap();
        let xrate = find("xrate");
        assert_eq!(xrate["origin"], "udf");
        assert_eq!(xrate["kind"], "range");
        assert!(
            xrate["module"].as_str().unwrap().ends_with("examples/udf/xrate.wat"),
            "{xrate}"
        );
        assert_eq!(xrate["argTypes"], serde_json::json!(["matrix"]));
        assert_eq!(
            (&xrate["variadic"], &xrate["returnType"]),
            (&serde_json::json!(0), &serde_json::json!("vector"))
        );
        let ewma = find("ewma");
        assert_eq!(ewma["argTypes"], serde_json::json!(["matrix", "scalar"]));
        let rate = find("rate");
        assert_eq!(rate["origin"], "builtin");
        assert!(rate.get("module").is_none() && rate.get("kind").is_none(), "{rate}");
        assert_eq!(find("label_join")["variadic"], -1);
        assert!(names.len() > 60, "{}", names.len());
    }

    #[test]
    fn registry_adds_the_examples_to_the_builtins() {
        let r = registry(Some(&examples())).unwrap();
        assert!(r.get("xrate").is_some() && r.get("rate").is_some());
        assert!(registry(Some(Path::new("/nonexistent"))).is_err());
    }
}
