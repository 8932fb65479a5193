//! WebAssembly user-defined PromQL functions, sandboxed on wasmtime.
//!
//! ```text
//!  DIR/*.wasm|*.wat ─► LoadedModule::load_file: size check ─► compile once ─► no imports?
//!                     ─► exports memory/rill_alloc/rill_manifest? ─► instantiate under limits
//!                     ─► parse manifest ─► check each function's export type
//!                  ─► register: FunctionDef::range_series / elementwise_series (no clash)
//!  query ─► planner ─► per call site and query: Sandbox (own Store, pooled instance, fuel per
//!           call, epoch deadline, memory cap charged to the query) ─► one wasm call per series
//!           all call sites of a query draw on one per-query fuel budget (QueryContext extension)
//! ```
//! The ABI is in `ABI.md` and [`abi`]. Without the `wasm` feature only the pure parts build
//! (ABI constants and layout, manifest parsing, limits).

pub mod abi;
pub mod error;
pub mod limits;
pub mod manifest;

#[cfg(feature = "wasm")]
mod fuel;
#[cfg(feature = "wasm")]
mod function;
#[cfg(feature = "wasm")]
mod load;
#[cfg(feature = "wasm")]
mod module;
#[cfg(feature = "wasm")]
mod runtime;
#[cfg(feature = "wasm")]
mod sandbox;

pub use error::{LoadError, Result};
pub use limits::UdfLimits;
pub use manifest::{FunctionDecl, FunctionKind, Manifest};

#[cfg(feature = "wasm")]
pub use load::{load_dir, load_dir_with};
#[cfg(feature = "wasm")]
pub use module::LoadedModule;
#[cfg(feature = "wasm")]
pub use runtime::UdfRuntime;
