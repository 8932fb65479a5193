//! A pooled ring buffer: the storage of sliding windows.
//!
//! Samples enter at the back as a window's end moves forward and leave at the front as its
//! start passes them; nothing is copied except when the buffer grows. Its contents are
//! handed out as a [`Window`] of at most two slices (before and after the wrap-around).

use std::sync::Arc;

use crate::error::Result;
use crate::memory::{MemoryTracker, Pooled, PooledVec};
use crate::operator::Window;

/// Initial capacity of a ring.
const INITIAL_CAPACITY: usize = 16;

/// A FIFO of `T`s in a pooled, tracker-charged buffer.
pub struct Ring<T: Pooled + Clone> {
    buf: Option<PooledVec<T>>,
    head: usize,
    len: usize,
}

impl<T: Pooled + Clone> Default for Ring<T> {
    fn default() -> Self {
        Ring {
            buf: None,
            head: 0,
            len: 0,
        }
    }
}

impl<T: Pooled + Clone> Ring<T> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn capacity(&self) -> usize {
        self.buf.as_ref().map_or(0, |b| b.capacity())
    }

    /// Appends at the back, growing (and charging `tracker`) when full.
    pub fn push(&mut self, value: T, tracker: &Arc<MemoryTracker>) -> Result<()> {
        if self.len == self.capacity() {
            self.grow(tracker)?;
        }
        let cap = self.capacity();
        let Some(buf) = self.buf.as_mut() else {
            return Err(crate::error::Error::Internal("ring buffer without storage".into()));
        };
        let idx = (self.head + self.len) % cap;
        if let Some(slot) = buf.get_mut(idx) {
            *slot = value;
        } else {
            // Before the first wrap-around the ring fills the vector from the front.
            buf.push(value)?;
        }
        self.len += 1;
        Ok(())
    }

    fn grow(&mut self, tracker: &Arc<MemoryTracker>) -> Result<()> {
        let new_cap = (self.capacity() * 2).max(INITIAL_CAPACITY);
        let mut next = PooledVec::with_capacity(new_cap, tracker)?;
        let (a, b) = self.slices();
        next.extend_from_slice(a);
        next.extend_from_slice(b);
        self.buf = Some(next);
        self.head = 0;
        Ok(())
    }

    /// The first element.
    pub fn front(&self) -> Option<&T> {
        let (a, b) = self.slices();
        a.first().or(b.first())
    }

    /// Removes the first element.
    pub fn pop_front(&mut self) {
        if self.len == 0 {
            return;
        }
        self.head = (self.head + 1) % self.capacity().max(1);
        self.len -= 1;
        if self.len == 0 {
            self.head = 0;
            if let Some(b) = self.buf.as_mut() {
                b.clear();
            }
        }
    }

    /// Removes every element, keeping the buffer.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        if let Some(b) = self.buf.as_mut() {
            b.clear();
        }
    }

    fn slices(&self) -> (&[T], &[T]) {
        let Some(buf) = self.buf.as_ref() else {
            return (&[], &[]);
        };
        let cap = buf.capacity();
        if self.head + self.len <= cap {
            (buf.get(self.head..self.head + self.len).unwrap_or(&[]), &[])
        } else {
            let first = buf.get(self.head..).unwrap_or(&[]);
            let rest = buf.get(..self.head + self.len - cap).unwrap_or(&[]);
            (first, rest)
        }
    }

    /// The contents in order, as a window.
    pub fn window(&self) -> Window<'_, T> {
        let (head, tail) = self.slices();
        Window { head, tail }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_grows_and_refunds() {
        let tracker = MemoryTracker::new(0);
        let mut r = Ring::<f64>::default();
        for i in 0..10 {
            r.push(i as f64, &tracker).unwrap();
        }
        for _ in 0..7 {
            r.pop_front();
        }
        for i in 10..20 {
            r.push(i as f64, &tracker).unwrap();
        }
        let got: Vec<f64> = r.window().iter().copied().collect();
        assert_eq!(got, (7..20).map(|i| i as f64).collect::<Vec<_>>());
        assert!(!r.window().tail.is_empty(), "contents wrap around");
        for i in 20..40 {
            r.push(i as f64, &tracker).unwrap();
        }
        assert_eq!(r.len(), 33);
        assert_eq!(r.front(), Some(&7.0));
        assert_eq!(r.window().last(), Some(&39.0));
        drop(r);
        assert_eq!(tracker.current(), 0);
    }
}
