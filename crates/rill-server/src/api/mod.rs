//! The HTTP routes: Prometheus's `/api/v1/*`, `/-/healthy`, `/-/ready`, `/metrics`.

pub mod meta;
pub mod query;
pub mod status;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::remote;
use crate::state::AppState;

/// All routes over `state`.
pub fn routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route("/api/v1/series", get(meta::series).post(meta::series))
        .route("/api/v1/labels", get(meta::labels).post(meta::labels))
        .route("/api/v1/label/{name}/values", get(meta::label_values))
        .route("/api/v1/metadata", get(meta::metadata))
        .route(
            "/api/v1/query_exemplars",
            get(meta::query_exemplars).post(meta::query_exemplars),
        )
        .route("/api/v1/format_query", get(meta::format_query).post(meta::format_query))
        .route("/api/v1/parse_query", get(meta::parse_query).post(meta::parse_query))
        .route("/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/api/v1/status/runtimeinfo", get(status::runtimeinfo))
        .route("/api/v1/status/flags", get(status::flags))
        .route("/api/v1/status/functions", get(status::functions))
        .route("/api/v1/write", post(remote::write::handle))
        .route("/api/v1/read", post(remote::read::handle))
        .route("/-/healthy", get(status::healthy))
        .route("/-/ready", get(status::ready))
        .route("/metrics", get(status::metrics))
        .with_state(state)
}
