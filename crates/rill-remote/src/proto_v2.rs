//! Prometheus's remote write 2.0 messages (`io.prometheus.write.v2`, `prompb/io/prometheus/
//! write/v2/types.proto`), written by hand with `prost` derives. Strings (label names and
//! values, help, unit) travel once in the request's symbol table and are referenced by index.
//! Samples, histograms and bucket spans have the same fields and numbers as in 1.0, so those
//! messages are shared with [`crate::proto`]; so is the metric type enumeration.

#![allow(missing_docs)] // prost derives generate accessors; every message and field is documented below.

use crate::proto::{Histogram, MetricType, Sample};

/// The canonical `proto=` name of [`Request`] in the `Content-Type` header.
pub const PROTO_NAME: &str = "io.prometheus.write.v2.Request";

/// A remote write 2.0 request.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    /// The symbol table; index 0 is the empty string.
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    /// The series.
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeries>,
}

/// One series with its samples, in remote write 2.0.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Label name/value pairs as indexes into [`Request::symbols`] (even length).
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// Float samples in time order.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Native histogram samples in time order.
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    /// Exemplars.
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<Exemplar>,
    /// Type, help and unit of the series' metric.
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
    /// When the counter started (ms), 0 when unknown.
    #[prost(int64, tag = "6")]
    pub created_timestamp: i64,
}

/// An exemplar, its labels as symbol references.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Label name/value pairs as indexes into [`Request::symbols`].
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// The observed value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// Metadata of a series' metric; help and unit as symbol references (0 = none).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metadata {
    /// The metric type ([`MetricType`]; 0 is "unspecified").
    #[prost(enumeration = "MetricType", tag = "1")]
    pub r#type: i32,
    /// Help text reference.
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    /// Unit reference.
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}

/// Looks up symbol `r` of `symbols`.
pub fn symbol(symbols: &[String], r: u32) -> crate::Result<&str> {
    usize::try_from(r)
        .ok()
        .and_then(|i| symbols.get(i))
        .map(String::as_str)
        .ok_or_else(|| {
            crate::Error::Invalid(format!(
                "symbol reference {r} outside of the symbols table (size {})",
                symbols.len()
            ))
        })
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    /// A field key: tag and wire type.
    fn key(tag: u8, wire: u8) -> u8 {
        (tag << 3) | wire
    }

    /// A length-delimited field with a one-byte key and length.
    fn delimited(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![key(tag, 2), u8::try_from(body.len()).unwrap()];
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn decodes_bytes_encoded_from_the_upstream_schema() {
        // Bytes written by hand from types.proto's field numbers and types, independent of the
        // derives above.
        let sample = [&[key(1, 1)][..], &1.5f64.to_le_bytes(), &[key(2, 0), 0xe8, 0x07]].concat();
        let histogram = [
            &[key(4, 0), 105][..], // schema -53, zigzag
            &[key(15, 0), 9],      // timestamp
            &[0x82, 0x01, 8],      // custom_values (tag 16, packed), 8 bytes
            &1.0f64.to_le_bytes(),
        ]
        .concat();
        let exemplar = [key(1, 2), 2, 1, 2, key(3, 0), 7];
        let metadata = [key(1, 0), 2, key(3, 0), 2];
        let series = [
            vec![key(1, 2), 2, 1, 2],
            delimited(2, &sample),
            delimited(3, &histogram),
            delimited(4, &exemplar),
            delimited(5, &metadata),
            vec![key(6, 0), 5],
        ]
        .concat();
        let request = [
            delimited(4, b""),
            delimited(4, b"__name__"),
            delimited(4, b"up"),
            delimited(5, &series),
        ]
        .concat();
        let req = Request::decode(request.as_slice()).unwrap();
        assert_eq!(req.symbols, ["", "__name__", "up"]);
        let ts = &req.timeseries[0];
        assert_eq!(ts.labels_refs, [1, 2]);
        assert_eq!((ts.samples[0].value, ts.samples[0].timestamp), (1.5, 1000));
        assert_eq!(ts.histograms[0].schema, -53);
        assert_eq!(ts.histograms[0].timestamp, 9);
        assert_eq!(ts.histograms[0].custom_values, [1.0]);
        assert_eq!(
            (ts.exemplars[0].labels_refs.as_slice(), ts.exemplars[0].timestamp),
            (&[1, 2][..], 7)
        );
        let m = ts.metadata.as_ref().unwrap();
        assert_eq!((m.r#type, m.help_ref, m.unit_ref), (MetricType::Gauge as i32, 2, 0));
        assert_eq!(ts.created_timestamp, 5);
        assert_eq!(symbol(&req.symbols, 2).unwrap(), "up");
        assert!(symbol(&req.symbols, 3).is_err());
    }
}
