//! `/api/v1/query` and `/api/v1/query_range`: parameter checks in Prometheus's order, then the
//! query runs on a blocking thread inside a concurrency slot, and the result is streamed.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rill_engine::{Engine, QueryTimeRange, QueryValue};
use rill_promql::Expr;
use tokio::sync::oneshot;

use crate::api::meta::TRUNCATED;
use crate::body;
use crate::error::ApiError;
use crate::gate::{CancelOnDrop, catch_panic};
use crate::json::{self, QueryTimings};
use crate::params::{Params, parse_duration_param, parse_time};
use crate::state::{AppState, now_ms};

/// Most points per series a range query may produce.
const MAX_POINTS: i64 = 11_000;

/// Shared state handle of the handlers.
pub type St = State<Arc<AppState>>;

/// Reads `timeout` and `lookback_delta`, and builds the query's engine.
fn engine_for(st: &AppState, p: &Params) -> Result<Engine, ApiError> {
    let timeout = match p.get("timeout") {
        "" => None,
        t => {
            let ms = parse_duration_param(t).map_err(|e| ApiError::invalid_param("timeout", e))?;
            Some(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
        }
    };
    let lookback = match p.get("lookback_delta") {
        "" => None,
        l => Some(
            parse_duration_param(l)
                .map_err(|e| ApiError::bad_data(format!("error parsing lookback delta duration: {e}")))?,
        ),
    };
    Ok(st.engine(timeout, lookback))
}

fn parse_query(engine: &Engine, p: &Params) -> Result<(Expr, String), ApiError> {
    let text = p.get("query").to_string();
    let expr = engine.parse(&text).map_err(|e| ApiError::invalid_param("query", e))?;
    Ok((expr, text))
}

/// `GET|POST /api/v1/query`.
pub async fn instant(State(st): St, p: Params) -> Response {
    let prepared = (|| {
        let limit = p.limit()?;
        let t = p.time_or("time", now_ms())?;
        let engine = engine_for(&st, &p)?;
        let (expr, text) = parse_query(&engine, &p)?;
        Ok((engine, expr, text, QueryTimeRange::instant(t), limit))
    })();
    run(st, "query", prepared, !p.get("stats").is_empty()).await
}

/// `GET|POST /api/v1/query_range`.
pub async fn range(State(st): St, p: Params) -> Response {
    let prepared = (|| {
        let limit = p.limit()?;
        let start = parse_time(p.get("start")).map_err(|e| ApiError::invalid_param("start", e))?;
        let end = parse_time(p.get("end")).map_err(|e| ApiError::invalid_param("end", e))?;
        if end < start {
            return Err(ApiError::invalid_param(
                "end",
                "end timestamp must not be before start time",
            ));
        }
        let step = parse_duration_param(p.get("step")).map_err(|e| ApiError::invalid_param("step", e))?;
        if step <= 0 {
            return Err(ApiError::invalid_param(
                "step",
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ));
        }
        if (end - start) / step > MAX_POINTS {
            return Err(ApiError::bad_data(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
            ));
        }
        let engine = engine_for(&st, &p)?;
        let (expr, text) = parse_query(&engine, &p)?;
        Ok((engine, expr, text, QueryTimeRange::range(start, end, step), limit))
    })();
    run(st, "query_range", prepared, !p.get("stats").is_empty()).await
}

/// A checked request: engine, query, its text, time range and `limit` (0 = none).
type Prepared = Result<(Engine, Expr, String, QueryTimeRange, usize), ApiError>;

/// Keeps the first `limit` series of a vector or matrix (0 = all); true when some were cut.
fn truncate(value: &mut QueryValue, limit: usize) -> bool {
    let len = match value {
        QueryValue::Vector(v) => v.len(),
        QueryValue::Matrix(m) => m.len(),
        QueryValue::Scalar { .. } | QueryValue::String { .. } => 0,
    };
    if limit == 0 || len <= limit {
        return false;
    }
    match value {
        QueryValue::Vector(v) => v.truncate(limit),
        QueryValue::Matrix(m) => m.truncate(limit),
        QueryValue::Scalar { .. } | QueryValue::String { .. } => {}
    }
    true
}

/// Runs a prepared query in a slot and answers with the streamed result or the error.
async fn run(st: Arc<AppState>, endpoint: &'static str, prepared: Prepared, want_stats: bool) -> Response {
    let started = Instant::now();
    let outcome = execute(st.clone(), prepared, want_stats, started).await;
    let label = match &outcome {
        Ok(_) => "success",
        Err(e) => e.typ.as_str(),
    };
    st.metrics
        .observe_query(endpoint, label, started.elapsed().as_secs_f64());
    match outcome {
        Ok(resp) => resp,
        Err(e) => {
            tracing::debug!(endpoint, error = %e, "query failed");
            e.into_response()
        }
    }
}

async fn execute(
    st: Arc<AppState>,
    prepared: Prepared,
    want_stats: bool,
    started: Instant,
) -> Result<Response, ApiError> {
    let (engine, expr, text, range, limit) = prepared?;
    let slot = st.gate.acquire().await?;
    let queue = started.elapsed().as_secs_f64();
    let cancel = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancel.clone());
    let (head_tx, head_rx) = oneshot::channel();
    let (mut writer, body) = body::channel();
    let state = st.clone();
    tokio::task::spawn_blocking(move || {
        state.metrics.queries_running.inc();
        let eval_start = Instant::now();
        let result = catch_panic(|| {
            engine
                .execute(state.queryable.as_ref(), &expr, &text, range, Some(cancel))
                .map_err(|e| ApiError::from_engine(&e))
        });
        let eval = eval_start.elapsed().as_secs_f64();
        state.metrics.queries_running.dec();
        let mut result = match result {
            Ok(r) => r,
            Err(e) => {
                // Free the slot before answering, so the client's next query finds it free.
                drop(slot);
                let _ = head_tx.send(Err(e));
                return;
            }
        };
        state
            .metrics
            .query_peak_memory
            .observe(result.stats.peak_memory_bytes as f64);
        state.metrics.query_samples.inc_by(result.stats.total_samples);
        if head_tx.send(Ok(())).is_err() {
            return;
        }
        let timings = want_stats.then_some(QueryTimings {
            eval_total: eval,
            preparation: 0.0,
            queue,
        });
        let extra = if truncate(&mut result.value, limit) {
            vec![TRUNCATED.to_string()]
        } else {
            Vec::new()
        };
        let written = catch_panic(|| {
            json::write_success_warned(&mut writer, &result, &text, timings.as_ref(), &extra)
                .map_err(|e| ApiError::internal(e.to_string()))
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "response not fully written");
        }
        // The slot is freed before the last buffer is handed over (when `writer` drops).
        drop(slot);
    });
    match head_rx.await {
        Ok(Ok(())) => {
            let mut resp = (StatusCode::OK, body).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(resp)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::internal("query task ended without an answer")),
    }
}
