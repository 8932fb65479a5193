//! Rill's codecs: Prometheus chunk encodings, the OpenMetrics / Prometheus text exposition
//! parser, and the deterministic demo dataset.
//!
//! Everything here is pure data transformation over byte slices and readers, shared by the
//! storage backends (blocks, head, remote read) and the importers, so there is exactly one
//! decoding path for each format. Decoders never panic on malformed input; they return
//! [`Error`].

pub mod bstream;
pub mod error;
pub mod text;
pub mod xor;

pub use error::{Error, Result};
pub use xor::{XorEncoder, XorIterator};

/// Chunk encodings with the numeric tags Prometheus stores on disk and on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Encoding {
    /// No encoding (Prometheus `EncNone`), never valid for a stored chunk.
    None = 0,
    /// Gorilla XOR float samples (`EncXOR`), see [`xor`].
    Xor = 1,
    /// Integer native histograms (`EncHistogram`).
    Histogram = 2,
    /// Float native histograms (`EncFloatHistogram`).
    FloatHistogram = 3,
}

impl TryFrom<u8> for Encoding {
    type Error = Error;

    /// Maps an on-disk encoding byte to [`Encoding`], rejecting unknown tags.
    fn try_from(b: u8) -> Result<Self> {
        match b {
            0 => Ok(Self::None),
            1 => Ok(Self::Xor),
            2 => Ok(Self::Histogram),
            3 => Ok(Self::FloatHistogram),
            other => Err(Error::UnknownEncoding(other)),
        }
    }
}
