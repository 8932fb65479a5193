//! Writes a block's chunk segment files (`chunks/000001`, ...; see `docs/format/chunks.md`).
//!
//! Chunks are appended in the order they are given; a new segment is started when the next
//! chunk would push the current one past the size cap (a chunk larger than the cap gets a
//! segment of its own). Each finished segment is fsynced.

use std::path::{Path, PathBuf};

use rill_model::ChunkEncoding;

use super::encbuf::Encbuf;
use crate::error::{Error, Result};
use crate::fsutil::FileSink;

/// Prometheus's segment file magic.
const MAGIC: u32 = 0x85BD_40DD;
/// Segment header: magic, version 1, three padding bytes.
const HEADER_LEN: u64 = 8;
/// Prometheus's default segment size cap (512 MiB).
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 << 20;

/// The on-disk encoding byte of a chunk.
pub(crate) fn encoding_byte(e: ChunkEncoding) -> u8 {
    match e {
        ChunkEncoding::Xor => 1,
        ChunkEncoding::Histogram => 2,
        ChunkEncoding::FloatHistogram => 3,
    }
}

/// Appends chunks to numbered segment files in one directory.
#[derive(Debug)]
pub(crate) struct ChunkWriter {
    dir: PathBuf,
    segment_size: u64,
    /// Index of the open segment (0 = `000001`).
    seq: u32,
    current: Option<FileSink>,
    scratch: Encbuf,
}

impl ChunkWriter {
    /// A writer creating segments in `dir` (created if missing), each at most `segment_size`
    /// bytes unless a single chunk is larger.
    pub fn new(dir: &Path, segment_size: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            segment_size: segment_size.max(HEADER_LEN + 1),
            seq: 0,
            current: None,
            scratch: Encbuf::default(),
        })
    }

    fn open_segment(&mut self) -> Result<()> {
        if let Some(done) = self.current.take() {
            done.finish()?;
            self.seq += 1;
        }
        let path = self.dir.join(format!("{:06}", self.seq + 1));
        let mut f = FileSink::create(&path)?;
        let mut header = MAGIC.to_be_bytes().to_vec();
        header.extend_from_slice(&[1, 0, 0, 0]);
        f.write(&header)?;
        self.current = Some(f);
        Ok(())
    }

    /// Appends one chunk and returns its reference (segment index << 32 | offset).
    pub fn write(&mut self, encoding: ChunkEncoding, data: &[u8]) -> Result<u64> {
        self.scratch.clear();
        self.scratch.put_uvarint(data.len() as u64);
        let body_at = self.scratch.len();
        self.scratch.put_byte(encoding_byte(encoding));
        self.scratch.put_bytes(data);
        self.scratch.put_crc_from(body_at);
        let size = self.scratch.len() as u64;
        let must_cut = match &self.current {
            None => true,
            Some(f) => f.pos() > HEADER_LEN && f.pos() + size > self.segment_size,
        };
        if must_cut {
            self.open_segment()?;
        }
        let Some(f) = self.current.as_mut() else {
            return Err(Error::Invalid("chunk segment not open".into()));
        };
        let offset = f.pos();
        if offset > u64::from(u32::MAX) {
            return Err(Error::Invalid(format!("chunk segment {} exceeds 4 GiB", self.seq + 1)));
        }
        f.write(self.scratch.bytes())?;
        Ok(u64::from(self.seq) << 32 | offset)
    }

    /// Finishes and fsyncs the last segment.
    pub fn finish(self) -> Result<()> {
        match self.current {
            Some(f) => f.finish(),
            None => Ok(()),
        }
    }
}
