//! Postings: sorted lists of series refs, combined lazily.
//!
//! A list is read straight from the memory-mapped index (4-byte big-endian refs); intersection,
//! union and difference are iterators that advance their inputs with `seek`, so intersecting a
//! small list with a huge one costs about the size of the small one (binary search skips).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use bytes::Bytes;

/// A sorted, duplicate-free stream of series refs.
pub trait Postings: Send {
    /// Advances to the next ref.
    fn next(&mut self) -> Option<u32>;
    /// Advances to the first ref `>= target` and returns it; returns the current ref again if it
    /// already qualifies (so seeking never moves backwards).
    fn seek(&mut self, target: u32) -> Option<u32>;
}

/// The boxed form every combinator takes.
pub type BoxPostings = Box<dyn Postings>;

/// No refs.
pub struct EmptyPostings;

impl Postings for EmptyPostings {
    fn next(&mut self) -> Option<u32> {
        None
    }
    fn seek(&mut self, _target: u32) -> Option<u32> {
        None
    }
}

/// A postings list in the index file: `entries` holds the refs, 4 bytes each.
pub struct ListPostings {
    entries: Bytes,
    /// Index of the next unread ref.
    next: usize,
    cur: Option<u32>,
}

impl ListPostings {
    /// Iterates over the big-endian u32 refs in `entries` (length a multiple of 4).
    pub fn new(entries: Bytes) -> Self {
        Self {
            entries,
            next: 0,
            cur: None,
        }
    }

    fn len(&self) -> usize {
        self.entries.len() / 4
    }

    fn get(&self, i: usize) -> Option<u32> {
        self.entries
            .get(i * 4..i * 4 + 4)
            .and_then(|s| s.first_chunk::<4>())
            .map(|b| u32::from_be_bytes(*b))
    }
}

impl Postings for ListPostings {
    fn next(&mut self) -> Option<u32> {
        self.cur = self.get(self.next);
        if self.cur.is_some() {
            self.next += 1;
        }
        self.cur
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        if let Some(c) = self.cur
            && c >= target
        {
            return Some(c);
        }
        // Binary search in the unread part for the first ref >= target.
        let (mut lo, mut hi) = (self.next, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(|v| v < target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.next = lo;
        self.next()
    }
}

/// Refs held in memory (used for tests and small computed sets).
pub struct VecPostings {
    refs: Vec<u32>,
    next: usize,
    cur: Option<u32>,
}

impl VecPostings {
    /// Iterates over `refs`, which must be sorted and unique.
    pub fn new(refs: Vec<u32>) -> Self {
        Self {
            refs,
            next: 0,
            cur: None,
        }
    }
}

impl Postings for VecPostings {
    fn next(&mut self) -> Option<u32> {
        self.cur = self.refs.get(self.next).copied();
        if self.cur.is_some() {
            self.next += 1;
        }
        self.cur
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        if let Some(c) = self.cur
            && c >= target
        {
            return Some(c);
        }
        let rest = self.refs.get(self.next..).unwrap_or_default();
        self.next += rest.partition_point(|&v| v < target);
        self.next()
    }
}

/// Refs present in every input.
pub struct Intersect {
    its: Vec<BoxPostings>,
    cur: Option<u32>,
}

/// Intersects `its` lazily; no inputs means no refs.
pub fn intersect(mut its: Vec<BoxPostings>) -> BoxPostings {
    match its.len() {
        0 => Box::new(EmptyPostings),
        1 => its.pop().unwrap_or_else(|| Box::new(EmptyPostings)),
        _ => Box::new(Intersect { its, cur: None }),
    }
}

impl Intersect {
    /// Finds the first ref >= `target` present in all inputs.
    fn align(&mut self, mut target: u32) -> Option<u32> {
        'outer: loop {
            for it in &mut self.its {
                let v = it.seek(target)?;
                if v > target {
                    target = v;
                    continue 'outer;
                }
            }
            return Some(target);
        }
    }
}

impl Postings for Intersect {
    fn next(&mut self) -> Option<u32> {
        let target = match self.cur {
            None => 0,
            Some(c) => c.checked_add(1)?,
        };
        self.cur = self.align(target);
        self.cur
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        if let Some(c) = self.cur
            && c >= target
        {
            return Some(c);
        }
        self.cur = self.align(target);
        self.cur
    }
}

/// Refs present in any input.
pub struct Merge {
    its: Vec<BoxPostings>,
    heap: BinaryHeap<Reverse<(u32, usize)>>,
    started: bool,
    cur: Option<u32>,
}

/// Unions `its` lazily with a heap.
pub fn merge(mut its: Vec<BoxPostings>) -> BoxPostings {
    match its.len() {
        0 => Box::new(EmptyPostings),
        1 => its.pop().unwrap_or_else(|| Box::new(EmptyPostings)),
        _ => Box::new(Merge {
            its,
            heap: BinaryHeap::new(),
            started: false,
            cur: None,
        }),
    }
}

impl Merge {
    fn start(&mut self, target: u32) {
        self.started = true;
        for (i, it) in self.its.iter_mut().enumerate() {
            if let Some(v) = it.seek(target) {
                self.heap.push(Reverse((v, i)));
            }
        }
    }

    /// Pops the smallest ref, advancing every input that holds it.
    fn pop(&mut self) -> Option<u32> {
        let Reverse((v, _)) = *self.heap.peek()?;
        while let Some(&Reverse((w, i))) = self.heap.peek() {
            if w != v {
                break;
            }
            self.heap.pop();
            if let Some(n) = self.its.get_mut(i).and_then(|it| it.next()) {
                self.heap.push(Reverse((n, i)));
            }
        }
        Some(v)
    }
}

impl Postings for Merge {
    fn next(&mut self) -> Option<u32> {
        if !self.started {
            self.start(0);
        }
        self.cur = self.pop();
        self.cur
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        if let Some(c) = self.cur
            && c >= target
        {
            return Some(c);
        }
        if !self.started {
            self.start(target);
        }
        while let Some(&Reverse((v, _))) = self.heap.peek() {
            if v >= target {
                break;
            }
            // Re-seek the input holding the smallest ref instead of stepping through it.
            if let Some(Reverse((_, i))) = self.heap.pop()
                && let Some(n) = self.its.get_mut(i).and_then(|it| it.seek(target))
            {
                self.heap.push(Reverse((n, i)));
            }
        }
        self.cur = self.pop();
        self.cur
    }
}

/// Refs of `full` that are not in `drop`.
pub struct Without {
    full: BoxPostings,
    drop: BoxPostings,
    cur: Option<u32>,
}

/// `full` minus `drop`, lazily.
pub fn without(full: BoxPostings, drop: BoxPostings) -> BoxPostings {
    Box::new(Without { full, drop, cur: None })
}

impl Without {
    fn skip_dropped(&mut self, mut v: Option<u32>) -> Option<u32> {
        while let Some(x) = v {
            if self.drop.seek(x) != Some(x) {
                break;
            }
            v = self.full.next();
        }
        self.cur = v;
        v
    }
}

impl Postings for Without {
    fn next(&mut self) -> Option<u32> {
        let v = self.full.next();
        self.skip_dropped(v)
    }

    fn seek(&mut self, target: u32) -> Option<u32> {
        if let Some(c) = self.cur
            && c >= target
        {
            return Some(c);
        }
        let v = self.full.seek(target);
        self.skip_dropped(v)
    }
}

/// Drains `p` into a vector.
pub fn collect(mut p: BoxPostings) -> Vec<u32> {
    let mut out = Vec::new();
    while let Some(v) = p.next() {
        out.push(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn list(refs: &[u32]) -> BoxPostings {
        let bytes: Vec<u8> = refs.iter().flat_map(|r| r.to_be_bytes()).collect();
        Box::new(ListPostings::new(Bytes::from(bytes)))
    }

    fn vecp(refs: &BTreeSet<u32>) -> BoxPostings {
        Box::new(VecPostings::new(refs.iter().copied().collect()))
    }

    #[test]
    fn list_seek_and_next() {
        let mut p = list(&[1, 5, 9, 20]);
        assert_eq!(p.seek(6), Some(9));
        assert_eq!(p.seek(2), Some(9));
        assert_eq!(p.next(), Some(20));
        assert_eq!(p.next(), None);
    }

    proptest! {
        #[test]
        fn combinators_match_set_algebra(
            a in proptest::collection::btree_set(0u32..200, 0..60),
            b in proptest::collection::btree_set(0u32..200, 0..60),
            c in proptest::collection::btree_set(0u32..200, 0..60),
            seek in 0u32..210,
        ) {
            let inter: Vec<u32> = a.iter().filter(|x| b.contains(x) && c.contains(x)).copied().collect();
            prop_assert_eq!(collect(intersect(vec![vecp(&a), list(&b.iter().copied().collect::<Vec<_>>()), vecp(&c)])), inter.clone());
            let union: Vec<u32> = a.union(&b).chain(c.iter()).copied().collect::<BTreeSet<_>>().into_iter().collect();
            prop_assert_eq!(collect(merge(vec![vecp(&a), vecp(&b), vecp(&c)])), union.clone());
            let diff: Vec<u32> = a.difference(&b).copied().collect();
            prop_assert_eq!(collect(without(vecp(&a), vecp(&b))), diff.clone());
            // seek then drain agrees with filtering
            for (mut p, want) in [
                (intersect(vec![vecp(&a), vecp(&b), vecp(&c)]), inter),
                (merge(vec![vecp(&a), vecp(&b), vecp(&c)]), union),
                (without(vecp(&a), vecp(&b)), diff),
            ] {
                let want: Vec<u32> = want.into_iter().filter(|&x| x >= seek).collect();
                let mut got = Vec::new();
                if let Some(v) = p.seek(seek) {
                    got.push(v);
                    while let Some(v) = p.next() { got.push(v); }
                }
                prop_assert_eq!(got, want);
            }
        }
    }
}
