//! Names and listing of the files of a `wal/` directory: segments (`00000012`) and checkpoints
//! (`checkpoint.00000011`, unfinished ones end in `.tmp`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The path of segment `index` in `dir`.
pub fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:08}"))
}

/// The path of the checkpoint covering segments up to `index`.
pub fn checkpoint_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("checkpoint.{index:08}"))
}

/// What a `wal/` directory holds, sorted by index.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WalListing {
    /// Segment indexes, ascending.
    pub segments: Vec<u64>,
    /// Finished checkpoint indexes, ascending.
    pub checkpoints: Vec<u64>,
    /// Unfinished checkpoint directories (to delete).
    pub temporary: Vec<PathBuf>,
}

fn parse_index(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Lists `dir`; other entries are ignored.
pub fn list(dir: &Path) -> Result<WalListing> {
    let mut out = WalListing::default();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if let Some(i) = parse_index(&name) {
            out.segments.push(i);
        } else if let Some(rest) = name.strip_prefix("checkpoint.") {
            if rest.ends_with(".tmp") {
                out.temporary.push(entry.path());
            } else if let Some(i) = parse_index(rest) {
                out.checkpoints.push(i);
            }
        }
    }
    out.segments.sort_unstable();
    out.checkpoints.sort_unstable();
    Ok(out)
}

/// Fsyncs a directory so created, renamed or deleted entries are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_segments_and_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        for n in [
            "00000003",
            "00000001",
            "checkpoint.00000000",
            "checkpoint.00000002.tmp",
            "lock",
            "x1",
        ] {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        let l = list(dir.path()).unwrap();
        assert_eq!(l.segments, vec![1, 3]);
        assert_eq!(l.checkpoints, vec![0]);
        assert_eq!(l.temporary.len(), 1);
        assert_eq!(segment_path(Path::new("w"), 12), Path::new("w/00000012"));
        assert_eq!(checkpoint_path(Path::new("w"), 3), Path::new("w/checkpoint.00000003"));
    }
}
