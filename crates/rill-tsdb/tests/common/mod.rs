//! Helpers shared by the Db integration tests: read every sample a `Queryable` returns.

#![allow(dead_code)]

use rill_model::{Chunk, Labels, Matcher, Queryable, Sample, SelectHints};

/// The samples of `series`, in time order.
pub fn series_samples(series: rill_model::Series) -> Vec<Sample> {
    let mut chunks = series.chunks;
    let mut got = Vec::new();
    while let Some(c) = chunks.next().expect("next chunk") {
        match c {
            Chunk::Encoded { encoding, data, .. } => {
                rill_tsdb::decode::decode_chunk(encoding, &data, &mut got).expect("decode")
            }
            Chunk::Decoded { samples, range } => got.extend(samples[range].iter().cloned()),
        }
    }
    got
}

/// All samples of the series matching `matchers`, per series, in time order.
pub fn samples(q: &dyn Queryable, matchers: &[Matcher]) -> Vec<(Labels, Vec<Sample>)> {
    let querier = q.querier(i64::MIN, i64::MAX).expect("querier");
    let mut set = querier.select(&SelectHints::default(), matchers).expect("select");
    let mut out = Vec::new();
    while let Some(series) = set.next().expect("next series") {
        let labels = series.labels.clone();
        out.push((labels, series_samples(series)));
    }
    out
}

/// Copies the directory tree `from` to `to` (e.g. a data directory before damaging it).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}
