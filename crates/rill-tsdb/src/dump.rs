//! Every sample of a set of blocks, decoded: what `promtool tsdb dump` prints, as data. Used
//! by tests that compare data directories and by tools that export data.

use rill_model::{Chunk, Labels, Sample};

use crate::decode::decode_chunk;
use crate::error::{Error, Result};
use crate::querier::BlockSet;

/// The series of `set` with samples in `[mint, maxt]`, in label order, each with its samples
/// in time order (merged across blocks, duplicates and deleted samples dropped).
pub fn dump_samples(set: &BlockSet, mint: i64, maxt: i64) -> Result<Vec<(Labels, Vec<Sample>)>> {
    let mut out = Vec::new();
    let mut series = set.block_querier(mint, maxt).select_series(&[])?;
    while let Some((labels, mut chunks)) = series.next_chunks()? {
        let mut samples = Vec::new();
        while let Some(chunk) = chunks.next_chunk()? {
            match chunk {
                Chunk::Encoded { encoding, data, .. } => {
                    decode_chunk(encoding, &data, &mut samples).map_err(|source| Error::Chunk {
                        file: "<dump>".into(),
                        offset: 0,
                        source,
                    })?;
                }
                Chunk::Decoded { samples: s, range } => {
                    samples.extend(s.get(range).unwrap_or_default().iter().cloned());
                }
            }
        }
        samples.retain(|s| s.t >= mint && s.t <= maxt);
        if !samples.is_empty() {
            out.push((labels, samples));
        }
    }
    Ok(out)
}
