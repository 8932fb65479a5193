//! `rill import FILE`: backfill an OpenMetrics / Prometheus text file into blocks of a data
//! directory, with a progress bar over the bytes read.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rill_model::time::parse_duration;
use rill_tsdb::{ImportOptions, import_text};

/// Arguments of `rill import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The text file to import (every sample needs a timestamp).
    file: PathBuf,
    /// The data directory to write blocks into (created if missing).
    #[arg(long, default_value = "rill-data")]
    data: PathBuf,
    /// Width of each block (blocks are aligned to multiples of it).
    #[arg(long, default_value = "2h")]
    block_duration: String,
    /// Samples buffered in memory before blocks are written out (bounds memory use).
    #[arg(long, default_value_t = ImportOptions::default().max_buffered_samples)]
    max_buffered_samples: usize,
}

fn import(args: &ImportArgs) -> Result<()> {
    let block_duration = parse_duration(&args.block_duration)
        .with_context(|| format!("invalid --block-duration {:?}", args.block_duration))?;
    let file = File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let reader = BufReader::with_capacity(1 << 20, bar.wrap_read(file));
    let opts = ImportOptions {
        block_duration,
        max_buffered_samples: args.max_buffered_samples,
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let result = import_text(reader, &args.data, &opts);
    bar.finish_and_clear();
    let stats = result.with_context(|| format!("importing {}", args.file.display()))?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "imported {} samples of {} series into {} block(s) in {} in {secs:.1}s ({:.0} samples/s)",
        stats.samples,
        stats.series,
        stats.blocks.len(),
        args.data.display(),
        stats.samples as f64 / secs.max(1e-9),
    );
    for b in &stats.blocks {
        println!("{}", b.display());
    }
    Ok(())
}

/// Runs the import; exit 1 on any error (the message names the line for bad input).
pub fn run(args: &ImportArgs) -> ExitCode {
    match import(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
