//! Reads an operator's series in order while letting a consumer take them out of order,
//! holding only the series that are still wanted (Mimir's `InstantVectorOperatorBuffer`).

use std::collections::{HashMap, HashSet};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::operator::InstantVectorOperator;
use crate::types::InstantVectorSeriesData;

/// Buffers the series of `op` that a consumer will ask for later.
pub struct SeriesBuffer {
    op: Box<dyn InstantVectorOperator>,
    next: usize,
    held: HashMap<usize, InstantVectorSeriesData>,
    wanted: Vec<bool>,
    /// With [`SeriesBuffer::track_times`]: the timestamps of every point read so far.
    times: Option<HashSet<i64>>,
}

impl SeriesBuffer {
    /// Wraps `op`; `wanted[i]` says whether series `i` will ever be taken (others are dropped
    /// as soon as they are read).
    pub fn new(op: Box<dyn InstantVectorOperator>, wanted: Vec<bool>) -> Self {
        SeriesBuffer {
            op,
            next: 0,
            held: HashMap::new(),
            wanted,
            times: None,
        }
    }

    /// From now on, records the timestamps of every point read (taken, held or dropped), so
    /// a consumer can ask at which steps the operand had any sample at all.
    pub fn track_times(&mut self) {
        self.times.get_or_insert_with(HashSet::new);
    }

    /// Reads every remaining series (holding the wanted ones) and returns the timestamps of
    /// all points read, if [`SeriesBuffer::track_times`] was called.
    pub fn read_all_times(&mut self, cx: &mut QueryContext) -> Result<Option<&HashSet<i64>>> {
        while let Some(d) = self.op.next_series(cx)? {
            let i = self.next;
            self.next += 1;
            self.record(&d);
            if self.wanted.get(i).copied().unwrap_or(false) {
                self.held.insert(i, d);
            }
        }
        Ok(self.times.as_ref())
    }

    fn record(&mut self, d: &InstantVectorSeriesData) {
        if let Some(times) = self.times.as_mut() {
            times.extend(d.floats.iter().map(|p| p.t).chain(d.histograms.iter().map(|p| p.t)));
        }
    }

    /// Takes series `idx` (each series can be taken once).
    pub fn take(&mut self, idx: usize, cx: &mut QueryContext) -> Result<InstantVectorSeriesData> {
        if let Some(d) = self.held.remove(&idx) {
            return Ok(d);
        }
        while self.next <= idx {
            let d = self
                .op
                .next_series(cx)?
                .ok_or_else(|| Error::Internal(format!("operator ended before series {idx}")))?;
            let i = self.next;
            self.next += 1;
            self.record(&d);
            if i == idx {
                return Ok(d);
            }
            if self.wanted.get(i).copied().unwrap_or(false) {
                self.held.insert(i, d);
            }
        }
        Err(Error::Internal(format!("series {idx} was taken twice")))
    }

    /// Reads the series nobody took (so their errors surface, as Prometheus, which evaluates
    /// both operands in full, reports them), then finalizes the wrapped operator.
    pub fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.held.clear();
        drain(self.op.as_mut(), cx)?;
        self.op.finalize(cx)
    }
}

/// Reads `op` to its end, dropping the series: an operand whose series are not needed (no
/// match on the other side) is still evaluated, so that its errors (e.g. duplicate series in a
/// nested match) fail the query as they do in Prometheus.
pub fn drain(op: &mut dyn InstantVectorOperator, cx: &mut QueryContext) -> Result<()> {
    while op.next_series(cx)?.is_some() {}
    Ok(())
}
