//! Metadata endpoints: `/api/v1/series`, `/labels`, `/label/<name>/values`, `/metadata`,
//! `/query_exemplars`, `/format_query`, `/parse_query`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rill_model::{Labels, Matcher, SelectHints};

use crate::api::query::St;
use crate::ast_json;
use crate::error::ApiError;
use crate::gate::run_blocking;
use crate::json;
use crate::params::{MAX_TIME_MS, MIN_TIME_MS, Params};
use crate::state::AppState;

/// Prometheus's warning when `limit` cut a list or a query result.
pub(crate) const TRUNCATED: &str = "results truncated due to limit";

/// A `200 application/json` response with `body`.
pub fn json_response(body: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A success response whose `data` is written by `data`.
fn success(warnings: &[String], data: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> Response {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = json::write_success_with(&mut out, warnings, data);
    json_response(out)
}

fn into_response(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

/// Cuts `items` to `limit` (0 = none); returns the warnings to report.
fn apply_limit<T>(items: &mut Vec<T>, limit: usize) -> Vec<String> {
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        vec![TRUNCATED.to_string()]
    } else {
        Vec::new()
    }
}

fn range_params(p: &Params) -> Result<(i64, i64), ApiError> {
    Ok((p.time_or("start", MIN_TIME_MS)?, p.time_or("end", MAX_TIME_MS)?))
}

/// `GET|POST /api/v1/series`.
pub async fn series(State(st): St, p: Params) -> Response {
    into_response(series_inner(st, p).await)
}

async fn series_inner(st: Arc<AppState>, p: Params) -> Result<Response, ApiError> {
    if p.all("match[]").is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let limit = p.limit()?;
    let (start, end) = range_params(&p)?;
    let sets = p.matcher_sets().map_err(|e| ApiError::invalid_param("match[]", e))?;
    let mut all = run_blocking(move || {
        let q = st.queryable.querier(start, end).map_err(storage_err)?;
        let hints = SelectHints {
            start,
            end,
            func: Some("series".into()),
            ..SelectHints::default()
        };
        let mut found: BTreeSet<Labels> = BTreeSet::new();
        for set in &sets {
            let mut s = q.select(&hints, set).map_err(storage_err)?;
            while let Some(series) = s.next().map_err(storage_err)? {
                found.insert(series.labels);
            }
        }
        Ok(found.into_iter().collect::<Vec<_>>())
    })
    .await?;
    let warnings = apply_limit(&mut all, limit);
    Ok(success(&warnings, |w| {
        w.write_all(b"[")?;
        for (i, l) in all.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            json::write_labels(w, l)?;
        }
        w.write_all(b"]")
    }))
}

fn storage_err(e: rill_model::Error) -> ApiError {
    ApiError::new(crate::error::ErrorType::Execution, e.to_string())
}

/// Names or values of labels over every matcher set (all series when there is none).
async fn collect_labels(
    st: Arc<AppState>,
    start: i64,
    end: i64,
    sets: Vec<Vec<Matcher>>,
    name: Option<String>,
) -> Result<Vec<String>, ApiError> {
    run_blocking(move || {
        let q = st.queryable.querier(start, end).map_err(storage_err)?;
        let sets = if sets.is_empty() { vec![Vec::new()] } else { sets };
        let mut out: BTreeSet<String> = BTreeSet::new();
        for set in &sets {
            let list = match &name {
                Some(n) => q.label_values(n, set),
                None => q.label_names(set),
            }
            .map_err(storage_err)?;
            out.extend(list);
        }
        Ok(out.into_iter().collect())
    })
    .await
}

/// `GET|POST /api/v1/labels`.
pub async fn labels(State(st): St, p: Params) -> Response {
    into_response(labels_inner(st, p, None).await)
}

/// `GET /api/v1/label/<name>/values`.
pub async fn label_values(State(st): St, Path(name): Path<String>, p: Params) -> Response {
    if name.is_empty() {
        return ApiError::bad_data(format!("invalid label name: {name:?}")).into_response();
    }
    into_response(labels_inner(st, p, Some(name)).await)
}

async fn labels_inner(st: Arc<AppState>, p: Params, name: Option<String>) -> Result<Response, ApiError> {
    let limit = p.limit()?;
    let (start, end) = range_params(&p)?;
    let sets = p.matcher_sets().map_err(ApiError::bad_data)?;
    let mut list = collect_labels(st, start, end, sets, name).await?;
    let warnings = apply_limit(&mut list, limit);
    Ok(success(&warnings, |w| json::write_string_list(w, &list)))
}

/// `GET /api/v1/metadata` (`metric`, `limit`, `limit_per_metric`): metadata received through
/// remote write.
pub async fn metadata(State(st): St, p: Params) -> Response {
    into_response(metadata_inner(&st, &p))
}

fn metadata_inner(st: &AppState, p: &Params) -> Result<Response, ApiError> {
    let limit = p.limit()?;
    let per_metric = match p.get("limit_per_metric") {
        "" => 0,
        s => s
            .parse::<usize>()
            .map_err(|_| ApiError::bad_data("limit_per_metric must be a number"))?,
    };
    let metric = p.get("metric");
    let all = st.metadata.read();
    let mut chosen: BTreeMap<&str, Vec<&crate::state::MetricMetadata>> = BTreeMap::new();
    for (name, list) in all.iter() {
        if limit > 0 && chosen.len() >= limit {
            break;
        }
        if !metric.is_empty() && name != metric {
            continue;
        }
        let take = if per_metric > 0 { per_metric } else { usize::MAX };
        chosen.insert(name, list.iter().take(take).collect());
    }
    Ok(success(&[], |w| {
        w.write_all(b"{")?;
        for (i, (name, list)) in chosen.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            json::write_str(w, name)?;
            w.write_all(b":[")?;
            for (j, m) in list.iter().enumerate() {
                if j > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(b"{\"type\":")?;
                json::write_str(w, &m.typ)?;
                w.write_all(b",\"help\":")?;
                json::write_str(w, &m.help)?;
                w.write_all(b",\"unit\":")?;
                json::write_str(w, &m.unit)?;
                w.write_all(b"}")?;
            }
            w.write_all(b"]")?;
        }
        w.write_all(b"}")
    }))
}

/// `GET|POST /api/v1/query_exemplars`: validates like Prometheus; no exemplars are stored yet.
pub async fn query_exemplars(State(st): St, p: Params) -> Response {
    let checked = (|| {
        let (start, end) = range_params(&p)?;
        if end < start {
            return Err(ApiError::bad_data("end timestamp must not be before start timestamp"));
        }
        let engine = st.engine(None, None);
        engine
            .parse(p.get("query"))
            .map_err(|e| ApiError::bad_data(e.to_string()))?;
        Ok(success(&[], |w| w.write_all(b"[]")))
    })();
    into_response(checked)
}

/// `GET|POST /api/v1/format_query`: the query pretty-printed like Prometheus's
/// `parser.Prettify` (split over indented lines past 100 bytes).
pub async fn format_query(State(st): St, p: Params) -> Response {
    let engine = st.engine(None, None);
    into_response(
        engine
            .parse(p.get("query"))
            .map_err(|e| ApiError::invalid_param("query", e))
            .map(|expr| success(&[], |w| json::write_str(w, &rill_promql::pretty(&expr)))),
    )
}

/// `GET|POST /api/v1/parse_query`: the query's syntax tree as JSON, like Prometheus's.
pub async fn parse_query(State(st): St, p: Params) -> Response {
    let engine = st.engine(None, None);
    let query = p.get("query");
    let src = ast_json::AstSource {
        functions: st.registry.as_ref(),
        query,
    };
    into_response(
        engine
            .parse(query)
            .map_err(|e| ApiError::invalid_param("query", e))
            .map(|expr| success(&[], |w| ast_json::write_ast(w, &expr, src))),
    )
}
