//! Building and running the server: routes plus body limit, panic catcher and request
//! tracing; graceful shutdown on SIGTERM/SIGINT (in-flight requests finish first).

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use rill_engine::FunctionRegistry;
use rill_model::{Appendable, Queryable};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::config::ServerConfig;
use crate::error::ApiError;
use crate::state::AppState;

/// A configured server, ready to serve.
pub struct Server {
    state: Arc<AppState>,
}

impl Server {
    /// A server with every built-in PromQL function.
    pub fn new(config: ServerConfig, queryable: Arc<dyn Queryable>, appendable: Option<Arc<dyn Appendable>>) -> Self {
        let registry = Arc::new(rill_engine::functions::builtin_registry());
        Self::with_registry(config, queryable, appendable, registry)
    }

    /// A server whose queries may call the functions of `registry`.
    pub fn with_registry(
        config: ServerConfig,
        queryable: Arc<dyn Queryable>,
        appendable: Option<Arc<dyn Appendable>>,
        registry: Arc<FunctionRegistry>,
    ) -> Self {
        Server {
            state: Arc::new(AppState::new(config, queryable, appendable, registry)),
        }
    }

    /// The shared state (metrics, readiness).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// The router with all layers.
    pub fn router(&self) -> Router {
        api::routes(self.state.clone())
            .layer(DefaultBodyLimit::max(self.state.config.max_body_bytes))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TraceLayer::new_for_http())
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish.
    /// `/-/ready` answers 200 from the moment the listener accepts connections.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = self.router();
        let state = self.state.clone();
        state.set_ready(true);
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "rill is ready to serve queries");
        }
        let result = axum::serve(listener, router).with_graceful_shutdown(shutdown).await;
        state.set_ready(false);
        tracing::info!("server stopped; in-flight requests finished");
        result
    }
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!(panic = %what, "handler panicked");
    ApiError::internal(format!("unexpected error: {what}")).into_response()
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}
