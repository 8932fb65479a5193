//! Query isolation: a concurrency limit with a bounded queue, and running each query on a
//! blocking thread where a panic becomes an `internal` error instead of taking the server down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{ApiError, ErrorType};

/// Admits at most `max_concurrent` queries at once and lets at most `max_queued` wait.
pub struct QueryGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_queued: usize,
    queue_timeout: Duration,
}

/// A running query's slot; freed on drop.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl QueryGate {
    /// A gate for `max_concurrent` running and `max_queued` waiting queries; a queued query
    /// gives up after `queue_timeout`.
    pub fn new(max_concurrent: usize, max_queued: usize, queue_timeout: Duration) -> Self {
        QueryGate {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            waiting: AtomicUsize::new(0),
            max_queued,
            queue_timeout,
        }
    }

    /// Waits for a slot; `unavailable` (503) when the queue is full or the wait times out.
    pub async fn acquire(&self) -> Result<Slot, ApiError> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(Slot { _permit: p });
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_queued {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                ErrorType::Unavailable,
                "too many concurrent queries: the query queue is full, try again later",
            ));
        }
        let res = tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match res {
            Ok(Ok(p)) => Ok(Slot { _permit: p }),
            Ok(Err(_)) => Err(ApiError::new(ErrorType::Unavailable, "the server is shutting down")),
            Err(_) => Err(ApiError::new(
                ErrorType::Unavailable,
                "too many concurrent queries: timed out waiting in the query queue",
            )),
        }
    }

    /// Queries running now.
    pub fn running(&self, max_concurrent: usize) -> usize {
        max_concurrent.max(1).saturating_sub(self.permits.available_permits())
    }
}

/// Sets the flag when dropped: a handler future dropped because its client disconnected
/// cancels the query it started.
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `f`, turning a panic into an `internal` error (logged with its message).
pub fn catch_panic<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tracing::error!(panic = %what, "request handler panicked");
        Err(ApiError::internal(format!("unexpected error: {what}")))
    })
}

/// Runs `f` on a blocking thread; a panic becomes an `internal` error.
pub async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || catch_panic(f))
        .await
        .unwrap_or_else(|e| Err(ApiError::internal(format!("task failed: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queue_limit_and_panics() {
        let gate = QueryGate::new(1, 0, Duration::from_millis(50));
        let held = gate.acquire().await.unwrap();
        let e = gate.acquire().await.err().unwrap();
        assert_eq!(e.typ, ErrorType::Unavailable);
        drop(held);
        assert!(gate.acquire().await.is_ok());

        let queued = QueryGate::new(1, 1, Duration::from_millis(20));
        let _held = queued.acquire().await.unwrap();
        assert!(queued.acquire().await.err().unwrap().msg.contains("timed out"));

        let e = run_blocking::<()>(|| panic!("boom")).await.unwrap_err();
        assert_eq!((e.typ, e.msg.as_str()), (ErrorType::Internal, "unexpected error: boom"));
        assert_eq!(run_blocking(|| Ok(3)).await.unwrap(), 3);
    }
}
