//! Reads blocks written by Prometheus's own `promtool tsdb create-blocks-from openmetrics` and
//! checks that every series and sample comes back exactly as written, that matchers and label
//! APIs follow Prometheus's semantics, and that damaged files give errors, never panics.
//!
//! Needs `promtool` on PATH (Debian: `apt-get install prometheus`); without it each test prints
//! a SKIP line and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rill_model::{Chunk, MatchOp, Matcher, Queryable, SelectHints, Value};
use rill_tsdb::Db;
use rill_tsdb::decode::decode_chunk;

/// Expected data: series (formatted labels) → samples (ms, value).
type Expected = BTreeMap<String, Vec<(i64, f64)>>;

const START_S: i64 = 1_700_000_000;

mod promtool_support;
use promtool_support::{promtool_available, temp_dir};

/// Writes an OpenMetrics file with two counters and a gauge over 3 hours (so promtool cuts two
/// blocks and every series spans both), and returns what Rill must read back.
fn write_openmetrics(path: &Path) -> Expected {
    let mut text = String::from("# HELP test_requests_total Requests.\n# TYPE test_requests_total counter\n");
    let mut want = Expected::new();
    for (inst, base) in [("i1", 0.0), ("i2", 100.0)] {
        let key = format!(r#"test_requests_total{{instance="{inst}", job="api"}}"#);
        for k in 0..720i64 {
            let (t_ms, v) = ((START_S + k * 15) * 1000 + k % 1000, base + k as f64 * 1.5);
            text += &format!(
                "test_requests_total{{instance=\"{inst}\",job=\"api\"}} {v} {}.{:03}\n",
                t_ms / 1000,
                t_ms % 1000
            );
            want.entry(key.clone()).or_default().push((t_ms, v));
        }
    }
    text += "# HELP test_temp Temperature.\n# TYPE test_temp gauge\n";
    let key = r#"test_temp{job="node", zone="b"}"#.to_string();
    for k in 0..720i64 {
        let v = 3.0 - (k % 37) as f64 * 0.25 + if k % 5 == 0 { 1e-9 } else { 0.0 };
        text += &format!("test_temp{{job=\"node\",zone=\"b\"}} {v:?} {}\n", START_S + k * 15);
        want.entry(key.clone())
            .or_default()
            .push(((START_S + k * 15) * 1000, v));
    }
    text += "# EOF\n";
    std::fs::write(path, text).expect("write openmetrics");
    want
}

/// Generates the blocks with promtool into `dir/data` and returns the data dir and expectations.
fn make_blocks(name: &str) -> (PathBuf, Expected) {
    let dir = temp_dir(name);
    let om = dir.join("input.om");
    let want = write_openmetrics(&om);
    let data = dir.join("data");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (data, want)
}

fn re(name: &str, op: MatchOp, value: &str) -> Matcher {
    Matcher::new(op, name, value).expect("valid matcher")
}

/// Reads every selected series and sample through the storage traits.
fn read_all(db: &dyn Queryable, mint: i64, maxt: i64, matchers: &[Matcher]) -> rill_model::Result<Expected> {
    let q = db.querier(mint, maxt)?;
    let mut set = q.select(&SelectHints::default(), matchers)?;
    let mut got = Expected::new();
    let mut prev: Option<rill_model::Labels> = None;
    while let Some(series) = set.next()? {
        assert!(
            prev.as_ref().is_none_or(|p| *p < series.labels),
            "series out of label order"
        );
        prev = Some(series.labels.clone());
        let mut chunks = series.chunks;
        let samples = got.entry(series.labels.to_string()).or_default();
        while let Some(chunk) = chunks.next()? {
            let mut decoded = Vec::new();
            match chunk {
                Chunk::Encoded { encoding, data, .. } => decode_chunk(encoding, &data, &mut decoded)
                    .map_err(|e| rill_model::Error::Storage(e.to_string()))?,
                Chunk::Decoded { samples, range } => decoded.extend(samples.get(range).unwrap_or_default().to_vec()),
            }
            for s in decoded {
                match s.v {
                    Value::Float(f) => samples.push((s.t, f)),
                    Value::Histogram(_) => panic!("unexpected histogram"),
                }
            }
        }
    }
    Ok(got)
}

fn only(want: &Expected, keys: &[&str]) -> Expected {
    want.iter()
        .filter(|(k, _)| keys.iter().any(|needle| k.contains(needle)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn every_sample_reads_back() {
    if !promtool_available() {
        return;
    }
    let (data, want) = make_blocks("all");
    let db = Db::open_read_only(&data).expect("open blocks");
    assert!(db.blocks().blocks().len() >= 2, "expected several blocks");
    let got = read_all(&db, i64::MIN, i64::MAX, &[re("__name__", MatchOp::Regex, ".+")]).expect("read");
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
    for (k, w) in &want {
        let g = &got[k];
        assert_eq!(g.len(), w.len(), "{k}");
        for (a, b) in g.iter().zip(w) {
            assert_eq!(a.0, b.0, "{k}");
            assert_eq!(a.1.to_bits(), b.1.to_bits(), "{k} at {}", a.0);
        }
    }
    // A narrow range only reads overlapping chunks; the samples inside the range are all there.
    let (lo, hi) = ((START_S + 3600) * 1000, (START_S + 3700) * 1000);
    let got = read_all(&db, lo, hi, &[Matcher::equal("job", "node")]).expect("read range");
    let inside: Vec<_> = want[r#"test_temp{job="node", zone="b"}"#]
        .iter()
        .filter(|(t, _)| (lo..=hi).contains(t))
        .copied()
        .collect();
    let series = &got[r#"test_temp{job="node", zone="b"}"#];
    assert!(series.len() < 720, "chunks outside the range were returned");
    let got_inside: Vec<_> = series.iter().filter(|(t, _)| (lo..=hi).contains(t)).copied().collect();
    assert_eq!(got_inside, inside);
}

#[test]
fn matchers_and_label_apis_follow_prometheus() {
    if !promtool_available() {
        return;
    }
    let (data, want) = make_blocks("matchers");
    let db = Db::open_read_only(&data).expect("open blocks");
    let (i1, i2, temp) = (r#"instance="i1""#, r#"instance="i2""#, "test_temp");
    let cases: Vec<(Vec<Matcher>, Vec<&str>)> = vec![
        (vec![Matcher::equal("job", "api")], vec![i1, i2]),
        (
            vec![Matcher::equal("job", "api"), re("instance", MatchOp::NotEqual, "i1")],
            vec![i2],
        ),
        (vec![re("instance", MatchOp::NotEqual, "i1")], vec![i2, temp]),
        (vec![Matcher::equal("instance", "")], vec![temp]),
        (vec![re("instance", MatchOp::Regex, "i1|i2")], vec![i1, i2]),
        (vec![re("instance", MatchOp::Regex, "i.*")], vec![i1, i2]),
        (vec![re("instance", MatchOp::NotRegex, "i[2-9]")], vec![i1, temp]),
        (
            vec![re("zone", MatchOp::Regex, ".*"), Matcher::equal("job", "node")],
            vec![temp],
        ),
        (vec![re("__name__", MatchOp::Regex, "test_.+_total")], vec![i1, i2]),
        (vec![Matcher::equal("job", "nope")], vec![]),
        (vec![re("instance", MatchOp::Regex, "")], vec![temp]),
    ];
    for (matchers, keys) in cases {
        let got = read_all(&db, i64::MIN, i64::MAX, &matchers).expect("select");
        assert_eq!(got, only(&want, &keys), "matchers {matchers:?}");
    }
    let q = db.querier(i64::MIN, i64::MAX).expect("querier");
    assert_eq!(q.label_names(&[]).unwrap(), ["__name__", "instance", "job", "zone"]);
    assert_eq!(
        q.label_names(&[Matcher::equal("job", "node")]).unwrap(),
        ["__name__", "job", "zone"]
    );
    assert_eq!(q.label_values("instance", &[]).unwrap(), ["i1", "i2"]);
    assert_eq!(
        q.label_values("job", &[re("instance", MatchOp::Regex, "i2")]).unwrap(),
        ["api"]
    );
    assert!(q.label_values("missing", &[]).unwrap().is_empty());
    // Before all data: no block overlaps.
    let empty = read_all(&db, 0, 1000, &[]).expect("empty range");
    assert!(empty.is_empty());
}

/// Opens and fully reads the data dir; Ok(number of series) or the first error.
fn full_read(data: &Path) -> Result<usize, String> {
    let db = Db::open_read_only(data).map_err(|e| e.to_string())?;
    let series =
        read_all(&db, i64::MIN, i64::MAX, &[re("__name__", MatchOp::Regex, ".*")]).map_err(|e| e.to_string())?;
    // Touch every postings list too.
    let q = db.querier(i64::MIN, i64::MAX).map_err(|e| e.to_string())?;
    for name in q.label_names(&[]).map_err(|e| e.to_string())? {
        for value in q.label_values(&name, &[]).map_err(|e| e.to_string())? {
            read_all(&db, i64::MIN, i64::MAX, &[Matcher::equal(name.as_str(), value)]).map_err(|e| e.to_string())?;
        }
    }
    Ok(series.len())
}

fn block_file(data: &Path, rel: &str) -> PathBuf {
    let block = std::fs::read_dir(data)
        .expect("data dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("meta.json").is_file())
        .expect("a block");
    block.join(rel)
}

#[test]
fn damaged_files_give_errors_not_panics() {
    if !promtool_available() {
        return;
    }
    let (data, _) = make_blocks("corrupt");
    for rel in ["index", "chunks/000001", "tombstones"] {
        let path = block_file(&data, rel);
        let original = std::fs::read(&path).expect("read block file");
        let (mut flipped_errors, mut truncated_errors) = (0, 0);
        for i in 0..original.len() {
            let mut bad = original.clone();
            bad[i] ^= 1 << (i % 8);
            std::fs::write(&path, &bad).expect("write");
            if let Err(e) = full_read(&data) {
                assert!(
                    e.contains(rel.rsplit('/').next().unwrap_or(rel)),
                    "error does not name the file: {e}"
                );
                flipped_errors += 1;
            }
        }
        for len in 0..original.len() {
            std::fs::write(&path, &original[..len]).expect("write");
            if full_read(&data).is_err() {
                truncated_errors += 1;
            }
        }
        std::fs::write(&path, &original).expect("restore");
        assert!(full_read(&data).is_ok());
        println!(
            "{rel}: {flipped_errors}/{} bit flips and {truncated_errors}/{} truncations detected",
            original.len(),
            original.len()
        );
        // Chunk files and tombstones are fully covered by CRCs; the index has unread legacy
        // sections (label indices, label offset table: ~20% of this small file), so flips
        // there are harmless.
        if rel != "index" {
            assert!(flipped_errors + 3 >= original.len(), "{rel}: undetected flips");
        } else {
            assert!(
                flipped_errors * 10 >= original.len() * 7,
                "{rel}: too many undetected flips"
            );
        }
        assert_eq!(truncated_errors, original.len(), "{rel}: a truncation went unnoticed");
    }
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[test]
fn tombstones_hide_deleted_samples() {
    if !promtool_available() {
        return;
    }
    let (data, want) = make_blocks("tombstones");
    let key = r#"test_requests_total{instance="i2", job="api"}"#;
    // Delete a range of i2 in every block (the range only exists in one of them).
    let (del_lo, del_hi) = ((START_S + 600) * 1000, (START_S + 1200) * 1000);
    for block in rill_tsdb::BlockSet::open(&data).expect("open").blocks() {
        let mut refs = block.postings(&[Matcher::equal("instance", "i2")]).expect("postings");
        let mut body = Vec::new();
        while let Some(r) = refs.next() {
            put_uvarint(&mut body, u64::from(r));
            for t in [del_lo, del_hi] {
                put_uvarint(&mut body, ((t << 1) ^ (t >> 63)) as u64);
            }
        }
        let mut file = 0x0130_BA30u32.to_be_bytes().to_vec();
        file.push(1);
        file.extend_from_slice(&body);
        file.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
        std::fs::write(block.dir().join("tombstones"), file).expect("write tombstones");
    }
    let db = Db::open_read_only(&data).expect("reopen");
    let got = read_all(&db, i64::MIN, i64::MAX, &[]).expect("read");
    let expected: Vec<_> = want[key]
        .iter()
        .filter(|(t, _)| !(del_lo..=del_hi).contains(t))
        .copied()
        .collect();
    assert!(expected.len() < want[key].len());
    assert_eq!(got[key], expected);
    let other = r#"test_requests_total{instance="i1", job="api"}"#;
    assert_eq!(got[other], want[other]);
}

#[test]
fn overlapping_blocks_merge_without_duplicates() {
    if !promtool_available() {
        return;
    }
    let (data, want) = make_blocks("overlap");
    // A second import of the gauge: every 4th original sample again (duplicates) plus new
    // samples 7 s after them, written to the same data dir as extra, overlapping blocks.
    let key = r#"test_temp{job="node", zone="b"}"#;
    let mut text = String::from("# HELP test_temp Temperature.\n# TYPE test_temp gauge\n");
    let mut merged: BTreeMap<i64, f64> = want[key].iter().copied().collect();
    for &(t, v) in want[key].iter().step_by(4) {
        text += &format!("test_temp{{job=\"node\",zone=\"b\"}} {v:?} {}\n", t / 1000);
        text += &format!("test_temp{{job=\"node\",zone=\"b\"}} 42.5 {}\n", t / 1000 + 7);
        merged.insert(t + 7000, 42.5);
    }
    text += "# EOF\n";
    let om = data.with_file_name("second.om");
    std::fs::write(&om, text).expect("write second file");
    let second = data.with_file_name("second");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&second)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for entry in std::fs::read_dir(&second).expect("second dir").flatten() {
        std::fs::rename(entry.path(), data.join(entry.file_name())).expect("move block");
    }
    let db = Db::open_read_only(&data).expect("open");
    assert!(db.blocks().blocks().len() >= 4);
    let got = read_all(&db, i64::MIN, i64::MAX, &[Matcher::equal("job", "node")]).expect("read");
    let expected: Vec<(i64, f64)> = merged.into_iter().collect();
    assert_eq!(got[key], expected);
}
