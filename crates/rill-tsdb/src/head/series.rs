//! One in-memory series: its labels, in-order chunks, an out-of-order buffer, and the rules that
//! decide whether a sample is accepted (Prometheus's `memSeries.appendable`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use rill_model::{Chunk, Labels, Sample};

use super::chunks::{ClosedChunk, HeadValue, SeriesChunks, decode_into};

/// Limits a sample is checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// Nothing older is accepted (end of the newest block / compacted range).
    pub min_valid: i64,
    /// Newest timestamp in the head (`i64::MIN` when empty).
    pub head_max: i64,
    /// Out-of-order window in ms (0 disables out-of-order ingestion).
    pub ooo_window: i64,
    /// Block duration in ms: in-order samples older than half a block before `head_max` are
    /// out of bounds, as in Prometheus.
    pub block_duration: i64,
}

/// Where an accepted sample goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Newer than everything: append to the open chunk.
    InOrder,
    /// Older than the newest sample, inside the out-of-order window.
    OutOfOrder,
    /// Same timestamp and value as a stored sample: nothing to do.
    Duplicate,
}

/// Why a sample is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reject {
    OutOfOrder,
    OutOfBounds,
    Duplicate,
}

/// The mutable part of a series.
#[derive(Debug, Default)]
pub(crate) struct SeriesData {
    pub chunks: SeriesChunks,
    /// Newest in-order sample.
    pub last: Option<(i64, HeadValue)>,
    /// Out-of-order samples, by timestamp.
    pub ooo: BTreeMap<i64, HeadValue>,
    /// Deleted intervals `[mint, maxt]` (WAL tombstones): samples in them are hidden from
    /// queries and left out of compacted blocks, whenever they were appended (Prometheus's
    /// head tombstones behave the same).
    pub deleted: Vec<(i64, i64)>,
}

/// A series in the head.
#[derive(Debug)]
pub(crate) struct MemSeries {
    pub series_ref: u64,
    pub labels: Labels,
    pub data: Mutex<SeriesData>,
    /// Whether a series record for it is in the WAL (set under the commit lock).
    pub logged: AtomicBool,
    /// Set when the series was garbage-collected from the head.
    pub dead: AtomicBool,
}

impl MemSeries {
    pub fn new(series_ref: u64, labels: Labels, logged: bool) -> Self {
        Self {
            series_ref,
            labels,
            data: Mutex::new(SeriesData::default()),
            logged: AtomicBool::new(logged),
            dead: AtomicBool::new(false),
        }
    }

    pub fn is_logged(&self) -> bool {
        self.logged.load(Ordering::Acquire)
    }
}

impl SeriesData {
    /// Decides where `(t, v)` goes given the stored data and `pending`, the newest sample the
    /// current batch already placed in order for this series.
    pub fn classify(
        &self,
        t: i64,
        v: &HeadValue,
        pending: Option<&(i64, HeadValue)>,
        b: &Bounds,
    ) -> Result<Placement, Reject> {
        if t < b.min_valid {
            return Err(Reject::OutOfBounds);
        }
        let last = match (self.last.as_ref(), pending) {
            (Some(a), Some(p)) => Some(if p.0 >= a.0 { p } else { a }),
            (a, p) => a.or(p),
        };
        let ooo_floor = b.head_max.saturating_sub(b.ooo_window);
        let out_of_order = |t: i64| {
            if b.ooo_window <= 0 {
                return Err(Reject::OutOfOrder);
            }
            if t < ooo_floor {
                return Err(Reject::OutOfBounds);
            }
            match self.ooo.get(&t) {
                Some(old) if old.same(v) => Ok(Placement::Duplicate),
                Some(_) => Err(Reject::Duplicate),
                None => Ok(Placement::OutOfOrder),
            }
        };
        match last {
            Some((lt, lv)) if t == *lt => {
                if lv.same(v) {
                    Ok(Placement::Duplicate)
                } else {
                    Err(Reject::Duplicate)
                }
            }
            Some((lt, _)) if t < *lt => out_of_order(t),
            _ => {
                let in_order_floor = b.head_max.saturating_sub(b.block_duration / 2);
                if b.head_max != i64::MIN && t < in_order_floor {
                    if b.ooo_window > 0 {
                        return out_of_order(t).map_err(|_| Reject::OutOfBounds);
                    }
                    return Err(Reject::OutOfBounds);
                }
                Ok(Placement::InOrder)
            }
        }
    }

    /// Stores an accepted sample.
    pub fn apply(&mut self, t: i64, v: HeadValue, place: Placement, block_duration: i64) {
        match place {
            Placement::InOrder => {
                if self.chunks.append(t, &v, block_duration) {
                    self.last = Some((t, v));
                }
            }
            Placement::OutOfOrder => {
                self.ooo.insert(t, v);
            }
            Placement::Duplicate => {}
        }
    }

    /// Stores a replayed sample: everything the WAL holds was accepted once, so only the
    /// compacted range (`t < min_valid`) and exact repeats are dropped.
    pub fn apply_replayed(&mut self, t: i64, v: HeadValue, min_valid: i64, block_duration: i64) {
        if t < min_valid {
            return;
        }
        match &self.last {
            Some((lt, _)) if t == *lt => {}
            Some((lt, _)) if t < *lt => {
                self.ooo.entry(t).or_insert(v);
            }
            _ => self.apply(t, v, Placement::InOrder, block_duration),
        }
    }

    /// Hides the samples in `[mint, maxt]` (a tombstone).
    pub fn delete_range(&mut self, mint: i64, maxt: i64) {
        if mint <= maxt && !self.deleted.contains(&(mint, maxt)) {
            self.deleted.push((mint, maxt));
        }
    }

    /// Whether a tombstone covers `t`.
    fn is_deleted(&self, t: i64) -> bool {
        self.deleted.iter().any(|&(a, b)| a <= t && t <= b)
    }

    /// Oldest timestamp held.
    pub fn min_time(&self) -> Option<i64> {
        let ooo = self.ooo.keys().next().copied();
        match (self.chunks.min_time(), ooo) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Drops everything older than `mint`; `true` if the series is now empty.
    pub fn truncate_before(&mut self, mint: i64) -> bool {
        self.chunks.truncate_before(mint);
        self.ooo = self.ooo.split_off(&mint);
        self.deleted.retain(|&(_, maxt)| maxt >= mint);
        if self.chunks.is_empty() {
            self.last = None;
        }
        self.chunks.is_empty() && self.ooo.is_empty()
    }

    /// The data in `[mint, maxt]` as engine chunks: encoded chunks as they are, or, when
    /// out-of-order samples or tombstones fall in the range, one decoded chunk merging both
    /// (in-order samples win on equal timestamps) without the deleted samples.
    pub fn chunks_in(&self, mint: i64, maxt: i64) -> Result<Vec<Chunk>, rill_codec::Error> {
        let closed: Vec<ClosedChunk> = self.chunks.overlapping(mint, maxt);
        let mut ooo = self.ooo.range(mint..=maxt).peekable();
        let masked = self.deleted.iter().any(|&(a, b)| a <= maxt && b >= mint);
        if ooo.peek().is_none() && !masked {
            return Ok(closed.iter().map(ClosedChunk::to_chunk).collect());
        }
        let mut samples = Vec::new();
        for c in &closed {
            decode_into(c, &mut samples)?;
        }
        samples.extend(ooo.map(|(t, v)| Sample { t: *t, v: v.to_value() }));
        samples.retain(|s| s.t >= mint && s.t <= maxt && !self.is_deleted(s.t));
        samples.sort_by_key(|s| s.t);
        samples.dedup_by_key(|s| s.t);
        let len = samples.len();
        if len == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![Chunk::Decoded {
            samples: Arc::new(samples),
            range: 0..len,
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(head_max: i64, ooo_window: i64) -> Bounds {
        Bounds {
            min_valid: 0,
            head_max,
            ooo_window,
            block_duration: 1000,
        }
    }

    #[test]
    fn classifies_like_prometheus() {
        let mut d = SeriesData::default();
        let one = HeadValue::Float(1.0);
        let b = bounds(i64::MIN, 0);
        assert_eq!(d.classify(10, &one, None, &b), Ok(Placement::InOrder));
        d.apply(10, one.clone(), Placement::InOrder, 1000);
        let b = bounds(10, 0);
        assert_eq!(d.classify(10, &one, None, &b), Ok(Placement::Duplicate));
        assert_eq!(d.classify(10, &HeadValue::Float(2.0), None, &b), Err(Reject::Duplicate));
        assert_eq!(d.classify(5, &one, None, &b), Err(Reject::OutOfOrder));
        assert_eq!(d.classify(-1, &one, None, &b), Err(Reject::OutOfBounds));
        assert_eq!(
            d.classify(11, &one, Some(&(12, one.clone())), &b),
            Err(Reject::OutOfOrder)
        );
        // With an out-of-order window.
        let b = bounds(10, 4);
        assert_eq!(d.classify(7, &one, None, &b), Ok(Placement::OutOfOrder));
        assert_eq!(d.classify(5, &one, None, &b), Err(Reject::OutOfBounds));
        d.apply(7, one.clone(), Placement::OutOfOrder, 1000);
        assert_eq!(d.classify(7, &HeadValue::Float(3.0), None, &b), Err(Reject::Duplicate));
        let chunks = d.chunks_in(0, 100).unwrap();
        assert!(matches!(&chunks[..], [Chunk::Decoded { samples, .. }] if samples.len() == 2));
        d.delete_range(9, 10);
        let chunks = d.chunks_in(0, 100).unwrap();
        assert!(matches!(&chunks[..], [Chunk::Decoded { samples, .. }] if samples.len() == 1 && samples[0].t == 7));
        assert!(d.chunks_in(8, 100).unwrap().is_empty(), "only deleted samples in range");
        assert!(!d.truncate_before(8));
        assert_eq!(d.deleted, vec![(9, 10)], "a tombstone is kept while it covers data");
        assert!(d.ooo.is_empty());
        assert!(d.truncate_before(11));
    }
}
