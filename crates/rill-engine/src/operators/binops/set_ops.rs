//! The set operators `and`, `or` and `unless` (many-to-many matching by signature).
//!
//! Per step, `a and b` keeps the points of `a` whose signature has a point in `b`; `a unless
//! b` keeps those whose signature has none; `a or b` is all of `a` plus the points of `b`
//! whose signature has no point in `a`. Only the per-step presence of each signature of the
//! side that filters is kept (a bit per step), never its samples.

use std::collections::HashMap;

use rill_promql::{BinaryOp, VectorMatching};

use crate::context::QueryContext;
use crate::error::{Error, Result};
use crate::memory::PooledVec;
use crate::operator::InstantVectorOperator;
use crate::operators::binops::matching::Signatures;
use crate::operators::buffer::drain;
use crate::types::{InstantVectorSeriesData, QueryTimeRange, SeriesMetadata};

/// `left and|or|unless right`.
pub struct SetOperation {
    op: BinaryOp,
    matching: VectorMatching,
    steps: QueryTimeRange,
    left: Box<dyn InstantVectorOperator>,
    right: Box<dyn InstantVectorOperator>,
    left_sig: Vec<usize>,
    right_sig: Vec<usize>,
    /// For `and`/`unless`: whether each left series is output.
    left_output: Vec<bool>,
    /// Per signature, whether the filtering side has a point at each step.
    presence: HashMap<usize, PooledVec<bool>>,
    presence_ready: bool,
    next_left: usize,
    next_right: usize,
}

impl SetOperation {
    /// `left op right` for a set operator `op`.
    pub fn new(
        op: BinaryOp,
        left: Box<dyn InstantVectorOperator>,
        right: Box<dyn InstantVectorOperator>,
        matching: VectorMatching,
        steps: QueryTimeRange,
    ) -> Result<Self> {
        if !op.is_set() {
            return Err(Error::Internal(format!("{op} is not a set operator")));
        }
        Ok(SetOperation {
            op,
            matching,
            steps,
            left,
            right,
            left_sig: Vec::new(),
            right_sig: Vec::new(),
            left_output: Vec::new(),
            presence: HashMap::new(),
            presence_ready: false,
            next_left: 0,
            next_right: 0,
        })
    }

    fn step_of(&self, t: i64) -> usize {
        ((t - self.steps.start) / self.steps.step) as usize
    }

    /// Marks the steps where `data` has a point in the presence of signature `sig`.
    fn record(&mut self, sig: usize, data: &InstantVectorSeriesData, cx: &QueryContext) -> Result<()> {
        let n = self.steps.steps();
        let idx: Vec<usize> = data
            .floats
            .iter()
            .map(|p| p.t)
            .chain(data.histograms.iter().map(|p| p.t))
            .map(|t| self.step_of(t))
            .collect();
        let bits = match self.presence.entry(sig) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(PooledVec::filled(n, false, &cx.tracker)?),
        };
        for i in idx {
            if let Some(b) = bits.get_mut(i) {
                *b = true;
            }
        }
        Ok(())
    }

    /// Keeps the points of `data` at steps where signature `sig` is present (`keep_present`)
    /// or absent (`!keep_present`).
    fn filter(&self, sig: usize, mut data: InstantVectorSeriesData, keep_present: bool) -> InstantVectorSeriesData {
        let bits = self.presence.get(&sig);
        let present = |t: i64| bits.and_then(|b| b.get(self.step_of(t)).copied()).unwrap_or(false);
        data.floats.retain(|p| present(p.t) == keep_present);
        data.histograms.retain(|p| present(p.t) == keep_present);
        data
    }

    /// For `and`/`unless`: reads the whole right side into per-signature presence.
    fn load_right_presence(&mut self, cx: &mut QueryContext) -> Result<()> {
        if self.presence_ready {
            return Ok(());
        }
        let mut i = 0;
        while let Some(d) = self.right.next_series(cx)? {
            let sig = self.right_sig.get(i).copied().unwrap_or(usize::MAX);
            self.record(sig, &d, cx)?;
            i += 1;
        }
        self.presence_ready = true;
        Ok(())
    }
}

impl InstantVectorOperator for SetOperation {
    fn series_metadata(&mut self, cx: &mut QueryContext) -> Result<Vec<SeriesMetadata>> {
        let lmeta = self.left.series_metadata(cx)?;
        let rmeta = self.right.series_metadata(cx)?;
        let sigs = Signatures::compute(&lmeta, &rmeta, &self.matching);
        self.left_sig = sigs.left;
        self.right_sig = sigs.right;
        Ok(match self.op {
            BinaryOp::And => {
                let right: std::collections::HashSet<usize> = self.right_sig.iter().copied().collect();
                self.left_output = self.left_sig.iter().map(|s| right.contains(s)).collect();
                lmeta
                    .into_iter()
                    .zip(&self.left_output)
                    .filter(|(_, keep)| **keep)
                    .map(|(m, _)| m)
                    .collect()
            }
            BinaryOp::Unless => {
                self.left_output = vec![true; lmeta.len()];
                lmeta
            }
            _ => lmeta.into_iter().chain(rmeta).collect(),
        })
    }

    fn next_series(&mut self, cx: &mut QueryContext) -> Result<Option<InstantVectorSeriesData>> {
        if self.op == BinaryOp::Or {
            if let Some(d) = self.left.next_series(cx)? {
                let sig = self.left_sig.get(self.next_left).copied().unwrap_or(usize::MAX);
                self.next_left += 1;
                self.record(sig, &d, cx)?;
                return Ok(Some(d));
            }
            let Some(d) = self.right.next_series(cx)? else {
                return Ok(None);
            };
            let sig = self.right_sig.get(self.next_right).copied().unwrap_or(usize::MAX);
            self.next_right += 1;
            return Ok(Some(self.filter(sig, d, false)));
        }
        self.load_right_presence(cx)?;
        loop {
            let Some(d) = self.left.next_series(cx)? else {
                return Ok(None);
            };
            let i = self.next_left;
            self.next_left += 1;
            if !self.left_output.get(i).copied().unwrap_or(false) {
                continue;
            }
            let sig = self.left_sig.get(i).copied().unwrap_or(usize::MAX);
            return Ok(Some(self.filter(sig, d, self.op == BinaryOp::And)));
        }
    }

    fn finalize(&mut self, cx: &mut QueryContext) -> Result<()> {
        self.presence.clear();
        // Both operands are evaluated in full, as in Prometheus, so their errors surface even
        // where no series of theirs is needed.
        drain(self.left.as_mut(), cx)?;
        drain(self.right.as_mut(), cx)?;
        self.left.finalize(cx)?;
        self.right.finalize(cx)
    }
}
