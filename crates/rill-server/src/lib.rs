//! Rill's HTTP server: Prometheus's query API, remote write and read, limits and self-metrics.
//!
//! ```text
//! request ─► axum router (body limit, panic catcher, tracing)
//!   /api/v1/query(_range) ─► params ─► parse ─► QueryGate slot ─► spawn_blocking(Engine::execute)
//!                                                              └► json::write_success ─► streamed body
//!   /api/v1/series|labels|label/..   ─► Querier (blocking thread) ─► JSON
//!   /api/v1/write ─► snappy+protobuf ─► Appender ─► commit ─► 204
//!   /api/v1/read  ─► Querier ─► SAMPLES (snappy ReadResponse) | STREAMED_XOR_CHUNKS (frames)
//! ```
//! The server works over any `Arc<dyn Queryable>` (+ optional `Arc<dyn Appendable>`): the
//! in-memory store, Prometheus blocks, or the TSDB.

pub mod api;
pub mod ast_json;
pub mod body;
pub mod config;
pub mod error;
pub mod gate;
pub mod json;
pub mod metrics;
pub mod params;
pub mod remote;
pub mod server;
pub mod state;
pub mod store;
pub mod tee;

pub use config::ServerConfig;
pub use error::{ApiError, ErrorType};
pub use server::Server;
pub use state::AppState;
pub use store::SharedMemoryStore;
