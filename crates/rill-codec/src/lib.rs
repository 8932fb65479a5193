//! Rill's codecs: Prometheus chunk encodings, the OpenMetrics / Prometheus text exposition
//! parser, and the deterministic demo dataset.
//!
//! Everything here is pure data transformation over byte slices and readers, shared by the
//! storage backends (blocks, head, remote read) and the importers, so there is exactly one
//! decoding path for each format. Decoders never panic on malformed input; they return
//! [`Error`].

pub mod bstream;
pub mod demo;
pub mod error;
pub mod float_histogram_chunk;
pub mod histogram_chunk;
pub mod histogram_meta;
pub mod histogram_stream;
pub mod text;
pub mod xor;

pub use error::{Error, Result};
pub use xor::{XorEncoder, XorIterator};
