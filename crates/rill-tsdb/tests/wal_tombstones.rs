//! WAL tombstones (record type 3) on replay: a hand-built WAL with series, samples and
//! tombstones is opened by a `Db`; the deleted ranges are not returned, also after the WAL
//! was condensed into a checkpoint, and not written into the block the head compacts into.

mod common;

use std::path::Path;
use std::time::Duration;

use rill_model::{Labels, Matcher};
use rill_tsdb::wal::record::{RefSample, RefSeries, Tombstone, encode_samples, encode_series, encode_tombstones};
use rill_tsdb::wal::{FsyncPolicy, WalOptions, WalWriter};
use rill_tsdb::{Db, DbOptions};

fn opts() -> DbOptions {
    DbOptions {
        fsync: FsyncPolicy::Never,
        block_duration: Duration::from_secs(100),
        retention_time: None,
        auto_compact: false,
        ..DbOptions::default()
    }
}

fn labels(name: &str) -> Labels {
    Labels::from_pairs([("__name__", name)])
}

/// Series 1 (`a`) and 2 (`b`) with a sample every second for 0..20 s; tombstones delete
/// `a` in [5 s, 9 s] and [15 s, 15 s], and `b` entirely. Returns the last segment written.
fn write_wal(wal: &Path) -> u64 {
    std::fs::create_dir_all(wal).expect("wal dir");
    let mut w = WalWriter::create(
        wal,
        0,
        WalOptions {
            fsync: FsyncPolicy::Never,
            ..WalOptions::default()
        },
    )
    .expect("wal writer");
    let mut rec = Vec::new();
    encode_series(
        &[
            RefSeries {
                series_ref: 1,
                labels: labels("a"),
            },
            RefSeries {
                series_ref: 2,
                labels: labels("b"),
            },
        ],
        &mut rec,
    );
    w.log(&[&rec]).expect("log series");
    for t in 0..20 {
        rec.clear();
        let batch: Vec<RefSample> = [1, 2]
            .map(|series_ref| RefSample {
                series_ref,
                t: t * 1000,
                v: t as f64,
            })
            .to_vec();
        encode_samples(&batch, &mut rec);
        w.log(&[&rec]).expect("log samples");
        if t == 10 {
            // Prometheus logs a deletion when it happens: here after the samples up to 10 s.
            rec.clear();
            encode_tombstones(
                &[
                    Tombstone {
                        series_ref: 1,
                        mint: 5000,
                        maxt: 9000,
                    },
                    Tombstone {
                        series_ref: 2,
                        mint: i64::MIN,
                        maxt: i64::MAX,
                    },
                ],
                &mut rec,
            );
            w.log(&[&rec]).expect("log tombstones");
        }
    }
    rec.clear();
    encode_tombstones(
        &[Tombstone {
            series_ref: 1,
            mint: 15000,
            maxt: 15000,
        }],
        &mut rec,
    );
    w.log(&[&rec]).expect("log tombstone");
    let last = w.next_segment().expect("finish segment");
    w.close().expect("close");
    last
}

fn expected_a() -> Vec<i64> {
    (0..20)
        .map(|t| t * 1000)
        .filter(|t| !(5000..=9000).contains(t) && *t != 15000)
        .collect()
}

fn times(db: &Db, name: &str) -> Vec<i64> {
    common::samples(db, &[Matcher::equal("__name__", name)])
        .into_iter()
        .flat_map(|(_, s)| s.into_iter().map(|s| s.t))
        .collect()
}

#[test]
fn deleted_ranges_are_not_returned_after_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_wal(&dir.path().join("wal"));
    let db = Db::open(dir.path(), opts()).expect("open");
    assert_eq!(db.replay_stats().tombstones, 3);
    assert_eq!(times(&db, "a"), expected_a());
    assert!(times(&db, "b").is_empty(), "b is deleted entirely");
    // A query range inside a deleted interval sees nothing; one beside it sees its samples.
    let q = rill_model::Queryable::querier(&db, 5000, 9000).expect("querier");
    let mut set = q
        .select(&rill_model::SelectHints::default(), &[Matcher::equal("__name__", "a")])
        .expect("select");
    assert!(set.next().expect("next").is_none());
}

#[test]
fn tombstones_survive_a_checkpoint_and_compaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wal = dir.path().join("wal");
    let last = write_wal(&wal);
    let stats = rill_tsdb::wal::checkpoint::checkpoint(&wal, last, |_| true, 0).expect("checkpoint");
    assert_eq!(stats.segments_removed, 1);
    let db = Db::open(dir.path(), opts()).expect("open from checkpoint");
    assert_eq!(db.replay_stats().wal.checkpoint, Some(last));
    assert_eq!(db.replay_stats().tombstones, 3);
    assert_eq!(times(&db, "a"), expected_a());
    assert!(times(&db, "b").is_empty());

    // The head's window [0, 100 s) becomes a block without the deleted samples.
    let block = db.compact_oldest_window().expect("compact").expect("a block");
    assert!(db.head().num_series() == 0);
    let blocks = rill_tsdb::BlockSet::open(dir.path()).expect("blocks");
    assert_eq!(blocks.blocks().len(), 1);
    assert_eq!(blocks.blocks()[0].dir(), block.as_path());
    assert_eq!(times(&db, "a"), expected_a());
    assert!(times(&db, "b").is_empty());
}
