//! Prometheus's remote write 1.0 and 2.0 and remote read protocols for Rill.
//!
//! ```text
//! POST /api/v1/write: snappy(WriteRequest) ─► decode_snappy_message ─► convert ─► Appender
//! POST /api/v1/read:  snappy(ReadRequest)  ─► Querier::select ─► SAMPLES:  snappy(ReadResponse)
//!                                                          └► STREAMED: frames of ChunkedReadResponse
//! ```
//! [`proto`] and [`proto_v2`] hold the hand-written protobuf messages, [`codec`] the snappy and frame layers,
//! [`convert`] and [`chunks`] the mapping to and from `rill_model`.

pub mod chunks;
pub mod codec;
pub mod convert;
pub mod error;
pub mod proto;
pub mod proto_v2;

pub use codec::{
    FrameReader, decode_snappy_message, encode_snappy_message, snappy_compress, snappy_decompress, write_frame,
};
pub use error::{Error, Result};
