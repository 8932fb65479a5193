//! Db end to end: appends are visible after commit, survive reopen (WAL replay), out-of-order
//! samples within the window are merged, and the head is compacted into blocks that the Db
//! (and a fresh open) reads back, with the WAL checkpointed; compaction runs in the
//! background while commits are acknowledged and queries stay consistent; the data-directory
//! lock; fsync timing.

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
    db.wait_for_compaction();
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

/// `n` series `s0..` with a sample every second in `[from, to)` seconds, committed in one batch.
fn append_range(db: &Db, n: usize, from: i64, to: i64) {
    let mut app = db.appender();
    for i in 0..n {
        let l = Labels::from_pairs([("__name__", "m"), ("i", &i.to_string())]);
        for t in from..to {
            app.append(&l, Sample::float(t * 1000, t as f64)).expect("append");
        }
    }
    app.commit().expect("commit");
}

/// Polls `cond` for up to 30 s; fails saying `what` did not happen.
fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn total_samples(db: &Db) -> usize {
    common::samples(db, &[Matcher::equal("__name__", "m")])
        .iter()
        .map(|(_, s)| {
            assert!(s.windows(2).all(|w| w[0].t < w[1].t), "no sample twice");
            s.len()
        })
        .sum()
}

#[test]
fn commits_are_acknowledged_and_queries_consistent_while_a_compaction_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts()).expect("open");
    append_range(&db, 50, 0, 140);
    assert_eq!(total_samples(&db), 50 * 140);
    // A query that started before the compaction holds its view of the head: the compaction
    // writes and publishes the block, then waits for it before dropping head data.
    let old_query = rill_model::Queryable::querier(&db, 0, i64::MAX).expect("querier");
    append_range(&db, 50, 140, 160); // the head now spans 160 s > 1.5 × 100 s
    wait_until("the compactor writes a block", || !db.blocks().blocks().is_empty());
    assert!(
        db.head().min_time() < 100_000,
        "the head still holds the window: compaction is waiting"
    );
    // Meanwhile commits are acknowledged (the commit lock is free) and new queries see every
    // sample exactly once (the block below the cutoff, the head above).
    for t in 160..170 {
        append_range(&db, 50, t, t + 1);
        assert_eq!(total_samples(&db), 50 * (t as usize + 1));
    }
    let mut set = old_query
        .select(&rill_model::SelectHints::default(), &[Matcher::equal("__name__", "m")])
        .expect("select");
    let mut n = 0;
    while let Some(s) = set.next().expect("next") {
        n += common::series_samples(s).len();
    }
    assert!(n >= 50 * 160, "the old query still reads its data: {n}");
    drop(set);
    drop(old_query);
    db.wait_for_compaction();
    wait_until("the compaction finishes", || db.head().min_time() >= 100_000);
    assert_eq!(total_samples(&db), 50 * 170);
    db.close().expect("close stops the compactor");
    append_range(&db, 50, 170, 171);
    drop(db);
    let db = Db::open(dir.path(), opts()).expect("reopen");
    assert_eq!(total_samples(&db), 50 * 171);
}

#[test]
fn fsyncs_are_timed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(
        dir.path(),
        DbOptions {
            fsync: FsyncPolicy::Always,
            ..opts()
        },
    )
    .expect("open");
    for t in 0..3 {
        append_range(&db, 1, t, t + 1);
    }
    let snap = db.fsync_stats().snapshot();
    assert_eq!(snap.count, 3, "one fsync per commit");
    assert!(snap.sum_seconds > 0.0);
    assert!(snap.buckets.last().is_some_and(|b| b.1 <= 3));
}

#[test]
fn close_interrupts_a_compaction_waiting_for_a_query_and_nothing_is_doubled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(dir.path(), opts()).expect("open");
    append_range(&db, 10, 0, 140);
    let held = rill_model::Queryable::querier(&db, 0, i64::MAX).expect("querier");
    append_range(&db, 10, 140, 160);
    wait_until("the compactor writes a block", || !db.blocks().blocks().is_empty());
    let started = std::time::Instant::now();
    db.close().expect("close");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "close does not wait for the query"
    );
    assert!(
        db.head().min_time() < 100_000,
        "the interrupted compaction left the head as it was"
    );
    assert_eq!(total_samples(&db), 10 * 160, "the window is read from the block only");
    drop(held);
    db.compact().expect("resume");
    assert_eq!(
        db.blocks().blocks().len(),
        1,
        "the persisted window is not written again"
    );
    assert!(db.head().min_time() >= 100_000);
    assert_eq!(total_samples(&db), 10 * 160);
    drop(db);
    let db = Db::open(dir.path(), opts()).expect("reopen");
    assert_eq!(total_samples(&db), 10 * 160);
}
