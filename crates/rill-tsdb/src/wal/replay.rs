//! Reading a whole `wal/` directory on open: the latest checkpoint, then every later segment,
//! in order. Damage at the tail of the log (a crash in the middle of a write) is truncated away
//! with a warning naming the segment and offset; damage followed by more data is an error
//! unless repair is asked for (then the log is cut there, as Prometheus's `wlog.Repair` does).

use std::path::{Path, PathBuf};

use super::reader::{Damage, read_segment};
use super::record::{Record, decode};
use super::segment::{checkpoint_path, list, segment_path, sync_dir};
use crate::error::{Error, Result};

/// What replay found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplayOutcome {
    /// The checkpoint that was loaded, if any.
    pub checkpoint: Option<u64>,
    /// Segments replayed after the checkpoint.
    pub segments: Vec<u64>,
    /// Records handed to the callback.
    pub records: u64,
    /// The index a writer should create next (never reuses a replayed segment).
    pub next_segment: u64,
    /// The segment and offset where a damaged tail was cut, if one was.
    pub truncated: Option<(PathBuf, u64)>,
}

/// Reads every record of the segment directory `dir` (a checkpoint); any damage is an error.
pub fn read_checkpoint(dir: &Path, f: &mut impl FnMut(Record) -> Result<()>) -> Result<u64> {
    let listing = list(dir)?;
    let mut n = 0;
    for &i in &listing.segments {
        let path = segment_path(dir, i);
        let damage = read_segment(&path, |at, rec| {
            n += 1;
            f(decode(rec, &path, at)?)
        })?;
        if let Some(d) = damage {
            return Err(Error::corrupt(
                &path,
                d.offset,
                format!("checkpoint damaged: {}", d.reason),
            ));
        }
    }
    Ok(n)
}

/// How replay treats damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Never modify files: stop at damage with a warning (for read-only opens of copies).
    ReadOnly,
    /// Truncate a damaged tail; damage followed by more data is an error.
    TruncateTail,
    /// Also repair damage in the middle by truncating there and deleting later segments.
    Repair,
}

/// Replays `dir` into `f` (see [`Recovery`]); the directory is created unless read-only.
pub fn replay(dir: &Path, recovery: Recovery, mut f: impl FnMut(Record) -> Result<()>) -> Result<ReplayOutcome> {
    if recovery == Recovery::ReadOnly && !dir.is_dir() {
        return Ok(ReplayOutcome::default());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let listing = list(dir)?;
    if recovery != Recovery::ReadOnly {
        for tmp in &listing.temporary {
            std::fs::remove_dir_all(tmp).map_err(|e| Error::io(tmp, e))?;
        }
    }
    let mut out = ReplayOutcome::default();
    if let Some(&cp) = listing.checkpoints.last() {
        out.records += read_checkpoint(&checkpoint_path(dir, cp), &mut f)?;
        out.checkpoint = Some(cp);
        out.next_segment = cp + 1;
    }
    let segments: Vec<u64> = listing
        .segments
        .iter()
        .copied()
        .filter(|&s| out.checkpoint.is_none_or(|cp| s > cp))
        .collect();
    for pair in segments.windows(2) {
        if let [a, b] = pair
            && b - a != 1
        {
            return Err(Error::corrupt(
                &segment_path(dir, *b),
                0,
                format!("WAL segments {:08} to {:08} are missing", a + 1, b - 1),
            ));
        }
    }
    for (pos, &i) in segments.iter().enumerate() {
        let path = segment_path(dir, i);
        let mut n = 0;
        let damage = read_segment(&path, |at, rec| {
            n += 1;
            f(decode(rec, &path, at)?)
        })?;
        out.records += n;
        out.segments.push(i);
        out.next_segment = i + 1;
        if let Some(d) = damage {
            let later = segments.get(pos + 1..).unwrap_or_default();
            if recovery == Recovery::ReadOnly {
                tracing::warn!(
                    segment = %path.display(),
                    offset = d.offset,
                    "WAL (read-only): damaged at {}:{} ({}); later records are not visible",
                    path.display(),
                    d.offset,
                    d.reason
                );
            } else {
                cut_tail(dir, &path, &d, later, recovery == Recovery::Repair)?;
            }
            out.truncated = Some((path, d.offset));
            break;
        }
    }
    Ok(out)
}

/// Truncates `path` at the damage, after checking (or, with `repair`, deleting) later segments.
fn cut_tail(dir: &Path, path: &Path, d: &Damage, later: &[u64], repair: bool) -> Result<()> {
    let mut later_data = Vec::new();
    for &j in later {
        let p = segment_path(dir, j);
        let len = std::fs::metadata(&p).map_err(|e| Error::io(&p, e))?.len();
        if len > 0 {
            later_data.push(p);
        }
    }
    if !later_data.is_empty() && !repair {
        return Err(Error::corrupt(
            path,
            d.offset,
            format!(
                "WAL damaged ({}) with {} later segment(s) holding data; refusing to drop them \
                 (enable WAL repair to truncate the log here as Prometheus does)",
                d.reason,
                later_data.len()
            ),
        ));
    }
    for &j in later {
        let p = segment_path(dir, j);
        std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    file.set_len(d.offset).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    sync_dir(dir)?;
    tracing::warn!(
        segment = %path.display(),
        offset = d.offset,
        reason = %d.reason,
        dropped_segments = later.len(),
        "WAL: torn or corrupt tail truncated at {}:{} ({}); every record before it was replayed",
        path.display(),
        d.offset,
        d.reason
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::record::{RefSample, encode_samples};
    use super::super::writer::WalWriter;
    use super::super::{FsyncPolicy, WalOptions};
    use super::*;

    fn write(dir: &Path, batches: usize) {
        let mut w = WalWriter::create(
            dir,
            0,
            WalOptions {
                fsync: FsyncPolicy::Never,
                ..WalOptions::default()
            },
        )
        .unwrap();
        for i in 0..batches {
            let mut rec = Vec::new();
            encode_samples(
                &[RefSample {
                    series_ref: 1,
                    t: i as i64,
                    v: 1.0,
                }],
                &mut rec,
            );
            w.log(&[&rec]).unwrap();
        }
        w.close().unwrap();
    }

    fn count(dir: &Path, recovery: Recovery) -> Result<(u64, ReplayOutcome)> {
        let mut n = 0;
        let out = replay(dir, recovery, |r| {
            if let Record::Samples(s) = r {
                n += s.len() as u64;
            }
            Ok(())
        })?;
        Ok((n, out))
    }

    #[test]
    fn torn_tail_is_truncated_and_kept_records_survive() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 10);
        let seg = segment_path(dir.path(), 0);
        let len = std::fs::metadata(&seg).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
        f.set_len(len - 3).unwrap();
        let (n, out) = count(dir.path(), Recovery::TruncateTail).unwrap();
        assert_eq!(n, 9);
        assert!(out.truncated.is_some());
        assert_eq!(out.next_segment, 1);
        // Second open: the tail is gone, nothing else is lost.
        let (n, out) = count(dir.path(), Recovery::TruncateTail).unwrap();
        assert_eq!((n, out.truncated), (9, None));
    }

    #[test]
    fn damage_before_data_is_an_error_unless_repaired() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 5);
        std::fs::write(segment_path(dir.path(), 1), b"\x01\x00\x01\x00\x00\x00\x00x").unwrap();
        let seg = segment_path(dir.path(), 0);
        let mut data = std::fs::read(&seg).unwrap();
        data[20] ^= 0xff;
        std::fs::write(&seg, &data).unwrap();
        let err = count(dir.path(), Recovery::TruncateTail).unwrap_err().to_string();
        assert!(err.contains("later segment"), "{err}");
        let (n, out) = count(dir.path(), Recovery::Repair).unwrap();
        assert!(n < 5);
        assert!(out.truncated.is_some());
        assert!(!segment_path(dir.path(), 1).exists());
    }

    #[test]
    fn missing_segment_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1);
        std::fs::write(segment_path(dir.path(), 3), b"").unwrap();
        let err = count(dir.path(), Recovery::TruncateTail).unwrap_err().to_string();
        assert!(err.contains("missing"), "{err}");
    }
}
