//! The background compactor: one thread per writable [`super::Db`] that compacts the head when
//! a commit asks for it, so commits never wait for a block to be written. Errors are logged
//! and retried at the next request (after a pause); [`Compactor::stop`] lets a running
//! compaction finish (or interrupts it while it waits for queries) and joins the thread.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use super::compaction::Store;
use crate::error::{Error, Result};

/// Pause after a failed compaction before the next attempt.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// Requests and completions, counted, so waiters know when theirs was served.
#[derive(Debug, Default)]
struct State {
    requested: u64,
    done: u64,
    stopped: bool,
}

#[derive(Debug, Default)]
struct Signal {
    state: Mutex<State>,
    changed: Condvar,
}

/// Handle of the compactor thread.
#[derive(Debug)]
pub(super) struct Compactor {
    signal: Arc<Signal>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Compactor {
    /// Starts the thread compacting `store`.
    pub fn start(store: Arc<Store>) -> Result<Self> {
        let signal = Arc::new(Signal::default());
        let thread_signal = signal.clone();
        let thread = std::thread::Builder::new()
            .name("rill-compactor".into())
            .spawn(move || run(&store, &thread_signal))
            .map_err(|e| Error::Invalid(format!("starting the compaction thread: {e}")))?;
        Ok(Self {
            signal,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Asks for a compaction; returns at once.
    pub fn request(&self) {
        self.signal.state.lock().requested += 1;
        self.signal.changed.notify_all();
    }

    /// Blocks until every compaction requested so far has run (or the compactor stopped).
    pub fn wait_idle(&self) {
        let mut st = self.signal.state.lock();
        let target = st.requested;
        while st.done < target && !st.stopped {
            self.signal.changed.wait(&mut st);
        }
    }

    /// Stops the thread after the running compaction, if any, and joins it.
    pub fn stop(&self) {
        self.signal.state.lock().stopped = true;
        self.signal.changed.notify_all();
        if let Some(t) = self.thread.lock().take()
            && t.join().is_err()
        {
            tracing::error!("the compaction thread panicked");
        }
    }
}

impl Drop for Compactor {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The thread's loop.
fn run(store: &Store, signal: &Signal) {
    loop {
        let target = {
            let mut st = signal.state.lock();
            while !st.stopped && st.requested == st.done {
                signal.changed.wait(&mut st);
            }
            if st.stopped {
                return;
            }
            st.requested
        };
        let stopping = || signal.state.lock().stopped;
        let failed = match store.compact(&stopping) {
            Ok(blocks) => {
                for b in &blocks {
                    tracing::info!(block = %b.display(), "head compacted into a block");
                }
                false
            }
            Err(e) => {
                // Every acknowledged sample is still in the head and the WAL.
                tracing::error!(error = %e, "head compaction failed; retrying at the next commit");
                true
            }
        };
        let mut st = signal.state.lock();
        st.done = target;
        signal.changed.notify_all();
        if failed && !st.stopped {
            signal.changed.wait_for(&mut st, RETRY_PAUSE);
        }
    }
}
