//! Per-query memory accounting and pooled buffers.
//!
//! ```text
//!   query ──owns──► Arc<MemoryTracker>  (current, peak, limit: atomics)
//!                         ▲ try_grow(capacity bytes) on take / grow
//!   operator ──take──► PooledVec<T> ──drop──► shrink(capacity bytes), Vec back to its pool
//! ```
//! Every buffer whose size grows with the data (points of a series, ring buffers, group
//! accumulators) is a [`PooledVec`], charged to the query's [`MemoryTracker`] by *capacity*
//! when taken or grown and refunded when dropped. A reservation beyond the limit fails the
//! query with [`Error::MemoryLimit`]; the refund can never go below zero, since that would
//! mean a buffer was returned twice. Vectors come from process-wide pools bucketed by
//! power-of-two capacity, so steady-state queries allocate almost nothing.

use std::mem::size_of;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// Tracks the bytes currently held by one query's buffers, its peak, and its limit.
#[derive(Debug)]
pub struct MemoryTracker {
    current: AtomicUsize,
    peak: AtomicUsize,
    limit: usize,
}

impl MemoryTracker {
    /// A tracker with a limit in bytes (`0` means unlimited).
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(MemoryTracker {
            current: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit,
        })
    }

    /// Reserves `bytes`, failing without reserving when the limit would be exceeded.
    pub fn try_grow(&self, bytes: usize) -> Result<()> {
        let mut cur = self.current.load(Ordering::Relaxed);
        loop {
            let next = cur.saturating_add(bytes);
            if self.limit != 0 && next > self.limit {
                return Err(Error::MemoryLimit {
                    limit: self.limit,
                    requested: next,
                });
            }
            match self
                .current
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => {
                    self.peak.fetch_max(next, Ordering::Relaxed);
                    return Ok(());
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// Gives back `bytes` reserved earlier.
    ///
    /// # Panics
    /// When more is given back than is reserved: that is a double return, a bug in Rill.
    pub fn shrink(&self, bytes: usize) {
        let prev = self.current.fetch_sub(bytes, Ordering::Relaxed);
        assert!(
            prev >= bytes,
            "memory tracker underflow: returning {bytes} bytes with only {prev} reserved"
        );
    }

    /// Bytes currently reserved.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    /// Highest number of bytes reserved at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// The limit in bytes (`0` = unlimited).
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// Smallest capacity handed out, and the number of power-of-two size classes kept.
const MIN_CAPACITY: usize = 8;
const NUM_CLASSES: usize = 24;
/// How many idle vectors each size class keeps.
const MAX_IDLE_PER_CLASS: usize = 64;

/// A process-wide pool of `Vec<T>`s bucketed by power-of-two capacity.
pub struct Pool<T> {
    classes: [Mutex<Vec<Vec<T>>>; NUM_CLASSES],
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            classes: std::array::from_fn(|_| Mutex::new(Vec::new())),
        }
    }
}

impl<T> Pool<T> {
    fn class_of(capacity: usize) -> Option<usize> {
        let c = capacity.max(MIN_CAPACITY).next_power_of_two();
        let class = (c.trailing_zeros() - MIN_CAPACITY.trailing_zeros()) as usize;
        (class < NUM_CLASSES).then_some(class)
    }

    fn take(&self, capacity: usize) -> Vec<T> {
        let rounded = capacity.max(MIN_CAPACITY).next_power_of_two();
        match Self::class_of(capacity) {
            Some(class) => self.classes[class]
                .lock()
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(rounded)),
            None => Vec::with_capacity(rounded),
        }
    }

    fn give_back(&self, mut v: Vec<T>) {
        v.clear();
        // Only vectors whose capacity is exactly a class size are reused, so a taken vector
        // always has at least the class capacity.
        if v.capacity().is_power_of_two()
            && let Some(class) = Self::class_of(v.capacity())
        {
            let mut idle = self.classes[class].lock();
            if idle.len() < MAX_IDLE_PER_CLASS {
                idle.push(v);
            }
        }
    }
}

/// Types that have a process-wide [`Pool`].
pub trait Pooled: Sized + Send + 'static {
    /// The pool for this type.
    fn pool() -> &'static Pool<Self>;
}

/// Declares the process-wide pool of a type.
#[macro_export]
macro_rules! declare_pool {
    ($t:ty) => {
        impl $crate::memory::Pooled for $t {
            fn pool() -> &'static $crate::memory::Pool<Self> {
                static POOL: std::sync::LazyLock<$crate::memory::Pool<$t>> = std::sync::LazyLock::new(Default::default);
                &POOL
            }
        }
    };
}

declare_pool!(f64);
declare_pool!(i64);
declare_pool!(usize);
declare_pool!(bool);

/// A `Vec<T>` taken from `T`'s pool and charged to a query's tracker by capacity; dropping it
/// refunds the charge and returns the vector to the pool.
pub struct PooledVec<T: Pooled> {
    vec: Vec<T>,
    charged: usize,
    tracker: Arc<MemoryTracker>,
}

impl<T: Pooled> PooledVec<T> {
    /// Takes an empty vector with room for at least `capacity` elements.
    pub fn with_capacity(capacity: usize, tracker: &Arc<MemoryTracker>) -> Result<Self> {
        let bytes = capacity.max(MIN_CAPACITY).next_power_of_two() * size_of::<T>();
        tracker.try_grow(bytes)?;
        let vec = T::pool().take(capacity);
        let mut pv = PooledVec {
            vec,
            charged: bytes,
            tracker: tracker.clone(),
        };
        pv.recharge()?;
        Ok(pv)
    }

    /// Takes a vector of `len` copies of `value`.
    pub fn filled(len: usize, value: T, tracker: &Arc<MemoryTracker>) -> Result<Self>
    where
        T: Clone,
    {
        let mut v = Self::with_capacity(len, tracker)?;
        v.vec.resize(len, value);
        Ok(v)
    }

    /// Appends an element, charging the tracker if the vector has to grow.
    pub fn push(&mut self, value: T) -> Result<()> {
        if self.vec.len() == self.vec.capacity() {
            self.reserve(1)?;
        }
        self.vec.push(value);
        Ok(())
    }

    /// Makes room for `additional` more elements, charging the tracker for the growth.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        let needed = self.vec.len() + additional;
        if needed <= self.vec.capacity() {
            return Ok(());
        }
        let new_cap = needed.next_power_of_two();
        let extra = (new_cap - self.vec.capacity()) * size_of::<T>();
        self.tracker.try_grow(extra)?;
        self.charged += extra;
        self.vec.reserve_exact(new_cap - self.vec.len());
        self.recharge()
    }

    /// Re-syncs the charge with the actual capacity (the allocator may give more than asked).
    fn recharge(&mut self) -> Result<()> {
        let actual = self.vec.capacity() * size_of::<T>();
        if actual > self.charged {
            self.tracker.try_grow(actual - self.charged)?;
        } else {
            self.tracker.shrink(self.charged - actual);
        }
        self.charged = actual;
        Ok(())
    }

    /// The tracker this buffer is charged to.
    pub fn tracker(&self) -> &Arc<MemoryTracker> {
        &self.tracker
    }
}

impl<T: Pooled> Deref for PooledVec<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.vec
    }
}

/// Mutable access to the inner vector. Growing it directly (instead of through [`PooledVec::push`]
/// or [`PooledVec::reserve`]) bypasses the limit check; the charge is corrected on drop.
impl<T: Pooled> DerefMut for PooledVec<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.vec
    }
}

impl<T: Pooled> Drop for PooledVec<T> {
    fn drop(&mut self) {
        self.tracker.shrink(self.charged);
        T::pool().give_back(std::mem::take(&mut self.vec));
    }
}

impl<T: Pooled + std::fmt::Debug> std::fmt::Debug for PooledVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.vec.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_limits_and_peak() {
        let t = MemoryTracker::new(100);
        t.try_grow(60).unwrap();
        assert!(matches!(
            t.try_grow(50),
            Err(Error::MemoryLimit {
                limit: 100,
                requested: 110
            })
        ));
        assert_eq!(t.current(), 60);
        t.shrink(60);
        t.try_grow(10).unwrap();
        assert_eq!((t.current(), t.peak()), (10, 60));
    }

    #[test]
    #[should_panic(expected = "underflow")]
    fn tracker_underflow_panics() {
        let t = MemoryTracker::new(0);
        t.try_grow(1).unwrap();
        t.shrink(2);
    }

    #[test]
    fn pooled_vec_charges_capacity_and_refunds() {
        let t = MemoryTracker::new(0);
        {
            let mut v = PooledVec::<f64>::with_capacity(3, &t).unwrap();
            assert_eq!(t.current(), v.capacity() * 8);
            for i in 0..100 {
                v.push(i as f64).unwrap();
            }
            assert_eq!(t.current(), v.capacity() * 8);
            assert!(v.capacity() >= 100);
        }
        assert_eq!(t.current(), 0);
        assert!(t.peak() >= 800);
    }

    #[test]
    fn pooled_vec_respects_limit() {
        let t = MemoryTracker::new(1024);
        let mut v = PooledVec::<f64>::with_capacity(8, &t).unwrap();
        let err = (0..1000).try_for_each(|i| v.push(i as f64)).unwrap_err();
        assert!(matches!(err, Error::MemoryLimit { .. }));
        drop(v);
        assert_eq!(t.current(), 0);
    }

    #[test]
    fn pool_reuses_vectors() {
        #[derive(Debug)]
        struct Probe(#[allow(dead_code)] u64);
        crate::declare_pool!(Probe);
        let t = MemoryTracker::new(0);
        let a = PooledVec::<Probe>::with_capacity(4096, &t).unwrap();
        let pa = a.as_ptr() as usize;
        drop(a);
        let b = PooledVec::<Probe>::with_capacity(4000, &t).unwrap();
        assert_eq!(
            b.as_ptr() as usize,
            pa,
            "second take of the same class reuses the vector"
        );
    }
}
