//! Per-query state shared by all operators of one query: memory tracker, annotations,
//! sample accounting, deadline and cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::annotations::{Annotation, Annotations};
use crate::error::{Error, Result};
use crate::memory::MemoryTracker;

/// The state of one running query, passed to every operator call.
pub struct QueryContext {
    /// Memory accounting for all of the query's buffers.
    pub tracker: Arc<MemoryTracker>,
    /// Warnings and infos collected so far.
    pub annotations: Annotations,
    /// Samples currently loaded, for the max-samples limit.
    pub current_samples: usize,
    /// Highest number of samples loaded at once.
    pub peak_samples: usize,
    /// Total samples read from storage.
    pub total_samples: u64,
    max_samples: usize,
    deadline: Option<Instant>,
    cancel: Arc<AtomicBool>,
}

impl QueryContext {
    /// A context with a memory limit (`0` = none), a max-samples limit (`0` = none), an optional
    /// deadline and a cancellation flag the caller can set from another thread.
    pub fn new(memory_limit: usize, max_samples: usize, deadline: Option<Instant>, cancel: Arc<AtomicBool>) -> Self {
        QueryContext {
            tracker: MemoryTracker::new(memory_limit),
            annotations: Annotations::default(),
            current_samples: 0,
            peak_samples: 0,
            total_samples: 0,
            max_samples,
            deadline,
            cancel,
        }
    }

    /// A context without limits, for tests and tools.
    pub fn unlimited() -> Self {
        Self::new(0, 0, None, Arc::new(AtomicBool::new(false)))
    }

    /// Fails when the query was canceled or ran past its deadline. Operators call this between
    /// series and batches; `stage` names where, for the error text.
    pub fn check(&self, stage: &'static str) -> Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(Error::Canceled(stage));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::Timeout(stage));
        }
        Ok(())
    }

    /// Records a warning or info.
    pub fn annotate(&mut self, a: Annotation) {
        self.annotations.add(a);
    }

    /// Counts `n` samples as loaded, failing when the max-samples limit is exceeded.
    pub fn add_samples(&mut self, n: usize) -> Result<()> {
        self.current_samples += n;
        self.total_samples += n as u64;
        if self.max_samples != 0 && self.current_samples > self.max_samples {
            return Err(Error::TooManySamples);
        }
        self.peak_samples = self.peak_samples.max(self.current_samples);
        Ok(())
    }

    /// Counts `n` samples as released.
    pub fn release_samples(&mut self, n: usize) {
        self.current_samples = self.current_samples.saturating_sub(n);
    }
}
