//! Compaction: overlapping and adjacent blocks merge into one with the right data and
//! metadata, tombstones are applied, inputs disappear, and a crash between writing the new
//! block and deleting the inputs never shows data twice.

use rill_model::{Labels, Sample};

use super::*;
use crate::block::writer::write_tombstones;
use crate::data_dir::scan_blocks;
use crate::test_util::{assert_data, labels, temp_dir};

const H: i64 = 3_600_000;

/// Writes one block with `series` (label-sorted) covering `[mint, maxt)`.
fn block(dir: &Path, mint: i64, maxt: i64, series: &[(Labels, Vec<Sample>)]) -> PathBuf {
    let mut w = BlockWriter::new(dir, mint, maxt).unwrap();
    for (l, s) in series {
        w.add_series(l, s.iter().cloned()).unwrap();
    }
    w.finish().unwrap().unwrap().dir
}

fn floats(ts: impl IntoIterator<Item = i64>, v: f64) -> Vec<Sample> {
    ts.into_iter().map(|t| Sample::float(t, v + t as f64)).collect()
}

#[test]
fn merges_overlapping_and_adjacent_blocks() {
    let dir = temp_dir("compact");
    let (a, b, c) = (labels(&[("s", "a")]), labels(&[("s", "b")]), labels(&[("s", "c")]));
    let first = block(
        &dir,
        0,
        2 * H,
        &[
            (a.clone(), floats((0..2 * H).step_by(60_000), 0.0)),
            (b.clone(), floats([5, 10], 1.0)),
        ],
    );
    // Overlaps `first` (duplicates at the same timestamps, new ones in between).
    let second = block(&dir, H, 3 * H, &[(a.clone(), floats((H..3 * H).step_by(30_000), 0.0))]);
    // Adjacent to both, with a series only it has.
    let third = block(&dir, 3 * H, 4 * H, &[(c.clone(), floats([3 * H, 3 * H + 1], 2.0))]);
    let mut a_ts: Vec<i64> = (0..2 * H).step_by(60_000).chain((H..3 * H).step_by(30_000)).collect();
    a_ts.sort();
    a_ts.dedup();
    let want = vec![
        (a, floats(a_ts, 0.0)),
        (b, floats([5, 10], 1.0)),
        (c, floats([3 * H, 3 * H + 1], 2.0)),
    ];
    assert_data(&dir, &want);

    let inputs = [first.clone(), second.clone(), third.clone()];
    let metas: Vec<_> = inputs
        .iter()
        .map(|d| crate::block::meta::BlockMeta::read(&d.join("meta.json")).unwrap())
        .collect();
    let out = compact_blocks(&dir, &inputs).unwrap().unwrap();
    assert!(inputs.iter().all(|d| !d.exists()), "inputs deleted");
    let meta = crate::block::meta::BlockMeta::read(&out.join("meta.json")).unwrap();
    assert_eq!((meta.min_time, meta.max_time, meta.compaction.level), (0, 4 * H, 2));
    let mut sources: Vec<String> = metas.iter().map(|m| m.ulid.clone()).collect();
    sources.sort();
    assert_eq!(meta.compaction.sources, sources);
    assert_eq!(meta.compaction.parents.len(), 3);
    assert_eq!(meta.stats.num_series, 3);
    assert_data(&dir, &want);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the new block remains"
    );

    // Compacting again raises the level and keeps the level-1 sources.
    let again = compact_blocks(&dir, &[out]).unwrap().unwrap();
    let m2 = crate::block::meta::BlockMeta::read(&again.join("meta.json")).unwrap();
    assert_eq!((m2.compaction.level, m2.compaction.sources.len()), (3, 3));
    assert_data(&dir, &want);
}

#[test]
fn applies_tombstones_and_drops_empty_results() {
    let dir = temp_dir("compact-tomb");
    let (a, b) = (labels(&[("s", "a")]), labels(&[("s", "b")]));
    let blk = block(
        &dir,
        0,
        1000,
        &[(a.clone(), floats(0..100, 0.0)), (b.clone(), floats(0..10, 0.0))],
    );
    // Series refs are offsets / 16 in label order: read them back from the index.
    let opened = crate::block::Block::open(&blk).unwrap();
    let refs = crate::block::postings::collect(opened.index().all_postings().unwrap());
    drop(opened);
    write_tombstones(&blk, &[(u64::from(refs[0]), 10, 89), (u64::from(refs[1]), 0, 1000)]).unwrap();
    let want_a: Vec<Sample> = floats((0..10).chain(90..100), 0.0);
    assert_data(&dir, &[(a.clone(), want_a.clone())]);
    let out = compact_blocks(&dir, &[blk]).unwrap().unwrap();
    assert_data(&dir, &[(a.clone(), want_a)]);
    let meta = crate::block::meta::BlockMeta::read(&out.join("meta.json")).unwrap();
    assert_eq!((meta.stats.num_series, meta.stats.num_samples), (1, 20));

    // Everything deleted: no block is written and the input goes away.
    let refs =
        crate::block::postings::collect(crate::block::Block::open(&out).unwrap().index().all_postings().unwrap());
    write_tombstones(&out, &[(u64::from(refs[0]), i64::MIN, i64::MAX)]).unwrap();
    assert!(compact_blocks(&dir, &[out]).unwrap().is_none());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn crash_between_new_block_and_deletion_never_shows_data_twice() {
    let dir = temp_dir("compact-crash");
    let a = labels(&[("s", "a")]);
    let one = block(&dir, 0, 1000, &[(a.clone(), floats(0..10, 0.0))]);
    let two = block(&dir, 1000, 2000, &[(a.clone(), floats(1000..1010, 0.0))]);
    // Simulate the crash: copy the inputs away, compact, put them back.
    let keep = temp_dir("compact-crash-keep");
    for d in [&one, &two] {
        let to = keep.join(d.file_name().unwrap());
        std::fs::create_dir_all(to.join("chunks")).unwrap();
        for f in ["meta.json", "index", "tombstones", "chunks/000001"] {
            std::fs::copy(d.join(f), to.join(f)).unwrap();
        }
    }
    let out = compact_blocks(&dir, &[one.clone(), two.clone()]).unwrap().unwrap();
    for d in [&one, &two] {
        std::fs::rename(keep.join(d.file_name().unwrap()), d).unwrap();
    }
    // A leftover temporary directory must be ignored too.
    std::fs::create_dir_all(dir.join("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation")).unwrap();
    let (live, obsolete) = scan_blocks(&dir).unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].dir, out);
    assert_eq!(obsolete.len(), 2);
    assert_data(&dir, &[(a, floats((0..10).chain(1000..1010), 0.0))]);
    let removed = remove_obsolete(&dir).unwrap();
    assert_eq!(removed.len(), 3);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}

#[test]
fn planned_compaction_merges_full_ranges() {
    let dir = temp_dir("compact-plan");
    let a = labels(&[("s", "a")]);
    for k in 0..4 {
        block(
            &dir,
            k * 2 * H,
            (k + 1) * 2 * H,
            &[(a.clone(), floats([k * 2 * H, k * 2 * H + 1], 0.0))],
        );
    }
    let ranges = block_ranges(TWO_HOURS_MS, 18 * H);
    let created = compact_planned(&dir, &ranges).unwrap();
    assert_eq!(created.len(), 1);
    let live = live_blocks(&dir).unwrap();
    let spans: Vec<_> = live
        .iter()
        .map(|b| (b.meta.min_time / H, b.meta.max_time / H))
        .collect();
    assert_eq!(spans, [(0, 6), (6, 8)]);
    assert_data(
        &dir,
        &[(a, floats((0..4).flat_map(|k| [k * 2 * H, k * 2 * H + 1]), 0.0))],
    );
}
