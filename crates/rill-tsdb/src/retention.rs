//! Deleting old blocks by time and by size, with Prometheus's semantics (`tsdb/db.go`
//! `BeyondTimeRetention` / `BeyondSizeRetention`).
//!
//! Blocks are ranked newest first by `maxTime`.
//! - **Time**: walking from the newest, the first block (not the newest itself) whose `maxTime`
//!   lies at least the retention duration before the newest block's `maxTime`, and every older
//!   block, is deleted.
//! - **Size**: walking from the newest and adding up block sizes (plus `extra_bytes`, e.g. the
//!   WAL and head chunks the caller counts), the block that pushes the total past the limit, and
//!   every older block, is deleted. The newest block may go too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::data_dir::{BlockDir, live_blocks};
use crate::error::Result;
use crate::fsutil::delete_block_dir;

/// What to keep.
#[derive(Clone, Debug, Default)]
pub struct RetentionOptions {
    /// Keep blocks whose end lies within this duration of the newest block's end.
    pub time: Option<Duration>,
    /// Keep the newest blocks whose total size (with `extra_bytes`) stays within this many bytes.
    pub size: Option<u64>,
    /// Bytes counted against `size` before any block (Prometheus adds the WAL and head chunks).
    pub extra_bytes: u64,
}

/// Deletes the blocks of `data_dir` beyond the time and/or size retention and returns their
/// directories (oldest last). `None` disables a limit.
pub fn apply_retention(data_dir: &Path, time: Option<Duration>, size: Option<u64>) -> Result<Vec<PathBuf>> {
    apply_retention_with(
        data_dir,
        &RetentionOptions {
            time,
            size,
            extra_bytes: 0,
        },
    )
}

/// [`apply_retention`] with all options.
pub fn apply_retention_with(data_dir: &Path, opts: &RetentionOptions) -> Result<Vec<PathBuf>> {
    let mut blocks = live_blocks(data_dir)?;
    blocks.sort_by_key(|b| std::cmp::Reverse(b.meta.max_time));
    let mut cut = blocks.len();
    if let Some(t) = opts.time {
        cut = cut.min(beyond_time(&blocks, t));
    }
    if let Some(limit) = opts.size {
        cut = cut.min(beyond_size(&blocks, limit, opts.extra_bytes)?);
    }
    let doomed = blocks.get(cut..).unwrap_or_default();
    let mut deleted = Vec::with_capacity(doomed.len());
    for b in doomed {
        delete_block_dir(&b.dir)?;
        deleted.push(b.dir.clone());
    }
    Ok(deleted)
}

/// Index of the first block (newest first) beyond the time retention, or `blocks.len()`.
fn beyond_time(blocks: &[BlockDir], retention: Duration) -> usize {
    let retention_ms = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let Some(newest) = blocks.first() else {
        return 0;
    };
    if retention_ms == 0 {
        return blocks.len();
    }
    blocks
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, b)| newest.meta.max_time.saturating_sub(b.meta.max_time) >= retention_ms)
        .map_or(blocks.len(), |(i, _)| i)
}

/// Index of the first block (newest first) beyond the size retention, or `blocks.len()`.
fn beyond_size(blocks: &[BlockDir], limit: u64, extra: u64) -> Result<usize> {
    if limit == 0 {
        return Ok(blocks.len());
    }
    let mut total = extra;
    for (i, b) in blocks.iter().enumerate() {
        total += b.size()?;
        if total > limit {
            return Ok(i);
        }
    }
    Ok(blocks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::writer::BlockWriter;
    use crate::test_util::{labels, temp_dir};
    use rill_model::Sample;

    const H: i64 = 3_600_000;

    /// Blocks [0,2h), [2h,4h), ..., [8h,10h), each with one sample per minute.
    fn blocks(dir: &Path) -> Vec<PathBuf> {
        (0..5)
            .map(|k| {
                let mut w = BlockWriter::new(dir, k * 2 * H, (k + 1) * 2 * H).unwrap();
                let s = (0..120).map(|i| Sample::float(k * 2 * H + i * 60_000, i as f64));
                w.add_series(&labels(&[("n", "x")]), s).unwrap();
                w.finish().unwrap().unwrap().dir
            })
            .collect()
    }

    #[test]
    fn deletes_beyond_time() {
        let dir = temp_dir("ret-time");
        let b = blocks(&dir);
        // Newest maxt 10h; 6h retention drops blocks ending at or before 4h.
        let deleted = apply_retention(&dir, Some(Duration::from_secs(6 * 3600)), None).unwrap();
        assert_eq!(deleted, [b[1].clone(), b[0].clone()]);
        assert_eq!(live_blocks(&dir).unwrap().len(), 3);
        assert!(
            apply_retention(&dir, Some(Duration::from_secs(6 * 3600)), None)
                .unwrap()
                .is_empty()
        );
        // The newest block is never deleted by time, and zero disables the limit.
        assert!(apply_retention(&dir, Some(Duration::ZERO), None).unwrap().is_empty());
        apply_retention(&dir, Some(Duration::from_millis(1)), None).unwrap();
        assert_eq!(live_blocks(&dir).unwrap().len(), 1);
        assert!(b[4].exists());
    }

    #[test]
    fn deletes_oldest_beyond_size() {
        let dir = temp_dir("ret-size");
        let b = blocks(&dir);
        let one = live_blocks(&dir)
            .unwrap()
            .iter()
            .map(|b| b.size().unwrap())
            .max()
            .unwrap();
        let deleted = apply_retention(&dir, None, Some(one * 3 + one / 2)).unwrap();
        assert_eq!(deleted, [b[1].clone(), b[0].clone()]);
        let opts = RetentionOptions {
            size: Some(one * 2),
            extra_bytes: one,
            ..RetentionOptions::default()
        };
        assert_eq!(apply_retention_with(&dir, &opts).unwrap(), [b[3].clone(), b[2].clone()]);
        // Even the newest block goes when it alone is too big.
        assert_eq!(apply_retention(&dir, None, Some(1)).unwrap(), [b[4].clone()]);
        assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
    }
}
