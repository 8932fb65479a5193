//! Prometheus's remote write 1.0 and remote read protobuf messages (`prompb/types.proto`,
//! `prompb/remote.proto`), written by hand with `prost` derives so no `protoc` is needed.
//!
//! Field numbers and types follow the upstream `.proto` files exactly; they are the wire
//! contract with every Prometheus-compatible sender and reader.

#![allow(missing_docs)] // prost derives generate accessors; every message and field is documented below.

/// A batch of samples sent by a remote-write client.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series and their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric metadata (type, help, unit) sent alongside.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// Metric type of a [`MetricMetadata`] (`MetricMetadata.MetricType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    /// Unknown type.
    Unknown = 0,
    /// Counter.
    Counter = 1,
    /// Gauge.
    Gauge = 2,
    /// Histogram.
    Histogram = 3,
    /// Gauge histogram.
    Gaugehistogram = 4,
    /// Summary.
    Summary = 5,
    /// Info.
    Info = 6,
    /// State set.
    Stateset = 7,
}

/// Type, help and unit of a metric family.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    /// The metric type ([`MetricType`]).
    #[prost(enumeration = "MetricType", tag = "1")]
    pub r#type: i32,
    /// The metric family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// One float sample.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// An exemplar: a trace-linked observation.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Exemplar labels (e.g. `trace_id`).
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// The observed value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// The `count` oneof of a [`Histogram`]: integer for integer histograms, float for float ones.
#[derive(Clone, Copy, PartialEq, prost::Oneof)]
pub enum HistogramCount {
    /// Integer count.
    #[prost(uint64, tag = "1")]
    CountInt(u64),
    /// Float count.
    #[prost(double, tag = "2")]
    CountFloat(f64),
}

/// The `zero_count` oneof of a [`Histogram`].
#[derive(Clone, Copy, PartialEq, prost::Oneof)]
pub enum HistogramZeroCount {
    /// Integer zero-bucket count.
    #[prost(uint64, tag = "6")]
    ZeroCountInt(u64),
    /// Float zero-bucket count.
    #[prost(double, tag = "7")]
    ZeroCountFloat(f64),
}

/// Counter reset hint of a [`Histogram`] (`Histogram.ResetHint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ResetHint {
    /// Unknown.
    Unknown = 0,
    /// A counter reset happened.
    Yes = 1,
    /// No counter reset happened.
    No = 2,
    /// A gauge histogram.
    Gauge = 3,
}

/// A native histogram sample. Integer histograms carry bucket deltas, float histograms
/// absolute bucket counts.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// Total observations.
    #[prost(oneof = "HistogramCount", tags = "1, 2")]
    pub count: Option<HistogramCount>,
    /// Sum of observations.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// Bucket schema.
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// Width of the zero bucket.
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    #[prost(oneof = "HistogramZeroCount", tags = "6, 7")]
    pub zero_count: Option<HistogramZeroCount>,
    /// Negative bucket spans.
    #[prost(message, repeated, tag = "8")]
    pub negative_spans: Vec<BucketSpan>,
    /// Negative bucket counts as deltas (integer histograms).
    #[prost(sint64, repeated, tag = "9")]
    pub negative_deltas: Vec<i64>,
    /// Negative bucket counts (float histograms).
    #[prost(double, repeated, tag = "10")]
    pub negative_counts: Vec<f64>,
    /// Positive bucket spans.
    #[prost(message, repeated, tag = "11")]
    pub positive_spans: Vec<BucketSpan>,
    /// Positive bucket counts as deltas (integer histograms).
    #[prost(sint64, repeated, tag = "12")]
    pub positive_deltas: Vec<i64>,
    /// Positive bucket counts (float histograms).
    #[prost(double, repeated, tag = "13")]
    pub positive_counts: Vec<f64>,
    /// Counter reset hint ([`ResetHint`]).
    #[prost(enumeration = "ResetHint", tag = "14")]
    pub reset_hint: i32,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
    /// Custom bucket bounds (schema -53).
    #[prost(double, repeated, tag = "16")]
    pub custom_values: Vec<f64>,
}

/// A run of consecutive buckets.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BucketSpan {
    /// Gap to the previous span (or the starting index for the first).
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    /// Number of consecutive buckets.
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

/// One series with its samples.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Labels, sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples in time order.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Exemplars.
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
    /// Native histogram samples in time order.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<Histogram>,
}

/// A label pair.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// Matcher type of a [`LabelMatcher`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MatcherType {
    /// `=`.
    Eq = 0,
    /// `!=`.
    Neq = 1,
    /// `=~`.
    Re = 2,
    /// `!~`.
    Nre = 3,
}

/// A label matcher of a remote-read query.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelMatcher {
    /// The operator ([`MatcherType`]).
    #[prost(enumeration = "MatcherType", tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or regular expression.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// What the reader will do with the data.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadHints {
    /// Query step (ms).
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// Enclosing function.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start (ms).
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End (ms).
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
    /// Grouping labels of the enclosing aggregation.
    #[prost(string, repeated, tag = "5")]
    pub grouping: Vec<String>,
    /// Whether `grouping` is `by` (else `without`).
    #[prost(bool, tag = "6")]
    pub by: bool,
    /// Range of the enclosing range selector (ms).
    #[prost(int64, tag = "7")]
    pub range_ms: i64,
}

/// Response types a remote-read client accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ResponseType {
    /// One snappy-compressed [`ReadResponse`] with decoded samples.
    Samples = 0,
    /// A stream of [`ChunkedReadResponse`] frames with XOR chunks.
    StreamedXorChunks = 1,
}

/// A remote-read request: one or more queries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadRequest {
    /// The queries.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Accepted response types in order of preference ([`ResponseType`]).
    #[prost(enumeration = "ResponseType", repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// The sampled response: one result per query.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadResponse {
    /// Results in query order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// One remote-read query.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Query {
    /// Start (ms, inclusive).
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// End (ms, inclusive).
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Matchers, all of which must match.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Hints.
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// The series of one query.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryResult {
    /// Matching series with samples in range.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// One frame of a streamed remote-read response.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedReadResponse {
    /// Series (each may be split over several frames).
    #[prost(message, repeated, tag = "1")]
    pub chunked_series: Vec<ChunkedSeries>,
    /// Index of the query in the request.
    #[prost(int64, tag = "2")]
    pub query_index: i64,
}

/// A series and (some of) its chunks.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedSeries {
    /// Labels, sorted by name.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Chunks in time order.
    #[prost(message, repeated, tag = "2")]
    pub chunks: Vec<Chunk>,
}

/// Encoding of a [`Chunk`] (same numbers as the TSDB's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ChunkEncoding {
    /// Unknown.
    Unknown = 0,
    /// XOR float chunk.
    Xor = 1,
    /// Integer histogram chunk.
    Histogram = 2,
    /// Float histogram chunk.
    FloatHistogram = 3,
}

/// An encoded chunk.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Chunk {
    /// First sample's timestamp (ms).
    #[prost(int64, tag = "1")]
    pub min_time_ms: i64,
    /// Last sample's timestamp (ms).
    #[prost(int64, tag = "2")]
    pub max_time_ms: i64,
    /// Encoding ([`ChunkEncoding`]).
    #[prost(enumeration = "ChunkEncoding", tag = "3")]
    pub r#type: i32,
    /// The chunk bytes, exactly as the TSDB stores them.
    #[prost(bytes = "bytes", tag = "4")]
    pub data: bytes::Bytes,
}
