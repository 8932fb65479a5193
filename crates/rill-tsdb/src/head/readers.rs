//! Pending head readers: every head querier registers the oldest timestamp it may read, so
//! compaction can wait before it drops head data a running query still reads (Prometheus's
//! `WaitForPendingReadersInTimeRange`). Waiting holds no other lock, so appends go on.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};

/// How often a compaction that waits for readers says so in the log.
const WAIT_LOG_INTERVAL: Duration = Duration::from_secs(30);

/// The registered readers: id → oldest timestamp read.
#[derive(Debug, Default)]
pub(crate) struct Readers {
    active: Mutex<ReaderMap>,
    released: Condvar,
}

/// Readers by id, and the next id to hand out.
#[derive(Debug, Default)]
pub(crate) struct ReaderMap {
    by_id: HashMap<u64, i64>,
    next_id: u64,
}

impl ReaderMap {
    /// Registers a reader of data at or after `from`; returns its id.
    pub fn register(&mut self, from: i64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.by_id.insert(id, from);
        id
    }

    fn any_below(&self, t: i64) -> bool {
        self.by_id.values().any(|&from| from < t)
    }
}

impl Readers {
    /// The registry, locked (register while deciding what the reader will read, so a
    /// concurrent compaction either waits for it or has already moved the data).
    pub fn lock(&self) -> MutexGuard<'_, ReaderMap> {
        self.active.lock()
    }

    /// Forgets reader `id`.
    pub fn release(&self, id: u64) {
        let mut active = self.active.lock();
        active.by_id.remove(&id);
        drop(active);
        self.released.notify_all();
    }

    /// Blocks until no registered reader reads data older than `t`.
    pub fn wait_none_below(&self, t: i64) {
        let mut active = self.active.lock();
        while active.any_below(t) {
            if self.released.wait_for(&mut active, WAIT_LOG_INTERVAL).timed_out() && active.any_below(t) {
                tracing::warn!(
                    readers = active.by_id.len(),
                    "head compaction waits for running queries before dropping data older than {t}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn waits_only_for_readers_of_older_data() {
        let readers = Arc::new(Readers::default());
        let old = readers.lock().register(10);
        let new = readers.lock().register(100);
        readers.wait_none_below(10); // nothing older than 10 is read: returns at once
        let done = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (readers, done) = (readers.clone(), done.clone());
            std::thread::spawn(move || {
                readers.wait_none_below(50);
                done.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            !done.load(Ordering::SeqCst),
            "a reader from 10 blocks dropping data below 50"
        );
        readers.release(old);
        waiter.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
        readers.release(new);
        assert!(!readers.lock().any_below(i64::MAX));
    }
}
