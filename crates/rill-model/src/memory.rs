//! An in-memory store implementing the [`crate::storage`] traits.
//!
//! Used by tests, by promqltest `load` blocks and for the demo dataset. Samples live in one
//! `Arc<Vec<Sample>>` per series; a querier shares them without copying, and hands them out
//! as decoded chunks of at most [`CHUNK_SAMPLES`] samples so the engine's chunk-skipping paths
//! are exercised the same way as with real blocks.
//!
//! Native histograms come back with the counter-reset hints Prometheus's storage gives them:
//! the head stores histograms in chunks, and reading a chunk back, its first sample says
//! `Unknown`, later ones `NotCounterReset` (gauge chunks: `Gauge`), whatever hint the sample
//! was appended with. So on append the store decides where the head would cut chunks (a
//! change between floats and histograms, a counter reset, a layout change, a change between
//! gauges and counters, the end of a [`HEAD_CHUNK_RANGE_MS`] window; see
//! [`CounterResetHeader::cut_before`]) and stores the hint the sample will be read with.
//! Cuts for chunk size in bytes are not emulated.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::histogram::{CounterResetHeader, CounterResetHint, FloatHistogram};
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::sample::{Sample, Value};
use crate::storage::{Chunk, ChunkIterator, Querier, Queryable, SelectHints, Series, SeriesSet};

/// Samples per handed-out chunk (Prometheus cuts chunks at 120 samples).
pub const CHUNK_SAMPLES: usize = 120;

/// The head's chunk range: a chunk never spans the end of an aligned window of this length.
/// One day, as in Prometheus's test storage (whose head chunk range is its 24h block length).
pub const HEAD_CHUNK_RANGE_MS: i64 = 24 * 60 * 60 * 1000;

/// A sorted map from label set to samples.
#[derive(Default, Clone)]
pub struct MemoryStore {
    series: Arc<BTreeMap<Labels, Arc<Vec<Sample>>>>,
    /// Per series, the emulated head chunk after the last sample and before it (to redo
    /// the last append when a sample replaces it).
    heads: BTreeMap<Labels, (HeadChunk, Option<HeadChunk>)>,
    /// Start ("created") timestamps, only for series that were given some: parallel to the
    /// series' samples (a missing index or `0` means unknown).
    start_timestamps: Arc<BTreeMap<Labels, Arc<Vec<i64>>>>,
}

/// The chunk Prometheus's head would be appending to.
#[derive(Clone, Copy, Debug, PartialEq)]
struct HeadChunk {
    /// The header of a histogram chunk; `None` for a float chunk.
    header: Option<CounterResetHeader>,
    /// Samples in the chunk.
    samples: u16,
    /// The end of the chunk-range window the chunk started in.
    next_at: i64,
}

impl HeadChunk {
    /// The chunk `sample` lands in when `last` (in `self`) came right before, and the
    /// sample's hint as the chunk will give it back.
    fn append(head: Option<(HeadChunk, &Sample)>, sample: &mut Sample) -> HeadChunk {
        let next = match &mut sample.v {
            Value::Float(_) => None,
            Value::Histogram(h) => Some(h),
        };
        let continued = match (head, next.as_deref()) {
            (Some((chunk, last)), next) if sample.t < chunk.next_at => match (chunk.header, &last.v, next) {
                (None, _, None) => Some(chunk),
                (Some(header), Value::Histogram(last), Some(next)) => match header.cut_before(last, next) {
                    None => Some(chunk),
                    Some(new) => return HeadChunk::start(sample, Some(new)),
                },
                _ => None,
            },
            _ => None,
        };
        let chunk = match continued {
            Some(chunk) => HeadChunk {
                samples: chunk.samples.saturating_add(1),
                ..chunk
            },
            None => {
                // A new chunk: histograms after histograms (a time cut) learn from the last.
                let header = match (head, next.as_deref()) {
                    (_, None) => None,
                    (Some((HeadChunk { header: Some(h), .. }, last)), Some(next)) => match &last.v {
                        Value::Histogram(last) => Some(h.after_cut(last, next)),
                        Value::Float(_) => Some(first_header(next)),
                    },
                    (_, Some(next)) => Some(first_header(next)),
                };
                return HeadChunk::start(sample, header);
            }
        };
        chunk.set_hint(sample);
        chunk
    }

    /// A new chunk with `header` holding just `sample`.
    fn start(sample: &mut Sample, header: Option<CounterResetHeader>) -> HeadChunk {
        let chunk = HeadChunk {
            header,
            samples: 1,
            next_at: range_end(sample.t),
        };
        chunk.set_hint(sample);
        chunk
    }

    /// Gives the histogram `sample`, the chunk's latest, the hint it is read back with.
    fn set_hint(&self, sample: &mut Sample) {
        if let (Value::Histogram(h), Some(header)) = (&mut sample.v, self.header) {
            let hint = header.hint_for_sample(self.samples.saturating_sub(1));
            if h.counter_reset_hint != hint {
                Arc::make_mut(h).counter_reset_hint = hint;
            }
        }
    }
}

/// The header of a chunk that `h` starts with no histogram chunk before it: only a gauge or
/// an explicit reset says something.
fn first_header(h: &FloatHistogram) -> CounterResetHeader {
    match h.counter_reset_hint {
        CounterResetHint::Gauge => CounterResetHeader::Gauge,
        CounterResetHint::CounterReset => CounterResetHeader::CounterReset,
        CounterResetHint::Unknown | CounterResetHint::NotCounterReset => CounterResetHeader::Unknown,
    }
}

/// The end of the [`HEAD_CHUNK_RANGE_MS`] window holding `t`, as Prometheus's
/// `rangeForTimestamp` computes it (Go's division truncates toward zero).
fn range_end(t: i64) -> i64 {
    (t / HEAD_CHUNK_RANGE_MS)
        .saturating_mul(HEAD_CHUNK_RANGE_MS)
        .saturating_add(HEAD_CHUNK_RANGE_MS)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a sample. Samples of a series must come in strictly increasing time order;
    /// a sample at the same timestamp as the last one replaces it (as promqltest loads do).
    /// A histogram's counter-reset hint is replaced by the one Prometheus's storage would
    /// read it back with (see the module docs).
    pub fn append(&mut self, labels: &Labels, mut sample: Sample) -> Result<()> {
        let map = Arc::make_mut(&mut self.series);
        let samples = Arc::make_mut(map.entry(labels.clone()).or_default());
        let head = self.heads.get(labels).copied();
        let replace = match samples.last() {
            Some(last) if last.t > sample.t => {
                return Err(Error::OutOfOrder {
                    series: labels.to_string(),
                    timestamp: sample.t,
                });
            }
            Some(last) => last.t == sample.t,
            None => false,
        };
        let before = match (replace, head) {
            (true, Some((_, before))) => before,
            (false, Some((after, _))) => Some(after),
            _ => None,
        };
        if replace {
            samples.pop();
        }
        let chunk = HeadChunk::append(before.zip(samples.last()), &mut sample);
        self.heads.insert(labels.clone(), (chunk, before));
        samples.push(sample);
        Ok(())
    }

    /// Appends a sample like [`MemoryStore::append`], together with its start ("created")
    /// timestamp `st` (ms; `0` means unknown, as in Prometheus). Queriers hand the start
    /// timestamps out with the decoded chunks ([`ChunkIterator::start_timestamps`]).
    pub fn append_with_start_timestamp(&mut self, labels: &Labels, sample: Sample, st: i64) -> Result<()> {
        self.append(labels, sample)?;
        let len = self.series.get(labels).map_or(0, |s| s.len());
        let map = Arc::make_mut(&mut self.start_timestamps);
        let sts = Arc::make_mut(map.entry(labels.clone()).or_default());
        sts.resize(len, 0);
        if let Some(last) = sts.last_mut() {
            *last = st;
        }
        Ok(())
    }

    /// Removes every series.
    pub fn clear(&mut self) {
        self.start_timestamps = Arc::default();
        self.series = Arc::default();
        self.heads.clear();
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
            start_timestamps: self.start_timestamps.clone(),
            mint,
            maxt,
        }))
    }
}

struct MemoryQuerier {
    series: Arc<BTreeMap<Labels, Arc<Vec<Sample>>>>,
    start_timestamps: Arc<BTreeMap<Labels, Arc<Vec<i64>>>>,
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
                let sts = self.start_timestamps.get(labels).cloned();
                out.push((labels.clone(), samples.clone(), sts, lo..hi));
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

/// A selected series: labels, samples, start timestamps if any, and the selected indexes.
type SelectedSeries = (Labels, Arc<Vec<Sample>>, Option<Arc<Vec<i64>>>, std::ops::Range<usize>);

struct MemorySeriesSet {
    series: std::vec::IntoIter<SelectedSeries>,
}

impl SeriesSet for MemorySeriesSet {
    fn next(&mut self) -> Result<Option<Series>> {
        Ok(self
            .series
            .next()
            .map(|(labels, samples, start_timestamps, range)| Series {
                labels,
                chunks: Box::new(MemoryChunks {
                    samples,
                    start_timestamps,
                    next: range.start,
                    end: range.end,
                }),
            }))
    }
}

struct MemoryChunks {
    samples: Arc<Vec<Sample>>,
    start_timestamps: Option<Arc<Vec<i64>>>,
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

    fn start_timestamps(&self) -> Option<Arc<Vec<i64>>> {
        self.start_timestamps.clone()
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
    fn start_timestamps_come_with_their_chunks() {
        let mut s = MemoryStore::new();
        let l = Labels::from_pairs([("a", "b")]);
        let plain = Labels::from_pairs([("a", "c")]);
        s.append(&l, Sample::float(10, 1.0)).unwrap();
        s.append_with_start_timestamp(&l, Sample::float(20, 2.0), 15).unwrap();
        s.append(&plain, Sample::float(20, 2.0)).unwrap();
        let q = s.querier(i64::MIN, i64::MAX).unwrap();
        let mut set = q.select(&SelectHints::default(), &[]).unwrap();
        let mut chunks = set.next().unwrap().unwrap().chunks;
        assert!(chunks.next().unwrap().is_some());
        assert_eq!(chunks.start_timestamps().as_deref(), Some(&vec![0, 15]));
        let chunks = set.next().unwrap().unwrap().chunks;
        assert!(chunks.start_timestamps().is_none());
        s.clear();
        assert!(s.start_timestamps.is_empty());
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
    fn histogram_hints_are_those_read_back_from_head_chunks() {
        use crate::histogram::CounterResetHint::{Gauge, NotCounterReset, Unknown};
        let h = |count: f64, hint| {
            let mut h = FloatHistogram {
                count,
                zero_count: count,
                ..Default::default()
            };
            h.counter_reset_hint = hint;
            Sample::histogram(0, h)
        };
        let mut s = MemoryStore::new();
        let l = Labels::from_pairs([("a", "b")]);
        let day = HEAD_CHUNK_RANGE_MS;
        let inputs = [
            (0, h(1.0, Unknown)),
            (1, h(2.0, Unknown)),
            (2, h(1.0, NotCounterReset)), // a reset cuts a chunk whatever the hint says
            (3, h(3.0, Unknown)),
            (4, h(3.0, Gauge)),
            (5, h(1.0, Gauge)),
            (6, Sample::float(6, 1.0)),
            (7, h(4.0, Unknown)),
            (day - 1, h(5.0, Unknown)),
            (day, h(6.0, Unknown)), // a new chunk range
            (day + 1, h(6.0, Unknown)),
        ];
        for (t, mut sample) in inputs {
            sample.t = t;
            s.append(&l, sample).unwrap();
        }
        let hints: Vec<_> = s
            .iter()
            .flat_map(|(_, samples)| samples)
            .filter_map(|x| match &x.v {
                Value::Histogram(h) => Some(h.counter_reset_hint),
                Value::Float(_) => None,
            })
            .collect();
        assert_eq!(
            hints,
            [
                Unknown,
                NotCounterReset,
                Unknown,
                NotCounterReset,
                Gauge,
                Gauge,
                Unknown,
                NotCounterReset,
                Unknown,
                NotCounterReset
            ]
        );
        // Replacing the last sample redoes its append against the sample before.
        let mut again = h(0.5, Unknown);
        again.t = day + 1;
        s.append(&l, again).unwrap();
        let last = s.iter().next().unwrap().1.last().cloned().unwrap();
        assert!(matches!(last.v, Value::Histogram(h) if h.counter_reset_hint == Unknown));
    }

    #[test]
    fn label_names_and_values() {
        let s = store();
        let q = s.querier(0, 1).unwrap();
        assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "job"]);
        assert_eq!(q.label_values("job", &[]).unwrap(), vec!["api", "web"]);
    }
}
