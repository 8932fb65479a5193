//! Choosing which blocks to compact next, with the strategy of Prometheus's
//! `LeveledCompactor.Plan`:
//!
//! 1. blocks overlapping in time are merged first (the first run of mutually overlapping
//!    blocks, by start time);
//! 2. otherwise the newest block is left alone (it was just cut from the head), and for each
//!    range after the smallest (6h, 18h, ... by default) the blocks are grouped into
//!    range-aligned buckets; the first bucket holding more than one block that either spans the
//!    whole range or ends before the newest block starts is chosen.

use std::path::PathBuf;

use crate::data_dir::BlockDir;

/// Two hours in milliseconds: Prometheus's minimum block duration.
pub const TWO_HOURS_MS: i64 = 2 * 3600 * 1000;

/// Prometheus's block ranges: `min`, then ×3 per step (10 steps), stopping before the first
/// range longer than `max`. `block_ranges(TWO_HOURS_MS, 36 * 3600 * 1000)` gives 2h, 6h, 18h
/// (the default for a 15-day retention).
pub fn block_ranges(min: i64, max: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut r = min.max(1);
    for _ in 0..10 {
        if r > max {
            break;
        }
        out.push(r);
        r = r.saturating_mul(3);
    }
    out
}

/// The directories to compact next (empty: nothing to do). `blocks` need not be sorted.
pub fn plan(blocks: &[BlockDir], ranges: &[i64]) -> Vec<PathBuf> {
    let mut sorted: Vec<&BlockDir> = blocks.iter().collect();
    sorted.sort_by_key(|b| (b.meta.min_time, b.meta.ulid.clone()));
    let overlapping = overlapping_run(&sorted);
    if !overlapping.is_empty() {
        return overlapping;
    }
    let Some((_, older)) = sorted.split_last() else {
        return Vec::new();
    };
    select_dirs(older, ranges)
}

/// The first run of blocks (by start time) that overlap one another.
fn overlapping_run(sorted: &[&BlockDir]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(first) = sorted.first() else {
        return out;
    };
    let mut global_max = first.meta.max_time;
    for pair in sorted.windows(2) {
        let [prev, cur] = pair else { continue };
        if cur.meta.min_time < global_max {
            if out.is_empty() {
                out.push(prev.dir.clone());
            }
            out.push(cur.dir.clone());
        } else if !out.is_empty() {
            break;
        }
        global_max = global_max.max(cur.meta.max_time);
    }
    out
}

fn select_dirs(sorted: &[&BlockDir], ranges: &[i64]) -> Vec<PathBuf> {
    let Some(newest) = sorted.last() else {
        return Vec::new();
    };
    let high_time = newest.meta.min_time;
    for &range in ranges.iter().skip(1) {
        for group in split_by_range(sorted, range) {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                continue;
            };
            let (mint, maxt) = (first.meta.min_time, last.meta.max_time);
            if group.len() > 1 && (maxt - mint == range || maxt <= high_time) {
                return group.iter().map(|b| b.dir.clone()).collect();
            }
        }
    }
    Vec::new()
}

/// Groups consecutive blocks that fit in the same `range`-aligned bucket; blocks larger than
/// their bucket are skipped.
fn split_by_range<'a>(sorted: &[&'a BlockDir], range: i64) -> Vec<Vec<&'a BlockDir>> {
    let mut groups = Vec::new();
    let mut i = 0;
    while let Some(b) = sorted.get(i) {
        let t0 = b.meta.min_time.div_euclid(range) * range;
        if b.meta.max_time > t0 + range {
            i += 1;
            continue;
        }
        let mut group = Vec::new();
        while let Some(b) = sorted.get(i)
            && b.meta.max_time <= t0 + range
        {
            group.push(*b);
            i += 1;
        }
        groups.push(group);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::meta::BlockMeta;

    fn block(name: &str, mint_h: i64, maxt_h: i64) -> BlockDir {
        BlockDir {
            dir: PathBuf::from(name),
            meta: BlockMeta {
                ulid: name.to_string(),
                min_time: mint_h * 3_600_000,
                max_time: maxt_h * 3_600_000,
                stats: Default::default(),
                compaction: Default::default(),
                version: 1,
            },
        }
    }

    fn names(p: Vec<PathBuf>) -> Vec<String> {
        p.into_iter().map(|d| d.display().to_string()).collect()
    }

    #[test]
    fn plans_like_prometheus() {
        let ranges = block_ranges(TWO_HOURS_MS, 36 * 3_600_000);
        assert_eq!(ranges, [TWO_HOURS_MS, 3 * TWO_HOURS_MS, 9 * TWO_HOURS_MS]);
        // Three 2h blocks filling 0-6h plus the newest: the first three merge into 6h.
        let bs = [block("a", 0, 2), block("b", 2, 4), block("c", 4, 6), block("d", 6, 8)];
        assert_eq!(names(plan(&bs, &ranges)), ["a", "b", "c"]);
        // Only two blocks in 0-6h and the newest is inside that bucket: wait.
        let bs = [block("a", 0, 2), block("b", 2, 4), block("c", 4, 6)];
        assert!(plan(&bs, &ranges).is_empty());
        // Overlaps win over everything.
        let bs = [block("a", 0, 2), block("b", 1, 3), block("c", 4, 6), block("d", 6, 8)];
        assert_eq!(names(plan(&bs, &ranges)), ["a", "b"]);
        // 6h blocks filling 0-18h merge into 18h; a lone block does nothing.
        let bs = [
            block("a", 0, 6),
            block("b", 6, 12),
            block("c", 12, 18),
            block("d", 18, 20),
        ];
        assert_eq!(names(plan(&bs, &ranges)), ["a", "b", "c"]);
        assert!(plan(&[block("a", 0, 2)], &ranges).is_empty());
        assert!(plan(&[], &ranges).is_empty());
    }
}
