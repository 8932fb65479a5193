//! `rill`: run promqltest scripts (`rill test`) and evaluate PromQL against a text-format
//! data file or the demo dataset (`rill query`).

mod data;
mod import_cmd;
mod query;
mod serve;
mod table;
mod tee_cmd;
mod test_cmd;
mod udf_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Rill: a PromQL engine and TSDB that answers like Prometheus.
#[derive(Parser, Debug)]
#[command(name = "rill", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run promqltest scripts; prints failures, per-file totals and `N passed, N failed`.
    /// Exit code 1 if any case fails, 2 if a file cannot be read.
    Test(TestArgs),
    /// Evaluate a PromQL expression (instant, or range with --start/--end/--step).
    Query(QueryArgs),
    /// Backfill an OpenMetrics / Prometheus text file (with timestamps) into TSDB blocks.
    Import(import_cmd::ImportArgs),
    /// WebAssembly user-defined functions.
    #[command(subcommand)]
    Udf(udf_cmd::UdfCommand),
    /// Serve Prometheus's HTTP API (queries, remote write and read) over a data directory
    /// or the demo dataset.
    Serve(serve::ServeArgs),
    /// Send queries to a reference Prometheus and a server under test and compare the answers;
    /// mismatches are minimised and written out as regression cases.
    Tee(tee_cmd::TeeArgs),
}

/// Arguments of `rill test`.
#[derive(clap::Args, Debug)]
struct TestArgs {
    /// Script files (`*.test`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Skip the implicit range-mode and `@` cross-checks of instant evals.
    #[arg(long)]
    no_cross_checks: bool,
    /// Load the WebAssembly UDF modules (.wasm, .wat) of this directory.
    #[arg(long)]
    udf: Option<PathBuf>,
}

/// Output format of `rill query`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Aligned labels and values.
    Table,
    /// Prometheus's `/api/v1/query(_range)` response body.
    Json,
}

/// Arguments of `rill query`.
#[derive(clap::Args, Debug)]
struct QueryArgs {
    /// The PromQL expression.
    expr: String,
    /// A TSDB data directory (Prometheus's or Rill's blocks), or an OpenMetrics / Prometheus
    /// text file to load.
    #[arg(long, conflicts_with = "demo")]
    data: Option<PathBuf>,
    /// Use the built-in demo dataset (the default time is its end).
    #[arg(long)]
    demo: bool,
    /// Evaluation time: unix seconds or RFC 3339 (default: the data's last sample, else now).
    #[arg(long, conflicts_with_all = ["start", "end"])]
    time: Option<String>,
    /// Range query start: unix seconds or RFC 3339.
    #[arg(long, requires_all = ["end", "step"])]
    start: Option<String>,
    /// Range query end: unix seconds or RFC 3339.
    #[arg(long, requires_all = ["start", "step"])]
    end: Option<String>,
    /// Range query step: a duration (`15s`, `1m`) or seconds (`15`, `1.5`).
    #[arg(long, requires_all = ["start", "end"])]
    step: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Load the WebAssembly UDF modules (.wasm, .wat) of this directory.
    #[arg(long)]
    udf: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Test(args) => test_cmd::run(&args.files, !args.no_cross_checks, args.udf.as_deref()),
        Command::Query(args) => query::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Import(args) => import_cmd::run(&args),
        Command::Udf(cmd) => udf_cmd::run(&cmd),
        Command::Tee(args) => tee_cmd::run(&args),
    }
}
