//! Damaged WAL segments and checkpoints: truncation anywhere in the last segment is repaired
//! (a prefix of the commits survives); random bit flips anywhere, in segments or checkpoints,
//! give a clean open or a clear error — never a panic.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rill_model::{Appendable, Labels, Matcher, Sample};
use rill_tsdb::{Db, DbOptions, FsyncPolicy};

fn opts() -> DbOptions {
    DbOptions {
        fsync: FsyncPolicy::Never,
        segment_size: 32 * 1024,
        block_duration: Duration::from_millis(1000),
        retention_time: None,
        ..DbOptions::default()
    }
}

fn fill(dir: &Path, batches: i64) {
    let db = Db::open(dir, opts()).expect("open");
    for b in 0..batches {
        let mut app = db.appender();
        for s in 0..5 {
            let l = Labels::from_pairs([("__name__", "m".to_string()), ("s", s.to_string())]);
            app.append(&l, Sample::float(b * 10, b as f64)).expect("append");
        }
        app.commit().expect("commit");
        // Deterministic layout: each compaction finishes before the next commit.
        db.wait_for_compaction();
    }
    db.close().expect("close");
}

fn wal_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(wal_files(&p));
        } else if std::fs::metadata(&p).map(|m| m.len() > 0).unwrap_or(false) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn timestamps(db: &Db) -> Vec<i64> {
    let got = common::samples(db, &[Matcher::equal("s", "0")]);
    got.into_iter().flat_map(|(_, s)| s.into_iter().map(|s| s.t)).collect()
}

#[test]
fn truncated_last_segment_keeps_a_prefix() {
    let base = tempfile::tempdir().expect("tempdir");
    let src = base.path().join("src");
    fill(&src, 300);
    let files = wal_files(&src.join("wal"));
    let last = files
        .iter()
        .rfind(|p| p.parent().is_some_and(|d| d.ends_with("wal")))
        .expect("a segment")
        .clone();
    let len = std::fs::metadata(&last).expect("meta").len();
    let mut seed = 42u64;
    for i in 0..40 {
        let dir = base.path().join(format!("t{i}"));
        common::copy_dir(&src, &dir);
        let seg = dir.join("wal").join(last.file_name().expect("name"));
        let cut = rng(&mut seed) % len;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&seg)
            .expect("open")
            .set_len(cut)
            .expect("truncate");
        let db = Db::open(&dir, opts()).expect("a torn tail is repaired");
        let ts = timestamps(&db);
        // Whatever survives is a gap-free prefix.
        assert!(
            ts.windows(2).all(|w| w[1] - w[0] == 10),
            "gap after truncating at {cut}: {ts:?}"
        );
        drop(db);
        let again = Db::open(&dir, opts()).expect("reopen");
        assert_eq!(timestamps(&again), ts, "second open changes nothing");
    }
}

#[test]
fn bit_flips_never_panic() {
    let base = tempfile::tempdir().expect("tempdir");
    let src = base.path().join("src");
    fill(&src, 400);
    let files = wal_files(&src.join("wal"));
    assert!(
        files.iter().any(|p| p.to_string_lossy().contains("checkpoint.")),
        "no checkpoint: {files:?}"
    );
    let (mut ok, mut errors) = (0, 0);
    let mut seed = 7u64;
    for i in 0..120 {
        let dir = base.path().join(format!("f{i}"));
        common::copy_dir(&src, &dir);
        let rel = files[(rng(&mut seed) as usize) % files.len()]
            .strip_prefix(&src)
            .expect("rel")
            .to_path_buf();
        let target = dir.join(&rel);
        let mut data = std::fs::read(&target).expect("read");
        for _ in 0..1 + rng(&mut seed) % 3 {
            let at = (rng(&mut seed) as usize) % data.len();
            data[at] ^= 1 << (rng(&mut seed) % 8);
        }
        if i % 4 == 0 {
            let cut = (rng(&mut seed) as usize) % data.len();
            data.truncate(cut);
        }
        std::fs::write(&target, &data).expect("write");
        match Db::open(&dir, opts()) {
            Ok(db) => {
                ok += 1;
                let _ = timestamps(&db);
            }
            Err(e) => {
                errors += 1;
                let msg = e.to_string();
                assert!(msg.contains("wal"), "error does not name the file: {msg}");
            }
        }
    }
    println!("bit flips: {ok} opened (repaired or harmless), {errors} clear errors");
    assert_eq!(ok + errors, 120);
}
