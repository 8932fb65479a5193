//! An in-memory store implementing the [`crate::storage`] traits.
//!
//! Used by tests, by promqltest `load` blocks and for the demo dataset. Samples live in one
//! `Arc<Vec<Sample>>` per series; a querier shares them without copying, and hands them out
//! as decoded chunks of at most [`CHUNK_SAMPLES`] samples so the engine's chunk-skipping paths
//! are exercised the same way as with real blocks.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::sample::Sample;
use crate::storage::{Chunk, ChunkIterator, Querier, Queryable, SelectHints, Series, SeriesSet};

/// Samples per handed-out chunk (Prometheus cuts chunks at 120 samples).
pub const CHUNK_SAMPLES: usize = 120;

/// A sorted map from label set to samples.
#[derive(Default, Clone)]
pub struct MemoryStore {
    series: Arc<BTreeMap<Labels, Arc<Vec<Sample>>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a sample. Samples of a series must come in strictly increasing time order;
    /// a sample at the same timestamp as the last one replaces it (as promqltest loads do).
    pub fn append(&mut self, labels: &Labels, sample: Sample) -> Result<()> {
        let map = Arc::make_mut(&mut self.series);
        let samples = Arc::make_mut(map.entry(labels.clone()).or_default());
        match samples.last() {
            Some(last) if last.t > sample.t => {
                return Err(Error::OutOfOrder {
                    series: labels.to_string(),
                    timestamp: sample.t,
                });
            }
            Some(last) if last.t == sample.t => {
                if let Some(l) = samples.last_mut() {
                    *l = sample;
                }
            }
            _ => samples.push(sample),
        }
        Ok(())
    }

    /// Removes every series.
    pub fn clear(&mut self) {
        self.series = Arc::default();
    }

    /// Number of series.
    pub fn num_series(&self) -> usize {
        self.series.len()
    }

    /// Total number of samples over all series.
    pub fn num_samples(&self) -> usize {
        self.series.values().map(|s| s.len()).sum()
    }

    /// All series and their samples, in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&Labels, &[Sample])> {
        self.series.iter().map(|(l, s)| (l, s.as_slice()))
    }
}

impl Queryable for MemoryStore {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>> {
        Ok(Box::new(MemoryQuerier {
            series: self.series.clone(),
            mint,
            maxt,
        }))
    }
}

struct MemoryQuerier {
    series: Arc<BTreeMap<Labels, Arc<Vec<Sample>>>>,
    mint: i64,
    maxt: i64,
}

impl MemoryQuerier {
    fn matching<'a>(&'a self, matchers: &'a [Matcher]) -> impl Iterator<Item = (&'a Labels, &'a Arc<Vec<Sample>>)> {
        self.series
            .iter()
            .filter(move |(l, _)| matchers.iter().all(|m| m.matches_labels(l)))
    }
}

impl Querier for MemoryQuerier {
    fn select(&self, hints: &SelectHints, matchers: &[Matcher]) -> Result<Box<dyn SeriesSet>> {
        let mint = self.mint.max(hints.start);
        let maxt = if hints.end == 0 && hints.start == 0 {
            self.maxt
        } else {
            self.maxt.min(hints.end)
        };
        let mut out = Vec::new();
        for (labels, samples) in self.matching(matchers) {
            let lo = samples.partition_point(|s| s.t < mint);
            let hi = samples.partition_point(|s| s.t <= maxt);
            if lo < hi {
                out.push((labels.clone(), samples.clone(), lo..hi));
            }
        }
        Ok(Box::new(MemorySeriesSet {
            series: out.into_iter(),
        }))
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .matching(matchers)
            .flat_map(|(l, _)| l.iter().map(|l| l.name.to_string()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>> {
        let mut values: Vec<String> = self
            .matching(matchers)
            .filter_map(|(l, _)| l.get(name).map(str::to_string))
            .collect();
        values.sort();
        values.dedup();
        Ok(values)
    }
}

struct MemorySeriesSet {
    series: std::vec::IntoIter<(Labels, Arc<Vec<Sample>>, std::ops::Range<usize>)>,
}

impl SeriesSet for MemorySeriesSet {
    fn next(&mut self) -> Result<Option<Series>> {
        Ok(self.series.next().map(|(labels, samples, range)| Series {
            labels,
            chunks: Box::new(MemoryChunks {
                samples,
                next: range.start,
                end: range.end,
            }),
        }))
    }
}

struct MemoryChunks {
    samples: Arc<Vec<Sample>>,
    next: usize,
    end: usize,
}

impl ChunkIterator for MemoryChunks {
    fn next(&mut self) -> Result<Option<Chunk>> {
        if self.next >= self.end {
            return Ok(None);
        }
        let start = self.next;
        self.next = (start + CHUNK_SAMPLES).min(self.end);
        Ok(Some(Chunk::Decoded {
            samples: self.samples.clone(),
            range: start..self.next,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::MatchOp;

    fn store() -> MemoryStore {
        let mut s = MemoryStore::new();
        for (job, n) in [("api", 300), ("web", 10)] {
            let l = Labels::from_pairs([("__name__", "up"), ("job", job)]);
            for i in 0..n {
                s.append(&l, Sample::float(i * 1000, i as f64)).unwrap();
            }
        }
        s
    }

    #[test]
    fn select_filters_by_matchers_and_time() {
        let s = store();
        let q = s.querier(0, 50_000).unwrap();
        let m = [Matcher::new(MatchOp::Regex, "job", "a.*").unwrap()];
        let mut set = q
            .select(
                &SelectHints {
                    start: 5_000,
                    end: 200_000,
                    ..Default::default()
                },
                &m,
            )
            .unwrap();
        let series = set.next().unwrap().unwrap();
        assert_eq!(series.labels.get("job"), Some("api"));
        let mut chunks = series.chunks;
        let c = chunks.next().unwrap().unwrap();
        assert_eq!((c.min_time(), c.max_time()), (5_000, 50_000));
        assert!(chunks.next().unwrap().is_none());
        assert!(set.next().unwrap().is_none());
    }

    #[test]
    fn chunks_are_cut() {
        let s = store();
        let q = s.querier(i64::MIN, i64::MAX).unwrap();
        let mut set = q
            .select(&SelectHints::default(), &[Matcher::equal("job", "api")])
            .unwrap();
        let mut chunks = set.next().unwrap().unwrap().chunks;
        let mut n = 0;
        while let Some(c) = chunks.next().unwrap() {
            n += 1;
            assert!(c.max_time() - c.min_time() < CHUNK_SAMPLES as i64 * 1000);
        }
        assert_eq!(n, 3);
    }

    #[test]
    fn out_of_order_is_rejected_and_same_timestamp_replaces() {
        let mut s = MemoryStore::new();
        let l = Labels::from_pairs([("a", "b")]);
        s.append(&l, Sample::float(10, 1.0)).unwrap();
        s.append(&l, Sample::float(10, 2.0)).unwrap();
        assert!(s.append(&l, Sample::float(5, 1.0)).is_err());
        assert_eq!(s.iter().next().unwrap().1, &[Sample::float(10, 2.0)]);
    }

    #[test]
    fn label_names_and_values() {
        let s = store();
        let q = s.querier(0, 1).unwrap();
        assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "job"]);
        assert_eq!(q.label_values("job", &[]).unwrap(), vec!["api", "web"]);
    }
}
