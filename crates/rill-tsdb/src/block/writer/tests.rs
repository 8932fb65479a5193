//! Round trips through the block reader: hand-made series of every kind, big symbol tables,
//! many segments, and the writer's contract checks.

use rill_codec::histogram_meta::CounterResetHeader;
use rill_model::{ChunkEncoding, CounterResetHint, MatchOp, Matcher, Sample, stale_nan};

use super::*;
use crate::block::Block;
use crate::block::postings::collect;
use crate::test_util::{assert_data, histogram, hsample, labels, temp_dir};

const T0: i64 = 1_700_000_000_000;

fn write(dir: &Path, series: &[(Labels, Vec<Sample>)], opts: WriterOptions) -> WrittenBlock {
    let maxt = series
        .iter()
        .flat_map(|(_, s)| s.last())
        .map(|s| s.t)
        .max()
        .unwrap_or(T0)
        + 1;
    let mut w = BlockWriter::with_options(dir, T0, maxt, opts).unwrap();
    for (l, s) in series {
        w.add_series(l, s.iter().cloned()).unwrap();
    }
    w.finish().unwrap().expect("a block")
}

fn mixed_series() -> Vec<(Labels, Vec<Sample>)> {
    let floats: Vec<Sample> = (0..300)
        .map(|i| {
            let v = match i {
                150 => stale_nan(),
                151 => f64::NAN,
                _ => i as f64 * 0.5,
            };
            Sample::float(T0 + i * 15_000, v)
        })
        .collect();
    let counter: Vec<Sample> = (0..250)
        .map(|i| {
            // Reset at 100, wider layout from 180, a stale marker at 200.
            let k = if i < 100 { i + 1 } else { i - 99 } as f64;
            let h = if i == 200 {
                // Stale markers carry no buckets (as Prometheus writes them).
                rill_model::FloatHistogram {
                    sum: stale_nan(),
                    ..Default::default()
                }
            } else {
                histogram(k, i >= 180, CounterResetHint::Unknown)
            };
            hsample(T0 + i * 10_000, h)
        })
        .collect();
    let gauge: Vec<Sample> = (0..50)
        .map(|i| {
            hsample(
                T0 + i * 60_000,
                histogram((i % 7) as f64, false, CounterResetHint::Gauge),
            )
        })
        .collect();
    let mixed: Vec<Sample> = (0..30)
        .map(|i| {
            if (10..20).contains(&i) {
                hsample(T0 + i * 1000, histogram(i as f64, false, CounterResetHint::Unknown))
            } else {
                Sample::float(T0 + i * 1000, i as f64)
            }
        })
        .collect();
    vec![
        (labels(&[("__name__", "a_float"), ("job", "x")]), floats),
        (labels(&[("__name__", "b_hist")]), counter),
        (labels(&[("__name__", "c_gauge_hist"), ("zone", "é")]), gauge),
        (labels(&[("__name__", "d_mixed")]), mixed),
    ]
}

#[test]
fn round_trips_floats_histograms_and_stale_markers() {
    let dir = temp_dir("rt");
    let series = mixed_series();
    let b = write(&dir, &series, WriterOptions::default());
    assert_eq!(b.dir, dir.join(&b.meta.ulid));
    assert_eq!(b.meta.stats.num_series, 4);
    assert_eq!(b.meta.stats.num_samples, 630);
    assert_eq!(b.meta.stats.num_histogram_samples, 310);
    assert_eq!(b.meta.compaction.level, 1);
    assert_eq!(b.meta.compaction.sources, std::slice::from_ref(&b.meta.ulid));
    assert_data(&dir, &series);

    // Chunking: 120-sample cuts, histogram cuts at the reset, the layout change and after the
    // stale marker (only stale markers may follow one in a chunk), floats and histograms never
    // share a chunk; the reset chunk says so in its header.
    let block = Block::open(&b.dir).unwrap();
    assert_eq!(block.meta(), &b.meta);
    let mut p = block.index().all_postings().unwrap();
    let mut shapes = Vec::new();
    while let Some(r) = p.next() {
        let s = block.series(r).unwrap();
        let mut shape = Vec::new();
        for c in &s.chunks {
            let raw = block.chunks().chunk(c.chunk_ref).unwrap();
            let n = u16::from_be_bytes([raw.data[0], raw.data[1]]);
            assert!(n <= SAMPLES_PER_CHUNK);
            let header = match raw.encoding {
                ChunkEncoding::Xor => None,
                _ => Some(CounterResetHeader::from_flags(raw.data[2])),
            };
            shape.push((raw.encoding, n, header));
        }
        shapes.push(shape);
    }
    use ChunkEncoding::{FloatHistogram as H, Xor};
    assert_eq!(shapes[0], [(Xor, 120, None), (Xor, 120, None), (Xor, 60, None)]);
    let unknown = Some(CounterResetHeader::Unknown);
    assert_eq!(
        shapes[1],
        [
            (H, 100, unknown),
            (H, 80, Some(CounterResetHeader::CounterReset)),
            (H, 21, unknown),
            (H, 49, unknown)
        ]
    );
    assert_eq!(shapes[2], [(H, 50, Some(CounterResetHeader::Gauge))]);
    assert_eq!(shapes[3], [(Xor, 10, None), (H, 10, unknown), (Xor, 10, None)]);
    // The tombstones file is valid and empty; no temporary directory is left.
    assert!(block.tombstones().is_empty());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from(&b.meta.ulid)]);
}

#[test]
fn big_symbol_tables_and_many_segments() {
    let dir = temp_dir("big");
    let mut series: Vec<(Labels, Vec<Sample>)> = (0..3000)
        .map(|i| {
            let id = format!("{i:05}-{}", "x".repeat(i % 40));
            let host = format!("h{}", i % 50);
            let l = labels(&[("__name__", "m"), ("host", &host), ("id", &id)]);
            let s = (0..(1 + i as i64 % 130))
                .map(|k| Sample::float(T0 + k * 1000, (i as i64 * k) as f64))
                .collect();
            (l, s)
        })
        .collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    let opts = WriterOptions {
        segment_size: 64 << 10,
        ..WriterOptions::default()
    };
    let b = write(&dir, &series, opts);
    let block = Block::open(&b.dir).unwrap();
    assert!(block.chunks().num_segments() > 3, "{}", block.chunks().num_segments());
    assert!(block.index().num_symbols() > 3000);
    let m = [Matcher::new(MatchOp::Equal, "host", "h7").unwrap()];
    assert_eq!(collect(block.postings(&m).unwrap()).len(), 60);
    assert_data(&dir, &series);
}

#[test]
fn enforces_its_contract() {
    let dir = temp_dir("contract");
    let mut w = BlockWriter::new(&dir, T0, T0 + 1000).unwrap();
    let (a, b) = (labels(&[("n", "a")]), labels(&[("n", "b")]));
    w.add_series(&b, [Sample::float(T0, 1.0)]).unwrap();
    let e = w.add_series(&a, [Sample::float(T0, 1.0)]).unwrap_err().to_string();
    assert!(e.contains("label order"), "{e}");
    let c = labels(&[("n", "c")]);
    let e = w
        .add_series(&c, [Sample::float(T0 + 1000, 1.0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("outside the block range"), "{e}");
    let d = labels(&[("n", "d")]);
    let e = w
        .add_series(&d, [Sample::float(T0 + 5, 1.0), Sample::float(T0 + 5, 2.0)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("increasing"), "{e}");
    drop(w);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "dropped writer leaves nothing"
    );
    let w = BlockWriter::new(&dir, T0, T0 + 1000).unwrap();
    assert!(w.finish().unwrap().is_none());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "empty block is not written"
    );
    assert!(BlockWriter::new(&dir, 5, 5).is_err());
}

#[test]
fn add_chunks_copies_encoded_chunks_and_reencodes_the_rest() {
    let src = temp_dir("chunks-src");
    let series = mixed_series();
    write(&src, &series, WriterOptions::default());
    let set = crate::querier::BlockSet::open(&src).unwrap();
    // Copy everything, but only the part from T0 + 1s on: boundary chunks are re-encoded.
    let dst = temp_dir("chunks-dst");
    let mut w = BlockWriter::new(&dst, T0 + 1000, T0 + 10_000_000).unwrap();
    let mut it = set.block_querier(i64::MIN, i64::MAX).select_series(&[]).unwrap();
    while let Some((l, mut chunks)) = it.next_chunks().unwrap() {
        w.add_chunks(&l, std::iter::from_fn(|| chunks.next_chunk().transpose()))
            .unwrap();
    }
    w.finish().unwrap().unwrap();
    let want: Vec<_> = series
        .into_iter()
        .map(|(l, s)| (l, s.into_iter().filter(|s| s.t >= T0 + 1000).collect::<Vec<_>>()))
        .collect();
    assert_data(&dst, &want);
}
