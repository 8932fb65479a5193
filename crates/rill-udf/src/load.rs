//! Loading every module of a directory into a function registry (what `--udf DIR` does).

use std::path::Path;
use std::sync::Arc;

use rill_engine::FunctionRegistry;

use crate::error::{LoadError, Result};
use crate::limits::UdfLimits;
use crate::module::LoadedModule;
use crate::runtime::UdfRuntime;

/// Loads every `.wasm` and `.wat` file of `dir` (in name order) with a new runtime enforcing
/// `limits` and registers their functions in `registry`. Any broken module or name clash
/// fails the whole load, naming the file.
pub fn load_dir(dir: &Path, registry: &mut FunctionRegistry, limits: &UdfLimits) -> Result<Vec<LoadedModule>> {
    let runtime = UdfRuntime::new(limits.clone()).map_err(|e| LoadError::new(dir.display().to_string(), e))?;
    load_dir_with(dir, registry, &runtime)
}

/// Like [`load_dir`] with an existing runtime.
pub fn load_dir_with(
    dir: &Path,
    registry: &mut FunctionRegistry,
    runtime: &Arc<UdfRuntime>,
) -> Result<Vec<LoadedModule>> {
    let name = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::new(&name, format!("cannot list: {e}")))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| LoadError::new(&name, format!("cannot list: {e}")))?
            .path();
        let is_module = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "wasm" || e == "wat");
        if is_module && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut modules = Vec::with_capacity(paths.len());
    for path in paths {
        let module = LoadedModule::load_file(&path, runtime)?;
        module.register(registry)?;
        modules.push(module);
    }
    Ok(modules)
}
