//! Helpers shared by the unit tests of the write path: scratch directories, sample
//! construction and exact (bitwise, hint-insensitive) sample comparison.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rill_model::{CounterResetHint, FloatHistogram, Labels, Sample, Span, Value};

use crate::dump::dump_samples;
use crate::querier::BlockSet;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty scratch directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rill-tsdb-w-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Labels from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

/// A counter-like histogram with two positive buckets (or three if `wide`), scaled by `k`.
pub fn histogram(k: f64, wide: bool, hint: CounterResetHint) -> FloatHistogram {
    let n = if wide { 3 } else { 2 };
    let buckets: Vec<f64> = (0..n).map(|i| k * (i + 1) as f64).collect();
    FloatHistogram {
        counter_reset_hint: hint,
        schema: 1,
        zero_threshold: 0.001,
        zero_count: k,
        count: k + buckets.iter().sum::<f64>(),
        sum: k * 2.5,
        positive_spans: vec![Span { offset: 1, length: n }],
        positive_buckets: buckets,
        ..FloatHistogram::default()
    }
}

/// A histogram sample.
pub fn hsample(t: i64, h: FloatHistogram) -> Sample {
    Sample::histogram(t, Arc::new(h))
}

/// A comparable form of a sample: float bits, or the histogram with its hint and sum cleared
/// plus the sum's bits (decoding reports hints per chunk position, not as written).
fn key(s: &Sample) -> (i64, u64, Option<FloatHistogram>) {
    match &s.v {
        Value::Float(f) => (s.t, f.to_bits(), None),
        Value::Histogram(h) => {
            let mut c = (**h).clone();
            c.counter_reset_hint = CounterResetHint::Unknown;
            let sum = c.sum.to_bits();
            c.sum = 0.0;
            (s.t, sum, Some(c))
        }
    }
}

/// Asserts two sample lists are identical (bitwise floats, histograms ignoring hints).
pub fn assert_same(what: &str, got: &[Sample], want: &[Sample]) {
    assert_eq!(got.len(), want.len(), "{what}: sample count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(key(g), key(w), "{what}: sample {i}");
    }
}

/// Every series and sample of the live blocks in `dir`.
pub fn read_all(dir: &Path) -> Vec<(Labels, Vec<Sample>)> {
    let set = BlockSet::open(dir).expect("open blocks");
    dump_samples(&set, i64::MIN, i64::MAX).expect("dump")
}

/// Asserts the data dir holds exactly `want`.
pub fn assert_data(dir: &Path, want: &[(Labels, Vec<Sample>)]) {
    let got = read_all(dir);
    let names = |v: &[(Labels, Vec<Sample>)]| v.iter().map(|(l, _)| l.to_string()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(want));
    for ((l, g), (_, w)) in got.iter().zip(want) {
        assert_same(&l.to_string(), g, w);
    }
}
