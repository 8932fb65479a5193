//! Wire framing: raw-block snappy for remote write/read bodies, and the length-prefixed,
//! CRC32-Castagnoli-checked frames of streamed remote read.
//!
//! ```text
//! frame := uvarint(len(message)) | crc32c(message) as 4 bytes big-endian | message
//! ```

use prost::Message;

use crate::error::{Error, Result};

/// Compresses `data` as one raw snappy block (what Prometheus sends, not the framed format).
pub fn snappy_compress(data: &[u8]) -> Result<Vec<u8>> {
    snap::raw::Encoder::new()
        .compress_vec(data)
        .map_err(|e| Error::Snappy(e.to_string()))
}

/// Decompresses one raw snappy block, refusing output larger than `limit` bytes before
/// allocating it (the length is read from the block header).
pub fn snappy_decompress(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    let size = snap::raw::decompress_len(data).map_err(|e| Error::Snappy(e.to_string()))?;
    if size > limit {
        return Err(Error::TooLarge { size, limit });
    }
    snap::raw::Decoder::new()
        .decompress_vec(data)
        .map_err(|e| Error::Snappy(e.to_string()))
}

/// Decodes a snappy-compressed protobuf message of type `M`.
pub fn decode_snappy_message<M: Message + Default>(body: &[u8], limit: usize) -> Result<M> {
    let raw = snappy_decompress(body, limit)?;
    Ok(M::decode(raw.as_slice())?)
}

/// Encodes `msg` and compresses it with raw-block snappy.
pub fn encode_snappy_message<M: Message>(msg: &M) -> Result<Vec<u8>> {
    snappy_compress(&msg.encode_to_vec())
}

/// Appends one chunked-read frame holding `msg` to `out`.
pub fn write_frame<M: Message>(msg: &M, out: &mut Vec<u8>) {
    let body = msg.encode_to_vec();
    prost::encoding::encode_varint(body.len() as u64, out);
    out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
    out.extend_from_slice(&body);
}

/// Reads the frames of a streamed remote-read body, checking each checksum.
pub struct FrameReader<'a> {
    rest: &'a [u8],
}

impl<'a> FrameReader<'a> {
    /// A reader over a complete streamed body.
    pub fn new(body: &'a [u8]) -> Self {
        FrameReader { rest: body }
    }

    /// The next frame's message bytes, `Ok(None)` at the end of the body.
    pub fn next_frame(&mut self) -> Result<Option<&'a [u8]>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let mut buf = self.rest;
        let len = prost::encoding::decode_varint(&mut buf).map_err(|e| Error::Frame(e.to_string()))?;
        let len = usize::try_from(len).map_err(|_| Error::Frame("frame length overflows".into()))?;
        let (crc, rest) = buf
            .split_first_chunk::<4>()
            .ok_or_else(|| Error::Frame("truncated checksum".into()))?;
        if rest.len() < len {
            return Err(Error::Frame(format!(
                "frame of {len} bytes truncated to {}",
                rest.len()
            )));
        }
        let (msg, rest) = rest.split_at(len);
        if crc32c::crc32c(msg) != u32::from_be_bytes(*crc) {
            return Err(Error::Frame("checksum mismatch".into()));
        }
        self.rest = rest;
        Ok(Some(msg))
    }

    /// The next frame decoded as message `M`.
    pub fn next_message<M: Message + Default>(&mut self) -> Result<Option<M>> {
        self.next_frame()?
            .map(|b| M::decode(b).map_err(Error::from))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{ChunkedReadResponse, WriteRequest};

    #[test]
    fn snappy_round_trip_and_limit() {
        let data = vec![7u8; 10_000];
        let c = snappy_compress(&data).unwrap();
        assert!(c.len() < 1000);
        assert_eq!(snappy_decompress(&c, 10_000).unwrap(), data);
        assert!(matches!(snappy_decompress(&c, 9_999), Err(Error::TooLarge { .. })));
        assert!(snappy_decompress(b"\xff\xff\xff\xff\x0fjunk", 1 << 30).is_err());
    }

    #[test]
    fn corrupted_protobuf_is_an_error() {
        let c = snappy_compress(&[0x0a, 0xff, 0xff, 0x01]).unwrap();
        assert!(matches!(
            decode_snappy_message::<WriteRequest>(&c, 1 << 20),
            Err(Error::Protobuf(_))
        ));
    }

    #[test]
    fn frames_round_trip_and_detect_damage() {
        let mut out = Vec::new();
        for i in 0..3 {
            write_frame(
                &ChunkedReadResponse {
                    chunked_series: vec![],
                    query_index: i,
                },
                &mut out,
            );
        }
        let mut r = FrameReader::new(&out);
        for i in 0..3 {
            let m: ChunkedReadResponse = r.next_message().unwrap().unwrap();
            assert_eq!(m.query_index, i);
        }
        assert!(r.next_frame().unwrap().is_none());
        let last = out.len() - 1;
        out[last] ^= 1;
        let mut r = FrameReader::new(&out);
        r.next_frame().unwrap();
        r.next_frame().unwrap();
        assert!(matches!(r.next_frame(), Err(Error::Frame(_))));
    }
}
