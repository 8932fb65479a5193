//! `POST /api/v1/write`: remote write 1.0 (snappy-compressed `WriteRequest`) into the
//! [`rill_model::Appendable`]. 204 only after the batch is committed; out-of-order, too old
//! and duplicate samples give 400 (the rest of the batch is still committed, and the sender
//! does not retry), other storage failures 500 (the sender retries).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rill_model::{Appendable, Sample};
use rill_remote::convert::{histogram_from_proto, labels_from_proto};
use rill_remote::proto::{MetricType, WriteRequest};

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
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let ok = ct.starts_with("application/x-protobuf")
            && (!ct.contains("proto=") || ct.contains("proto=prometheus.WriteRequest"));
        if !ok {
            return text_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected application/x-protobuf with proto=prometheus.WriteRequest, got {ct:?}"),
            );
        }
    }
    if let Some(resp) = check_snappy_encoding(headers) {
        return resp;
    }
    let limit = st.config.max_body_bytes;
    let state = st.clone();
    let joined = tokio::task::spawn_blocking(move || {
        catch_panic(|| {
            let req: WriteRequest = rill_remote::decode_snappy_message(&body, limit)
                .map_err(|e| crate::error::ApiError::bad_data(e.to_string()))?;
            store_metadata(&state, &req);
            Ok(append(app.as_ref(), &req, &state))
        })
    })
    .await;
    match joined {
        Ok(Ok(Outcome::Done)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Ok(Outcome::Rejected(msg))) => text_error(StatusCode::BAD_REQUEST, msg),
        Ok(Ok(Outcome::Failed(msg))) => {
            tracing::error!(error = %msg, "remote write failed");
            text_error(StatusCode::INTERNAL_SERVER_ERROR, msg)
        }
        Ok(Err(e)) if e.typ == crate::error::ErrorType::BadData => text_error(StatusCode::BAD_REQUEST, e.msg),
        Ok(Err(e)) => text_error(StatusCode::INTERNAL_SERVER_ERROR, e.msg),
        Err(e) => text_error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// Appends every sample of `req` in one batch and commits it.
fn append(app: &dyn Appendable, req: &WriteRequest, st: &AppState) -> Outcome {
    let mut appender = app.appender();
    let mut rejected: Option<String> = None;
    let mut accepted = 0u64;
    for ts in &req.timeseries {
        let labels = match labels_from_proto(&ts.labels) {
            Ok(l) => l,
            Err(e) => {
                rejected.get_or_insert(e.to_string());
                continue;
            }
        };
        let floats = ts.samples.iter().map(|s| Ok(Sample::float(s.timestamp, s.value)));
        let hists = ts
            .histograms
            .iter()
            .map(|h| histogram_from_proto(h).map(|fh| Sample::histogram(h.timestamp, fh)));
        for sample in floats.chain(hists) {
            let sample = match sample {
                Ok(s) => s,
                Err(e) => {
                    rejected.get_or_insert(e.to_string());
                    continue;
                }
            };
            match appender.append(&labels, sample) {
                Ok(()) => accepted += 1,
                Err(
                    e @ (rill_model::Error::OutOfOrder { .. }
                    | rill_model::Error::OutOfBounds { .. }
                    | rill_model::Error::DuplicateSample { .. }),
                ) => {
                    rejected.get_or_insert(e.to_string());
                }
                Err(e) => {
                    appender.rollback();
                    return Outcome::Failed(e.to_string());
                }
            }
        }
    }
    if let Err(e) = appender.commit() {
        return Outcome::Failed(e.to_string());
    }
    st.metrics.samples_ingested.inc_by(accepted);
    match rejected {
        Some(msg) => Outcome::Rejected(msg),
        None => Outcome::Done,
    }
}

/// Remembers the metadata sent with a request for `/api/v1/metadata`.
fn store_metadata(st: &AppState, req: &WriteRequest) {
    if req.metadata.is_empty() {
        return;
    }
    let mut all = st.metadata.write();
    for m in &req.metadata {
        let typ = match MetricType::try_from(m.r#type) {
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
            help: m.help.clone(),
            unit: m.unit.clone(),
        };
        let list = all.entry(m.metric_family_name.clone()).or_default();
        if !list.contains(&entry) {
            list.push(entry);
        }
    }
}
