//! Pending head readers: every head querier registers the oldest timestamp it may read, so
//! compaction can wait before it drops head data a running query still reads (Prometheus's
//! `WaitForPendingReadersInTimeRange`). Waiting holds no other lock, so appends go on.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};

/// How often a compaction that waits for readers says so in the log.
const WAIT_LOG_INTERVAL: Duration = Duration::from_secs(30);
/// How often a waiting compaction checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(100);

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

    /// Blocks until no registered reader reads data older than `t` (returns `true`), or until
    /// `cancelled()` holds (checked every [`CANCEL_POLL`]; returns `false`).
    pub fn wait_none_below(&self, t: i64, cancelled: &dyn Fn() -> bool) -> bool {
        let mut active = self.active.lock();
        let mut waited = Duration::ZERO;
        while active.any_below(t) {
            if cancelled() {
                return false;
            }
            if self.released.wait_for(&mut active, CANCEL_POLL).timed_out() {
                waited += CANCEL_POLL;
                if waited >= WAIT_LOG_INTERVAL && active.any_below(t) {
                    waited = Duration::ZERO;
                    tracing::warn!(
                        readers = active.by_id.len(),
                        "head compaction waits for running queries before dropping data older than {t}"
                    );
                }
            }
        }
        true
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
        assert!(readers.wait_none_below(10, &|| false), "nothing older than 10 is read");
        let done = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (readers, done) = (readers.clone(), done.clone());
            std::thread::spawn(move || {
                let clear = readers.wait_none_below(50, &|| false);
                done.store(clear, Ordering::SeqCst);
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
        assert!(!readers.wait_none_below(200, &|| true), "a cancelled wait gives up");
        readers.release(new);
        assert!(!readers.lock().any_below(i64::MAX));
    }
}
