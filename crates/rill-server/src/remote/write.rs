//! `POST /api/v1/write`: remote write 1.0 (snappy-compressed `prometheus.WriteRequest`) and
//! 2.0 (`io.prometheus.write.v2.Request`, chosen by the `proto=` parameter of the
//! `Content-Type`) into the [`rill_model::Appendable`]. 204 only after the batch is committed;
//! out-of-order, too old and duplicate samples give 400 (the rest of the batch is still
//! committed, and the sender does not retry), other storage failures 500 (the sender retries).
//! 2.0 answers carry `X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written` in
//! every case; exemplars are not stored, so that count is 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rill_model::{Appendable, Labels, Sample};
use rill_remote::convert::{histogram_from_proto, labels_from_proto, labels_from_refs};
use rill_remote::proto::{Histogram, MetricType, Sample as ProtoSample, WriteRequest};
use rill_remote::proto_v2;

use crate::api::query::St;
use crate::gate::catch_panic;
use crate::remote::{check_snappy_encoding, text_error};
use crate::state::{AppState, MetricMetadata};

/// What happened to one request's samples.
#[derive(Debug)]
enum Outcome {
    /// Everything committed.
    Done,
    /// Committed what was acceptable; the rest is rejected for good (400).
    Rejected(String),
    /// Nothing acknowledged (500).
    Failed(String),
}

/// The protobuf message a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Proto {
    /// `prometheus.WriteRequest` (remote write 1.0).
    V1,
    /// `io.prometheus.write.v2.Request` (remote write 2.0).
    V2,
}

/// The `proto=` name of remote write 1.0's message.
const PROTO_V1: &str = "prometheus.WriteRequest";

/// Which message `Content-Type` announces, like Prometheus's receiver: the media type must
/// be `application/x-protobuf`; without a `proto=` parameter the body is 1.0. An absent
/// header means 1.0. The error is the 415 answer's text.
fn negotiate(headers: &HeaderMap) -> Result<Proto, String> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Proto::V1);
    };
    let ct = value
        .to_str()
        .map_err(|_| "content-type is not valid text".to_string())?
        .trim();
    let mut parts = ct.split(';');
    if parts.next().map(str::trim) != Some("application/x-protobuf") {
        return Err(format!(
            "expected application/x-protobuf as the first (media) part, got {ct} content-type"
        ));
    }
    for param in parts {
        let Some((key, value)) = param.split_once('=') else {
            return Err(format!(
                "as per https://www.rfc-editor.org/rfc/rfc9110#parameter expected parameters to be key-values, got {param} in {ct} content-type"
            ));
        };
        if key.trim() == "proto" {
            return match value.trim() {
                PROTO_V1 => Ok(Proto::V1),
                proto_v2::PROTO_NAME => Ok(Proto::V2),
                other => Err(format!(
                    "got {ct} content type; unknown remote write protobuf message {other}, supported: {PROTO_V1}, {}",
                    proto_v2::PROTO_NAME
                )),
            };
        }
    }
    Ok(Proto::V1)
}

/// `POST /api/v1/write`.
pub async fn handle(State(st): St, headers: HeaderMap, body: Bytes) -> Response {
    let resp = answer(st.clone(), &headers, body).await;
    st.metrics.observe_remote_write(resp.status().as_u16());
    resp
}

async fn answer(st: Arc<AppState>, headers: &HeaderMap, body: Bytes) -> Response {
    let Some(app) = st.appendable.clone() else {
        return text_error(
            StatusCode::NOT_FOUND,
            "remote write receiver needs a writable store: this server was started on a read-only data directory",
        );
    };
    let proto = match negotiate(headers) {
        Ok(p) => p,
        Err(msg) => return text_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, msg),
    };
    if let Some(resp) = check_snappy_encoding(headers) {
        return resp;
    }
    let limit = st.config.max_body_bytes;
    let state = st.clone();
    let joined = tokio::task::spawn_blocking(move || {
        catch_panic(|| {
            let bad = |e: rill_remote::Error| crate::error::ApiError::bad_data(e.to_string());
            Ok(match proto {
                Proto::V1 => {
                    let req: WriteRequest = rill_remote::decode_snappy_message(&body, limit).map_err(bad)?;
                    store_metadata(&state, &req);
                    let series = req.timeseries.iter().map(|ts| SeriesIn {
                        labels: labels_from_proto(&ts.labels),
                        samples: &ts.samples,
                        histograms: &ts.histograms,
                    });
                    append(app.as_ref(), series, &state)
                }
                Proto::V2 => {
                    let req: proto_v2::Request = rill_remote::decode_snappy_message(&body, limit).map_err(bad)?;
                    store_metadata_v2(&state, &req);
                    let series = req.timeseries.iter().map(|ts| SeriesIn {
                        labels: labels_from_refs(&ts.labels_refs, &req.symbols),
                        samples: &ts.samples,
                        histograms: &ts.histograms,
                    });
                    append(app.as_ref(), series, &state)
                }
            })
        })
    })
    .await;
    let (resp, written) = match joined {
        Ok(Ok((Outcome::Done, w))) => (StatusCode::NO_CONTENT.into_response(), w),
        Ok(Ok((Outcome::Rejected(msg), w))) => (text_error(StatusCode::BAD_REQUEST, msg), w),
        Ok(Ok((Outcome::Failed(msg), w))) => {
            tracing::error!(error = %msg, "remote write failed");
            (text_error(StatusCode::INTERNAL_SERVER_ERROR, msg), w)
        }
        Ok(Err(e)) if e.typ == crate::error::ErrorType::BadData => {
            (text_error(StatusCode::BAD_REQUEST, e.msg), Written::default())
        }
        Ok(Err(e)) => (text_error(StatusCode::INTERNAL_SERVER_ERROR, e.msg), Written::default()),
        Err(e) => (text_error(StatusCode::INTERNAL_SERVER_ERROR, e), Written::default()),
    };
    match proto {
        Proto::V1 => resp,
        Proto::V2 => written.with_headers(resp),
    }
}

/// One series of a request of either version.
struct SeriesIn<'a> {
    labels: rill_remote::Result<Labels>,
    samples: &'a [ProtoSample],
    histograms: &'a [Histogram],
}

/// What one request committed, for remote write 2.0's response headers.
#[derive(Debug, Default)]
struct Written {
    samples: u64,
    histograms: u64,
}

impl Written {
    /// Adds the `X-Prometheus-Remote-Write-*-Written` headers to `resp`.
    fn with_headers(&self, mut resp: Response) -> Response {
        let h = resp.headers_mut();
        for (name, n) in [
            ("x-prometheus-remote-write-samples-written", self.samples),
            ("x-prometheus-remote-write-histograms-written", self.histograms),
            ("x-prometheus-remote-write-exemplars-written", 0),
        ] {
            h.insert(name, n.into());
        }
        resp
    }
}

/// Appends every sample of `series` in one batch and commits it; on a commit failure
/// nothing counts as written.
fn append<'a>(app: &dyn Appendable, series: impl Iterator<Item = SeriesIn<'a>>, st: &AppState) -> (Outcome, Written) {
    let mut appender = app.appender();
    let mut rejected: Option<String> = None;
    let mut written = Written::default();
    for ts in series {
        let labels = match ts.labels {
            Ok(l) => l,
            Err(e) => {
                rejected.get_or_insert(e.to_string());
                continue;
            }
        };
        let floats = ts
            .samples
            .iter()
            .map(|s| Ok((false, Sample::float(s.timestamp, s.value))));
        let hists = ts
            .histograms
            .iter()
            .map(|h| histogram_from_proto(h).map(|fh| (true, Sample::histogram(h.timestamp, fh))));
        for sample in floats.chain(hists) {
            let (is_histogram, sample) = match sample {
                Ok(s) => s,
                Err(e) => {
                    rejected.get_or_insert(e.to_string());
                    continue;
                }
            };
            match appender.append(&labels, sample) {
                Ok(()) if is_histogram => written.histograms += 1,
                Ok(()) => written.samples += 1,
                Err(
                    e @ (rill_model::Error::OutOfOrder { .. }
                    | rill_model::Error::OutOfBounds { .. }
                    | rill_model::Error::DuplicateSample { .. }),
                ) => {
                    rejected.get_or_insert(e.to_string());
                }
                Err(e) => {
                    appender.rollback();
                    return (Outcome::Failed(e.to_string()), Written::default());
                }
            }
        }
    }
    if let Err(e) = appender.commit() {
        return (Outcome::Failed(e.to_string()), Written::default());
    }
    st.metrics.samples_ingested.inc_by(written.samples + written.histograms);
    let outcome = match rejected {
        Some(msg) => Outcome::Rejected(msg),
        None => Outcome::Done,
    };
    (outcome, written)
}

/// Remembers the metadata sent with a 1.0 request for `/api/v1/metadata`.
fn store_metadata(st: &AppState, req: &WriteRequest) {
    if req.metadata.is_empty() {
        return;
    }
    let mut all = st.metadata.write();
    for m in &req.metadata {
        remember(&mut all, &m.metric_family_name, m.r#type, &m.help, &m.unit);
    }
}

/// Remembers the per-series metadata of a 2.0 request, under the series' metric name.
/// Metadata with unknown symbol references is skipped (the series' labels decide about the
/// series itself).
fn store_metadata_v2(st: &AppState, req: &proto_v2::Request) {
    let mut all = st.metadata.write();
    for ts in &req.timeseries {
        let Some(m) = &ts.metadata else { continue };
        if m.r#type == 0 && m.help_ref == 0 && m.unit_ref == 0 {
            continue;
        }
        let name = ts.labels_refs.chunks_exact(2).find_map(|pair| match pair {
            [n, v] if proto_v2::symbol(&req.symbols, *n).ok() == Some(rill_model::METRIC_NAME) => {
                proto_v2::symbol(&req.symbols, *v).ok()
            }
            _ => None,
        });
        let help = proto_v2::symbol(&req.symbols, m.help_ref);
        let unit = proto_v2::symbol(&req.symbols, m.unit_ref);
        if let (Some(name), Ok(help), Ok(unit)) = (name, help, unit) {
            remember(&mut all, name, m.r#type, help, unit);
        }
    }
}

/// Adds one family's metadata entry unless already known.
fn remember(all: &mut BTreeMap<String, Vec<MetricMetadata>>, family: &str, typ: i32, help: &str, unit: &str) {
    let typ = match MetricType::try_from(typ) {
        Ok(MetricType::Counter) => "counter",
        Ok(MetricType::Gauge) => "gauge",
        Ok(MetricType::Histogram) => "histogram",
        Ok(MetricType::Gaugehistogram) => "gaugehistogram",
        Ok(MetricType::Summary) => "summary",
        Ok(MetricType::Info) => "info",
        Ok(MetricType::Stateset) => "stateset",
        _ => "unknown",
    };
    let entry = MetricMetadata {
        typ: typ.into(),
        help: help.into(),
        unit: unit.into(),
    };
    let list = all.entry(family.to_string()).or_default();
    if !list.contains(&entry) {
        list.push(entry);
    }
}
