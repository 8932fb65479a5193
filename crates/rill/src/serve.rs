//! `rill serve`: the Prometheus-compatible HTTP API over a data directory.
//!
//! Without `--data` the directory is `./rill-data`, filled with the demo dataset (as a real
//! block) the first time it is missing or empty; a directory named with `--data` is used as it
//! is (an empty one starts empty).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use rill_server::{Server, ServerConfig};
use rill_tsdb::DemoDir;

/// The data directory used without `--data`.
const DEFAULT_DATA_DIR: &str = "rill-data";

/// Arguments of `rill serve`.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Data directory (Prometheus's or Rill's blocks, head and WAL; remote write lands in it);
    /// default: ./rill-data, filled with the demo dataset on first start.
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
    let dir = match &args.data {
        Some(dir) => dir.clone(),
        None => prepare_default_dir(Path::new(DEFAULT_DATA_DIR))?,
    };
    let db = Arc::new(
        rill_tsdb::Db::open(&dir, rill_tsdb::db::DbOptions::default())
            .with_context(|| format!("opening {}", dir.display()))?,
    );
    tracing::info!(
        dir = %dir.display(),
        blocks = db.blocks().blocks().len(),
        head_series = db.head().num_series(),
        "serving a data directory (head + WAL + blocks)"
    );
    let server = Server::with_registry(config.clone(), db.clone(), Some(db.clone()), registry);
    let fsync_histogram = server.state().metrics.wal_fsync.clone();
    db.fsync_stats()
        .set_observer(Box::new(move |d| fsync_histogram.observe(d.as_secs_f64())));
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
    db.close().context("closing the database")?;
    Ok(())
}

/// Fills `dir` with the demo dataset if it is missing or empty, saying which happened.
fn prepare_default_dir(dir: &Path) -> Result<PathBuf> {
    match rill_tsdb::ensure_demo_dir(dir).with_context(|| format!("writing the demo dataset to {}", dir.display()))? {
        DemoDir::Filled { series, samples } => tracing::info!(
            dir = %dir.display(),
            series,
            samples,
            "no --data given and {} was missing or empty: wrote the demo dataset there as a block",
            dir.display()
        ),
        DemoDir::Existing => tracing::info!(
            dir = %dir.display(),
            "no --data given: using the existing {} (the demo dataset is only written into a missing or empty directory)",
            dir.display()
        ),
    }
    Ok(dir.to_path_buf())
}
