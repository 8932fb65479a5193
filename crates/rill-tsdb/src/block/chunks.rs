//! A block's chunk segment files (`chunks/000001`, ...; see `docs/format/chunks.md`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rill_model::ChunkEncoding;

use crate::decbuf::{Decbuf, check_crc};
use crate::error::{Error, Result};
use crate::mmap::map_file;

const MAGIC: u32 = 0x85BD_40DD;
const HEADER_LEN: usize = 8;

/// One chunk read from a segment: its encoding and its bytes (a slice of the mapping).
#[derive(Clone, Debug)]
pub struct RawChunk {
    /// The chunk encoding.
    pub encoding: ChunkEncoding,
    /// The encoded data, pointing into the memory-mapped segment.
    pub data: Bytes,
}

/// The memory-mapped segment files of one block.
#[derive(Debug)]
pub struct ChunkReader {
    segments: Vec<(PathBuf, Bytes)>,
}

impl ChunkReader {
    /// Maps every segment file in `dir` (files named by 6+ digits, in numeric order) and checks
    /// their headers.
    pub fn open(dir: &Path) -> Result<Self> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Ok(n) = name.parse::<u64>()
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_digit())
            {
                files.push((n, entry.path()));
            }
        }
        files.sort_unstable();
        let mut segments = Vec::with_capacity(files.len());
        for (_, path) in files {
            let data = map_file(&path)?;
            let mut d = Decbuf::new(&path, &data, 0);
            if d.be32()? != MAGIC {
                return Err(Error::corrupt(&path, 0, "bad chunk segment magic"));
            }
            let version = d.byte()?;
            if version != 1 {
                return Err(Error::corrupt(
                    &path,
                    4,
                    format!("unsupported chunk segment version {version}"),
                ));
            }
            d.bytes(3)?;
            segments.push((path, data));
        }
        Ok(Self { segments })
    }

    /// Number of segment files.
    pub fn num_segments(&self) -> usize {
        self.segments.len()
    }

    /// Reads the chunk `chunk_ref` (segment index << 32 | offset), checking its CRC.
    pub fn chunk(&self, chunk_ref: u64) -> Result<RawChunk> {
        let seg = (chunk_ref >> 32) as usize;
        let off = (chunk_ref & 0xffff_ffff) as usize;
        let (path, data) = self.segments.get(seg).ok_or_else(|| Error::Corrupt {
            file: PathBuf::from(format!("chunks/{:06}", seg + 1)),
            offset: off as u64,
            reason: format!("chunk ref {chunk_ref:#x} names a missing segment"),
        })?;
        if off < HEADER_LEN {
            return Err(Error::corrupt(
                path,
                off as u64,
                "chunk offset inside the segment header",
            ));
        }
        let rest = data
            .get(off..)
            .ok_or_else(|| Error::corrupt(path, off as u64, "chunk offset past end of segment"))?;
        let mut d = Decbuf::new(path, rest, off as u64);
        let len = usize::try_from(d.uvarint()?).map_err(|_| d.error("chunk length too large"))?;
        let enc_at = off + (rest.len() - d.remaining());
        let end = enc_at
            .checked_add(1)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| Error::corrupt(path, off as u64, format!("chunk of {len} bytes exceeds the segment")))?;
        check_crc(path, data, enc_at..end)?;
        let encoding = match data.get(enc_at) {
            Some(1) => ChunkEncoding::Xor,
            Some(2) => ChunkEncoding::Histogram,
            Some(3) => ChunkEncoding::FloatHistogram,
            other => {
                return Err(Error::corrupt(
                    path,
                    enc_at as u64,
                    format!("unknown chunk encoding {other:?}"),
                ));
            }
        };
        Ok(RawChunk {
            encoding,
            data: data.slice(enc_at + 1..end),
        })
    }

    /// The path of segment `index` (for error messages), if it exists.
    pub fn segment_path(&self, index: usize) -> Option<&Path> {
        self.segments.get(index).map(|(p, _)| p.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment_dir(name: &str, chunks: &[(u8, &[u8])]) -> (PathBuf, Vec<u64>) {
        let dir = std::env::temp_dir().join(format!("rill-chunks-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut file = MAGIC.to_be_bytes().to_vec();
        file.extend_from_slice(&[1, 0, 0, 0]);
        let mut refs = Vec::new();
        for &(enc, data) in chunks {
            refs.push(file.len() as u64);
            file.push(data.len() as u8);
            let body_at = file.len();
            file.push(enc);
            file.extend_from_slice(data);
            let crc = crate::decbuf::crc32c(&file[body_at..]);
            file.extend_from_slice(&crc.to_be_bytes());
        }
        std::fs::write(dir.join("000001"), file).unwrap();
        (dir, refs)
    }

    #[test]
    fn reads_chunks_by_ref() {
        let (dir, refs) = segment_dir("ok", &[(1, b"abc"), (3, b"hello")]);
        let r = ChunkReader::open(&dir).unwrap();
        assert_eq!(r.num_segments(), 1);
        let c = r.chunk(refs[1]).unwrap();
        assert_eq!(
            (c.encoding, &c.data[..]),
            (ChunkEncoding::FloatHistogram, &b"hello"[..])
        );
        assert!(r.chunk(1 << 32).unwrap_err().to_string().contains("missing segment"));
        assert!(r.chunk(2).is_err());
        assert!(r.chunk(10_000).is_err());
    }

    #[test]
    fn detects_damage() {
        let (dir, refs) = segment_dir("bad", &[(7, b"abc"), (1, b"xyz")]);
        let r = ChunkReader::open(&dir).unwrap();
        assert!(r.chunk(refs[0]).unwrap_err().to_string().contains("encoding"));
        let path = dir.join("000001");
        let mut data = std::fs::read(&path).unwrap();
        let last = data.len() - 5;
        data[last] ^= 1;
        std::fs::write(&path, &data).unwrap();
        let r = ChunkReader::open(&dir).unwrap();
        let err = r.chunk(refs[1]).unwrap_err().to_string();
        assert!(err.contains("000001") && err.contains("CRC"), "{err}");
        std::fs::write(&path, &data[..6]).unwrap();
        assert!(ChunkReader::open(&dir).is_err());
    }
}
