//! The head: the most recent data, in memory, backed by the WAL.
//!
//! Series live in a map striped by label hash (so appenders on different series rarely contend)
//! plus a ref index and an inverted index (label name → value → refs) for selection. Each series
//! holds compressed chunks ([`chunks`]) and an out-of-order buffer ([`series`]). Appends go
//! through [`HeadAppender`]: validated on `append`, and on `commit` written to the WAL (series
//! records for new series first, then samples) before they become visible. Commits are
//! serialized by the WAL lock, so the log order is the apply order and replay rebuilds exactly
//! the acknowledged state.

pub mod appender;
pub(crate) mod chunks;
pub mod querier;
pub(crate) mod readers;
pub(crate) mod series;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::{Mutex, MutexGuard, RwLock};
use rill_model::{Labels, Matcher};

use self::chunks::HeadValue;
use self::readers::Readers;
use self::series::{Bounds, MemSeries};
use crate::error::Result;
use crate::wal::WalWriter;
use crate::wal::record::Record;
use crate::wal::replay::{Recovery, ReplayOutcome, replay};

pub use self::appender::HeadAppender;
pub use self::chunks::SAMPLES_PER_CHUNK;
pub use self::querier::HeadQuerier;

/// Number of lock stripes of the series map.
const STRIPES: usize = 64;

/// Tuning of the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadOptions {
    /// Block duration in ms (Prometheus: 2h). Chunks never cross a multiple of it.
    pub block_duration: i64,
    /// Out-of-order window in ms; 0 rejects out-of-order samples.
    pub ooo_window: i64,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            block_duration: 2 * 3600 * 1000,
            ooo_window: 0,
        }
    }
}

/// What replaying a WAL into the head did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeadReplay {
    /// What the WAL reader found.
    pub wal: ReplayOutcome,
    /// Series created.
    pub series: u64,
    /// Samples (floats and histograms) read.
    pub samples: u64,
    /// Samples and tombstones whose series record was missing (dropped).
    pub unknown_refs: u64,
    /// Tombstone intervals applied (deleted ranges hidden from queries and compaction).
    pub tombstones: u64,
}

/// Label name → value → series refs.
type Postings = HashMap<Arc<str>, HashMap<Arc<str>, Vec<u64>>>;

/// The in-memory head; see the module docs.
pub struct Head {
    opts: HeadOptions,
    stripes: Vec<RwLock<HashMap<Labels, Arc<MemSeries>>>>,
    by_ref: RwLock<HashMap<u64, Arc<MemSeries>>>,
    postings: RwLock<Postings>,
    next_ref: AtomicU64,
    min_time: AtomicI64,
    max_time: AtomicI64,
    min_valid: AtomicI64,
    /// Data older than this is persisted in blocks and read from there.
    persisted_until: AtomicI64,
    /// Queriers reading the head, so compaction waits before dropping what they read.
    pub(crate) readers: Readers,
    /// The WAL; its lock is the commit lock.
    wal: Mutex<Option<WalWriter>>,
}

impl Head {
    /// An empty head that accepts nothing older than `min_valid` (the end of the newest block).
    pub fn new(opts: HeadOptions, min_valid: i64) -> Self {
        Self {
            opts,
            stripes: (0..STRIPES).map(|_| RwLock::new(HashMap::new())).collect(),
            by_ref: RwLock::new(HashMap::new()),
            postings: RwLock::new(HashMap::new()),
            next_ref: AtomicU64::new(1),
            min_time: AtomicI64::new(i64::MAX),
            max_time: AtomicI64::new(i64::MIN),
            min_valid: AtomicI64::new(min_valid),
            persisted_until: AtomicI64::new(min_valid),
            readers: Readers::default(),
            wal: Mutex::new(None),
        }
    }

    /// The options.
    pub fn options(&self) -> HeadOptions {
        self.opts
    }

    /// Oldest timestamp in the head (`i64::MAX` when empty).
    pub fn min_time(&self) -> i64 {
        self.min_time.load(Ordering::Acquire)
    }

    /// Newest timestamp in the head (`i64::MIN` when empty).
    pub fn max_time(&self) -> i64 {
        self.max_time.load(Ordering::Acquire)
    }

    /// Samples older than this are rejected.
    pub fn min_valid_time(&self) -> i64 {
        self.min_valid.load(Ordering::Acquire)
    }

    /// First timestamp queries read from the head; older data comes from blocks (also while
    /// a compaction has persisted a range the head still holds).
    pub fn serving_from(&self) -> i64 {
        self.min_time().max(self.persisted_until.load(Ordering::Acquire))
    }

    /// Number of series in memory.
    pub fn num_series(&self) -> usize {
        self.by_ref.read().len()
    }

    /// Attaches the WAL that commits write to.
    pub fn set_wal(&self, wal: WalWriter) {
        *self.wal.lock() = Some(wal);
    }

    /// The commit lock (and the WAL behind it).
    pub(crate) fn lock_wal(&self) -> MutexGuard<'_, Option<WalWriter>> {
        self.wal.lock()
    }

    /// Flushes and fsyncs the WAL.
    pub fn close(&self) -> Result<()> {
        match self.wal.lock().as_mut() {
            Some(w) => w.close(),
            None => Ok(()),
        }
    }

    /// Starts a batch of appends.
    pub fn appender(&self) -> HeadAppender<'_> {
        HeadAppender::new(self)
    }

    pub(crate) fn bounds(&self) -> Bounds {
        Bounds {
            min_valid: self.min_valid_time(),
            head_max: self.max_time(),
            ooo_window: self.opts.ooo_window,
            block_duration: self.opts.block_duration,
        }
    }

    fn stripe(&self, labels: &Labels) -> &RwLock<HashMap<Labels, Arc<MemSeries>>> {
        let i = (labels.hash64() % STRIPES as u64) as usize;
        // `i < STRIPES == stripes.len()` by construction.
        &self.stripes[i]
    }

    /// The series with `labels`, created (not yet logged) if missing.
    pub(crate) fn get_or_create(&self, labels: &Labels) -> Arc<MemSeries> {
        if let Some(s) = self.stripe(labels).read().get(labels) {
            return s.clone();
        }
        let series_ref = self.next_ref.fetch_add(1, Ordering::Relaxed);
        self.insert(series_ref, labels, false)
    }

    /// Inserts a series unless one with the same labels exists; returns the one in the map.
    fn insert(&self, series_ref: u64, labels: &Labels, logged: bool) -> Arc<MemSeries> {
        let mut stripe = self.stripe(labels).write();
        if let Some(s) = stripe.get(labels) {
            return s.clone();
        }
        let s = Arc::new(MemSeries::new(series_ref, labels.clone(), logged));
        stripe.insert(labels.clone(), s.clone());
        self.by_ref.write().insert(series_ref, s.clone());
        let mut postings = self.postings.write();
        for l in labels {
            postings
                .entry(l.name.clone())
                .or_default()
                .entry(l.value.clone())
                .or_default()
                .push(series_ref);
        }
        s
    }

    /// Records that a sample at `t` is now visible.
    pub(crate) fn note_time(&self, t: i64) {
        self.min_time.fetch_min(t, Ordering::AcqRel);
        self.max_time.fetch_max(t, Ordering::AcqRel);
    }

    /// The series matching all `matchers`, sorted by labels.
    pub(crate) fn select(&self, matchers: &[Matcher]) -> Vec<Arc<MemSeries>> {
        let mut candidates: Option<Vec<u64>> = None;
        {
            let postings = self.postings.read();
            for m in matchers {
                let Some(v) = m.literal_value().filter(|v| !v.is_empty()) else {
                    continue;
                };
                let mut refs = postings
                    .get(&*m.name)
                    .and_then(|vals| vals.get(v))
                    .cloned()
                    .unwrap_or_default();
                refs.sort_unstable();
                candidates = Some(match candidates {
                    None => refs,
                    Some(c) => c.into_iter().filter(|r| refs.binary_search(r).is_ok()).collect(),
                });
            }
        }
        let by_ref = self.by_ref.read();
        let mut out: Vec<Arc<MemSeries>> = match candidates {
            Some(refs) => refs.iter().filter_map(|r| by_ref.get(r).cloned()).collect(),
            None => by_ref.values().cloned().collect(),
        };
        drop(by_ref);
        out.retain(|s| matchers.iter().all(|m| m.matches_labels(&s.labels)));
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// All label names (sorted) of the head's series.
    pub(crate) fn label_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.postings.read().keys().map(|k| k.to_string()).collect();
        names.sort_unstable();
        names
    }

    /// All values (sorted) of label `name`.
    pub(crate) fn label_values(&self, name: &str) -> Vec<String> {
        let mut vals: Vec<String> = self
            .postings
            .read()
            .get(name)
            .map(|v| v.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        vals.sort_unstable();
        vals
    }

    /// Whether the series with `series_ref` is still in the head (checkpoint filter).
    pub fn has_series(&self, series_ref: u64) -> bool {
        self.by_ref.read().contains_key(&series_ref)
    }

    /// Replays the WAL directory `dir` into the (empty) head.
    pub fn replay_wal(&self, dir: &Path, recovery: Recovery) -> Result<HeadReplay> {
        let mut stats = HeadReplay::default();
        let mut alias: HashMap<u64, Arc<MemSeries>> = HashMap::new();
        let min_valid = self.min_valid_time();
        let bd = self.opts.block_duration;
        let mut max_ref = 0;
        let wal = replay(dir, recovery, |rec| {
            let mut put = |r: u64, t: i64, v: HeadValue| match alias.get(&r) {
                Some(s) => {
                    stats.samples += 1;
                    if t >= min_valid {
                        s.data.lock().apply_replayed(t, v, min_valid, bd);
                        self.note_time(t);
                    }
                }
                None => stats.unknown_refs += 1,
            };
            match rec {
                Record::Series(series) => {
                    for s in series {
                        max_ref = max_ref.max(s.series_ref);
                        let m = self.insert(s.series_ref, &s.labels, true);
                        stats.series += u64::from(m.series_ref == s.series_ref);
                        alias.insert(s.series_ref, m);
                    }
                }
                Record::Samples(s) => s
                    .into_iter()
                    .for_each(|s| put(s.series_ref, s.t, HeadValue::Float(s.v))),
                Record::Histograms(h) => h
                    .into_iter()
                    .for_each(|h| put(h.series_ref, h.t, HeadValue::Int(Arc::new(h.h)))),
                Record::FloatHistograms(h) => h
                    .into_iter()
                    .for_each(|h| put(h.series_ref, h.t, HeadValue::FloatHist(Arc::new(h.h)))),
                Record::Tombstones(stones) => {
                    for t in stones.into_iter().filter(|t| t.maxt >= min_valid) {
                        match alias.get(&t.series_ref) {
                            Some(s) => {
                                s.data.lock().delete_range(t.mint, t.maxt);
                                stats.tombstones += 1;
                            }
                            None => stats.unknown_refs += 1,
                        }
                    }
                }
                Record::Metadata(_) | Record::Skipped(_) => {}
            }
            Ok(())
        })?;
        self.next_ref.fetch_max(max_ref + 1, Ordering::AcqRel);
        if stats.unknown_refs > 0 {
            tracing::warn!(
                samples = stats.unknown_refs,
                "WAL replay: {} samples or tombstones reference series without a series record; dropped",
                stats.unknown_refs
            );
        }
        self.gc(i64::MIN);
        stats.wal = wal;
        Ok(stats)
    }

    /// Stops accepting samples older than `t` (the start of a compaction: nothing may be added
    /// to the range being written). Callers hold the commit lock.
    pub(crate) fn raise_min_valid(&self, t: i64) {
        self.min_valid.fetch_max(t, Ordering::AcqRel);
    }

    /// Data older than this is persisted in blocks.
    pub(crate) fn persisted_until(&self) -> i64 {
        self.persisted_until.load(Ordering::Acquire)
    }

    /// Marks data older than `t` as persisted in blocks: new queriers read it from there.
    pub(crate) fn mark_persisted(&self, t: i64) {
        self.persisted_until.fetch_max(t, Ordering::AcqRel);
    }

    /// Drops all data older than `mint` and the series left empty, and stops accepting samples
    /// older than `mint`. Callers hold the commit lock and have waited for the readers of that
    /// data ([`Readers::wait_none_below`]).
    pub(crate) fn truncate(&self, mint: i64) {
        self.raise_min_valid(mint);
        self.mark_persisted(mint);
        self.gc(mint);
    }

    /// Removes data before `mint` and empty series; recomputes the head's min time.
    fn gc(&self, mint: i64) {
        let all: Vec<Arc<MemSeries>> = self.by_ref.read().values().cloned().collect();
        let mut new_min = i64::MAX;
        let mut dead = Vec::new();
        for s in all {
            let mut d = s.data.lock();
            if d.truncate_before(mint) {
                s.dead.store(true, Ordering::Release);
                dead.push(s.clone());
            } else if let Some(t) = d.min_time() {
                new_min = new_min.min(t);
            }
        }
        self.min_time.store(new_min, Ordering::Release);
        if dead.is_empty() {
            return;
        }
        // Lock order as in `insert`: stripe, then refs, then postings (never nested the other way).
        for s in &dead {
            self.stripe(&s.labels).write().remove(&s.labels);
        }
        let mut by_ref = self.by_ref.write();
        let mut postings = self.postings.write();
        for s in &dead {
            by_ref.remove(&s.series_ref);
            for l in &s.labels {
                if let Some(vals) = postings.get_mut(&l.name) {
                    if let Some(refs) = vals.get_mut(&l.value) {
                        refs.retain(|r| *r != s.series_ref);
                        if refs.is_empty() {
                            vals.remove(&l.value);
                        }
                    }
                    if vals.is_empty() {
                        postings.remove(&l.name);
                    }
                }
            }
        }
    }

    /// Every live series (for compaction), sorted by labels.
    pub(crate) fn all_series(&self) -> Vec<Arc<MemSeries>> {
        self.select(&[])
    }
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Head")
            .field("series", &self.num_series())
            .field("min_time", &self.min_time())
            .field("max_time", &self.max_time())
            .finish()
    }
}
