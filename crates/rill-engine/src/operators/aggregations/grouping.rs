//! Which output group each input series belongs to, and in which order groups complete.
//!
//! A series' group is its labels reduced by the `by`/`without` clause (Prometheus's
//! `generateGroupingLabels`): `by (a, b)` keeps only `a` and `b` (including `__name__` when
//! listed), `without (a, b)` drops `a`, `b` and `__name__`, no clause keeps nothing.
//! Groups are numbered in the order they complete, i.e. by the index of their last input
//! series, so an operator that reads input in order finishes group 0 first, then group 1...

use std::sync::Arc;

use rill_model::{Label, Labels, METRIC_NAME};

use crate::declare_pool;
use crate::error::Result;
use crate::memory::{MemoryTracker, PooledVec};
use crate::types::SeriesMetadata;

declare_pool!(Labels);

/// A `by (...)` or `without (...)` clause.
#[derive(Clone, Debug)]
pub(super) struct Grouping {
    names: Vec<String>,
    without: bool,
}

impl Grouping {
    /// The clause `by (names)`, or `without (names)` when `without` is set.
    pub(super) fn new(names: &[String], without: bool) -> Self {
        Grouping {
            names: names.to_vec(),
            without,
        }
    }

    /// Whether this is a `without` clause.
    pub(super) fn is_without(&self) -> bool {
        self.without
    }

    /// Whether `name` is listed in the clause.
    pub(super) fn lists(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The labels of the group a series with `labels` belongs to.
    pub(super) fn group_labels(&self, labels: &Labels) -> Labels {
        if self.without {
            labels.filter(|l| &*l.name != METRIC_NAME && !self.lists(&l.name))
        } else if self.names.is_empty() {
            Labels::empty()
        } else {
            labels.filter(|l| self.lists(&l.name))
        }
    }

    /// Like [`Grouping::group_labels`] but also dropping `extra` (for `count_values`, whose value
    /// label is added afterwards).
    pub(super) fn group_labels_without(&self, labels: &Labels, extra: &str) -> Labels {
        let base = self.group_labels(labels);
        if base.has(extra) {
            base.filter(|l: &Label| &*l.name != extra)
        } else {
            base
        }
    }
}

/// The groups of an aggregation's input, numbered in completion order.
pub(super) struct Groups {
    /// Output labels of each group.
    pub(super) labels: PooledVec<Labels>,
    /// Whether any member of each group has its name marked for dropping.
    pub(super) drop_name: PooledVec<bool>,
    /// Group of each input series.
    pub(super) of_series: PooledVec<usize>,
    /// Input series of all groups, group by group, each group's members in input order.
    pub(super) members: PooledVec<usize>,
    /// Offsets into `members`: group `g`'s members are `members[starts[g]..starts[g + 1]]`.
    pub(super) starts: PooledVec<usize>,
    /// Position of each input series among its group's members.
    pub(super) local_index: PooledVec<usize>,
}

impl Groups {
    /// Groups `series` by `grouping`.
    pub(super) fn compute(
        series: &[SeriesMetadata],
        grouping: &Grouping,
        tracker: &Arc<MemoryTracker>,
    ) -> Result<Self> {
        let n = series.len();
        let mut keys = PooledVec::<Labels>::with_capacity(n, tracker)?;
        for s in series {
            keys.push(grouping.group_labels(&s.labels))?;
        }
        // Sort series by (group labels, input index): each run is one group, members in order.
        let mut order = PooledVec::<usize>::with_capacity(n, tracker)?;
        order.extend(0..n);
        order.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
        // Runs as (first position in `order`, end position), then ordered by their last member.
        let mut runs = PooledVec::<usize>::with_capacity(n, tracker)?;
        let mut i = 0;
        while i < n {
            runs.push(i)?;
            let mut j = i + 1;
            while j < n && keys[order[j]] == keys[order[i]] {
                j += 1;
            }
            i = j;
        }
        let run_end = |r: usize, runs: &[usize]| runs.get(r + 1).copied().unwrap_or(n);
        let mut by_last = PooledVec::<usize>::with_capacity(runs.len(), tracker)?;
        by_last.extend(0..runs.len());
        by_last.sort_by_key(|&r| order[run_end(r, &runs) - 1]);

        let mut groups = Groups {
            labels: PooledVec::with_capacity(runs.len(), tracker)?,
            drop_name: PooledVec::with_capacity(runs.len(), tracker)?,
            of_series: PooledVec::filled(n, 0, tracker)?,
            members: PooledVec::with_capacity(n, tracker)?,
            starts: PooledVec::with_capacity(runs.len() + 1, tracker)?,
            local_index: PooledVec::filled(n, 0, tracker)?,
        };
        for (g, &r) in by_last.iter().enumerate() {
            let (start, end) = (runs[r], run_end(r, &runs));
            groups.starts.push(groups.members.len())?;
            groups.labels.push(keys[order[start]].clone())?;
            let mut drop = false;
            for (local, &s) in order[start..end].iter().enumerate() {
                groups.members.push(s)?;
                groups.of_series[s] = g;
                groups.local_index[s] = local;
                drop |= series[s].drop_name;
            }
            groups.drop_name.push(drop)?;
        }
        groups.starts.push(groups.members.len())?;
        Ok(groups)
    }

    /// Number of groups.
    pub(super) fn len(&self) -> usize {
        self.labels.len()
    }

    /// The input series of group `g`, in input order.
    pub(super) fn members_of(&self, g: usize) -> &[usize] {
        let start = self.starts.get(g).copied().unwrap_or(0);
        let end = self.starts.get(g + 1).copied().unwrap_or(start);
        self.members.get(start..end).unwrap_or(&[])
    }
}
