//! Db end to end: appends are visible after commit, survive reopen (WAL replay), out-of-order
//! samples within the window are merged, and the head is compacted into blocks that the Db
//! (and a fresh open) reads back, with the WAL checkpointed.

mod common;

use std::time::Duration;

use rill_model::{Appendable, FloatHistogram, Labels, Matcher, Sample, Span, Value};
use rill_tsdb::{Db, DbOptions, FsyncPolicy};

fn opts() -> DbOptions {
    DbOptions {
        fsync: FsyncPolicy::Never,
        block_duration: Duration::from_secs(100),
        ooo_window: Duration::from_secs(30),
        retention_time: None,
        ..DbOptions::default()
    }
}

fn series(name: &str) -> Labels {
    Labels::from_pairs([("__name__", name)])
}

#[test]
fn append_reopen_ooo_and_compaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts()).expect("open");
    let h = FloatHistogram {
        count: 3.0,
        sum: 4.5,
        schema: 0,
        positive_spans: vec![Span { offset: 0, length: 2 }],
        positive_buckets: vec![1.0, 2.0],
        ..FloatHistogram::default()
    };
    let mut app = db.appender();
    for t in 0..100 {
        app.append(&series("a"), Sample::float(t * 1000, t as f64))
            .expect("append");
    }
    app.append(&series("h"), Sample::histogram(5000, h.clone()))
        .expect("hist");
    app.commit().expect("commit");
    let mut app = db.appender();
    app.append(&series("a"), Sample::float(80_500, -1.0))
        .expect("ooo within window");
    assert!(matches!(
        app.append(&series("a"), Sample::float(10_500, -1.0)),
        Err(rill_model::Error::OutOfBounds { .. })
    ));
    app.commit().expect("commit");
    let a = common::samples(&db, &[Matcher::equal("__name__", "a")]);
    assert_eq!(a[0].1.len(), 101);
    assert!(a[0].1.windows(2).all(|w| w[0].t < w[1].t));
    db.close().expect("close");
    drop(db);

    let db = Db::open(dir.path(), opts()).expect("reopen");
    let a = common::samples(&db, &[Matcher::equal("__name__", "a")]);
    assert_eq!(a[0].1.len(), 101, "replayed, ooo included");
    let hs = common::samples(&db, &[Matcher::equal("__name__", "h")]);
    assert!(matches!(&hs[0].1[0].v, Value::Histogram(x) if **x == h));

    // Push the head past 1.5 block durations: the first window becomes a block.
    let mut app = db.appender();
    for t in 100..260 {
        app.append(&series("a"), Sample::float(t * 1000, t as f64))
            .expect("append");
    }
    app.commit().expect("commit");
    assert!(!db.blocks().blocks().is_empty(), "a block was written");
    assert!(db.head().min_time() >= 100_000);
    let a = common::samples(&db, &[Matcher::equal("__name__", "a")]);
    assert_eq!(a[0].1.len(), 261, "blocks + head merged without loss or duplicates");
    assert!(
        std::fs::read_dir(dir.path().join("wal"))
            .expect("wal dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("checkpoint."))
    );
    db.close().expect("close");
    drop(db);
    let db = Db::open(dir.path(), opts()).expect("reopen after compaction");
    let a = common::samples(&db, &[Matcher::equal("__name__", "a")]);
    assert_eq!(a[0].1.len(), 261);
    let mut app = db.appender();
    assert!(matches!(
        app.append(&series("a"), Sample::float(50_000, 1.0)),
        Err(rill_model::Error::OutOfBounds { .. })
    ));
}

#[test]
fn a_second_open_of_the_same_dir_fails_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts()).expect("open");
    let err = Db::open(dir.path(), opts())
        .expect_err("second open must fail")
        .to_string();
    assert!(
        err.contains(&dir.path().display().to_string()) && err.contains("in use"),
        "{err}"
    );
    assert!(Db::open_read_only(dir.path()).is_ok(), "read-only opens do not lock");
    drop(db);
    assert!(Db::open(dir.path(), opts()).is_ok(), "the lock goes with the Db");
}
