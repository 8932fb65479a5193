//! Chunks and samples for remote read: model chunks become protobuf chunks (encoded chunks
//! pass through byte for byte; decoded samples are encoded as XOR or float-histogram chunks),
//! and any chunk can be decoded into samples within a time range.

use rill_codec::XorEncoder;
use rill_codec::float_histogram_chunk::{FloatHistogramEncoder, FloatHistogramIterator};
use rill_codec::histogram_chunk::HistogramIterator;
use rill_codec::xor::XorIterator;
use rill_model::{Chunk, ChunkEncoding, Labels, Sample, Value};

use crate::convert::{histogram_to_proto, labels_to_proto};
use crate::error::{Error, Result};
use crate::proto;

/// Samples per chunk when Rill encodes decoded samples (Prometheus's target size).
const SAMPLES_PER_CHUNK: usize = 120;

fn codec_err(e: rill_codec::Error) -> Error {
    Error::Chunk(e.to_string())
}

fn proto_encoding(e: ChunkEncoding) -> proto::ChunkEncoding {
    match e {
        ChunkEncoding::Xor => proto::ChunkEncoding::Xor,
        ChunkEncoding::Histogram => proto::ChunkEncoding::Histogram,
        ChunkEncoding::FloatHistogram => proto::ChunkEncoding::FloatHistogram,
    }
}

/// Appends the protobuf chunks of `chunk` to `out`. Returns the number of samples encoded
/// by Rill (0 when the chunk passed through still encoded).
pub fn chunk_to_proto(chunk: &Chunk, out: &mut Vec<proto::Chunk>) -> Result<usize> {
    match chunk {
        Chunk::Encoded {
            encoding,
            min_time,
            max_time,
            data,
        } => {
            out.push(proto::Chunk {
                min_time_ms: *min_time,
                max_time_ms: *max_time,
                r#type: proto_encoding(*encoding) as i32,
                data: data.clone(),
            });
            Ok(0)
        }
        Chunk::Decoded { samples, range } => {
            let samples = samples.get(range.clone()).unwrap_or_default();
            encode_samples(samples, out)?;
            Ok(samples.len())
        }
    }
}

/// Encodes samples as chunks: runs of floats as XOR chunks, runs of histograms as float
/// histogram chunks, each cut at [`SAMPLES_PER_CHUNK`] samples or a layout change.
pub fn encode_samples(samples: &[Sample], out: &mut Vec<proto::Chunk>) -> Result<()> {
    let mut rest = samples;
    while let Some(first) = rest.first() {
        let is_float = matches!(first.v, Value::Float(_));
        let run_len = rest
            .iter()
            .take(SAMPLES_PER_CHUNK)
            .take_while(|s| matches!(s.v, Value::Float(_)) == is_float)
            .count();
        let run = rest.get(..run_len).unwrap_or_default();
        let used = if is_float {
            encode_floats(run, out)?
        } else {
            encode_histograms(run, out)?
        };
        rest = rest.get(used..).unwrap_or_default();
    }
    Ok(())
}

fn push(out: &mut Vec<proto::Chunk>, enc: proto::ChunkEncoding, run: &[Sample], data: Vec<u8>) {
    out.push(proto::Chunk {
        min_time_ms: run.first().map_or(0, |s| s.t),
        max_time_ms: run.last().map_or(0, |s| s.t),
        r#type: enc as i32,
        data: data.into(),
    });
}

fn encode_floats(run: &[Sample], out: &mut Vec<proto::Chunk>) -> Result<usize> {
    let mut enc = XorEncoder::new();
    for s in run {
        if let Value::Float(f) = s.v {
            enc.append(s.t, f).map_err(codec_err)?;
        }
    }
    push(out, proto::ChunkEncoding::Xor, run, enc.into_bytes());
    Ok(run.len())
}

/// Encodes histograms until the first layout change; returns how many were encoded (≥ 1).
fn encode_histograms(run: &[Sample], out: &mut Vec<proto::Chunk>) -> Result<usize> {
    let mut enc = FloatHistogramEncoder::new();
    let mut n = 0;
    for s in run {
        if let Value::Histogram(h) = &s.v {
            match enc.append(s.t, h) {
                Ok(()) => n += 1,
                Err(rill_codec::Error::HistogramLayout { .. }) if n > 0 => break,
                Err(e) => return Err(codec_err(e)),
            }
        }
    }
    push(
        out,
        proto::ChunkEncoding::FloatHistogram,
        run.get(..n).unwrap_or_default(),
        enc.into_bytes(),
    );
    Ok(n)
}

/// Decodes a protobuf chunk into samples with `mint <= t <= maxt`, appended to `out`.
pub fn decode_proto_chunk(c: &proto::Chunk, mint: i64, maxt: i64, out: &mut Vec<Sample>) -> Result<()> {
    let encoding = match proto::ChunkEncoding::try_from(c.r#type) {
        Ok(proto::ChunkEncoding::Xor) => ChunkEncoding::Xor,
        Ok(proto::ChunkEncoding::Histogram) => ChunkEncoding::Histogram,
        Ok(proto::ChunkEncoding::FloatHistogram) => ChunkEncoding::FloatHistogram,
        _ => return Err(Error::Chunk(format!("unknown chunk encoding {}", c.r#type))),
    };
    decode_bytes(encoding, &c.data, mint, maxt, out)
}

/// Decodes a model chunk into samples with `mint <= t <= maxt`, appended to `out`.
pub fn decode_chunk(chunk: &Chunk, mint: i64, maxt: i64, out: &mut Vec<Sample>) -> Result<()> {
    match chunk {
        Chunk::Encoded { encoding, data, .. } => decode_bytes(*encoding, data, mint, maxt, out),
        Chunk::Decoded { samples, range } => {
            let part = samples.get(range.clone()).unwrap_or_default();
            out.extend(part.iter().filter(|s| s.t >= mint && s.t <= maxt).cloned());
            Ok(())
        }
    }
}

fn decode_bytes(encoding: ChunkEncoding, data: &[u8], mint: i64, maxt: i64, out: &mut Vec<Sample>) -> Result<()> {
    let keep = |t: i64| t >= mint && t <= maxt;
    match encoding {
        ChunkEncoding::Xor => {
            let mut it = XorIterator::new(data).map_err(codec_err)?;
            while let Some((t, v)) = it.next_sample().map_err(codec_err)? {
                if keep(t) {
                    out.push(Sample::float(t, v));
                }
            }
        }
        ChunkEncoding::Histogram => {
            let mut it = HistogramIterator::new(data).map_err(codec_err)?;
            while let Some((t, h)) = it.next_histogram().map_err(codec_err)? {
                if keep(t) {
                    out.push(Sample::histogram(t, h));
                }
            }
        }
        ChunkEncoding::FloatHistogram => {
            let mut it = FloatHistogramIterator::new(data).map_err(codec_err)?;
            while let Some((t, h)) = it.next_histogram().map_err(codec_err)? {
                if keep(t) {
                    out.push(Sample::histogram(t, h));
                }
            }
        }
    }
    Ok(())
}

/// A protobuf time series holding `samples` (floats and histograms split into their lists).
pub fn timeseries_to_proto(labels: &Labels, samples: &[Sample]) -> proto::TimeSeries {
    let mut ts = proto::TimeSeries {
        labels: labels_to_proto(labels),
        ..Default::default()
    };
    for s in samples {
        match &s.v {
            Value::Float(f) => ts.samples.push(proto::Sample {
                value: *f,
                timestamp: s.t,
            }),
            Value::Histogram(h) => ts.histograms.push(histogram_to_proto(s.t, h)),
        }
    }
    ts
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rill_model::{FloatHistogram, Span};

    use super::*;

    #[test]
    fn decoded_samples_become_xor_and_histogram_chunks() {
        let mut samples: Vec<Sample> = (0..250).map(|i| Sample::float(i * 10, i as f64)).collect();
        let h = FloatHistogram {
            count: 3.0,
            sum: 4.0,
            positive_spans: vec![Span { offset: 0, length: 1 }],
            positive_buckets: vec![3.0],
            ..FloatHistogram::default()
        };
        samples.extend((250..253).map(|i| Sample::histogram(i * 10, h.clone())));
        let chunk = Chunk::Decoded {
            samples: Arc::new(samples.clone()),
            range: 0..samples.len(),
        };
        let mut out = Vec::new();
        assert_eq!(chunk_to_proto(&chunk, &mut out).unwrap(), 253);
        let kinds: Vec<i32> = out.iter().map(|c| c.r#type).collect();
        assert_eq!(kinds, vec![1, 1, 1, 3]);
        assert_eq!((out[0].min_time_ms, out[0].max_time_ms), (0, 1190));
        let mut back = Vec::new();
        for c in &out {
            decode_proto_chunk(c, i64::MIN, i64::MAX, &mut back).unwrap();
        }
        // The chunk decoder reports "no counter reset" inside a chunk; everything else round-trips.
        for s in &mut back {
            if let Value::Histogram(h) = &mut s.v {
                Arc::make_mut(h).counter_reset_hint = rill_model::CounterResetHint::Unknown;
            }
        }
        assert!(back == samples, "round trip differs");
        let mut part = Vec::new();
        decode_proto_chunk(&out[0], 100, 200, &mut part).unwrap();
        assert_eq!(part.len(), 11);
    }

    #[test]
    fn encoded_chunks_pass_through() {
        let mut enc = XorEncoder::new();
        enc.append(5, 1.5).unwrap();
        let data = bytes::Bytes::from(enc.into_bytes());
        let chunk = Chunk::Encoded {
            encoding: ChunkEncoding::Xor,
            min_time: 5,
            max_time: 5,
            data: data.clone(),
        };
        let mut out = Vec::new();
        assert_eq!(chunk_to_proto(&chunk, &mut out).unwrap(), 0);
        assert_eq!(out[0].data, data);
        let ts = timeseries_to_proto(&Labels::from_pairs([("a", "b")]), &[Sample::float(5, 1.5)]);
        assert_eq!(
            ts.samples,
            vec![proto::Sample {
                value: 1.5,
                timestamp: 5
            }]
        );
    }
}
