//! Opens a Prometheus data directory and decodes every sample of every block, printing the
//! decode throughput: `cargo run --release -p rill-tsdb --example scan_blocks -- DATA_DIR`.

use std::path::PathBuf;
use std::time::Instant;

use rill_model::{Chunk, MatchOp, Matcher, Queryable, SelectHints};
use rill_tsdb::Db;
use rill_tsdb::decode::decode_chunk;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: scan_blocks DATA_DIR")?);
    let t0 = Instant::now();
    let db = Db::open_read_only(&dir)?;
    let opened = t0.elapsed();
    let t1 = Instant::now();
    let q = db.querier(i64::MIN, i64::MAX)?;
    let mut set = q.select(
        &SelectHints::default(),
        &[Matcher::new(MatchOp::Regex, "__name__", ".+")?],
    )?;
    let (mut series, mut chunks, mut samples) = (0u64, 0u64, 0u64);
    let mut buf = Vec::new();
    while let Some(s) = set.next()? {
        series += 1;
        let mut it = s.chunks;
        while let Some(c) = it.next()? {
            chunks += 1;
            buf.clear();
            match c {
                Chunk::Encoded { encoding, data, .. } => decode_chunk(encoding, &data, &mut buf)?,
                Chunk::Decoded { samples, range } => buf.extend(samples.get(range).unwrap_or_default().to_vec()),
            }
            samples += buf.len() as u64;
        }
    }
    let secs = t1.elapsed().as_secs_f64();
    println!(
        "{} blocks opened in {:.1} ms; {series} series, {chunks} chunks, {samples} samples in {:.3} s = {:.1} M samples/s",
        db.blocks().blocks().len(),
        opened.as_secs_f64() * 1e3,
        secs,
        samples as f64 / secs / 1e6
    );
    Ok(())
}
