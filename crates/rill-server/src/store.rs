//! A [`MemoryStore`] that also accepts appends, for tests and the demo dataset until the
//! read-write TSDB serves them.
//!
//! Queries see a snapshot (the store's maps are shared copy-on-write); a commit takes the write
//! lock and applies the batch. Out-of-order samples are rejected at append time like the TSDB
//! head does without an out-of-order window.

use std::collections::HashMap;

use parking_lot::RwLock;
use rill_model::{Appendable, Appender, Error, Labels, MemoryStore, Querier, Queryable, Result, Sample};

/// A shared, appendable in-memory store.
#[derive(Default)]
pub struct SharedMemoryStore {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    store: MemoryStore,
    last: HashMap<Labels, i64>,
}

impl SharedMemoryStore {
    /// Wraps an existing store.
    pub fn new(store: MemoryStore) -> Self {
        let last = store
            .iter()
            .filter_map(|(l, s)| s.last().map(|x| (l.clone(), x.t)))
            .collect();
        SharedMemoryStore {
            inner: RwLock::new(Inner { store, last }),
        }
    }

    /// Number of series.
    pub fn num_series(&self) -> usize {
        self.inner.read().store.num_series()
    }
}

impl Queryable for SharedMemoryStore {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>> {
        self.inner.read().store.querier(mint, maxt)
    }
}

impl Appendable for SharedMemoryStore {
    fn appender(&self) -> Box<dyn Appender + '_> {
        Box::new(MemoryAppender {
            owner: self,
            batch: Vec::new(),
            pending_last: HashMap::new(),
        })
    }
}

struct MemoryAppender<'a> {
    owner: &'a SharedMemoryStore,
    batch: Vec<(Labels, Sample)>,
    pending_last: HashMap<Labels, i64>,
}

impl Appender for MemoryAppender<'_> {
    fn append(&mut self, labels: &Labels, sample: Sample) -> Result<()> {
        let last = match self.pending_last.get(labels) {
            Some(t) => Some(*t),
            None => self.owner.inner.read().last.get(labels).copied(),
        };
        if let Some(t) = last
            && sample.t < t
        {
            return Err(Error::OutOfOrder {
                series: labels.to_string(),
                timestamp: sample.t,
            });
        }
        self.pending_last.insert(labels.clone(), sample.t);
        self.batch.push((labels.clone(), sample));
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let mut inner = self.owner.inner.write();
        for (labels, sample) in self.batch {
            let t = sample.t;
            inner.store.append(&labels, sample)?;
            inner.last.insert(labels, t);
        }
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

#[cfg(test)]
mod tests {
    use rill_model::SelectHints;

    use super::*;

    #[test]
    fn appends_become_visible_on_commit_only() {
        let s = SharedMemoryStore::default();
        let l = Labels::from_pairs([("__name__", "x")]);
        let mut a = s.appender();
        a.append(&l, Sample::float(10, 1.0)).unwrap();
        assert!(a.append(&l, Sample::float(5, 1.0)).is_err());
        assert_eq!(s.num_series(), 0);
        a.commit().unwrap();
        assert_eq!(s.num_series(), 1);
        let mut a = s.appender();
        assert!(matches!(
            a.append(&l, Sample::float(9, 1.0)),
            Err(Error::OutOfOrder { .. })
        ));
        a.rollback();
        let q = s.querier(0, 100).unwrap();
        let mut set = q.select(&SelectHints::default(), &[]).unwrap();
        assert!(set.next().unwrap().is_some());
    }
}
