//! `POST /api/v1/read`: remote read. The client's first accepted response type wins:
//! `SAMPLES` answers one snappy-compressed `ReadResponse`; `STREAMED_XOR_CHUNKS` streams
//! CRC-checked frames, one series per frame, with the store's encoded chunks passed through
//! byte for byte (decoded samples are encoded on the way).

use std::io::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rill_model::{Matcher, SelectHints};
use rill_remote::chunks::{chunk_to_proto, decode_chunk, timeseries_to_proto};
use rill_remote::convert::{labels_to_proto, matchers_from_proto};
use rill_remote::proto::{ChunkedReadResponse, ChunkedSeries, QueryResult, ReadRequest, ReadResponse, ResponseType};
use tokio::sync::oneshot;

use crate::api::query::St;
use crate::body;
use crate::error::ApiError;
use crate::gate::{catch_panic, run_blocking};
use crate::remote::{check_snappy_encoding, text_error};
use crate::state::AppState;

/// Content type of a streamed response.
const STREAMED_CONTENT_TYPE: &str = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// One query of the request, validated.
struct Prepared {
    start: i64,
    end: i64,
    hints: SelectHints,
    matchers: Vec<Matcher>,
}

/// `POST /api/v1/read`.
pub async fn handle(State(st): St, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(resp) = check_snappy_encoding(&headers) {
        return resp;
    }
    let req: ReadRequest = match rill_remote::decode_snappy_message(&body, st.config.max_body_bytes) {
        Ok(r) => r,
        Err(e) => return text_error(StatusCode::BAD_REQUEST, e),
    };
    let queries = match prepare(&req) {
        Ok(q) => q,
        Err(e) => return text_error(StatusCode::BAD_REQUEST, e),
    };
    let streamed = req
        .accepted_response_types
        .first()
        .is_some_and(|t| *t == ResponseType::StreamedXorChunks as i32);
    if streamed {
        streamed_response(st, queries).await
    } else {
        sampled_response(st, queries).await
    }
}

fn prepare(req: &ReadRequest) -> Result<Vec<Prepared>, String> {
    req.queries
        .iter()
        .map(|q| {
            let matchers = matchers_from_proto(&q.matchers).map_err(|e| e.to_string())?;
            let h = q.hints.clone().unwrap_or_default();
            Ok(Prepared {
                start: q.start_timestamp_ms,
                end: q.end_timestamp_ms,
                hints: SelectHints {
                    start: q.start_timestamp_ms,
                    end: q.end_timestamp_ms,
                    step: h.step_ms,
                    range: h.range_ms,
                    func: (!h.func.is_empty()).then_some(h.func),
                },
                matchers,
            })
        })
        .collect()
}

fn storage_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

async fn sampled_response(st: Arc<AppState>, queries: Vec<Prepared>) -> Response {
    let limit = st.config.remote_read_sample_limit;
    let state = st.clone();
    let built = run_blocking(move || {
        let mut resp = ReadResponse::default();
        let mut total = 0usize;
        for q in &queries {
            let querier = state.queryable.querier(q.start, q.end).map_err(storage_err)?;
            let mut set = querier.select(&q.hints, &q.matchers).map_err(storage_err)?;
            let mut result = QueryResult::default();
            let mut samples = Vec::new();
            while let Some(mut series) = set.next().map_err(storage_err)? {
                samples.clear();
                while let Some(c) = series.chunks.next().map_err(storage_err)? {
                    decode_chunk(&c, q.start, q.end, &mut samples).map_err(storage_err)?;
                }
                total += samples.len();
                if limit > 0 && total > limit {
                    return Err(ApiError::bad_data(format!("exceeded sample limit ({limit})")));
                }
                if !samples.is_empty() {
                    state.metrics.remote_read_series.inc();
                    result.timeseries.push(timeseries_to_proto(&series.labels, &samples));
                }
            }
            resp.results.push(result);
        }
        rill_remote::encode_snappy_message(&resp).map_err(storage_err)
    })
    .await;
    match built {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf")),
                (header::CONTENT_ENCODING, HeaderValue::from_static("snappy")),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.typ == crate::error::ErrorType::BadData => text_error(StatusCode::BAD_REQUEST, e.msg),
        Err(e) => text_error(StatusCode::INTERNAL_SERVER_ERROR, e.msg),
    }
}

async fn streamed_response(st: Arc<AppState>, queries: Vec<Prepared>) -> Response {
    let (head_tx, head_rx) = oneshot::channel::<Result<(), ApiError>>();
    let (mut writer, body) = body::channel();
    let state = st.clone();
    tokio::task::spawn_blocking(move || {
        let mut head = Some(head_tx);
        let outcome = catch_panic(|| stream_all(&state, &queries, &mut writer, &mut head));
        if let Err(e) = outcome {
            match head.take() {
                Some(tx) => {
                    let _ = tx.send(Err(e));
                }
                None => tracing::warn!(error = %e, "remote read stream ended early"),
            }
        }
    });
    match head_rx.await {
        Ok(Ok(())) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(STREAMED_CONTENT_TYPE))],
            body,
        )
            .into_response(),
        Ok(Err(e)) => text_error(StatusCode::INTERNAL_SERVER_ERROR, e.msg),
        Err(_) => text_error(StatusCode::INTERNAL_SERVER_ERROR, "remote read ended without an answer"),
    }
}

/// Opens every querier first (so storage errors still become a 500), then answers 200 and
/// writes one frame per series.
fn stream_all(
    st: &AppState,
    queries: &[Prepared],
    w: &mut body::ChannelWriter,
    head: &mut Option<oneshot::Sender<Result<(), ApiError>>>,
) -> Result<(), ApiError> {
    let mut sets = Vec::with_capacity(queries.len());
    for q in queries {
        let querier = st.queryable.querier(q.start, q.end).map_err(storage_err)?;
        let set = querier.select(&q.hints, &q.matchers).map_err(storage_err)?;
        sets.push((querier, set));
    }
    if let Some(tx) = head.take() {
        let _ = tx.send(Ok(()));
    }
    let mut frame = Vec::new();
    for (index, (_querier, set)) in sets.iter_mut().enumerate() {
        while let Some(mut series) = set.next().map_err(storage_err)? {
            let mut chunks = Vec::new();
            while let Some(c) = series.chunks.next().map_err(storage_err)? {
                chunk_to_proto(&c, &mut chunks).map_err(storage_err)?;
            }
            if chunks.is_empty() {
                continue;
            }
            st.metrics.remote_read_series.inc();
            let msg = ChunkedReadResponse {
                chunked_series: vec![ChunkedSeries {
                    labels: labels_to_proto(&series.labels),
                    chunks,
                }],
                query_index: index as i64,
            };
            frame.clear();
            rill_remote::write_frame(&msg, &mut frame);
            w.write_all(&frame).map_err(storage_err)?;
        }
    }
    w.flush().map_err(storage_err)
}
