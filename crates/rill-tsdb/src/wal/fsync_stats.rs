//! [`FsyncStats`]: how long the WAL's fsyncs take (count, sum, a few cumulative buckets), kept
//! with atomics so the committing thread never takes a lock to record one. A server exposes
//! them (`rill_wal_fsync_duration_seconds`) by reading [`FsyncStats::snapshot`] or by
//! forwarding each duration to its own histogram through [`FsyncStats::set_observer`].

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the buckets: 100 µs to 1 s, roughly ×2.5 apart.
pub const FSYNC_BUCKETS: [f64; 10] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0];

/// Called with each fsync's duration.
pub type FsyncObserver = Box<dyn Fn(Duration) + Send + Sync>;

/// Fsync durations of one WAL; see the module docs.
#[derive(Default)]
pub struct FsyncStats {
    count: AtomicU64,
    sum_nanos: AtomicU64,
    /// Non-cumulative counts per bucket of [`FSYNC_BUCKETS`] (the last one also takes slower
    /// fsyncs, which only `+Inf` counts).
    buckets: [AtomicU64; FSYNC_BUCKETS.len()],
    observer: OnceLock<FsyncObserver>,
}

impl std::fmt::Debug for FsyncStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsyncStats")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

/// A consistent-enough copy of [`FsyncStats`] (each field read atomically).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FsyncSnapshot {
    /// Number of fsyncs.
    pub count: u64,
    /// Total time spent in them, in seconds.
    pub sum_seconds: f64,
    /// `(upper bound in seconds, fsyncs at most that long)`, cumulative, per [`FSYNC_BUCKETS`].
    pub buckets: Vec<(f64, u64)>,
}

impl FsyncStats {
    /// Records one fsync that took `d`.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = FSYNC_BUCKETS.iter().position(|&le| secs <= le)
            && let Some(b) = self.buckets.get(i)
        {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        if let Some(f) = self.observer.get() {
            f(d);
        }
    }

    /// Forwards every later fsync duration to `f` (e.g. a `/metrics` histogram). Only the
    /// first observer set is kept; returns whether this one was.
    pub fn set_observer(&self, f: FsyncObserver) -> bool {
        self.observer.set(f).is_ok()
    }

    /// The current values.
    pub fn snapshot(&self) -> FsyncSnapshot {
        let mut acc = 0;
        let buckets = FSYNC_BUCKETS
            .iter()
            .zip(&self.buckets)
            .map(|(&le, n)| {
                acc += n.load(Ordering::Relaxed);
                (le, acc)
            })
            .collect();
        FsyncSnapshot {
            count: self.count.load(Ordering::Relaxed),
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
            buckets,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn counts_sums_buckets_and_forwards() {
        let stats = FsyncStats::default();
        let seen = Arc::new(AtomicU64::new(0));
        let s = seen.clone();
        assert!(stats.set_observer(Box::new(move |_| {
            s.fetch_add(1, Ordering::Relaxed);
        })));
        assert!(!stats.set_observer(Box::new(|_| {})), "only one observer");
        stats.observe(Duration::from_micros(50));
        stats.observe(Duration::from_millis(3));
        stats.observe(Duration::from_secs(2));
        let snap = stats.snapshot();
        assert_eq!(snap.count, 3);
        assert!((snap.sum_seconds - 2.00305).abs() < 1e-9, "{}", snap.sum_seconds);
        assert_eq!(snap.buckets.first(), Some(&(0.0001, 1)));
        assert_eq!(snap.buckets.iter().find(|b| b.0 == 0.005), Some(&(0.005, 2)));
        assert_eq!(snap.buckets.last(), Some(&(1.0, 2)), "2 s is only in +Inf");
        assert_eq!(seen.load(Ordering::Relaxed), 3);
    }
}
