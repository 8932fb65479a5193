//! Executing `load` blocks: appending samples to a [`MemoryStore`], and the `load_with_nhcb`
//! conversion of classic histograms (`X_bucket{le}`, `X_count`, `X_sum`) into native
//! histograms with custom buckets under the name `X`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rill_model::histogram::CUSTOM_BUCKETS_SCHEMA;
use rill_model::{FloatHistogram, Labels, METRIC_NAME, MemoryStore, Sample};

use crate::histogram::from_indexed;
use crate::script::{LoadCmd, LoadSeries, SeqValue};

/// Appends the block's samples (and converted NHCBs) to `store`.
pub(crate) fn apply_load(store: &mut MemoryStore, cmd: &LoadCmd) -> Result<(), String> {
    // A later line for the same series replaces an earlier one, as in the Go runner.
    let mut defs: BTreeMap<&Labels, &LoadSeries> = BTreeMap::new();
    for s in &cmd.series {
        defs.insert(&s.labels, s);
    }
    for (labels, s) in &defs {
        for (k, (t, v)) in samples(s, cmd.step_ms).enumerate() {
            let sample = match v {
                SeqValue::Float(f) => Sample::float(t, *f),
                SeqValue::Histogram { h, .. } => Sample::histogram(t, h.clone()),
                SeqValue::Omitted => continue,
            };
            // An `@st` line gives start timestamps relative to the samples (`_`: unknown, 0).
            let appended = match &s.start_offsets {
                Some(offsets) => {
                    let st = offsets.get(k).copied().flatten().map_or(0, |d| t.saturating_add(d));
                    store.append_with_start_timestamp(labels, sample, st)
                }
                None => store.append(labels, sample),
            };
            appended.map_err(|e| format!("line {}: {e}", s.line))?;
        }
    }
    if cmd.with_nhcb {
        for (labels, samples) in convert_classic(defs.values().copied(), cmd.step_ms)? {
            for s in samples {
                store.append(&labels, s).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// `(timestamp, value)` of every position of a series line.
fn samples(s: &LoadSeries, step_ms: i64) -> impl Iterator<Item = (i64, &SeqValue)> {
    s.values.iter().enumerate().map(move |(k, v)| (k as i64 * step_ms, v))
}

/// One classic histogram at one timestamp, being collected.
#[derive(Default)]
struct TempHistogram {
    /// Cumulative counts by upper bound, sorted.
    buckets: Vec<(f64, f64)>,
    count: Option<f64>,
    sum: f64,
    err: Option<String>,
}

impl TempHistogram {
    fn set_bucket(&mut self, le: f64, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(format!("bucket count must be non-negative: le={le}, count={count}"));
            return;
        }
        let i = self.buckets.partition_point(|(b, _)| *b < le);
        if self.buckets.get(i).is_some_and(|(b, _)| *b == le) {
            return; // duplicate sample
        }
        if i > 0 && self.buckets.get(i - 1).is_some_and(|(_, c)| count < *c)
            || self.buckets.get(i).is_some_and(|(_, c)| count > *c)
        {
            self.err = Some(format!("count is not cumulative: le={le}, count={count}"));
            return;
        }
        self.buckets.insert(i, (le, count));
    }

    fn set_count(&mut self, count: f64) {
        if self.err.is_none() && count < 0.0 {
            self.err = Some(format!("count must be non-negative: count={count}"));
        }
        self.count = Some(count);
    }

    fn convert(mut self) -> Result<FloatHistogram, String> {
        if let Some(e) = self.err {
            return Err(e);
        }
        let count = match (self.count, self.buckets.last()) {
            (Some(c), _) => c,
            (None, Some((_, c))) => *c,
            (None, None) => return Err("count must be provided when no buckets are present".into()),
        };
        if self.buckets.last().is_none_or(|(le, _)| *le != f64::INFINITY) {
            self.buckets.push((f64::INFINITY, count));
        }
        let last = self.buckets.last().map_or(0.0, |b| b.1);
        if count != last {
            return Err(format!("count mismatch: count={count} != le=+Inf count={last}"));
        }
        let integral = self.buckets.iter().all(|(_, c)| c.fract() == 0.0) && count.fract() == 0.0;
        let mut prev = 0.0;
        let pairs: Vec<(i32, f64)> = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, (_, c))| {
                let delta = c - prev;
                prev = *c;
                (i as i32, delta)
            })
            .collect();
        // Integer histograms are compacted with Compact(2), float ones with Compact(0).
        let (spans, buckets) = from_indexed(&pairs, if integral { 2 } else { 0 });
        let n = self.buckets.len();
        Ok(FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count,
            sum: self.sum,
            positive_spans: spans,
            positive_buckets: buckets,
            custom_values: self.buckets.iter().take(n.saturating_sub(1)).map(|b| b.0).collect(),
            ..FloatHistogram::default()
        })
    }
}

/// Which part of a classic histogram a series is.
enum Part {
    Bucket(f64),
    Count,
    Sum,
}

fn classify(labels: &Labels) -> Result<Option<(String, Part)>, String> {
    let name = labels.metric_name().unwrap_or("");
    if let Some(base) = name.strip_suffix("_bucket") {
        let le = labels
            .get("le")
            .ok_or_else(|| format!("expected bucket label in metric {labels}"))?;
        return Ok(match le.parse::<f64>() {
            Ok(v) if !v.is_nan() => Some((base.to_string(), Part::Bucket(v))),
            _ => None,
        });
    }
    if let Some(base) = name.strip_suffix("_sum") {
        return Ok(Some((base.to_string(), Part::Sum)));
    }
    Ok(name.strip_suffix("_count").map(|base| (base.to_string(), Part::Count)))
}

/// Converts the classic histogram families among `series` into NHCB samples, per target series.
fn convert_classic<'a>(
    series: impl Iterator<Item = &'a LoadSeries>,
    step_ms: i64,
) -> Result<Vec<(Labels, Vec<Sample>)>, String> {
    let mut families: BTreeMap<Labels, BTreeMap<i64, TempHistogram>> = BTreeMap::new();
    for s in series {
        let Some((base, part)) = classify(&s.labels)? else {
            continue;
        };
        let mut b = s.labels.to_builder();
        b.set(METRIC_NAME, base);
        b.del("le");
        let by_ts = families.entry(b.build()).or_default();
        for (t, v) in samples(s, step_ms) {
            let SeqValue::Float(f) = v else { continue };
            let h = by_ts.entry(t).or_default();
            match part {
                Part::Bucket(le) => h.set_bucket(le, *f),
                Part::Count => h.set_count(*f),
                Part::Sum => h.sum = *f,
            }
        }
    }
    families
        .into_iter()
        .map(|(labels, by_ts)| {
            let samples = by_ts
                .into_iter()
                .map(|(t, h)| Ok(Sample::histogram(t, Arc::new(h.convert()?))))
                .collect::<Result<Vec<_>, String>>()?;
            Ok((labels, samples))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rill_model::{Span, Value};

    use super::*;
    use crate::parse::parse_script;
    use crate::script::Command;

    fn load(text: &str) -> MemoryStore {
        let cmds = parse_script("t", text).unwrap();
        let mut store = MemoryStore::new();
        for c in &cmds {
            if let Command::Load(l) = c {
                apply_load(&mut store, l).unwrap();
            }
        }
        store
    }

    #[test]
    fn floats_gaps_and_replacement() {
        let s = load("load 1m\n  m 1 _ 3\n  m 5 6\n  n stale\n");
        let series: Vec<_> = s.iter().collect();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].1, &[Sample::float(0, 5.0), Sample::float(60_000, 6.0)]);
        assert!(series[1].1[0].v.is_stale());
    }

    #[test]
    fn nhcb_conversion() {
        let s = load(
            "load_with_nhcb 1m\n  h_bucket{le=\"1\"} 1 2\n  h_bucket{le=\"5\"} 3 2\n  h_bucket{le=\"+Inf\"} 3 4\n  \
             h_sum 10 20\n  h_count 3 4\n",
        );
        let (labels, samples) = s.iter().find(|(l, _)| l.metric_name() == Some("h")).unwrap();
        assert_eq!(labels.to_string(), "h");
        let Value::Histogram(h) = &samples[0].v else {
            panic!("not a histogram")
        };
        assert_eq!((h.schema, h.count, h.sum), (-53, 3.0, 10.0));
        assert_eq!(h.custom_values, vec![1.0, 5.0]);
        assert_eq!(h.positive_spans, vec![Span { offset: 0, length: 2 }]);
        assert_eq!(h.positive_buckets, vec![1.0, 2.0]);
        let Value::Histogram(h2) = &samples[1].v else {
            panic!("not a histogram")
        };
        assert_eq!(h2.positive_buckets, vec![2.0, 0.0, 2.0]);
        let cmds = parse_script(
            "t",
            "load_with_nhcb 1m\n  h_bucket{le=\"1\"} 5\n  h_bucket{le=\"2\"} 1\n",
        )
        .unwrap();
        let Command::Load(l) = &cmds[0] else {
            panic!("not a load")
        };
        assert!(apply_load(&mut MemoryStore::new(), l).is_err());
    }
}
