//! `rill serve`: the Prometheus-compatible HTTP API over a data directory or the demo dataset.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use rill_codec::demo::demo_dataset;
use rill_model::MemoryStore;
use rill_server::{Server, ServerConfig, SharedMemoryStore};

/// Arguments of `rill serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Data directory (Prometheus's or Rill's blocks, head and WAL; remote write lands in it);
    /// default: the demo dataset in memory.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Address to listen on (overrides the config file).
    #[arg(long)]
    listen: Option<String>,
    /// YAML configuration file (limits, timeouts; see `rill_server::config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Load the WebAssembly UDF modules (.wasm, .wat) of this directory.
    #[arg(long)]
    udf: Option<PathBuf>,
}

/// Runs the server until SIGTERM/SIGINT.
pub fn run(args: &ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::from(1)
        }
    }
}

fn serve(args: &ServeArgs) -> Result<()> {
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path)?,
        None => ServerConfig::default(),
    };
    if let Some(l) = &args.listen {
        config.listen = l.clone();
    }
    let registry = crate::udf_cmd::registry(args.udf.as_deref())?;
    let mut db: Option<Arc<rill_tsdb::Db>> = None;
    let server = match &args.data {
        Some(dir) => {
            let opened = Arc::new(
                rill_tsdb::Db::open(dir, rill_tsdb::db::DbOptions::default())
                    .with_context(|| format!("opening {}", dir.display()))?,
            );
            tracing::info!(dir = %dir.display(), "serving a data directory (head + WAL + blocks)");
            db = Some(opened.clone());
            Server::with_registry(config.clone(), opened.clone(), Some(opened), registry)
        }
        None => {
            let mut store = MemoryStore::new();
            demo_dataset(&mut store).context("building the demo dataset")?;
            tracing::info!(series = store.num_series(), "serving the demo dataset");
            let shared = Arc::new(SharedMemoryStore::new(store));
            Server::with_registry(config.clone(), shared.clone(), Some(shared), registry)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        server
            .serve(listener, rill_server::server::shutdown_signal())
            .await
            .context("serving")
    })?;
    // In-flight requests have finished: flush and fsync the WAL.
    if let Some(db) = db {
        db.close().context("closing the database")?;
    }
    Ok(())
}
