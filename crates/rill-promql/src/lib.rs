//! PromQL for Rill: lexer, parser, AST, type checking and printer.
//!
//! The parser is hand-written (recursive descent with precedence climbing) so that every node
//! carries its position and every error carries Prometheus's text and position. Function
//! signatures come from a [`FunctionLookup`] supplied by the caller, normally the engine's
//! function registry, so functions registered at run time (WebAssembly UDFs) parse and
//! type-check like built-ins without this crate knowing the engine.
//!
//! ```
//! use rill_promql::{parse, ParseOptions, StandardFunctions};
//! let expr = parse("sum by (job) (rate(foo{a=\"b\"}[5m]))", &StandardFunctions, &ParseOptions::default()).unwrap();
//! assert_eq!(expr.to_string(), "sum by (job) (rate(foo{a=\"b\"}[5m]))");
//! ```

pub mod ast;
mod error;
mod functions;
pub mod lexer;
mod parser;
mod pretty;
mod printer;

pub use ast::*;
pub use error::{ParseError, ParseOptions};
pub use functions::{FunctionLookup, Signature, StandardFunctions, standard_function_names, standard_signature};
pub use parser::{MAX_DEPTH, parse, parse_number, parse_selector_unchecked};
pub use pretty::{PRETTY_LINE_LIMIT, pretty, pretty_with_limit};
pub use printer::{format_duration_ms, go_float};
