//! Loading one module: size check, compile once, refuse imports, check the ABI exports,
//! instantiate under the limits to read the manifest, check every declared function's export.

use std::path::Path;
use std::sync::Arc;

use rill_engine::{FunctionDef, FunctionRegistry};
use wasmtime::{ExternType, FuncType, InstancePre, Linker, Module, ValType};

use crate::abi::{
    ELEMENTWISE_PARAMS, EXPORT_ALLOC, EXPORT_MANIFEST, EXPORT_MEMORY, MAX_MANIFEST_BYTES, RANGE_PARAMS, unpack_manifest,
};
use crate::error::{LoadError, Result};
use crate::fuel::FuelBudget;
use crate::function::UdfFunction;
use crate::manifest::{FunctionDecl, FunctionKind, Manifest};
use crate::runtime::UdfRuntime;
use crate::sandbox::{Sandbox, StoreState};

/// A compiled module, shared by every query that calls its functions.
pub(crate) struct ModuleShared {
    pub(crate) runtime: Arc<UdfRuntime>,
    pub(crate) file: String,
    pub(crate) pre: InstancePre<StoreState>,
}

/// A validated, compiled module and the functions its manifest declares.
#[derive(Clone)]
pub struct LoadedModule {
    shared: Arc<ModuleShared>,
    manifest: Manifest,
}

/// Whether `ty` is `(i32 × params) -> i32`.
fn is_i32_func(ty: &FuncType, params: usize) -> bool {
    ty.params().len() == params
        && ty.params().all(|p| matches!(p, ValType::I32))
        && ty.results().len() == 1
        && ty.results().all(|r| matches!(r, ValType::I32))
}

/// Checks that `module` exports `name` as a function satisfying `ok`.
fn check_func_export(
    module: &Module,
    name: &str,
    expected: &str,
    ok: impl Fn(&FuncType) -> bool,
) -> std::result::Result<(), String> {
    match module.get_export(name) {
        Some(ExternType::Func(ty)) if ok(&ty) => Ok(()),
        Some(ExternType::Func(ty)) => Err(format!("export {name} has type {ty}, expected {expected}")),
        Some(_) => Err(format!("export {name} is not a function")),
        None => Err(format!("does not export {name}")),
    }
}

impl LoadedModule {
    /// Loads a `.wasm` or `.wat` file, checking its size before reading it.
    pub fn load_file(path: &Path, runtime: &Arc<UdfRuntime>) -> Result<LoadedModule> {
        let file = path.display().to_string();
        let max = runtime.limits().max_module_bytes;
        let len = std::fs::metadata(path)
            .map_err(|e| LoadError::new(&file, format!("cannot read: {e}")))?
            .len();
        if len > max as u64 {
            return Err(LoadError::new(
                &file,
                format!("is {len} bytes, over the limit of {max} bytes"),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| LoadError::new(&file, format!("cannot read: {e}")))?;
        Self::from_bytes(&file, &bytes, runtime)
    }

    /// Loads a module from its bytes (binary or text); `file` names it in errors.
    pub fn from_bytes(file: &str, bytes: &[u8], runtime: &Arc<UdfRuntime>) -> Result<LoadedModule> {
        let fail = |reason: String| LoadError::new(file, reason);
        let max = runtime.limits().max_module_bytes;
        if bytes.len() > max {
            return Err(fail(format!("is {} bytes, over the limit of {max} bytes", bytes.len())));
        }
        let module = Module::new(runtime.engine(), bytes).map_err(|e| fail(format!("is not a valid module: {e:#}")))?;
        if let Some(import) = module.imports().next() {
            return Err(fail(format!(
                "imports {}.{}, but UDF modules may not import anything",
                import.module(),
                import.name()
            )));
        }
        match module.get_export(EXPORT_MEMORY) {
            Some(ExternType::Memory(_)) => {}
            _ => return Err(fail(format!("does not export a memory named {EXPORT_MEMORY:?}"))),
        }
        check_func_export(&module, EXPORT_ALLOC, "(i32) -> i32", |t| is_i32_func(t, 1)).map_err(fail)?;
        check_func_export(&module, EXPORT_MANIFEST, "() -> i64", |t| {
            t.params().len() == 0 && t.results().len() == 1 && t.results().all(|r| matches!(r, ValType::I64))
        })
        .map_err(fail)?;
        let pre = Linker::new(runtime.engine())
            .instantiate_pre(&module)
            .map_err(|e| fail(format!("cannot be instantiated: {e:#}")))?;
        let shared = Arc::new(ModuleShared {
            runtime: runtime.clone(),
            file: file.to_string(),
            pre,
        });
        let manifest = read_manifest(&shared).map_err(&fail)?;
        for decl in &manifest.functions {
            let (params, expected) = match decl.kind {
                FunctionKind::Range => (RANGE_PARAMS, "(i32 × 9) -> i32"),
                FunctionKind::Elementwise => (ELEMENTWISE_PARAMS, "(i32 × 6) -> i32"),
            };
            check_func_export(&module, &decl.name, expected, |t| is_i32_func(t, params))
                .map_err(|e| fail(format!("function {}: {e}", decl.name)))?;
        }
        Ok(LoadedModule { shared, manifest })
    }

    /// The module file as given when loading.
    pub fn file(&self) -> &str {
        &self.shared.file
    }

    /// The functions the module declares.
    pub fn functions(&self) -> &[FunctionDecl] {
        &self.manifest.functions
    }

    /// The registry entries for the module's functions.
    pub fn definitions(&self) -> Vec<FunctionDef> {
        self.manifest
            .functions
            .iter()
            .map(|decl| UdfFunction::definition(&self.shared, decl))
            .collect()
    }

    /// Registers the module's functions; a name already in `registry` (a built-in or another
    /// module's function) is an error and nothing is registered.
    pub fn register(&self, registry: &mut FunctionRegistry) -> Result<()> {
        for decl in &self.manifest.functions {
            if registry.get(&decl.name).is_some() || rill_promql::standard_signature(&decl.name).is_some() {
                return Err(LoadError::new(
                    self.file(),
                    format!("function {} clashes with an existing function of that name", decl.name),
                ));
            }
        }
        for def in self.definitions() {
            registry.register(def);
        }
        Ok(())
    }
}

/// Instantiates the module under the limits and reads and parses its manifest.
fn read_manifest(shared: &ModuleShared) -> std::result::Result<Manifest, String> {
    let budget = FuelBudget::new(shared.runtime.limits().fuel_per_query);
    let mut sandbox = Sandbox::new(&shared.runtime, &shared.pre, None, budget)?;
    let f = sandbox.func::<(), i64>(EXPORT_MANIFEST)?;
    let packed = sandbox.call(&f, ()).map_err(|e| format!("{EXPORT_MANIFEST}(): {e}"))?;
    let (ptr, len) = unpack_manifest(packed);
    let len = len as usize;
    if len > MAX_MANIFEST_BYTES {
        return Err(format!(
            "manifest is {len} bytes, over the limit of {MAX_MANIFEST_BYTES}"
        ));
    }
    let bytes = sandbox
        .read(ptr as usize, len)
        .map_err(|e| format!("{EXPORT_MANIFEST}() returned a bad pointer: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|_| "manifest is not UTF-8".to_string())?;
    Manifest::parse(&text).map_err(|e| format!("bad manifest: {e}"))
}
