//! Per-query state shared by all operators of one query: memory tracker, annotations,
//! sample accounting, deadline and cancellation, and typed extensions (state of plug-ins such
//! as the UDF fuel budget that every call site of a query must share).

use std::any::{Any, TypeId};
use std::collections::HashMap;
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
    extensions: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
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
            extensions: HashMap::new(),
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

    /// The query's one value of type `T`, created with `T::default()` on first use: state that
    /// every operator of the query sees (e.g. the UDF fuel budget shared by all call sites).
    /// An `Arc`, so operators running in parallel can hold and update it (use atomics or locks
    /// inside `T`).
    pub fn extension<T: Any + Send + Sync + Default>(&mut self) -> Arc<T> {
        let key = TypeId::of::<T>();
        if let Some(t) = self.extensions.get(&key).and_then(|v| v.clone().downcast::<T>().ok()) {
            return t;
        }
        let t = Arc::new(T::default());
        self.extensions.insert(key, t.clone());
        t
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn an_extension_is_created_once_per_query_and_shared() {
        let mut cx = QueryContext::unlimited();
        cx.extension::<AtomicU64>().fetch_add(3, Ordering::Relaxed);
        let again = cx.extension::<AtomicU64>();
        assert_eq!(again.load(Ordering::Relaxed), 3);
        assert!(!cx.extension::<AtomicBool>().load(Ordering::Relaxed));
        let other_query = QueryContext::unlimited().extension::<AtomicU64>();
        assert_eq!(other_query.load(Ordering::Relaxed), 0);
    }
}
