//! The query's single storage querier, shared by all selectors of the plan.

use parking_lot::Mutex;
use rill_model::{Matcher, Querier, SelectHints, SeriesSet};

use crate::error::{Error, Result};

/// A slot for the query's `Querier`, filled by the engine after planning (when the time
/// range of all selectors is known) and shared by the selectors through an `Arc`.
#[derive(Default)]
pub struct StorageHandle {
    querier: Mutex<Option<Box<dyn Querier>>>,
}

impl StorageHandle {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs the querier.
    pub fn set(&self, querier: Box<dyn Querier>) {
        *self.querier.lock() = Some(querier);
    }

    /// Selects series through the installed querier.
    pub fn select(&self, hints: &SelectHints, matchers: &[Matcher]) -> Result<Box<dyn SeriesSet>> {
        let guard = self.querier.lock();
        let q = guard
            .as_ref()
            .ok_or_else(|| Error::Internal("selector evaluated before the querier was opened".into()))?;
        Ok(q.select(hints, matchers)?)
    }
}
