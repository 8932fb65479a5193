//! [`HeadAppender`]: a batch of appends to the head, implementing `rill_model::Appender`.
//!
//! `append` validates each sample against the series and the batch so far (out of order, out
//! of bounds, duplicate) and queues it. `commit` takes the commit lock, re-validates the queue
//! against the current state (another batch may have committed in between; samples that no
//! longer fit are dropped, as Prometheus does), writes series records for series not yet in
//! the log and then the sample records in one WAL call (fsynced per policy), and only then
//! applies the samples so queries see them. Commit returning `Ok` is the acknowledgement.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rill_model::{Appender, Labels, Sample};

use super::Head;
use super::chunks::HeadValue;
use super::series::{MemSeries, Placement, Reject};
use crate::wal::record::{
    RefFloatHistogram, RefHistogram, RefSample, RefSeries, encode_float_histograms, encode_histograms, encode_samples,
    encode_series,
};

/// A batch of appends to a [`Head`].
pub struct HeadAppender<'a> {
    head: &'a Head,
    queue: Vec<(Arc<MemSeries>, i64, HeadValue)>,
    /// Newest in-order sample queued per series ref.
    pending: HashMap<u64, (i64, HeadValue)>,
}

impl<'a> HeadAppender<'a> {
    pub(crate) fn new(head: &'a Head) -> Self {
        Self {
            head,
            queue: Vec::new(),
            pending: HashMap::new(),
        }
    }

    /// Samples queued so far.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

fn reject_error(r: Reject, labels: &Labels, t: i64) -> rill_model::Error {
    let series = labels.to_string();
    match r {
        Reject::OutOfOrder => rill_model::Error::OutOfOrder { series, timestamp: t },
        Reject::OutOfBounds => rill_model::Error::OutOfBounds { series, timestamp: t },
        Reject::Duplicate => rill_model::Error::DuplicateSample { series, timestamp: t },
    }
}

/// Places `(t, v)` of `series` given the batch's pending samples; updates them if in order.
fn place(
    head: &Head,
    series: &MemSeries,
    t: i64,
    v: &HeadValue,
    pending: &mut HashMap<u64, (i64, HeadValue)>,
) -> Result<Placement, Reject> {
    let bounds = head.bounds();
    let placement = series
        .data
        .lock()
        .classify(t, v, pending.get(&series.series_ref), &bounds)?;
    if placement == Placement::InOrder {
        pending.insert(series.series_ref, (t, v.clone()));
    }
    Ok(placement)
}

impl Appender for HeadAppender<'_> {
    fn append(&mut self, labels: &Labels, sample: Sample) -> rill_model::Result<()> {
        if labels.is_empty() {
            return Err(rill_model::Error::Storage("empty label set".into()));
        }
        let series = self.head.get_or_create(labels);
        let v = HeadValue::from_value(sample.v);
        match place(self.head, &series, sample.t, &v, &mut self.pending) {
            Ok(Placement::Duplicate) => Ok(()),
            Ok(_) => {
                self.queue.push((series, sample.t, v));
                Ok(())
            }
            Err(r) => Err(reject_error(r, labels, sample.t)),
        }
    }

    fn commit(self: Box<Self>) -> rill_model::Result<()> {
        let head = self.head;
        let mut wal = head.lock_wal();
        let mut pending = HashMap::new();
        let mut accepted = Vec::with_capacity(self.queue.len());
        for (series, t, v) in self.queue {
            let series = if series.dead.load(Ordering::Acquire) {
                head.get_or_create(&series.labels)
            } else {
                series
            };
            match place(head, &series, t, &v, &mut pending) {
                Ok(Placement::Duplicate) => {}
                Ok(p) => accepted.push((series, t, v, p)),
                Err(r) => tracing::debug!(series = %series.labels, t, "sample dropped at commit: {r:?}"),
            }
        }
        if accepted.is_empty() {
            return Ok(());
        }
        let mut new_series: Vec<RefSeries> = Vec::new();
        let mut floats = Vec::new();
        let mut hists = Vec::new();
        let mut fhists = Vec::new();
        for (s, t, v, _) in &accepted {
            if !s.is_logged() && !new_series.iter().any(|n| n.series_ref == s.series_ref) {
                new_series.push(RefSeries {
                    series_ref: s.series_ref,
                    labels: s.labels.clone(),
                });
            }
            let (series_ref, t) = (s.series_ref, *t);
            match v {
                HeadValue::Float(v) => floats.push(RefSample { series_ref, t, v: *v }),
                HeadValue::Int(h) => hists.push(RefHistogram {
                    series_ref,
                    t,
                    h: (**h).clone(),
                }),
                HeadValue::FloatHist(h) => fhists.push(RefFloatHistogram {
                    series_ref,
                    t,
                    h: (**h).clone(),
                }),
            }
        }
        if let Some(w) = wal.as_mut() {
            let mut records: Vec<Vec<u8>> = Vec::new();
            if !new_series.is_empty() {
                let mut r = Vec::new();
                encode_series(&new_series, &mut r);
                records.push(r);
            }
            if !floats.is_empty() {
                let mut r = Vec::new();
                encode_samples(&floats, &mut r);
                records.push(r);
            }
            records.extend(encode_histograms(&hists));
            records.extend(encode_float_histograms(&fhists));
            let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
            w.log(&refs)?;
        }
        let bd = head.options().block_duration;
        for (s, t, v, p) in accepted {
            s.logged.store(true, Ordering::Release);
            s.data.lock().apply(t, v, p, bd);
            head.note_time(t);
        }
        drop(wal);
        Ok(())
    }

    fn rollback(self: Box<Self>) {}
}

#[cfg(test)]
mod tests {
    use super::super::HeadOptions;
    use super::*;

    #[test]
    fn validates_and_commits() {
        let head = Head::new(HeadOptions::default(), 0);
        let l = Labels::from_pairs([("__name__", "m")]);
        let mut a: Box<dyn Appender + '_> = Box::new(head.appender());
        a.append(&l, Sample::float(10, 1.0)).unwrap();
        a.append(&l, Sample::float(10, 1.0)).unwrap();
        assert!(matches!(
            a.append(&l, Sample::float(10, 2.0)),
            Err(rill_model::Error::DuplicateSample { .. })
        ));
        assert!(matches!(
            a.append(&l, Sample::float(5, 2.0)),
            Err(rill_model::Error::OutOfOrder { .. })
        ));
        assert!(matches!(
            a.append(&l, Sample::float(-5, 2.0)),
            Err(rill_model::Error::OutOfBounds { .. })
        ));
        a.append(&l, Sample::float(20, 2.0)).unwrap();
        assert_eq!(head.max_time(), i64::MIN, "nothing visible before commit");
        a.commit().unwrap();
        assert_eq!((head.min_time(), head.max_time()), (10, 20));
        let s = head.select(&[]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].data.lock().chunks_in(0, 100).unwrap().len(), 1);

        let mut b: Box<dyn Appender + '_> = Box::new(head.appender());
        b.append(&Labels::from_pairs([("__name__", "other")]), Sample::float(30, 1.0))
            .unwrap();
        b.rollback();
        assert_eq!(head.max_time(), 20);
    }
}
