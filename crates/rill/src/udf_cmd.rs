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
    let runtime = rill_udf::UdfRuntime::new(rill_udf::UdfLimits::default()).map_err(anyhow::Error::msg)?;
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

    #[test]
    fn registry_adds_the_examples_to_the_builtins() {
        let r = registry(Some(&examples())).unwrap();
        assert!(r.get("xrate").is_some() && r.get("rate").is_some());
        assert!(registry(Some(Path::new("/nonexistent"))).is_err());
    }
}
