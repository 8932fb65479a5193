//! `rill query`: evaluate one expression and print a table or Prometheus's JSON.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use rill_codec::demo::{DEMO_END_MS, demo_dataset};
use rill_engine::{Engine, EngineOptions, QueryResult};
use rill_model::time::{parse_duration, parse_timestamp};
use rill_model::{MemoryStore, Queryable};

use crate::data::{last_timestamp, load_text_file};
use rill_server::json;

use crate::{Format, QueryArgs, table, udf_cmd};

/// Parses a step as Prometheus's API does: float seconds, or a duration like `1m`.
fn parse_step(s: &str) -> Result<i64> {
    if let Ok(secs) = s.parse::<f64>() {
        let ms = (secs * 1000.0).round();
        if !ms.is_finite() || ms.abs() > 9.2e18 {
            bail!("cannot parse {s:?} to a valid duration");
        }
        return Ok(ms as i64);
    }
    parse_duration(s).with_context(|| format!("cannot parse {s:?} to a valid duration"))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn timestamp(s: &str) -> Result<i64> {
    parse_timestamp(s).with_context(|| format!("invalid time {s:?}"))
}

/// The storage and the default evaluation time.
fn store(args: &QueryArgs) -> Result<(Box<dyn Queryable>, i64)> {
    if args.demo {
        let mut store = MemoryStore::new();
        demo_dataset(&mut store).context("building the demo dataset")?;
        return Ok((Box::new(store), DEMO_END_MS));
    }
    let Some(path) = &args.data else {
        return Ok((Box::new(MemoryStore::new()), now_ms()));
    };
    if path.is_dir() {
        let db = rill_tsdb::Db::open_read_only(path).with_context(|| format!("opening {}", path.display()))?;
        let newest = db.blocks().blocks().iter().map(|b| b.meta().max_time - 1).max();
        return Ok((Box::new(db), newest.unwrap_or_else(now_ms)));
    }
    // Samples without timestamps are stamped with the requested time, else now.
    let stamp = match (&args.time, &args.end) {
        (Some(t), _) | (None, Some(t)) => timestamp(t)?,
        (None, None) => now_ms(),
    };
    let store = load_text_file(path, stamp)?;
    let default = last_timestamp(&store).unwrap_or(stamp);
    Ok((Box::new(store), default))
}

fn evaluate(args: &QueryArgs) -> Result<std::result::Result<QueryResult, rill_engine::Error>> {
    let (store, default_time) = store(args)?;
    let engine = Engine::new(EngineOptions::default(), udf_cmd::registry(args.udf.as_deref())?);
    Ok(match (&args.start, &args.end, &args.step) {
        (Some(start), Some(end), Some(step)) => engine.range_query(
            &*store,
            &args.expr,
            timestamp(start)?,
            timestamp(end)?,
            parse_step(step)?,
        ),
        _ => {
            let t = args.time.as_deref().map(timestamp).transpose()?.unwrap_or(default_time);
            engine.instant_query(&*store, &args.expr, t)
        }
    })
}

/// Runs the query; exit 1 on any error (bad data, bad query, evaluation failure).
pub fn run(args: &QueryArgs) -> ExitCode {
    let outcome = match evaluate(args) {
        Ok(o) => o,
        Err(e) => {
            match args.format {
                Format::Json => println!("{}", json::error("bad_data", &format!("{e:#}"))),
                Format::Table => eprintln!("error: {e:#}"),
            }
            return ExitCode::from(1);
        }
    };
    match (outcome, args.format) {
        (Ok(res), Format::Json) => println!("{}", json::success(&res, &args.expr)),
        (Ok(res), Format::Table) => {
            print!("{}", table::render(&res.value));
            for w in res
                .annotations
                .rendered(rill_engine::AnnotationLevel::Warning, &args.expr)
            {
                eprintln!("warning: {w}");
            }
            for i in res.annotations.rendered(rill_engine::AnnotationLevel::Info, &args.expr) {
                eprintln!("info: {i}");
            }
        }
        (Err(e), Format::Json) => {
            println!("{}", json::error(json::error_type(e.kind()), &e.to_string()));
            return ExitCode::from(1);
        }
        (Err(e), Format::Table) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
