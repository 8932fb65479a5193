//! PromQL for Rill: lexer, parser, AST, type checking and printer.
//!
//! The parser is hand-written (recursive descent with precedence climbing) so that every node
//! carries its position and every error carries Prometheus's text and position. Function
//! signatures come from a [`FunctionLookup`] supplied by the caller, normally the engine's
//! function registry, so functions registered at run time (WebAssembly UDFs) parse and
//! type-check like built-ins without this crate knowing the engine.

pub mod ast;
mod functions;

pub use ast::*;
pub use functions::{FunctionLookup, Signature, StandardFunctions, standard_function_names, standard_signature};
