//! Decoding one encoded chunk into samples, for the cases the query path must look inside a
//! chunk (overlapping blocks, tombstones).

use std::sync::Arc;

use rill_codec::XorIterator;
use rill_codec::float_histogram_chunk::FloatHistogramIterator;
use rill_codec::histogram_chunk::HistogramIterator;
use rill_model::{ChunkEncoding, Sample};

/// Appends every sample of the chunk `data` (of `encoding`) to `out`.
pub fn decode_chunk(encoding: ChunkEncoding, data: &[u8], out: &mut Vec<Sample>) -> rill_codec::Result<()> {
    match encoding {
        ChunkEncoding::Xor => {
            let mut it = XorIterator::new(data)?;
            out.reserve(usize::from(it.num_samples()));
            while let Some((t, v)) = it.next_sample()? {
                out.push(Sample::float(t, v));
            }
        }
        ChunkEncoding::Histogram => {
            for r in HistogramIterator::new(data)? {
                let (t, h) = r?;
                out.push(Sample::histogram(t, Arc::new(h)));
            }
        }
        ChunkEncoding::FloatHistogram => {
            for r in FloatHistogramIterator::new(data)? {
                let (t, h) = r?;
                out.push(Sample::histogram(t, Arc::new(h)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rill_codec::XorEncoder;
    use rill_codec::histogram_chunk::{HistogramEncoder, IntHistogram};
    use rill_model::Value;

    #[test]
    fn decodes_every_encoding() {
        let mut x = XorEncoder::new();
        x.append(1, 2.5).unwrap();
        let mut out = Vec::new();
        decode_chunk(ChunkEncoding::Xor, x.bytes(), &mut out).unwrap();
        assert_eq!(out, vec![Sample::float(1, 2.5)]);

        let mut h = HistogramEncoder::new();
        let ih = IntHistogram {
            count: 3,
            sum: 1.0,
            ..IntHistogram::default()
        };
        h.append(5, &ih).unwrap();
        out.clear();
        decode_chunk(ChunkEncoding::Histogram, h.bytes(), &mut out).unwrap();
        assert!(matches!(&out[0].v, Value::Histogram(fh) if fh.count == 3.0));
        assert!(decode_chunk(ChunkEncoding::FloatHistogram, &[0, 1], &mut out).is_err());
    }
}
